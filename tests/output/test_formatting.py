"""The one formatter: dates in the person's zone, one rounding rule for figures."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from course import formatting
from course.formatting import (
    UnknownZone,
    apportion,
    end_of_day,
    floor_percent,
    floor_to,
    format_date,
    format_datetime,
    format_percent,
    local_today,
    zone,
)

NEW_YORK = zone("America/New_York")
HONOLULU = zone("Pacific/Honolulu")


def test_a_moment_prints_as_the_day_it_is_where_the_person_is() -> None:
    moment = datetime(2026, 3, 4, 0, 30, tzinfo=UTC)  # 19:30 on 3 March in New York
    assert format_date(moment, NEW_YORK) == "3 Mar 2026"
    assert format_date(moment, zone("UTC")) == "4 Mar 2026"
    assert format_datetime(moment, NEW_YORK) == "3 Mar 2026, 19:30 EST"


def test_today_and_the_end_of_a_day_follow_the_zone_and_daylight_saving() -> None:
    afternoon_in_honolulu = datetime(2026, 3, 15, 1, 0, tzinfo=UTC)  # 15:00 on 14 March, HST
    assert local_today(afternoon_in_honolulu, HONOLULU) == date(2026, 3, 14)
    assert end_of_day(date(2026, 3, 14), HONOLULU) == datetime(2026, 3, 15, 10, 0, tzinfo=UTC)
    # New York springs forward on 8 March 2026: that day ends at 04:00 UTC, not 05:00.
    assert end_of_day(date(2026, 3, 8), NEW_YORK) == datetime(2026, 3, 9, 4, 0, tzinfo=UTC)


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        format_date(datetime(2026, 3, 3), NEW_YORK)


def test_unknown_zone_names_are_a_clear_error_and_empty_means_utc() -> None:
    assert zone(None).key == formatting.DEFAULT_ZONE
    with pytest.raises(UnknownZone, match="IANA"):
        zone("Mars/Olympus_Mons")
    with pytest.raises(UnknownZone):
        zone("../../etc/passwd")


def test_a_shown_percentage_never_contradicts_the_pass_decision() -> None:
    assert floor_percent(35, 44) == 79  # 79.55%: not passed at 80, so never shown as 80
    assert format_percent(35, 44) == "79%"
    assert floor_percent(4, 5) == 80
    assert floor_percent(0, 0) == 0
    for total in range(1, 120):
        for correct in range(total + 1):
            passed = correct * 100 >= 80 * total
            assert (floor_percent(correct, total) >= 80) is passed


def test_floor_to_uses_exact_decimal_steps() -> None:
    assert floor_to(0.3, 0.1) == 0.3
    assert floor_to(1.99, 0.25) == 1.75
    assert floor_to(2.0, 0.25) == 2.0
    with pytest.raises(ValueError):
        floor_to(1.0, 0)


def test_apportioned_parts_add_up_to_the_total() -> None:
    assert apportion([1, 1, 1], 100) == [34, 33, 33]
    assert apportion([0, 0], 0) == [0, 0]
    assert apportion([10, 20, 30], 7) == [1, 2, 4]
    assert sum(apportion([0.7, 11.3, 5.5, 2.2], 19)) == 19
    with pytest.raises(ValueError):
        apportion([-1, 2], 1)
    with pytest.raises(ValueError):
        apportion([0, 0], 3)
