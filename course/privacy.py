"""Everything held about a person: download it all, or close the account and erase it.

One table, :data:`HOLDINGS`, says for every kind of row that refers to a person how it is found
(the chain of foreign keys from that table to ``users.id``, or the email for sign-in attempts),
whether it is exported, and what happens to it when the account is deleted. Both the export and
the deletion are driven by it, and a test walks the schema's foreign keys to prove that every path
to ``users.id`` is listed here: a table added later cannot be forgotten.

What deletion does, and why:

* The ``users`` row becomes a tombstone (anonymised email and name, no password or OIDC link,
  ``deleted_at`` set). It is kept because the learning record refers to it.
* Events are kept so cohort and item statistics stay true, but the learner's own words in them
  (the optional "reason" typed at a vignette choice) are removed.
* Reflections, their revisions and shares, sign-in tokens, sign-in attempts for the email, the
  link from an LMS (LTI) user to the account, results waiting to go back to the LMS, and queued
  xAPI statements are deleted. Statements the learning record store already holds are voided:
  a voiding statement for each is queued (``xapi_voids``) and sent by ``python -m course xapi send``;
  ``xapi export`` leaves deleted accounts out.
* Certificates are revoked (their codes stop verifying) and the printed name is removed.
* Attempts, their answers and cohort memberships are kept unchanged: they hold no free text, and
  once the user row is a tombstone they identify nobody. Keeping memberships means a cohort's
  completion figures do not change when a member leaves the service; the member is listed as
  "Deleted user". Cohorts a deleted educator ran are kept for their learners (an administrator
  can hand them to another educator).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Connection, Table, delete, select, update
from sqlalchemy.sql import Select

from course import certificates, cohorts, xapi
from course.accounts import MAX_EMAIL_LENGTH, User, normalise_email
from course.clock import require_aware
from course.permissions import Action, require, require_self_or
from course.store.db import Store
from course.store.models import Base, CertificateRow, EventRow, UserRow
from course.textkey import search_key

EXPORT_FORMAT = "relational-prescribing/personal-data"
EXPORT_VERSION = 1
DELETED_NAME = cohorts.DELETED_NAME  # one wording everywhere a deleted account is named
# Payload keys of events that hold the learner's own free text.
FREE_TEXT_PAYLOAD_KEYS = ("reason",)


class Disposal(StrEnum):
    DELETE = "delete"  # the rows are removed
    ANONYMISE = "anonymise"  # the rows stay for the statistics; personal columns are overwritten
    KEEP = "keep"  # the rows stay as they are: nothing personal in them once the user is a tombstone


@dataclass(frozen=True)
class Holding:
    """One kind of row held about a person.

    ``path`` is the chain of foreign-key columns from ``table`` to ``users.id`` (empty for the users
    table itself); with ``by_email`` it is instead the column holding the person's email.
    """

    table: str
    path: tuple[str, ...]
    disposal: Disposal
    why: str
    secret_columns: tuple[str, ...] = ()  # never exported: they would let someone sign in as the person
    by_email: bool = False


HOLDINGS: tuple[Holding, ...] = (
    Holding("users", (), Disposal.ANONYMISE, "Your account.", secret_columns=("password_hash",)),
    Holding("auth_tokens", ("user_id",), Disposal.DELETE, "Sign-in sessions.", secret_columns=("token_hash",)),
    Holding("login_attempts", ("email",), Disposal.DELETE, "Password sign-ins with your email.", by_email=True),
    Holding("events", ("user_id",), Disposal.ANONYMISE, "Everything you did in the course."),
    Holding("reflections", ("user_id",), Disposal.DELETE, "Your reflections."),
    Holding("reflection_revisions", ("reflection_id", "user_id"), Disposal.DELETE, "Earlier wordings."),
    Holding("reflection_shares", ("reflection_id", "user_id"), Disposal.DELETE, "Who you shared them with."),
    Holding("attempts", ("user_id",), Disposal.KEEP, "Assessment attempts and scores."),
    Holding("attempt_answers", ("attempt_id", "user_id"), Disposal.KEEP, "Your answers in each attempt."),
    Holding("attempt_items", ("attempt_id", "user_id"), Disposal.KEEP, "The questions of each attempt."),
    Holding("cohort_members", ("user_id",), Disposal.KEEP, "Cohorts you belong to."),
    Holding(
        "cohort_invitations", ("email",), Disposal.DELETE, "Invitations to cohorts sent to your email.", by_email=True
    ),
    Holding("cohorts", ("owner_id",), Disposal.KEEP, "Cohorts you run."),
    Holding("certificates", ("user_id",), Disposal.ANONYMISE, "Certificates issued to you."),
    Holding("xapi_outbox", ("event_id", "user_id"), Disposal.DELETE, "Your events queued for the LRS."),
    Holding(
        "password_resets",
        ("user_id",),
        Disposal.DELETE,
        "Password-reset links sent to you.",
        secret_columns=("token_hash",),
    ),
    Holding("email_preferences", ("user_id",), Disposal.DELETE, "Which emails you want."),
    Holding("unsubscribe_tokens", ("user_id",), Disposal.DELETE, "Unsubscribe links in your emails.", ("token_hash",)),
    Holding("reminders_sent", ("recipient_id",), Disposal.DELETE, "Reminder emails sent to you."),
    Holding("cohort_visits", ("user_id",), Disposal.DELETE, "When you last looked at your cohorts."),
    Holding(
        "xapi_voids",
        ("event_id", "user_id"),
        Disposal.KEEP,
        "Withdrawals of your records from the LRS after you deleted your account (they name nobody).",
    ),
    Holding("lti_users", ("user_id",), Disposal.DELETE, "Which user of your LMS signs in as you."),
    Holding("lti_scores", ("user_id",), Disposal.DELETE, "Your assessment result going back to your LMS."),
)

# Foreign-key paths to users.id that lead to other people's data, not the subject's.
OTHER_PEOPLES_DATA: dict[tuple[str, tuple[str, ...]], str] = {
    ("cohort_members", ("cohort_id", "owner_id")): "other learners' memberships of a cohort this person runs",
    ("reflection_shares", ("cohort_id", "owner_id")): "other learners' reflections shared with this educator",
    ("assignments", ("cohort_id", "owner_id")): "a cohort's work plan, which its learners keep",
    ("cohort_visits", ("cohort_id", "owner_id")): "when others (an administrator) last looked at this person's cohort",
    ("lti_contexts", ("cohort_id", "owner_id")): "the LMS course a cohort this person runs came from",
    ("cohort_invitations", ("cohort_id", "owner_id")): "invitations this person's cohort sent to others' emails",
    ("lti_links", ("lti_context_id", "cohort_id", "owner_id")): "links placed in that LMS course",
    ("lti_scores", ("lti_context_id", "cohort_id", "owner_id")): "other learners' results going back to that course",
}

# Columns that hold personal data without a foreign key to users.
PERSONAL_COLUMNS: frozenset[tuple[str, str]] = frozenset(
    {
        ("users", "email"),
        ("users", "display_name"),
        ("users", "password_hash"),
        ("users", "oidc_subject"),
        ("login_attempts", "email"),
        ("cohort_invitations", "email"),
        ("certificates", "learner_name"),
    }
)


class PrivacyError(ValueError):
    """A request that cannot be carried out; ``message`` is written for the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- finding a person's rows ------------------------------------------------------------------------


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def _referred(column: Column[Any]) -> Column[Any]:
    [foreign_key] = list(column.foreign_keys)
    return foreign_key.column


