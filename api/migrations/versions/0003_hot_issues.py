"""Hot issues (topic clusters) with their member posts, the clustering job's state, alerts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "hot_issues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("merged_into", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("keywords", _json(), nullable=False),
        sa.Column("centroid", _json(), nullable=False),
        sa.Column("as_of", _timestamp(), nullable=False),
        sa.Column("first_seen", _timestamp(), nullable=False),
        sa.Column("last_seen", _timestamp(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("signals", _json(), nullable=False),
        sa.Column("explanation", _json(), nullable=False),
        sa.Column("stats", _json(), nullable=False),
        sa.Column("scored_at", _timestamp(), nullable=True),
        sa.Column("flagged_at", _timestamp(), nullable=True),
        sa.Column("flag_score", sa.Float(), nullable=True),
        sa.Column("flag_explanation", _json(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("curated", sa.Boolean(), nullable=False),
        sa.Column("updated_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hot_issues")),
    )
    for column in ("status", "active", "last_seen", "score"):
        op.create_index(op.f(f"ix_hot_issues_{column}"), "hot_issues", [column])
    op.create_table(
        "hot_issue_posts",
        sa.Column("post_id", sa.String(200), nullable=False),
        sa.Column("hot_issue_id", sa.Integer(), nullable=False),
        sa.Column("published_at", _timestamp(), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("sentiment", sa.Float(), nullable=True),
        sa.Column("engagement", sa.Integer(), nullable=False),
        sa.Column("official", sa.Boolean(), nullable=False),
        sa.Column("author", sa.String(200), nullable=True),
        sa.Column("sensitive", _json(), nullable=False),
        sa.Column("copy", sa.Boolean(), nullable=False),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("added_at", _timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["hot_issue_id"],
            ["hot_issues.id"],
            name=op.f("fk_hot_issue_posts_hot_issue_id_hot_issues"),
        ),
        sa.PrimaryKeyConstraint("post_id", name=op.f("pk_hot_issue_posts")),
    )
    op.create_index(op.f("ix_hot_issue_posts_hot_issue_id"), "hot_issue_posts", ["hot_issue_id"])
    op.create_index(op.f("ix_hot_issue_posts_published_at"), "hot_issue_posts", ["published_at"])
    op.create_table(
        "analysis_state",
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("updated_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_analysis_state")),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hot_issue_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("explanation", _json(), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("due_at", _timestamp(), nullable=False),
        sa.Column("passes", sa.Integer(), nullable=False),
        sa.Column("delivered_at", _timestamp(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["hot_issue_id"], ["hot_issues.id"], name=op.f("fk_alerts_hot_issue_id_hot_issues")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    for column in ("hot_issue_id", "created_at", "status"):
        op.create_index(op.f(f"ix_alerts_{column}"), "alerts", [column])
    op.create_table(
        "alert_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(100), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("finished_at", _timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_alert_deliveries_alert_id_alerts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_deliveries")),
    )
    op.create_index(op.f("ix_alert_deliveries_alert_id"), "alert_deliveries", ["alert_id"])


def downgrade() -> None:
    op.drop_table("alert_deliveries")
    op.drop_table("alerts")
    op.drop_table("analysis_state")
    op.drop_table("hot_issue_posts")
    op.drop_table("hot_issues")
