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


def downgrade() -> None:
    with op.batch_alter_table("cohort_members") as batch:
        batch.drop_column("joined_via")
