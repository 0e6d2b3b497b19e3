"""SLA clocks over time: reading one at a moment (the time it has run, its due time after
pauses, its status, the share of its allowance used), replanning an issue's clocks when its
severity or category changes, and the warnings due. The rules are in `sla`.

Pure functions over plain values; the tracker stores the clocks and calls these.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from api.issues.models import Severity
from api.issues.sla import (
    CLOCK_LABELS,
    ClockBasis,
    ClockKind,
    ClockPlan,
    ClockState,
    ClockStatus,
    SlaPolicy,
    WarningLevel,
    plan_rules,
)
from api.issues.workdays import ONE_DAY, WorkCalendar, aware, local_date, start_of_day
from core.timezone import SHANGHAI


@dataclass(frozen=True)
class ClockReading:
    status: ClockStatus
    due_at: datetime  # after pauses; with a pause still open, as if it ended now
    fraction: float  # share of the allowance used by now (by met_at once met); > 1 when late
    late_by: timedelta | None  # when breached: met_at or now, minus due_at


Span = tuple[datetime, datetime | None]  # [start, end), end None: no end


def _counted(clock: ClockState, calendar: WorkCalendar) -> Iterator[Span]:
    """When the clock would run, pauses aside."""
    start = clock.started_at.astimezone(SHANGHAI)
    if clock.basis == ClockBasis.HOURS:
        yield start, None
        return
    day = local_date(start)
    while True:
        day = calendar.next_workday(day)
        yield start_of_day(day), start_of_day(day + ONE_DAY)


def _minus(spans: Iterable[Span], pauses: list[tuple[datetime, datetime]]) -> Iterator[Span]:
    """`spans` with the (sorted, non-overlapping) pauses cut out."""
    for start, end in spans:
        for p_start, p_end in pauses:
            if p_end <= start or (end is not None and p_start >= end):
                continue
            if p_start > start:
                yield start, p_start
            start = max(start, p_end)
        if end is None or start < end:
            yield start, end


def _run_until(spans: Iterable[Span], until: datetime) -> timedelta:
    total = timedelta(0)
    for start, end in spans:
        if start >= until:
            break
        total += min(end or until, until) - start
    return total


def _reach(spans: Iterable[Span], allowance: timedelta) -> datetime:
    """The instant at which the running time reaches `allowance`."""
    left = allowance
    for start, end in spans:
        if end is None or end - start >= left:
            return start + left
        left -= end - start
    raise AssertionError("unreachable: the spans never end")


def _pauses_until(clock: ClockState, until: datetime) -> list[tuple[datetime, datetime]]:
    cut = []
    for pause in clock.pauses:
        start = aware(pause.paused_at)
        end = min(pause.resumed_at or until, until)
        if start < end:
            cut.append((start, end))
    cut.sort()
    merged: list[tuple[datetime, datetime]] = []
    for start, end in cut:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def read_clock(clock: ClockState, now: datetime, *, calendar: WorkCalendar) -> ClockReading:
    """The clock's status, due time after pauses, time used and lateness at `now`."""
    now = aware(now)
    met_at = clock.met_at if clock.met_at is not None and clock.met_at <= now else None
    until = met_at or now
    pauses = _pauses_until(clock, until)
    allowance = _run_until(_counted(clock, calendar), clock.due_at)
    due = _reach(_minus(_counted(clock, calendar), pauses), allowance)
    used = _run_until(_minus(_counted(clock, calendar), pauses), until)
    fraction = used / allowance
    late_by = until - due if until > due else None
    if clock.superseded_at is not None and clock.superseded_at <= now:
        state = ClockStatus.SUPERSEDED
    elif met_at is not None:
        state = ClockStatus.BREACHED if late_by is not None else ClockStatus.MET
    elif late_by is not None:
        state = ClockStatus.BREACHED
    elif any(
        p.paused_at <= now and (p.resumed_at is None or p.resumed_at > now) for p in clock.pauses
    ):
        state = ClockStatus.PAUSED
    else:
        state = ClockStatus.RUNNING
    return ClockReading(state, due.astimezone(SHANGHAI), fraction, late_by)


def status(clock: ClockState, now: datetime, *, calendar: WorkCalendar) -> ClockStatus:
    return read_clock(clock, now, calendar=calendar).status


