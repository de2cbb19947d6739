"""Fault tests: real processes killed mid-write, many threads at once, a database that is not there.

Each test gets its own database: a fresh SQLite file, or a fresh schema in $TEST_DATABASE_URL that
is reached through ``options=-csearch_path=<schema>`` in the URL, so child processes (a writer, a
``streamlit run`` server) connect to exactly the same rows as the test does.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from course import accounts, assessment
from course.accounts import User
from course.assessment import Attempt, Settings
from course.clock import utcnow
from course.content import Course, load_course
from course.store.db import Store

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # `bench` (the websocket client and server runner) lives at the top level
    sys.path.insert(0, str(REPO))

DATABASES = ["sqlite", "postgresql"]


def postgres_base_url() -> str | None:
    configured = os.environ.get("TEST_DATABASE_URL", "").strip()
    if not configured:
        return None
    from course.store.db import normalise_url

    return normalise_url(configured)


@dataclass(frozen=True)
class Database:
    kind: str  # "sqlite" or "postgresql"
    url: str  # usable by this process and by child processes alike

    def open(self) -> Store:
        return Store.open(self.url)


@contextmanager
def postgres_schema() -> Iterator[Database]:
    base = postgres_base_url()
    if base is None:
        pytest.skip("set TEST_DATABASE_URL to run the PostgreSQL fault tests")
    schema = f"f_{uuid.uuid4().hex}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield Database("postgresql", f"{base}?options=-csearch_path%3D{schema}")
        with admin.connect() as connection:
            # A killed writer's backend may still hold locks for a moment: wait, but not forever.
            connection.execute(text("SET lock_timeout = '20s'"))
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


@pytest.fixture(params=DATABASES)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        yield Database("sqlite", f"sqlite:///{tmp_path / 'course.sqlite3'}")
        return
    with postgres_schema() as database:
        yield database


@pytest.fixture
def postgres_database() -> Iterator[Database]:
    with postgres_schema() as database:
        yield database


@pytest.fixture(scope="session")
def course() -> Course:
    return load_course(REPO).course


def make_learners(store: Store, count: int, tag: str) -> list[User]:
    # Single sign-on accounts: no argon2 hash to compute, so fifty learners cost milliseconds.
    return [
        accounts.upsert_oidc_user(
            store,
            subject=f"{tag}-{n}",
            email=f"{tag}-{n}@example.org",
            display_name=f"Learner {n}",
            role=accounts.Role.LEARNER,
            now=utcnow(),
        )
        for n in range(count)
    ]


def open_attempts(store: Store, learners: list[User], course: Course, now: datetime) -> list[Attempt]:
    return [
        assessment.start_attempt(store, user, course, Settings(), now=now, seed=n) for n, user in enumerate(learners)
    ]
