"""The daily brief (舆情日报) of one day: its volume by source and by hour, the hot issues with
why they are hot, the issues the office began tracking, the deadlines falling due next and those
missed, and the sentiment of the last seven days.

The brief describes the day as of its end (24:00 in the office's time zone), or as of now for a
day not yet over, so a brief made again later for the same day reads the deadlines the same way
(only issues closed or dismissed since then drop out). Hot-issue scores are the latest ones:
the tracker keeps no score history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from api.departments.models import Department
from api.hot_issues.models import HotIssue
from api.issues.clocks import calendar, read
from api.issues.models import (
    SEVERITY_LABELS,
    STATUS_LABELS,
    IssueLink,
    IssueStatus,
    SlaClock,
    TrackedIssue,
)
from api.issues.workdays import WorkCalendar
from api.reports import charts
from api.reports.documents import Chart, Column, Kind, Report, Section, Table, local_naive
from api.sources import service as sources
from core.errors import InputError
from core.settings import Settings
from core.timezone import SHANGHAI
from store.base import PostStore
from store.models import Aggregations, Interval, PostFilter, SentimentBand

TREND_DAYS = 7
HOT_LIMIT = 10
KEYWORDS = 10
WEEKDAYS = "一二三四五六日"
HOT_STATUS_LABELS = {"new": "新发现", "watching": "关注中", "promoted": "已转跟踪"}
FINISHED = (IssueStatus.CLOSED, IssueStatus.DISMISSED)


@dataclass(frozen=True)
class SourceVolume:
    source: str
    title: str
    count: int
    previous: int  # on the day before


@dataclass(frozen=True)
class HotLine:
    id: int
    title: str
    score: float
    flag_score: float | None
    size: int
    keywords: list[str]
    flagged_at: datetime
    status: str
    explanation: list[str]
    tracked_issue_ids: list[int]


@dataclass(frozen=True)
class NewIssue:
    id: int
    title: str
    severity: str
    status: str
    department: str | None
    detected_at: datetime
    created_at: datetime


@dataclass(frozen=True)
class ClockLine:
    issue_id: int
    issue_title: str
    department: str | None
    label: str
    due_at: datetime  # after pauses
    met_at: datetime | None
    late_hours: float | None


@dataclass(frozen=True)
class SentimentDay:
    day: date
    negative: int
    neutral: int
    positive: int
    unscored: int

    @property
    def total(self) -> int:
        return self.negative + self.neutral + self.positive + self.unscored

    @property
    def negative_share(self) -> float | None:
        scored = self.negative + self.neutral + self.positive
        return self.negative / scored if scored else None


@dataclass(frozen=True)
class DailyBrief:
    day: date
    start: datetime
    end: datetime
    as_of: datetime
    generated_at: datetime
    total: int
    previous_total: int
    by_source: list[SourceVolume]
    hourly: list[int]  # 24 counts, by hour of the day
    keywords: list[str]
    hot_issues: list[HotLine]
    new_issues: list[NewIssue]
    clocks_due: list[ClockLine]  # still running, due before the end of the next day
    clocks_breached: list[ClockLine]  # breached and still open, or met late on the day
    sentiment: list[SentimentDay]  # the last TREND_DAYS days, the brief's day last


def default_day(settings: Settings, now: datetime | None = None) -> date:
    """Yesterday in the office's time zone: the brief is read the morning after."""
    moment = now or datetime.now(UTC)
    return moment.astimezone(SHANGHAI).date() - timedelta(days=1)


def build(
    *,
    session: Session,
    store: PostStore,
    settings: Settings,
    day: date,
    now: datetime | None = None,
) -> DailyBrief:
    tz = SHANGHAI
    now = now or datetime.now(UTC)
    start = datetime.combine(day, datetime.min.time(), tz)
    end = start + timedelta(days=1)
    if start > now:
        raise InputError(f"no daily brief for {day}: the day has not begun")
    as_of = min(end, now)

    today = store.aggregate(
        filters=PostFilter(published_from=start, published_to=end),
        interval=Interval.HOUR,
        top_keywords=KEYWORDS,
    )
    earlier = {
        start - timedelta(days=n): _aggregate(store, start - timedelta(days=n))
        for n in range(1, TREND_DAYS)
    }
    previous = earlier[start - timedelta(days=1)]
    hourly = [0] * 24
    for bucket in today.volume:
        hourly[bucket.start.astimezone(tz).hour] += bucket.count
    by_day = sorted({**earlier, start: today}.items())
    sentiment = [_sentiment(moment.date(), aggregations) for moment, aggregations in by_day]
    due, breached = _clocks(
        session, calendar(settings), start=start, as_of=as_of, due_before=end + timedelta(days=1)
    )
    return DailyBrief(
        day=day,
        start=start,
        end=end,
        as_of=as_of,
        generated_at=now,
        total=today.total,
        previous_total=previous.total,
        by_source=_by_source(settings, today, previous),
        hourly=hourly,
        keywords=[b.key for b in today.top_keywords],
        hot_issues=_hot_issues(session, start=start, as_of=as_of),
        new_issues=_new_issues(session, start=start, as_of=as_of),
        clocks_due=due,
        clocks_breached=breached,
        sentiment=sentiment,
    )


