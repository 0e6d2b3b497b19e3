"""Stored SLA clocks: created with an issue, re-planned when its severity or category changes,
met by briefings, paused with a reason, and read against the working-day calendar.

The rules themselves are in `api.issues.sla` and `api.issues.workdays`; this module moves
clocks between those plain values and the `sla_clocks` table and writes a timeline event for
every change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.database import utcnow
from api.issues.deadlines import read_clock, replan_on_severity_change
from api.issues.models import SlaClock, TimelineEvent, TrackedIssue
from api.issues.sla import (
    CLOCK_LABELS,
    ClockBasis,
    ClockKind,
    ClockPlan,
    ClockState,
    ClockStatus,
    Pause,
    SlaPolicy,
    plan_clocks,
)
from api.issues.workdays import WorkCalendar
from core.configfile import load_when_changed
from core.errors import ConflictError, InputError, NotFoundError
from core.settings import Settings


def policy(settings: Settings) -> SlaPolicy:
    return load_when_changed(settings.sla.policy_file, SlaPolicy.from_file)


def calendar(settings: Settings) -> WorkCalendar:
    return load_when_changed(
        settings.sla.holidays_file, WorkCalendar.from_file, missing=WorkCalendar()
    )


def state_of(row: SlaClock) -> ClockState:
    return ClockState(
        id=row.id,
        kind=ClockKind(row.kind),
        basis=ClockBasis(row.basis),
        started_at=row.started_at,
        due_at=row.due_at,
        warn_at=row.warn_at,
        met_at=row.met_at,
        pauses=tuple(
            Pause(
                paused_at=_dt(p["paused_at"]),
                resumed_at=_dt(p["resumed_at"]) if p.get("resumed_at") else None,
                reason=p.get("reason", ""),
            )
            for p in row.pauses or ()
        ),
        superseded_at=row.superseded_at,
    )


def _dt(value: str) -> datetime:
    return datetime.fromisoformat(value)


class ClockRead(BaseModel):
    id: int
    kind: str
    label: str
    started_at: datetime
    due_at: datetime  # after pauses
    planned_due_at: datetime
    met_at: datetime | None
    met_by: str | None
    status: str
    fraction: float
    late_by_seconds: float | None
    pauses: list[dict[str, Any]]


def read(row: SlaClock, now: datetime, cal: WorkCalendar) -> ClockRead:
    reading = read_clock(state_of(row), now, calendar=cal)
    return ClockRead(
        id=row.id,
        kind=row.kind,
        label=CLOCK_LABELS[ClockKind(row.kind)],
        started_at=row.started_at,
        due_at=reading.due_at,
        planned_due_at=row.due_at,
        met_at=row.met_at,
        met_by=row.met_by,
        status=reading.status.value,
        fraction=round(reading.fraction, 4),
        late_by_seconds=reading.late_by.total_seconds() if reading.late_by else None,
        pauses=list(row.pauses or []),
    )


def clocks_of(*, session: Session, issue_id: int) -> list[SlaClock]:
    return list(
        session.scalars(select(SlaClock).where(SlaClock.issue_id == issue_id).order_by(SlaClock.id))
    )


def _row(issue: TrackedIssue, plan: ClockPlan) -> SlaClock:
    return SlaClock(
        issue_id=issue.id,
        kind=plan.kind.value,
        basis=plan.basis.value,
        amount=plan.amount,
        started_at=plan.started_at,
        due_at=plan.due_at,
        warn_at=plan.warn_at,
        met_at=plan.met_at,
        met_by="earlier statement" if plan.met_at else None,
        pauses=[],
        warned=[],
    )


def _event(
    session: Session, issue: TrackedIssue, actor_id: int | None, type_: str, payload: dict[str, Any]
) -> None:
    session.add(
        TimelineEvent(
            issue_id=issue.id, actor_id=actor_id, at=utcnow(), type=type_, payload=payload
        )
    )


def start(
    *, session: Session, settings: Settings, issue: TrackedIssue, actor_id: int | None
) -> None:
    """Create the clocks a new issue needs."""
    plans = plan_clocks(
        policy(settings),
        severity=issue.severity,
        category=issue.category,
        detected_at=issue.detected_at,
        policy_published_at=issue.policy_published_at,
        hotline_category=issue.hotline_category,
        calendar=calendar(settings),
    )
    for plan in plans:
        session.add(_row(issue, plan))
    if plans:
        _event(
            session, issue, actor_id, "clocks_started", {"clocks": [_describe(p) for p in plans]}
        )


def _describe(plan: ClockPlan) -> dict[str, Any]:
    return {"kind": plan.kind.value, "label": plan.label, "due_at": plan.due_at.isoformat()}


def replan(
    *,
    session: Session,
    settings: Settings,
    issue: TrackedIssue,
    actor_id: int | None,
    reason: str,
) -> None:
    """After a change of severity or category: add the clocks now required, supersede the
    ones no longer required or replaced (met and breached clocks stay, as history)."""
    now = utcnow()
    rows = {r.id: r for r in clocks_of(session=session, issue_id=issue.id)}
    result = replan_on_severity_change(
        [state_of(r) for r in rows.values()],
        issue.severity,
        policy=policy(settings),
        category=issue.category,
        detected_at=issue.detected_at,
        policy_published_at=issue.policy_published_at,
        hotline_category=issue.hotline_category,
        calendar=calendar(settings),
        now=now,
    )
    for state in result.supersede:
        rows[state.id].superseded_at = now
    for plan in result.add:
        session.add(_row(issue, plan))
    if result.add or result.supersede:
        _event(
            session,
            issue,
            actor_id,
            "clocks_replanned",
            {
                "reason": reason,
                "added": [_describe(p) for p in result.add],
                "superseded": [{"id": s.id, "kind": s.kind.value} for s in result.supersede],
            },
        )


def meet(
    *,
    session: Session,
    issue: TrackedIssue,
    kinds: tuple[str, ...],
    at: datetime,
    by: str,
    actor_id: int | None,
) -> list[str]:
    """Mark the issue's open clocks of `kinds` met at `at` (a statement's time); returns the
    kinds met. A clock already met keeps its earlier time."""
    met = []
    for row in clocks_of(session=session, issue_id=issue.id):
        if row.kind in kinds and row.met_at is None and row.superseded_at is None:
            row.met_at, row.met_by = at, by
            met.append(row.kind)
    if met:
        _event(
            session, issue, actor_id, "clocks_met", {"kinds": met, "at": at.isoformat(), "by": by}
        )
    return met


def pause(
    *, session: Session, issue: TrackedIssue, clock_id: int, reason: str, actor_id: int | None
) -> SlaClock:
    row = _clock(session, issue, clock_id)
    if row.met_at is not None or row.superseded_at is not None:
        raise ConflictError(f"clock {clock_id} is no longer running")
    if any(p.get("resumed_at") is None for p in row.pauses or []):
        raise ConflictError(f"clock {clock_id} is already paused")
    if not reason.strip():
        raise InputError("pausing a clock needs a reason")
    now = utcnow()
    row.pauses = [
        *(row.pauses or []),
        {"paused_at": now.isoformat(), "resumed_at": None, "reason": reason, "actor_id": actor_id},
    ]
    _event(
        session,
        issue,
        actor_id,
        "clock_paused",
        {"clock_id": clock_id, "kind": row.kind, "reason": reason},
    )
    return row


def resume(
    *, session: Session, issue: TrackedIssue, clock_id: int, actor_id: int | None
) -> SlaClock:
    row = _clock(session, issue, clock_id)
    pauses = [dict(p) for p in row.pauses or []]
    if not pauses or pauses[-1].get("resumed_at") is not None:
        raise ConflictError(f"clock {clock_id} is not paused")
    pauses[-1]["resumed_at"] = utcnow().isoformat()
    row.pauses = pauses
    _event(session, issue, actor_id, "clock_resumed", {"clock_id": clock_id, "kind": row.kind})
    return row


def _clock(session: Session, issue: TrackedIssue, clock_id: int) -> SlaClock:
    row = session.get(SlaClock, clock_id)
    if row is None or row.issue_id != issue.id:
        raise NotFoundError(f"issue {issue.id} has no clock {clock_id}")
    return row


OPEN = (ClockStatus.RUNNING.value, ClockStatus.PAUSED.value)
