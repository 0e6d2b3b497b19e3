"""SLA clocks, briefings, issue links and supporting departments; new issue fields."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATUSES_BEFORE = ("new", "triaged", "assigned", "responded", "closed", "dismissed")
_STATUSES = (*_STATUSES_BEFORE, "reopened")
_NEW_COLUMNS = (
    "hotline_category", "policy_published_at", "dismiss_reason", "resolution", "tags",
    "closed_at", "assigned_at", "detected_at",
)  # fmt: skip
_KINDS = ("press_release", "press_conference", "online_interview", "policy_interpretation")


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    with op.batch_alter_table("tracked_issues") as batch:
        batch.add_column(sa.Column("detected_at", _timestamp(), nullable=True))
        batch.add_column(sa.Column("assigned_at", _timestamp(), nullable=True))
        batch.add_column(sa.Column("closed_at", _timestamp(), nullable=True))
        batch.add_column(sa.Column("tags", _json(), nullable=True))
        batch.add_column(sa.Column("resolution", sa.Text(), nullable=True))
        batch.add_column(sa.Column("dismiss_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("policy_published_at", _timestamp(), nullable=True))
        batch.add_column(sa.Column("hotline_category", sa.String(50), nullable=True))
        batch.drop_constraint(op.f("ck_tracked_issues_status"), type_="check")
        batch.create_check_constraint(op.f("ck_tracked_issues_status"), _in("status", _STATUSES))
    op.execute("UPDATE tracked_issues SET detected_at = created_at, tags = '[]'")
    with op.batch_alter_table("tracked_issues") as batch:
        batch.alter_column("detected_at", existing_type=_timestamp(), nullable=False)
        batch.alter_column("tags", existing_type=_json(), nullable=False)
    op.create_index(op.f("ix_tracked_issues_detected_at"), "tracked_issues", ["detected_at"])

    op.create_table(
        "issue_departments",
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["tracked_issues.id"], ondelete="CASCADE",
            name=op.f("fk_issue_departments_issue_id_tracked_issues"),
        ),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"],
            name=op.f("fk_issue_departments_department_id_departments"),
        ),
        sa.PrimaryKeyConstraint("issue_id", "department_id", name=op.f("pk_issue_departments")),
    )  # fmt: skip
    op.create_table(
        "issue_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("ref", sa.String(200), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.CheckConstraint("kind IN ('hot_issue', 'post')", name=op.f("ck_issue_links_kind")),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["tracked_issues.id"], ondelete="CASCADE",
            name=op.f("fk_issue_links_issue_id_tracked_issues"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issue_links")),
    )  # fmt: skip
    op.create_index(op.f("ix_issue_links_issue_id"), "issue_links", ["issue_id"])
    op.create_index("ix_issue_links_kind_ref", "issue_links", ["kind", "ref"])
    op.create_table(
        "sla_clocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("basis", sa.String(20), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("started_at", _timestamp(), nullable=False),
        sa.Column("due_at", _timestamp(), nullable=False),
        sa.Column("warn_at", sa.Float(), nullable=False),
        sa.Column("met_at", _timestamp(), nullable=True),
        sa.Column("met_by", sa.String(100), nullable=True),
        sa.Column("superseded_at", _timestamp(), nullable=True),
        sa.Column("pauses", _json(), nullable=False),
        sa.Column("warned", _json(), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["tracked_issues.id"], ondelete="CASCADE",
            name=op.f("fk_sla_clocks_issue_id_tracked_issues"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_clocks")),
    )  # fmt: skip
    op.create_index(op.f("ix_sla_clocks_issue_id"), "sla_clocks", ["issue_id"])
    op.create_index(op.f("ix_sla_clocks_due_at"), "sla_clocks", ["due_at"])
    op.create_table(
        "briefings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("at", _timestamp(), nullable=False),
        sa.Column("url", sa.String(2000), nullable=True),
        sa.Column("spokesperson", sa.String(100), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.CheckConstraint(_in("kind", _KINDS), name=op.f("ck_briefings_kind")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_briefings_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_briefings")),
    )
    op.create_index(op.f("ix_briefings_at"), "briefings", ["at"])
    op.create_table(
        "briefing_issues",
        sa.Column("briefing_id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("linked_at", _timestamp(), nullable=False),
        sa.Column("linked_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["briefing_id"], ["briefings.id"], ondelete="CASCADE",
            name=op.f("fk_briefing_issues_briefing_id_briefings"),
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["tracked_issues.id"], ondelete="CASCADE",
            name=op.f("fk_briefing_issues_issue_id_tracked_issues"),
        ),
        sa.ForeignKeyConstraint(
            ["linked_by"], ["users.id"], name=op.f("fk_briefing_issues_linked_by_users")
        ),
        sa.PrimaryKeyConstraint("briefing_id", "issue_id", name=op.f("pk_briefing_issues")),
    )  # fmt: skip
    op.create_index(op.f("ix_briefing_issues_issue_id"), "briefing_issues", ["issue_id"])


def downgrade() -> None:
    op.drop_table("briefing_issues")
    op.drop_table("briefings")
    op.drop_table("sla_clocks")
    op.drop_table("issue_links")
    op.drop_table("issue_departments")
    op.drop_index(op.f("ix_tracked_issues_detected_at"), table_name="tracked_issues")
    op.execute("UPDATE tracked_issues SET status = 'assigned' WHERE status = 'reopened'")
    with op.batch_alter_table("tracked_issues") as batch:
        batch.drop_constraint(op.f("ck_tracked_issues_status"), type_="check")
        batch.create_check_constraint(
            op.f("ck_tracked_issues_status"), _in("status", _STATUSES_BEFORE)
        )
        for column in _NEW_COLUMNS:
            batch.drop_column(column)
