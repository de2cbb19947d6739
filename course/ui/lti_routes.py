"""LTI 1.3 endpoints served beside Streamlit by st.App: login initiation, launch, deep linking, JWKS.

The values an LMS administrator needs (README, "Launch from your LMS (LTI 1.3)"):

* Tool URL / redirection URI: ``<public address>/lti/launch``
* Initiate login URL: ``<public address>/lti/login``
* Public keyset URL: ``<public address>/lti/jwks``
* Deep linking (content selection) URL: ``<public address>/lti/launch``

``<public address>`` is ``COURSE_PUBLIC_URL`` when set (set it behind a reverse proxy), otherwise
the address the request came to.

A launch ends signed in to the course's own session: the launch issues the same one-time handoff
the sign-in form uses and the browser follows it to ``/auth/handoff``, which sets the session
cookie. That cookie is ``SameSite=Lax``, so it is not sent inside an LMS page's iframe on another
site: configure the tool to open in a new window. A launch that arrives in an iframe anyway
(``Sec-Fetch-Dest: iframe``) gets a link that opens the course in a new window instead.
"""

from __future__ import annotations

import logging
import os
import secrets
from html import escape
from typing import Any
from urllib.parse import urlencode

from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.exception import LtiException, OIDCException
from pylti1p3.lineitem import LineItem
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from course import accounts
from course.clock import utcnow
from course.lti import launches, registry, roster
from course.lti.grades import LINEITEM_LABEL, LINEITEM_TAG
from course.lti.launches import LaunchRefused, Target
from course.lti.tool import CookieJar, DatabaseCache, LtiRequest, Tool
from course.ui import resources
from course.ui.browser_cookie import browser_of

log = logging.getLogger(__name__)

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.5}"
    "fieldset{border:0;padding:0}label{display:block;padding:.3rem 0}"
    "button,.button{font:inherit;padding:.5rem 1rem;margin-top:1rem}"
)
_PICK_PREFIX = "lti1p3-pick-"
DEEP_LINKING_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"


def public_base(request: Request) -> str:
    configured = os.environ.get("COURSE_PUBLIC_URL", "").strip().rstrip("/")
    return configured or str(request.base_url).rstrip("/")


def launch_url(request: Request) -> str:
    return public_base(request) + "/lti/launch"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or public_base(request).startswith("https://")


def _headers(script_nonce: str | None = None) -> dict[str, str]:
    scripts = f"'nonce-{script_nonce}'" if script_nonce else "'none'"
    return {
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",  # tokens travel in these pages' links
        "X-Content-Type-Options": "nosniff",
        # No frame-ancestors: LMSs show deep linking in a frame of their own.
        "Content-Security-Policy": f"default-src 'none'; style-src 'unsafe-inline'; script-src {scripts}",
    }


def _page(title: str, body: str, *, status: int = 200, head: str = "", nonce: str | None = None) -> HTMLResponse:
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style>{head}</head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(html, status_code=status, headers=_headers(nonce))


def _problem(title: str, message: str, status: int) -> HTMLResponse:
    body = f"<p>{escape(message)}</p><p>Go back to your LMS and open the link again.</p>"
    return _page(title, body, status=status)


def _apply_cookies(response: Response, jar: CookieJar) -> Response:
    for cookie in jar.to_set:
        response.set_cookie(
            cookie.name,
            cookie.value,
            max_age=cookie.max_age,
            httponly=True,
            secure=cookie.secure,
            samesite=cookie.samesite,  # type: ignore[arg-type]
            path="/",
        )
    return response


async def _lti_request(request: Request) -> LtiRequest:
    params: dict[str, str] = {k: v for k, v in request.query_params.items()}
    if request.method == "POST":
        form = await request.form()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return LtiRequest(params, dict(request.cookies), secure=_secure(request))


# --- login initiation (OIDC third-party initiated login) ----------------------------------------------


async def login(request: Request) -> Response:
    target = launch_url(request)
    with Tool(resources.store(), await _lti_request(request)) as tool:
        try:
            location = await run_in_threadpool(lambda: tool.login().redirect(target))
        except (OIDCException, LtiException) as exc:
            return _problem("This LMS is not registered", f"The course could not start the sign-in: {exc}.", 400)
    return _apply_cookies(RedirectResponse(str(location), status_code=302, headers=_headers()), tool.cookies)


# --- launch ------------------------------------------------------------------------------------------


def _run_launch(tool: Tool) -> tuple[dict[str, Any], str, registry.Platform]:
    launch = tool.launch()
    launch.validate()
    claims = dict(launch.get_launch_data())
    platform = registry.find_platform(tool.store, launch.get_iss(), launch.get_client_id())
    if platform is None:  # validated a moment ago; removed in between
        raise LtiException("the platform is no longer registered")
    return claims, launch.get_launch_id(), platform


