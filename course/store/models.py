"""The database schema. Migrations in ``migrations/versions`` must match it exactly (a test checks)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ColumnElement,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    and_,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from course.codes import code_key
from course.textkey import search_key

# Explicit names so that migrations (and later ALTERs, especially SQLite batch mode) can refer to
# constraints by name on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _code_key_of(column: str) -> Any:
    """An insert default: the folded form (course.codes.code_key) of the code in ``column``."""

    def default(context: DefaultExecutionContext) -> str:
        values = context.get_current_parameters()  # type: ignore[no-untyped-call]
        return code_key(values[column])

    return default


def _user_search_key(context: DefaultExecutionContext) -> str:
    """Insert default for users.search_key; updates that change a name or email set it themselves."""
    values = context.get_current_parameters()  # type: ignore[no-untyped-call]
    return search_key(values["display_name"], values["email"])


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
    # course.textkey.search_key(display_name, email): what name and email searches match, folded the
    # same on every database. Every UPDATE that sets display_name or email sets it too.
    search_key: Mapped[str] = mapped_column(Text, default=_user_search_key, server_default="")
    # Argon2id PHC string; NULL for people who only sign in through OIDC.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    # "issuer|sub" for OIDC users.
    oidc_subject: Mapped[str | None] = mapped_column(String(512), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # IANA zone every date this person reads is shown in; NULL until detected from the browser or chosen.
    time_zone: Mapped[str | None] = mapped_column(String(64))


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
    # SHA-256 of the browser cookie (rp_browser) a handoff was minted for / a session started in.
    browser_hash: Mapped[str | None] = mapped_column(String(64))


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
        # The time log walks each learner's events in time order (a window over user_id).
        Index("ix_events_user_id_occurred_at", "user_id", "occurred_at"),
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
    # "vignette_step" (written inside a case) or "structured" (the CPD reflective note).
    kind: Mapped[str] = mapped_column(String(16), server_default="vignette_step")
    title: Mapped[str | None] = mapped_column(String(120))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


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
    # The retake rule in force when the attempt started (COURSE_RETAKE_LIMIT, 0 = no limit, and
    # COURSE_RETAKE_COOLDOWN_HOURS in minutes); NULL for attempts from before revision 0006.
    retake_limit: Mapped[int | None] = mapped_column(Integer)
    retake_cooldown_minutes: Mapped[int | None] = mapped_column(Integer)
    # How many questions had an answer when it was submitted (NULL while open, and before 0006).
    answered: Mapped[int | None] = mapped_column(Integer)


class AttemptAnswerRow(Base):
    """The learner's current answer to one item of an attempt (the newest one wins)."""

    __tablename__ = "attempt_answers"
    __table_args__ = (UniqueConstraint("attempt_id", "item_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"))
    item_id: Mapped[str] = mapped_column(String(64))
    chosen: Mapped[str] = mapped_column(String(1))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())


ASSIGNABLE_TYPES = ("module", "vignette", "assessment")


class AttemptItemRow(Base):
    """One question of an attempt's paper, with its frozen key: item analysis joins on it in SQL."""

    __tablename__ = "attempt_items"
    __table_args__ = (
        UniqueConstraint("attempt_id", "item_id"),
        Index("ix_attempt_items_item_id", "item_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"))
    item_id: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer)
    answer: Mapped[str] = mapped_column(String(1))