def _aggregate(store: PostStore, start: datetime) -> Aggregations:
    window = PostFilter(published_from=start, published_to=start + timedelta(days=1))
    return store.aggregate(filters=window, interval=Interval.DAY, top_keywords=0)


def _sentiment(day: date, aggregations: Aggregations) -> SentimentDay:
    bands = {b.key: b.count for b in aggregations.by_sentiment}
    return SentimentDay(
        day=day,
        negative=bands.get(SentimentBand.NEGATIVE, 0),
        neutral=bands.get(SentimentBand.NEUTRAL, 0),
        positive=bands.get(SentimentBand.POSITIVE, 0),
        unscored=bands.get(SentimentBand.UNSCORED, 0),
    )


def _by_source(
    settings: Settings, today: Aggregations, previous: Aggregations
) -> list[SourceVolume]:
    titles = {name: source.title or name for name, source in sources.configured(settings).items()}
    counts = {b.key: b.count for b in today.by_source}
    before = {b.key: b.count for b in previous.by_source}
    names = sorted(counts.keys() | before.keys(), key=lambda n: (-counts.get(n, 0), n))
    return [SourceVolume(n, titles.get(n, n), counts.get(n, 0), before.get(n, 0)) for n in names]


def _hot_issues(session: Session, *, start: datetime, as_of: datetime) -> list[HotLine]:
    """Hot issues flagged by the end of the day that had posts on it, hottest first."""
    rows = session.scalars(
        select(HotIssue)
        .where(
            HotIssue.flagged_at.is_not(None),
            HotIssue.flagged_at < as_of,
            HotIssue.last_seen >= start,
            HotIssue.status.not_in(("merged", "dismissed")),
        )
        .order_by(HotIssue.score.desc(), HotIssue.id)
        .limit(HOT_LIMIT)
    ).all()
    links = session.execute(
        select(IssueLink.ref, IssueLink.issue_id)
        .where(IssueLink.kind == "hot_issue", IssueLink.ref.in_([str(r.id) for r in rows]))
        .order_by(IssueLink.issue_id)
    ).all()
    tracked: dict[str, list[int]] = {}
    for ref, issue_id in links:
        tracked.setdefault(ref, []).append(issue_id)
    return [
        HotLine(
            id=row.id,
            title=row.title,
            score=row.score,
            flag_score=row.flag_score,
            size=row.size,
            keywords=list(row.keywords or []),
            flagged_at=row.flagged_at,  # type: ignore[arg-type]  # filtered on above
            status=HOT_STATUS_LABELS.get(row.status, row.status),
            explanation=list(row.explanation or []),
            tracked_issue_ids=tracked.get(str(row.id), []),
        )
        for row in rows
    ]


def _new_issues(session: Session, *, start: datetime, as_of: datetime) -> list[NewIssue]:
    rows = session.execute(
        select(TrackedIssue, Department.name)
        .outerjoin(Department, Department.id == TrackedIssue.lead_department_id)
        .where(TrackedIssue.created_at >= start, TrackedIssue.created_at < as_of)
        .order_by(TrackedIssue.created_at, TrackedIssue.id)
    ).all()
    return [
        NewIssue(
            id=issue.id,
            title=issue.title,
            severity=SEVERITY_LABELS[issue.severity],
            status=STATUS_LABELS[issue.status],
            department=department,
            detected_at=issue.detected_at,
            created_at=issue.created_at,
        )
        for issue, department in rows
    ]


def _clocks(
    session: Session,
    cal: WorkCalendar,
    *,
    start: datetime,
    as_of: datetime,
    due_before: datetime,
) -> tuple[list[ClockLine], list[ClockLine]]:
    """Clocks read at `as_of`: running ones due before `due_before`, and breached ones that
    are still open or were met (late) on the day. Pauses only move a due time later, so the
    planned due time bounds the query."""
    rows = session.execute(
        select(SlaClock, TrackedIssue.title, TrackedIssue.status, Department.name)
        .join(TrackedIssue, TrackedIssue.id == SlaClock.issue_id)
        .outerjoin(Department, Department.id == TrackedIssue.lead_department_id)
        .where(
            SlaClock.started_at < as_of,
            SlaClock.due_at < due_before,
            or_(SlaClock.superseded_at.is_(None), SlaClock.superseded_at > as_of),
            or_(
                SlaClock.met_at >= start,
                and_(SlaClock.met_at.is_(None), TrackedIssue.status.not_in(FINISHED)),
            ),
        )
        .order_by(SlaClock.due_at, SlaClock.id)
    ).all()
    due, breached = [], []
    for clock, title, issue_status, department in rows:
        reading = read(clock, as_of, cal)
        met_at = clock.met_at if clock.met_at is not None and clock.met_at <= as_of else None
        line = ClockLine(
            issue_id=clock.issue_id,
            issue_title=title,
            department=department,
            label=reading.label,
            due_at=reading.due_at,
            met_at=met_at,
            late_hours=_hours(reading.late_by_seconds),
        )
        open_issue = issue_status not in FINISHED
        if reading.status == "running" and reading.due_at < due_before and open_issue:
            due.append(line)
        elif reading.status == "breached" and (met_at is not None or open_issue):
            breached.append(line)
    return due, breached


