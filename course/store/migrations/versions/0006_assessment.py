"""Assessment integrity: review rules, retake limits, evidence counted once (issue 14).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30

Each attempt records the retake rule in force when it started (like the pass mark), so changing
COURSE_RETAKE_* later never makes a learner's position worse than they were told; and how many
questions were answered when it was submitted, so a blank or near-blank attempt can be recognised
(it counts as an attempt, and item analysis can leave it out). All three columns are NULL for
attempts taken before this revision.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("attempts") as batch:
        batch.add_column(sa.Column("retake_limit", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("retake_cooldown_minutes", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("answered", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("attempts") as batch:
        batch.drop_column("answered")
        batch.drop_column("retake_cooldown_minutes")
        batch.drop_column("retake_limit")
