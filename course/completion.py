"""When each learner finished each assignable thing, computed in SQL for many learners at once.

* A module is done at its first completion that no later "reopened" cancels.
* A case (vignette) is done when the learner first reaches any of its endings.
* The assessment is done when the learner first submits a passing attempt.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Connection, func, select

from course.assessment import ASSESSMENT_ID
from course.store.events import module_completions
from course.store.models import AttemptRow, EventRow

Done = dict[tuple[int, str, str], datetime]  # (learner id, object type, object id) -> when


def completions(conn: Connection, learner_ids: Collection[int], wanted: Collection[tuple[str, str]]) -> Done:
    """Completion times for the wanted (object type, object id) pairs; absent means not done."""
    done: Done = {}
    learners = list(learner_ids)
    if not learners:
        return done
    modules = sorted(i for t, i in wanted if t == "module")
    vignettes = sorted(i for t, i in wanted if t == "vignette")
    if modules:
        done.update(_modules(conn, learners, modules))
    if vignettes:
        rows = conn.execute(
            select(EventRow.user_id, EventRow.object_id, func.min(EventRow.occurred_at))
            .where(
                EventRow.user_id.in_(learners),
                EventRow.object_type == "vignette",
                EventRow.object_id.in_(vignettes),
                EventRow.verb == "vignette.ended",
            )
            .group_by(EventRow.user_id, EventRow.object_id)
        ).all()
        done.update({(int(u), "vignette", str(o)): at for u, o, at in rows})
    if ("assessment", ASSESSMENT_ID) in wanted:
        passes = conn.execute(
            select(AttemptRow.user_id, func.min(AttemptRow.submitted_at).label("passed_at"))
            .where(
                AttemptRow.user_id.in_(learners),
                AttemptRow.assessment_id == ASSESSMENT_ID,
                AttemptRow.passed.is_(True),
            )
            .group_by(AttemptRow.user_id)
        ).all()
        done.update({(int(r.user_id), "assessment", ASSESSMENT_ID): r.passed_at for r in passes})
    return done


def _modules(conn: Connection, learners: list[int], modules: list[str]) -> Done:
    rows = module_completions(conn, learners, modules)
    return {(int(r.user_id), "module", str(r.object_id)): r.first_completed_at for r in rows}
