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
