"""Email, password reset, reminders, case reflections as evidence (issue 19).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30

Password-reset links (only a hash of each token), per-kind email preferences and the opaque
unsubscribe tokens, the reminders ledger that keeps `email send-reminders` idempotent, and the
educator's last look at each cohort. Case reflections and "Why?" notes need no new columns: they
already live in `reflections` and in the `vignette.step` events.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)
EMAIL_KINDS = "kind IN ('learner_due', 'educator_overdue')"


def upgrade() -> None:
    op.create_table(
        "password_resets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("expires_at", UTC_DATETIME, nullable=False),
        sa.Column("used_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_password_resets_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_resets")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_resets_token_hash")),
    )
    op.create_index("ix_password_resets_user_id_created_at", "password_resets", ["user_id", "created_at"])
    op.create_table(
        "email_preferences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint(EMAIL_KINDS, name=op.f("ck_email_preferences_kind")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_email_preferences_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_preferences")),
        sa.UniqueConstraint("user_id", "kind", name=op.f("uq_email_preferences_user_id_kind")),
    )
    op.create_table(
        "unsubscribe_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint(EMAIL_KINDS, name=op.f("ck_unsubscribe_tokens_kind")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_unsubscribe_tokens_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unsubscribe_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_unsubscribe_tokens_token_hash")),
    )
    op.create_index("ix_unsubscribe_tokens_user_id", "unsubscribe_tokens", ["user_id"])
    op.create_table(
        "reminders_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("due_at", UTC_DATETIME, nullable=False),
        sa.Column("claimed_at", UTC_DATETIME, nullable=False),
        sa.Column("sent_at", UTC_DATETIME, nullable=True),
        sa.CheckConstraint(EMAIL_KINDS, name=op.f("ck_reminders_sent_kind")),
        sa.ForeignKeyConstraint(["recipient_id"], ["users.id"], name=op.f("fk_reminders_sent_recipient_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders_sent")),
        sa.UniqueConstraint(
            "kind",
            "recipient_id",
            "assignment_id",
            "learner_id",
            "due_at",
            name=op.f("uq_reminders_sent_kind_recipient_id_assignment_id_learner_id_due_at"),
        ),
    )
    op.create_table(
        "cohort_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("seen_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_cohort_visits_user_id_users")),
        sa.ForeignKeyConstraint(["cohort_id"], ["cohorts.id"], name=op.f("fk_cohort_visits_cohort_id_cohorts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohort_visits")),
        sa.UniqueConstraint("user_id", "cohort_id", name=op.f("uq_cohort_visits_user_id_cohort_id")),
    )


def downgrade() -> None:
    op.drop_table("cohort_visits")
    op.drop_table("reminders_sent")
    op.drop_index("ix_unsubscribe_tokens_user_id", table_name="unsubscribe_tokens")
    op.drop_table("unsubscribe_tokens")
    op.drop_table("email_preferences")
    op.drop_index("ix_password_resets_user_id_created_at", table_name="password_resets")
    op.drop_table("password_resets")
