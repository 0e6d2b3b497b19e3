"""Raising an alert for a hot cluster: at most once per suppression window unless it turned
urgent or climbed by `rearm_delta`; a non-urgent one raised in quiet hours waits for their end.
The alert goes into the outbox (`api.alerts`) in the same transaction as the score."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.alerts import service as outbox
from api.alerts.models import Level, NotificationKind
from api.alerts.render import beijing
from api.hot_issues.models import HotIssue, HotIssueAlert
from core.settings import AlertSettings
from core.timezone import SHANGHAI

KIND_LABELS = {"news": "新闻", "board": "留言板", "microblog": "微博", "hotline": "12345热线"}


def raise_alert(session: Session, row: HotIssue, settings: AlertSettings, now: datetime) -> bool:
    """A new alert for a hot cluster unless one was raised within the suppression window."""
    level = Level.URGENT if row.urgent or row.score >= settings.urgent_score else Level.NORMAL
    last = session.scalars(
        select(HotIssueAlert)
        .where(HotIssueAlert.hot_issue_id == row.id)
        .order_by(HotIssueAlert.id.desc())
        .limit(1)
    ).first()
    if last is not None and last.created_at > now - timedelta(minutes=settings.suppression_minutes):
        escalated = level is Level.URGENT and last.level != Level.URGENT
        if not escalated and row.score < last.score + settings.rearm_delta:
            return False
    due = None
    if level is not Level.URGENT and settings.quiet_hours:
        due = quiet_end(now, settings.quiet_hours)
    notification = outbox.enqueue(
        session=session,
        kind=NotificationKind.HOT_ISSUE,
        subject_id=row.id,
        level=level,
        title=row.title,
        facts=facts(row, now),
        body=list(row.explanation),
        link=f"/triage#hot-{row.id}",
        data=data(row, now),
        now=now,
        due_at=due,
    )
    session.add(
        HotIssueAlert(
            hot_issue_id=row.id,
            level=level.value,
            score=row.score,
            title=row.title,
            explanation=list(row.explanation),
            created_at=now,
            notification_id=notification.id,
        )
    )
    return True


def _sources(row: HotIssue) -> dict[str, int]:
    kinds = (row.stats or {}).get("kinds_24h", {})
    return {KIND_LABELS.get(kind, kind): n for kind, n in kinds.items()}


def facts(row: HotIssue, now: datetime) -> list[tuple[str, str]]:
    """What an alert tells people about the hot issue."""
    sources = sorted(_sources(row).items(), key=lambda item: (-item[1], item[0]))
    return [
        ("热度评分", f"{row.score:.1f}"),
        ("关键词", "、".join(row.keywords) or "无"),
        ("涉及帖子数", str(row.size)),
        ("来源分布", "，".join(f"{s} {n}" for s, n in sources) or "无"),
        ("首次出现", beijing(row.first_seen)),
        ("预警时间", beijing(row.flagged_at or now)),
    ]


def data(row: HotIssue, now: datetime) -> dict[str, object]:
    """The same for machines (the webhook's `data`)."""
    return {
        "hot_issue_id": row.id,
        "score": row.score,
        "keywords": list(row.keywords),
        "members": row.size,
        "sources": _sources(row),
        "first_seen": row.first_seen.isoformat(),
        "flagged_at": (row.flagged_at or now).isoformat(),
    }


def quiet_end(now: datetime, hours: tuple[str, str]) -> datetime | None:
    """The end of the quiet hours (Beijing time) `now` falls in, or None outside them."""
    local = now.astimezone(SHANGHAI)
    start_h, start_m = (int(x) for x in hours[0].split(":"))
    end_h, end_m = (int(x) for x in hours[1].split(":"))
    start = local.replace(hour=start_h, minute=start_m, second=0, microsecond=0)
    end = local.replace(hour=end_h, minute=end_m, second=0, microsecond=0)
    if start <= end:  # e.g. 12:00-14:00
        return end.astimezone(UTC) if start <= local < end else None
    # across midnight, e.g. 22:00-07:00
    if local >= start:
        return (end + timedelta(days=1)).astimezone(UTC)
    if local < end:
        return end.astimezone(UTC)
    return None
