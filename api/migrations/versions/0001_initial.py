"""Initial schema: departments, users, tracked issues and their timeline events."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the enum values as they were at this revision; later changes to the enums
# in the code need a migration of their own.
ROLES = ("admin", "analyst", "leader", "press", "handler")
SEVERITIES = ("general", "relatively_major", "major", "especially_major")
STATUSES = ("new", "triaged", "assigned", "responded", "closed", "dismissed")


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "departments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(50), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("district", sa.String(100), nullable=True),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_departments")),
        sa.UniqueConstraint("code", name=op.f("uq_departments_code")),
        sa.UniqueConstraint("name", name=op.f("uq_departments_name")),
    )

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_users_department_id_departments")
        ),
        sa.CheckConstraint(_one_of("role", ROLES), name=op.f("ck_users_role")),
    )
    op.create_index(op.f("ix_users_department_id"), "users", ["department_id"])

    op.create_table(
        "tracked_issues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("summary", sa.Text(), server_default="", nullable=False),
        sa.Column("category", sa.String(100), nullable=True),
        sa.Column("severity", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("lead_department_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("updated_at", _timestamp(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracked_issues")),
        sa.ForeignKeyConstraint(
            ["lead_department_id"],
            ["departments.id"],
            name=op.f("fk_tracked_issues_lead_department_id_departments"),
        ),
        sa.CheckConstraint(
            _one_of("severity", SEVERITIES), name=op.f("ck_tracked_issues_severity")
        ),
        sa.CheckConstraint(_one_of("status", STATUSES), name=op.f("ck_tracked_issues_status")),
    )
    op.create_index(
        op.f("ix_tracked_issues_lead_department_id"), "tracked_issues", ["lead_department_id"]
    )
    op.create_index(
        op.f("ix_tracked_issues_status_updated_at"), "tracked_issues", ["status", "updated_at"]
    )

    op.create_table(
        "timeline_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", _timestamp(), nullable=False),
        sa.Column("type", sa.String(50), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column("pinned", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timeline_events")),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["tracked_issues.id"],
            name=op.f("fk_timeline_events_issue_id_tracked_issues"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_timeline_events_actor_id_users")
        ),
    )
    op.create_index(op.f("ix_timeline_events_issue_id_at"), "timeline_events", ["issue_id", "at"])
    op.create_index(op.f("ix_timeline_events_actor_id"), "timeline_events", ["actor_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_timeline_events_actor_id"), table_name="timeline_events")
    op.drop_index(op.f("ix_timeline_events_issue_id_at"), table_name="timeline_events")
    op.drop_table("timeline_events")
    op.drop_index(op.f("ix_tracked_issues_status_updated_at"), table_name="tracked_issues")
    op.drop_index(op.f("ix_tracked_issues_lead_department_id"), table_name="tracked_issues")
    op.drop_table("tracked_issues")
    op.drop_index(op.f("ix_users_department_id"), table_name="users")
    op.drop_table("users")
    op.drop_table("departments")
