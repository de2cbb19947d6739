"""GET /verify/{code}: the public check that a certificate is genuine.

Anyone holding a certificate (an appraiser, an employer) can open the address printed on it. The
page confirms the learner's name, the course and the date, and nothing else; an unknown, revoked
or malformed code, or a closed account, gets the same plain 404. Everything shown is escaped.
"""

from __future__ import annotations

from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from course import certificates, formatting
from course.ui import resources

_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the code is in the URL
    "X-Robots-Tag": "noindex",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
}

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Certificate verified</title>
<style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5}}
.ok{{color:#1b5e20}}</style></head>
<body><h1 class="ok">Certificate verified</h1>
<p>This is a genuine certificate issued by the Relational Prescribing course.</p>
<dl><dt>Issued to</dt><dd>{name}</dd><dt>Course</dt><dd>{course}</dd><dt>Date of issue</dt><dd>{date}</dd></dl>
</body></html>
"""


def not_found() -> Response:
    return PlainTextResponse("Certificate not found.", status_code=404, headers=_HEADERS)


async def verify_certificate(request: Request) -> Response:
    found = certificates.verify(resources.store(), str(request.path_params.get("code", "")))
    if found is None:
        return not_found()
    page = _PAGE.format(
        name=escape(found.learner_name),
        course=escape(found.course_title),
        date=escape(formatting.format_long_date(found.issued_at, formatting.zone_or_utc(found.time_zone))),
    )
    return HTMLResponse(page, headers=_HEADERS)
