"""The one place that reads the wall clock.

Engine functions take ``now`` as an argument instead of calling this, so they stay deterministic and
testable; only the UI layer calls :func:`utcnow`. Tests that drive pages (AppTest) stop the clock
at a chosen instant with :func:`frozen`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

_frozen_at: datetime | None = None


def utcnow() -> datetime:
    """The current time as a timezone-aware UTC datetime (the frozen instant inside :func:`frozen`)."""
    if _frozen_at is not None:
        return _frozen_at
    return datetime.now(UTC)


@contextmanager
def frozen(moment: datetime) -> Iterator[datetime]:
    """Make :func:`utcnow` return ``moment`` (an aware instant, any zone) until the block ends.

    For tests only: the whole process sees the stopped clock, including AppTest's script thread.
    """
    global _frozen_at
    require_aware(moment, "moment")
    before = _frozen_at
    _frozen_at = moment.astimezone(UTC)
    try:
        yield _frozen_at
    finally:
        _frozen_at = before


def require_aware(value: datetime, name: str = "now") -> None:
    """Refuse naive datetimes: stored times are UTC instants, and a naive value names no instant."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime (use course.clock.utcnow())")
