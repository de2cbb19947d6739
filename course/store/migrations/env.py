"""Alembic environment.

``course.store.db.migrate`` hands over a connection that is already inside a locked write
transaction. From the command line (``python -m alembic -c course/store/alembic.ini upgrade head``)
this script opens the app's own database the same way.
"""

from __future__ import annotations

import logging.config

from alembic import context
from sqlalchemy import Connection

from course.store.db import database_url, make_engine, migration_connection
from course.store.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or database_url()


def _run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite can only ALTER a few things in place; batch mode rebuilds tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    url = _url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    handed_over = config.attributes.get("connection")
    if handed_over is not None:
        _run_on(handed_over)
        return
    engine = make_engine(_url())
    try:
        with migration_connection(engine) as connection:
            _run_on(connection)
    finally:
        engine.dispose()


if config.config_file_name is not None:
    logging.config.fileConfig(config.config_file_name, disable_existing_loggers=False)

if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