def _hours(seconds: float | None) -> float | None:
    return seconds / 3600 if seconds is not None else None


# -- the document -------------------------------------------------------------------------------


def report(brief: DailyBrief) -> Report:
    tz = SHANGHAI
    day = brief.day
    weekday = WEEKDAYS[day.weekday()]
    return Report(
        title="舆情日报",
        subtitle=(
            f"{day.year}年{day.month}月{day.day}日（星期{weekday}）　"
            f"生成时间：{brief.generated_at.astimezone(tz):%Y-%m-%d %H:%M}"
        ),
        file_stem=f"舆情日报_{day.isoformat()}",
        ascii_stem=f"daily-brief-{day.isoformat()}",
        sections=[
            _overview(brief),
            _hot_section(brief, tz),
            _new_issue_section(brief, tz),
            _clock_section(brief, tz),
            _sentiment_section(brief),
        ],
        notes=[
            f"统计时段为{day.isoformat()} 0:00至24:00（北京时间），按信息发布时间计。",
            "当前热度为生成时的最新热度分，标记时热度为首次达到预警线时的得分（满分均为100）；"
            "研判说明列出当前热度的各项信号。",
            "情绪按 SnowNLP 得分划分：低于0.4为负面，0.4至0.6为中性，0.6及以上为正面；"
            "负面占比按已评分信息计算。",
            f"时限状态截至{brief.as_of.astimezone(tz):%Y-%m-%d %H:%M}。",
        ],
    )


def _overview(brief: DailyBrief) -> Section:
    change = brief.total - brief.previous_total
    if brief.previous_total:
        trend = f"较前一日{'增加' if change >= 0 else '减少'}{abs(change)}条"
        trend += f"（{change / brief.previous_total:+.1%}）"
    else:
        trend = "前一日无信息"
    today = brief.sentiment[-1]
    share = today.negative_share
    text = f"当日共监测到相关信息{brief.total}条，{trend}。"
    if share is not None:
        text += f"其中负面信息{today.negative}条，占已评分信息的{share:.1%}。"
    paragraphs = [text]
    if brief.keywords:
        paragraphs.append("当日热词：" + "、".join(brief.keywords) + "。")
    rows = [
        (s.title, s.source, s.count, s.previous, s.count / brief.total if brief.total else None)
        for s in brief.by_source
    ]
    rows.append(("合计", None, brief.total, brief.previous_total, 1.0 if brief.total else None))
    return Section(
        heading="一、舆情总体情况",
        paragraphs=paragraphs,
        charts=[
            Chart(charts.hourly_volume(brief.hourly, title="当日分时声量"), "图1　当日分时声量")
        ],
        tables=[
            Table(
                sheet="来源声量",
                caption="表1　各来源信息量",
                columns=(
                    Column("来源", width=28),
                    Column("来源标识", width=16),
                    Column("当日条数", Kind.INT),
                    Column("前一日条数", Kind.INT),
                    Column("占比", Kind.PERCENT, width=10),
                ),
                rows=rows,
            )
        ],
    )


def _hot_section(brief: DailyBrief, tz: ZoneInfo) -> Section:
    rows = [
        (
            rank,
            h.title,
            h.score,
            h.flag_score,
            h.size,
            "、".join(h.keywords[:6]),
            local_naive(h.flagged_at, tz),
            h.status,
            "、".join(f"#{i}" for i in h.tracked_issue_ids),
            "\n".join(h.explanation),
        )
        for rank, h in enumerate(brief.hot_issues, start=1)
    ]
    count = len(brief.hot_issues)
    text = (
        f"当日有帖子更新的热点问题按热度排序如下（至多列出{HOT_LIMIT}个），共{count}个。"
        if count
        else "当日没有达到预警线的热点问题。"
    )
    return Section(
        heading="二、热点问题",
        paragraphs=[text],
        tables=[
            Table(
                sheet="热点问题",
                caption="表2　热点问题及研判说明",
                columns=(
                    Column("序号", Kind.INT, width=6),
                    Column("热点问题", width=30),
                    Column("当前热度", Kind.SCORE, width=9),
                    Column("标记时热度", Kind.SCORE, width=10),
                    Column("帖子数", Kind.INT, width=8),
                    Column("关键词", width=24),
                    Column("标记时间", Kind.DATETIME, width=17),
                    Column("状态", width=10),
                    Column("跟踪事项", width=10),
                    Column("研判说明", width=60),
                ),
                rows=rows,
                empty="无。",
            )
        ],
    )


