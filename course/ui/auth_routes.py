"""HTTP routes served beside Streamlit by st.App: the session cookie and a health check.

A Streamlit widget cannot set an HttpOnly cookie, so sign-in finishes over HTTP: the sign-in page
issues a one-time handoff token (60 s, single use) and sends the browser to /auth/handoff, which
swaps it for a session token in an HttpOnly, SameSite=Lax cookie and redirects back into the app.

A session that stays yours (issue 16):

* Every browser gets its own random cookie (``rp_browser``, from :class:`BrowserCookie`) on its
  first request. A handoff is minted for the browser that asked for it (the sign-in page reads that
  cookie) and works only there: a link someone else opens is refused (login CSRF).
* A handoff never replaces a live session of another account without asking: the browser sees
  "You are signed in as A. Continue as B?" and only a same-origin POST from that page switches.
* Sign-out is a POST carrying a token derived from the session (and checked for a same-origin
  ``Origin``); a GET only shows the confirmation form (or clears a cookie whose session already ended).
* ``Secure`` is set on cookies when the request came over HTTPS, as told by a trusted proxy's
  ``X-Forwarded-Proto`` (``COURSE_TRUSTED_PROXIES``) or by a ``COURSE_PUBLIC_URL`` starting with
  ``https://`` (course.proxies).
"""

from __future__ import annotations

import hashlib
import hmac
from html import escape
from urllib.parse import urlsplit

from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from course import accounts, proxies
from course.clock import utcnow
from course.store.db import StoreWriteFailed
from course.ui import resources
from course.ui.browser_cookie import BROWSER_COOKIE, MIDDLEWARE, browser_of, is_https
from course.ui.email_routes import unsubscribe
from course.ui.lti_routes import ROUTES as LTI_ROUTES
from course.ui.verify_route import verify_certificate

SESSION_COOKIE = "rp_session"
SESSION_DAYS = 30


def safe_next(target: str | None) -> str:
    """Only same-site relative paths: never let `next` send a learner to another site."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the handoff token is in the URL
    response.headers["X-Frame-Options"] = "DENY"  # the confirmation forms must not be framed (clickjacking)
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
    )
    return response


_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5}"
    "button{font:inherit;padding:.5rem 1rem;margin:1rem 1rem 0 0}"
)


def _page(title: str, body: str, status: int = 200) -> Response:
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
        f'content="width=device-width"><title>{escape(title)}</title><style>{_STYLE}</style></head>'
        f"<body><h1>{escape(title)}</h1>{body}</body></html>"
    )
    return _no_store(HTMLResponse(html, status_code=status))


def same_origin(request: Request) -> bool:
    """A state-changing POST must come from one of our own pages (Origin, else Sec-Fetch-Site)."""
    origin = request.headers.get("origin")
    # A page served with "Referrer-Policy: no-referrer" (ours are: the handoff token is in the URL)
    # makes Chromium send "Origin: null" with its form POSTs (Fetch standard, "serializing a request
    # origin"); then the browser's own Sec-Fetch-Site, which a page cannot set, decides.
    if origin and origin != "null":
        allowed = {request.headers.get("host", "").lower()}
        public = proxies.load().public_url
        if public:
            allowed.add(urlsplit(public).netloc.lower())
        return urlsplit(origin).netloc.lower() in allowed
    return request.headers.get("sec-fetch-site") == "same-origin"


def _set_session(response: Response, request: Request, session_token: str) -> Response:
    response.set_cookie(
        SESSION_COOKIE,
        session_token,
        max_age=SESSION_DAYS * 24 * 3600,
        httponly=True,
        samesite="lax",
        secure=is_https(request),
        path="/",
    )
    return _no_store(response)


def _expired() -> Response:
    return _no_store(RedirectResponse("/signin?signin=expired", status_code=303))


def _other_browser() -> Response:
    return _page(
        "This sign-in link is not for this browser",
        "<p>The link was made for the browser where someone signed in, and works only there. "
        "Nobody has been signed in or out here.</p>"
        '<p><a href="/signin">Sign in here with your own account</a> · <a href="/">Go to the course</a></p>',
        status=403,
    )


async def handoff(request: Request) -> Response:
    token = request.query_params.get("token") or ""
    target = safe_next(request.query_params.get("next"))
    browser = browser_of(request)
    store = resources.store()
    now = utcnow()
    found = await run_in_threadpool(accounts.inspect_handoff, store, token, now=now, browser=browser)
    if found is None:
        return _expired()
    if found.bound and not found.this_browser:
        return _other_browser()
    current = request.cookies.get(SESSION_COOKIE)
    live = await run_in_threadpool(accounts.user_for_session, store, current, now=now) if current else None
    if found.bound and (live is None or live.id == found.user.id):
        session_token = await run_in_threadpool(
            accounts.redeem_handoff, store, token, now=now, browser=browser, replacing=current if live else None
        )
        if session_token is None:
            return _expired()
        return _set_session(RedirectResponse(target, status_code=303), request, session_token)
    # Someone else is signed in here, or the link was not made in this browser: ask first.
    if browser is None:
        return _other_browser()
    confirm = await run_in_threadpool(accounts.rebind_handoff, store, token, now=now, browser=browser)
    if confirm is None:
        return _expired()
    return _confirm_switch(found.user, live, confirm, target)


def _confirm_switch(new: accounts.User, live: accounts.User | None, token: str, target: str) -> Response:
    who = f"<strong>{escape(new.display_name)}</strong> ({escape(new.email)})"
    if live is not None:
        intro = (
            f"<p>This browser is signed in as <strong>{escape(live.display_name)}</strong> "
            f"({escape(live.email)}). The link you opened signs in as {who} instead.</p>"
            "<p>Only continue if you meant to change account: what you do next is saved to the account "
            "you choose.</p>"
        )
        stay = f"Stay signed in as {escape(live.display_name)}"
    else:
        intro = (
            f"<p>The link you opened signs this browser in as {who}.</p>"
            "<p>Only continue if this is your account: what you do next is saved to it.</p>"
        )
        stay = "Do not sign in"
    form = (
        '<form method="post" action="/auth/handoff">'
        f'<input type="hidden" name="token" value="{escape(token)}">'
        f'<input type="hidden" name="next" value="{escape(target)}">'
        f'<button type="submit">Continue as {escape(new.display_name)}</button>'
        f'<a href="/">{stay}</a></form>'
    )
    return _page("Change account?", intro + form)


async def handoff_confirmed(request: Request) -> Response:
    if not same_origin(request):
        return _page("Request refused", "<p>This form must be sent from the course's own page.</p>", 403)
    form = await request.form()
    token = str(form.get("token") or "")
    target = safe_next(str(form.get("next") or ""))
    browser = browser_of(request)
    if browser is None:
        return _other_browser()
    store = resources.store()
    now = utcnow()
    found = await run_in_threadpool(accounts.inspect_handoff, store, token, now=now, browser=browser)
    if found is None:
        return _expired()
    if not found.this_browser:
        return _other_browser()
    current = request.cookies.get(SESSION_COOKIE)
    session_token = await run_in_threadpool(
        accounts.redeem_handoff, store, token, now=now, browser=browser, replacing=current
    )
    if session_token is None:
        return _expired()
    return _set_session(RedirectResponse(target, status_code=303), request, session_token)


def sign_out_token(session_token: str) -> str:
    """The form token that proves a sign-out POST came from a page that could read this session's cookie."""
    return hashlib.sha256(b"rp-sign-out|" + session_token.encode("utf-8")).hexdigest()[:32]


