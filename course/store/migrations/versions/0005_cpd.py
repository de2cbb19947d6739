"""CPD portfolio: structured reflections with history and sharing, certificates, the xAPI outbox.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
EVENT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("reflections") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=16), server_default="vignette_step", nullable=False))
        batch.add_column(sa.Column("title", sa.String(length=120), nullable=True))
        batch.add_column(sa.Column("updated_at", UTC_DATETIME, nullable=True))
    op.create_table(
        "reflection_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reflection_id", sa.Integer(), nullable=False),
        sa.Column("entries", JSON, nullable=False),
        sa.Column("written_at", UTC_DATETIME, nullable=False),
        sa.Column("replaced_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["reflection_id"], ["reflections.id"], name=op.f("fk_reflection_revisions_reflection_id_reflections")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reflection_revisions")),
    )
    op.create_index("ix_reflection_revisions_reflection_id", "reflection_revisions", ["reflection_id"])
    op.create_table(
        "reflection_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reflection_id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("shared_at", UTC_DATETIME, nullable=False),
        sa.Column("withdrawn_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["reflection_id"], ["reflections.id"], name=op.f("fk_reflection_shares_reflection_id_reflections")
        ),
        sa.ForeignKeyConstraint(["cohort_id"], ["cohorts.id"], name=op.f("fk_reflection_shares_cohort_id_cohorts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reflection_shares")),
    )
    op.create_index("ix_reflection_shares_reflection_id", "reflection_shares", ["reflection_id"])
    op.create_index("ix_reflection_shares_cohort_id", "reflection_shares", ["cohort_id"])
    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("learner_name", sa.String(length=80), nullable=False),
        sa.Column("course_title", sa.String(length=200), nullable=False),
        sa.Column("cpd_minutes", sa.Integer(), nullable=False),
        sa.Column("issued_at", UTC_DATETIME, nullable=False),
        sa.Column("revoked_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_certificates_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("code", name=op.f("uq_certificates_code")),
    )
    op.create_index("ix_certificates_user_id", "certificates", ["user_id"])
    op.create_table(
        "xapi_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", EVENT_ID, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC_DATETIME, nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("sent_at", UTC_DATETIME, nullable=True),
        sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name=op.f("ck_xapi_outbox_status")),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_xapi_outbox_event_id_events")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xapi_outbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_xapi_outbox_event_id")),
    )
    op.create_index("ix_xapi_outbox_status_next_attempt_at", "xapi_outbox", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_xapi_outbox_status_next_attempt_at", table_name="xapi_outbox")
    op.drop_table("xapi_outbox")
    op.drop_index("ix_certificates_user_id", table_name="certificates")
    op.drop_table("certificates")
    op.drop_index("ix_reflection_shares_cohort_id", table_name="reflection_shares")
    op.drop_index("ix_reflection_shares_reflection_id", table_name="reflection_shares")
    op.drop_table("reflection_shares")
    op.drop_index("ix_reflection_revisions_reflection_id", table_name="reflection_revisions")
    op.drop_table("reflection_revisions")
    with op.batch_alter_table("reflections") as batch:
        batch.drop_column("updated_at")
        batch.drop_column("title")
        batch.drop_column("kind")
