"""Destructive cohort actions ask first, saying what will be lost; Add and Assign say what they did.

Issue 19: archive a cohort, remove a learner and remove an assignment acted on one click, and
Assign and Add gave no word of what they had done. (Abandon an attempt and restart a case are
tested with their pages: tests/ui/test_assessment_page.py, tests/ui/test_vignette_page.py.)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from course import cohorts, formatting
from course.accounts import Role, User
from course.clock import utcnow
from course.store.db import Store
from course.ui.forms import plain
from tests.ui.conftest import signed_in, texts

MakeUser = Callable[..., User]
COHORTS = "course/ui/pages/cohorts.py"


def warnings_starting(at: object, start: str) -> list[str]:
    return [t for t in texts(at.warning) if t.startswith(start)]  # type: ignore[attr-defined]


def test_add_and_assign_say_what_they_did(app_store: Store, make_user: MakeUser) -> None:
    teacher = make_user(Role.ADMIN, email="tess@example.org", name="Tess")  # only admins add learners directly
    make_user(email="ann@example.org", name="Annabel Jones")
    cohort = cohorts.create_cohort(app_store, teacher, "ST4 *spring*", now=utcnow())
    at = signed_in(app_store, teacher, COHORTS, cohort=str(cohort.id))
    at.text_input(key="find-learner").input("annab").run()
    at.button(key="add-learner").click().run()
    assert not at.exception
    assert texts(at.success) == [f"Added {plain('Annabel Jones <ann@example.org>')} to {plain('ST4 *spring*')}."]
    at.radio(key="assign-kind").set_value("Module").run()
    at.selectbox(key="assign-item").set_value("second").run()
    due = utcnow().date() + timedelta(days=3)
    at.date_input(key="assign-due").set_value(due).run()
    at.button(key="assign").click().run()
    zone = formatting.zone_label(cohort.zone)
    assert texts(at.success) == [
        f"Assigned module “A second module” to {plain('ST4 *spring*')}, due at the end of {due:%d %b %Y} ({zone})."
    ]
    at.run()  # said once: the next run no longer shows it
    assert texts(at.success) == []


def test_archive_asks_first_and_cancel_leaves_the_cohort_open(app_store: Store, make_user: MakeUser) -> None:
    teacher = make_user(Role.EDUCATOR, email="tess@example.org", name="Tess")
    cohort = cohorts.create_cohort(app_store, teacher, "Group A", now=utcnow())
    at = signed_in(app_store, teacher, COHORTS, cohort=str(cohort.id))
    at.button(key=f"archive-cohort-{cohort.id}").click().run()
    assert not cohorts.get_cohort(app_store, teacher, cohort.id).archived  # one click only asks
    assert warnings_starting(at, "Archive") == [
        "Archive Group A? It stops taking new learners and drops off its 0 learners' home pages. Its data is kept, "
        "and you can unarchive it later."
    ]
    at.button(key=f"archive-cohort-{cohort.id}-cancel").click().run()
    assert warnings_starting(at, "Archive") == []
    assert not cohorts.get_cohort(app_store, teacher, cohort.id).archived
    at.button(key=f"archive-cohort-{cohort.id}").click().run()
    at.button(key=f"archive-cohort-{cohort.id}-yes").click().run()
    assert cohorts.get_cohort(app_store, teacher, cohort.id).archived
    assert "Archived Group A." in texts(at.success)


def test_removing_a_learner_asks_first_naming_them(app_store: Store, make_user: MakeUser) -> None:
    teacher = make_user(Role.EDUCATOR, email="tess@example.org", name="Tess")
    ann = make_user(email="ann@example.org", name="Annabel Jones")
    cohort = cohorts.create_cohort(app_store, teacher, "Group A", now=utcnow())
    cohorts.join_by_code(app_store, ann, cohort.invite_code, now=utcnow())
    at = signed_in(app_store, teacher, COHORTS, cohort=str(cohort.id))
    at.button(key="remove-learner").click().run()
    assert [m.user_id for m in cohorts.members(app_store, teacher, cohort.id)] == [ann.id]
    assert warnings_starting(at, "Remove") == [
        f"Remove {plain('Annabel Jones <ann@example.org>')} from Group A? They leave this cohort's dashboards, "
        "no longer see its assignments, and what they shared with you is withdrawn. Their own progress is kept; "
        "you can invite them again, and they rejoin only if they accept."
    ]
    at.button(key="remove-learner-yes").click().run()
    assert cohorts.members(app_store, teacher, cohort.id) == []
    assert texts(at.success) == [f"Removed {plain('Annabel Jones <ann@example.org>')} from Group A."]


def test_removing_an_assignment_asks_first_naming_it(app_store: Store, make_user: MakeUser) -> None:
    teacher = make_user(Role.EDUCATOR, email="tess@example.org", name="Tess")
    cohort = cohorts.create_cohort(app_store, teacher, "Group A", now=utcnow())
    cohorts.assign(app_store, teacher, cohort.id, "vignette", "case", utcnow() + timedelta(days=7), now=utcnow())
    at = signed_in(app_store, teacher, COHORTS, cohort=str(cohort.id))
    at.button(key="unassign").click().run()
    assert len(cohorts.assignments(app_store, teacher, cohort.id)) == 1
    [warning] = warnings_starting(at, "Remove")
    assert warning.startswith("Remove “Case: A fixture case” from Group A? Its learners no longer see it")
    at.button(key="unassign-cancel").click().run()
    assert warnings_starting(at, "Remove") == []
    at.button(key="unassign").click().run()
    at.button(key="unassign-yes").click().run()
    assert cohorts.assignments(app_store, teacher, cohort.id) == []
    assert texts(at.success) == ["Removed the assignment “Case: A fixture case” from Group A."]
