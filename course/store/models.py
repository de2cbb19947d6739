"""The database schema. Migrations in ``migrations/versions`` must match it exactly (a test checks)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Explicit names so that migrations (and later ALTERs, especially SQLite batch mode) can refer to
# constraints by name on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROLE_VALUES = ("learner", "educator", "admin")
TOKEN_KINDS = ("session", "handoff")
ATTEMPT_STATUSES = ("in_progress", "submitted", "abandoned")


class UTCDateTime(TypeDecorator[datetime]):
    """A point in time, stored in UTC and always read back as an aware UTC datetime.

    SQLite has no time zone support, so values are stored there as naive UTC; PostgreSQL uses
    ``timestamptz``. Naive datetimes are rejected on write because their meaning is ambiguous.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: object, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} rejected: pass a timezone-aware datetime")
        as_utc = value.astimezone(UTC)
        return as_utc.replace(tzinfo=None) if dialect.name == "sqlite" else as_utc

    def process_result_value(self, value: object, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {type(value).__name__}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JSONPayload = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UserRow(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(f"role IN {ROLE_VALUES!r}", name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Normalised (trimmed, lower-cased) by course.accounts before it gets here.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    # Argon2id PHC string; NULL for people who only sign in through OIDC.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    # "issuer|sub" for OIDC users.
    oidc_subject: Mapped[str | None] = mapped_column(String(512), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuthTokenRow(Base):
    """Session and one-time handoff tokens. Only the SHA-256 of a token is ever stored."""

    __tablename__ = "auth_tokens"
    __table_args__ = (
        CheckConstraint(f"kind IN {TOKEN_KINDS!r}", name="kind"),
        Index("ix_auth_tokens_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LoginAttemptRow(Base):
    """Every checked password sign-in, kept for throttling by email (existing account or not)."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_email_attempted_at", "email", "attempted_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class EventRow(Base):
    """The append-only learning record from which all progress is derived."""

    __tablename__ = "events"
    __table_args__ = (
        # Leads with user_id, so it also serves lookups by user alone.
        Index("ix_events_user_id_object_type_object_id", "user_id", "object_type", "object_id"),
        Index("ix_events_verb_occurred_at", "verb", "occurred_at"),
        Index("ix_events_object_type_object_id", "object_type", "object_id"),
    )

    # Plain INTEGER on SQLite so the key is the ROWID (BIGINT would not be).
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    verb: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(200))
    content_version: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    payload: Mapped[dict[str, Any]] = mapped_column(JSONPayload, default=dict)


class ReflectionRow(Base):
    """A learner's written reflection. Private: only its author can read it (course.reflections)."""

    __tablename__ = "reflections"
    __table_args__ = (Index("ix_reflections_user_id_object_type_object_id", "user_id", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    object_type: Mapped[str] = mapped_column(String(32))  # what it reflects on: vignette, module
    object_id: Mapped[str] = mapped_column(String(200))
    node_id: Mapped[str | None] = mapped_column(String(200))  # the reflection step, for a vignette
    content_version: Mapped[str] = mapped_column(String(64))
    # [{"prompt": ..., "answer": ...}, ...]: the prompt text is kept, so a later content edit
    # never changes what the learner was answering.
    entries: Mapped[list[dict[str, str]]] = mapped_column(JSONPayload)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


_OPEN = text("status = 'in_progress'")


class AttemptRow(Base):
    """One sitting of the summative assessment: in_progress -> submitted, or abandoned."""

    __tablename__ = "attempts"
    __table_args__ = (
        CheckConstraint(f"status IN {ATTEMPT_STATUSES!r}", name="status"),
        Index("ix_attempts_user_id_assessment_id", "user_id", "assessment_id"),
        # At most one open attempt per learner: two tabs starting at once cannot both create one.
        Index(
            "uq_attempts_one_open",
            "user_id",
            "assessment_id",
            unique=True,
            sqlite_where=_OPEN,
            postgresql_where=_OPEN,
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assessment_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    seed: Mapped[int] = mapped_column(BigInteger)
    content_version: Mapped[str] = mapped_column(String(64))
    # [{"item": id, "options": ["c", "a", ...]}] in the order shown: the draw and the shuffle.
    paper: Mapped[list[dict[str, Any]]] = mapped_column(JSONPayload)
    pass_mark_percent: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    correct: Mapped[int | None] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
    passed: Mapped[bool | None] = mapped_column(Boolean)


class AttemptAnswerRow(Base):
    """The learner's current answer to one item of an attempt (the newest one wins)."""

    __tablename__ = "attempt_answers"
    __table_args__ = (UniqueConstraint("attempt_id", "item_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"))
    item_id: Mapped[str] = mapped_column(String(64))
    chosen: Mapped[str] = mapped_column(String(1))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())
