"""How each department answered: assignment and first-statement times, on-time rates per
clock, open issues by age, closure rate; and the quarterly ranking built from them.

Ranking formula (季度通报), each part between 0 and 1, the score out of 100:

    score = 50 * on-time rate (every clock that came due or was met in the period)
          + 30 * closure rate (closed / issues not dismissed)
          + 20 * speed (1 - median hours from detection to first statement / 24, at least 0)

A department without any clock due gets the on-time part for none of it (0), so the table
never ranks a department up for having nothing to show. Ties rank by fewer breaches, then name.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import AfterValidator
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.departments.models import Department
from api.issues.clocks import read
from api.issues.models import IssueStatus, SlaClock, TrackedIssue
from api.issues.workdays import WorkCalendar
from core.errors import InputError
from core.timezone import SHANGHAI

STATEMENT_KINDS = ("first_statement", "response", "press_conference", "policy_interpretation")
# The quarters there can be figures for. Beyond them a quarter's bounds leave what dates can
# hold (9999Q4 ends in the year 10000, 0000Q1 begins in year 0), and nothing was tracked there.
FIRST_YEAR, LAST_YEAR = 2000, 2099
AGE_BUCKETS = ((1, "<1天"), (3, "1-3天"), (7, "3-7天"), (None, ">7天"))


@dataclass
class DepartmentMetrics:
    department_id: int
    code: str
    name: str
    issues: int = 0
    closed: int = 0
    dismissed: int = 0
    hours_to_assignment: list[float] = field(default_factory=list)
    hours_to_statement: list[float] = field(default_factory=list)
    clocks: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> met/breached
    open_by_age: dict[str, int] = field(default_factory=dict)

    def on_time_rate(self, kind: str | None = None) -> float | None:
        kinds = [kind] if kind else list(self.clocks)
        met = sum(self.clocks.get(k, {}).get("met", 0) for k in kinds)
        breached = sum(self.clocks.get(k, {}).get("breached", 0) for k in kinds)
        return met / (met + breached) if met + breached else None

    @property
    def breaches(self) -> int:
        return sum(c.get("breached", 0) for c in self.clocks.values())

    @property
    def closure_rate(self) -> float | None:
        counted = self.issues - self.dismissed
        return self.closed / counted if counted else None

    def score(self) -> float:
        speed = 0.0
        if self.hours_to_statement:
            speed = max(0.0, 1 - statistics.median(self.hours_to_statement) / 24)
        return round(
            50 * (self.on_time_rate() or 0.0) + 30 * (self.closure_rate or 0.0) + 20 * speed, 1
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "department_id": self.department_id,
            "code": self.code,
            "name": self.name,
            "issues": self.issues,
            "closed": self.closed,
            "dismissed": self.dismissed,
            "closure_rate": _round(self.closure_rate),
            "hours_to_assignment": _spread(self.hours_to_assignment),
            "hours_to_first_statement": _spread(self.hours_to_statement),
            "on_time_rate": _round(self.on_time_rate()),
            "on_time_by_clock": {
                k: {**v, "rate": _round(self.on_time_rate(k))}
                for k, v in sorted(self.clocks.items())
            },
            "open_by_age": self.open_by_age,
            "breaches": self.breaches,
            "score": self.score(),
        }


def _round(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None


def _spread(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"n": 0, "median": None, "p90": None}
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return {"n": len(values), "median": round(statistics.median(ordered), 2), "p90": round(p90, 2)}


def department_metrics(
    *,
    session: Session,
    since: datetime,
    until: datetime,
    calendar: WorkCalendar,
    now: datetime | None = None,
    department_id: int | None = None,
) -> list[DepartmentMetrics]:
    """Metrics of the issues detected in [since, until), by lead department."""
    if until <= since:
        raise InputError("the period must end after it starts")
    now = now or datetime.now(UTC)
    departments = session.execute(select(Department.id, Department.code, Department.name)).all()
    out = {i: DepartmentMetrics(i, code, name) for i, code, name in departments}
    where = [
        TrackedIssue.detected_at >= since,
        TrackedIssue.detected_at < until,
        TrackedIssue.lead_department_id.is_not(None),
    ]
    if department_id is not None:
        where.append(TrackedIssue.lead_department_id == department_id)
    issues = session.execute(
        select(
            TrackedIssue.id,
            TrackedIssue.lead_department_id,
            TrackedIssue.status,
            TrackedIssue.detected_at,
            TrackedIssue.assigned_at,
        ).where(*where)
    ).all()
    first_statement: dict[int, datetime] = {}
    per_issue: dict[int, list[tuple[str, str]]] = defaultdict(list)
    clock_rows = session.execute(
        select(
            SlaClock.issue_id,
            SlaClock.kind,
            SlaClock.basis,
            SlaClock.started_at,
            SlaClock.due_at,
            SlaClock.met_at,
            SlaClock.superseded_at,
            SlaClock.pauses,
            SlaClock.id,
            SlaClock.warn_at,
            SlaClock.amount,
            SlaClock.met_by,
            SlaClock.warned,
            SlaClock.created_at,
        )
        .join(TrackedIssue, TrackedIssue.id == SlaClock.issue_id)
        .where(*where)
    ).all()
    for row in clock_rows:
        issue_id, kind, met_at = row[0], row[1], row[5]
        if met_at and kind in STATEMENT_KINDS:
            prev = first_statement.get(issue_id)
            first_statement[issue_id] = min(prev, met_at) if prev else met_at
        per_issue[issue_id].append((kind, _status(row, now, calendar)))
    for issue_id, dept, status, detected_at, assigned_at in issues:
        m = out.get(dept) if dept is not None else None
        if m is None:
            continue
        m.issues += 1
        m.closed += status is IssueStatus.CLOSED
        m.dismissed += status is IssueStatus.DISMISSED
        if assigned_at:
            m.hours_to_assignment.append(_hours(assigned_at - detected_at))
        for kind, clock_status in per_issue.get(issue_id, ()):
            if clock_status in ("met", "breached"):
                counts = m.clocks.setdefault(kind, {"met": 0, "breached": 0})
                counts[clock_status] += 1
        if issue_id in first_statement:
            m.hours_to_statement.append(_hours(first_statement[issue_id] - detected_at))
        if status not in (IssueStatus.CLOSED, IssueStatus.DISMISSED):
            age = (now - detected_at).total_seconds() / 86400
            label = next(lbl for limit, lbl in AGE_BUCKETS if limit is None or age < limit)
            m.open_by_age[label] = m.open_by_age.get(label, 0) + 1
    return [m for m in out.values() if department_id is None or m.department_id == department_id]


def _status(row: Any, now: datetime, calendar: WorkCalendar) -> str:
    """A clock's status; without pauses the planned due time stands, so no span arithmetic."""
    _issue_id, _kind, _basis, started_at, due_at, met_at, superseded_at, pauses = row[:8]
    if superseded_at is not None and superseded_at <= now:
        return "superseded"
    if pauses:
        clock = SlaClock(
            issue_id=row[0],
            kind=row[1],
            basis=row[2],
            started_at=started_at,
            due_at=due_at,
            met_at=met_at,
            superseded_at=superseded_at,
            pauses=pauses,
            id=row[8],
            warn_at=row[9],
            amount=row[10],
            met_by=row[11],
            warned=row[12],
            created_at=row[13],
        )
        return read(clock, now, calendar).status
    if met_at is not None and met_at <= now:
        return "met" if met_at <= due_at else "breached"
    return "breached" if now > due_at else "running"


