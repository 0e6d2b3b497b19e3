"""Tracked issues as the pages show them: open issues soonest due first, and each issue's
clocks and milestones laid out as Gantt-like bars against its due times.

Every query here is bounded: one aggregated query picks the page of issues, one more reads
their clocks, whatever the number of issues in the tracker.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.database import utcnow
from api.departments.models import Department
from api.issues import clocks
from api.issues.models import IssueStatus, SlaClock, TrackedIssue
from api.issues.workdays import WorkCalendar

FINISHED = (IssueStatus.CLOSED, IssueStatus.DISMISSED)
STATEMENT_KINDS = ("first_statement", "response", "press_conference", "policy_interpretation")


@dataclass
class Bar:
    """One clock: its allowed window, and the overrun in red when it was breached."""

    clock: clocks.ClockRead
    left: float
    width: float
    late_left: float | None = None
    late_width: float | None = None
    mark: float | None = None  # where it was met
    remaining: float | None = None  # seconds left while it runs


@dataclass
class Milestone:
    key: str
    label: str
    at: datetime
    left: float
    lane: int = 0  # labels close together are stacked


@dataclass
class Gantt:
    start: datetime
    end: datetime
    bars: list[Bar]
    milestones: list[Milestone]
    now: float | None  # the position of "now" while the issue is open


@dataclass
class IssueRow:
    """An issue with its clocks read at one moment, and what the list shows of it."""

    issue: TrackedIssue
    clocks: list[clocks.ClockRead]
    department: str | None
    next_due: datetime | None = None
    gantt: Gantt | None = None
    breached: int = 0
    met: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def worst(self) -> str:
        if self.breached:
            return "breached"
        if any(c.status == "running" and c.fraction >= 0.8 for c in self.clocks):
            return "warning"
        return "ok"


def department_names(session: Session) -> dict[int, str]:
    return {i: name for i, name in session.execute(select(Department.id, Department.name))}


def open_issues(
    session: Session,
    *,
    calendar: WorkCalendar,
    department_id: int | None = None,
    limit: int = 30,
    now: datetime | None = None,
) -> tuple[list[IssueRow], int]:
    """Issues not closed or dismissed, the one whose next open clock is due soonest first (the
    overdue ones lead), those with every clock met or none last; and how many are open."""
    now = now or utcnow()
    next_due = (
        select(SlaClock.issue_id, func.min(SlaClock.due_at).label("next_due"))
        .where(SlaClock.met_at.is_(None), SlaClock.superseded_at.is_(None))
        .group_by(SlaClock.issue_id)
        .subquery()
    )
    where = [TrackedIssue.status.not_in(FINISHED)]
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
    issues = [issue for issue, _ in rows]
    out = rows_for(session, issues, calendar=calendar, now=now)
    for row, (_, due) in zip(out, rows, strict=True):
        row.next_due = due
    return out, total


def recently_closed(
    session: Session, *, calendar: WorkCalendar, days: int = 14, limit: int = 10
) -> list[IssueRow]:
    now = utcnow()
    issues = session.scalars(
        select(TrackedIssue)
        .where(TrackedIssue.status == IssueStatus.CLOSED)
        .where(TrackedIssue.closed_at >= now - timedelta(days=days))
        .order_by(TrackedIssue.closed_at.desc())
        .limit(limit)
    ).all()
    return rows_for(session, list(issues), calendar=calendar, now=now)


def rows_for(
    session: Session, issues: list[TrackedIssue], *, calendar: WorkCalendar, now: datetime
) -> list[IssueRow]:
    """The issues with their clocks (one query for all of them) and Gantt bars."""
    by_issue: dict[int, list[SlaClock]] = defaultdict(list)
    if issues:
        for clock in session.scalars(
            select(SlaClock)
            .where(SlaClock.issue_id.in_([i.id for i in issues]))
            .order_by(SlaClock.id)
        ):
            by_issue[clock.issue_id].append(clock)
    names = department_names(session) if issues else {}
    out = []
    for issue in issues:
        read = [clocks.read(c, now, calendar) for c in by_issue.get(issue.id, [])]
        live = [c for c in read if c.status != "superseded"]
        row = IssueRow(
            issue=issue,
            clocks=live,
            department=names.get(issue.lead_department_id or -1),
            breached=sum(c.status == "breached" for c in live),
            met=sum(c.status == "met" for c in live),
        )
        row.gantt = gantt(issue, live, now)
        out.append(row)
    return out


def milestones(
    issue: TrackedIssue, read: list[clocks.ClockRead]
) -> list[tuple[str, str, datetime]]:
    """Detected, assigned, first statement, press conference and closed, where they happened."""
    points: list[tuple[str, str, datetime]] = [("detected", "发现", issue.detected_at)]
    if issue.assigned_at is not None:
        points.append(("assigned", "交办", issue.assigned_at))
    statements = [c.met_at for c in read if c.met_at is not None and c.kind in STATEMENT_KINDS]
    if statements:
        points.append(("statement", "首次发布", min(statements)))
    conference = [c.met_at for c in read if c.kind == "press_conference" and c.met_at is not None]
    if conference:
        points.append(("conference", "发布会", min(conference)))
    if issue.closed_at is not None:
        points.append(("closed", "办结", issue.closed_at))
    return points


def gantt(issue: TrackedIssue, read: list[clocks.ClockRead], now: datetime) -> Gantt:
    """Positions (in % of the issue's own time axis) of its clocks and milestones."""
    points = milestones(issue, read)
    end_of_story = issue.closed_at if issue.closed_at is not None else now
    times = [t for _, _, t in points] + [end_of_story]
    for c in read:
        times += [c.started_at, c.due_at] + ([c.met_at] if c.met_at else [])
    start, end = min(times), max(times)
    span = max((end - start).total_seconds(), 3600.0)
    end = start + timedelta(seconds=span * 1.04)

    def pos(at: datetime) -> float:
        return round(max(0.0, min(100.0, (at - start).total_seconds() / span / 1.04 * 100)), 2)

    bars = []
    for c in read:
        bar = Bar(
            clock=c, left=pos(c.started_at), width=max(0.6, pos(c.due_at) - pos(c.started_at))
        )
        if c.met_at is not None:
            bar.mark = pos(c.met_at)
        if c.status in ("running", "paused"):
            bar.remaining = (c.due_at - now).total_seconds()
        if c.status == "breached":
            until = c.met_at if c.met_at is not None else end_of_story
            bar.late_left = pos(c.due_at)
            bar.late_width = max(0.6, pos(until) - pos(c.due_at))
        bars.append(bar)
    marks: list[Milestone] = []
    for key, label, at in sorted(points, key=lambda p: p[2]):
        left = pos(at)
        crowded = [m.lane for m in marks if left - m.left < 9]
        lane = next(i for i in range(len(marks) + 1) if i not in crowded)
        marks.append(Milestone(key, label, at, left, lane % 3))
    return Gantt(
        start=start,
        end=end,
        bars=bars,
        milestones=marks,
        now=pos(now) if issue.closed_at is None else None,
    )
