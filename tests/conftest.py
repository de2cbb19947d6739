"""Shared fixtures: a migrated store on SQLite and (when configured) PostgreSQL, and a fixed clock."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from course.store.db import Store, database_url, make_engine, migrate

POSTGRES_SKIP_REASON = "set TEST_DATABASE_URL to run PostgreSQL store tests"
DATABASES = ["sqlite", "postgresql"]


def postgres_url() -> str | None:
    configured = os.environ.get("TEST_DATABASE_URL", "").strip()
    return database_url({"DATABASE_URL": configured}) if configured else None


@contextmanager
def isolated_postgres_engine() -> Iterator[Engine]:
    """An engine whose search_path is a brand-new schema, dropped afterwards, so tests never share rows."""
    url = postgres_url()
    if url is None:
        pytest.skip(POSTGRES_SKIP_REASON)
    schema = f"t_{uuid.uuid4().hex}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
        try:
            yield engine
        finally:
            engine.dispose()
            with admin.connect() as connection:
                # If a broken test left a transaction open elsewhere, fail here instead of waiting forever.
                connection.execute(text("SET lock_timeout = '10s'"))
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> Iterator[None]:
    """Rate-limit counts live in process memory (course.ratelimit): every test starts from none."""
    from course import ratelimit

    ratelimit.reset()
    yield
    ratelimit.reset()


@pytest.fixture
def now() -> datetime:
    return datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


@pytest.fixture(params=DATABASES)
def blank_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on an empty database: no migrations have run."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'course.sqlite3'}")
        yield engine
        engine.dispose()
        return
    with isolated_postgres_engine() as engine:
        yield engine


@pytest.fixture(params=DATABASES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A migrated store: a fresh SQLite file, or a fresh schema in $TEST_DATABASE_URL."""
    if request.param == "sqlite":
        opened = Store.open(f"sqlite:///{tmp_path / 'course.sqlite3'}")
        yield opened
        opened.close()
        return
    with isolated_postgres_engine() as engine:
        migrate(engine)
        yield Store(engine)


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """A local SMTP server (aiosmtpd) with the app's email settings pointing at it; yields its Inbox."""
    from tests.smtp import smtp_env, smtp_server

    with smtp_server() as (inbox, port):
        for name, value in smtp_env(port).items():
            monkeypatch.setenv(name, value)
        yield inbox