def rows_of(holding: Holding, user_id: int, email: str) -> Select[Any]:
    """SELECT the holding's rows that belong to the person, by following its foreign-key path."""
    table = _table(holding.table)
    query = select(table)
    if holding.by_email:
        return query.where(table.c[holding.path[0]] == email)
    if not holding.path:
        return query.where(table.c.id == user_id)
    current = table
    for column_name in holding.path[:-1]:
        column = current.c[column_name]
        parent = _referred(column)
        query = query.join(parent.table, column == parent)
        current = parent.table
    last = current.c[holding.path[-1]]
    if _referred(last).table.name != "users":
        raise ValueError(f"{holding.table}: the path {holding.path} does not end at users.id")
    return query.where(last == user_id)


def _ids_of(holding: Holding, user_id: int, email: str) -> Select[Any]:
    found = rows_of(holding, user_id, email).subquery()
    return select(found.c.id)


# --- export --------------------------------------------------------------------------------------------


def _jsonable(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _email_of(conn: Connection, user_id: int) -> str:
    email = conn.execute(select(UserRow.email).where(UserRow.id == user_id)).scalar()
    if email is None:
        raise PrivacyError("There is no such account.")
    return str(email)


def export_personal_data(store: Store, viewer: User, user_id: int, *, now: datetime) -> dict[str, Any]:
    """Everything held about the person as JSON-ready data (no password or token hashes)."""
    require_self_or(viewer, user_id, Action.MANAGE_USERS)
    require_aware(now)
    tables: dict[str, list[dict[str, object]]] = {}
    with store.read() as conn:
        email = _email_of(conn, user_id)
        for holding in HOLDINGS:
            rows = conn.execute(rows_of(holding, user_id, email).order_by(_table(holding.table).c.id)).mappings()
            tables[holding.table] = [
                {key: _jsonable(value) for key, value in row.items() if key not in holding.secret_columns}
                for row in rows
            ]
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": now.isoformat(),
        "user_id": user_id,
        "what_each_table_is": {h.table: h.why for h in HOLDINGS},
        "left_out": {
            f"{h.table}.{column}": "a secret that would let someone sign in as you"
            for h in HOLDINGS
            for column in h.secret_columns
        },
        "tables": tables,
    }


# --- deletion ------------------------------------------------------------------------------------------


def tombstone_email(user_id: int) -> str:
    return f"deleted-{user_id}@deleted.invalid"


def _anonymise_user(conn: Connection, user_id: int, email: str, now: datetime) -> None:
    conn.execute(
        update(UserRow)
        .where(UserRow.id == user_id)
        .values(
            email=tombstone_email(user_id),
            display_name=DELETED_NAME,
            search_key=search_key(DELETED_NAME, tombstone_email(user_id)),
            password_hash=None,
            oidc_subject=None,
            deleted_at=now,
        )
    )


def _anonymise_events(conn: Connection, user_id: int, email: str, now: datetime) -> None:
    # Done row by row in Python so that SQLite and PostgreSQL behave alike; a learner has at most a
    # few thousand events.
    rows = conn.execute(select(EventRow.id, EventRow.payload).where(EventRow.user_id == user_id)).all()
    for row in rows:
        payload = dict(row.payload or {})
        if any(key in payload for key in FREE_TEXT_PAYLOAD_KEYS):
            kept = {key: value for key, value in payload.items() if key not in FREE_TEXT_PAYLOAD_KEYS}
            conn.execute(update(EventRow).where(EventRow.id == row.id).values(payload=kept))


def _anonymise_certificates(conn: Connection, user_id: int, email: str, now: datetime) -> None:
    certificates.revoke_all_for(conn, user_id, now)
    conn.execute(update(CertificateRow).where(CertificateRow.user_id == user_id).values(learner_name=DELETED_NAME))


ANONYMISERS: dict[str, Callable[[Connection, int, str, datetime], None]] = {
    "users": _anonymise_user,
    "events": _anonymise_events,
    "certificates": _anonymise_certificates,
}


def _erase(conn: Connection, user_id: int, email: str, now: datetime) -> None:
    # Children before parents (longer foreign-key paths first), so no foreign key is left dangling;
    # the user row is anonymised last, after everything found through it.
    for holding in sorted(HOLDINGS, key=lambda h: (-len(h.path), h.table == "users")):
        if holding.disposal is Disposal.DELETE:
            table = _table(holding.table)
            conn.execute(delete(table).where(table.c.id.in_(_ids_of(holding, user_id, email))))
        elif holding.disposal is Disposal.ANONYMISE:
            ANONYMISERS[holding.table](conn, user_id, email, now)


def delete_account(store: Store, viewer: User, user_id: int, *, confirm_email: str, now: datetime) -> None:
    """Close the account and erase the personal data (see the module docstring for what stays).

    ``confirm_email`` must be the account's email, typed again: a deliberate step, not a slip.
    """
    require_self_or(viewer, user_id, Action.MANAGE_USERS)
    require_aware(now)
    with store.write() as conn:
        row = conn.execute(
            select(UserRow.email, UserRow.deleted_at).where(UserRow.id == user_id).with_for_update()
        ).first()
        if row is None or row.deleted_at is not None:
            raise PrivacyError("There is no such account.")
        if len(confirm_email) > 2 * MAX_EMAIL_LENGTH or normalise_email(confirm_email) != row.email:
            raise PrivacyError("To confirm, type the email address of this account exactly as shown.")
        xapi.queue_voids(conn, user_id, now)  # before _erase drops the outbox that says what was sent
        _erase(conn, user_id, row.email, now)


def erase_again(store: Store, viewer: User, user_id: int, *, now: datetime) -> None:
    """Run the erasure once more on a deleted account (a tombstone), keeping its deletion date.

    Writes re-check that the account is live, but should anything have reached a tombstone (a tab
    left open before that check existed), this erases it the same way. Administrators only;
    PrivacyError when the account does not exist or is not deleted.
    """
    require(viewer, Action.MANAGE_USERS)
    require_aware(now)
    with store.write() as conn:
        row = conn.execute(
            select(UserRow.email, UserRow.deleted_at).where(UserRow.id == user_id).with_for_update()
        ).first()
        if row is None or row.deleted_at is None:
            raise PrivacyError("Only a deleted account can be erased again; this one is not deleted.")
        xapi.queue_voids(conn, user_id, now)
        _erase(conn, user_id, row.email, now)
        conn.execute(update(UserRow).where(UserRow.id == user_id).values(deleted_at=row.deleted_at))


__all__ = [
    "ANONYMISERS",
    "DELETED_NAME",
    "FREE_TEXT_PAYLOAD_KEYS",
    "HOLDINGS",
    "OTHER_PEOPLES_DATA",
    "PERSONAL_COLUMNS",
    "Disposal",
    "Holding",
    "PrivacyError",
    "delete_account",
    "erase_again",
    "export_personal_data",
    "rows_of",
    "tombstone_email",
]
