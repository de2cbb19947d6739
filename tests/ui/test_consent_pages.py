"""Issue 16 through the pages and routes where the faults were seen: the Account page's cohorts
(accept an invitation, leave), person-typed text shown as text, /healthz under a locked store, and
an assessment answer that could not be saved."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.testclient import TestClient

from course import cohorts
from course.accounts import Role, User
from course.clock import utcnow
from course.store.db import Store
from course.ui.auth_routes import ROUTES
from tests.smtp import body
from tests.ui.conftest import signed_in, texts

MakeUser = Callable[..., User]
HOSTILE = "[o](https://ex.net/x) ![i](https://ex.net/p.png) www.ex.net :red[x]"


def _no_live_markdown(shown: str) -> None:
    """What Streamlit would parse as Markdown holds no link, image, autolink or directive."""
    for live in ("](", "![", "www.ex", "https://", ":red["):
        assert live not in shown, shown


def test_a_learner_accepts_an_invitation_and_leaves_on_the_account_page(app_store: Store, make_user: MakeUser) -> None:
    tess = make_user(Role.EDUCATOR, email="tess@example.org", name=HOSTILE)
    ann = make_user(email="ann@example.org", name="Ann")
    cohort = cohorts.create_cohort(app_store, tess, HOSTILE, now=utcnow())
    cohorts.invite(app_store, tess, cohort.id, "ann@example.org", now=utcnow())

    at = signed_in(app_store, ann, "course/ui/pages/account.py")
    assert not at.exception
    offer = [m.value for m in at.markdown if "invites you" in m.value]
    assert offer, texts(at.markdown)
    _no_live_markdown(offer[0])
    at.button(key=f"accept-{cohort.id}").click().run()
    assert not at.exception
    assert [m.user_id for m in cohorts.members(app_store, tess, cohort.id)] == [ann.id]
    flash = [s.value for s in at.success]
    assert flash and flash[0].startswith("You joined")
    _no_live_markdown(flash[0])

    at.button(key=f"leave-{cohort.id}").click().run()
    assert not at.exception
    assert cohorts.members(app_store, tess, cohort.id) == []
    left = [s.value for s in at.success]
    assert left and left[0].startswith("You left")
    _no_live_markdown(left[0])


def test_the_educator_invites_by_exact_email_and_lists_no_accounts(app_store: Store, make_user: MakeUser) -> None:
    tess = make_user(Role.EDUCATOR, email="tess@example.org", name="Tess")
    make_user(email="anna@example.org", name="Anna Secret")
    cohorts.create_cohort(app_store, tess, "G", now=utcnow())
    at = signed_in(app_store, tess, "course/ui/pages/cohorts.py")
    assert not at.exception
    assert not [t for t in at.text_input if t.key == "find-learner"]  # no search over accounts
    at.text_input(key="invite-email").input("an")
    at.button[[b.label for b in at.button].index("Send invitation")].click().run()
    assert [e.value for e in at.error] and "Anna Secret" not in str(at.main)
    for address in ("anna@example.org", "nobody@example.org"):
        at.text_input(key="invite-email").input(address)
        at.button[[b.label for b in at.button].index("Send invitation")].click().run()
        assert not at.exception and at.success[0].value.startswith("Invitation recorded")
    assert "Anna Secret" not in str(at.main)


def test_health_fails_while_another_process_holds_the_sqlite_write_lock(app_store: Store, tmp_path: Path) -> None:
    client = TestClient(Starlette(routes=ROUTES))
    assert client.get("/healthz").text == "ok"
    database = str(app_store.engine.url.database)
    other = sqlite3.connect(database, isolation_level=None)  # "another process" holding the lock
    try:
        other.execute("BEGIN IMMEDIATE")
        response = client.get("/healthz")
        assert response.status_code == 503 and response.text == "database cannot take a write"
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert client.get("/healthz").text == "ok"


def test_an_invitation_is_emailed_when_smtp_is_configured(app_store: Store, make_user: MakeUser, smtp: Any) -> None:
    tess = make_user(Role.EDUCATOR, email="tess@example.org", name="Tess")
    cohorts.create_cohort(app_store, tess, "Spring group", now=utcnow())
    at = signed_in(app_store, tess, "course/ui/pages/cohorts.py")
    at.text_input(key="invite-email").input("New.Person@Example.org")
    at.button[[b.label for b in at.button].index("Send invitation")].click().run()
    assert not at.exception and at.success[0].value.startswith("Invitation recorded")
    [message] = smtp.wait_for("new.person@example.org")
    text = body(message)
    assert "Spring group" in text and "https://course.example.org/account" in text
