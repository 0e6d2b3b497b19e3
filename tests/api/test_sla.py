"""SLA clocks: the shipped policy, due times, escalation, pauses, status and warnings."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from api.issues.deadlines import (
    read_clock,
    replan_on_severity_change,
    status,
    time_used_fraction,
    warnings_due,
)
from api.issues.models import Severity
from api.issues.sla import (
    ClockBasis,
    ClockKind,
    ClockPlan,
    ClockStart,
    ClockState,
    ClockStatus,
    Pause,
    SlaPolicy,
    WarningLevel,
    plan_clocks,
)
from api.issues.workdays import SHANGHAI, WorkCalendar
from core.errors import ConfigError, InputError

SLA_FILE = Path(__file__).resolve().parents[2] / "config" / "sla.yaml"
DETECTED = datetime(2025, 3, 11, 10, 0, tzinfo=SHANGHAI)  # a Tuesday


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def policy() -> SlaPolicy:
    return SlaPolicy.from_file(SLA_FILE)


@pytest.fixture
def calendar() -> WorkCalendar:
    return WorkCalendar()


def summary(plans: list[ClockPlan]) -> list[tuple[str, str, datetime, datetime]]:
    return [(p.kind, p.label, p.started_at, p.due_at) for p in plans]


def clock(
    kind: ClockKind = ClockKind.FIRST_STATEMENT,
    *,
    id: int = 1,
    started_at: datetime = DETECTED,
    due_at: datetime | None = None,
    basis: ClockBasis = ClockBasis.HOURS,
    **fields: object,
) -> ClockState:
    return ClockState(
        id=id,
        kind=kind,
        basis=basis,
        started_at=started_at,
        due_at=due_at or started_at + timedelta(hours=5),
        **fields,  # type: ignore[arg-type]
    )


# -- planning -----------------------------------------------------------------------------------


@pytest.mark.parametrize("severity", [Severity.MAJOR, Severity.ESPECIALLY_MAJOR])
def test_major_issues_get_first_statement_and_press_conference(
    policy: SlaPolicy, calendar: WorkCalendar, severity: Severity
) -> None:
    plans = plan_clocks(
        policy, severity=severity, category="安全生产", detected_at=DETECTED, calendar=calendar
    )
    assert summary(plans) == [
        ("first_statement", "首次权威发布", DETECTED, at(2025, 3, 11, 15, 0)),
        ("press_conference", "新闻发布会", DETECTED, at(2025, 3, 12, 10, 0)),
    ]
    assert [p.warn_at for p in plans] == [0.8, 0.8]
    assert [(p.basis, p.amount) for p in plans] == [("hours", 5), ("hours", 24)]


@pytest.mark.parametrize("severity", [Severity.GENERAL, Severity.RELATIVELY_MAJOR])
def test_other_issues_get_a_48_hour_response(
    policy: SlaPolicy, calendar: WorkCalendar, severity: Severity
) -> None:
    plans = plan_clocks(
        policy, severity=severity, category=None, detected_at=DETECTED, calendar=calendar
    )
    assert summary(plans) == [("response", "回应", DETECTED, at(2025, 3, 13, 10, 0))]


def test_hour_clocks_ignore_holidays(policy: SlaPolicy, calendar: WorkCalendar) -> None:
    # Detected on the first night of the 2025 Spring Festival holiday.
    plans = plan_clocks(
        policy,
        severity=Severity.MAJOR,
        category=None,
        detected_at=at(2025, 1, 28, 22, 0),
        calendar=calendar,
    )
    assert [p.due_at for p in plans] == [at(2025, 1, 29, 3, 0), at(2025, 1, 29, 22, 0)]


def test_policy_interpretation_counts_working_days_from_publication(
    policy: SlaPolicy, calendar: WorkCalendar
) -> None:
    # Published Fri 2025-09-26 18:00: Sun 28th (worked), Mon 29th, Tue 30th; due 24:00 on the 30th.
    plans = plan_clocks(
        policy,
        severity=Severity.GENERAL,
        category="政策解读",
        detected_at=at(2025, 9, 27, 9, 0),
        policy_published_at=at(2025, 9, 26, 18, 0),
        calendar=calendar,
    )
    assert summary(plans) == [
        ("response", "回应", at(2025, 9, 27, 9, 0), at(2025, 9, 29, 9, 0)),
        ("policy_interpretation", "政策解读", at(2025, 9, 26, 18, 0), at(2025, 10, 1, 0, 0)),
    ]
    assert (plans[1].starts, plans[1].basis, plans[1].amount) == (
        "policy_published",
        "working_days",
        3,
    )


def test_policy_interpretation_across_national_day(
    policy: SlaPolicy, calendar: WorkCalendar
) -> None:
    # Published Tue 2025-09-30: Oct 1-8 are off; Oct 9, 10 and Sat 11 (worked).
    plans = plan_clocks(
        policy,
        severity=Severity.MAJOR,
        category="住房",  # not a policy category, but the policy's publication time is known
        detected_at=at(2025, 9, 30, 20, 0),
        policy_published_at=at(2025, 9, 30, 10, 0),
        calendar=calendar,
    )
    assert [(p.kind, p.due_at) for p in plans] == [
        ("first_statement", at(2025, 10, 1, 1, 0)),
        ("press_conference", at(2025, 10, 1, 20, 0)),
        ("policy_interpretation", at(2025, 10, 12, 0, 0)),
    ]


def test_a_policy_issue_without_its_publication_time_is_refused(
    policy: SlaPolicy, calendar: WorkCalendar
) -> None:
    with pytest.raises(InputError, match="publication time"):
        plan_clocks(
            policy,
            severity=Severity.GENERAL,
            category="政策解读",
            detected_at=DETECTED,
            calendar=calendar,
        )


@pytest.mark.parametrize(
    ("hotline_category", "due"),
    [
        # Received Fri 2025-01-24 16:00. Sun 26th (worked), Mon 27th, then the festival.
        ("咨询", at(2025, 1, 27, 0, 0)),
        ("求助", at(2025, 2, 6, 0, 0)),
        ("投诉", at(2025, 2, 8, 0, 0)),
        ("其他", at(2025, 2, 8, 0, 0)),  # unlisted: the default 5
    ],
)
def test_hotline_orders_get_a_reply_clock_by_category(
    policy: SlaPolicy, calendar: WorkCalendar, hotline_category: str, due: datetime
) -> None:
    plans = plan_clocks(
        policy,
        severity=Severity.GENERAL,
        category=None,
        detected_at=at(2025, 1, 24, 18, 0),
        received_at=at(2025, 1, 24, 16, 0),
        hotline_category=hotline_category,
        calendar=calendar,
    )
    # A work order has no 48-hour public response clock.
    assert summary(plans) == [("hotline_reply", "热线答复", at(2025, 1, 24, 16, 0), due)]


def test_a_major_hotline_order_gets_both(policy: SlaPolicy, calendar: WorkCalendar) -> None:
    plans = plan_clocks(
        policy,
        severity=Severity.MAJOR,
        category=None,
        detected_at=DETECTED,
        hotline_category="举报",
        calendar=calendar,
    )
    assert [p.kind for p in plans] == ["first_statement", "press_conference", "hotline_reply"]
    assert plans[2].started_at == DETECTED  # received_at defaults to the detection time
    assert plans[2].due_at == at(2025, 3, 19, 0, 0)


def test_a_working_day_deadline_in_an_unknown_year_fails(
    policy: SlaPolicy, calendar: WorkCalendar
) -> None:
    with pytest.raises(ConfigError, match="2027"):
        plan_clocks(
            policy,
            severity=Severity.GENERAL,
            category=None,
            detected_at=at(2026, 12, 30, 10, 0),
            hotline_category="投诉",
            calendar=calendar,
        )


# -- escalation ---------------------------------------------------------------------------------


def response_clock(**fields: object) -> ClockState:
    return clock(ClockKind.RESPONSE, id=1, due_at=at(2025, 3, 13, 10, 0), **fields)


def test_escalation_adds_tighter_clocks_and_supersedes_the_response(
    policy: SlaPolicy, calendar: WorkCalendar
) -> None:
    existing = [response_clock()]
    replan = replan_on_severity_change(
        existing,
        Severity.MAJOR,
        policy=policy,
        category=None,
        detected_at=DETECTED,
        calendar=calendar,
        now=at(2025, 3, 11, 12, 0),
    )
    assert [(p.kind, p.started_at, p.due_at, p.met_at) for p in replan.add] == [
        ("first_statement", DETECTED, at(2025, 3, 11, 15, 0), None),
        ("press_conference", DETECTED, at(2025, 3, 12, 10, 0), None),
    ]
    assert replan.supersede == existing
    assert min(p.due_at for p in replan.add) < existing[0].due_at


def test_late_escalation_adds_a_clock_that_is_already_breached(
    policy: SlaPolicy, calendar: WorkCalendar
) -> None:
    now = at(2025, 3, 11, 16, 0)
    replan = replan_on_severity_change(
        [response_clock()],
        Severity.ESPECIALLY_MAJOR,
        policy=policy,
        category=None,
        detected_at=DETECTED,
        calendar=calendar,
        now=now,
    )
    first = ClockState.from_plan(replan.add[0], id=2)
    reading = read_clock(first, now, calendar=calendar)
    assert (reading.status, reading.late_by) == (ClockStatus.BREACHED, timedelta(hours=1))


def test_escalation_after_a_response_counts_it_as_the_first_statement(
    policy: SlaPolicy, calendar: WorkCalendar
) -> None:
    met = response_clock(met_at=at(2025, 3, 11, 11, 0))
    replan = replan_on_severity_change(
        [met],
        Severity.MAJOR,
        policy=policy,
        category=None,
        detected_at=DETECTED,
        calendar=calendar,
        now=at(2025, 3, 11, 12, 0),
    )
    assert replan.supersede == []  # met clocks stay, as history
    assert [(p.kind, p.met_at) for p in replan.add] == [
        ("first_statement", at(2025, 3, 11, 11, 0)),
        ("press_conference", None),
    ]
    added = ClockState.from_plan(replan.add[0], id=2)
    assert status(added, at(2025, 3, 11, 12, 0), calendar=calendar) == ClockStatus.MET


def test_a_breached_clock_is_kept_on_escalation(policy: SlaPolicy, calendar: WorkCalendar) -> None:
    replan = replan_on_severity_change(
        [response_clock()],
        Severity.MAJOR,
        policy=policy,
        category=None,
        detected_at=DETECTED,
        calendar=calendar,
        now=at(2025, 3, 13, 11, 0),
    )
    assert replan.supersede == []
    assert [p.kind for p in replan.add] == ["first_statement", "press_conference"]


def test_a_change_within_the_same_clocks_changes_nothing(
    policy: SlaPolicy, calendar: WorkCalendar
) -> None:
    replan = replan_on_severity_change(
        [response_clock()],
        Severity.RELATIVELY_MAJOR,
        policy=policy,
        category=None,
        detected_at=DETECTED,
        calendar=calendar,
        now=at(2025, 3, 11, 12, 0),
    )
    assert (replan.add, replan.supersede) == ([], [])


def test_de_escalation_keeps_met_clocks_and_supersedes_running_ones(
    policy: SlaPolicy, calendar: WorkCalendar
) -> None:
    first = clock(ClockKind.FIRST_STATEMENT, id=2, met_at=at(2025, 3, 11, 13, 0))
    press = clock(ClockKind.PRESS_CONFERENCE, id=3, due_at=at(2025, 3, 12, 10, 0))
    old_response = response_clock(superseded_at=at(2025, 3, 11, 12, 0))
    replan = replan_on_severity_change(
        [old_response, first, press],
        Severity.GENERAL,
        policy=policy,
        category=None,
        detected_at=DETECTED,
        calendar=calendar,
        now=at(2025, 3, 11, 20, 0),
    )
    assert replan.supersede == [press]
    # A fresh response clock, already met by the first statement.
    assert [(p.kind, p.due_at, p.met_at) for p in replan.add] == [
        ("response", at(2025, 3, 13, 10, 0), at(2025, 3, 11, 13, 0))
    ]


def test_de_escalation_after_a_missed_first_statement(
    policy: SlaPolicy, calendar: WorkCalendar
) -> None:
    first = clock(ClockKind.FIRST_STATEMENT, id=2)
    press = clock(ClockKind.PRESS_CONFERENCE, id=3, due_at=at(2025, 3, 12, 10, 0))
    replan = replan_on_severity_change(
        [first, press],
        Severity.GENERAL,
        policy=policy,
        category=None,
        detected_at=DETECTED,
        calendar=calendar,
        now=at(2025, 3, 11, 20, 0),
    )
    assert replan.supersede == [press]  # the breached first statement stays breached
    assert [(p.kind, p.met_at) for p in replan.add] == [("response", None)]


# -- status and pauses --------------------------------------------------------------------------


def test_running_met_on_time_met_late_and_breached(calendar: WorkCalendar) -> None:
    due = at(2025, 3, 11, 15, 0)
    assert status(clock(), at(2025, 3, 11, 14, 0), calendar=calendar) == ClockStatus.RUNNING
    on_time = clock(met_at=due)  # at the due time exactly is still on time
    assert status(on_time, at(2025, 3, 12), calendar=calendar) == ClockStatus.MET
    late = read_clock(clock(met_at=due + timedelta(minutes=30)), at(2025, 3, 12), calendar=calendar)
    assert (late.status, late.late_by) == (ClockStatus.BREACHED, timedelta(minutes=30))
    assert late.fraction == pytest.approx(5.5 / 5)
    open_late = read_clock(clock(), at(2025, 3, 11, 17, 0), calendar=calendar)
    assert (open_late.status, open_late.late_by) == (ClockStatus.BREACHED, timedelta(hours=2))


def test_a_met_time_after_now_does_not_count_yet(calendar: WorkCalendar) -> None:
    later = clock(met_at=at(2025, 3, 11, 14, 0))
    assert status(later, at(2025, 3, 11, 13, 0), calendar=calendar) == ClockStatus.RUNNING


def test_a_superseded_clock_is_neither_met_nor_breached(calendar: WorkCalendar) -> None:
    gone = clock(superseded_at=at(2025, 3, 11, 12, 0))
    assert status(gone, at(2025, 3, 12), calendar=calendar) == ClockStatus.SUPERSEDED


def test_a_pause_extends_an_hour_clock(calendar: WorkCalendar) -> None:
    paused = clock(pauses=(Pause(at(2025, 3, 11, 12, 0), at(2025, 3, 11, 13, 30), "核实"),))
    reading = read_clock(paused, at(2025, 3, 11, 16, 0), calendar=calendar)
    assert (reading.status, reading.due_at) == (ClockStatus.RUNNING, at(2025, 3, 11, 16, 30))
    assert reading.fraction == pytest.approx(4.5 / 5)
    # The same met time is late without the pause.
    met = clock(met_at=at(2025, 3, 11, 16, 15))
    assert status(met, at(2025, 3, 12), calendar=calendar) == ClockStatus.BREACHED
    met_paused = clock(met_at=at(2025, 3, 11, 16, 15), pauses=paused.pauses)
    assert status(met_paused, at(2025, 3, 12), calendar=calendar) == ClockStatus.MET


def test_an_open_pause(calendar: WorkCalendar) -> None:
    paused = clock(pauses=(Pause(at(2025, 3, 11, 14, 0), None, "等待上级批复"),))
    reading = read_clock(paused, at(2025, 3, 11, 18, 0), calendar=calendar)
    # Past the planned 15:00, but paused with an hour left: due an hour after it resumes.
    assert (reading.status, reading.due_at) == (ClockStatus.PAUSED, at(2025, 3, 11, 19, 0))
    assert reading.fraction == pytest.approx(0.8)


def test_pauses_before_the_start_or_after_a_breach_change_nothing(calendar: WorkCalendar) -> None:
    early = clock(pauses=(Pause(at(2025, 3, 11, 8, 0), at(2025, 3, 11, 10, 0)),))
    assert read_clock(early, at(2025, 3, 11, 12), calendar=calendar).due_at == at(2025, 3, 11, 15)
    after = clock(pauses=(Pause(at(2025, 3, 11, 16, 0), None),))
    reading = read_clock(after, at(2025, 3, 11, 18), calendar=calendar)
    assert (reading.status, reading.due_at) == (ClockStatus.BREACHED, at(2025, 3, 11, 15))


def working_day_clock(**fields: object) -> ClockState:
    # Started Tue 2025-03-11 10:00, 3 working days: Wed, Thu, Fri, due 24:00 on Friday the 14th.
    return clock(
        ClockKind.POLICY_INTERPRETATION,
        basis=ClockBasis.WORKING_DAYS,
        due_at=at(2025, 3, 15, 0, 0),
        **fields,
    )


def test_a_pause_extends_a_working_day_clock_by_the_working_time_it_covers(
    calendar: WorkCalendar,
) -> None:
    now = at(2025, 3, 14, 9, 0)
    assert read_clock(working_day_clock(), now, calendar=calendar).due_at == at(2025, 3, 15, 0, 0)
    half_day = working_day_clock(pauses=(Pause(at(2025, 3, 12, 12, 0), at(2025, 3, 13, 0, 0)),))
    # Half a working day more: the weekend does not count, so Monday 12:00.
    assert read_clock(half_day, now, calendar=calendar).due_at == at(2025, 3, 17, 12, 0)


def test_a_pause_outside_counted_working_days_changes_nothing(calendar: WorkCalendar) -> None:
    on_start_day = working_day_clock(pauses=(Pause(at(2025, 3, 11, 11), at(2025, 3, 11, 18)),))
    now = at(2025, 3, 13, 9, 0)
    assert read_clock(on_start_day, now, calendar=calendar).due_at == at(2025, 3, 15, 0, 0)
    # Started Thu 13th: Fri, Mon, Tue; a pause over the weekend moves nothing.
    weekend = clock(
        ClockKind.HOTLINE_REPLY,
        basis=ClockBasis.WORKING_DAYS,
        started_at=at(2025, 3, 13, 10, 0),
        due_at=at(2025, 3, 19, 0, 0),
        pauses=(Pause(at(2025, 3, 15, 0, 0), at(2025, 3, 16, 23, 0)),),
    )
    assert read_clock(weekend, at(2025, 3, 17), calendar=calendar).due_at == at(2025, 3, 19)


def test_time_used_on_a_working_day_clock(calendar: WorkCalendar) -> None:
    wd = working_day_clock()
    assert time_used_fraction(wd, at(2025, 3, 11, 18, 0), calendar=calendar) == 0
    assert time_used_fraction(wd, at(2025, 3, 12, 12, 0), calendar=calendar) == pytest.approx(1 / 6)
    # 80% of three working days: 09:36 on Friday.
    assert time_used_fraction(wd, at(2025, 3, 14, 9, 36), calendar=calendar) == pytest.approx(0.8)


# -- warnings -----------------------------------------------------------------------------------


def levels(warnings: list) -> list[tuple[int, str]]:
    return [(w.clock_id, w.level) for w in warnings]


def test_warnings_fire_once_at_80_percent_and_once_at_breach(calendar: WorkCalendar) -> None:
    clocks = [clock()]  # 10:00 to 15:00
    warned: set[tuple[int, WarningLevel]] = set()
    timeline = [
        (at(2025, 3, 11, 13, 59), []),
        (at(2025, 3, 11, 14, 0), [(1, "pre_breach")]),
        (at(2025, 3, 11, 14, 30), []),
        (at(2025, 3, 11, 15, 0), []),
        (at(2025, 3, 11, 15, 1), [(1, "breach")]),
        (at(2025, 3, 11, 18, 0), []),
    ]
    for now, expected in timeline:
        fired = warnings_due(clocks, now, warned, calendar=calendar)
        assert levels(fired) == expected, now
        warned.update((w.clock_id, w.level) for w in fired)
    assert warned == {(1, WarningLevel.PRE_BREACH), (1, WarningLevel.BREACH)}


def test_a_clock_found_past_due_gets_only_the_breach_warning(calendar: WorkCalendar) -> None:
    fired = warnings_due([clock()], at(2025, 3, 11, 16, 0), set(), calendar=calendar)
    assert levels(fired) == [(1, "breach")]
    assert fired[0].label == "首次权威发布"
    assert fired[0].due_at == at(2025, 3, 11, 15, 0)
    later = warnings_due(
        [clock()], at(2025, 3, 11, 17), {(1, WarningLevel.BREACH)}, calendar=calendar
    )
    assert later == []


def test_no_warnings_for_met_or_superseded_clocks(calendar: WorkCalendar) -> None:
    clocks = [
        clock(id=1, met_at=at(2025, 3, 11, 12, 0)),
        clock(id=2, met_at=at(2025, 3, 11, 15, 30)),  # late, but done
        clock(id=3, superseded_at=at(2025, 3, 11, 11, 0)),
        clock(id=4),
    ]
    fired = warnings_due(clocks, at(2025, 3, 11, 16, 0), set(), calendar=calendar)
    assert levels(fired) == [(4, "breach")]


def test_the_warning_follows_the_due_time_after_a_pause(calendar: WorkCalendar) -> None:
    paused = clock(pauses=(Pause(at(2025, 3, 11, 11, 0), at(2025, 3, 11, 12, 0)),))
    assert warnings_due([paused], at(2025, 3, 11, 14, 30), set(), calendar=calendar) == []
    fired = warnings_due([paused], at(2025, 3, 11, 15, 0), set(), calendar=calendar)
    assert levels(fired) == [(1, "pre_breach")]
    assert fired[0].due_at == at(2025, 3, 11, 16, 0)


# -- the policy file ----------------------------------------------------------------------------


def test_the_shipped_policy(policy: SlaPolicy) -> None:
    rules = {rule.kind: rule for rule in policy.clocks}
    assert set(rules) == set(ClockKind)
    assert rules[ClockKind.POLICY_INTERPRETATION].starts == ClockStart.POLICY_PUBLISHED
    assert rules[ClockKind.HOTLINE_REPLY].per_hotline_category == {
        "咨询": 1,
        "求助": 3,
        "投诉": 5,
        "举报": 5,
        "建议": 5,
    }


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sla.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        ("{kind: response, starts: detected}", "exactly one of hours and working_days"),
        ("{kind: response, starts: detected, hours: 4, working_days: 1}", "exactly one"),
        ("{kind: response, starts: detected, hours: 0}", r"clocks\.0\.hours"),
        ("{kind: response, starts: detected, hours: 4, severities: [huge]}", "severities"),
        ("{kind: reply, starts: detected, hours: 4}", r"clocks\.0\.kind"),
        ("{kind: response, starts: posted, hours: 4}", r"clocks\.0\.starts"),
        ("{kind: response, starts: detected, hours: 4, warn_at: 1.5}", "warn_at"),
        ("{kind: response, starts: detected, hours: 4, hourz: 5}", "hourz"),
        (
            "{kind: response, starts: detected, working_days: 2, per_hotline_category: {咨询: 1}}",
            "per_hotline_category needs starts: received",
        ),
        ("{kind: response, starts: detected, hours: 4, satisfied_by: [response]}", "itself"),
    ],
)
def test_a_bad_policy_is_a_config_error(tmp_path: Path, rule: str, problem: str) -> None:
    path = write(tmp_path, f"clocks:\n  - {rule}\n")
    with pytest.raises(ConfigError, match=problem):
        SlaPolicy.from_file(path)


def test_two_rules_of_one_kind_must_not_overlap(tmp_path: Path) -> None:
    overlapping = (
        "clocks:\n"
        "  - {kind: response, starts: detected, hours: 48, severities: [general]}\n"
        "  - {kind: response, starts: detected, hours: 24}\n"
    )
    with pytest.raises(ConfigError, match="two response rules apply to general"):
        SlaPolicy.from_file(write(tmp_path, overlapping))
    separate = overlapping.replace("hours: 24}", "hours: 24, severities: [relatively_major]}")
    assert len(SlaPolicy.from_file(write(tmp_path, separate)).clocks) == 2


def test_an_unreadable_policy_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the SLA file"):
        SlaPolicy.from_file(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="clocks"):
        SlaPolicy.from_file(write(tmp_path, "clocks: []\n"))


def test_a_stricter_clock_of_the_same_kind_replaces_the_running_one(
    tmp_path: Path, calendar: WorkCalendar
) -> None:
    graded = SlaPolicy.from_file(
        write(
            tmp_path,
            "clocks:\n"
            "  - {kind: response, starts: detected, hours: 48, severities: [general]}\n"
            "  - {kind: response, starts: detected, hours: 24, severities: [relatively_major]}\n",
        )
    )
    running = response_clock()
    replan = replan_on_severity_change(
        [running],
        Severity.RELATIVELY_MAJOR,
        policy=graded,
        category=None,
        detected_at=DETECTED,
        calendar=calendar,
        now=at(2025, 3, 11, 12, 0),
    )
    assert replan.supersede == [running]
    assert [(p.kind, p.due_at) for p in replan.add] == [("response", at(2025, 3, 12, 10, 0))]


def test_no_pre_breach_warning_after_the_breach_warning(calendar: WorkCalendar) -> None:
    # A pause recorded afterwards moves the due time back beyond now: no second warning.
    late_pause = clock(pauses=(Pause(at(2025, 3, 11, 10, 0), at(2025, 3, 11, 11, 0)),))
    now = at(2025, 3, 11, 15, 30)
    assert time_used_fraction(late_pause, now, calendar=calendar) == pytest.approx(0.9)
    assert warnings_due([late_pause], now, {(1, WarningLevel.BREACH)}, calendar=calendar) == []
    fired = warnings_due([late_pause], now, set(), calendar=calendar)
    assert levels(fired) == [(1, "pre_breach")]
