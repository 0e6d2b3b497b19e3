"""The outbox: every notification (hot-issue alerts and deadline warnings) with its deliveries.

Hot-issue alerts keep their own record (`hot_issue_alerts`: the score and reasons when raised)
and point at the notification that carries them; their delivery state moves to
`notifications`. A hot issue remembers the tracked issue it was promoted into (once at most).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


# Lightweight table handles for moving rows (types matter: JSON and timestamps).
_alerts = sa.table(
    "alerts",
    sa.column("id", sa.Integer()),
    sa.column("hot_issue_id", sa.Integer()),
    sa.column("level", sa.String()),
    sa.column("score", sa.Float()),
    sa.column("title", sa.String()),
    sa.column("explanation", _json()),
    sa.column("created_at", _timestamp()),
    sa.column("status", sa.String()),
    sa.column("due_at", _timestamp()),
    sa.column("passes", sa.Integer()),
    sa.column("delivered_at", _timestamp()),
    sa.column("last_error", sa.Text()),
)
_alert_deliveries = sa.table(
    "alert_deliveries",
    sa.column("id", sa.Integer()),
    sa.column("alert_id", sa.Integer()),
    sa.column("channel", sa.String()),
    sa.column("ok", sa.Boolean()),
    sa.column("attempts", sa.Integer()),
    sa.column("error", sa.Text()),
    sa.column("finished_at", _timestamp()),
)
_notifications = sa.table(
    "notifications",
    sa.column("id", sa.Integer()),
    sa.column("kind", sa.String()),
    sa.column("subject_id", sa.Integer()),
    sa.column("level", sa.String()),
    sa.column("title", sa.String()),
    sa.column("facts", _json()),
    sa.column("body", _json()),
    sa.column("link", sa.String()),
    sa.column("data", _json()),
    sa.column("created_at", _timestamp()),
    sa.column("due_at", _timestamp()),
    sa.column("status", sa.String()),
    sa.column("passes", sa.Integer()),
    sa.column("delivered_at", _timestamp()),
    sa.column("last_error", sa.Text()),
)
_notification_deliveries = sa.table(
    "notification_deliveries",
    sa.column("id", sa.Integer()),
    sa.column("notification_id", sa.Integer()),
    sa.column("channel", sa.String()),
    sa.column("ok", sa.Boolean()),
    sa.column("attempts", sa.Integer()),
    sa.column("error", sa.Text()),
    sa.column("finished_at", _timestamp()),
)
_hot_issue_alerts = sa.table(
    "hot_issue_alerts",
    sa.column("id", sa.Integer()),
    sa.column("hot_issue_id", sa.Integer()),
    sa.column("level", sa.String()),
    sa.column("score", sa.Float()),
    sa.column("title", sa.String()),
    sa.column("explanation", _json()),
    sa.column("created_at", _timestamp()),
    sa.column("notification_id", sa.Integer()),
)


def _create_outbox() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("facts", _json(), nullable=False),
        sa.Column("body", _json(), nullable=False),
        sa.Column("link", sa.String(500), nullable=True),
        sa.Column("data", _json(), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("due_at", _timestamp(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("passes", sa.Integer(), nullable=False),
        sa.Column("claimed_until", _timestamp(), nullable=True),
        sa.Column("delivered_at", _timestamp(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    for column in ("kind", "subject_id", "created_at"):
        op.create_index(op.f(f"ix_notifications_{column}"), "notifications", [column])
    op.create_index("ix_notifications_status_due_at", "notifications", ["status", "due_at"])
    op.create_table(
        "notification_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(100), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("finished_at", _timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_notification_deliveries_notification_id_notifications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_deliveries")),
    )
    op.create_index(
        op.f("ix_notification_deliveries_notification_id"),
        "notification_deliveries",
        ["notification_id"],
    )
    op.create_table(
        "hot_issue_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hot_issue_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("explanation", _json(), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["hot_issue_id"],
            ["hot_issues.id"],
            name=op.f("fk_hot_issue_alerts_hot_issue_id_hot_issues"),
        ),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_hot_issue_alerts_notification_id_notifications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hot_issue_alerts")),
    )
    for column in ("hot_issue_id", "created_at"):
        op.create_index(op.f(f"ix_hot_issue_alerts_{column}"), "hot_issue_alerts", [column])


def _move_alerts_into_the_outbox() -> None:
    """Each old alert becomes a notification (same id) and a hot-issue alert record."""
    bind = op.get_bind()
    for row in bind.execute(sa.select(_alerts).order_by(_alerts.c.id)).mappings():
        bind.execute(
            _notifications.insert().values(
                id=row["id"],
                kind="hot_issue",
                subject_id=row["hot_issue_id"],
                level=row["level"],
                title=row["title"],
                facts=[["热度评分", f"{row['score']:.1f}"]],
                body=list(row["explanation"] or []),
                link=f"/triage#hot-{row['hot_issue_id']}",
                data={"hot_issue_id": row["hot_issue_id"], "score": row["score"]},
                created_at=row["created_at"],
                due_at=row["due_at"],
                status=row["status"],
                passes=row["passes"],
                delivered_at=row["delivered_at"],
                last_error=row["last_error"],
            )
        )
        bind.execute(
            _hot_issue_alerts.insert().values(
                id=row["id"],
                hot_issue_id=row["hot_issue_id"],
                level=row["level"],
                score=row["score"],
                title=row["title"],
                explanation=row["explanation"] or [],
                created_at=row["created_at"],
                notification_id=row["id"],
            )
        )
    for row in bind.execute(sa.select(_alert_deliveries)).mappings():
        bind.execute(
            _notification_deliveries.insert().values(
                id=row["id"],
                notification_id=row["alert_id"],
                channel=row["channel"],
                ok=row["ok"],
                attempts=row["attempts"],
                error=row["error"],
                finished_at=row["finished_at"],
            )
        )
    if bind.dialect.name == "postgresql":
        # Rows came with their ids: move each sequence past them.
        for table in ("notifications", "notification_deliveries", "hot_issue_alerts"):
            bind.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            )


def upgrade() -> None:
    _create_outbox()
    _move_alerts_into_the_outbox()
    op.drop_table("alert_deliveries")
    op.drop_table("alerts")
    with op.batch_alter_table("hot_issues") as batch:
        batch.add_column(sa.Column("issue_id", sa.Integer(), nullable=True))
        batch.create_index(op.f("ix_hot_issues_issue_id"), ["issue_id"])
        batch.create_foreign_key(
            op.f("fk_hot_issues_issue_id_tracked_issues"), "tracked_issues", ["issue_id"], ["id"]
        )
    # A hot issue already linked to tracked issues counts as promoted into the first of them.
    op.execute(
        "UPDATE hot_issues SET issue_id = (SELECT MIN(l.issue_id) FROM issue_links l"
        " WHERE l.kind = 'hot_issue' AND l.ref = CAST(hot_issues.id AS VARCHAR(200)))"
    )


def downgrade() -> None:
    """Back to alerts with their own delivery state. Deadline warnings have no place there and
    are dropped (they stay on the issues' timelines)."""
    with op.batch_alter_table("hot_issues") as batch:
        batch.drop_constraint(op.f("fk_hot_issues_issue_id_tracked_issues"), type_="foreignkey")
        batch.drop_index(op.f("ix_hot_issues_issue_id"))
        batch.drop_column("issue_id")
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
    bind = op.get_bind()
    joined = sa.select(_hot_issue_alerts, _notifications.c.status, _notifications.c.due_at,
                       _notifications.c.passes, _notifications.c.delivered_at,
                       _notifications.c.last_error).join(
        _notifications, _notifications.c.id == _hot_issue_alerts.c.notification_id
    )  # fmt: skip
    for row in bind.execute(joined).mappings():
        bind.execute(
            _alerts.insert().values(
                id=row["id"],
                hot_issue_id=row["hot_issue_id"],
                level=row["level"],
                score=row["score"],
                title=row["title"],
                explanation=row["explanation"],
                created_at=row["created_at"],
                status=row["status"],
                due_at=row["due_at"],
                passes=row["passes"],
                delivered_at=row["delivered_at"],
                last_error=row["last_error"],
            )
        )
        deliveries = sa.select(_notification_deliveries).where(
            _notification_deliveries.c.notification_id == row["notification_id"]
        )
        for delivery in bind.execute(deliveries).mappings():
            bind.execute(
                _alert_deliveries.insert().values(
                    alert_id=row["id"],
                    channel=delivery["channel"],
                    ok=delivery["ok"],
                    attempts=delivery["attempts"],
                    error=delivery["error"],
                    finished_at=delivery["finished_at"],
                )
            )
    op.drop_table("hot_issue_alerts")
    op.drop_table("notification_deliveries")
    op.drop_table("notifications")
