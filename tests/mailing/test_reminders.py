"""Assignment reminders: sent when due, to the right people, never twice, with a working unsubscribe."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from course import cohorts, mail, play, reminders
from course.accounts import Role
from course.store.db import Store
from course.vignette import CONTINUE
from tests.cpd.helpers import COURSE, cohort, person

SETTINGS = mail.SmtpSettings(host="mail.invalid", sender="course@example.org", public_url="https://course.example.org")


class Outbox:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[EmailMessage] = []
        self.fail = fail
        self.lock = threading.Lock()

    def __call__(self, _settings: mail.SmtpSettings, message: EmailMessage) -> None:
        if self.fail:
            raise mail.EmailFailed("the server is down")
        with self.lock:
            self.sent.append(message)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.sent if m["To"] == address]


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


@pytest.fixture
def world(store: Store, now: datetime) -> dict[str, object]:
    ed = person(store, now, "ed@example.org", Role.EDUCATOR, name="Ed Educator")
    lee = person(store, now, "lee@example.org", name="Lee Learner")
    kim = person(store, now, "kim@example.org", name="Kim Keen")
    group = cohort(store, ed, [lee, kim], now)
    return {"ed": ed, "lee": lee, "kim": kim, "group": group}


def _send(store: Store, now: datetime, outbox: Outbox) -> reminders.Report:
    return reminders.send_reminders(store, COURSE, SETTINGS, now=now, sender=outbox)


def test_learners_are_reminded_once_before_the_due_date(store: Store, now: datetime, world: dict) -> None:  # type: ignore[type-arg]
    cohorts.assign(store, world["ed"], world["group"], "module", "first", now + timedelta(days=1), now=now)  # type: ignore[arg-type]
    outbox = Outbox()
    assert _send(store, now, outbox).sent == 2
    [lee] = outbox.to("lee@example.org")
    assert lee["Subject"] == "Due 15 Mar 2025, 09:30 UTC: A first module"
    assert "https://course.example.org/modules?id=first" in _text(lee)
    assert lee["List-Unsubscribe"].startswith("<https://course.example.org/email/unsubscribe?token=")
    for _ in range(3):  # cron runs again: nothing new
        assert _send(store, now + timedelta(hours=1), outbox).sent == 0
    assert len(outbox.sent) == 2


def test_no_reminder_too_early_for_done_work_in_archived_cohorts_or_after_unsubscribing(
    store: Store,
    now: datetime,
    world: dict,  # type: ignore[type-arg]
) -> None:
    ed, lee, kim = world["ed"], world["lee"], world["kim"]
    cohorts.assign(store, ed, world["group"], "vignette", "case", now + timedelta(days=5), now=now)  # type: ignore[arg-type]
    outbox = Outbox()
    assert _send(store, now, outbox).sent == 0  # 5 days ahead: beyond the 2-day lead
    later = now + timedelta(days=4)
    state = play.begin(store, kim, COURSE.vignettes["case"], COURSE.version, now=later)  # type: ignore[arg-type]
    state = play.act(store, kim, COURSE.vignettes["case"], state, CONTINUE, now=later)  # type: ignore[arg-type]
    state = play.act(store, kim, COURSE.vignettes["case"], state, "talk", now=later)  # type: ignore[arg-type]
    play.act(store, kim, COURSE.vignettes["case"], state, CONTINUE, now=later)  # type: ignore[arg-type]
    reminders.set_preference(store, lee, reminders.LEARNER_DUE, False, now=later)  # type: ignore[arg-type]
    assert _send(store, later, outbox).sent == 0  # Kim finished it; Lee said no
    reminders.set_preference(store, lee, reminders.LEARNER_DUE, True, now=later)  # type: ignore[arg-type]
    cohorts.set_archived(store, ed, world["group"], True, now=later)  # type: ignore[arg-type]
    assert _send(store, later, outbox).sent == 0


def test_a_moved_due_date_is_a_new_reminder(store: Store, now: datetime, world: dict) -> None:  # type: ignore[type-arg]
    ed, group = world["ed"], world["group"]
    cohorts.assign(store, ed, group, "module", "first", now + timedelta(days=1), now=now)  # type: ignore[arg-type]
    outbox = Outbox()
    _send(store, now, outbox)
    cohorts.assign(store, ed, group, "module", "first", now + timedelta(days=8), now=now)  # type: ignore[arg-type]
    assert _send(store, now + timedelta(days=7), outbox).sent == 2
    assert len(outbox.to("lee@example.org")) == 2


def test_a_failed_send_is_retried_on_the_next_run(store: Store, now: datetime, world: dict) -> None:  # type: ignore[type-arg]
    cohorts.assign(store, world["ed"], world["group"], "module", "first", now + timedelta(days=1), now=now)  # type: ignore[arg-type]
    report = _send(store, now, Outbox(fail=True))
    assert (report.sent, report.failed) == (0, 2) and "the server is down" in report.errors[0]
    outbox = Outbox()
    assert _send(store, now + timedelta(minutes=10), outbox).sent == 2


def test_overlapping_runs_send_each_reminder_once(store: Store, now: datetime, world: dict) -> None:  # type: ignore[type-arg]
    cohorts.assign(store, world["ed"], world["group"], "module", "first", now + timedelta(days=1), now=now)  # type: ignore[arg-type]
    outbox = Outbox()
    runs = [threading.Thread(target=_send, args=(store, now, outbox)) for _ in range(4)]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    assert sorted(m["To"] for m in outbox.sent) == ["kim@example.org", "lee@example.org"]


def test_educators_hear_once_about_learners_newly_overdue(store: Store, now: datetime, world: dict) -> None:  # type: ignore[type-arg]
    cohorts.assign(store, world["ed"], world["group"], "module", "first", now + timedelta(days=1), now=now)  # type: ignore[arg-type]
    outbox = Outbox()
    _send(store, now, outbox)
    overdue = now + timedelta(days=2)
    assert _send(store, overdue, outbox).sent == 1
    [note] = outbox.to("ed@example.org")
    text = _text(note)
    assert note["Subject"] == "2 learner(s) in your cohorts are past a due date"
    assert "Lee Learner: A first module" in text and "Kim Keen: A first module" in text
    assert f"https://course.example.org/dashboards?cohort={world['group']}" in text
    assert _send(store, overdue + timedelta(hours=1), outbox).sent == 0
    assert len(outbox.to("ed@example.org")) == 1


def test_educators_hear_only_about_learners_they_may_view(
    store: Store,
    now: datetime,
    world: dict,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[type-arg]
) -> None:
    kim = world["kim"]
    monkeypatch.setattr(reminders, "may_view_learner", lambda _conn, _viewer, learner_id: learner_id != kim.id)  # type: ignore[attr-defined]
    cohorts.assign(store, world["ed"], world["group"], "module", "first", now - timedelta(hours=1), now=now)  # type: ignore[arg-type]
    outbox = Outbox()
    _send(store, now, outbox)
    text = _text(outbox.to("ed@example.org")[0])
    assert "Lee Learner" in text and "Kim Keen" not in text


def test_the_unsubscribe_token_stops_that_kind_only(store: Store, now: datetime, world: dict) -> None:  # type: ignore[type-arg]
    lee = world["lee"]
    cohorts.assign(store, world["ed"], world["group"], "module", "first", now + timedelta(days=1), now=now)  # type: ignore[arg-type]
    outbox = Outbox()
    _send(store, now, outbox)
    link = outbox.to("lee@example.org")[0]["List-Unsubscribe"].strip("<>")
    token = link.split("token=")[1]
    assert reminders.token_kind(store, token) == reminders.LEARNER_DUE
    assert reminders.unsubscribe(store, token, now=now) == reminders.LEARNER_DUE
    assert reminders.unsubscribe(store, token, now=now) == reminders.LEARNER_DUE  # a second click is harmless
    assert reminders.preferences(store, lee) == {reminders.LEARNER_DUE: False, reminders.EDUCATOR_OVERDUE: True}  # type: ignore[arg-type]
    assert reminders.unsubscribe(store, "forged", now=now) is None and reminders.token_kind(store, "") is None


def test_dates_in_a_reminder_are_in_the_recipients_zone(
    store: Store,
    now: datetime,
    world: dict,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[type-arg]
) -> None:
    from dataclasses import replace

    from course import accounts

    real = accounts.get_user
    monkeypatch.setattr(
        accounts, "get_user", lambda s, uid: (u := real(s, uid)) and replace(u, time_zone="Pacific/Auckland")
    )
    due = now.replace(hour=23, minute=59)  # 14 March, 23:59 UTC is already 15 March in Auckland
    cohorts.assign(store, world["ed"], world["group"], "module", "first", due, now=now)  # type: ignore[arg-type]
    outbox = Outbox()
    _send(store, now, outbox)
    assert outbox.to("lee@example.org")[0]["Subject"] == "Due 15 Mar 2025, 12:59 Auckland time: A first module"
    assert "due 15 Mar 2025, 12:59 Auckland time" in _text(outbox.to("lee@example.org")[0])


def test_sending_needs_email_settings(store: Store, now: datetime) -> None:
    with pytest.raises(mail.EmailNotConfigured):
        reminders.send_reminders(store, COURSE, mail.SmtpSettings(), now=now)


def test_the_cron_command_sends_through_smtp_once_however_often_it_runs(tmp_path: Path) -> None:
    from course import accounts
    from course.clock import utcnow
    from course.store.db import Store as OpenStore
    from course.store.db import database_url
    from tests.content.fixtures import GOOD
    from tests.smtp import smtp_env, smtp_server

    data = {"COURSE_DATA_DIR": str(tmp_path)}
    store = OpenStore.open(database_url(data))
    try:
        now = utcnow()
        ed = accounts.create_user_admin(
            store, email="ed@example.org", display_name="Ed", password="a long password 1", role=Role.EDUCATOR, now=now
        )
        lee = person(store, now, "lee@example.org", name="Lee Learner")
        group = cohort(store, ed, [lee], now)
        cohorts.assign(store, ed, group, "module", "first", now + timedelta(hours=20), now=now)
    finally:
        store.close()
    repo = Path(__file__).resolve().parents[2]
    with smtp_server() as (inbox, port):
        env = {"PATH": "/usr/bin:/bin", **data, "COURSE_CONTENT_DIR": str(GOOD), **smtp_env(port)}
        runs = [
            subprocess.run(
                [sys.executable, "-m", "course", "email", "send-reminders"],
                capture_output=True,
                text=True,
                env=env,
                cwd=repo,
                timeout=120,
            )
            for _ in range(2)
        ]
        assert [r.returncode for r in runs] == [0, 0], runs[0].stderr
        assert "sent 1 reminder email(s)" in runs[0].stdout and "sent 0 reminder email(s)" in runs[1].stdout
        [message] = inbox.wait_for("lee@example.org")
        assert message["Subject"].endswith(": A first module")
    off = subprocess.run(
        [sys.executable, "-m", "course", "email", "send-reminders"],
        capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", **data}, cwd=repo, timeout=120,
    )  # fmt: skip
    assert off.returncode == 1 and "Email is off" in off.stderr
