"""Rate limits, bound handoffs, normalised emails, sessions (issue 16, abuse and sessions).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30

Reserved in the chain so that work on several issues can add its schema changes independently;
an unused reservation stays a no-op.
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
