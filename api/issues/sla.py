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

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.issues.models import Severity
from api.issues.workdays import (
    WorkCalendar,
    aware,
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


def plan_rules(
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
    planned = plan_rules(
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