def time_used_fraction(clock: ClockState, now: datetime, *, calendar: WorkCalendar) -> float:
    return read_clock(clock, now, calendar=calendar).fraction


@dataclass(frozen=True)
class ClockWarning:
    clock_id: int
    kind: ClockKind
    level: WarningLevel
    due_at: datetime
    fraction: float

    @property
    def label(self) -> str:
        return CLOCK_LABELS[self.kind]


def warnings_due(
    clocks: Iterable[ClockState],
    now: datetime,
    already_warned: Collection[tuple[int, WarningLevel]],
    *,
    calendar: WorkCalendar,
) -> list[ClockWarning]:
    """The warnings to send now, each (clock id, level) once.

    An open clock past its due time gets a breach warning; one that has used `warn_at` of its
    allowance gets a pre-breach warning, unless its breach was already warned. Met and
    superseded clocks get none. Record what is returned in `already_warned`.
    """
    due = []
    for clock in clocks:
        reading = read_clock(clock, now, calendar=calendar)
        if reading.status in (ClockStatus.MET, ClockStatus.SUPERSEDED):
            continue
        if clock.met_at is not None and clock.met_at <= now:
            continue  # met late: breached, but nothing left to do
        if reading.status == ClockStatus.BREACHED:
            level = WarningLevel.BREACH
        elif reading.fraction >= clock.warn_at:
            level = WarningLevel.PRE_BREACH
        else:
            continue
        if (clock.id, level) in already_warned or (clock.id, WarningLevel.BREACH) in already_warned:
            continue
        due.append(ClockWarning(clock.id, clock.kind, level, reading.due_at, reading.fraction))
    return due


# -- replanning ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Replan:
    add: list[ClockPlan]
    supersede: list[ClockState]  # mark superseded_at = now


def replan_on_severity_change(
    existing: Sequence[ClockState],
    new_severity: Severity,
    *,
    policy: SlaPolicy,
    category: str | None,
    detected_at: datetime,
    policy_published_at: datetime | None = None,
    hotline_category: str | None = None,
    received_at: datetime | None = None,
    calendar: WorkCalendar,
    now: datetime,
) -> Replan:
    """Which clocks to add and which to supersede once the severity (or category) changed.

    The clocks the issue needs now are planned from their original start (the detection time),
    so escalating late can add a clock that is already breached. For each of them, an existing
    clock of the same kind is kept if it has the same start and due time, or is already met or
    breached; a running or paused one with another due time is superseded and replaced. An
    existing running or paused clock of a kind no longer needed is superseded; met and breached
    clocks are always kept, as history. A new clock whose rule is `satisfied_by` a kind already
    met by `now` (a statement made before the change) comes with that `met_at`.
    """
    wanted = plan_rules(
        policy,
        severity=new_severity,
        category=category,
        detected_at=detected_at,
        policy_published_at=policy_published_at,
        hotline_category=hotline_category,
        received_at=received_at,
        calendar=calendar,
    )
    live = [c for c in existing if status(c, now, calendar=calendar) != ClockStatus.SUPERSEDED]
    open_states = {ClockStatus.RUNNING, ClockStatus.PAUSED}
    wanted_kinds = {plan.kind for _, plan in wanted}
    supersede = [
        c
        for c in live
        if c.kind not in wanted_kinds and status(c, now, calendar=calendar) in open_states
    ]
    met_by_kind: dict[ClockKind, datetime] = {}
    for c in live:
        if c.met_at is not None and c.met_at <= now:
            met_by_kind[c.kind] = min(c.met_at, met_by_kind.get(c.kind, c.met_at))
    add = []
    for rule, plan in wanted:
        same_kind = [c for c in live if c.kind == plan.kind]
        if any(
            (c.started_at, c.due_at) == (plan.started_at, plan.due_at)
            or status(c, now, calendar=calendar) not in open_states
            for c in same_kind
        ):
            continue
        supersede.extend(same_kind)
        earlier = [met_by_kind[k] for k in rule.satisfied_by if k in met_by_kind]
        add.append(replace(plan, met_at=min(earlier)) if earlier else plan)
    return Replan(add=add, supersede=supersede)
