"""Who may do what. Pages and engine functions ask here instead of comparing roles themselves."""

from __future__ import annotations

from enum import StrEnum

from course.accounts import Role, User


class Action(StrEnum):
    VIEW_COURSE = "view_course"
    TAKE_ASSESSMENT = "take_assessment"
    VIEW_OWN_PROGRESS = "view_own_progress"
    VIEW_COHORTS = "view_cohorts"
    MANAGE_COHORTS = "manage_cohorts"
    VIEW_DASHBOARDS = "view_dashboards"
    MANAGE_USERS = "manage_users"


_LEARNER_ACTIONS = frozenset({Action.VIEW_COURSE, Action.TAKE_ASSESSMENT, Action.VIEW_OWN_PROGRESS})
_EDUCATOR_ACTIONS = _LEARNER_ACTIONS | {Action.VIEW_COHORTS, Action.MANAGE_COHORTS, Action.VIEW_DASHBOARDS}

ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.LEARNER: _LEARNER_ACTIONS,
    Role.EDUCATOR: _EDUCATOR_ACTIONS,
    Role.ADMIN: frozenset(Action),
}


class PermissionDenied(PermissionError):
    def __init__(self, action: Action) -> None:
        super().__init__(f"You do not have permission to {action.value.replace('_', ' ')}.")
        self.action = action


def allowed_actions(user: User | None) -> frozenset[Action]:
    """Everything this user may do; nothing for someone not signed in."""
    if user is None:
        return frozenset()
    return ROLE_ACTIONS.get(user.role, frozenset())


def can(user: User | None, action: Action) -> bool:
    return action in allowed_actions(user)


def require(user: User | None, action: Action) -> None:
    """Raise :class:`PermissionDenied` unless the user may do ``action``."""
    if not can(user, action):
        raise PermissionDenied(action)


def require_self_or(user: User | None, subject_user_id: int, action: Action) -> None:
    """Allow people to see their own records, and others only with ``action`` (e.g. VIEW_DASHBOARDS)."""
    if user is not None and user.id == subject_user_id:
        return
    require(user, action)
