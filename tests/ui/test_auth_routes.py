"""The st.App routes: the cookie handoff, sign-out and the health check, over real HTTP requests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from course import accounts
from course.accounts import User
from course.clock import utcnow
from course.store.db import Store
from course.ui.auth_routes import ROUTES, SESSION_COOKIE, safe_next

MakeUser = Callable[..., User]


@pytest.fixture
def client(app_store: Store) -> TestClient:
    return TestClient(Starlette(routes=ROUTES), base_url="https://course.example.org", follow_redirects=False)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/modules?id=containment", "/modules?id=containment"),
        (None, "/"),
        ("", "/"),
        ("https://evil.example/", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("modules", "/"),
    ],
)
def test_next_only_allows_local_paths(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_handoff_sets_a_hardened_cookie_once(client: TestClient, app_store: Store, make_user: MakeUser) -> None:
    user = make_user()
    handoff = accounts.issue_handoff(app_store, user.id, now=utcnow())
    response = client.get("/auth/handoff", params={"token": handoff, "next": "/modules?id=first"})
    assert response.status_code == 303
    assert response.headers["location"] == "/modules?id=first"
    cookie = response.headers["set-cookie"]
    for flag in ("HttpOnly", "SameSite=lax", "Secure", "Path=/", "Max-Age=2592000"):
        assert flag in cookie
    assert response.headers["cache-control"] == "no-store"
    token = response.cookies[SESSION_COOKIE]
    assert accounts.user_for_session(app_store, token, now=utcnow()) == user
    again = client.get("/auth/handoff", params={"token": handoff})
    assert again.headers["location"] == "/signin?signin=expired"
    assert "set-cookie" not in again.headers


def test_handoff_refuses_unknown_tokens_and_foreign_next(client: TestClient, app_store: Store) -> None:
    response = client.get("/auth/handoff", params={"token": "forged", "next": "https://evil.example"})
    assert response.headers["location"] == "/signin?signin=expired"


def test_sign_out_revokes_the_session_and_clears_the_cookie(
    client: TestClient, app_store: Store, make_user: MakeUser
) -> None:
    user = make_user()
    token = accounts.start_session(app_store, user.id, now=utcnow())
    client.cookies.set(SESSION_COOKIE, token)
    response = client.get("/auth/signout")
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert f'{SESSION_COOKIE}=""' in response.headers["set-cookie"]
    assert accounts.user_for_session(app_store, token, now=utcnow()) is None


def test_health_reports_the_database(client: TestClient) -> None:
    assert client.get("/healthz").text == "ok"


def test_health_fails_clearly_without_a_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://postgres:s3cret@127.0.0.1:1/nowhere")
    response = TestClient(Starlette(routes=ROUTES)).get("/healthz")
    assert response.status_code == 503
    assert response.text == "database unavailable: StoreUnavailable"
