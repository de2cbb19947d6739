"""Consent before visibility, erasure, honest failures (issue 16, consent).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30

Reserved in the chain so that work on several issues can add its schema changes independently;
an unused reservation stays a no-op.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # How each learner came to be a cohort member; rows from before this revision were made either
    # by joining with a code or by an educator adding them, which the table cannot tell apart.
    with op.batch_alter_table("cohort_members") as batch:
        batch.add_column(sa.Column("joined_via", sa.String(length=16), server_default="educator", nullable=False))
    op.create_table(
        "cohort_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["cohort_id"], ["cohorts.id"], name=op.f("fk_cohort_invitations_cohort_id_cohorts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohort_invitations")),
        sa.UniqueConstraint("cohort_id", "email", name=op.f("uq_cohort_invitations_cohort_id_email")),
    )
    op.create_index("ix_cohort_invitations_email", "cohort_invitations", ["email"])


def downgrade() -> None:
    op.drop_index("ix_cohort_invitations_email", table_name="cohort_invitations")
    op.drop_table("cohort_invitations")
    with op.batch_alter_table("cohort_members") as batch:
        batch.drop_column("joined_via")
