"""An index for the issue list's default order (most recently changed first)."""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_tracked_issues_updated_at_id", "tracked_issues", ["updated_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_tracked_issues_updated_at_id", table_name="tracked_issues")
