"""GET /verify/{code}: confirms a genuine certificate (name, course, date only); 404 for anything else."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import update
from starlette.applications import Starlette
from starlette.testclient import TestClient

from course import certificates
from course.accounts import User
from course.clock import utcnow
from course.store.db import Store
from course.store.models import CertificateRow
from course.ui.auth_routes import ROUTES
from tests.cpd.helpers import COURSE, complete_course

MakeUser = Callable[..., User]


def test_a_genuine_code_shows_name_course_and_date_escaped(app_store: Store, make_user: MakeUser) -> None:
    learner = make_user(name="<script>alert('x')</script> O'Neil & Co")
    complete_course(app_store, learner, utcnow())
    cert = certificates.issue(app_store, learner, COURSE, now=utcnow())
    client = TestClient(Starlette(routes=ROUTES))
    for code in (cert.code, cert.display_code, cert.display_code.lower()):
        response = client.get(f"/verify/{code}")
        assert response.status_code == 200, code
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["cache-control"] == "no-store"
        assert "default-src 'none'" in response.headers["content-security-policy"]
    body = response.text
    assert "Certificate verified" in body and certificates.COURSE_TITLE in body
    assert f"{cert.issued_at:%d %B %Y}" in body
    assert "<script>" not in body and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; O&#x27;Neil &amp; Co" in body
    # Nothing else about the learner: no email, no hours, no code echoed back.
    assert "learner@example.org" not in body and cert.code not in body and "hours" not in body


def test_unknown_malformed_and_revoked_codes_are_a_plain_404(app_store: Store, make_user: MakeUser) -> None:
    learner = make_user()
    complete_course(app_store, learner, utcnow())
    cert = certificates.issue(app_store, learner, COURSE, now=utcnow())
    client = TestClient(Starlette(routes=ROUTES))
    with app_store.write() as conn:
        conn.execute(update(CertificateRow).where(CertificateRow.id == cert.id).values(revoked_at=utcnow()))
    for code in (cert.code, "A" * 24, "<b>x<b>", "x" * 400, "%00"):
        response = client.get(f"/verify/{code}")
        assert response.status_code == 404, code
        assert response.text == "Certificate not found."
        assert response.headers["content-type"].startswith("text/plain")
