from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, event, func, insert, inspect, select, text
from sqlalchemy.exc import IntegrityError

import course
from course.store import db
from course.store.db import Store, StoreUnavailable, database_url, default_sqlite_path, make_engine, migrate
from course.store.models import Base, EventRow, UserRow

REPO_ROOT = Path(course.__file__).resolve().parent.parent


# The newest migration, so these tests keep meaning "fully migrated" as migrations are added.
HEAD = ScriptDirectory.from_config(db._alembic_config()).get_current_head()


def _sqlite_store(tmp_path: Path) -> Store:
    return Store.open(f"sqlite:///{tmp_path / 'course.sqlite3'}")


def _run_in_threads(count: int, work: Callable[[int], None]) -> list[BaseException]:
    """Run work(0..count-1) on separate threads released together; return what they raised."""
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        start.wait()
        try:
            work(index)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(index,), daemon=True) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # A deadlock must fail the test, not hang the suite.
    assert not any(thread.is_alive() for thread in threads), "threads still running after 60 s"
    return errors


def _add_user(connection: Connection, email: str = "learner@example.org") -> int:
    user_id = connection.execute(
        insert(UserRow)
        .values(email=email, display_name="Learner", role="learner", created_at=datetime.now(UTC))
        .returning(UserRow.id)
    ).scalar_one()
    return int(user_id)


# --- where the database lives -----------------------------------------------------------------


def test_project_root_is_the_folder_holding_the_course_package() -> None:
    assert db.PROJECT_ROOT == REPO_ROOT
    assert (db.PROJECT_ROOT / "course" / "store" / "db.py").is_file()


def test_default_sqlite_path_is_data_folder_under_project_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db, "PROJECT_ROOT", tmp_path)
    path = default_sqlite_path({})
    assert path == tmp_path / "data" / "course.sqlite3"
    assert path.parent.is_dir()


def test_course_data_dir_overrides_the_folder_and_is_created(tmp_path: Path) -> None:
    folder = tmp_path / "nested" / "data"
    path = default_sqlite_path({"COURSE_DATA_DIR": str(folder)})
    assert path == folder / "course.sqlite3"
    assert folder.is_dir()


def test_database_url_defaults_to_the_sqlite_file(tmp_path: Path) -> None:
    url = database_url({"COURSE_DATA_DIR": str(tmp_path)})
    assert url == f"sqlite:///{tmp_path / 'course.sqlite3'}"


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        ("postgres://u:p@db:5432/course", "postgresql+psycopg://u:p@db:5432/course"),
        ("postgresql://u:p@db/course", "postgresql+psycopg://u:p@db/course"),
        ("postgresql+psycopg://u@db/course", "postgresql+psycopg://u@db/course"),
        ("sqlite:////srv/course.sqlite3", "sqlite:////srv/course.sqlite3"),
    ],
)
def test_database_url_prefers_database_url_and_points_postgres_at_psycopg(configured: str, expected: str) -> None:
    assert database_url({"DATABASE_URL": configured}) == expected


# --- SQLite engine behaviour ------------------------------------------------------------------


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_in_memory_sqlite_is_refused_for_the_app(url: str) -> None:
    with pytest.raises(ValueError, match="In-memory SQLite"):
        make_engine(url)
    with pytest.raises(ValueError, match="In-memory SQLite"):
        Store.open(url)


def test_in_memory_sqlite_when_allowed_is_shared_between_threads() -> None:
    store = Store.open("sqlite://", allow_memory=True)
    try:
        with store.write() as connection:
            _add_user(connection)
        seen: list[int] = []

        def count_users(_: int) -> None:
            with store.read() as connection:
                seen.append(connection.execute(select(func.count()).select_from(UserRow)).scalar_one())

        assert _run_in_threads(1, count_users) == []
        assert seen == [1]
    finally:
        store.close()


def test_sqlite_pragmas_are_set_on_every_connection(tmp_path: Path) -> None:
    store = _sqlite_store(tmp_path)
    try:
        # Nested blocks check out two different pooled connections.
        with store.read() as first, store.read() as second:
            assert first.connection.dbapi_connection is not second.connection.dbapi_connection
            for connection in (first, second):
                assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
                assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        store.close()


