"""LTI 1.3 platforms and launches, the xAPI deployment base (issue 17).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30

Reserved in the chain so that work on several issues can add its schema changes independently;
an unused reservation stays a no-op.
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
