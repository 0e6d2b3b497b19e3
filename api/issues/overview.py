"""Reading issues for overviews (the leader's, the handler's, the press officer's and the
triage pages): open issues soonest due first, recently closed ones, their clocks in one query,
overdue clocks. Every query is bounded, whatever the number of issues in the tracker."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session

from api.briefings.models import BriefingIssue
from api.issues.models import IssueStatus, SlaClock, TimelineEvent, TrackedIssue

FINISHED = (IssueStatus.CLOSED, IssueStatus.DISMISSED)


def open_issues(
    *, session: Session, department_id: int | None = None, limit: int = 30
) -> tuple[list[tuple[TrackedIssue, datetime | None]], int]:
    """Issues not closed or dismissed with the due time of their next open clock, the one
    due soonest first (the overdue ones lead), those with every clock met or none last; and
    how many are open."""
    next_due = (
        select(SlaClock.issue_id, func.min(SlaClock.due_at).label("next_due"))
        .where(SlaClock.met_at.is_(None), SlaClock.superseded_at.is_(None))
        .group_by(SlaClock.issue_id)
        .subquery()
    )
    where: list[ColumnElement[bool]] = [TrackedIssue.status.not_in(FINISHED)]
    if department_id is not None:
        where.append(TrackedIssue.lead_department_id == department_id)
    total = session.scalar(select(func.count()).select_from(TrackedIssue).where(*where)) or 0
    rows = session.execute(
        select(TrackedIssue, next_due.c.next_due)
        .outerjoin(next_due, next_due.c.issue_id == TrackedIssue.id)
        .where(*where)
        .order_by(next_due.c.next_due.is_(None), next_due.c.next_due, TrackedIssue.id.desc())
        .limit(limit)
    ).all()
    return [(issue, due) for issue, due in rows], total


def recently_closed(
    *, session: Session, now: datetime, days: int = 14, limit: int = 10
) -> list[TrackedIssue]:
    return list(
        session.scalars(
            select(TrackedIssue)
            .where(TrackedIssue.status == IssueStatus.CLOSED)
            .where(TrackedIssue.closed_at >= now - timedelta(days=days))
            .order_by(TrackedIssue.closed_at.desc())
            .limit(limit)
        )
    )


def newest(*, session: Session, limit: int = 8) -> list[TrackedIssue]:
    """The issues entered last."""
    return list(session.scalars(select(TrackedIssue).order_by(TrackedIssue.id.desc()).limit(limit)))


def open_titles(*, session: Session, limit: int = 100) -> list[tuple[int, str]]:
    """(id, title) of the newest open issues, for choosing one."""
    rows = session.execute(
        select(TrackedIssue.id, TrackedIssue.title)
        .where(TrackedIssue.status.not_in(FINISHED))
        .order_by(TrackedIssue.id.desc())
        .limit(limit)
    )
    return [(issue_id, title) for issue_id, title in rows]


def awaiting_statement(*, session: Session, limit: int = 10) -> list[TrackedIssue]:
    """Open issues no briefing has answered yet, newest first."""
    answered = exists().where(BriefingIssue.issue_id == TrackedIssue.id)
    return list(
        session.scalars(
            select(TrackedIssue)
            .where(TrackedIssue.status.not_in(FINISHED), ~answered)
            .order_by(TrackedIssue.detected_at.desc())
            .limit(limit)
        )
    )


def clocks_of(*, session: Session, issue_ids: list[int]) -> dict[int, list[SlaClock]]:
    """Each issue's clocks, in the order they were started, in one query."""
    out: dict[int, list[SlaClock]] = defaultdict(list)
    if issue_ids:
        query = select(SlaClock).where(SlaClock.issue_id.in_(issue_ids)).order_by(SlaClock.id)
        for clock in session.scalars(query):
            out[clock.issue_id].append(clock)
    return out


def overdue_clocks(*, session: Session, now: datetime) -> int:
    """Clocks of open issues past their (planned) due time with nothing said yet."""
    count = session.scalar(
        select(func.count())
        .select_from(SlaClock)
        .join(TrackedIssue, TrackedIssue.id == SlaClock.issue_id)
        .where(
            TrackedIssue.status.not_in(FINISHED),
            SlaClock.met_at.is_(None),
            SlaClock.superseded_at.is_(None),
            SlaClock.due_at < now,
        )
    )
    return count or 0


def last_change(*, session: Session) -> int:
    """The newest timeline event's id: it moves whenever any issue changes, so figures cached
    against it are current."""
    return session.scalar(select(func.max(TimelineEvent.id))) or 0
