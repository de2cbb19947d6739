"""LTI 1.3 platforms and launches, the xAPI deployment base (issue 17).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30

``settings`` keeps values a deployment generates once (its xAPI base); ``xapi_voids`` queues
voiding statements for a deleted account's statements that already reached the LRS; the ``lti_*``
tables hold registered platforms, the tool's signing keys, short-lived launch state, which account
a platform user signs in as, LMS courses (contexts) and their cohorts, resource links and the
assessment scores waiting to go back through Assignment and Grade Services.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
EVENT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
STATUSES = "status IN ('pending', 'sent', 'failed')"


def upgrade() -> None:
    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=2000), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_settings")),
    )
    op.create_table(
        "xapi_voids",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", EVENT_ID, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC_DATETIME, nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("queued_at", UTC_DATETIME, nullable=False),
        sa.Column("sent_at", UTC_DATETIME, nullable=True),
        sa.CheckConstraint(STATUSES, name=op.f("ck_xapi_voids_status")),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_xapi_voids_event_id_events")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xapi_voids")),
        sa.UniqueConstraint("event_id", name=op.f("uq_xapi_voids_event_id")),
    )
    op.create_index("ix_xapi_voids_status_next_attempt_at", "xapi_voids", ["status", "next_attempt_at"])
    op.create_table(
        "lti_platforms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("issuer", sa.String(length=255), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("auth_login_url", sa.String(length=2000), nullable=False),
        sa.Column("auth_token_url", sa.String(length=2000), nullable=False),
        sa.Column("auth_audience", sa.String(length=2000), nullable=True),
        sa.Column("key_set_url", sa.String(length=2000), nullable=False),
        sa.Column("deployment_ids", JSON, nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_platforms")),
        sa.UniqueConstraint("issuer", "client_id", name=op.f("uq_lti_platforms_issuer_client_id")),
    )
    op.create_table(
        "lti_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("private_pem", sa.String(length=4000), nullable=False),
        sa.Column("public_jwk", JSON, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("retired_at", UTC_DATETIME, nullable=True),
        sa.CheckConstraint("status IN ('current', 'previous', 'retired')", name=op.f("ck_lti_keys_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_keys")),
        sa.UniqueConstraint("kid", name=op.f("uq_lti_keys_kid")),
    )
    current = sa.text("status = 'current'")
    op.create_index(
        "uq_lti_keys_one_current", "lti_keys", ["status"], unique=True, sqlite_where=current, postgresql_where=current
    )
    op.create_table(
        "lti_launch_data",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("value", JSON, nullable=False),
        sa.Column("expires_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_lti_launch_data")),
    )
    op.create_index("ix_lti_launch_data_expires_at", "lti_launch_data", ["expires_at"])
    op.create_table(
        "lti_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("sub", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["platform_id"], ["lti_platforms.id"], name=op.f("fk_lti_users_platform_id_lti_platforms")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_lti_users_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_users")),
        sa.UniqueConstraint("platform_id", "sub", name=op.f("uq_lti_users_platform_id_sub")),
    )
    op.create_index("ix_lti_users_user_id", "lti_users", ["user_id"])
    op.create_table(
        "lti_contexts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("deployment_id", sa.String(length=255), nullable=False),
        sa.Column("context_id", sa.String(length=255), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=True),
        sa.Column("nrps_url", sa.String(length=2000), nullable=True),
        sa.Column("roster_synced_at", UTC_DATETIME, nullable=True),
        sa.Column("lineitems_url", sa.String(length=2000), nullable=True),
        sa.Column("ags_scopes", JSON, nullable=False),
        sa.Column("assessment_lineitem_url", sa.String(length=2000), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["platform_id"], ["lti_platforms.id"], name=op.f("fk_lti_contexts_platform_id_lti_platforms")
        ),
        sa.ForeignKeyConstraint(["cohort_id"], ["cohorts.id"], name=op.f("fk_lti_contexts_cohort_id_cohorts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_contexts")),
        sa.UniqueConstraint("platform_id", "context_id", name=op.f("uq_lti_contexts_platform_id_context_id")),
    )
    op.create_index("ix_lti_contexts_cohort_id", "lti_contexts", ["cohort_id"])
    op.create_table(
        "lti_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("lti_context_id", sa.Integer(), nullable=True),
        sa.Column("resource_link_id", sa.String(length=255), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=True),
        sa.Column("lineitem_url", sa.String(length=2000), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["platform_id"], ["lti_platforms.id"], name=op.f("fk_lti_links_platform_id_lti_platforms")
        ),
        sa.ForeignKeyConstraint(
            ["lti_context_id"], ["lti_contexts.id"], name=op.f("fk_lti_links_lti_context_id_lti_contexts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_links")),
        sa.UniqueConstraint("platform_id", "resource_link_id", name=op.f("uq_lti_links_platform_id_resource_link_id")),
    )
    op.create_index("ix_lti_links_lti_context_id", "lti_links", ["lti_context_id"])
    op.create_table(
        "lti_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lti_context_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC_DATETIME, nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("sent_at", UTC_DATETIME, nullable=True),
        sa.Column("score_given", sa.Integer(), nullable=True),
        sa.Column("score_maximum", sa.Integer(), nullable=True),
        sa.CheckConstraint(STATUSES, name=op.f("ck_lti_scores_status")),
        sa.ForeignKeyConstraint(
            ["lti_context_id"], ["lti_contexts.id"], name=op.f("fk_lti_scores_lti_context_id_lti_contexts")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_lti_scores_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_scores")),
        sa.UniqueConstraint("lti_context_id", "user_id", name=op.f("uq_lti_scores_lti_context_id_user_id")),
    )
    op.create_index("ix_lti_scores_user_id", "lti_scores", ["user_id"])
    op.create_index("ix_lti_scores_status_next_attempt_at", "lti_scores", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_lti_scores_status_next_attempt_at", table_name="lti_scores")
    op.drop_index("ix_lti_scores_user_id", table_name="lti_scores")
    op.drop_table("lti_scores")
    op.drop_index("ix_lti_links_lti_context_id", table_name="lti_links")
    op.drop_table("lti_links")
    op.drop_index("ix_lti_contexts_cohort_id", table_name="lti_contexts")
    op.drop_table("lti_contexts")
    op.drop_index("ix_lti_users_user_id", table_name="lti_users")
    op.drop_table("lti_users")
    op.drop_index("ix_lti_launch_data_expires_at", table_name="lti_launch_data")
    op.drop_table("lti_launch_data")
    op.drop_index("uq_lti_keys_one_current", table_name="lti_keys")
    op.drop_table("lti_keys")
    op.drop_table("lti_platforms")
    op.drop_index("ix_xapi_voids_status_next_attempt_at", table_name="xapi_voids")
    op.drop_table("xapi_voids")
    op.drop_table("settings")