async def launch(request: Request) -> Response:
    store = resources.store()
    with Tool(store, await _lti_request(request)) as tool:
        try:
            claims, launch_id, platform = await run_in_threadpool(_run_launch, tool)
        except (LtiException, OIDCException) as exc:
            return _problem("The launch could not be checked", f"The course could not check this launch: {exc}.", 400)
    course = resources.content().course
    try:
        launched = await run_in_threadpool(
            lambda: launches.accept_launch(store, platform, claims, course, now=utcnow())
        )
    except LaunchRefused as exc:
        return _problem("This link cannot open the course", exc.message, 403)
    if launched.roster_url and launched.context_pk is not None:
        context_pk = launched.context_pk
        await run_in_threadpool(lambda: roster.sync_roster(store, context_pk, now=utcnow()))
    if claims.get(launches.MESSAGE_TYPE) == launches.DEEP_LINKING_REQUEST:
        return _apply_cookies(_picker(store, course, launch_id), tool.cookies)
    framed = request.headers.get("sec-fetch-dest") == "iframe"
    # Bound to this browser (auth_routes.BrowserCookie), except in a frame: a new window does not
    # share a framed page's cookies, so that handoff is unbound and /auth/handoff asks first.
    browser = None if framed else browser_of(request)
    token = await run_in_threadpool(
        lambda: accounts.issue_handoff(store, launched.user.id, now=utcnow(), browser=browser)
    )
    handoff = "/auth/handoff?" + urlencode({"token": token, "next": launched.landing})
    if framed:
        body = (
            "<p>Your LMS opened the course inside its own page, where the browser will not keep you signed "
            "in. Open it in a window of its own (ask your LMS administrator to set the tool to open in a new "
            "window).</p>"
            f'<p><a class="button" href="{escape(handoff)}" target="_blank" rel="noopener">'
            "Open the course in a new window</a></p>"
        )
        return _apply_cookies(_page("Open the course", body), tool.cookies)
    body = f'<p>Signing you in. If nothing happens, <a href="{escape(handoff)}">continue to the course</a>.</p>'
    head = f'<meta http-equiv="refresh" content="0;url={escape(handoff)}">'
    return _apply_cookies(_page("Opening the course", body, head=head), tool.cookies)


# --- deep linking ------------------------------------------------------------------------------------


def _picker(store: Any, course: Any, launch_id: str) -> HTMLResponse:
    pick = secrets.token_urlsafe(24)
    DatabaseCache(store).set(_PICK_PREFIX + pick, launch_id, 3600)
    options = "".join(
        f'<label><input type="radio" name="target" value="{escape(str(c.target))}" required> {escape(c.label)}</label>'
        for c in launches.choices(course)
    )
    body = (
        "<p>Choose what this link in your LMS course opens. Learners who follow it are signed in to the "
        "course and land there; the assessment's result goes to your gradebook.</p>"
        '<form method="post" action="/lti/deep-link">'
        f'<input type="hidden" name="pick" value="{escape(pick)}">'
        f"<fieldset><legend>Place in your course</legend>{options}</fieldset>"
        '<button type="submit">Add to my course</button></form>'
    )
    return _page("Add the course to your LMS", body)


async def deep_link(request: Request) -> Response:
    store = resources.store()
    lti_request = await _lti_request(request)
    target = Target.parse(lti_request.get_param("target"))
    course = resources.content().course
    if target is None or not target.exists_in(course):
        return _problem("Choose something to link", "Pick one of the listed items.", 400)
    cache = DatabaseCache(store)
    launch_id = cache.get(_PICK_PREFIX + lti_request.get_param("pick"))
    if not launch_id or not cache.take(_PICK_PREFIX + lti_request.get_param("pick")):
        return _problem("This choice has expired", "The page was open too long or was already used.", 400)
    tool = Tool(store, lti_request)
    choice = next(c for c in launches.choices(course) if c.target == target)
    resource = (
        DeepLinkResource()
        .set_url(launch_url(request))
        .set_title(choice.title)
        .set_custom_params({"target": str(target)})
        .set_target("window")
    )
    if target.kind == "assessment":
        resource.set_lineitem(
            LineItem()
            .set_tag(LINEITEM_TAG)
            .set_label(LINEITEM_LABEL)
            .set_score_maximum(100)
            .set_resource_id("summative")
        )

    def respond() -> tuple[str, str]:
        with tool:
            restored = tool.restore(str(launch_id))
            claims: dict[str, Any] = dict(restored.get_launch_data())
            settings: dict[str, Any] = claims.get(DEEP_LINKING_SETTINGS) or {}
            jwt = restored.get_deep_link().get_response_jwt([resource])
        return jwt, str(settings.get("deep_link_return_url", ""))

    try:
        jwt, return_url = await run_in_threadpool(respond)
    except LtiException as exc:
        return _problem("The choice could not be sent", f"The course could not answer your LMS: {exc}.", 400)
    if not return_url.startswith(("https://", "http://")):
        return _problem("The choice could not be sent", "Your LMS gave no usable address to send it to.", 400)
    nonce = secrets.token_urlsafe(16)
    body = (
        f"<p>Sending your choice ({escape(choice.label)}) back to your LMS.</p>"
        f'<form id="send" method="post" action="{escape(return_url)}">'
        f'<input type="hidden" name="JWT" value="{escape(jwt)}">'
        '<button type="submit">Continue</button></form>'
        f'<script nonce="{nonce}">document.getElementById("send").submit();</script>'
    )
    return _apply_cookies(_page("Adding to your course", body, nonce=nonce), tool.cookies)


# --- the tool's public keys ------------------------------------------------------------------------


async def jwks(_: Request) -> Response:
    keys = await run_in_threadpool(lambda: registry.jwks(resources.store(), now=utcnow()))
    return JSONResponse(keys, headers={"Cache-Control": "max-age=300"})


ROUTES = [
    Route("/lti/login", login, methods=["GET", "POST"]),
    Route("/lti/launch", launch, methods=["POST"]),
    Route("/lti/deep-link", deep_link, methods=["POST"]),
    Route("/lti/jwks", jwks, methods=["GET"]),
]
