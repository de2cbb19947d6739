"""Issue 15 kinds without a store: days in a zone, deadlines named with their zone, figures that add up."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from course import formatting
from course.evidence import TimeRow, shown_time
from course.flashcards import Rating, Review, build_deck
from tests.cpd.helpers import COURSE


@pytest.mark.parametrize(
    ("zone", "label"),
    [
        ("America/New_York", "New York time"),
        ("Pacific/Kiritimati", "Kiritimati time"),
        ("Pacific/Pago_Pago", "Pago Pago time"),
        ("UTC", "UTC"),
        ("Etc/UTC", "UTC"),
    ],
)
def test_a_deadline_names_its_zone_as_people_say_it(zone: str, label: str) -> None:
    tz = ZoneInfo(zone)
    due = formatting.last_instant_of_day(date(2026, 3, 3), tz)
    assert formatting.format_deadline(due, tz) == f"3 Mar 2026, 23:59 {label}"


def test_the_last_instant_of_a_day_follows_daylight_saving() -> None:
    london = ZoneInfo("Europe/London")
    # 29 March 2026: clocks go forward at 01:00 UTC, so the day ends at 22:59:59.999999 UTC.
    assert formatting.last_instant_of_day(date(2026, 3, 29), london) == datetime(
        2026, 3, 29, 22, 59, 59, 999999, tzinfo=UTC
    )
    assert formatting.last_instant_of_day(date(2026, 3, 28), london) == datetime(
        2026, 3, 28, 23, 59, 59, 999999, tzinfo=UTC
    )
    # Kiritimati (UTC+14) and Pago Pago (UTC-11) are 25 hours apart: the same instant is two days apart.
    moment = datetime(2026, 3, 3, 11, 30, tzinfo=UTC)
    assert formatting.local_today(moment, ZoneInfo("Pacific/Kiritimati")) == date(2026, 3, 4)
    assert formatting.local_today(moment, ZoneInfo("Pacific/Pago_Pago")) == date(2026, 3, 3)


def test_the_new_card_limit_counts_the_learners_own_day() -> None:
    """A card first seen at 21:00 in New York (02:00 UTC next day) counts for that New York day."""
    nyc = ZoneInfo("America/New_York")
    first_term = sorted(COURSE.glossary)[0]
    evening = datetime(2026, 3, 3, 21, 0, tzinfo=nyc)
    reviews = [Review(first_term, Rating.Good, evening)]
    same_evening = build_deck(COURSE, reviews, now=evening + timedelta(hours=1), new_per_day=1, tz=nyc)
    assert same_evening.stats.reviewed_today == 1 and same_evening.new == ()
    next_morning = build_deck(COURSE, reviews, now=evening + timedelta(hours=12), new_per_day=1, tz=nyc)
    assert next_morning.stats.reviewed_today == 0 and len(next_morning.new) == 1
    # In UTC both moments are 4 March: the same reviews leave no new card at either.
    assert build_deck(COURSE, reviews, now=evening + timedelta(hours=12), new_per_day=1).new == ()


@pytest.mark.parametrize(
    ("correct", "total", "shown"), [(35, 44, 79), (39, 49, 79), (2, 3, 66), (4, 5, 80), (0, 0, 0), (44, 44, 100)]
)
def test_a_shown_percent_never_reaches_a_pass_mark_the_score_missed(correct: int, total: int, shown: int) -> None:
    assert formatting.floor_percent(correct, total) == shown
    assert (shown >= 80) == (total > 0 and correct * 100 >= 80 * total)


@pytest.mark.parametrize(
    "seconds", [[90, 90, 90], [59, 59, 59, 59], [899, 899, 899], [3599, 1, 1800], [0, 0], [14 * 60, 16 * 60]]
)
def test_time_log_rows_add_up_to_the_totals_shown_beside_them(seconds: list[int]) -> None:
    rows = [TimeRow("module", f"m{n}", f"Module {n}", s) for n, s in enumerate(seconds)]
    shown = shown_time(rows)
    assert sum(shown.minutes) == shown.total_minutes == sum(seconds) // 60
    assert sum(shown.hours) == shown.total_hours == int(sum(seconds) / 900) / 4
