from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert

from course.store import events
from course.store.db import Store
from course.store.events import (
    MODULE_COMPLETED,
    MODULE_REOPENED,
    Event,
    completed_modules,
    events_for_user,
    record_event,
)
from course.store.models import UserRow


def _user(store: Store, now: datetime, email: str = "learner@example.org") -> int:
    with store.write() as connection:
        user_id = connection.execute(
            insert(UserRow)
            .values(email=email, display_name="Learner", role="learner", created_at=now)
            .returning(UserRow.id)
        ).scalar_one()
    return int(user_id)


def _record(store: Store, user_id: int, verb: str, object_type: str, object_id: str, at: datetime) -> int:
    return record_event(
        store,
        user_id=user_id,
        verb=verb,
        object_type=object_type,
        object_id=object_id,
        content_version="2025.1",
        now=at,
    )


def _module_event(store: Store, user_id: int, verb: str, module_id: str, at: datetime) -> int:
    return _record(store, user_id, verb, "module", module_id, at)


def test_events_round_trip_with_aware_utc_times_and_json_payloads(store: Store, now: datetime) -> None:
    user_id = _user(store, now)
    local_time = datetime(2025, 3, 14, 11, 30, tzinfo=timezone(timedelta(hours=2)))
    payload = {"score": 0.75, "answers": ["a", "c"], "passed": True, "detail": {"attempt": 2, "note": None}}
    event_id = record_event(
        store,
        user_id=user_id,
        verb="assessment.submitted",
        object_type="assessment",
        object_id="final",
        content_version="2025.1",
        payload=payload,
        now=local_time,
    )
    assert events_for_user(store, user_id) == [
        Event(
            id=event_id,
            user_id=user_id,
            verb="assessment.submitted",
            object_type="assessment",
            object_id="final",
            content_version="2025.1",
            occurred_at=now,
            payload=payload,
        )
    ]
    assert events_for_user(store, user_id)[0].occurred_at.tzinfo is UTC


def test_payload_defaults_to_an_empty_object_and_tuples_read_back_as_lists(store: Store, now: datetime) -> None:
    user_id = _user(store, now)
    _record(store, user_id, "page.viewed", "page", "a", now)
    record_event(
        store,
        user_id=user_id,
        verb="page.viewed",
        object_type="page",
        object_id="b",
        content_version="1",
        payload={"path": ("x", "y")},
        now=now,
    )
    assert [event.payload for event in events_for_user(store, user_id)] == [{}, {"path": ["x", "y"]}]


def test_events_are_ordered_by_time_then_id_and_can_be_filtered(store: Store, now: datetime) -> None:
    user_id = _user(store, now)
    other_user = _user(store, now, "other@example.org")
    late = _record(store, user_id, "quiz.answered", "quiz", "q1", now + timedelta(minutes=5))
    early = _record(store, user_id, "module.viewed", "module", "m1", now)
    same_time = _record(store, user_id, "quiz.answered", "quiz", "q2", now)
    _record(store, other_user, "quiz.answered", "quiz", "q1", now)

    assert [event.id for event in events_for_user(store, user_id)] == [early, same_time, late]
    assert [event.id for event in events_for_user(store, user_id, verb="quiz.answered")] == [same_time, late]
    assert [event.id for event in events_for_user(store, user_id, object_type="module")] == [early]
    assert [event.id for event in events_for_user(store, user_id, object_type="quiz", object_id="q1")] == [late]
    assert events_for_user(store, user_id, verb="nothing.happened") == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"verb": ""}, "verb must not be empty"),
        ({"verb": "   "}, "verb must not be empty"),
        ({"object_type": ""}, "object_type must not be empty"),
        ({"verb": "x" * 65}, "verb must be at most 64 characters"),
        ({"payload": {"when": datetime(2025, 1, 1, tzinfo=UTC)}}, "payload is not JSON-serialisable"),
        ({"payload": {"ratio": math.nan}}, "payload is not JSON-serialisable"),
        ({"payload": {1: "one"}}, "payload keys must be strings"),
        ({"now": datetime(2025, 1, 1)}, "now must be a timezone-aware datetime"),
    ],
)
def test_record_event_rejects_bad_input_with_a_clear_message(
    store: Store, now: datetime, changes: dict[str, object], message: str
) -> None:
    user_id = _user(store, now)
    arguments: dict[str, object] = {
        "user_id": user_id,
        "verb": "page.viewed",
        "object_type": "page",
        "object_id": "home",
        "content_version": "1",
        "payload": None,
        "now": now,
    }
    arguments.update(changes)
    with pytest.raises(ValueError, match=message):
        record_event(store, **arguments)  # type: ignore[arg-type]
    assert events_for_user(store, user_id) == []


