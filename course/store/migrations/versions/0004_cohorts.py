"""Cohorts, their members and assignments; each attempt's questions as rows for item analysis.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "attempt_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("answer", sa.String(length=1), nullable=False),
        sa.ForeignKeyConstraint(["attempt_id"], ["attempts.id"], name=op.f("fk_attempt_items_attempt_id_attempts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attempt_items")),
        sa.UniqueConstraint("attempt_id", "item_id", name=op.f("uq_attempt_items_attempt_id_item_id")),
    )
    op.create_index("ix_attempt_items_item_id", "attempt_items", ["item_id"])
    _backfill_attempt_items()

    op.create_table(
        "cohorts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("invite_code", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("archived_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_cohorts_owner_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohorts")),
        sa.UniqueConstraint("invite_code", name=op.f("uq_cohorts_invite_code")),
    )
    op.create_index("ix_cohorts_owner_id", "cohorts", ["owner_id"])
    op.create_table(
        "cohort_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(["cohort_id"], ["cohorts.id"], name=op.f("fk_cohort_members_cohort_id_cohorts")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_cohort_members_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohort_members")),
        sa.UniqueConstraint("cohort_id", "user_id", name=op.f("uq_cohort_members_cohort_id_user_id")),
    )
    op.create_index("ix_cohort_members_user_id", "cohort_members", ["user_id"])
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("object_type", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.String(length=200), nullable=False),
        sa.Column("due_at", UTC_DATETIME, nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint(
            "object_type IN ('module', 'vignette', 'assessment')", name=op.f("ck_assignments_object_type")
        ),
        sa.ForeignKeyConstraint(["cohort_id"], ["cohorts.id"], name=op.f("fk_assignments_cohort_id_cohorts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
        sa.UniqueConstraint(
            "cohort_id", "object_type", "object_id", name=op.f("uq_assignments_cohort_id_object_type_object_id")
        ),
    )
    op.create_index("ix_events_user_id_occurred_at", "events", ["user_id", "occurred_at"])


def _backfill_attempt_items() -> None:
    """Attempts made before this revision keep their paper only as JSON: copy it into rows."""
    connection = op.get_bind()
    attempts = sa.table("attempts", sa.column("id", sa.Integer()), sa.column("paper", sa.JSON()))
    items = sa.table(
        "attempt_items",
        sa.column("attempt_id", sa.Integer()),
        sa.column("item_id", sa.String()),
        sa.column("position", sa.Integer()),
        sa.column("answer", sa.String()),
    )
    rows = [
        {"attempt_id": attempt_id, "item_id": entry["item"], "position": position, "answer": entry["answer"]}
        for attempt_id, paper in connection.execute(sa.select(attempts.c.id, attempts.c.paper))
        for position, entry in enumerate(paper)
    ]
    if rows:
        connection.execute(sa.insert(items), rows)


def downgrade() -> None:
    op.drop_index("ix_events_user_id_occurred_at", table_name="events")
    op.drop_table("assignments")
    op.drop_index("ix_cohort_members_user_id", table_name="cohort_members")
    op.drop_table("cohort_members")
    op.drop_index("ix_cohorts_owner_id", table_name="cohorts")
    op.drop_table("cohorts")
    op.drop_index("ix_attempt_items_item_id", table_name="attempt_items")
    op.drop_table("attempt_items")