def _hours(delta: timedelta) -> float:
    return max(0.0, delta.total_seconds() / 3600)


def quarter_bounds(quarter: str) -> tuple[datetime, datetime]:
    """'2025Q3' -> its first instant and the next quarter's, in Asia/Shanghai."""

    try:
        year, q = int(quarter[:4]), int(quarter[-1])
        if quarter[4].upper() != "Q" or not 1 <= q <= 4 or len(quarter) != 6:
            raise ValueError
    except (ValueError, IndexError) as exc:
        raise InputError(f"a quarter is written like 2025Q3, not {quarter!r}") from exc
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InputError(f"a quarter is one of {FIRST_YEAR}Q1 to {LAST_YEAR}Q4, not {quarter!r}")
    tz = SHANGHAI
    start = datetime(year, 3 * q - 2, 1, tzinfo=tz)
    end = datetime(year + (q == 4), 1 if q == 4 else 3 * q + 1, 1, tzinfo=tz)
    return start, end


def _valid_quarter(quarter: str) -> str:
    try:
        quarter_bounds(quarter)
    except InputError as exc:
        raise ValueError(str(exc)) from exc
    return quarter.upper()


# A quarter given in a request (?quarter=2025Q3): one quarter_bounds can count, else a 422.
Quarter = Annotated[str, AfterValidator(_valid_quarter)]


def ranking(metrics: list[DepartmentMetrics]) -> list[dict[str, Any]]:
    """Departments with issues in the period, best first, with their rank and score."""
    ranked = sorted(
        (m for m in metrics if m.issues), key=lambda m: (-m.score(), m.breaches, m.name)
    )
    return [{"rank": i + 1, **m.as_dict()} for i, m in enumerate(ranked)]
