"""The clock-warning job: before a deadline (at `warn_at` of the time allowed, 80% by default)
and at the breach, each once per clock, on the issue's timeline and through the alert channels
(`alerts.channels`), or the log when none is configured."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from analysis import delivery
from api.database import unit_of_work
from api.issues import clocks
from api.issues.models import IssueStatus, SlaClock, TimelineEvent, TrackedIssue
from api.issues.sla import WarningLevel, warnings_due
from core.settings import Settings
from core.timezone import SHANGHAI

log = logging.getLogger(__name__)

LEVEL_TEXT = {WarningLevel.PRE_BREACH: "即将超时", WarningLevel.BREACH: "已超时"}


def check_clocks(
    factory: sessionmaker[Session], settings: Settings, now: datetime | None = None
) -> int:
    """Send the warnings due now; returns how many."""
    now = now or datetime.now(UTC)
    cal = clocks.calendar(settings)
    tz = SHANGHAI
    outgoing: list[tuple[int, delivery.Alert]] = []
    with unit_of_work(factory) as session:
        rows = session.execute(
            select(SlaClock, TrackedIssue)
            .join(TrackedIssue, TrackedIssue.id == SlaClock.issue_id)
            .where(
                SlaClock.met_at.is_(None),
                SlaClock.superseded_at.is_(None),
                TrackedIssue.status.not_in([IssueStatus.CLOSED, IssueStatus.DISMISSED]),
            )
        ).all()
        by_id = {row.id: (row, issue) for row, issue in rows}
        already = {(row.id, WarningLevel(level)) for row, _ in rows for level in row.warned or []}
        for warning in warnings_due(
            [clocks.state_of(row) for row, _ in rows], now, already, calendar=cal
        ):
            row, issue = by_id[warning.clock_id]
            row.warned = [*(row.warned or []), warning.level.value]
            due = warning.due_at.astimezone(tz)
            text = f"{warning.label}{LEVEL_TEXT[warning.level]}：应于 {due:%m-%d %H:%M} 前完成"
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
            outgoing.append((issue.id, _message(issue, text, warning.level, now)))
    for issue_id, message in outgoing:
        _send(settings, issue_id, message)
    return len(outgoing)


def _message(issue: TrackedIssue, text: str, level: WarningLevel, now: datetime) -> delivery.Alert:
    return delivery.Alert(
        cluster_id=issue.id,
        title=f"【时限预警】{issue.title}",
        level="urgent" if level is WarningLevel.BREACH else "normal",
        score=0.0,
        explanation=[text],
        keywords=list(issue.tags or []),
        members=0,
        sources={},
        first_seen=issue.detected_at,
        flagged_at=now,
        url=f"/api/issues/{issue.id}",
    )


def _send(settings: Settings, issue_id: int, message: delivery.Alert) -> None:
    channels = settings.alerts.channels
    if not channels:
        log.warning("issue %s: %s (no alert channel configured)", issue_id, message.explanation[0])
        return
    for result in delivery.deliver_all(channels, message, settings.alerts.attempts):
        if not result.ok:
            log.error(
                "issue %s: clock warning not delivered to %s: %s",
                issue_id,
                result.channel,
                result.error,
            )
