from __future__ import annotations

import pytest

from course.accounts import Role, User
from course.permissions import (
    Action,
    PermissionDenied,
    allowed_actions,
    can,
    require,
    require_self_or,
)

LEARNER = User(id=1, email="learner@example.org", display_name="Learner", role=Role.LEARNER)
OTHER_LEARNER = User(id=2, email="other@example.org", display_name="Other", role=Role.LEARNER)
EDUCATOR = User(id=3, email="educator@example.org", display_name="Educator", role=Role.EDUCATOR)
ADMIN = User(id=4, email="admin@example.org", display_name="Admin", role=Role.ADMIN)

LEARNING = {Action.VIEW_COURSE, Action.TAKE_ASSESSMENT, Action.VIEW_OWN_PROGRESS}
TEACHING = {Action.VIEW_COHORTS, Action.MANAGE_COHORTS, Action.VIEW_DASHBOARDS}


def test_the_role_matrix() -> None:
    assert allowed_actions(LEARNER) == LEARNING
    assert allowed_actions(EDUCATOR) == LEARNING | TEACHING
    assert allowed_actions(ADMIN) == set(Action)
    assert Action.MANAGE_USERS in allowed_actions(ADMIN)
    assert Action.MANAGE_USERS not in allowed_actions(EDUCATOR)


@pytest.mark.parametrize("action", [Action.VIEW_DASHBOARDS, Action.MANAGE_COHORTS, Action.VIEW_COHORTS])
def test_learners_cannot_reach_educator_tools(action: Action) -> None:
    assert not can(LEARNER, action)
    with pytest.raises(PermissionDenied) as raised:
        require(LEARNER, action)
    assert raised.value.action is action
    assert isinstance(raised.value, PermissionError)


@pytest.mark.parametrize("action", list(Action))
def test_nobody_signed_in_may_do_anything(action: Action) -> None:
    assert not can(None, action)
    with pytest.raises(PermissionDenied):
        require(None, action)
    assert allowed_actions(None) == frozenset()


def test_require_passes_when_allowed() -> None:
    require(EDUCATOR, Action.VIEW_DASHBOARDS)
    require(ADMIN, Action.MANAGE_USERS)
    require(LEARNER, Action.TAKE_ASSESSMENT)


def test_learners_see_only_themselves() -> None:
    require_self_or(LEARNER, LEARNER.id, Action.VIEW_DASHBOARDS)
    with pytest.raises(PermissionDenied):
        require_self_or(LEARNER, OTHER_LEARNER.id, Action.VIEW_DASHBOARDS)
    with pytest.raises(PermissionDenied):
        require_self_or(None, LEARNER.id, Action.VIEW_DASHBOARDS)


def test_educators_may_see_learners_through_the_given_action() -> None:
    require_self_or(EDUCATOR, LEARNER.id, Action.VIEW_DASHBOARDS)
    with pytest.raises(PermissionDenied):
        require_self_or(EDUCATOR, LEARNER.id, Action.MANAGE_USERS)


def test_denial_message_names_the_action() -> None:
    assert str(PermissionDenied(Action.MANAGE_COHORTS)) == "You do not have permission to manage cohorts."
