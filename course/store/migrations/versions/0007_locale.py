"""Time zones on accounts and cohorts (issue 15, time, numbers and deleted learners).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30

Reserved in the chain so that work on several issues can add its schema changes independently;
an unused reservation stays a no-op.
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
