"""The assessment's result back in the LMS gradebook (IMS Assignment and Grade Services 2.0, Score publish).

Each learner who launched from an LMS course that offers AGS has an ``lti_scores`` row for it.
Submitting an attempt marks the learner's rows pending; :func:`send_due` then posts one score per
row: the learner's best attempt so far (highest percentage; the latest of equals), as
``scoreGiven`` = questions right and ``scoreMaximum`` = questions asked, ``activityProgress``
"Completed" and ``gradingProgress`` "FullyGraded", with a comment saying whether it passed.

The column is the assessment link's own line item when the instructor placed the assessment with
deep linking; otherwise a course-level line item tagged ``relational-prescribing:assessment``,
found or created through the line item service, so a course that only links a module or a case
still gets the result. A row the LMS refuses (4xx) is ``failed``; one it could not take now
(network, 5xx, 429) is retried with the xAPI outbox's back-off.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem
from pylti1p3.service_connector import ServiceConnector
from sqlalchemy import func, select, update

from course.assessment import ASSESSMENT_ID
from course.clock import require_aware, utcnow
from course.lti import registry
from course.lti.tool import DatabaseToolConf, http_session
from course.store.db import Store
from course.store.models import AttemptRow, LtiContextRow, LtiScoreRow, LtiUserRow
from course.xapi import backoff

log = logging.getLogger(__name__)

LINEITEM_TAG = "relational-prescribing:assessment"
LINEITEM_LABEL = "Relational prescribing: summative assessment"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
PENDING, SENT, FAILED = "pending", "sent", "failed"


@dataclass(frozen=True)
class Result:
    correct: int
    total: int
    passed: bool
    submitted_at: datetime


@dataclass(frozen=True)
class ScoreReport:
    sent: int
    nothing_yet: int  # learners with no submitted attempt: nothing to send
    failed: int
    deferred: int


def best_result(store: Store, user_id: int) -> Result | None:
    """The learner's best submitted attempt: highest share right, the latest of equal ones."""
    with store.read() as conn:
        rows = conn.execute(
            select(AttemptRow.correct, AttemptRow.total, AttemptRow.passed, AttemptRow.submitted_at).where(
                AttemptRow.user_id == user_id,
                AttemptRow.assessment_id == ASSESSMENT_ID,
                AttemptRow.status == "submitted",
            )
        ).all()
    graded = [r for r in rows if r.total and r.correct is not None and r.submitted_at is not None]
    if not graded:
        return None
    best = max(graded, key=lambda r: (r.correct * 1_000_000 // r.total, r.submitted_at))
    return Result(int(best.correct), int(best.total), bool(best.passed), best.submitted_at)


def mark_submitted(store: Store, user_id: int, *, now: datetime) -> int:
    """After an attempt is graded: the learner's LMS gradebooks need the (possibly new) best result."""
    require_aware(now)
    with store.write() as conn:
        return int(
            conn.execute(
                update(LtiScoreRow)
                .where(LtiScoreRow.user_id == user_id)
                .values(status=PENDING, next_attempt_at=now, last_error=None)
            ).rowcount
        )


def grade_for(sub: str, result: Result) -> Grade:
    verdict = "Passed" if result.passed else "Not passed yet"
    return (
        Grade()
        .set_score_given(result.correct)
        .set_score_maximum(result.total)
        .set_activity_progress("Completed")
        .set_grading_progress("FullyGraded")
        .set_timestamp(result.submitted_at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"))
        .set_user_id(sub)
        .set_comment(f"{verdict}: {result.correct} of {result.total} correct.")
    )


def _post(store: Store, row: Any, sub: str, result: Result, now: datetime) -> None:
    platform = registry.get_platform(store, row.platform_id)
    if platform is None:
        raise LtiException("the platform is no longer registered")
    scopes = list(row.ags_scopes or [])
    if SCORE_SCOPE not in scopes:
        raise LtiException("the LMS did not grant the score scope to this tool")
    registration = DatabaseToolConf(store, lambda: now).registration_for(platform)
    with http_session() as session:
        service = AssignmentsGradesService(
            ServiceConnector(registration, session),
            {"scope": scopes, "lineitems": row.lineitems_url or "", "lineitem": row.assessment_lineitem_url or ""},
        )
        _publish(store, service, row, grade_for(sub, result))


def _publish(store: Store, service: AssignmentsGradesService, row: Any, grade: Grade) -> None:
    if row.assessment_lineitem_url:
        service.put_grade(grade)
        return
    if not row.lineitems_url or LINEITEM_SCOPE not in (row.ags_scopes or []):
        raise LtiException("the LMS offers no gradebook column for the assessment (line item service not granted)")
    wanted = (
        LineItem().set_tag(LINEITEM_TAG).set_label(LINEITEM_LABEL).set_score_maximum(100).set_resource_id(ASSESSMENT_ID)
    )
    lineitem = service.find_or_create_lineitem(wanted, find_by="tag")
    if lineitem.get_id():
        with store.write() as conn:
            conn.execute(
                update(LtiContextRow)
                .where(LtiContextRow.id == row.lti_context_id)
                .values(assessment_lineitem_url=lineitem.get_id())
            )
    service.put_grade(grade, lineitem)


def _permanent(error: Exception) -> bool:
    """True when sending again will not help: the LMS refused the request (4xx other than 401/408/429)."""
    if isinstance(error, LtiServiceException):
        code = int(error.response.status_code)
        return 400 <= code < 500 and code not in (401, 408, 429)
    # Other library errors are about what the LMS offers (no score scope, no line item): permanent.
    return isinstance(error, LtiException)


def send_due(store: Store, *, now: datetime, limit: int = 200) -> ScoreReport:
    """Post every due score. Safe to run from several places at once (each row is claimed first)."""
    require_aware(now)
    with store.read() as conn:
        rows = conn.execute(
            select(
                LtiScoreRow.id,
                LtiScoreRow.user_id,
                LtiScoreRow.attempts,
                LtiScoreRow.lti_context_id,
                LtiContextRow.platform_id,
                LtiContextRow.lineitems_url,
                LtiContextRow.ags_scopes,
                LtiContextRow.assessment_lineitem_url,
                LtiUserRow.sub,
            )
            .join(LtiContextRow, LtiContextRow.id == LtiScoreRow.lti_context_id)
            .join(
                LtiUserRow,
                (LtiUserRow.user_id == LtiScoreRow.user_id) & (LtiUserRow.platform_id == LtiContextRow.platform_id),
            )
            .where(LtiScoreRow.status == PENDING, LtiScoreRow.next_attempt_at <= now)
            .order_by(LtiScoreRow.id)
            .limit(limit)
        ).all()
    sent = nothing = failed = deferred = 0
    for row in rows:
        result = best_result(store, row.user_id)
        values: dict[str, Any]
        if result is None:
            values = {"status": SENT, "last_error": None}
            nothing += 1
        else:
            try:
                # The row may have been re-read by another sender meanwhile: sending twice is harmless
                # (AGS keeps the latest score, and it is the same one).
                _post(store, row, row.sub, result, now)
            except Exception as exc:  # classified below; a failure must not stop the other rows
                attempts = row.attempts + 1
                give_up = _permanent(exc)
                values = {
                    "status": FAILED if give_up else PENDING,
                    "attempts": attempts,
                    "next_attempt_at": now + backoff(attempts),
                    "last_error": str(exc)[:500],
                }
                failed += int(give_up)
                deferred += int(not give_up)
                log.warning("AGS score for user %s failed: %s", row.user_id, exc)
            else:
                values = {
                    "status": SENT,
                    "attempts": row.attempts + 1,
                    "sent_at": now,
                    "last_error": None,
                    "score_given": result.correct,
                    "score_maximum": result.total,
                }
                sent += 1
        with store.write() as conn:
            conn.execute(update(LtiScoreRow).where(LtiScoreRow.id == row.id).values(**values))
    return ScoreReport(sent, nothing, failed, deferred)


def send_soon(store: Store, user_id: int) -> threading.Thread:
    """After a submission: mark the learner's rows and post them in the background (the page does not wait).

    Whatever cannot be sent now is retried by ``python -m course lti send-scores`` (run it from cron).
    """
    mark_submitted(store, user_id, now=utcnow())

    def run() -> None:
        try:
            send_due(store, now=utcnow())
        except Exception:  # a background thread has nobody to report to but the log
            log.exception("sending AGS scores failed")

    thread = threading.Thread(target=run, name="lti-scores", daemon=True)
    thread.start()
    return thread


def retry_failed(store: Store, *, now: datetime) -> int:
    require_aware(now)
    with store.write() as conn:
        return int(
            conn.execute(
                update(LtiScoreRow).where(LtiScoreRow.status == FAILED).values(status=PENDING, next_attempt_at=now)
            ).rowcount
        )


def counts(store: Store) -> dict[str, int]:
    with store.read() as conn:
        rows = conn.execute(select(LtiScoreRow.status, func.count()).group_by(LtiScoreRow.status)).all()
    found = {PENDING: 0, SENT: 0, FAILED: 0}
    found.update({str(status): int(n) for status, n in rows})
    return found


__all__ = [
    "LINEITEM_TAG",
    "Result",
    "ScoreReport",
    "best_result",
    "counts",
    "grade_for",
    "mark_submitted",
    "retry_failed",
    "send_due",
    "send_soon",
]
