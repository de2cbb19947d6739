from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import StatementError

from course.store.db import Store
from course.store.models import UserRow

_settings = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def _insert_user(store: Store, created_at: datetime, email: str = "a@example.org") -> int:
    with store.write() as connection:
        user_id = connection.execute(
            insert(UserRow)
            .values(email=email, display_name="A", role="learner", created_at=created_at)
            .returning(UserRow.id)
        ).scalar_one()
    return int(user_id)


def _created_at(store: Store, user_id: int) -> datetime:
    with store.read() as connection:
        return connection.execute(select(UserRow.created_at).where(UserRow.id == user_id)).scalar_one()


def test_datetimes_come_back_aware_utc_even_when_written_with_another_offset(store: Store) -> None:
    written = datetime(2025, 6, 1, 23, 45, 12, 345678, tzinfo=timezone(timedelta(hours=-5)))
    read_back = _created_at(store, _insert_user(store, written))
    assert read_back == written
    assert read_back.tzinfo is UTC
    assert read_back == datetime(2025, 6, 2, 4, 45, 12, 345678, tzinfo=UTC)


def test_naive_datetimes_are_rejected_on_write(store: Store) -> None:
    with pytest.raises(StatementError) as raised:
        _insert_user(store, datetime(2025, 6, 1, 12, 0))
    assert isinstance(raised.value.orig, ValueError)
    assert "naive datetime" in str(raised.value.orig)


def test_naive_datetimes_are_rejected_in_comparisons_too(store: Store) -> None:
    with pytest.raises(StatementError), store.read() as connection:
        connection.execute(select(UserRow.id).where(UserRow.created_at < datetime(2025, 1, 1)))


def test_nullable_datetimes_stay_none(store: Store, now: datetime) -> None:
    user_id = _insert_user(store, now)
    with store.read() as connection:
        assert connection.execute(select(UserRow.deleted_at).where(UserRow.id == user_id)).scalar_one() is None


def test_datetime_comparison_in_sql_respects_the_instant_not_the_offset(store: Store) -> None:
    # 10:00 at UTC+2 is 08:00 UTC, so it is earlier than 09:00 UTC despite the larger wall-clock hour.
    _insert_user(store, datetime(2025, 1, 1, 10, 0, tzinfo=timezone(timedelta(hours=2))))
    with store.read() as connection:
        earlier = connection.execute(
            select(UserRow.id).where(UserRow.created_at < datetime(2025, 1, 1, 9, 0, tzinfo=UTC))
        ).all()
    assert len(earlier) == 1


@_settings
@given(
    instant=st.datetimes(
        min_value=datetime(1970, 1, 2),
        max_value=datetime(2200, 1, 1),
        timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]),
    )
)
def test_any_aware_datetime_round_trips_to_the_same_instant_in_utc(store: Store, instant: datetime) -> None:
    user_id = _insert_user(store, datetime(2025, 1, 1, tzinfo=UTC), email="round-trip@example.org")
    with store.write() as connection:
        connection.execute(update(UserRow).where(UserRow.id == user_id).values(created_at=instant))
    read_back = _created_at(store, user_id)
    with store.write() as connection:
        connection.execute(delete(UserRow))
    assert read_back == instant
    assert read_back.utcoffset() == timedelta(0)
