"""Issue 15 on both databases: due days in the cohort's zone, figures that agree with decisions,
and deleted learners who still count (listed as "Deleted user")."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert

from course import accounts, assessment, cohorts, dashboards, formatting, privacy, teaching
from course.accounts import Role, User
from course.cohorts import AssignmentState, CohortError
from course.evidence import evidence_pack
from course.store.db import Store
from course.store.models import AttemptAnswerRow, AttemptRow
from tests.cpd.helpers import COURSE
from tests.dashboards.test_dashboards import _attempt

KEYS = {"q1": "a", "q2": "b", "q3": "c"}


def stored_attempt(store: Store, user: User, correct: int, total: int, pass_mark: int, when: datetime) -> int:
    """A submitted attempt on a paper of ``total`` questions with ``correct`` right, graded as the engine grades."""
    paper = [{"item": f"x{n:02d}", "options": ["a", "b"], "answer": "a"} for n in range(total)]
    with store.write() as conn:
        attempt_id = int(
            conn.execute(
                insert(AttemptRow)
                .values(
                    user_id=user.id,
                    assessment_id="summative",
                    status="submitted",
                    seed=1,
                    content_version="v",
                    paper=paper,
                    pass_mark_percent=pass_mark,
                    started_at=when,
                    submitted_at=when,
                    correct=correct,
                    total=total,
                    answered=total,
                    passed=assessment.score(_paper(paper), {p["item"]: "a" for p in paper[:correct]}, pass_mark).passed,
                )
                .returning(AttemptRow.id)
            ).scalar_one()
        )
        for n, item in enumerate(paper):
            conn.execute(
                insert(AttemptAnswerRow).values(
                    attempt_id=attempt_id, item_id=item["item"], chosen="a" if n < correct else "b", answered_at=when
                )
            )
    return attempt_id


def _paper(paper: list[dict[str, object]]) -> tuple[assessment.PaperItem, ...]:
    return tuple(assessment.PaperItem(str(p["item"]), ("a", "b"), "a") for p in paper)


# --- time ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "day", "last_local"),
    [
        ("America/New_York", date(2026, 3, 3), datetime(2026, 3, 3, 23, 59, 59, 999999)),
        ("Pacific/Kiritimati", date(2026, 3, 3), datetime(2026, 3, 3, 23, 59, 59, 999999)),  # UTC+14
        ("Pacific/Pago_Pago", date(2026, 3, 3), datetime(2026, 3, 3, 23, 59, 59, 999999)),  # UTC-11
        ("Europe/London", date(2026, 3, 29), datetime(2026, 3, 29, 23, 59, 59, 999999)),  # a 23-hour day
    ],
)
def test_a_due_day_ends_at_its_last_instant_in_the_cohorts_zone(
    store: Store, person: Callable[..., User], zone: str, day: date, last_local: datetime
) -> None:
    tz = ZoneInfo(zone)
    ed = accounts.set_time_zone(store, person("ed", Role.EDUCATOR).id, zone)
    ann = person("ann")
    start = datetime.combine(day - timedelta(days=2), datetime.min.time(), tzinfo=tz)
    group = cohorts.create_cohort(store, ed, "G", now=start)
    cohorts.join_by_code(store, ann, group.invite_code, now=start)
    task = cohorts.assign_due_day(store, ed, group.id, "module", "first", day, now=start)
    assert task.due_at == last_local.replace(tzinfo=tz)
    assert cohorts.due_day(task, tz) == day
    # Due all through the due day there, overdue from the first instant of the next.
    [entry] = cohorts.my_assignments(store, ann, now=last_local.replace(tzinfo=tz))
    assert entry.state is AssignmentState.DUE and entry.cohort_zone == zone
    [entry] = cohorts.my_assignments(store, ann, now=formatting.end_of_day(day, tz))
    assert entry.state is AssignmentState.OVERDUE
    # The cohort's today is accepted late in the evening; yesterday is refused with the zone named.
    late = datetime.combine(day, datetime.min.time(), tzinfo=tz) + timedelta(hours=22)
    cohorts.assign_due_day(store, ed, group.id, "module", "second", day, now=late)
    with pytest.raises(CohortError, match=formatting.zone_label(tz)):
        cohorts.assign_due_day(store, ed, group.id, "module", "second", day - timedelta(days=1), now=late)


def test_changing_the_cohorts_zone_keeps_each_due_day(store: Store, person: Callable[..., User]) -> None:
    ed = person("ed", Role.EDUCATOR)  # no zone yet: the cohort is in UTC
    now = datetime(2026, 3, 1, tzinfo=UTC)
    group = cohorts.create_cohort(store, ed, "G", now=now)
    assert group.time_zone == "UTC"
    cohorts.assign_due_day(store, ed, group.id, "module", "first", date(2026, 3, 3), now=now)
    moved = cohorts.set_time_zone(store, ed, group.id, "Pacific/Honolulu")
    [task] = cohorts.assignments(store, ed, group.id)
    assert moved.time_zone == "Pacific/Honolulu"
    assert task.due_at == datetime(2026, 3, 3, 23, 59, 59, 999999, tzinfo=ZoneInfo("Pacific/Honolulu"))
    with pytest.raises(CohortError, match="not a time zone"):
        cohorts.set_time_zone(store, ed, group.id, "Mars/Olympus_Mons")
    with pytest.raises(accounts.AccountError, match="not a time zone"):
        accounts.set_time_zone(store, ed.id, "Not/AZone")


# --- numbers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("correct", "total", "shown"), [(35, 44, "79"), (39, 49, "79"), (4, 5, "80")])
def test_the_evidence_packs_percent_never_contradicts_the_result(
    store: Store, now: datetime, correct: int, total: int, shown: str
) -> None:
    """Issue 15's input: 35 of 44 (79.55%) with a pass mark of 80 was 80 in assessment.csv."""
    learner = accounts.create_user_admin(
        store, email="lee@example.org", display_name="Lee", password="x" * 12, role=Role.LEARNER, now=now
    )
    stored_attempt(store, learner, correct, total, 80, now)
    packed = evidence_pack(store, learner, COURSE, reflection_ids=[], verify_url=str, now=now)
    pack = zipfile.ZipFile(io.BytesIO(packed))
    [row] = list(csv.DictReader(io.StringIO(pack.read("assessment.csv").decode())))
    assert row["percent"] == shown
    assert row["passed"] == ("yes" if shown == "80" else "no")


