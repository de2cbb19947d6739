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
from course.ui.auth_routes import BROWSER_COOKIE, MIDDLEWARE, ROUTES, SESSION_COOKIE, safe_next, sign_out_token

MakeUser = Callable[..., User]


ORIGIN = "https://course.example.org"


def browser(base_url: str = ORIGIN, peer: str = "192.0.2.1") -> TestClient:
    """A browser of its own: the app's routes and middleware, its own cookie jar."""
    app = Starlette(routes=ROUTES, middleware=MIDDLEWARE)
    return TestClient(app, base_url=base_url, follow_redirects=False, client=(peer, 50000))


def first_visit(client: TestClient) -> str:
    """Load a page as a browser does first; the middleware gives it its rp_browser cookie."""
    client.get("/healthz")
    value = client.cookies.get(BROWSER_COOKIE)
    assert value
    return value


@pytest.fixture
def client(app_store: Store) -> TestClient:
    return browser()


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
    handoff = accounts.issue_handoff(app_store, user.id, now=utcnow(), browser=first_visit(client))
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
    response = client.post("/auth/signout", data={"csrf": sign_out_token(token)}, headers={"Origin": ORIGIN})
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


# --- a session that stays yours (issue 16) ----------------------------------------------------------


def test_a_handoff_link_opened_in_another_browser_signs_nobody_in(app_store: Store, make_user: MakeUser) -> None:
    """Login CSRF: Mallory signs in, keeps her handoff link and sends it to Lee, who is signed in."""
    mallory = make_user(email="mallory@example.org", name="Mallory")
    lee = make_user(email="lee@example.org", name="Lee")
    hers, his = browser(), browser()
    link = accounts.issue_handoff(app_store, mallory.id, now=utcnow(), browser=first_visit(hers))
    first_visit(his)
    lees_session = accounts.start_session(app_store, lee.id, now=utcnow())
    his.cookies.set(SESSION_COOKIE, lees_session)

    response = his.get("/auth/handoff", params={"token": link, "next": "/"})
    assert response.status_code == 403
    assert "not for this browser" in response.text
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert accounts.user_for_session(app_store, lees_session, now=utcnow()) == lee
    # Not used up: it still works in the browser it was made for.
    assert hers.get("/auth/handoff", params={"token": link}).status_code == 303


def test_a_signed_out_browser_cannot_use_a_link_made_elsewhere(app_store: Store, make_user: MakeUser) -> None:
    mallory = make_user(email="mallory@example.org", name="Mallory")
    link = accounts.issue_handoff(app_store, mallory.id, now=utcnow(), browser=first_visit(browser()))
    fresh = browser()  # no cookie at all yet
    response = fresh.get("/auth/handoff", params={"token": link})
    assert response.status_code == 403
    assert SESSION_COOKIE not in fresh.cookies


def test_a_live_session_is_never_replaced_without_asking(app_store: Store, make_user: MakeUser) -> None:
    lee = make_user(email="lee@example.org", name="Lee")
    other = make_user(email="other@example.org", name="Olu Other")
    tab = browser()
    mine = first_visit(tab)
    lees_session = accounts.start_session(app_store, lee.id, now=utcnow())
    tab.cookies.set(SESSION_COOKIE, lees_session)
    link = accounts.issue_handoff(app_store, other.id, now=utcnow(), browser=mine)  # e.g. an LMS launch

    page = tab.get("/auth/handoff", params={"token": link, "next": "/modules"})
    assert page.status_code == 200
    assert "signed in as <strong>Lee</strong>" in page.text and "Continue as Olu Other" in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert SESSION_COOKIE not in page.headers.get("set-cookie", "")
    assert accounts.user_for_session(app_store, lees_session, now=utcnow()) == lee
    confirm = page.text.split('name="token" value="')[1].split('"')[0]
    assert confirm != link

    # A cross-site page cannot press the button for Lee.
    forged = tab.post("/auth/handoff", data={"token": confirm, "next": "/"}, headers={"Origin": "https://evil.example"})
    assert forged.status_code == 403
    assert accounts.user_for_session(app_store, lees_session, now=utcnow()) == lee
    # Nor can the confirmation be passed to another browser.
    elsewhere = browser()
    first_visit(elsewhere)
    assert elsewhere.post("/auth/handoff", data={"token": confirm}, headers={"Origin": ORIGIN}).status_code == 403

    switched = tab.post("/auth/handoff", data={"token": confirm, "next": "/modules"}, headers={"Origin": ORIGIN})
    assert switched.status_code == 303 and switched.headers["location"] == "/modules"
    assert accounts.user_for_session(app_store, switched.cookies[SESSION_COOKIE], now=utcnow()) == other
    assert accounts.user_for_session(app_store, lees_session, now=utcnow()) is None  # the old session ended


