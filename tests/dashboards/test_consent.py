"""Issue 16: consent before visibility, shares that are never revived, the route-counts attack,
writes to a closed account, and erasure run again. Each on SQLite and PostgreSQL (``store``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import insert, select

from course import cohorts, dashboards, play, privacy, reflections
from course.accounts import Role, User
from course.cohorts import CohortError
from course.content import load_course
from course.route_analytics import RouteLayout
from course.store.db import AccountClosed, Store
from course.store.models import CohortMemberRow, ReflectionRow
from course.vignette import CONTINUE
from tests.content.fixtures import GOOD

VIGNETTE = load_course(GOOD).course.vignettes["case"]


def _reflect(store: Store, learner: User, now: datetime) -> int:
    return reflections.save_reflection(
        store,
        learner,
        object_type="vignette",
        object_id="case",
        node_id=None,
        prompts=["What did you notice?"],
        answers=["A private thought"],
        content_version="v1",
        now=now,
    )


def test_an_educator_sees_nobody_added_without_consent_until_they_accept(
    store: Store, now: datetime, person: Callable[..., User]
) -> None:
    tess = person("tess", Role.EDUCATOR)
    ann = person("ann")
    cohort = cohorts.create_cohort(store, tess, "G", now=now)
    # A membership from before the rule (an educator added Ann without asking) is pending.
    with store.write() as conn:
        conn.execute(
            insert(CohortMemberRow).values(cohort_id=cohort.id, user_id=ann.id, joined_at=now, joined_via="educator")
        )
    assert cohorts.members(store, tess, cohort.id) == []
    with store.read() as conn:
        assert not cohorts.may_view_learner(conn, tess, ann.id)
    assert [i.cohort_name for i in cohorts.invitations_for(store, ann)] == ["G"]
    cohorts.accept_invitation(store, ann, cohort.id, now=now)
    assert [m.user_id for m in cohorts.members(store, tess, cohort.id)] == [ann.id]
    assert cohorts.invitations_for(store, ann) == []


def test_an_invitation_discloses_nothing_and_joins_only_on_acceptance(
    store: Store, now: datetime, person: Callable[..., User]
) -> None:
    tess = person("tess", Role.EDUCATOR)
    ann = person("ann")
    cohort = cohorts.create_cohort(store, tess, "G", now=now)
    known = cohorts.invite(store, tess, cohort.id, " ANN@example.org ", now=now)
    unknown = cohorts.invite(store, tess, cohort.id, "nobody@example.org", now=now)
    assert known.replace("ann@", "X@") == unknown.replace("nobody@", "X@")  # the same answer either way
    with pytest.raises(CohortError, match="one whole email address"):
        cohorts.invite(store, tess, cohort.id, "an", now=now)  # no search by fragment
    assert cohorts.members(store, tess, cohort.id) == []  # invited is not joined
    cohorts.decline_invitation(store, ann, cohort.id)
    assert cohorts.invitations_for(store, ann) == [] and cohorts.members(store, tess, cohort.id) == []
    cohorts.invite(store, tess, cohort.id, "ann@example.org", now=now)
    cohorts.accept_invitation(store, ann, cohort.id, now=now)
    assert [m.user_id for m in cohorts.members(store, tess, cohort.id)] == [ann.id]
    with pytest.raises(CohortError, match="no longer open"):
        cohorts.accept_invitation(store, person("bob"), cohort.id, now=now)  # not invited


def test_leaving_withdraws_shares_and_coming_back_never_revives_them(
    store: Store, now: datetime, person: Callable[..., User]
) -> None:
    tess = person("tess", Role.EDUCATOR)
    ann = person("ann")
    cohort = cohorts.create_cohort(store, tess, "G", now=now)
    cohorts.join_by_code(store, ann, cohort.invite_code, now=now)
    reflection_id = _reflect(store, ann, now)
    reflections.share(store, ann, reflection_id, cohort.id, now=now)
    assert [s.reflection.id for s in reflections.shared_with_cohort(store, tess, cohort.id)] == [reflection_id]

    cohorts.leave_cohort(store, ann, cohort.id, now=now + timedelta(minutes=1))
    assert cohorts.members(store, tess, cohort.id) == []
    assert reflections.shares(store, ann, reflection_id) == []
    cohorts.join_by_code(store, ann, cohort.invite_code, now=now + timedelta(minutes=2))
    assert reflections.shared_with_cohort(store, tess, cohort.id) == []  # not revived by joining again

    reflections.share(store, ann, reflection_id, cohort.id, now=now + timedelta(minutes=3))
    cohorts.remove_member(store, tess, cohort.id, ann.id, now=now + timedelta(minutes=4))
    cohorts.join_by_code(store, ann, cohort.invite_code, now=now + timedelta(minutes=5))
    assert reflections.shared_with_cohort(store, tess, cohort.id) == []  # nor by being removed and back


def _play(store: Store, learner: User, route: list[str], now: datetime) -> None:
    state = play.begin(store, learner, VIGNETTE, "v1", now=now)
    state = play.act(store, learner, VIGNETTE, state, CONTINUE, now=now)
    for choice in route:
        state = play.act(store, learner, VIGNETTE, state, choice, now=now)
    while state.node not in {"better", "worse"}:
        state = play.act(store, learner, VIGNETTE, state, CONTINUE, now=now)


def test_route_counts_withstand_four_planted_accounts_and_one_real_learner(
    store: Store, now: datetime, person: Callable[..., User]
) -> None:
    """The attack: four accounts of the educator's own, each along one fixed route, in a cohort with
    one real learner. What the educator sees is the same whichever way the real learner chose."""
    tess = person("tess", Role.EDUCATOR)
    views = {}
    for real_choice in ("switch", "talk"):
        cohort = cohorts.create_cohort(store, tess, f"Trap {real_choice}", now=now)
        for n in range(4):
            planted = person(f"plant-{real_choice}-{n}")
            cohorts.join_by_code(store, planted, cohort.invite_code, now=now)
            _play(store, planted, ["switch"], now)
        real = person(f"real-{real_choice}")
        cohorts.join_by_code(store, real, cohort.invite_code, now=now)
        _play(store, real, [real_choice], now)
        views[real_choice] = dashboards.cohort_routes(store, tess, cohort.id, "case", layout=RouteLayout.of(VIGNETTE))
    assert views["switch"] is not None and views["talk"] is not None
    assert views["switch"] == views["talk"]  # nothing in the view depends on the real learner's choice
    assert views["switch"].took == {} and views["switch"].ended == {}


def test_route_counts_count_only_learners_who_joined_themselves(
    store: Store, now: datetime, person: Callable[..., User]
) -> None:
    tess = person("tess", Role.EDUCATOR)
    ada = person("ada", Role.ADMIN)
    cohort = cohorts.create_cohort(store, tess, "G", now=now)
    for n in range(5):
        learner = person(f"added-{n}")
        cohorts.add_member(store, ada, cohort.id, learner.id, now=now)  # consented via an admin, not self
        _play(store, learner, ["switch"], now)
    assert dashboards.cohort_routes(store, tess, cohort.id, "case") is None  # none joined themselves


def test_a_tab_left_open_after_deleting_the_account_cannot_save(
    store: Store, now: datetime, person: Callable[..., User]
) -> None:
    ann = person("ann")
    stale = ann  # what the open tab still holds
    privacy.delete_account(store, ann, ann.id, confirm_email=ann.email, now=now)
    with pytest.raises(AccountClosed, match="Nothing was saved"):
        _reflect(store, stale, now + timedelta(minutes=1))
    with pytest.raises(AccountClosed):
        cohorts.join_by_code(store, stale, "ABCD-EFGH", now=now)
    with store.read() as conn:
        assert conn.execute(select(ReflectionRow.id).where(ReflectionRow.user_id == ann.id)).all() == []


def test_erasure_can_be_run_again_on_a_tombstone(store: Store, now: datetime, person: Callable[..., User]) -> None:
    ann = person("ann")
    ada = person("ada", Role.ADMIN)
    privacy.delete_account(store, ann, ann.id, confirm_email=ann.email, now=now)
    with store.write() as conn:  # what reached the tombstone before writes re-checked the account
        conn.execute(
            insert(ReflectionRow).values(
                user_id=ann.id,
                object_type="vignette",
                object_id="case",
                content_version="v1",
                entries=[{"prompt": "p", "answer": "written after deletion"}],
                created_at=now,
            )
        )
    with pytest.raises(privacy.PrivacyError):
        privacy.erase_again(store, ada, ada.id, now=now)  # a live account is not erased this way
    privacy.erase_again(store, ada, ann.id, now=now + timedelta(days=1))
    with store.read() as conn:
        assert conn.execute(select(ReflectionRow.id).where(ReflectionRow.user_id == ann.id)).all() == []
