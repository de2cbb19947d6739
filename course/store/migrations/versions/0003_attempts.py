"""Summative assessment attempts and their answers.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
OPEN = sa.text("status = 'in_progress'")


def upgrade() -> None:
    op.create_table(
        "attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("content_version", sa.String(length=64), nullable=False),
        sa.Column("paper", JSON, nullable=False),
        sa.Column("pass_mark_percent", sa.Integer(), nullable=False),
        sa.Column("started_at", UTC_DATETIME, nullable=False),
        sa.Column("submitted_at", UTC_DATETIME, nullable=True),
        sa.Column("correct", sa.Integer(), nullable=True),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.CheckConstraint("status IN ('in_progress', 'submitted', 'abandoned')", name=op.f("ck_attempts_status")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_attempts_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attempts")),
    )
    op.create_index("ix_attempts_user_id_assessment_id", "attempts", ["user_id", "assessment_id"], unique=False)
    op.create_index(
        "uq_attempts_one_open",
        "attempts",
        ["user_id", "assessment_id"],
        unique=True,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
    op.create_table(
        "attempt_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("chosen", sa.String(length=1), nullable=False),
        sa.Column("answered_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(["attempt_id"], ["attempts.id"], name=op.f("fk_attempt_answers_attempt_id_attempts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attempt_answers")),
        sa.UniqueConstraint("attempt_id", "item_id", name=op.f("uq_attempt_answers_attempt_id_item_id")),
    )


def downgrade() -> None:
    op.drop_table("attempt_answers")
    op.drop_index("uq_attempts_one_open", table_name="attempts")
    op.drop_index("ix_attempts_user_id_assessment_id", table_name="attempts")
    op.drop_table("attempts")
