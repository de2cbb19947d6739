"""Registered platforms and the tool's own signing keys, kept in the database.

Several platforms (LMSs) can be registered, each by its issuer and the client id it gave this
tool; an issuer may register the tool more than once (several client ids). The tool signs its
messages (deep-linking responses, service-token requests) with an RSA key of its own: one key is
*current*, the one before it stays *previous* (still published in the JWKS, so a platform that
cached it or has a message in flight can still verify it) until the next rotation *retires* it.
Key ids are RFC 7638 thumbprints, as PyLTI1p3 derives them.

The private key is stored in the database, so every app process signs with the same key: protect
database backups accordingly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from jwcrypto.jwk import JWK
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from course.clock import require_aware
from course.store.db import Store
from course.store.models import LtiContextRow, LtiKeyRow, LtiLinkRow, LtiPlatformRow, LtiScoreRow, LtiUserRow

KEY_BITS = 2048
CURRENT, PREVIOUS, RETIRED = "current", "previous", "retired"


class RegistryError(ValueError):
    """A registration that cannot be made as given; the message says what to fix."""


@dataclass(frozen=True)
class Platform:
    id: int
    name: str
    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    deployment_ids: tuple[str, ...]
    auth_audience: str | None = None


@dataclass(frozen=True)
class ToolKey:
    kid: str
    private_pem: str
    public_jwk: dict[str, Any]
    status: str

    @property
    def public_pem(self) -> str:
        return str(JWK(**self.public_jwk).export_to_pem().decode("ascii"))


def _platform(row: Any) -> Platform:
    return Platform(
        row.id,
        row.name,
        row.issuer,
        row.client_id,
        row.auth_login_url,
        row.auth_token_url,
        row.key_set_url,
        tuple(row.deployment_ids or ()),
        row.auth_audience,
    )


def _check_url(name: str, url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise RegistryError(f"{name} must be an http(s) address, e.g. https://moodle.example.ac.uk/...; got {url!r}")
    return url


def add_platform(
    store: Store,
    *,
    name: str,
    issuer: str,
    client_id: str,
    auth_login_url: str,
    auth_token_url: str,
    key_set_url: str,
    deployment_ids: list[str],
    auth_audience: str | None = None,
    now: datetime,
) -> tuple[Platform, bool]:
    """Register a platform, or update the one with this issuer and client id. Returns (platform, created).

    Raises :class:`RegistryError` for a missing value or an address that is not http(s). (LTI 1.3
    requires HTTPS in production; plain http is accepted for a platform on the same machine.)
    """
    require_aware(now)
    issuer, client_id, name = issuer.strip(), client_id.strip(), " ".join(name.split())
    deployments = [d.strip() for d in deployment_ids if d.strip()]
    if not issuer or not client_id:
        raise RegistryError("Give the platform's issuer and the client id it assigned to this tool.")
    if not deployments:
        raise RegistryError("Give at least one deployment id (Moodle shows it in the tool's details).")
    values = {
        "name": (name or issuer)[:120],
        "auth_login_url": _check_url("the OIDC login (authentication request) URL", auth_login_url),
        "auth_token_url": _check_url("the access token URL", auth_token_url),
        "key_set_url": _check_url("the public keyset (JWKS) URL", key_set_url),
        "auth_audience": auth_audience.strip() if auth_audience and auth_audience.strip() else None,
        "deployment_ids": sorted(set(deployments)),
    }
    with store.write() as conn:
        existing = conn.execute(
            select(LtiPlatformRow.id).where(LtiPlatformRow.issuer == issuer, LtiPlatformRow.client_id == client_id)
        ).scalar()
        if existing is None:
            conn.execute(insert(LtiPlatformRow).values(issuer=issuer, client_id=client_id, created_at=now, **values))
        else:
            conn.execute(update(LtiPlatformRow).where(LtiPlatformRow.id == existing).values(**values))
        row = conn.execute(
            select(LtiPlatformRow).where(LtiPlatformRow.issuer == issuer, LtiPlatformRow.client_id == client_id)
        ).one()
    return _platform(row), existing is None


def platforms(store: Store) -> list[Platform]:
    with store.read() as conn:
        rows = conn.execute(select(LtiPlatformRow).order_by(LtiPlatformRow.name, LtiPlatformRow.id)).all()
    return [_platform(r) for r in rows]


def find_platform(store: Store, issuer: str, client_id: str | None) -> Platform | None:
    """The platform for this issuer and client id; without a client id, the issuer's only registration."""
    with store.read() as conn:
        query = select(LtiPlatformRow).where(LtiPlatformRow.issuer == issuer)
        if client_id:
            query = query.where(LtiPlatformRow.client_id == client_id)
        rows = conn.execute(query.limit(2)).all()
    return _platform(rows[0]) if len(rows) == 1 else None


