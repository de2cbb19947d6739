"""Time zones on accounts and cohorts (issue 15, time, numbers and deleted learners).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30

``users.time_zone`` is the IANA zone every date the person reads is shown in; NULL means not known
yet (the browser's zone is detected and stored on the next visit). ``cohorts.time_zone`` is the
zone a cohort's due days are in: a due date ends at the last instant of that day there. Existing
cohorts get UTC, which is what their due dates already meant (23:59:59 UTC).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("time_zone", sa.String(64), nullable=True))
    with op.batch_alter_table("cohorts") as batch:
        batch.add_column(sa.Column("time_zone", sa.String(64), nullable=False, server_default="UTC"))


def downgrade() -> None:
    with op.batch_alter_table("cohorts") as batch:
        batch.drop_column("time_zone")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("time_zone")