def _signed_out() -> Response:
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return _no_store(response)


HEALTH_PROBE_SECONDS = 2.0


def _probe() -> None:
    store = resources.store()
    with store.read() as conn:
        conn.execute(text("SELECT 1"))
    store.probe_write(timeout_seconds=HEALTH_PROBE_SECONDS)  # a store that cannot take a write is not ready


async def sign_out(request: Request) -> Response:
    """GET: a confirmation form while the session is live; a session already ended just loses its cookie."""
    token = request.cookies.get(SESSION_COOKIE)
    live = await run_in_threadpool(accounts.user_for_session, resources.store(), token, now=utcnow()) if token else None
    if live is None or token is None:
        return _signed_out()
    form = (
        '<form method="post" action="/auth/signout">'
        f'<input type="hidden" name="csrf" value="{sign_out_token(token)}">'
        '<button type="submit">Sign out</button><a href="/">Stay signed in</a></form>'
    )
    return _page("Sign out?", f"<p>You are signed in as <strong>{escape(live.display_name)}</strong>.</p>{form}")


async def sign_out_confirmed(request: Request) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    form = await request.form()
    sent = str(form.get("csrf") or "")
    if not same_origin(request) or (token and not hmac.compare_digest(sent, sign_out_token(token))):
        return _page("Request refused", "<p>Sign out from the course's own page.</p>", 403)
    if token:
        await run_in_threadpool(accounts.end_session, resources.store(), token, now=utcnow())
    return _signed_out()


async def healthz(_: Request) -> Response:
    """Ready when the database answers and can take a write within HEALTH_PROBE_SECONDS (issue 16:
    a locked SQLite file, a read-only data folder or a full disk fail it). Streamlit's own
    /_stcore/health knows nothing of the database."""
    try:
        await run_in_threadpool(_probe)
    except StoreWriteFailed:
        return PlainTextResponse("database cannot take a write", status_code=503)
    except Exception as exc:  # any failure means not ready; say which kind, never the URL
        return PlainTextResponse(f"database unavailable: {type(exc).__name__}", status_code=503)
    return PlainTextResponse("ok")


__all__ = ["BROWSER_COOKIE", "MIDDLEWARE", "ROUTES", "SESSION_COOKIE", "safe_next", "sign_out_token"]

ROUTES = [
    Route("/auth/handoff", handoff, methods=["GET"]),
    Route("/auth/handoff", handoff_confirmed, methods=["POST"]),
    Route("/auth/signout", sign_out, methods=["GET"]),
    Route("/auth/signout", sign_out_confirmed, methods=["POST"]),
    Route("/healthz", healthz, methods=["GET"]),
    Route("/verify/{code}", verify_certificate, methods=["GET"]),
    Route("/email/unsubscribe", unsubscribe, methods=["GET", "POST"]),
    *LTI_ROUTES,
]