# --- deleted learners ---------------------------------------------------------------------------


def test_a_deleted_learner_still_counts_and_is_listed_as_deleted_user(
    store: Store, now: datetime, person: Callable[..., User]
) -> None:
    """Issue 15's input: two learners who both passed; one deletes their account."""
    ed = person("ed", Role.EDUCATOR)
    ann, bob = person("ann"), person("bob")
    group = cohorts.create_cohort(store, ed, "G", now=now)
    for learner in (ann, bob):
        cohorts.join_by_code(store, learner, group.invite_code, now=now)
        _attempt(store, learner, {"q1": "a", "q2": "b", "q3": "c"}, KEYS, now)
    cohorts.assign(store, ed, group.id, "assessment", "summative", now + timedelta(days=1), now=now)
    privacy.delete_account(store, bob, bob.id, confirm_email="bob@example.org", now=now + timedelta(minutes=1))

    assert cohorts.get_cohort(store, ed, group.id).members == 2
    listed = cohorts.members(store, ed, group.id)
    assert [(m.display_name, m.email, m.deleted) for m in listed] == [
        ("Ann", "ann@example.org", False),
        ("Deleted user", "", True),
    ]
    board = dashboards.cohort_dashboard(store, ed, group.id, COURSE, now=now)
    assert len(board.members) == 2 and len(board.scores) == 2 and all(s.passed for s in board.scores)
    assert {s.answered for s in dashboards.item_analysis(store, ed, group.id)} == {2}
    news = teaching.cohort_news(store, ed, COURSE, group, since=None, now=now)
    assert news.learners == 2
    # Still no email to a deleted account, and no way to add one to a cohort.
    assert cohorts.find_learners(store, person("ada", Role.ADMIN), "deleted") == []
