"""PyLTI1p3's extension points, implemented for this app (no web framework needed here).

PyLTI1p3 ships adapters for Django and Flask; the app's HTTP side is Starlette (Streamlit's
``st.App``), so these small classes play the same parts:

* :class:`LtiRequest`: the request's parameters (query and form), cookies and whether it came over HTTPS.
* :class:`CookieJar`: cookies the library asks to set, applied to the response by the route. Over
  HTTPS they are ``SameSite=None; Secure`` because the launch is a cross-site form POST from the
  LMS; over plain http (a local test platform on the same host) they are ``SameSite=Lax``.
* :class:`DatabaseLaunchStorage`: login state, nonces and launch data in the ``lti_launch_data``
  table, so the process that receives the launch need not be the one that saw the login. A nonce
  is used up when checked (a replayed id_token is refused). Personal claims are not kept.
* :class:`DatabaseToolConf`: registrations from ``lti_platforms`` and the tool's current key.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import requests
from pylti1p3.deployment import Deployment
from pylti1p3.exception import LtiException
from pylti1p3.launch_data_storage.cache import CacheDataStorage
from pylti1p3.message_launch import MessageLaunch
from pylti1p3.oidc_login import OIDCLogin
from pylti1p3.redirect import Redirect
from pylti1p3.registration import Registration
from pylti1p3.request import Request
from pylti1p3.session import SessionService
from pylti1p3.tool_config.abstract import ToolConfAbstract
from sqlalchemy import delete, insert, select

from course.clock import utcnow
from course.lti import registry
from course.lti.registry import Platform
from course.store.db import Store
from course.store.models import LtiLaunchDataRow

LAUNCH_DATA_LIFETIME = timedelta(hours=1)
# Clock skew allowed between the platform and the tool when checking exp and iat (seconds), and the
# oldest id_token accepted: the login-to-launch round trip takes seconds, so an hour-old token is a
# replay or a platform clock far off (IMS Security Framework 1.0, 5.1.3, steps 7 and 8).
CLOCK_SKEW_SECONDS = 60
MAX_TOKEN_AGE_SECONDS = 3600
MESSAGE_TYPE_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/message_type"
OFFERED_MESSAGES = ("LtiResourceLinkRequest", "LtiDeepLinkingRequest")
HTTP_TIMEOUT_SECONDS = 15.0
# Claims about the person that the tool copies into its own tables at launch and never needs again.
PERSONAL_CLAIMS = (
    "name",
    "given_name",
    "family_name",
    "middle_name",
    "email",
    "picture",
    "https://purl.imsglobal.org/spec/lti/claim/lis",
)


class TimeoutSession(requests.Session):
    """requests has no session-wide timeout: a platform that never answers must not hang a worker."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", HTTP_TIMEOUT_SECONDS)
        verb = method if isinstance(method, str) else method.decode()
        return super().request(verb, url if isinstance(url, str) else url.decode(), *args, **kwargs)


def http_session() -> requests.Session:
    session = TimeoutSession()
    session.headers["User-Agent"] = "relational-prescribing-lti (PyLTI1p3)"
    return session


# --- request and cookies ------------------------------------------------------------------------------


class LtiRequest(Request):
    """What PyLTI1p3 reads from a request: a parameter, a cookie, whether it came over HTTPS."""

    def __init__(self, params: Mapping[str, str], cookies: Mapping[str, str], *, secure: bool) -> None:
        self._params = dict(params)
        self._cookies = dict(cookies)
        self._secure = secure
        self._session: dict[str, Any] = {}  # unused: launch data lives in the database

    @property
    def session(self) -> dict[str, Any]:
        return self._session

    def is_secure(self) -> bool:
        return self._secure

    def get_param(self, key: str) -> str:
        return self._params.get(key, "")

    def get_cookie(self, key: str) -> str | None:
        return self._cookies.get(key)


@dataclass(frozen=True)
class CookieToSet:
    name: str
    value: str
    max_age: int | None
    secure: bool

    @property
    def samesite(self) -> str:
        return "none" if self.secure else "lax"


@dataclass
class CookieJar:
    """PyLTI1p3's CookieService: cookies are read from the request and collected for the response."""

    request: LtiRequest
    to_set: list[CookieToSet] = field(default_factory=list)
    prefix: str = "lti1p3"

    def _name(self, name: str) -> str:
        return f"{self.prefix}-{name}"

    def get_cookie(self, name: str) -> str | None:
        return self.request.get_cookie(self._name(name))

    def set_cookie(self, name: str, value: str | int, exp: int | None = 3600) -> None:
        self.to_set.append(CookieToSet(self._name(name), str(value), exp, self.request.is_secure()))


class LocationRedirect(Redirect[str]):
    """The library's redirect object: the route turns :meth:`get_redirect_url` into a response."""

    def __init__(self, location: str) -> None:
        self._location = location

    def do_redirect(self) -> str:
        return self._location

    def do_js_redirect(self) -> str:
        return self._location

    def set_redirect_url(self, location: str) -> None:
        self._location = location

    def get_redirect_url(self) -> str:
        return self._location


