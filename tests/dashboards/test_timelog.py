from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from course import accounts
from course.accounts import Role, User
from course.permissions import PermissionDenied
from course.store.db import Store
from course.store.events import record_event
from course.timelog import IDLE_CAP_SECONDS, TimeSpent, cpd_hours, time_log, total_seconds


def _user(store: Store, now: datetime, email: str, role: Role = Role.LEARNER) -> User:
    return accounts.create_user_admin(store, email=email, display_name=email, password="x" * 12, role=role, now=now)


def _event(store: Store, user: User, when: datetime, object_type: str, object_id: str, verb: str = "x.y") -> None:
    record_event(
        store,
        user_id=user.id,
        verb=verb,
        object_type=object_type,
        object_id=object_id,
        content_version="v",
        now=when,
    )


def test_spans_run_to_the_next_event_and_idle_gaps_are_capped(store: Store, now: datetime) -> None:
    learner = _user(store, now, "a@example.org")
    other = _user(store, now, "b@example.org")
    _event(store, learner, now, "module", "m1")  # 10 min until the next event: counted in full
    _event(store, other, now + timedelta(minutes=1), "module", "m1")  # someone else's: never in the span
    _event(store, learner, now + timedelta(minutes=10), "vignette", "mr-z")  # 2 h gap: capped
    _event(store, learner, now + timedelta(hours=2, minutes=10), "module", "m1")  # 30 s
    _event(store, learner, now + timedelta(hours=2, minutes=10, seconds=30), "assessment", "summative")  # last: 0

    spent = time_log(store, learner, learner.id)

    assert spent == [
        TimeSpent("module", "m1", 600 + 30),
        TimeSpent("vignette", "mr-z", IDLE_CAP_SECONDS),
    ]
    assert total_seconds(spent) == 630 + IDLE_CAP_SECONDS


def test_a_learner_cannot_read_someone_elses_time_log(store: Store, now: datetime) -> None:
    learner = _user(store, now, "a@example.org")
    other = _user(store, now, "b@example.org")
    with pytest.raises(PermissionDenied):
        time_log(store, other, learner.id)


def test_cpd_hours_round_down_to_the_quarter_hour() -> None:
    assert cpd_hours(0) == 0
    assert cpd_hours(899) == 0
    assert cpd_hours(900) == 0.25
    assert cpd_hours(3 * 3600 + 1799) == 3.25
