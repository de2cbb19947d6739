"""Migration 0012: emails stored before issue 16 are rewritten into the one form sign-in now uses."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import Engine, insert, select

from course import accounts
from course.store.db import _alembic_config, migration_connection
from course.store.models import UserRow

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def upgrade(engine: Engine, revision: str) -> None:
    config = _alembic_config()
    with migration_connection(engine) as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def test_stored_emails_keep_working_after_the_new_normal_form(blank_engine: Engine) -> None:
    upgrade(blank_engine, "0011")
    legacy = {
        "plain@example.org": "plain@example.org",  # unchanged
        "zoë@bücher.example": "zoë@xn--bcher-kva.example",  # the old code kept the Unicode domain
        "ａlice@example.org": "alice@example.org",  # full-width letter, stored as typed
        "alice@example.org": "alice@example.org",
        "x@[127.0.0.1]": "x@[127.0.0.1]",  # refused for new accounts; an old one stays as it was
    }
    with blank_engine.begin() as conn:
        for number, email in enumerate(legacy):
            conn.execute(
                insert(UserRow.__table__).values(  # type: ignore[arg-type]
                    id=number + 1, email=email, display_name=f"U{number}", role="learner", created_at=NOW
                )
            )
    upgrade(blank_engine, "head")
    with blank_engine.connect() as conn:
        stored = dict(conn.execute(select(UserRow.id, UserRow.email).order_by(UserRow.id)).all())
    assert stored[1] == "plain@example.org"
    assert stored[2] == "zoë@xn--bcher-kva.example"
    assert stored[3] == "ａlice@example.org"  # its new form belongs to another account: left alone
    assert stored[4] == "alice@example.org"
    assert stored[5] == "x@[127.0.0.1]"
    # What the owners type now finds their rows.
    assert accounts.normalise_email("Zoë@Bücher.example") == stored[2]
    assert accounts.normalise_email(" PLAIN@example.org") == stored[1]
