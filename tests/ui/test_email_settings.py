"""Email choices: the Account page toggles and the one-click unsubscribe route."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from starlette.applications import Starlette
from starlette.testclient import TestClient

from course import cohorts, mail, reminders
from course.accounts import Role, User
from course.clock import utcnow
from course.store.db import Store
from course.ui.auth_routes import ROUTES
from tests.cpd.helpers import COURSE
from tests.ui.conftest import signed_in, texts

MakeUser = Callable[..., User]
ACCOUNT = "course/ui/pages/account.py"


def test_the_account_page_offers_each_kind_of_email_for_the_role(app_store: Store, make_user: MakeUser) -> None:
    learner = make_user()
    at = signed_in(app_store, learner, ACCOUNT)
    assert [t.label for t in at.toggle] == [reminders.KIND_LABELS[reminders.LEARNER_DUE]]
    assert "does not send email" in "\n".join(texts(at.caption))
    at.toggle[0].set_value(False).run()
    assert not at.exception
    assert reminders.preferences(app_store, learner)[reminders.LEARNER_DUE] is False
    educator = make_user(Role.EDUCATOR, "ed@example.org", "Ed")
    assert len(signed_in(app_store, educator, ACCOUNT).toggle) == 2


def _token(store: Store, ed: User, learner: User) -> str:
    now = utcnow()
    group = cohorts.create_cohort(store, ed, "G", now=now)
    cohorts.join_by_code(store, learner, group.invite_code, now=now)
    cohorts.assign(store, ed, group.id, "module", "first", now + timedelta(days=1), now=now)
    sent: list[str] = []
    settings = mail.SmtpSettings(host="m.invalid", sender="c@example.org", public_url="https://c.example.org")
    reminders.send_reminders(
        store, COURSE, settings, now=now, sender=lambda _s, m: sent.append(m["List-Unsubscribe"].strip("<>"))
    )
    return sent[0].split("token=")[1]


def test_unsubscribe_asks_on_get_and_acts_only_on_post(app_store: Store, make_user: MakeUser) -> None:
    learner = make_user()
    token = _token(app_store, make_user(Role.EDUCATOR, "ed@example.org", "Ed"), learner)
    client = TestClient(Starlette(routes=ROUTES), base_url="https://c.example.org")
    page = client.get("/email/unsubscribe", params={"token": token})
    assert page.status_code == 200 and "Stop receiving reminders before an assignment is due?" in page.text
    assert (
        page.headers["referrer-policy"] == "no-referrer"
        and "form-action 'self'" in page.headers["content-security-policy"]
    )
    assert reminders.preferences(app_store, learner)[reminders.LEARNER_DUE] is True  # a GET changes nothing
    done = client.post("/email/unsubscribe", params={"token": token}, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "You are unsubscribed" in done.text
    assert reminders.preferences(app_store, learner)[reminders.LEARNER_DUE] is False
    for bad in ("forged", "", "<script>alert(1)</script>"):
        refused = client.post("/email/unsubscribe", params={"token": bad})
        assert refused.status_code == 404 and "<script>" not in refused.text
        assert client.get("/email/unsubscribe", params={"token": bad}).status_code == 404
