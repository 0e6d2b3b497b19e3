"""Tracked issues as the pages show them: open issues soonest due first, and each issue's
clocks and milestones laid out as Gantt-like bars against its due times.

The issues and their clocks come from `api.issues.overview`; this module lays them out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from api.database import utcnow
from api.departments import service as departments
from api.deps import SessionDep
from api.issues import clocks, overview
from api.issues.models import TrackedIssue
from api.issues.workdays import WorkCalendar

FINISHED = overview.FINISHED
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


def open_issues(
    session: SessionDep,
    *,
    calendar: WorkCalendar,
    department_id: int | None = None,
    limit: int = 30,
    now: datetime | None = None,
) -> tuple[list[IssueRow], int]:
    """Issues not closed or dismissed, soonest due first (`overview.open_issues`), with their
    clocks and bars; and how many are open."""
    now = now or utcnow()
    found, total = overview.open_issues(session=session, department_id=department_id, limit=limit)
    out = rows_for(session, [issue for issue, _ in found], calendar=calendar, now=now)
    for row, (_, due) in zip(out, found, strict=True):
        row.next_due = due
    return out, total


def recently_closed(
    session: SessionDep, *, calendar: WorkCalendar, days: int = 14, limit: int = 10
) -> list[IssueRow]:
    now = utcnow()
    closed = overview.recently_closed(session=session, now=now, days=days, limit=limit)
    return rows_for(session, closed, calendar=calendar, now=now)


def rows_for(
    session: SessionDep, issues: list[TrackedIssue], *, calendar: WorkCalendar, now: datetime
) -> list[IssueRow]:
    """The issues with their clocks (one query for all of them) and Gantt bars."""
    by_issue = overview.clocks_of(session=session, issue_ids=[i.id for i in issues])
    names = departments.names(session=session) if issues else {}
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
