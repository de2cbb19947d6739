"""Where the database lives, how to connect to it, and how its schema is kept up to date.

SQLite (the default, a single file under ``data/``) and PostgreSQL (``DATABASE_URL``) are both
supported. All access goes through :class:`Store`, whose ``read()`` and ``write()`` context managers
hand out a SQLAlchemy ``Connection`` inside a transaction.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool

if TYPE_CHECKING:
    from alembic.config import Config

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Connection execution option read by the SQLite "begin" hook: writers must take the write lock
# when the transaction starts, not on their first write.
_WRITE_TRANSACTION_OPTION = "course_write_transaction"

# pg_advisory_xact_lock key shared by every process that migrates this database.
_MIGRATION_LOCK_KEY = zlib.crc32(b"relational-prescribing:migrations")

_SQLITE_BUSY_TIMEOUT_MS = 10_000
_POSTGRES_CONNECT_TIMEOUT_S = 10


class StoreUnavailable(Exception):
    """The database cannot be opened. ``str(error)`` is a one-line message safe to show to people."""


def default_sqlite_path(env: Mapping[str, str] = os.environ) -> Path:
    """``<project root>/data/course.sqlite3``, or the same file name in ``$COURSE_DATA_DIR``.

    The folder is created if it does not exist yet.
    """
    configured = env.get("COURSE_DATA_DIR", "").strip()
    folder = Path(configured).expanduser() if configured else PROJECT_ROOT / "data"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "course.sqlite3"


def database_url(env: Mapping[str, str] = os.environ) -> str:
    """``$DATABASE_URL`` (with PostgreSQL URLs pointed at psycopg 3), else the default SQLite file."""
    configured = env.get("DATABASE_URL", "").strip()
    if not configured:
        return f"sqlite:///{default_sqlite_path(env)}"
    return normalise_url(configured)


def normalise_url(url: str) -> str:
    """Point ``postgres://`` and ``postgresql://`` URLs at the psycopg 3 driver; leave others alone."""
    # Hosting platforms hand out postgres:// URLs, which SQLAlchemy rejects, and a bare
    # postgresql:// may select a driver that is not installed.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def mask_password(url: str | URL) -> str:
    """The URL as text with any password replaced by ``***``; unparseable text is not echoed back."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


def _is_sqlite_memory(url: URL) -> bool:
    database = url.database or ""
    return database in ("", ":memory:") or "mode=memory" in database or url.query.get("mode") == "memory"


def make_engine(url: str, *, allow_memory: bool = False, connect_args: Mapping[str, Any] | None = None) -> Engine:
    """A configured engine for ``url`` (SQLite or PostgreSQL).

    In-memory SQLite is refused unless ``allow_memory`` is true: Streamlit runs each rerun on another
    thread, and each thread would silently get its own empty database. When allowed, one shared
    connection is used so every thread sees the same data.
    """
    parsed = make_url(normalise_url(url))
    extra_args = dict(connect_args or {})
    if parsed.get_backend_name() == "sqlite":
        if _is_sqlite_memory(parsed):
            if not allow_memory:
                raise ValueError(
                    "In-memory SQLite cannot be used by the app: each Streamlit thread would get its own "
                    "empty database. Use a file, e.g. sqlite:///data/course.sqlite3."
                )
            extra_args.setdefault("check_same_thread", False)
            engine = create_engine(parsed, connect_args=extra_args, poolclass=StaticPool)
        else:
            engine = create_engine(parsed, connect_args=extra_args)
        _configure_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql":
        # libpq would otherwise wait for the OS TCP timeout (minutes) on an unreachable host.
        if "connect_timeout" not in parsed.query:
            extra_args.setdefault("connect_timeout", _POSTGRES_CONNECT_TIMEOUT_S)
        return create_engine(parsed, connect_args=extra_args, pool_pre_ping=True)
    return create_engine(parsed, connect_args=extra_args)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # pysqlite's own transaction handling never BEGINs before a SELECT and cannot emit
        # BEGIN IMMEDIATE, so it is switched off and _on_begin issues BEGIN instead.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            # busy_timeout first: switching to WAL itself may have to wait for another connection.
            cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # A writer that starts with a plain (deferred) BEGIN and reads first can deadlock with
        # another writer when both try to upgrade to the write lock; SQLite then fails one of them
        # with "database is locked" without waiting. Taking the lock up front makes writers queue.
        if connection.get_execution_options().get(_WRITE_TRANSACTION_OPTION):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


def _alembic_config() -> Config:
    # Imported here so that importing the store (and the UI) does not pay for Alembic.
    from alembic.config import Config

    config = Config()
    # Config values go through configparser interpolation, so a literal % must be doubled.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    return config


@contextmanager
def migration_connection(engine: Engine) -> Iterator[Connection]:
    """A write transaction in which it is safe to migrate, even with other processes doing the same.

    On PostgreSQL a transaction-scoped advisory lock makes concurrent migrators wait for each other;
    the second one then finds the schema already at head. On SQLite, BEGIN IMMEDIATE does the same.
    """
    with engine.connect() as connection:
        connection.execution_options(**{_WRITE_TRANSACTION_OPTION: True})
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
            yield connection


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest Alembic revision (``upgrade head``), whatever the working directory."""
    from alembic import command

    config = _alembic_config()
    with migration_connection(engine) as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _password_of(url: str) -> str | None:
    try:
        password = make_url(url).password
    except ArgumentError:
        return None
    return str(password) if password else None


def _one_line_reason(error: BaseException, password: str | None) -> str:
    original = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    reason = lines[0] if lines else type(original).__name__
    if password:
        reason = reason.replace(password, "***")
    return reason


class Store:
    """The application's database: an engine plus transaction helpers."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @classmethod
    def open(cls, url: str | None = None, *, allow_memory: bool = False) -> Store:
        """Connect to ``url`` (default: :func:`database_url`) and migrate it to the latest schema.

        Raises :class:`StoreUnavailable` with a one-line, password-free message if that fails.
        """
        try:
            resolved = normalise_url(url) if url is not None else database_url()
        except OSError as error:
            raise StoreUnavailable(f"Cannot create the data folder: {error}") from error
        masked = mask_password(resolved)
        try:
            engine = make_engine(resolved, allow_memory=allow_memory)
        except ArgumentError as error:
            reason = _one_line_reason(error, _password_of(resolved))
            raise StoreUnavailable(f"The database URL {masked} is not usable: {reason}") from error
        try:
            migrate(engine)
        except (SQLAlchemyError, OSError) as error:
            engine.dispose()
            reason = _one_line_reason(error, _password_of(resolved))
            raise StoreUnavailable(f"Cannot open the database at {masked}: {reason}") from error
        return cls(engine)

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection inside a transaction that is always rolled back: anything written is discarded."""
        with self._engine.connect() as connection:
            transaction = connection.begin()
            try:
                yield connection
            finally:
                transaction.rollback()

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A connection inside a write transaction: committed on success, rolled back on an exception.

        On SQLite this holds the database write lock for the whole block, so keep blocks short and do
        slow work (password hashing) before entering. Do not nest ``write()`` blocks.
        """
        with self._engine.connect() as connection:
            connection.execution_options(**{_WRITE_TRANSACTION_OPTION: True})
            with connection.begin():
                yield connection

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