def test_an_unbound_handoff_asks_before_signing_in(app_store: Store, make_user: MakeUser) -> None:
    """An LMS launch inside a frame mints an unbound handoff: the new window must confirm first."""
    lee = make_user(email="lee@example.org", name="Lee")
    link = accounts.issue_handoff(app_store, lee.id, now=utcnow(), browser=None)
    window = browser()
    page = window.get("/auth/handoff", params={"token": link})
    assert page.status_code == 200 and "signs this browser in as <strong>Lee</strong>" in page.text
    assert SESSION_COOKIE not in window.cookies
    assert window.get("/auth/handoff", params={"token": link}).headers["location"] == "/signin?signin=expired"


def test_sign_out_by_get_only_asks(client: TestClient, app_store: Store, make_user: MakeUser) -> None:
    user = make_user()
    token = accounts.start_session(app_store, user.id, now=utcnow())
    client.cookies.set(SESSION_COOKIE, token)
    page = client.get("/auth/signout")  # e.g. an <img src> on another site
    assert page.status_code == 200 and "Sign out?" in page.text
    assert accounts.user_for_session(app_store, token, now=utcnow()) == user
    assert sign_out_token(token) in page.text


@pytest.mark.parametrize(
    ("data", "headers"),
    [
        ({}, {"Origin": ORIGIN}),  # no token
        ({"csrf": "0" * 32}, {"Origin": ORIGIN}),  # a guessed token
        ({"csrf": "from-the-page"}, {"Origin": "https://evil.example"}),  # the right token, cross-site
        ({"csrf": "from-the-page"}, {}),  # no Origin and no Sec-Fetch-Site
    ],
)
def test_sign_out_post_needs_the_token_and_our_origin(
    client: TestClient, app_store: Store, make_user: MakeUser, data: dict[str, str], headers: dict[str, str]
) -> None:
    user = make_user()
    token = accounts.start_session(app_store, user.id, now=utcnow())
    client.cookies.set(SESSION_COOKIE, token)
    sent = {k: (sign_out_token(token) if v == "from-the-page" else v) for k, v in data.items()}
    assert client.post("/auth/signout", data=sent, headers=headers).status_code == 403
    assert accounts.user_for_session(app_store, token, now=utcnow()) == user


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Origin": "null", "Sec-Fetch-Site": "same-origin"}, 303),  # what Chromium sends from our page
        ({"Origin": "null", "Sec-Fetch-Site": "cross-site"}, 403),
        ({"Origin": "null"}, 403),
    ],
)
def test_sign_out_from_our_no_referrer_page_sends_origin_null_and_is_judged_by_sec_fetch_site(
    client: TestClient, app_store: Store, make_user: MakeUser, headers: dict[str, str], status: int
) -> None:
    """Our pages say "Referrer-Policy: no-referrer", so Chromium's form POST carries "Origin: null":
    the confirm page's own Sign out button was refused ("Request refused") before this was judged by
    Sec-Fetch-Site."""
    user = make_user()
    token = accounts.start_session(app_store, user.id, now=utcnow())
    client.cookies.set(SESSION_COOKIE, token)
    response = client.post(
        "/auth/signout", data={"csrf": sign_out_token(token)}, headers=headers, follow_redirects=False
    )
    assert response.status_code == status
    assert (accounts.user_for_session(app_store, token, now=utcnow()) is None) is (status == 303)


def test_sign_out_after_the_session_ended_just_clears_the_cookie(client: TestClient, app_store: Store) -> None:
    client.cookies.set(SESSION_COOKIE, "an-ended-session")
    response = client.get("/auth/signout")  # where the sidebar's Sign out button sends the browser
    assert response.status_code == 303 and f'{SESSION_COOKIE}=""' in response.headers["set-cookie"]


@pytest.mark.parametrize(
    ("trusted", "peer", "public_url", "secure"),
    [
        ("", "10.0.0.5", "", False),  # forwarded headers believed from nobody by default
        ("10.0.0.0/8", "203.0.113.9", "", False),  # a stranger cannot claim HTTPS
        ("10.0.0.0/8", "10.0.0.5", "", True),  # our proxy says the browser used HTTPS
        ("", "10.0.0.5", "https://course.example.org", True),  # the site is public over HTTPS
    ],
)
def test_cookies_are_secure_behind_a_trusted_tls_proxy(
    app_store: Store,
    make_user: MakeUser,
    monkeypatch: pytest.MonkeyPatch,
    trusted: str,
    peer: str,
    public_url: str,
    secure: bool,
) -> None:
    monkeypatch.setenv("COURSE_TRUSTED_PROXIES", trusted)
    monkeypatch.setenv("COURSE_PUBLIC_URL", public_url)
    proxied = browser("http://course.example.org", peer=peer)  # the proxy talks plain HTTP to the app
    proxied.headers["X-Forwarded-Proto"] = "https"
    first = proxied.get("/healthz")
    assert ("Secure" in first.headers["set-cookie"]) is secure
    mine = first.cookies[BROWSER_COOKIE]
    proxied.cookies.clear()
    proxied.cookies.set(BROWSER_COOKIE, mine)  # the browser sends it back (over HTTPS, to the proxy)
    user = make_user()
    link = accounts.issue_handoff(app_store, user.id, now=utcnow(), browser=mine)
    response = proxied.get("/auth/handoff", params={"token": link})
    assert response.status_code == 303
    assert ("Secure" in response.headers["set-cookie"]) is secure
