"""/email/unsubscribe: the link at the foot of every reminder.

GET shows what the link stops and a button; POST (the button, or a mail client's RFC 8058
one-click request) turns that kind of email off. A GET never changes anything, because mail
scanners open links. The token is opaque (only its SHA-256 is stored) and stops one kind of email
for one person; an unknown token gets the same page as an expired one.
"""

from __future__ import annotations

from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from course import reminders
from course.clock import utcnow
from course.ui import resources

_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the token is in the URL
    "X-Robots-Tag": "noindex",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
    ),
}

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5}}
button{{font-size:1rem;padding:.5rem 1rem}}</style></head>
<body><h1>{title}</h1>{body}
<p><a href="/account">Email settings on your Account page</a></p></body></html>
"""


def _page(title: str, body: str, status: int = 200) -> Response:
    return HTMLResponse(_PAGE.format(title=escape(title), body=body), status_code=status, headers=_HEADERS)


async def unsubscribe(request: Request) -> Response:
    token = request.query_params.get("token", "")
    store = resources.store()
    if request.method == "POST":
        kind = reminders.unsubscribe(store, token, now=utcnow())
        if kind is None:
            return _page("Link not recognised", "<p>This unsubscribe link is not valid.</p>", 404)
        label = escape(reminders.KIND_LABELS[kind].lower())
        return _page("You are unsubscribed", f"<p>You will no longer receive {label}.</p>")
    kind = reminders.token_kind(store, token)
    if kind is None:
        return _page("Link not recognised", "<p>This unsubscribe link is not valid.</p>", 404)
    label = escape(reminders.KIND_LABELS[kind].lower())
    form = (
        f"<p>Stop receiving {label}?</p>"
        f'<form method="post" action="/email/unsubscribe?token={escape(token, quote=True)}">'
        '<button type="submit">Unsubscribe</button></form>'
    )
    return _page("Unsubscribe", form)