class CohortRow(Base):
    """A group of learners run by one educator (its owner)."""

    __tablename__ = "cohorts"
    __table_args__ = (
        Index("ix_cohorts_owner_id", "owner_id"),
        Index("ix_cohorts_invite_key", "invite_key", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Learners join with it, so it is stored as issued (it is meant to be shared, unlike a password).
    invite_code: Mapped[str] = mapped_column(String(16), unique=True)
    # course.codes.code_key(invite_code): what a typed code is matched by.
    invite_key: Mapped[str] = mapped_column(String(16), default=_code_key_of("invite_code"), server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # IANA zone of the cohort's due days (a due date ends at the last instant of that day there).
    time_zone: Mapped[str] = mapped_column(String(64), server_default="UTC")


class CohortMemberRow(Base):
    __tablename__ = "cohort_members"
    __table_args__ = (
        UniqueConstraint("cohort_id", "user_id"),
        Index("ix_cohort_members_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # How the learner came to be a member (one of JOINED_VIA): their own act ("code", "invitation",
    # "lti" enrolment), an admin, or an educator adding them directly ("educator", the old route).
    joined_via: Mapped[str] = mapped_column(String(16), server_default="educator")


class CohortInvitationRow(Base):
    """An educator's invitation to one exact email address to join a cohort (issue 16).

    Nothing about the invitee's account (whether there is one) is stored or shown to the educator;
    the person with that email sees it on their Account page and accepts or declines it.
    """

    __tablename__ = "cohort_invitations"
    __table_args__ = (
        UniqueConstraint("cohort_id", "email"),
        Index("ix_cohort_invitations_email", "email"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"))
    email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AssignmentRow(Base):
    """A module, vignette or the assessment set for a cohort, with a due date."""

    __tablename__ = "assignments"
    __table_args__ = (
        CheckConstraint(f"object_type IN {ASSIGNABLE_TYPES!r}", name="object_type"),
        UniqueConstraint("cohort_id", "object_type", "object_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


OUTBOX_STATUSES = ("pending", "sent", "failed")
JOINED_VIA = ("code", "invitation", "lti", "admin", "educator")
# Memberships that rest on the learner's own act or on an administrator (issue 16); only these count
# for anything an educator sees. "educator" (added by an educator without asking) is pending.
CONSENTED_VIA = ("code", "invitation", "lti", "admin")


class ReflectionRevisionRow(Base):
    """An earlier wording of a reflection, kept whenever its author edits it."""

    __tablename__ = "reflection_revisions"
    __table_args__ = (Index("ix_reflection_revisions_reflection_id", "reflection_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reflection_id: Mapped[int] = mapped_column(ForeignKey("reflections.id"))
    entries: Mapped[list[dict[str, str]]] = mapped_column(JSONPayload)
    # When this wording was written (the reflection's created_at or the previous edit).
    written_at: Mapped[datetime] = mapped_column(UTCDateTime())
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReflectionShareRow(Base):
    """A reflection shared with the owner of one of its author's cohorts, until withdrawn."""

    __tablename__ = "reflection_shares"
    __table_args__ = (
        Index("ix_reflection_shares_reflection_id", "reflection_id"),
        Index("ix_reflection_shares_cohort_id", "cohort_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reflection_id: Mapped[int] = mapped_column(ForeignKey("reflections.id"))
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"))
    shared_at: Mapped[datetime] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CertificateRow(Base):
    """A CPD certificate. The public verification page shows only name, course and date."""

    __tablename__ = "certificates"
    __table_args__ = (
        Index("ix_certificates_user_id", "user_id"),
        Index("ix_certificates_code_key", "code_key", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    code: Mapped[str] = mapped_column(String(32), unique=True)
    # course.codes.code_key(code): what a typed code is matched by.
    code_key: Mapped[str] = mapped_column(String(32), default=_code_key_of("code"), server_default="")
    learner_name: Mapped[str] = mapped_column(String(80))  # as it was when issued
    course_title: Mapped[str] = mapped_column(String(200))
    cpd_minutes: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class XapiOutboxRow(Base):
    """Events waiting to be sent to the learning record store, so nothing is lost while it is down."""

    __tablename__ = "xapi_outbox"
    __table_args__ = (
        CheckConstraint(f"status IN {OUTBOX_STATUSES!r}", name="status"),
        Index("ix_xapi_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("events.id"), unique=True
    )
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


def answer_of_item() -> ColumnElement[bool]:
    """Join condition: an attempt question's saved answer (outer-join it: a question may be blank)."""
    return and_(
        AttemptAnswerRow.attempt_id == AttemptItemRow.attempt_id,
        AttemptAnswerRow.item_id == AttemptItemRow.item_id,
    )


# --- issue 19: email (password reset, reminders, unsubscribe) and the educator's home --------------

EMAIL_KINDS = ("learner_due", "educator_overdue")


class PasswordResetRow(Base):
    """A password-reset link sent by email: single use, expiring; only the token's SHA-256 is kept."""

    __tablename__ = "password_resets"
    __table_args__ = (Index("ix_password_resets_user_id_created_at", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class EmailPreferenceRow(Base):
    """A person's choice about one kind of email (no row: the kind's default, which is on)."""

    __tablename__ = "email_preferences"
    __table_args__ = (
        CheckConstraint(f"kind IN {EMAIL_KINDS!r}", name="kind"),
        UniqueConstraint("user_id", "kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))
    enabled: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class UnsubscribeTokenRow(Base):
    """The opaque token in one email's unsubscribe link (its SHA-256): it can stop only that kind."""

    __tablename__ = "unsubscribe_tokens"
    __table_args__ = (
        CheckConstraint(f"kind IN {EMAIL_KINDS!r}", name="kind"),
        Index("ix_unsubscribe_tokens_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReminderSentRow(Base):
    """The ledger that makes reminders idempotent: one row per reminder, claimed before it is sent.

    ``assignment_id`` is not a foreign key: removing an assignment must not be blocked by the
    reminders once sent about it. A moved due date is a new reminder (``due_at`` is in the key).
    """

    __tablename__ = "reminders_sent"
    __table_args__ = (
        CheckConstraint(f"kind IN {EMAIL_KINDS!r}", name="kind"),
        UniqueConstraint("kind", "recipient_id", "assignment_id", "learner_id", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assignment_id: Mapped[int] = mapped_column(Integer)
    learner_id: Mapped[int] = mapped_column(Integer)  # whose work it is about (the recipient, for a learner)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CohortVisitRow(Base):
    """When an educator last looked at a cohort from their home page ("what changed since")."""

    __tablename__ = "cohort_visits"
    __table_args__ = (UniqueConstraint("user_id", "cohort_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


# --- issue 17: the deployment's own settings, xAPI voiding, LTI 1.3 ----------------------------

VOID_STATUSES = OUTBOX_STATUSES
LTI_KEY_STATUSES = ("current", "previous", "retired")
LTI_SCORE_STATUSES = OUTBOX_STATUSES


class SettingRow(Base):
    """A value this deployment generates once and keeps (e.g. its xAPI base); never per person."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class XapiVoidRow(Base):
    """A statement already sent to the LRS that must be voided (its learner deleted the account)."""

    __tablename__ = "xapi_voids"
    __table_args__ = (
        CheckConstraint(f"status IN {VOID_STATUSES!r}", name="status"),
        Index("ix_xapi_voids_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("events.id"), unique=True
    )
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LtiPlatformRow(Base):
    """An LMS registered as an LTI 1.3 platform (issuer + client id), with its endpoints."""

    __tablename__ = "lti_platforms"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    issuer: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    auth_login_url: Mapped[str] = mapped_column(String(2000))
    auth_token_url: Mapped[str] = mapped_column(String(2000))
    auth_audience: Mapped[str | None] = mapped_column(String(2000))
    key_set_url: Mapped[str] = mapped_column(String(2000))
    deployment_ids: Mapped[list[str]] = mapped_column(JSONPayload)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


_CURRENT_KEY = text("status = 'current'")


class LtiKeyRow(Base):
    """The tool's signing keys: one current, the one before it still published until the next rotation."""

    __tablename__ = "lti_keys"
    __table_args__ = (
        CheckConstraint(f"status IN {LTI_KEY_STATUSES!r}", name="status"),
        # Two processes generating the first key at once cannot both make a current one.
        Index(
            "uq_lti_keys_one_current", "status", unique=True, sqlite_where=_CURRENT_KEY, postgresql_where=_CURRENT_KEY
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    private_pem: Mapped[str] = mapped_column(String(4000))
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSONPayload)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LtiLaunchDataRow(Base):
    """Short-lived LTI login state, nonces and launch data, shared by every app process."""

    __tablename__ = "lti_launch_data"
    __table_args__ = (Index("ix_lti_launch_data_expires_at", "expires_at"),)

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONPayload)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LtiUserRow(Base):
    """Which course account a platform's user (its ``sub``) signs in as."""

    __tablename__ = "lti_users"
    __table_args__ = (UniqueConstraint("platform_id", "sub"), Index("ix_lti_users_user_id", "user_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id"))
    sub: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LtiContextRow(Base):
    """An LMS course (LTI context) and the cohort it became; its roster comes from NRPS."""

    __tablename__ = "lti_contexts"
    __table_args__ = (UniqueConstraint("platform_id", "context_id"), Index("ix_lti_contexts_cohort_id", "cohort_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id"))
    deployment_id: Mapped[str] = mapped_column(String(255))
    context_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(255))
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id"))
    nrps_url: Mapped[str | None] = mapped_column(String(2000))
    roster_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Assignment and Grade Services, as the latest launch in this course announced them.
    lineitems_url: Mapped[str | None] = mapped_column(String(2000))
    ags_scopes: Mapped[list[str]] = mapped_column(JSONPayload)
    # The gradebook column the assessment's result goes to (found or created through AGS).
    assessment_lineitem_url: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LtiLinkRow(Base):
    """A resource link placed in an LMS course: where it lands, and its AGS line item."""

    __tablename__ = "lti_links"
    __table_args__ = (
        UniqueConstraint("platform_id", "resource_link_id"),
        Index("ix_lti_links_lti_context_id", "lti_context_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id"))
    lti_context_id: Mapped[int | None] = mapped_column(ForeignKey("lti_contexts.id"))
    resource_link_id: Mapped[str] = mapped_column(String(255))
    target: Mapped[str] = mapped_column(String(200))  # "module:<id>", "vignette:<id>", "assessment", "dashboard"
    title: Mapped[str | None] = mapped_column(String(255))
    lineitem_url: Mapped[str | None] = mapped_column(String(2000))  # the link's own gradebook column, if any
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LtiScoreRow(Base):
    """A learner's assessment result going back to an LMS course (AGS), retried until it is accepted."""

    __tablename__ = "lti_scores"
    __table_args__ = (
        CheckConstraint(f"status IN {LTI_SCORE_STATUSES!r}", name="status"),
        UniqueConstraint("lti_context_id", "user_id"),
        Index("ix_lti_scores_user_id", "user_id"),
        Index("ix_lti_scores_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lti_context_id: Mapped[int] = mapped_column(ForeignKey("lti_contexts.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    score_given: Mapped[int | None] = mapped_column(Integer)  # what was last accepted, for the record
    score_maximum: Mapped[int | None] = mapped_column(Integer)
