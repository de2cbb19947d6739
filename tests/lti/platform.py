"""A small LTI 1.3 platform (an LMS stand-in) for the tests, written from the IMS specifications.

It signs its own launch JWTs with its own RSA key and serves that key as a JWKS; it has an OIDC
authorisation endpoint (form_post of the id_token), a deep-linking return endpoint that checks the
tool's signed response against the tool's JWKS, an OAuth 2 client-credentials token endpoint
that checks the tool's signed assertion, a Names and Role Provisioning endpoint and Assignment
and Grade Services endpoints (line items and scores). Everything received is recorded for the
tests to look at. It runs with uvicorn in a thread of the test process.
"""

from __future__ import annotations

import secrets
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import urlencode

import jwt
import requests
import uvicorn
from jwcrypto.jwk import JWK
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

CLIENT_ID = "course-tool-1"
DEPLOYMENT_ID = "deployment-7"
CONTEXT_ID = "psy-101"
CONTEXT_TITLE = "PSY101 Relational prescribing"
LTI = "https://purl.imsglobal.org/spec/lti/claim/"
MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
]
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"


@dataclass(frozen=True)
class Person:
    sub: str
    name: str
    email: str
    role: str  # "Instructor" or "Learner"
    status: str = "Active"


PEOPLE = {
    "ivy": Person("lms-user-ivy", "Ivy Instructor", "ivy@lms.example", "Instructor"),
    "leo": Person("lms-user-leo", "Leo Learner", "leo@lms.example", "Learner"),
    "lou": Person("lms-user-lou", "Lou Listed", "lou@lms.example", "Learner"),
    "gus": Person("lms-user-gus", "Gus Gone", "gus@lms.example", "Learner", status="Inactive"),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Link:
    id: str
    title: str
    custom: dict[str, str]
    lineitem: str | None = None


@dataclass
class Platform:
    tool_base: str = ""  # the tool's public address, e.g. http://127.0.0.1:8501
    port: int = field(default_factory=free_port)
    key: JWK = field(default_factory=lambda: JWK.generate(kty="RSA", size=2048))
    signing_key: JWK | None = None  # set to another key to send launches the tool must refuse
    # Changes the claims of the next id_tokens before signing (a platform misbehaving, or a token
    # meant for another tool): the tool must refuse them although the signature is good.
    tamper: Callable[[dict[str, Any]], None] | None = None
    links: dict[str, Link] = field(default_factory=dict)
    lineitems: dict[str, dict[str, Any]] = field(default_factory=dict)
    scores: list[dict[str, Any]] = field(default_factory=list)
    tokens: dict[str, list[str]] = field(default_factory=dict)
    deep_link_items: list[dict[str, Any]] = field(default_factory=list)
    nrps_calls: int = 0
    last_id_token: str | None = None
    _server: uvicorn.Server | None = None

    # --- addresses ---------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def issuer(self) -> str:
        return self.url

    def add_platform_args(self) -> list[str]:
        """The arguments of `python -m course lti add-platform` that register this platform."""
        return [
            "--name", "Test LMS", "--issuer", self.issuer, "--client-id", CLIENT_ID,
            "--login-url", f"{self.url}/auth", "--token-url", f"{self.url}/token",
            "--jwks-url", f"{self.url}/jwks", "--deployment-id", DEPLOYMENT_ID,
        ]  # fmt: skip

    def start_url(self, who: str, message: str) -> str:
        """Where a browser starts a launch: the platform page that sends it to the tool's login."""
        return f"{self.url}/start?" + urlencode({"who": who, "message": message})

    # --- claims ------------------------------------------------------------------------------------

    def _claims(self, person: Person, message: str, nonce: str) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": person.sub,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "name": person.name,
            "email": person.email,
            LTI + "version": "1.3.0",
            LTI + "deployment_id": DEPLOYMENT_ID,
            LTI + "roles": [MEMBERSHIP + person.role],
            LTI + "context": {"id": CONTEXT_ID, "title": CONTEXT_TITLE, "label": "PSY101"},
            "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
                "context_memberships_url": f"{self.url}/nrps/{CONTEXT_ID}",
                "service_versions": ["2.0"],
            },
        }
        if message == "deeplink":
            claims[LTI + "message_type"] = "LtiDeepLinkingRequest"
            claims[LTI + "target_link_uri"] = f"{self.tool_base}/lti/launch"
            claims["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] = {
                "deep_link_return_url": f"{self.url}/deep-link-return",
                "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["window"],
                "accept_multiple": False,
                "data": "opaque-platform-data",
            }
            return claims
        link = self.links[message]
        ags: dict[str, Any] = {"scope": SCOPES, "lineitems": f"{self.url}/lineitems/{CONTEXT_ID}"}
        if link.lineitem:
            ags["lineitem"] = link.lineitem
        claims.update({
            LTI + "message_type": "LtiResourceLinkRequest",
            LTI + "target_link_uri": f"{self.tool_base}/lti/launch",
            LTI + "resource_link": {"id": link.id, "title": link.title},
            LTI + "custom": link.custom,
            "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": ags,
        })  # fmt: skip
        return claims

    def id_token(self, who: str, message: str, nonce: str) -> str:
        signer = self.signing_key or self.key
        pem = signer.export_to_pem(private_key=True, password=None)
        claims = self._claims(PEOPLE[who], message, nonce)
        if self.tamper is not None:
            self.tamper(claims)
        return jwt.encode(claims, pem, algorithm="RS256", headers={"kid": self.key.thumbprint()})

    # --- endpoints ---------------------------------------------------------------------------------

    async def start(self, request: Request) -> Response:
        who, message = request.query_params["who"], request.query_params["message"]
        params = {
            "iss": self.issuer,
            "login_hint": who,
            "lti_message_hint": message,
            "target_link_uri": f"{self.tool_base}/lti/launch",
            "client_id": CLIENT_ID,
            "lti_deployment_id": DEPLOYMENT_ID,
        }
        return RedirectResponse(f"{self.tool_base}/lti/login?" + urlencode(params), status_code=302)

    async def auth(self, request: Request) -> Response:
        q = request.query_params
        assert q["client_id"] == CLIENT_ID and q["response_type"] == "id_token" and q["scope"] == "openid"
        assert q["response_mode"] == "form_post" and q["prompt"] == "none"
        if q["redirect_uri"] != f"{self.tool_base}/lti/launch":
            return HTMLResponse("redirect_uri not registered", status_code=400)
        token = self.id_token(q["login_hint"], q["lti_message_hint"], q["nonce"])
        self.last_id_token = token
        form = (
            f'<form id="f" method="post" action="{escape(q["redirect_uri"])}">'
            f'<input type="hidden" name="id_token" value="{escape(token)}">'
            f'<input type="hidden" name="state" value="{escape(q["state"])}"></form>'
            '<script>document.getElementById("f").submit()</script>'
        )
        return HTMLResponse(f"<!doctype html><title>Launching</title>{form}")

    async def jwks(self, _: Request) -> Response:
        public = dict(self.key.export_public(as_dict=True))
        public.update({"kid": self.key.thumbprint(), "alg": "RS256", "use": "sig"})
        return JSONResponse({"keys": [public]})

    def _tool_key(self, token: str) -> Any:
        kid = jwt.get_unverified_header(token)["kid"]
        keys = requests.get(f"{self.tool_base}/lti/jwks", timeout=10).json()["keys"]
        found = next(k for k in keys if k["kid"] == kid)
        return jwt.PyJWK(found).key

    async def deep_link_return(self, request: Request) -> Response:
        token = str((await request.form())["JWT"])
        claims = jwt.decode(token, self._tool_key(token), algorithms=["RS256"], audience=self.issuer)
        assert claims["iss"] == CLIENT_ID
        assert claims[LTI + "message_type"] == "LtiDeepLinkingResponse"
        assert claims[LTI + "deployment_id"] == DEPLOYMENT_ID
        assert claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == "opaque-platform-data"
        items = claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
        self.deep_link_items.extend(items)
        listed = []
        for item in items:
            link = Link(f"rl-{len(self.links) + 1}", item["title"], dict(item.get("custom") or {}))
            if item.get("lineItem"):
                link.lineitem = self._create_lineitem({**item["lineItem"], "resourceLinkId": link.id})["id"]
            self.links[link.id] = link
            start = escape(self.start_url("leo", link.id))
            listed.append(f'<li><a href="{start}">{escape(link.title)}</a> ({escape(link.id)})</li>')
        return HTMLResponse(f"<!doctype html><title>Added</title><h1>Added to PSY101</h1><ul>{''.join(listed)}</ul>")

    async def token(self, request: Request) -> Response:
        form = await request.form()
        assert form["grant_type"] == "client_credentials"
        assert form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        assertion = str(form["client_assertion"])
        claims = jwt.decode(assertion, self._tool_key(assertion), algorithms=["RS256"], audience=f"{self.url}/token")
        assert claims["iss"] == CLIENT_ID and claims["sub"] == CLIENT_ID
        access = secrets.token_urlsafe(16)
        self.tokens[access] = str(form["scope"]).split()
        return JSONResponse({"access_token": access, "token_type": "Bearer", "expires_in": 3600})

    def _scopes(self, request: Request) -> list[str]:
        header = request.headers.get("authorization", "")
        return self.tokens.get(header.removeprefix("Bearer "), [])

    async def nrps(self, request: Request) -> Response:
        if NRPS_SCOPE not in self._scopes(request):
            return JSONResponse({"error": "unauthorised"}, status_code=401)
        self.nrps_calls += 1
        members = [
            {"user_id": p.sub, "name": p.name, "email": p.email, "status": p.status, "roles": [MEMBERSHIP + p.role]}
            for p in PEOPLE.values()
        ]
        body = {"id": str(request.url), "context": {"id": CONTEXT_ID, "title": CONTEXT_TITLE}, "members": members}
        return JSONResponse(body, media_type="application/vnd.ims.lti-nrps.v2.membershipcontainer+json")

    def _create_lineitem(self, body: dict[str, Any]) -> dict[str, Any]:
        item_id = f"{self.url}/lineitems/{CONTEXT_ID}/{len(self.lineitems) + 1}"
        created = {**body, "id": item_id}
        self.lineitems[item_id] = created
        return created

    async def lineitems_endpoint(self, request: Request) -> Response:
        if not set(self._scopes(request)) & set(SCOPES):
            return JSONResponse({"error": "unauthorised"}, status_code=401)
        if request.method == "POST":
            return JSONResponse(self._create_lineitem(await request.json()))
        return JSONResponse(list(self.lineitems.values()))

    async def scores_endpoint(self, request: Request) -> Response:
        if SCOPES[2] not in self._scopes(request):
            return JSONResponse({"error": "unauthorised"}, status_code=401)
        assert request.headers["content-type"] == "application/vnd.ims.lis.v1.score+json"
        item_id = f"{self.url}/lineitems/{request.path_params['context']}/{request.path_params['item']}"
        if item_id not in self.lineitems:
            return JSONResponse({"error": "no such line item"}, status_code=404)
        self.scores.append({**(await request.json()), "lineitem": item_id})
        return Response(status_code=204)

    # --- serving -------------------------------------------------------------------------------------

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/start", self.start),
                Route("/auth", self.auth),
                Route("/jwks", self.jwks),
                Route("/deep-link-return", self.deep_link_return, methods=["POST"]),
                Route("/token", self.token, methods=["POST"]),
                Route("/nrps/{context}", self.nrps),
                Route("/lineitems/{context}", self.lineitems_endpoint, methods=["GET", "POST"]),
                Route("/lineitems/{context}/{item}/scores", self.scores_endpoint, methods=["POST"]),
            ]
        )

    def serve(self) -> None:
        config = uvicorn.Config(self.app(), host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        thread = threading.Thread(target=self._server.run, name="test-lms", daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test platform did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True

    def new_link(self, title: str, custom: dict[str, str]) -> str:
        """A resource link placed without deep linking (custom parameters typed by the instructor)."""
        link = Link(f"rl-{uuid.uuid4().hex[:8]}", title, custom)
        self.links[link.id] = link
        return link.id
