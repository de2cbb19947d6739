"""Persistence: database connection, schema, migrations and the append-only event log."""

from __future__ import annotations

from course.store.db import Store, StoreUnavailable, database_url, default_sqlite_path, make_engine, migrate

__all__ = ["Store", "StoreUnavailable", "database_url", "default_sqlite_path", "make_engine", "migrate"]
