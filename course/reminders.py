"""Assignment reminders by email, sent by a cron-style command, never twice; and who wants which.

Two kinds (EMAIL_KINDS), each on by default and each with its own unsubscribe link:

* ``learner_due``: to a learner, once per assignment and due date, when it falls due within the
  lead time (COURSE_REMINDER_DAYS, default 2 days) and is not done yet.
* ``educator_overdue``: to a cohort's educator, one email per run listing the (learner,
  assignment) pairs that became overdue in the last OVERDUE_WINDOW and have not been reported yet.
  Only learners the educator may view are listed (``cohorts.may_view_learner``, the one rule).

Idempotence: before sending, each reminder is *claimed* by inserting its row in
``reminders_sent``, whose unique key (kind, recipient, assignment, learner, due date) lets only one
claim succeed however many runs overlap. A failed send deletes its claims (the next run tries
again); a crash after sending leaves them (at most once, never twice). A moved due date is a new
reminder. Archived cohorts, done work, deleted accounts and unsubscribed people get nothing.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased

from course import accounts, formatting, mail
from course.accounts import User
from course.clock import require_aware
from course.cohorts import consented, may_view_learner
from course.completion import completions
from course.content import Course
from course.evidence import activity_title
from course.store.db import Store
from course.store.models import (
    EMAIL_KINDS,
    AssignmentRow,
    CohortMemberRow,
    CohortRow,
    EmailPreferenceRow,
    ReminderSentRow,
    UnsubscribeTokenRow,
    UserRow,
)

LEARNER_DUE, EDUCATOR_OVERDUE = EMAIL_KINDS
KIND_LABELS = {
    LEARNER_DUE: "Reminders before an assignment is due",
    EDUCATOR_OVERDUE: "A note when learners in my cohorts miss a due date",
}
DEFAULT_LEAD = timedelta(days=2)
OVERDUE_WINDOW = timedelta(days=14)  # older overdue work is on the dashboard, not news by email
_PAGES = {"module": "modules", "vignette": "vignettes", "assessment": "assessment"}


def lead_from_env(env: Mapping[str, str] = os.environ) -> timedelta:
    """COURSE_REMINDER_DAYS: how many days before the due date a learner is reminded (1-30, default 2)."""
    raw = env.get("COURSE_REMINDER_DAYS", "").strip()
    if not raw:
        return DEFAULT_LEAD
    if not raw.isdigit() or not 1 <= int(raw) <= 30:
        raise ValueError(f"COURSE_REMINDER_DAYS must be a whole number of days from 1 to 30, not {raw!r}")
    return timedelta(days=int(raw))


# --- preferences and unsubscribing ----------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _upsert(conn: Connection, user_id: int, kind: str, enabled: bool, now: datetime) -> None:
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = dialect_insert(EmailPreferenceRow).values(user_id=user_id, kind=kind, enabled=enabled, updated_at=now)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["user_id", "kind"], set_={"enabled": enabled, "updated_at": now}
        )
    )


def preferences(store: Store, user: User) -> dict[str, bool]:
    """Each kind of email and whether this person receives it (no choice recorded: on)."""
    with store.read() as conn:
        chosen = dict(
            conn.execute(
                select(EmailPreferenceRow.kind, EmailPreferenceRow.enabled).where(EmailPreferenceRow.user_id == user.id)
            ).all()
        )
    return {kind: bool(chosen.get(kind, True)) for kind in EMAIL_KINDS}


def set_preference(store: Store, user: User, kind: str, enabled: bool, *, now: datetime) -> None:
    require_aware(now)
    if kind not in EMAIL_KINDS:
        raise ValueError(f"unknown kind of email {kind!r}")
    with store.write(actor=user.id) as conn:
        _upsert(conn, user.id, kind, enabled, now)


def _issue_token(conn: Connection, user_id: int, kind: str, now: datetime) -> str:
    token = secrets.token_urlsafe(24)
    conn.execute(
        insert(UnsubscribeTokenRow).values(token_hash=_token_hash(token), user_id=user_id, kind=kind, created_at=now)
    )
    return token


def token_kind(store: Store, token: str | None) -> str | None:
    """The kind of email an unsubscribe token stops, or None for a token that names nothing."""
    if not token:
        return None
    with store.read() as conn:
        found = conn.execute(
            select(UnsubscribeTokenRow.kind)
            .join(UserRow, UserRow.id == UnsubscribeTokenRow.user_id)
            .where(UnsubscribeTokenRow.token_hash == _token_hash(token), UserRow.deleted_at.is_(None))
        ).scalar()
    return str(found) if found else None


def unsubscribe(store: Store, token: str | None, *, now: datetime) -> str | None:
    """Turn off the kind of email this token came with (repeatable). Returns the kind, or None."""
    require_aware(now)
    if not token:
        return None
    with store.write() as conn:
        found = conn.execute(
            select(UnsubscribeTokenRow.user_id, UnsubscribeTokenRow.kind)
            .join(UserRow, UserRow.id == UnsubscribeTokenRow.user_id)
            .where(UnsubscribeTokenRow.token_hash == _token_hash(token), UserRow.deleted_at.is_(None))
        ).one_or_none()
        if found is None:
            return None
        _upsert(conn, int(found.user_id), str(found.kind), False, now)
    return str(found.kind)


def unsubscribe_url(public_url: str, token: str) -> str:
    return f"{public_url}/email/unsubscribe?token={token}"


# --- finding what is due -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    assignment_id: int
    cohort_id: int
    cohort_name: str
    object_type: str
    object_id: str
    due_at: datetime
    learner_id: int
    owner_id: int


def _candidates(conn: Connection, *, due_after: datetime, due_until: datetime) -> list[Due]:
    owner = aliased(UserRow, name="owner")
    rows = conn.execute(
        select(
            AssignmentRow.id,
            AssignmentRow.cohort_id,
            CohortRow.name,
            AssignmentRow.object_type,
            AssignmentRow.object_id,
            AssignmentRow.due_at,
            CohortMemberRow.user_id,
            CohortRow.owner_id,
        )
        .join(CohortRow, CohortRow.id == AssignmentRow.cohort_id)
        .join(CohortMemberRow, CohortMemberRow.cohort_id == CohortRow.id)
        .join(UserRow, UserRow.id == CohortMemberRow.user_id)
        .join(owner, owner.id == CohortRow.owner_id)
        .where(
            CohortRow.archived_at.is_(None),
            UserRow.deleted_at.is_(None),
            owner.deleted_at.is_(None),
            consented(),
            AssignmentRow.due_at > due_after,
            AssignmentRow.due_at <= due_until,
        )
        .order_by(AssignmentRow.due_at, AssignmentRow.id, CohortMemberRow.user_id)
    ).all()
    found = [Due(*row) for row in rows]
    done = completions(conn, {d.learner_id for d in found}, {(d.object_type, d.object_id) for d in found})
    return [d for d in found if (d.learner_id, d.object_type, d.object_id) not in done]


def _opted_out(conn: Connection, kind: str) -> set[int]:
    return set(
        conn.execute(
            select(EmailPreferenceRow.user_id).where(
                EmailPreferenceRow.kind == kind, EmailPreferenceRow.enabled.is_(False)
            )
        ).scalars()
    )


def _claimed(conn: Connection, kind: str) -> set[tuple[int, int, int, datetime]]:
    rows = conn.execute(
        select(
            ReminderSentRow.recipient_id,
            ReminderSentRow.assignment_id,
            ReminderSentRow.learner_id,
            ReminderSentRow.due_at,
        ).where(ReminderSentRow.kind == kind)
    ).all()
    return {(int(r[0]), int(r[1]), int(r[2]), r[3]) for r in rows}


# --- sending ----------------------------------------------------------------------------------------------


@dataclass
class Report:
    sent: int = 0  # emails delivered
    failed: int = 0  # emails that could not be delivered (claims released: the next run retries)
    errors: list[str] = field(default_factory=list)


def _claim(conn: Connection, kind: str, recipient: int, due: Due, now: datetime) -> int | None:
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    claimed = conn.execute(
        dialect_insert(ReminderSentRow)
        .values(
            kind=kind,
            recipient_id=recipient,
            assignment_id=due.assignment_id,
            learner_id=due.learner_id,
            due_at=due.due_at,
            claimed_at=now,
        )
        .on_conflict_do_nothing(index_elements=["kind", "recipient_id", "assignment_id", "learner_id", "due_at"])
        .returning(ReminderSentRow.id)
    ).scalar()
    return int(claimed) if claimed is not None else None


def _deliver(
    store: Store,
    settings: mail.SmtpSettings,
    sender: mail.Sender,
    recipient: User,
    kind: str,
    items: list[Due],
    compose: Any,
    report: Report,
    now: datetime,
) -> None:
    with store.write() as conn:
        won = [(d, c) for d in items if (c := _claim(conn, kind, recipient.id, d, now)) is not None]
        token = _issue_token(conn, recipient.id, kind, now) if won else None
    if token is None:
        return  # another run claimed every one of them first
    claims = [c for _, c in won]
    link = unsubscribe_url(settings.public_url, token)
    subject, body = compose(recipient, [d for d, _ in won], link)
    try:
        sender(settings, mail.message(settings, recipient.email, subject, body, unsubscribe_url=link))
    except (mail.EmailFailed, mail.EmailNotConfigured) as exc:
        with store.write() as conn:
            conn.execute(delete(ReminderSentRow).where(ReminderSentRow.id.in_(claims)))
        report.failed += 1
        report.errors.append(str(exc))
        return
    with store.write() as conn:
        conn.execute(update(ReminderSentRow).where(ReminderSentRow.id.in_(claims)).values(sent_at=now))
    report.sent += 1


def send_reminders(
    store: Store,
    course: Course,
    settings: mail.SmtpSettings,
    *,
    now: datetime,
    lead: timedelta = DEFAULT_LEAD,
    sender: mail.Sender = mail.send,
) -> Report:
    """Send every reminder that is due and not yet sent. Safe to run as often as you like."""
    require_aware(now)
    settings.require_ready()
    report = Report()
    with store.read() as conn:
        upcoming = _candidates(conn, due_after=now, due_until=now + lead)
        overdue = _candidates(conn, due_after=now - OVERDUE_WINDOW, due_until=now)
        learners_out, educators_out = _opted_out(conn, LEARNER_DUE), _opted_out(conn, EDUCATOR_OVERDUE)
        learner_sent, educator_sent = _claimed(conn, LEARNER_DUE), _claimed(conn, EDUCATOR_OVERDUE)

    # One reminder per learner and item: the same module set by two cohorts is mentioned once.
    per_learner: dict[int, dict[tuple[str, str], Due]] = {}
    for due in upcoming:
        key = (due.learner_id, due.assignment_id, due.learner_id, due.due_at)
        if due.learner_id in learners_out or key in learner_sent:
            continue
        per_learner.setdefault(due.learner_id, {}).setdefault((due.object_type, due.object_id), due)
    for learner_id, by_item in per_learner.items():
        learner = accounts.get_user(store, learner_id)
        if learner is not None:
            compose = _learner_email(course, settings.public_url)
            _deliver(store, settings, sender, learner, LEARNER_DUE, list(by_item.values()), compose, report, now)

    per_owner: dict[int, list[Due]] = {}
    for due in overdue:
        key = (due.owner_id, due.assignment_id, due.learner_id, due.due_at)
        if due.owner_id in educators_out or key in educator_sent:
            continue
        per_owner.setdefault(due.owner_id, []).append(due)
    for owner_id, items in per_owner.items():
        educator = accounts.get_user(store, owner_id)
        if educator is None:
            continue
        with store.read() as conn:
            visible = [d for d in items if may_view_learner(conn, educator, d.learner_id)]
            names = dict(
                conn.execute(
                    select(UserRow.id, UserRow.display_name).where(UserRow.id.in_({d.learner_id for d in visible}))
                ).all()
            )
        if visible:
            compose = _educator_email(course, settings.public_url, names)
            _deliver(store, settings, sender, educator, EDUCATOR_OVERDUE, visible, compose, report, now)
    return report


# --- the emails -------------------------------------------------------------------------------------------


def item_url(public_url: str, object_type: str, object_id: str) -> str:
    page = _PAGES.get(object_type, "")
    return f"{public_url}/{page}" + (f"?id={object_id}" if object_type in ("module", "vignette") else "")


_FOOTER = """
You receive this because of your settings on the Relational Prescribing course.
To stop these emails, open {unsubscribe}
or change your email settings on your Account page.
"""


def _learner_email(course: Course, public_url: str) -> Any:
    def compose(learner: User, items: list[Due], unsubscribe: str) -> tuple[str, str]:
        tz = mail.recipient_zone(learner)
        first = items[0]
        title = activity_title(course, first.object_type, first.object_id)
        subject = (
            f"Due {formatting.format_deadline(first.due_at, tz)}: {title}"
            if len(items) == 1
            else f"{len(items)} assignments due soon"
        )
        lines = [f"Hello {learner.display_name},", "", "A reminder of what your cohort has set you:", ""]
        for due in items:
            lines.append(
                f"- {activity_title(course, due.object_type, due.object_id)} ({due.cohort_name}), "
                f"due {formatting.format_deadline(due.due_at, tz)}"
            )
            lines.append(f"  {item_url(public_url, due.object_type, due.object_id)}")
        return subject, "\n".join(lines) + "\n" + _FOOTER.format(unsubscribe=unsubscribe)

    return compose


def _educator_email(course: Course, public_url: str, names: dict[int, str]) -> Any:
    def compose(educator: User, items: list[Due], unsubscribe: str) -> tuple[str, str]:
        tz = mail.recipient_zone(educator)
        subject = f"{len({d.learner_id for d in items})} learner(s) in your cohorts are past a due date"
        lines = [
            f"Hello {educator.display_name},",
            "",
            "These learners have missed a due date since the last note:",
            "",
        ]
        for cohort_id in dict.fromkeys(d.cohort_id for d in items):
            in_cohort = [d for d in items if d.cohort_id == cohort_id]
            lines.append(f"{in_cohort[0].cohort_name} ({public_url}/dashboards?cohort={cohort_id}):")
            for due in in_cohort:
                lines.append(
                    f"- {names.get(due.learner_id, 'A learner')}: "
                    f"{activity_title(course, due.object_type, due.object_id)}, "
                    f"due {formatting.format_deadline(due.due_at, tz)}"
                )
            lines.append("")
        return subject, "\n".join(lines) + _FOOTER.format(unsubscribe=unsubscribe)

    return compose


__all__ = [
    "DEFAULT_LEAD",
    "EDUCATOR_OVERDUE",
    "KIND_LABELS",
    "LEARNER_DUE",
    "Report",
    "lead_from_env",
    "preferences",
    "send_reminders",
    "set_preference",
    "token_kind",
    "unsubscribe",
    "unsubscribe_url",
]