# --- launch data in the database ------------------------------------------------------------------------


class DatabaseCache:
    """The get/set interface PyLTI1p3's CacheDataStorage expects, over ``lti_launch_data``."""

    def __init__(self, store: Store, clock: Callable[[], datetime] = utcnow) -> None:
        self._store = store
        self._clock = clock

    def get(self, key: str) -> Any:
        now = self._clock()
        with self._store.read() as conn:
            row = conn.execute(
                select(LtiLaunchDataRow.value).where(LtiLaunchDataRow.key == key, LtiLaunchDataRow.expires_at > now)
            ).first()
        return None if row is None else row.value

    def set(self, key: str, value: Any, exp: int | None = None) -> None:
        now = self._clock()
        lifetime = timedelta(seconds=exp) if exp else LAUNCH_DATA_LIFETIME
        with self._store.write() as conn:
            conn.execute(delete(LtiLaunchDataRow).where(LtiLaunchDataRow.expires_at <= now))  # keep the table small
            conn.execute(delete(LtiLaunchDataRow).where(LtiLaunchDataRow.key == key))
            conn.execute(insert(LtiLaunchDataRow).values(key=key, value=value, expires_at=now + lifetime))

    def take(self, key: str) -> bool:
        """Use up a value: True for exactly one caller while it exists and has not expired."""
        now = self._clock()
        with self._store.write() as conn:
            taken = conn.execute(
                delete(LtiLaunchDataRow).where(LtiLaunchDataRow.key == key, LtiLaunchDataRow.expires_at > now)
            ).rowcount
        return taken == 1


class DatabaseLaunchStorage(CacheDataStorage[Any]):
    """Launch data storage shared by every app process; nonces are single use."""

    def __init__(self, cache: DatabaseCache) -> None:
        super().__init__()
        self._cache = cache  # type: ignore[assignment]  # the library types it as None
        self._database = cache

    def check_value(self, key: str) -> bool:
        if "-nonce-" in key or key.startswith("nonce-"):
            return self._database.take(self._prepare_key(key))
        return bool(super().check_value(key))


class ToolSession(SessionService):
    """Keeps launch data without the person's name and email (the tool copied them at launch)."""

    def save_launch_data(self, key: str, jwt_body: Mapping[str, Any]) -> None:
        kept = {name: copy.deepcopy(value) for name, value in jwt_body.items() if name not in PERSONAL_CLAIMS}
        super().save_launch_data(key, kept)


# --- registrations --------------------------------------------------------------------------------------


class DatabaseToolConf(ToolConfAbstract[LtiRequest]):
    """Registrations from ``lti_platforms``; every issuer may have several client ids."""

    def __init__(self, store: Store, clock: Callable[[], datetime] = utcnow) -> None:
        super().__init__()
        self._store = store
        self._clock = clock

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def platform(self, iss: str, client_id: str | None) -> Platform | None:
        return registry.find_platform(self._store, iss, client_id)

    def registration_for(self, platform: Platform) -> Registration:
        key = registry.current_key(self._store, now=self._clock())
        registration = (
            Registration()
            .set_issuer(platform.issuer)
            .set_client_id(platform.client_id)
            .set_auth_login_url(platform.auth_login_url)
            .set_auth_token_url(platform.auth_token_url)
            .set_key_set_url(platform.key_set_url)
            .set_tool_private_key(key.private_pem)
            .set_tool_public_key(key.public_pem)
        )
        if platform.auth_audience:
            registration.set_auth_audience(platform.auth_audience)
        return registration

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Registration:
        found = self.platform(iss, None)
        return self.registration_for(found) if found else None  # type: ignore[return-value]

    def find_registration_by_params(self, iss: str, client_id: str, *args: Any, **kwargs: Any) -> Registration:
        found = self.platform(iss, client_id or None)
        return self.registration_for(found) if found else None  # type: ignore[return-value]

    def find_deployment(self, iss: str, deployment_id: str) -> Deployment | None:
        return self.find_deployment_by_params(iss, deployment_id, "")

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Deployment | None:
        found = self.platform(iss, client_id or None)
        if found is None or deployment_id not in found.deployment_ids:
            return None
        return Deployment().set_deployment_id(deployment_id)


# --- the library's two flows, bound to the classes above --------------------------------------------------


