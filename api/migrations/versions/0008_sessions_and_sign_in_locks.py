"""Sessions that end, and a sign-in limit that holds under parallel attempts.

Each user has a session stamp that access tokens carry; drawing a new one (signing out) ends
every session of the user. Existing users get a random one, so tokens issued before this
migration stop working. `login_locks` has a row per username and client address, locked while
a sign-in attempt is checked and counted.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_users = sa.table("users", sa.column("id", sa.Integer()), sa.column("session_stamp", sa.String()))


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_stamp", sa.String(32), nullable=True))
    bind = op.get_bind()
    for user_id in bind.execute(sa.select(_users.c.id)).scalars().all():
        bind.execute(
            _users.update()
            .where(_users.c.id == user_id)
            .values(session_stamp=secrets.token_hex(16))
        )
    with op.batch_alter_table("users") as batch:
        batch.alter_column("session_stamp", existing_type=sa.String(32), nullable=False)
    op.create_table(
        "login_locks",
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_locks")),
    )


def downgrade() -> None:
    op.drop_table("login_locks")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_stamp")
