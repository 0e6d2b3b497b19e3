"""The clock-warning job: before a deadline (at `warn_at` of the time allowed, 80% by default)
and at the breach, each once per clock, on the issue's timeline and as a notification in the
outbox (`api.alerts`), which delivers it to the alert channels and retries until they accept it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.alerts import service as outbox
from api.alerts.models import Level, NotificationKind
from api.alerts.render import beijing
from api.database import unit_of_work
from api.departments.models import Department
from api.issues import clocks
from api.issues.deadlines import ClockWarning, warnings_due
from api.issues.models import (
    SEVERITY_LABELS,
    IssueStatus,
    SlaClock,
    TimelineEvent,
    TrackedIssue,
)
from api.issues.sla import WarningLevel
from core.settings import Settings
from core.timezone import SHANGHAI

LEVEL_TEXT = {WarningLevel.PRE_BREACH: "即将超时", WarningLevel.BREACH: "已超时"}


def check_clocks(
    factory: sessionmaker[Session], settings: Settings, now: datetime | None = None
) -> int:
    """Raise the warnings due now (each on the timeline and in the outbox, in one
    transaction); returns how many. Delivery is the outbox's (`deliver_due`)."""
    now = now or datetime.now(UTC)
    cal = clocks.calendar(settings)
    raised = 0
    with unit_of_work(factory) as session:
        rows = session.execute(
            select(SlaClock, TrackedIssue)
            .join(TrackedIssue, TrackedIssue.id == SlaClock.issue_id)
            .where(
                SlaClock.met_at.is_(None),
                SlaClock.superseded_at.is_(None),
                TrackedIssue.status.not_in([IssueStatus.CLOSED, IssueStatus.DISMISSED]),
            )
            # Two workers checking at once: the second waits and then sees the first's
            # warnings (PostgreSQL; SQLite runs one writer at a time anyway).
            .with_for_update(of=SlaClock)
        ).all()
        by_id = {row.id: (row, issue) for row, issue in rows}
        already = {(row.id, WarningLevel(level)) for row, _ in rows for level in row.warned or []}
        for warning in warnings_due(
            [clocks.state_of(row) for row, _ in rows], now, already, calendar=cal
        ):
            row, issue = by_id[warning.clock_id]
            row.warned = [*(row.warned or []), warning.level.value]
            _record(session, issue, row, warning, now)
            raised += 1
    return raised


def _record(
    session: Session, issue: TrackedIssue, row: SlaClock, warning: ClockWarning, now: datetime
) -> None:
    state = LEVEL_TEXT[warning.level]
    due = f"{warning.due_at.astimezone(SHANGHAI):%m-%d %H:%M}"
    session.add(
        TimelineEvent(
            issue_id=issue.id,
            actor_id=None,
            at=now,
            type="clock_warning",
            payload={
                "clock_id": row.id,
                "kind": row.kind,
                "level": warning.level.value,
                "due_at": warning.due_at.isoformat(),
                "used": round(warning.fraction, 3),
            },
        )
    )
    lead = session.get(Department, issue.lead_department_id) if issue.lead_department_id else None
    outbox.enqueue(
        session=session,
        kind=NotificationKind.CLOCK_WARNING,
        subject_id=issue.id,
        level=Level.URGENT if warning.level is WarningLevel.BREACH else Level.NORMAL,
        title=f"{warning.label}{state}：{issue.title}",
        facts=[
            ("事项", f"#{issue.id} {issue.title}"),
            ("时限", warning.label),
            ("应完成时间", beijing(warning.due_at)),
            ("已用时间", f"{warning.fraction:.0%}"),
            ("严重程度", SEVERITY_LABELS[issue.severity]),
            ("牵头部门", lead.name if lead is not None else "未指定"),
        ],
        body=[f"{warning.label}{state}：应于 {due} 前完成"],
        link=f"/issues/{issue.id}",
        data={
            "issue_id": issue.id,
            "clock_id": row.id,
            "clock": row.kind,
            "warning": warning.level.value,
            "due_at": warning.due_at.isoformat(),
            "used": round(warning.fraction, 3),
        },
        now=now,
    )
