from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from course import cohorts
from course.accounts import Role, User
from course.cohorts import AssignmentState, CohortError, CohortNotFound
from course.permissions import PermissionDenied
from course.store.db import Store
from course.store.events import record_event


def test_an_educator_creates_a_cohort_and_learners_join_with_the_code(
    store: Store, now: datetime, person: Callable[..., User]
) -> None:
    teacher = person("tess", Role.EDUCATOR)
    ann = person("ann")
    cohort = cohorts.create_cohort(store, teacher, "  ST4   Liverpool  ", now=now)
    assert cohort.name == "ST4 Liverpool"
    assert len(cohort.invite_code) == 9 and cohort.invite_code[4] == "-"

    typed = cohort.invite_code.lower().replace("-", " ")
    joined = cohorts.join_by_code(store, ann, typed, now=now)
    assert joined.id == cohort.id
    cohorts.join_by_code(store, ann, cohort.invite_code, now=now)  # twice is harmless
    assert [m.user_id for m in cohorts.members(store, teacher, cohort.id)] == [ann.id]
    assert [c.id for c in cohorts.learner_cohorts(store, ann)] == [cohort.id]


def test_bad_names_and_codes_get_clear_messages(store: Store, now: datetime, person: Callable[..., User]) -> None:
    teacher = person("tess", Role.EDUCATOR)
    ann = person("ann")
    with pytest.raises(CohortError, match="Give the cohort a name"):
        cohorts.create_cohort(store, teacher, "   ", now=now)
    with pytest.raises(CohortError, match="at most 120 characters"):
        cohorts.create_cohort(store, teacher, "x" * 121, now=now)
    with pytest.raises(CohortError, match="No cohort has the code ABCD-EFGH"):
        cohorts.join_by_code(store, ann, "abcd-efgh", now=now)
    cohort = cohorts.create_cohort(store, teacher, "Old group", now=now)
    cohorts.set_archived(store, teacher, cohort.id, True, now=now)
    with pytest.raises(CohortError, match="archived"):
        cohorts.join_by_code(store, ann, cohort.invite_code, now=now)
    with pytest.raises(CohortError, match="Unarchive"):
        cohorts.invite(store, teacher, cohort.id, ann.email, now=now)


def test_an_educator_sees_only_their_own_cohorts(store: Store, now: datetime, person: Callable[..., User]) -> None:
    tess = person("tess", Role.EDUCATOR)
    omar = person("omar", Role.EDUCATOR)
    admin = person("ada", Role.ADMIN)
    ann = person("ann")
    mine = cohorts.create_cohort(store, tess, "Tess's group", now=now)
    theirs = cohorts.create_cohort(store, omar, "Omar's group", now=now)

    assert [c.id for c in cohorts.cohorts_for(store, tess)] == [mine.id]
    assert {c.id for c in cohorts.cohorts_for(store, admin)} == {mine.id, theirs.id}
    for call in (
        lambda: cohorts.get_cohort(store, tess, theirs.id),
        lambda: cohorts.members(store, tess, theirs.id),
        lambda: cohorts.invite(store, tess, theirs.id, ann.email, now=now),
        lambda: cohorts.assign(store, tess, theirs.id, "module", "m", now + timedelta(days=1), now=now),
        lambda: cohorts.set_archived(store, tess, theirs.id, True, now=now),
        lambda: cohorts.get_cohort(store, tess, 999_999),
    ):
        with pytest.raises(CohortNotFound):
            call()
    with pytest.raises(PermissionDenied):
        cohorts.create_cohort(store, ann, "Learners cannot", now=now)
    with pytest.raises(PermissionDenied):
        cohorts.cohorts_for(store, ann)


def test_adding_by_name_is_for_administrators_only(store: Store, now: datetime, person: Callable[..., User]) -> None:
    """Issue 16: an educator cannot list accounts or add anyone; an administrator can."""
    tess = person("tess", Role.EDUCATOR)
    ada = person("ada", Role.ADMIN)
    ann = person("annabel")
    person("anna_educator", Role.EDUCATOR)
    cohort = cohorts.create_cohort(store, tess, "G", now=now)
    with pytest.raises(PermissionDenied):
        cohorts.find_learners(store, tess, "ANNA")
    with pytest.raises(PermissionDenied):
        cohorts.add_member(store, tess, cohort.id, ann.id, now=now)
    found = cohorts.find_learners(store, ada, "ANNA")
    assert [m.user_id for m in found] == [ann.id]
    assert cohorts.find_learners(store, ada, "%") == []  # wildcards are literal
    assert cohorts.add_member(store, ada, cohort.id, ann.id, now=now) is True
    assert cohorts.add_member(store, ada, cohort.id, ann.id, now=now) is False
    assert [m.user_id for m in cohorts.members(store, tess, cohort.id)] == [ann.id]
    cohorts.remove_member(store, tess, cohort.id, ann.id, now=now)
    assert cohorts.members(store, tess, cohort.id) == []


def test_learners_see_their_assignments_with_status(store: Store, now: datetime, person: Callable[..., User]) -> None:
    tess = person("tess", Role.EDUCATOR)
    ann = person("ann")
    cohort = cohorts.create_cohort(store, tess, "G", now=now)
    cohorts.join_by_code(store, ann, cohort.invite_code, now=now)
    cohorts.assign(store, tess, cohort.id, "module", "m1", now + timedelta(days=7), now=now)
    cohorts.assign(store, tess, cohort.id, "vignette", "mr-z", now - timedelta(days=1), now=now)
    cohorts.assign(store, tess, cohort.id, "assessment", "summative", now + timedelta(days=14), now=now)
    moved = cohorts.assign(store, tess, cohort.id, "module", "m1", now + timedelta(days=3), now=now)
    assert moved.due_at == now + timedelta(days=3)  # assigning again moves the due date
    record_event(
        store,
        user_id=ann.id,
        verb="module.completed",
        object_type="module",
        object_id="m1",
        content_version="v",
        now=now + timedelta(hours=1),
    )

    mine = cohorts.my_assignments(store, ann, now=now + timedelta(hours=2))

    assert [(a.assignment.object_id, a.state) for a in mine] == [
        ("mr-z", AssignmentState.OVERDUE),
        ("m1", AssignmentState.DONE),
        ("summative", AssignmentState.DUE),
    ]
    assert mine[1].done_at == now + timedelta(hours=1)
    cohorts.set_archived(store, tess, cohort.id, True, now=now)
    assert cohorts.my_assignments(store, ann, now=now) == []


def test_an_educator_may_view_a_learner_only_through_their_own_cohort(
    store: Store, now: datetime, person: Callable[..., User]
) -> None:
    tess = person("tess", Role.EDUCATOR)
    omar = person("omar", Role.EDUCATOR)
    ann = person("ann")
    bob = person("bob")
    cohort = cohorts.create_cohort(store, tess, "G", now=now)
    cohorts.join_by_code(store, ann, cohort.invite_code, now=now)
    with store.read() as conn:
        assert cohorts.may_view_learner(conn, tess, ann.id)
        assert not cohorts.may_view_learner(conn, omar, ann.id)
        assert not cohorts.may_view_learner(conn, bob, ann.id)
        assert cohorts.may_view_learner(conn, bob, bob.id)
