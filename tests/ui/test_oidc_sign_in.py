"""Single sign-on (st.login) identities the course cannot take: say why, and offer a way back.

Before issue 17, an identity whose email belonged to a local account raised out of the page
script on every load (Streamlit's redacted error page; the only way out was typing /auth/logout),
and an identity without an email claim silently showed the sign-in page again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from streamlit.testing.v1 import AppTest

from course.accounts import Role, User
from course.store.db import Store
from tests.ui.conftest import APP, texts

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a cookie secret for the tests only",
    "client_id": "course",
    "client_secret": "secret",
    "server_metadata_url": "http://localhost:9400/.well-known/openid-configuration",
}
MAPPING = {"role_claim": "groups", "educator_values": ["educators"], "admin_values": ["course-admins"]}


def _with_identity(claims: dict[str, Any]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets["auth"] = AUTH
    at.secrets["course_oidc"] = MAPPING
    at.user = {"is_logged_in": True, "iss": "http://localhost:9400", **claims}
    at.run()
    return at


def test_an_email_that_belongs_to_a_local_account_shows_why_and_a_way_back(
    app_store: Store, make_user: Callable[..., User]
) -> None:
    make_user(email="lena@example.org", name="Lena Local")
    at = _with_identity({"sub": "someone-else", "email": "Lena@Example.org", "name": "Lena at the provider"})
    assert not at.exception
    assert any("An account with this email already exists" in text for text in texts(at.error))
    assert [b.label for b in at.button if "Sign out of" in b.label] == ["Sign out of your organisation's sign-in"]
    assert "Sign in with your organisation" not in [b.label for b in at.button]
    # The password form is still there, so the owner of the local account can sign in with it.
    assert any(t.label == "Email" for t in at.text_input)


def test_an_identity_without_an_email_is_told_why(app_store: Store) -> None:
    at = _with_identity({"sub": "no-email-person", "name": "No Email"})
    assert not at.exception
    assert any("did not share an email address" in text for text in texts(at.error))
    assert any("Sign out of" in b.label for b in at.button)


def test_an_identity_without_a_subject_is_told_why(app_store: Store) -> None:
    at = _with_identity({"email": "who@example.org"})
    assert not at.exception
    assert any("did not say who you are" in text for text in texts(at.error))


def test_a_good_identity_signs_in_with_its_mapped_role(app_store: Store) -> None:
    at = _with_identity({"sub": "ed-1", "email": "ed@example.org", "name": "Ed Educator", "groups": ["educators"]})
    assert not at.exception and not at.error
    captions = " ".join(str(c.value) for c in at.sidebar.caption)
    assert "Ed Educator" in captions and f"({Role.EDUCATOR.value})" in captions
