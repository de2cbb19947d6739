from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from course import accounts
from course.accounts import Role, User
from course.store.db import Store


@pytest.fixture
def person(store: Store, now: datetime) -> Callable[..., User]:
    """Make a user: person("ann") is a learner ann@example.org called Ann."""

    def make(name: str, role: Role = Role.LEARNER) -> User:
        return accounts.create_user_admin(
            store, email=f"{name}@example.org", display_name=name.title(), password="x" * 12, role=role, now=now
        )

    return make