def get_platform(store: Store, platform_id: int) -> Platform | None:
    with store.read() as conn:
        row = conn.execute(select(LtiPlatformRow).where(LtiPlatformRow.id == platform_id)).first()
    return None if row is None else _platform(row)


def remove_platform(store: Store, platform_id: int) -> None:
    """Forget a platform: its launches stop working. Cohorts and accounts it created stay."""
    with store.write() as conn:
        if conn.execute(select(LtiPlatformRow.id).where(LtiPlatformRow.id == platform_id)).first() is None:
            raise RegistryError(f"No platform with id {platform_id}.")
        contexts = select(LtiContextRow.id).where(LtiContextRow.platform_id == platform_id)
        conn.execute(delete(LtiScoreRow).where(LtiScoreRow.lti_context_id.in_(contexts)))
        conn.execute(delete(LtiLinkRow).where(LtiLinkRow.platform_id == platform_id))
        conn.execute(delete(LtiContextRow).where(LtiContextRow.platform_id == platform_id))
        conn.execute(delete(LtiUserRow).where(LtiUserRow.platform_id == platform_id))
        conn.execute(delete(LtiPlatformRow).where(LtiPlatformRow.id == platform_id))


# --- the tool's keys ---------------------------------------------------------------------------------


def _new_key() -> tuple[str, str, dict[str, Any]]:
    key = JWK.generate(kty="RSA", size=KEY_BITS)
    kid = key.thumbprint()
    private_pem = key.export_to_pem(private_key=True, password=None).decode("ascii")
    public = dict(key.export_public(as_dict=True))
    public.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return kid, private_pem, public


def _key(row: Any) -> ToolKey:
    return ToolKey(row.kid, row.private_pem, dict(row.public_jwk), row.status)


def current_key(store: Store, *, now: datetime) -> ToolKey:
    """The key the tool signs with, generated on first use."""
    require_aware(now)
    with store.read() as conn:
        row = conn.execute(select(LtiKeyRow).where(LtiKeyRow.status == CURRENT)).first()
    if row is not None:
        return _key(row)
    kid, private_pem, public = _new_key()
    try:
        with store.write() as conn:
            if conn.execute(select(LtiKeyRow.id).where(LtiKeyRow.status == CURRENT)).first() is None:
                conn.execute(
                    insert(LtiKeyRow).values(
                        kid=kid, private_pem=private_pem, public_jwk=public, status=CURRENT, created_at=now
                    )
                )
    except IntegrityError:
        pass  # another process made the first key at the same moment: use theirs
    with store.read() as conn:
        return _key(conn.execute(select(LtiKeyRow).where(LtiKeyRow.status == CURRENT)).one())


def rotate_key(store: Store, *, now: datetime) -> ToolKey:
    """Make a new current key; the current one becomes previous, the previous one is retired."""
    require_aware(now)
    kid, private_pem, public = _new_key()
    with store.write() as conn:
        conn.execute(update(LtiKeyRow).where(LtiKeyRow.status == PREVIOUS).values(status=RETIRED, retired_at=now))
        conn.execute(update(LtiKeyRow).where(LtiKeyRow.status == CURRENT).values(status=PREVIOUS))
        conn.execute(
            insert(LtiKeyRow).values(
                kid=kid, private_pem=private_pem, public_jwk=public, status=CURRENT, created_at=now
            )
        )
    return ToolKey(kid, private_pem, public, CURRENT)


def jwks(store: Store, *, now: datetime) -> dict[str, list[dict[str, Any]]]:
    """The tool's public keys as a JSON Web Key Set (RFC 7517): current first, then previous."""
    current_key(store, now=now)
    with store.read() as conn:
        rows = conn.execute(
            select(LtiKeyRow.public_jwk, LtiKeyRow.status).where(LtiKeyRow.status.in_((CURRENT, PREVIOUS)))
        ).all()
    ordered = sorted(rows, key=lambda r: r.status != CURRENT)
    return {"keys": [dict(r.public_jwk) for r in ordered]}


__all__ = [
    "Platform",
    "RegistryError",
    "ToolKey",
    "add_platform",
    "current_key",
    "find_platform",
    "get_platform",
    "jwks",
    "platforms",
    "remove_platform",
    "rotate_key",
]