@dataclass
class Tool:
    """Everything one request needs to run PyLTI1p3's login or launch against this deployment."""

    store: Store
    request: LtiRequest
    clock: Callable[[], datetime] = utcnow

    def __post_init__(self) -> None:
        self.cookies = CookieJar(self.request)
        self.config = DatabaseToolConf(self.store, self.clock)
        self.session = ToolSession(self.request)
        self.storage = DatabaseLaunchStorage(DatabaseCache(self.store, self.clock))
        self.http = http_session()  # fetches the platform's JWKS; closed by close()

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Tool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def login(self) -> ToolLogin:
        return ToolLogin(self.request, self.config, self.session, self.cookies, self.storage)

    def launch(self) -> ToolLaunch:
        return ToolLaunch(
            self.request,
            self.config,
            session_service=self.session,
            cookie_service=self.cookies,
            launch_data_storage=self.storage,
            requests_session=self.http,
        )

    def restore(self, launch_id: str) -> ToolLaunch:
        """A launch saved earlier in this browser's login (for the deep-linking response)."""
        restored = ToolLaunch.from_cache(
            launch_id,
            self.request,
            self.config,
            session_service=self.session,
            cookie_service=self.cookies,
            launch_data_storage=self.storage,
            requests_session=self.http,
        )
        assert isinstance(restored, ToolLaunch)
        return restored


class ToolLogin(OIDCLogin[LtiRequest, DatabaseToolConf, ToolSession, CookieJar, str]):  # type: ignore[type-var]
    def get_redirect(self, url: str) -> Redirect[str]:
        return LocationRedirect(url)


def check_id_token_claims(claims: Mapping[str, Any], client_id: str, now: float) -> None:
    """The id_token checks PyLTI1p3 leaves out; raises LtiException naming the claim at fault.

    From the IMS Security Framework 1.0, section 5.1.3 (and OpenID Connect Core 3.1.3.7, which it
    follows): ``aud`` must contain the tool's client id; a token with several audiences must name
    the tool as its authorised party (``azp``), and an ``azp`` present must be the tool; ``exp`` and
    ``iat`` are required numbers, the token must not have expired and must not come from the future
    or from too long ago (:data:`CLOCK_SKEW_SECONDS`, :data:`MAX_TOKEN_AGE_SECONDS`). From LTI Core
    1.3, 5.3.7: ``roles`` is an array of URIs (strings).
    ``now`` is seconds since the epoch.
    """
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if not all(isinstance(item, str) for item in audiences) or client_id not in audiences:
        raise LtiException("the id_token is not addressed to this tool (aud)")
    azp = claims.get("azp")
    if len(audiences) > 1 and azp is None:
        raise LtiException("an id_token with several audiences must name its authorised party (azp)")
    if azp is not None and azp != client_id:
        raise LtiException("the id_token was issued to another tool (azp)")
    for name in ("exp", "iat"):
        value = claims.get(name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise LtiException(f"the id_token has no valid '{name}' time")
    if claims["exp"] + CLOCK_SKEW_SECONDS <= now:
        raise LtiException("the id_token has expired (exp)")
    if claims["iat"] - CLOCK_SKEW_SECONDS > now:
        raise LtiException("the id_token was issued in the future (iat): check the LMS's clock")
    if now - claims["iat"] > MAX_TOKEN_AGE_SECONDS:
        raise LtiException("the id_token is too old (iat)")
    roles = claims.get("https://purl.imsglobal.org/spec/lti/claim/roles")
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise LtiException("the roles claim must be a list of role URIs")


class ToolLaunch(MessageLaunch[LtiRequest, DatabaseToolConf, ToolSession, CookieJar]):  # type: ignore[type-var]
    def _get_request_param(self, key: str) -> str:
        return self._request.get_param(key)

    def validate_jwt_signature(self) -> ToolLaunch:
        """The library's signature check (times off: checked below with a skew), then the claims it skips."""
        self.set_jwt_verify_options({"verify_aud": False, "verify_exp": False, "verify_iat": False, "verify_nbf": True})
        super().validate_jwt_signature()
        registration = self._registration
        assert registration is not None, "validate_registration runs first"
        check_id_token_claims(self._get_jwt_body(), str(registration.get_client_id()), time.time())
        return self

    def validate_message(self) -> ToolLaunch:
        """Only the messages this tool offers: a resource link launch and deep linking (LTI Core 5.1;
        LTI Deep Linking 2.0). PyLTI1p3 would also pass submission-review and data-privacy launches."""
        kind = self._get_jwt_body().get(MESSAGE_TYPE_CLAIM)
        if kind not in OFFERED_MESSAGES:
            raise LtiException(f"this course does not offer {str(kind)[:60]!r} launches")
        super().validate_message()
        return self

    def registration(self) -> Registration:
        assert self._registration is not None, "validate the launch first"
        return self._registration


__all__ = [
    "CLOCK_SKEW_SECONDS",
    "MAX_TOKEN_AGE_SECONDS",
    "PERSONAL_CLAIMS",
    "CookieJar",
    "CookieToSet",
    "DatabaseCache",
    "DatabaseLaunchStorage",
    "DatabaseToolConf",
    "LtiRequest",
    "Tool",
    "ToolLaunch",
    "ToolLogin",
    "check_id_token_claims",
    "http_session",
]
