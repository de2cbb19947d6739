"""Each browser's own random cookie, and whether a request came over HTTPS.

``rp_browser`` is set by :class:`BrowserCookie` on a browser's first request; handoffs are bound to
it (course.ui.auth_routes). HttpOnly, SameSite=Lax, ``Secure`` when the browser uses HTTPS.
"""

from __future__ import annotations

import secrets
from typing import Any

from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from course import proxies

BROWSER_COOKIE = "rp_browser"
BROWSER_DAYS = 400  # the longest lifetime browsers accept (RFC 6265bis)
_BROWSER_STATE = "rp_browser"


def is_https(request: Request) -> bool:
    """Whether the browser used HTTPS (directly, via a trusted proxy, or as COURSE_PUBLIC_URL says)."""
    peer = request.client.host if request.client else None
    return proxies.load().is_https(request.url.scheme, peer, request.headers)


def _valid_browser(value: str | None) -> bool:
    return bool(value) and 20 <= len(value or "") <= 64 and all(c.isalnum() or c in "-_" for c in value or "")


class BrowserCookie:
    """ASGI middleware: give every browser its own random ``rp_browser`` cookie on its first request.

    The value is what handoffs are bound to. A request without (a well-formed) one gets a fresh
    value, which the route handling it sees at once as ``browser_of(request)``.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        existing = request.cookies.get(BROWSER_COOKIE)
        if _valid_browser(existing):
            scope.setdefault("state", {})[_BROWSER_STATE] = existing
            await self.app(scope, receive, send)
            return
        value = secrets.token_urlsafe(32)
        scope.setdefault("state", {})[_BROWSER_STATE] = value
        cookie = Response()
        cookie.set_cookie(
            BROWSER_COOKIE,
            value,
            max_age=BROWSER_DAYS * 24 * 3600,
            httponly=True,
            samesite="lax",
            secure=is_https(request),
            path="/",
        )
        header = next(v for k, v in cookie.raw_headers if k == b"set-cookie")

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", header)]}
            await send(message)

        await self.app(scope, receive, send_with_cookie)


MIDDLEWARE = [Middleware(BrowserCookie)]


def browser_of(request: Request) -> str | None:
    """The asking browser's ``rp_browser`` value (fresh from :class:`BrowserCookie` on a first request)."""
    state: Any = request.scope.get("state", {})
    value = state.get(_BROWSER_STATE) if isinstance(state, dict) else None
    if isinstance(value, str):
        return value
    cookie = request.cookies.get(BROWSER_COOKIE)
    return cookie if _valid_browser(cookie) else None