def test_the_event_log_offers_no_way_to_change_or_delete_events() -> None:
    public = {name for name in dir(events) if not name.startswith("_")}
    assert not {name for name in public if any(word in name for word in ("update", "delete", "remove", "edit"))}


# --- completed modules -------------------------------------------------------------------------


def test_completed_modules_maps_each_module_to_its_first_completion(store: Store, now: datetime) -> None:
    user_id = _user(store, now)
    _module_event(store, user_id, MODULE_COMPLETED, "m1", now + timedelta(hours=1))
    _module_event(store, user_id, MODULE_COMPLETED, "m1", now + timedelta(hours=3))  # completed again
    _module_event(store, user_id, MODULE_COMPLETED, "m2", now + timedelta(hours=2))
    _module_event(store, user_id, "module.viewed", "m3", now)

    assert completed_modules(store, user_id) == {"m1": now + timedelta(hours=1), "m2": now + timedelta(hours=2)}


def test_reopening_cancels_completion_until_completed_again(store: Store, now: datetime) -> None:
    user_id = _user(store, now)
    _module_event(store, user_id, MODULE_COMPLETED, "reopened", now)
    _module_event(store, user_id, MODULE_REOPENED, "reopened", now + timedelta(hours=1))
    _module_event(store, user_id, MODULE_COMPLETED, "redone", now)
    _module_event(store, user_id, MODULE_REOPENED, "redone", now + timedelta(hours=1))
    _module_event(store, user_id, MODULE_COMPLETED, "redone", now + timedelta(hours=2))
    _module_event(store, user_id, MODULE_COMPLETED, "redone", now + timedelta(hours=4))

    assert completed_modules(store, user_id) == {"redone": now + timedelta(hours=2)}


def test_reopen_recorded_at_the_same_instant_counts_in_recording_order(store: Store, now: datetime) -> None:
    user_id = _user(store, now)
    _module_event(store, user_id, MODULE_COMPLETED, "reopen-last", now)
    _module_event(store, user_id, MODULE_REOPENED, "reopen-last", now)
    _module_event(store, user_id, MODULE_REOPENED, "complete-last", now)
    _module_event(store, user_id, MODULE_COMPLETED, "complete-last", now)

    assert completed_modules(store, user_id) == {"complete-last": now}


def test_completion_time_is_aware_utc(store: Store, now: datetime) -> None:
    user_id = _user(store, now)
    _module_event(store, user_id, MODULE_COMPLETED, "m1", now)
    (completed_at,) = completed_modules(store, user_id).values()
    assert completed_at == now
    assert completed_at.tzinfo is UTC


def test_completed_modules_only_counts_this_users_module_events(store: Store, now: datetime) -> None:
    user_id = _user(store, now)
    other_user = _user(store, now, "other@example.org")
    _module_event(store, other_user, MODULE_COMPLETED, "m1", now)
    _module_event(store, user_id, MODULE_REOPENED, "m2", now)
    _record(store, user_id, MODULE_COMPLETED, "quiz", "m3", now)

    assert completed_modules(store, user_id) == {}
    assert completed_modules(store, other_user) == {"m1": now}