def test_writes_begin_immediate_and_reads_begin_deferred(tmp_path: Path) -> None:
    store = _sqlite_store(tmp_path)
    statements: list[str] = []

    @event.listens_for(store.engine, "before_cursor_execute")
    def remember(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("BEGIN"):
            statements.append(statement)

    try:
        with store.write() as connection:
            connection.execute(select(1))
        with store.read() as connection:
            connection.execute(select(1))
        assert statements == ["BEGIN IMMEDIATE", "BEGIN"]
    finally:
        store.close()


def test_write_holds_the_write_lock_before_its_first_statement(tmp_path: Path) -> None:
    path = tmp_path / "course.sqlite3"
    store = Store.open(f"sqlite:///{path}")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with store.write(), pytest.raises(sqlite3.OperationalError, match="database is locked"):
            other.execute("BEGIN IMMEDIATE")
        with store.read():
            other.execute("BEGIN IMMEDIATE")  # readers do not block a writer
            other.execute("ROLLBACK")
    finally:
        other.close()
        store.close()


def test_concurrent_read_modify_write_transactions_serialise(tmp_path: Path) -> None:
    store = _sqlite_store(tmp_path)
    writers, writes_each = 5, 10
    try:
        with store.write() as connection:
            user_id = _add_user(connection)

        def write_sequence_numbers(_: int) -> None:
            for _ in range(writes_each):
                with store.write() as connection:
                    # Read-then-write: with a deferred BEGIN two writers would both read, then one
                    # would fail to upgrade its lock ("database is locked").
                    seen = connection.execute(select(func.count()).select_from(EventRow)).scalar_one()
                    connection.execute(
                        insert(EventRow).values(
                            user_id=user_id,
                            verb="page.viewed",
                            object_type="page",
                            object_id=str(seen),
                            content_version="1",
                            occurred_at=datetime.now(UTC),
                            payload={},
                        )
                    )

        assert _run_in_threads(writers, write_sequence_numbers) == []
        with store.read() as connection:
            object_ids = connection.execute(select(EventRow.object_id)).scalars().all()
        assert sorted(int(object_id) for object_id in object_ids) == list(range(writers * writes_each))
    finally:
        store.close()


# --- both databases ---------------------------------------------------------------------------


def test_dialect_names_the_database(store: Store) -> None:
    assert store.dialect in ("sqlite", "postgresql")
    assert store.dialect == store.engine.dialect.name


def test_write_commits_on_success_and_rolls_back_on_error(store: Store) -> None:
    with store.write() as connection:
        _add_user(connection, "kept@example.org")
    with pytest.raises(RuntimeError), store.write() as connection:
        _add_user(connection, "discarded@example.org")
        raise RuntimeError("boom")
    with store.read() as connection:
        emails = connection.execute(select(UserRow.email)).scalars().all()
    assert emails == ["kept@example.org"]


def test_read_discards_anything_written_inside_it(store: Store) -> None:
    with store.read() as connection:
        _add_user(connection)
    with store.read() as connection:
        assert connection.execute(select(func.count()).select_from(UserRow)).scalar_one() == 0


def test_foreign_keys_are_enforced(store: Store, now: datetime) -> None:
    with pytest.raises(IntegrityError), store.write() as connection:
        connection.execute(
            insert(EventRow).values(
                user_id=999,
                verb="page.viewed",
                object_type="page",
                object_id="home",
                content_version="1",
                occurred_at=now,
                payload={},
            )
        )


def test_migrated_database_matches_the_models_exactly(store: Store) -> None:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_migrated_database_is_at_the_single_head(store: Store) -> None:
    heads = ScriptDirectory.from_config(db._alembic_config()).get_heads()
    assert len(heads) == 1
    with store.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_heads() == tuple(heads)
        tables = set(inspect(connection).get_table_names())
    assert {"users", "auth_tokens", "login_attempts", "events"} <= tables


def _assert_at_head_once(engine: Engine) -> None:
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_heads() == (HEAD,)
        assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1


def test_concurrent_migrations_in_one_process_do_not_race(blank_engine: Engine) -> None:
    assert _run_in_threads(4, lambda _: migrate(blank_engine)) == []
    _assert_at_head_once(blank_engine)


_MIGRATE_IN_SUBPROCESS = """
import sys
from course.store.db import make_engine, migrate
options = sys.argv[2]
engine = make_engine(sys.argv[1], connect_args={"options": options} if options else None)
migrate(engine)
engine.dispose()
"""


def test_app_processes_starting_together_do_not_race_to_migrate(blank_engine: Engine) -> None:
    url = blank_engine.url.render_as_string(hide_password=False)
    options = ""
    if blank_engine.dialect.name == "postgresql":
        with blank_engine.connect() as connection:
            options = f"-csearch_path={connection.execute(text('SELECT current_schema()')).scalar_one()}"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _MIGRATE_IN_SUBPROCESS, url, options],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr
    _assert_at_head_once(blank_engine)


def test_migrate_does_not_depend_on_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    store = Store.open(f"sqlite:///{tmp_path / 'elsewhere.sqlite3'}")
    try:
        with store.read() as connection:
            assert "events" in inspect(connection).get_table_names()
    finally:
        store.close()


def test_alembic_command_line_upgrades_from_the_repo_root(tmp_path: Path) -> None:
    path = tmp_path / "cli.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}"}
    completed = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", "course/store/alembic.ini", "upgrade", "head"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]


# --- failures are reported, not dumped ---------------------------------------------------------


def test_unreachable_postgres_gives_one_line_message_without_password() -> None:
    with pytest.raises(StoreUnavailable) as raised:
        Store.open("postgresql://course_app:Sup3r-Secret-pw@127.0.0.1:1/course")
    message = str(raised.value)
    assert "Sup3r-Secret-pw" not in message
    assert "course_app:***@127.0.0.1:1/course" in message
    assert message.startswith("Cannot open the database at postgresql+psycopg://")
    assert "\n" not in message


def test_unopenable_sqlite_file_gives_store_unavailable(tmp_path: Path) -> None:
    missing_folder = tmp_path / "does-not-exist" / "course.sqlite3"
    with pytest.raises(StoreUnavailable, match="Cannot open the database at sqlite:///"):
        Store.open(f"sqlite:///{missing_folder}")


def test_unknown_database_driver_gives_store_unavailable() -> None:
    with pytest.raises(StoreUnavailable, match="not usable"):
        Store.open("nosuchdb://user:pw@host/db")


def test_malformed_sqlite_url_gives_one_line_message_without_password() -> None:
    with pytest.raises(StoreUnavailable) as raised:
        Store.open("sqlite://someone:Hush-Hush-pw@host/course.sqlite3")
    assert "Hush-Hush-pw" not in str(raised.value)
    assert "\n" not in str(raised.value)
