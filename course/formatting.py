"""One place for every date, time and figure a person reads (DESIGN.md habit 11).

Views never call ``strftime`` or ``round`` themselves: they call these, so a fix lands once.

Dates and times
    Stored times are UTC instants. A person reads them in their own zone (an IANA name such as
    ``"America/New_York"``, stored on the account); a cohort's due dates are days in the cohort's
    zone. ``format_date`` prints the day only; ``format_datetime`` adds the time and the zone's
    abbreviation, for any moment that could be read two ways (a deadline, a submission).

Figures: the one rounding rule
    A shown figure is rounded *down* to the precision shown (``floor_percent``), so it can never
    contradict a decision taken on the exact value: 35 of 44 (79.55%) shows 79%, below a pass mark
    of 80, and 0.749 mastery shows 74%. Where parts are shown beside their total, ``apportion``
    rounds the parts down and hands the shortfall to the largest remainders (Hamilton's
    largest-remainder method), so the shown parts add up to the shown total.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from course.clock import require_aware

DEFAULT_ZONE = "UTC"
UTC_ZONE = ZoneInfo(DEFAULT_ZONE)  # a default for ``tz`` arguments


class UnknownZone(ValueError):
    """Not an IANA time-zone name this machine's tz database knows."""


def zone(name: str | None) -> ZoneInfo:
    """The ZoneInfo for an IANA name; ``None`` or empty means UTC.

    Raises UnknownZone (a ValueError) for a name the tz database does not know.
    """
    if not name:
        return ZoneInfo(DEFAULT_ZONE)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise UnknownZone(f"Unknown time zone {name!r}; use an IANA name such as 'Europe/London'.") from exc


def zone_or_utc(name: str | None) -> ZoneInfo:
    """Like :func:`zone`, but a name the tz database no longer knows falls back to UTC (never fails)."""
    try:
        return zone(name)
    except UnknownZone:
        return ZoneInfo(DEFAULT_ZONE)


def local(moment: datetime, tz: ZoneInfo) -> datetime:
    """The aware UTC instant ``moment`` as wall-clock time in ``tz``."""
    require_aware(moment, "moment")
    return moment.astimezone(tz)


def local_today(now: datetime, tz: ZoneInfo) -> date:
    """The calendar day it is in ``tz`` at the instant ``now``."""
    return local(now, tz).date()


def start_of_day(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant at which ``day`` begins in ``tz`` (local midnight, DST-aware)."""
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


def end_of_day(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant at which ``day`` ends in ``tz``: the start of the next local day (exclusive)."""
    return start_of_day(day + timedelta(days=1), tz)


def last_instant_of_day(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant of the last microsecond of ``day`` in ``tz``: what "due 3 March" means there."""
    return end_of_day(day, tz) - timedelta(microseconds=1)


def zone_label(tz: ZoneInfo) -> str:
    """``"New York time"`` for America/New_York, ``"UTC"`` for UTC: the zone named as people say it.

    Abbreviations are avoided because many zones have none (Pacific/Kiritimati's is "+14").
    """
    key = getattr(tz, "key", None) or DEFAULT_ZONE
    if key in {"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal", "Etc/Zulu", "Zulu"}:
        return "UTC"
    return key.rsplit("/", 1)[-1].replace("_", " ") + " time"


def format_deadline(moment: datetime, tz: ZoneInfo) -> str:
    """``"3 Mar 2026, 23:59 New York time"``: a moment that could be read two ways, with time and zone."""
    shown = local(moment, tz)
    return f"{shown.day} {shown:%b %Y, %H:%M} {zone_label(tz)}"


def format_date(moment: datetime, tz: ZoneInfo) -> str:
    """``"3 Mar 2026"``: the day on which ``moment`` falls in ``tz``."""
    shown = local(moment, tz)
    return f"{shown.day} {shown:%b %Y}"


def format_long_date(moment: datetime, tz: ZoneInfo) -> str:
    """``"3 March 2026"``: the day ``moment`` falls on in ``tz``, month in full (documents, certificates)."""
    shown = local(moment, tz)
    return f"{shown.day} {shown:%B %Y}"


def format_day(day: date) -> str:
    """``"3 Mar 2026"`` for a calendar day that is already local (a due day)."""
    return f"{day.day} {day:%b %Y}"


def format_datetime(moment: datetime, tz: ZoneInfo, *, seconds: bool = False) -> str:
    """``"3 Mar 2026, 19:30 EST"``: day, 24-hour time and the zone's abbreviation in ``tz``;
    with ``seconds``, ``"3 Mar 2026, 19:30:05 EST"`` (to tell apart events in the same minute)."""
    shown = local(moment, tz)
    clock = f"{shown:%H:%M:%S}" if seconds else f"{shown:%H:%M}"
    return f"{shown.day} {shown:%b %Y}, {clock} {shown.tzname()}"


def floor_percent(numerator: int, denominator: int) -> int:
    """``100 * numerator / denominator`` rounded down to a whole percent (0 when denominator is 0).

    Exact integer arithmetic: ``floor_percent(35, 44) == 79`` and ``floor_percent(4, 5) == 80``.
    """
    if denominator <= 0:
        return 0
    return (100 * numerator) // denominator


def format_percent(numerator: int, denominator: int) -> str:
    """``"79%"``: see :func:`floor_percent`."""
    return f"{floor_percent(numerator, denominator)}%"


def floor_to(value: float, step: float) -> float:
    """``value`` rounded down to a multiple of ``step`` (e.g. minutes to 0.1, hours to 0.25).

    Uses exact fractions of the decimal strings, so ``floor_to(0.3, 0.1) == 0.3`` (float
    division alone would give 0.2).
    """
    if step <= 0:
        raise ValueError("step must be positive")
    exact = Fraction(str(value)) / Fraction(str(step))
    return float(math.floor(exact) * Fraction(str(step)))


def apportion(values: Sequence[float], total: int) -> list[int]:
    """Whole-number parts of ``total`` in proportion to ``values`` that add up to ``total``.

    Hamilton's largest-remainder method: each part is rounded down, then the parts with the largest
    remainders get one more until the sum is ``total``. Ties go to the earlier part. All values
    zero gives all parts zero (and then ``total`` must be 0). Raises ValueError for a negative value.
    """
    if any(v < 0 for v in values):
        raise ValueError("values must not be negative")
    whole = sum(values)
    if whole == 0:
        if total:
            raise ValueError("cannot apportion a non-zero total over all-zero values")
        return [0 for _ in values]
    quotas = [Fraction(str(v)) * total / Fraction(str(whole)) for v in values]
    parts = [math.floor(q) for q in quotas]
    order = sorted(range(len(values)), key=lambda i: (-(quotas[i] - parts[i]), i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts
