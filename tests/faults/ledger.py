"""Compare what writers were told (acknowledgements) with what the database holds afterwards."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text

from course.assessment import ASSESSMENT_ID
from course.store.db import Store
from course.store.models import AttemptAnswerRow, AttemptItemRow, AttemptRow, EventRow, UserRow

# (attempt id, item id, option chosen, answered at): one saved answer.
Answer = tuple[int, str, str, datetime]


@dataclass(frozen=True)
class Tally:
    acknowledged: int
    present: int  # acknowledged answers found in the event log
    lost: int  # acknowledged answers missing from it
    duplicated: int  # answers recorded more than once
    unacknowledged: int  # committed, but the writer died before it could say so
    rows: int  # attempt_answers rows
    events: int  # assessment.answered events

    def line(self, label: str) -> str:
        return (
            f"{label}: acknowledged={self.acknowledged} present={self.present} lost={self.lost} "
            f"duplicated={self.duplicated} committed-unacknowledged={self.unacknowledged} "
            f"answer rows={self.rows} answered events={self.events}"
        )


def answered_events(store: Store) -> list[Answer]:
    with store.read() as conn:
        rows = conn.execute(
            select(EventRow.payload, EventRow.occurred_at).where(
                EventRow.verb == "assessment.answered", EventRow.object_id == ASSESSMENT_ID
            )
        ).all()
    return [(int(p["attempt"]), str(p["item"]), str(p["chosen"]), at) for p, at in rows]


def tally(store: Store, acknowledged: list[Answer]) -> Tally:
    events = answered_events(store)
    counts = Counter(events)
    acked = set(acknowledged)
    with store.read() as conn:
        rows = conn.execute(select(AttemptAnswerRow.id)).all()
    return Tally(
        acknowledged=len(acknowledged),
        present=sum(1 for a in acknowledged if a in counts),
        lost=sum(1 for a in acknowledged if a not in counts),
        duplicated=sum(n - 1 for n in counts.values() if n > 1) + (len(acknowledged) - len(acked)),
        unacknowledged=sum(1 for e in counts if e not in acked),
        rows=len(rows),
        events=len(events),
    )


def invariant_violations(store: Store) -> list[str]:
    """Relations and row invariants that must hold after any crash, on SQLite and PostgreSQL."""
    problems: list[str] = []
    with store.read() as conn:
        if conn.dialect.name == "sqlite":
            integrity = [r[0] for r in conn.execute(text("PRAGMA integrity_check")).all()]
            if integrity != ["ok"]:
                problems.append(f"integrity_check: {integrity[:5]}")
            orphans = conn.execute(text("PRAGMA foreign_key_check")).all()
            problems += [f"foreign_key_check: {tuple(r)}" for r in orphans[:5]]
        # Spelled out too, so the same relations are checked on PostgreSQL (which enforces them).
        answer_orphans = conn.execute(
            select(AttemptAnswerRow.id).where(
                ~select(AttemptRow.id).where(AttemptRow.id == AttemptAnswerRow.attempt_id).exists()
            )
        ).all()
        problems += [f"answer {r.id} has no attempt" for r in answer_orphans]
        event_orphans = conn.execute(
            select(EventRow.id).where(~select(UserRow.id).where(UserRow.id == EventRow.user_id).exists())
        ).all()
        problems += [f"event {r.id} has no user" for r in event_orphans]
        # Every stored answer belongs to its attempt's paper and is one of the item's options.
        strays = conn.execute(
            select(AttemptAnswerRow.attempt_id, AttemptAnswerRow.item_id).where(
                ~select(AttemptItemRow.id)
                .where(
                    AttemptItemRow.attempt_id == AttemptAnswerRow.attempt_id,
                    AttemptItemRow.item_id == AttemptAnswerRow.item_id,
                )
                .exists()
            )
        ).all()
        problems += [f"answer to {r.item_id} is not on the paper of attempt {r.attempt_id}" for r in strays]
        stored = conn.execute(
            select(
                AttemptAnswerRow.attempt_id,
                AttemptAnswerRow.item_id,
                AttemptAnswerRow.chosen,
                AttemptAnswerRow.answered_at,
            )
        ).all()
    # A row and its event are written in one transaction: the row's current value has its event.
    logged = set(answered_events(store))
    problems += [f"answer row {tuple(r)} has no answered event" for r in stored if tuple(r) not in logged][:5]
    return problems


def newest_kept(store: Store, acknowledged: list[Answer]) -> list[str]:
    """For every question, the stored answer is at least as new as the newest acknowledged one."""
    newest: dict[tuple[int, str], datetime] = {}
    for attempt_id, item_id, _chosen, at in acknowledged:
        newest[(attempt_id, item_id)] = max(at, newest.get((attempt_id, item_id), at))
    with store.read() as conn:
        stored = {
            (r.attempt_id, r.item_id): r.answered_at
            for r in conn.execute(
                select(AttemptAnswerRow.attempt_id, AttemptAnswerRow.item_id, AttemptAnswerRow.answered_at)
            )
        }
    return [
        f"{key}: stored {stored.get(key)} older than acknowledged {at}"
        for key, at in newest.items()
        if not stored.get(key) or stored[key] < at
    ]
