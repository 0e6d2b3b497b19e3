"""The quarterly bulletin (季度通报): the department ranking of `api.reports.service`, each
department's counts and on-time rates per clock, and every breached clock of the quarter.

The figures are those of GET /api/reports/ranking for the same quarter: the same service call,
the same rounding. Clocks are read as of the moment the bulletin is made, as the API reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.departments.models import Department
from api.issues.clocks import calendar, read
from api.issues.models import SlaClock, TrackedIssue
from api.issues.sla import CLOCK_LABELS, ClockKind
from api.issues.workdays import WorkCalendar
from api.reports import charts, service
from api.reports.documents import Chart, Column, Kind, Report, Section, Table, local_naive
from core.settings import Settings
from core.timezone import SHANGHAI

QUARTER_NAMES = "一二三四"
UNASSIGNED = "（未指定牵头单位）"


@dataclass(frozen=True)
class BreachedClock:
    issue_id: int
    issue_title: str
    department: str | None
    label: str
    started_at: datetime
    due_at: datetime  # after pauses
    met_at: datetime | None
    late_hours: float


@dataclass(frozen=True)
class QuarterlyBulletin:
    quarter: str
    since: datetime
    until: datetime
    generated_at: datetime
    ranking: list[dict[str, Any]]  # `service.ranking`, as GET /api/reports/ranking gives it
    breached: list[BreachedClock]

    def clock_totals(self) -> tuple[int, int]:
        """Clocks met and breached over every ranked department."""
        met = sum(c["met"] for d in self.ranking for c in d["on_time_by_clock"].values())
        breached = sum(c["breached"] for d in self.ranking for c in d["on_time_by_clock"].values())
        return met, breached


def default_quarter(settings: Settings, now: datetime | None = None) -> str:
    """The last completed quarter in the office's time zone: a bulletin reports on a quarter
    whose figures no longer change with new issues."""
    today = (now or datetime.now(UTC)).astimezone(SHANGHAI).date()
    current = (today.month - 1) // 3 + 1
    year, quarter = (today.year, current - 1) if current > 1 else (today.year - 1, 4)
    return f"{year}Q{quarter}"


def build(
    *, session: Session, settings: Settings, quarter: str, now: datetime | None = None
) -> QuarterlyBulletin:
    quarter = quarter.upper()
    since, until = service.quarter_bounds(quarter)
    now = now or datetime.now(UTC)
    cal = calendar(settings)
    metrics = service.department_metrics(
        session=session, since=since, until=until, calendar=cal, now=now
    )
    return QuarterlyBulletin(
        quarter=quarter,
        since=since,
        until=until,
        generated_at=now,
        ranking=service.ranking(metrics),
        breached=_breached(session, since=since, until=until, now=now, cal=cal),
    )


def _breached(
    session: Session, *, since: datetime, until: datetime, now: datetime, cal: WorkCalendar
) -> list[BreachedClock]:
    """Breached clocks of the issues detected in the quarter, by department, then due time."""
    rows = session.execute(
        select(SlaClock, TrackedIssue.title, Department.name)
        .join(TrackedIssue, TrackedIssue.id == SlaClock.issue_id)
        .outerjoin(Department, Department.id == TrackedIssue.lead_department_id)
        .where(
            TrackedIssue.detected_at >= since,
            TrackedIssue.detected_at < until,
            SlaClock.due_at < now,  # pauses only move a due time later
        )
        .order_by(SlaClock.due_at, SlaClock.id)
    ).all()
    out = []
    for clock, title, department in rows:
        reading = read(clock, now, cal)
        if reading.status != "breached":
            continue
        out.append(
            BreachedClock(
                issue_id=clock.issue_id,
                issue_title=title,
                department=department,
                label=reading.label,
                started_at=clock.started_at,
                due_at=reading.due_at,
                met_at=clock.met_at if clock.met_at is not None and clock.met_at <= now else None,
                late_hours=(reading.late_by_seconds or 0.0) / 3600,
            )
        )
    # Issues without a lead department are listed last: the ranking does not count them.
    return sorted(out, key=lambda b: (b.department is None, b.department or "", b.due_at))


# -- the document -------------------------------------------------------------------------------


def quarter_label(quarter: str) -> str:
    return f"{quarter[:4]}年第{QUARTER_NAMES[int(quarter[-1]) - 1]}季度"


def report(bulletin: QuarterlyBulletin) -> Report:
    tz = SHANGHAI
    first, last = bulletin.since.date(), (bulletin.until - timedelta(days=1)).date()
    label = quarter_label(bulletin.quarter)
    return Report(
        title="舆情回应工作季度通报",
        subtitle=(
            f"{label}（{first.year}年{first.month}月{first.day}日至{last.month}月{last.day}日）　"
            f"生成时间：{bulletin.generated_at.astimezone(tz):%Y-%m-%d %H:%M}"
        ),
        file_stem=f"季度通报_{bulletin.quarter}",
        ascii_stem=f"quarterly-bulletin-{bulletin.quarter}",
        sections=[_ranking_section(bulletin, label), _breach_section(bulletin, tz)],
        notes=[
            "综合得分 = 50 × 按时率 + 30 × 办结率 + 20 × 首次发布速度；首次发布速度 = 1 − "
            "首次发布用时中位数 ÷ 24小时（最低为0）。没有到期时限的部门，按时率一项计0分；"
            "得分相同时，超时次数少者在前。",
            "按时率 = 按时完成的时限 ÷（按时完成 + 超时）；办结率 = 已办结 ÷（事项数 − 已排除）。",
            "统计范围：发现时间在本季度内、已指定牵头单位的事项；时限状态截至生成时间。",
        ],
    )


def _ranking_section(bulletin: QuarterlyBulletin, label: str) -> Section:
    ranking = bulletin.ranking
    if ranking:
        met, breached = bulletin.clock_totals()
        issues = sum(d["issues"] for d in ranking)
        closed = sum(d["closed"] for d in ranking)
        rate = f"{met / (met + breached):.1%}" if met + breached else "—"
        summary = (
            f"{label}共有{len(ranking)}个部门牵头办理舆情事项{issues}件，已办结{closed}件；"
            f"回应时限到期或完成{met + breached}项，其中按时{met}项、超时{breached}项，"
            f"总体按时率{rate}。"
        )
    else:
        summary = f"{label}没有发现时间在期内、已指定牵头单位的舆情事项。"
    rows = [
        (
            d["rank"],
            d["name"],
            d["issues"],
            d["closed"],
            d["dismissed"],
            sum(d["open_by_age"].values()),
            d["closure_rate"],
            d["on_time_rate"],
            d["breaches"],
            d["hours_to_assignment"]["median"],
            d["hours_to_first_statement"]["median"],
            d["score"],
        )
        for d in ranking
    ]
    by_clock = [
        (d["name"], CLOCK_LABELS[ClockKind(kind)], c["met"], c["breached"], c["rate"])
        for d in ranking
        for kind, c in d["on_time_by_clock"].items()
    ]
    figures = []
    if ranking:
        png = charts.department_scores(
            [d["name"] for d in ranking], [d["score"] for d in ranking], title="各部门综合得分"
        )
        figures.append(Chart(png, "图1　各部门综合得分"))
    return Section(
        heading="一、部门排名",
        paragraphs=[summary],
        charts=figures,
        tables=[
            Table(
                sheet="部门排名",
                caption="表1　部门排名",
                columns=(
                    Column("排名", Kind.INT, width=6),
                    Column("部门", width=18),
                    Column("事项数", Kind.INT, width=8),
                    Column("已办结", Kind.INT, width=8),
                    Column("已排除", Kind.INT, width=8),
                    Column("在办", Kind.INT, width=8),
                    Column("办结率", Kind.PERCENT, width=9),
                    Column("按时率", Kind.PERCENT, width=9),
                    Column("超时次数", Kind.INT, width=9),
                    Column("交办用时中位数（小时）", Kind.HOURS, width=12),
                    Column("首次发布用时中位数（小时）", Kind.HOURS, width=12),
                    Column("综合得分", Kind.SCORE, width=9),
                ),
                rows=rows,
                empty="本季度无可排名的部门。",
            ),
            Table(
                sheet="分类按时率",
                caption="表2　各部门分类时限按时情况",
                columns=(
                    Column("部门", width=18),
                    Column("时限", width=14),
                    Column("按时", Kind.INT, width=8),
                    Column("超时", Kind.INT, width=8),
                    Column("按时率", Kind.PERCENT, width=9),
                ),
                rows=by_clock,
                empty="本季度无到期或完成的时限。",
            ),
        ],
    )


def _breach_section(bulletin: QuarterlyBulletin, tz: tzinfo) -> Section:
    rows = [
        (
            n,
            b.issue_id,
            b.issue_title,
            b.department or UNASSIGNED,
            b.label,
            local_naive(b.started_at, tz),
            local_naive(b.due_at, tz),
            local_naive(b.met_at, tz),
            b.late_hours,
            "超时完成" if b.met_at is not None else "超时未完成",
        )
        for n, b in enumerate(bulletin.breached, start=1)
    ]
    return Section(
        heading="二、超时情况",
        paragraphs=[f"本季度发现的事项中，共有{len(rows)}项回应时限超时，逐项列出如下。"],
        tables=[
            Table(
                sheet="超时清单",
                caption="表3　超时时限清单",
                columns=(
                    Column("序号", Kind.INT, width=6),
                    Column("事项编号", Kind.INT, width=8),
                    Column("事项", width=32),
                    Column("牵头单位", width=18),
                    Column("时限", width=14),
                    Column("开始时间", Kind.DATETIME, width=17),
                    Column("应完成时间", Kind.DATETIME, width=17),
                    Column("完成时间", Kind.DATETIME, width=17),
                    Column("超时（小时）", Kind.HOURS, width=11),
                    Column("情况", width=12),
                ),
                rows=rows,
                empty="本季度无超时的时限。",
            )
        ],
    )
