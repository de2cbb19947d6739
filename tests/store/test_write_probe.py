"""Issue 16, honest failures at the store: a write that cannot be made says nothing was saved, and
the health probe fails within its bound, on SQLite and PostgreSQL; SQLite erases deleted content."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text

from course.store.db import Store, StoreWriteFailed


@contextmanager
def locked_by_another_process(store: Store) -> Iterator[None]:
    """Another connection holds what a write needs: SQLite's write lock, or PostgreSQL's row lock."""
    if store.dialect == "sqlite":
        other = sqlite3.connect(str(store.engine.url.database), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
        return
    with store.engine.connect() as other:
        other.execute(text("LOCK TABLE alembic_version IN ACCESS EXCLUSIVE MODE"))
        try:
            yield
        finally:
            other.rollback()


def test_the_write_probe_fails_within_its_bound_while_the_store_is_locked(store: Store) -> None:
    store.probe_write(timeout_seconds=1)
    with locked_by_another_process(store):
        started = time.monotonic()
        with pytest.raises(StoreWriteFailed, match="Nothing was saved"):
            store.probe_write(timeout_seconds=1)
        assert time.monotonic() - started < 5
    store.probe_write(timeout_seconds=1)  # and passes again once the lock is gone


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 'course.sqlite3'}")
    yield opened
    opened.close()


def test_a_failed_sqlite_write_says_nothing_was_saved(sqlite_store: Store) -> None:
    """SQLite's busy timeout runs out (PostgreSQL waits for row locks instead)."""
    with (
        locked_by_another_process(sqlite_store),
        pytest.raises(StoreWriteFailed, match="Nothing was saved"),
        sqlite_store.write() as conn,
    ):
        conn.execute(text("UPDATE alembic_version SET version_num = version_num"))


def test_sqlite_connections_overwrite_deleted_content(sqlite_store: Store) -> None:
    with sqlite_store.read() as conn:
        assert conn.execute(text("PRAGMA secure_delete")).scalar_one() == 1
