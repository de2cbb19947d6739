"""The one place that reads the wall clock.

Engine functions take ``now`` as an argument instead of calling this, so they stay deterministic and
testable; only the UI layer calls :func:`utcnow`.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time as a timezone-aware UTC datetime."""
    return datetime.now(UTC)


def require_aware(value: datetime, name: str = "now") -> None:
    """Refuse naive datetimes: stored times are UTC instants, and a naive value names no instant."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime (use course.clock.utcnow())")
