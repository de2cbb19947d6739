"""The authorization matrix for the session routes: every role x sign-out and handoff requests that
did not come from the person's own page (issue 16: login CSRF, GET sign-out).

For each role (and signed out), a browser with that role's live session receives: a GET to
/auth/signout (an <img> on another site), a sign-out POST from another origin or without the
token, a handoff link minted in another browser for every other account, and a handoff for
another account minted in this browser (an LMS launch). None of them may end or replace the
session; the last one asks first.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from course import accounts
from course.accounts import Role, User
from course.clock import utcnow
from course.store.db import Store
from course.ui.auth_routes import BROWSER_COOKIE, MIDDLEWARE, ROUTES, SESSION_COOKIE, sign_out_token

MakeUser = Callable[..., User]
ORIGIN = "https://course.example.org"
ROLES: tuple[Role | None, ...] = (None, Role.LEARNER, Role.EDUCATOR, Role.ADMIN)


def new_browser() -> TestClient:
    client = TestClient(Starlette(routes=ROUTES, middleware=MIDDLEWARE), base_url=ORIGIN, follow_redirects=False)
    client.get("/healthz")  # the first visit sets rp_browser
    return client


@pytest.fixture
def people(app_store: Store, make_user: MakeUser) -> dict[Role, User]:
    return {role: make_user(role=role, email=f"{role.value}@example.org", name=f"The {role.value}") for role in Role}


def session_of(store: Store, client: TestClient) -> User | None:
    token = client.cookies.get(SESSION_COOKIE)
    return accounts.user_for_session(store, token, now=utcnow()) if token else None


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "signed-out")
def test_no_foreign_request_ends_or_replaces_a_session(
    app_store: Store, people: dict[Role, User], role: Role | None
) -> None:
    mine = new_browser()
    me = people[role] if role else None
    if me is not None:
        mine.cookies.set(SESSION_COOKIE, accounts.start_session(app_store, me.id, now=utcnow()))
    token = mine.cookies.get(SESSION_COOKIE) or ""

    assert mine.get("/auth/signout").status_code in (200, 303)
    for data, headers in (
        ({"csrf": sign_out_token(token)}, {"Origin": "https://evil.example"}),
        ({"csrf": "guess"}, {"Origin": ORIGIN}),
        ({"csrf": sign_out_token(token)}, {"Sec-Fetch-Site": "cross-site"}),
    ):
        if me is not None:
            assert mine.post("/auth/signout", data=data, headers=headers).status_code == 403
        assert session_of(app_store, mine) == me

    elsewhere = new_browser()
    for other in people.values():
        link = accounts.issue_handoff(app_store, other.id, now=utcnow(), browser=elsewhere.cookies[BROWSER_COOKIE])
        assert mine.get("/auth/handoff", params={"token": link}).status_code == 403
        assert session_of(app_store, mine) == me
        confirm = mine.post("/auth/handoff", data={"token": link}, headers={"Origin": ORIGIN})
        assert confirm.status_code == 403
        assert session_of(app_store, mine) == me

    for other in people.values():
        if other == me:
            continue
        link = accounts.issue_handoff(app_store, other.id, now=utcnow(), browser=mine.cookies[BROWSER_COOKIE])
        page = mine.get("/auth/handoff", params={"token": link})
        if me is None:
            assert page.status_code == 303  # nobody to replace: signed straight in, as the form does
            mine.cookies.delete(SESSION_COOKIE)
        else:
            assert page.status_code == 200 and "Change account?" in page.text
            assert session_of(app_store, mine) == me
