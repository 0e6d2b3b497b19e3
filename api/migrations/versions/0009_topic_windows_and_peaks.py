"""Topics in time, with their history: each hot issue's window (hours its posts may be apart,
set by its kind of source), its peak score and when it peaked; and whether a member post had
an official reply (the unanswered share of a persistent complaint).

Existing clusters get the 72-hour window they were made under.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("hot_issues") as batch:
        batch.add_column(sa.Column("window_hours", sa.Float(), nullable=False, server_default="72"))
        batch.add_column(sa.Column("peak_score", sa.Float(), nullable=True))
        batch.add_column(sa.Column("peak_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE hot_issues SET peak_score = score, peak_at = scored_at WHERE score > 0")
    with op.batch_alter_table("hot_issue_posts") as batch:
        batch.add_column(
            sa.Column("answered", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("hot_issue_posts") as batch:
        batch.drop_column("answered")
    with op.batch_alter_table("hot_issues") as batch:
        batch.drop_column("peak_at")
        batch.drop_column("peak_score")
        batch.drop_column("window_hours")
