"""SLA clocks: which statutory deadlines an issue has (config/sla.yaml), and how each is judged.

Pure functions over plain values; the tracker stores the clocks and calls these.

A clock runs while its allowance is being used up: an hour clock all the time from its start, a
working-day clock only on the working days after its start date (see `workdays`), each as 24
hours. While a clock is paused it does not run, so a pause moves the due time later by the
running time it covered: its wall-clock length for an hour clock, the part of it that falls on
counted working days for a working-day clock (a pause over a weekend, or on the start day,
moves nothing). The allowance is what the clock would run between its start and its planned
`due_at`; the due time after pauses is where the running time reaches it.

Status, in this order: `superseded` once replaced or no longer required; `met` when met at or
before the due time after pauses, `breached` when met after it (it stays breached, `late_by`
says how late) or when still open after it; `paused` during a pause; else `running`. Only what
happened up to `now` counts: a later `met_at` or pause is ignored.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.issues.models import Severity
from api.issues.workdays import (
    ONE_DAY,
    WorkCalendar,
    aware,
    local_date,
    start_of_day,
)
from core.configfile import load_model
from core.errors import InputError
from core.timezone import SHANGHAI


class ClockKind(StrEnum):
    FIRST_STATEMENT = "first_statement"
    PRESS_CONFERENCE = "press_conference"
    RESPONSE = "response"
    POLICY_INTERPRETATION = "policy_interpretation"
    HOTLINE_REPLY = "hotline_reply"


CLOCK_LABELS = {
    ClockKind.FIRST_STATEMENT: "首次权威发布",
    ClockKind.PRESS_CONFERENCE: "新闻发布会",
    ClockKind.RESPONSE: "回应",
    ClockKind.POLICY_INTERPRETATION: "政策解读",
    ClockKind.HOTLINE_REPLY: "热线答复",
}


class ClockStart(StrEnum):
    """What starts a clock."""

    DETECTED = "detected"  # the issue's detection time
    POLICY_PUBLISHED = "policy_published"  # the publication time of the policy concerned
    RECEIVED = "received"  # the time a hotline work order was received


class ClockBasis(StrEnum):
    HOURS = "hours"
    WORKING_DAYS = "working_days"


class ClockStatus(StrEnum):
    RUNNING = "running"
    MET = "met"
    BREACHED = "breached"
    PAUSED = "paused"
    SUPERSEDED = "superseded"


class WarningLevel(StrEnum):
    PRE_BREACH = "pre_breach"
    BREACH = "breach"


# -- the policy file ----------------------------------------------------------------------------


class ClockRule(BaseModel):
    """One kind of deadline, and the issues it applies to (see config/sla.yaml)."""

    model_config = ConfigDict(extra="forbid")

    kind: ClockKind
    starts: ClockStart
    hours: float | None = Field(default=None, gt=0)
    working_days: int | None = Field(default=None, ge=1)
    per_hotline_category: dict[str, int] = {}
    severities: list[Severity] | None = None
    categories: list[str] | None = None
    hotline_orders: bool = True
    satisfied_by: list[ClockKind] = []
    warn_at: float = Field(default=0.8, gt=0, lt=1)

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        if (self.hours is None) == (self.working_days is None):
            raise ValueError(f"{self.kind}: give exactly one of hours and working_days")
        if self.per_hotline_category:
            if self.starts != ClockStart.RECEIVED or self.working_days is None:
                raise ValueError(
                    f"{self.kind}: per_hotline_category needs starts: received and working_days"
                )
            bad = {k: v for k, v in self.per_hotline_category.items() if v < 1}
            if bad:
                raise ValueError(f"{self.kind}: per_hotline_category needs days >= 1, got {bad}")
        if self.starts == ClockStart.RECEIVED and not self.hotline_orders:
            raise ValueError(f"{self.kind}: a clock started on receipt is for hotline orders")
        if self.kind in self.satisfied_by:
            raise ValueError(f"{self.kind}: satisfied_by names the clock itself")
        return self


class SlaPolicy(BaseModel):
    """The parsed config/sla.yaml."""

    model_config = ConfigDict(extra="forbid")

    clocks: list[ClockRule] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_rule_per_kind(self) -> Self:
        for i, rule in enumerate(self.clocks):
            for other in self.clocks[i + 1 :]:
                if other.kind != rule.kind:
                    continue
                mine, theirs = set(rule.severities or Severity), set(other.severities or Severity)
                if mine & theirs:
                    raise ValueError(
                        f"two {rule.kind} rules apply to {sorted(mine & theirs)[0]}; "
                        "rules of one kind need separate severities"
                    )
        return self

    @classmethod
    def from_file(cls, path: Path) -> SlaPolicy:
        return load_model(path, cls, "SLA file")


# -- clocks -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClockPlan:
    """A clock to create. `met_at` is set when an earlier statement already satisfies it."""

    kind: ClockKind
    label: str
    starts: ClockStart
    started_at: datetime
    due_at: datetime
    basis: ClockBasis
    amount: float  # hours or working days, as configured
    warn_at: float = 0.8
    met_at: datetime | None = None


@dataclass(frozen=True)
class Pause:
    paused_at: datetime
    resumed_at: datetime | None = None
    reason: str = ""


@dataclass(frozen=True)
class ClockState:
    """A stored clock, as the evaluation functions need it."""

    id: int
    kind: ClockKind
    basis: ClockBasis
    started_at: datetime
    due_at: datetime  # as planned, before pauses
    warn_at: float = 0.8
    met_at: datetime | None = None
    pauses: tuple[Pause, ...] = ()
    superseded_at: datetime | None = None

    def __post_init__(self) -> None:
        if aware(self.due_at) <= aware(self.started_at):
            raise ValueError(f"clock {self.id}: due_at must be after started_at")

    @property
    def label(self) -> str:
        return CLOCK_LABELS[self.kind]

    @classmethod
    def from_plan(cls, plan: ClockPlan, *, id: int) -> ClockState:
        return cls(
            id=id,
            kind=plan.kind,
            basis=plan.basis,
            started_at=plan.started_at,
            due_at=plan.due_at,
            warn_at=plan.warn_at,
            met_at=plan.met_at,
        )


def _applies(
    rule: ClockRule,
    *,
    severity: Severity,
    category: str | None,
    has_policy_time: bool,
    hotline: bool,
) -> bool:
    if rule.severities is not None and severity not in rule.severities:
        return False
    if hotline and not rule.hotline_orders:
        return False
    in_category = rule.categories is None or category in rule.categories
    if rule.starts == ClockStart.POLICY_PUBLISHED:
        # A policy clock applies to a policy category, or whenever the policy time is known.
        return has_policy_time or (rule.categories is not None and category in rule.categories)
    if rule.starts == ClockStart.RECEIVED:
        return hotline and in_category
    return in_category


def _plan_rules(
    policy: SlaPolicy,
    *,
    severity: Severity,
    category: str | None,
    detected_at: datetime,
    policy_published_at: datetime | None,
    hotline_category: str | None,
    received_at: datetime | None,
    calendar: WorkCalendar,
) -> list[tuple[ClockRule, ClockPlan]]:
    planned = []
    for rule in policy.clocks:
        if not _applies(
            rule,
            severity=severity,
            category=category,
            has_policy_time=policy_published_at is not None,
            hotline=hotline_category is not None,
        ):
            continue
        if rule.starts == ClockStart.POLICY_PUBLISHED:
            if policy_published_at is None:
                raise InputError(
                    f"an issue in category {category!r} needs the policy's publication time "
                    f"for its {CLOCK_LABELS[rule.kind]} deadline"
                )
            start = policy_published_at
        elif rule.starts == ClockStart.RECEIVED:
            start = received_at or detected_at
        else:
            start = detected_at
        start = aware(start).astimezone(SHANGHAI)
        if rule.hours is not None:
            basis, amount = ClockBasis.HOURS, rule.hours
            due = start + timedelta(hours=rule.hours)
        else:
            assert rule.working_days is not None  # the validator makes sure
            days = rule.per_hotline_category.get(hotline_category or "", rule.working_days)
            basis, amount = ClockBasis.WORKING_DAYS, days
            due = calendar.add_working_days(start, days)
        plan = ClockPlan(
            kind=rule.kind,
            label=CLOCK_LABELS[rule.kind],
            starts=rule.starts,
            started_at=start,
            due_at=due,
            basis=basis,
            amount=amount,
            warn_at=rule.warn_at,
        )
        planned.append((rule, plan))
    return planned


def plan_clocks(
    policy: SlaPolicy,
    *,
    severity: Severity,
    category: str | None,
    detected_at: datetime,
    policy_published_at: datetime | None = None,
    hotline_category: str | None = None,
    received_at: datetime | None = None,
    calendar: WorkCalendar,
) -> list[ClockPlan]:
    """The clocks a new issue gets, in the policy's order.

    An issue is a hotline work order when `hotline_category` is given; `received_at` defaults
    to `detected_at`. A policy-category issue without `policy_published_at` is an InputError.
    """
    planned = _plan_rules(
        policy,
        severity=severity,
        category=category,
        detected_at=detected_at,
        policy_published_at=policy_published_at,
        hotline_category=hotline_category,
        received_at=received_at,
        calendar=calendar,
    )
    return [plan for _, plan in planned]


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
    wanted = _plan_rules(
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


# -- evaluation ---------------------------------------------------------------------------------


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
