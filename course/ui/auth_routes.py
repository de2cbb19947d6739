"""HTTP routes served beside Streamlit by st.App: the session cookie and a health check.

A Streamlit widget cannot set an HttpOnly cookie, so sign-in finishes over HTTP: the sign-in page
issues a one-time handoff token (60 s, single use) and sends the browser to /auth/handoff, which
swaps it for a session token in an HttpOnly, SameSite=Lax cookie and redirects back into the app.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from course import accounts
from course.clock import utcnow
from course.store.db import StoreWriteFailed
from course.ui import resources
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
    return response


async def handoff(request: Request) -> Response:
    token = request.query_params.get("token")
    target = safe_next(request.query_params.get("next"))
    session_token = accounts.redeem_handoff(resources.store(), token or "", now=utcnow()) if token else None
    if session_token is None:
        return _no_store(RedirectResponse("/signin?signin=expired", status_code=303))
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session_token,
        max_age=SESSION_DAYS * 24 * 3600,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return _no_store(response)


async def sign_out(request: Request) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        accounts.end_session(resources.store(), token, now=utcnow())
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return _no_store(response)


HEALTH_PROBE_SECONDS = 2.0


def _probe() -> None:
    store = resources.store()
    with store.read() as conn:
        conn.execute(text("SELECT 1"))
    store.probe_write(timeout_seconds=HEALTH_PROBE_SECONDS)  # a store that cannot take a write is not ready


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


ROUTES = [
    Route("/auth/handoff", handoff, methods=["GET"]),
    Route("/auth/signout", sign_out, methods=["GET"]),
    Route("/healthz", healthz, methods=["GET"]),
    Route("/verify/{code}", verify_certificate, methods=["GET"]),
    Route("/email/unsubscribe", unsubscribe, methods=["GET", "POST"]),
    *LTI_ROUTES,
]
