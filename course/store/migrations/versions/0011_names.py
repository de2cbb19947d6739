"""Search keys for names in any script, certificate name checks (issue 15, names and exports).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30

* ``users.search_key``: the account's name and email folded by ``course.textkey.search_key``
  (accents and case removed in every script), so name searches agree on SQLite and PostgreSQL.
* ``cohorts.invite_key`` and ``certificates.code_key``: the codes folded by ``course.codes.code_key``
  (case, separators and look-alike characters), so a code typed from paper matches however it was
  typed. Codes issued before keep working: their keys are computed here from the stored codes.

The keys are computed in Python (the fold uses Unicode data neither database has), so the
backfill reads every row once.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from course.codes import code_key
from course.textkey import search_key

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_users = sa.table(
    "users",
    sa.column("id", sa.Integer),
    sa.column("display_name", sa.String),
    sa.column("email", sa.String),
    sa.column("search_key", sa.Text),
)
_cohorts = sa.table(
    "cohorts", sa.column("id", sa.Integer), sa.column("invite_code", sa.String), sa.column("invite_key", sa.String)
)
_certificates = sa.table(
    "certificates", sa.column("id", sa.Integer), sa.column("code", sa.String), sa.column("code_key", sa.String)
)


def upgrade() -> None:
    # Plain ADD COLUMN and CREATE INDEX, never a SQLite batch (table copy): users, cohorts and
    # certificates are referenced by other tables' foreign keys, so a copy would fail on a live database.
    op.add_column("users", sa.Column("search_key", sa.Text(), server_default="", nullable=False))
    op.add_column("cohorts", sa.Column("invite_key", sa.String(length=16), server_default="", nullable=False))
    op.add_column("certificates", sa.Column("code_key", sa.String(length=32), server_default="", nullable=False))

    conn = op.get_bind()
    for row in conn.execute(sa.select(_users.c.id, _users.c.display_name, _users.c.email)).all():
        key = search_key(row.display_name, row.email)
        conn.execute(sa.update(_users).where(_users.c.id == row.id).values(search_key=key))
    for row in conn.execute(sa.select(_cohorts.c.id, _cohorts.c.invite_code)).all():
        conn.execute(sa.update(_cohorts).where(_cohorts.c.id == row.id).values(invite_key=code_key(row.invite_code)))
    for row in conn.execute(sa.select(_certificates.c.id, _certificates.c.code)).all():
        conn.execute(sa.update(_certificates).where(_certificates.c.id == row.id).values(code_key=code_key(row.code)))

    op.create_index("ix_cohorts_invite_key", "cohorts", ["invite_key"], unique=True)
    op.create_index("ix_certificates_code_key", "certificates", ["code_key"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_certificates_code_key", table_name="certificates")
    op.drop_index("ix_cohorts_invite_key", table_name="cohorts")
    with op.batch_alter_table("certificates") as batch:
        batch.drop_column("code_key")
    with op.batch_alter_table("cohorts") as batch:
        batch.drop_column("invite_key")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("search_key")
