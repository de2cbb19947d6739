"""Rate limits, bound handoffs, normalised emails, sessions (issue 16, abuse and sessions).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30

* ``auth_tokens.browser_hash``: the SHA-256 of the browser cookie a handoff was minted for (and that
  a session was started in), so a handoff link works only in the browser that asked for it.
* Stored emails are rewritten to the form ``course.accounts.normalise_email`` now gives (NFKC,
  lower case, IDNA A-label domain), so an address stored before keeps matching what its owner types.
  A row whose new form would collide with another account's is left as it was. The rewrite is not
  undone on downgrade (the old code lower-cased and trimmed only, and matches these forms too for
  every ASCII address).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import idna
import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _normalised(email: str) -> str:
    # A frozen copy of course.accounts.normalise_email as of this revision (migrations never import app code).
    address = unicodedata.normalize("NFKC", email).strip().lower()
    local, at, domain = address.rpartition("@")
    if not at or not domain or domain.startswith("[") or any(unicodedata.category(c) == "Cf" for c in address):
        return address
    try:
        return f"{local}@{idna.encode(domain, uts46=True).decode('ascii')}"
    except (idna.IDNAError, UnicodeError, ValueError):
        return address


def upgrade() -> None:
    with op.batch_alter_table("auth_tokens") as batch:
        batch.add_column(sa.Column("browser_hash", sa.String(64), nullable=True))

    users = sa.table("users", sa.column("id", sa.Integer), sa.column("email", sa.String))
    conn = op.get_bind()
    rows = conn.execute(sa.select(users.c.id, users.c.email)).all()
    taken = {row.email for row in rows}
    for row in rows:
        new = _normalised(row.email)
        if new != row.email and new not in taken:
            conn.execute(sa.update(users).where(users.c.id == row.id).values(email=new))
            taken.discard(row.email)
            taken.add(new)


def downgrade() -> None:
    with op.batch_alter_table("auth_tokens") as batch:
        batch.drop_column("browser_hash")