def _new_issue_section(brief: DailyBrief, tz: ZoneInfo) -> Section:
    rows = [
        (
            i.id,
            i.title,
            i.severity,
            i.status,
            i.department or "未指定",
            local_naive(i.detected_at, tz),
            local_naive(i.created_at, tz),
        )
        for i in brief.new_issues
    ]
    return Section(
        heading="三、新增跟踪事项",
        paragraphs=[f"当日新增跟踪事项{len(rows)}件。"],
        tables=[
            Table(
                sheet="新增跟踪事项",
                caption="表3　新增跟踪事项",
                columns=(
                    Column("编号", Kind.INT, width=8),
                    Column("事项", width=36),
                    Column("等级", width=10),
                    Column("状态", width=10),
                    Column("牵头单位", width=18),
                    Column("发现时间", Kind.DATETIME, width=17),
                    Column("立项时间", Kind.DATETIME, width=17),
                ),
                rows=rows,
                empty="当日无新增跟踪事项。",
            )
        ],
    )


def _clock_section(brief: DailyBrief, tz: ZoneInfo) -> Section:
    next_day = brief.day + timedelta(days=1)
    as_of = brief.as_of.astimezone(tz)
    due_rows = [
        (
            c.issue_id,
            c.issue_title,
            c.department or "未指定",
            c.label,
            local_naive(c.due_at, tz),
            (c.due_at - brief.as_of).total_seconds() / 3600,
        )
        for c in brief.clocks_due
    ]
    breached_rows = [
        (
            c.issue_id,
            c.issue_title,
            c.department or "未指定",
            c.label,
            local_naive(c.due_at, tz),
            local_naive(c.met_at, tz),
            c.late_hours,
            "超时完成" if c.met_at is not None else "超时未完成",
        )
        for c in brief.clocks_breached
    ]
    common = (
        Column("编号", Kind.INT, width=8),
        Column("事项", width=36),
        Column("牵头单位", width=18),
        Column("时限", width=14),
        Column("应完成时间", Kind.DATETIME, width=17),
    )
    return Section(
        heading="四、时限提醒",
        paragraphs=[
            f"截至{as_of:%Y-%m-%d %H:%M}，{len(due_rows)}项回应时限将于"
            f"{next_day.month}月{next_day.day}日24时前到期，{len(breached_rows)}项已超时。"
        ],
        tables=[
            Table(
                sheet="即将到期",
                caption=f"表4　{next_day.month}月{next_day.day}日24时前到期的时限",
                columns=(*common, Column("剩余（小时）", Kind.HOURS, width=12)),
                rows=due_rows,
                empty="无即将到期的时限。",
            ),
            Table(
                sheet="已超时",
                caption="表5　已超时的时限（尚未完成的，以及当日超时完成的）",
                columns=(
                    *common,
                    Column("完成时间", Kind.DATETIME, width=17),
                    Column("超时（小时）", Kind.HOURS, width=12),
                    Column("情况", width=12),
                ),
                rows=breached_rows,
                empty="无超时的时限。",
            ),
        ],
    )


def _sentiment_section(brief: DailyBrief) -> Section:
    days = [f"{s.day.month}月{s.day.day}日" for s in brief.sentiment]
    png = charts.sentiment_trend(
        days,
        [s.negative for s in brief.sentiment],
        [s.neutral for s in brief.sentiment],
        [s.positive for s in brief.sentiment],
        title=f"近{TREND_DAYS}日情绪走势",
    )
    rows = [
        (
            s.day.isoformat(),
            s.total,
            s.negative,
            s.neutral,
            s.positive,
            s.unscored,
            s.negative_share,
        )
        for s in brief.sentiment
    ]
    return Section(
        heading="五、情绪走势",
        charts=[Chart(png, f"图2　近{TREND_DAYS}日情绪走势")],
        tables=[
            Table(
                sheet="情绪走势",
                caption=f"表6　近{TREND_DAYS}日情绪分布",
                columns=(
                    Column("日期", width=12),
                    Column("总量", Kind.INT),
                    Column("负面", Kind.INT),
                    Column("中性", Kind.INT),
                    Column("正面", Kind.INT),
                    Column("未评分", Kind.INT),
                    Column("负面占比", Kind.PERCENT),
                ),
                rows=rows,
            )
        ],
    )
