"""The demo's tracked issues: the sample city's incidents as the office handled them.

`seed` enters them through the tracker's own services (create, assign, brief, close), then
dates each step at the moment the scenario puts it, relative to today like the sample city's
posts: the water outage answered within minutes but its press conference a day late, the
school-zoning row interpreted in time, the night-time odour answered late and still without
a press conference, and two issues of 市住建局 (the demo handler's department) still running.
So the leader's view shows met, breached and running clocks from the first minute.

The demo's hot issues appear only once the crawl and the clustering job have run, so
`link_hot_issues` links each incident to its flagged hot issues (and marks them promoted)
whenever they turn up; `start` does it every analysis interval beside the demo server.

Both are idempotent: an issue whose title exists is left alone, a hot issue is linked once.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.models import User
from api.auth.service import find_by_username
from api.briefings import service as briefings
from api.briefings.models import BriefingIssue, BriefingKind
from api.database import session_scope, utcnow
from api.departments.service import find_by_code
from api.hot_issues import service as hot_issues
from api.hot_issues.models import HotIssue
from api.issues import service as issues
from api.issues.models import IssueStatus, Severity, TimelineEvent, TrackedIssue
from core.errors import YuqingError
from core.settings import Settings
from core.timezone import SHANGHAI

log = logging.getLogger(__name__)

# A moment of the scenario: (days relative to today, "HH:MM" local time), or hours before now.
Moment = tuple[int, str] | float


@dataclass(frozen=True)
class DemoBriefing:
    kind: BriefingKind
    title: str
    at: Moment
    spokesperson: str


@dataclass(frozen=True)
class DemoIssue:
    title: str
    severity: Severity
    lead: str  # department code
    detected: Moment
    assigned: Moment | None = None
    briefings: tuple[DemoBriefing, ...] = ()
    closed: tuple[Moment, str] | None = None
    summary: str = ""
    category: str | None = None
    supporting: tuple[str, ...] = ()
    policy_published: Moment | None = None
    hotline_category: str | None = None
    # Words that name the incident's hot issues (in their title or keywords).
    match: tuple[str, ...] = field(default=())


SCENARIO: tuple[DemoIssue, ...] = (
    DemoIssue(
        title="滨江路供水主管爆管致临江区多个小区停水",
        severity=Severity.MAJOR,
        lead="swj",
        supporting=("swjt",),
        category="供水",
        detected=(-6, "07:30"),
        assigned=(-6, "07:45"),
        briefings=(
            DemoBriefing(
                BriefingKind.PRESS_RELEASE,
                "关于滨江路供水主管爆管抢修及临时供水的通知",
                (-6, "07:55"),
                "江澜水务",
            ),
            DemoBriefing(
                BriefingKind.PRESS_CONFERENCE,
                "临江区停水抢修进展新闻发布会",
                (-5, "15:00"),
                "市水务局",
            ),
        ),
        closed=((-3, "15:00"), "截至14时受影响区域已全部恢复供水，复水初期水质提示已发布。"),
        summary="滨江路与望潮街交叉口DN800供水主管爆管，望潮苑、江畔花园等小区停水或水压偏低。",
        match=("停水", "供水"),
    ),
    DemoIssue(
        title="滨湖区义务教育招生划片方案引发家长集中反映",
        severity=Severity.RELATIVELY_MAJOR,
        lead="jyj",
        category="政策解读",
        policy_published=(-10, "17:30"),
        detected=(-9, "20:00"),
        assigned=(-9, "20:30"),
        briefings=(
            DemoBriefing(
                BriefingKind.POLICY_INTERPRETATION,
                "市教育局就滨湖区招生划片征求意见稿答记者问",
                (-7, "18:00"),
                "市教育局",
            ),
            DemoBriefing(
                BriefingKind.PRESS_CONFERENCE,
                "滨湖区义务教育招生工作新闻发布会",
                (-4, "11:20"),
                "滨湖区教育局",
            ),
        ),
        summary="翠湖湾、星澜湾、澜庭三个小区家长对划片方案集中提出意见，并出现联名转发。",
        match=("划片", "学区"),
    ),
    DemoIssue(
        title="青山化工园周边小区夜间异味扰民",
        severity=Severity.MAJOR,
        lead="sthj",
        category="环境",
        detected=(-4, "22:30"),
        assigned=(-4, "23:10"),
        briefings=(
            DemoBriefing(
                BriefingKind.PRESS_RELEASE,
                "关于青山区部分小区夜间异味问题的情况通报",
                (-3, "17:00"),
                "市生态环境局",
            ),
        ),
        summary="翠微苑、山水华庭、槐树湾社区居民连续多晚反映夜间刺鼻气味。",
        match=("异味", "气味", "臭味"),
    ),
    DemoIssue(
        title="多个小区反映物业费上涨未公示收支明细",
        severity=Severity.GENERAL,
        lead="zjj",
        category="物业管理",
        detected=40.0,
        assigned=39.0,
        summary="留言板与热线集中反映物业费涨价未经业主大会表决、收支明细不公开。",
    ),
    DemoIssue(
        title="12345工单：老旧小区加装电梯协调难",
        severity=Severity.GENERAL,
        lead="zjj",
        category="城乡建设",
        hotline_category="投诉",
        detected=20.0,
        assigned=19.5,
        summary="低层住户反对、施工许可与资金分摊协调困难，诉求人要求住建部门牵头协调。",
    ),
)


class _Timeline:
    """Turns scenario moments into instants, and dates what the services wrote."""

    def __init__(self, settings: Settings, now: datetime) -> None:
        zone = SHANGHAI
        self.now = now
        self.midnight = datetime.combine(now.astimezone(zone).date(), time(0), zone)

    def at(self, moment: Moment) -> datetime:
        if isinstance(moment, tuple):
            day, clock = moment
            hours, minutes = (int(part) for part in clock.split(":"))
            instant = self.midnight + timedelta(days=day, hours=hours, minutes=minutes)
        else:
            instant = self.now - timedelta(hours=moment)
        # Never in the future: a service would refuse it, and it would not have happened yet.
        return min(instant, self.now - timedelta(minutes=1))


def _latest_event(session: Session, issue_id: int) -> int:
    found = session.scalar(
        select(TimelineEvent.id)
        .where(TimelineEvent.issue_id == issue_id)
        .order_by(TimelineEvent.id.desc())
        .limit(1)
    )
    return found or 0


def _date_events(session: Session, issue_id: int, after: int, at: datetime) -> None:
    """Give the events a step wrote (ids after `after`) the step's own time."""
    session.flush()
    for event in session.scalars(
        select(TimelineEvent).where(TimelineEvent.issue_id == issue_id, TimelineEvent.id > after)
    ):
        event.at = at


def _user(session: Session, username: str) -> User:
    user = find_by_username(session=session, username=username)
    if user is None:
        raise YuqingError(f"the demo needs the user {username!r}; create the demo users first")
    return user


def _department_id(session: Session, code: str) -> int:
    department = find_by_code(session=session, code=code)
    if department is None:
        raise YuqingError(f"the demo needs the department {code!r} from the departments file")
    return department.id


def _enter(session: Session, settings: Settings, spec: DemoIssue, clock: _Timeline) -> int:
    analyst, press = _user(session, "analyst"), _user(session, "press")
    detected = clock.at(spec.detected)
    issue = issues.create_issue(
        session=session,
        title=spec.title,
        summary=spec.summary,
        category=spec.category,
        severity=spec.severity,
        actor=analyst,
        detected_at=detected,
        tags=["演示"],
        policy_published_at=clock.at(spec.policy_published) if spec.policy_published else None,
        hotline_category=spec.hotline_category,
        supporting_department_ids=[_department_id(session, c) for c in spec.supporting],
        settings=settings,
    )
    issue.created_at = issue.updated_at = detected
    _date_events(session, issue.id, 0, detected)
    if spec.assigned is not None:
        at = clock.at(spec.assigned)
        before = _latest_event(session, issue.id)
        issues.update_issue(
            session=session,
            issue_id=issue.id,
            expected_version=issue.version,
            changes={
                "status": IssueStatus.ASSIGNED,
                "lead_department_id": _department_id(session, spec.lead),
            },
            actor=analyst,
            settings=settings,
        )
        issue.assigned_at = issue.updated_at = at
        _date_events(session, issue.id, before, at)
    for item in spec.briefings:
        at = clock.at(item.at)
        before = _latest_event(session, issue.id)
        briefing = briefings.create(
            session=session,
            kind=item.kind,
            title=item.title,
            at=at,
            url=None,
            spokesperson=item.spokesperson,
            note="演示数据",
            actor=press,
        )
        briefing.created_at = at
        briefings.link(
            session=session, briefing=briefing, ids=[issue.id], actor=press, settings=settings
        )
        for row in session.scalars(select(BriefingIssue).where(BriefingIssue.issue_id == issue.id)):
            if row.briefing_id == briefing.id:
                row.linked_at = at
        issue.updated_at = at
        _date_events(session, issue.id, before, at)
    if spec.closed is not None:
        moment, resolution = spec.closed
        at = clock.at(moment)
        before = _latest_event(session, issue.id)
        issues.update_issue(
            session=session,
            issue_id=issue.id,
            expected_version=issue.version,
            changes={"status": IssueStatus.CLOSED},
            actor=analyst,
            note=resolution,
            settings=settings,
        )
        issue.closed_at = issue.updated_at = at
        _date_events(session, issue.id, before, at)
    session.flush()
    return issue.id


def seed(settings: Settings, now: datetime | None = None) -> list[int]:
    """Enter the scenario's issues that are not in the tracker yet; returns their ids."""
    clock = _Timeline(settings, now or utcnow())
    created = []
    with session_scope(settings.database.url) as session:
        for spec in SCENARIO:
            exists = session.scalar(select(TrackedIssue.id).where(TrackedIssue.title == spec.title))
            if exists is None:
                created.append(_enter(session, settings, spec, clock))
    if created:
        log.info("demo: entered %d tracked issues", len(created))
    return created


def _matches(hot: HotIssue, words: tuple[str, ...]) -> bool:
    text = hot.title + " " + " ".join(hot.keywords or [])
    return any(word in text for word in words)


def link_hot_issues(settings: Settings) -> int:
    """Track the incidents' flagged hot issues as part of their tracked issues (each hot issue
    once: `issues.add_hot_issue` refuses one tracked already); returns how many this time."""
    linked = 0
    with session_scope(settings.database.url) as session:
        analyst = find_by_username(session=session, username="analyst")
        flagged, _ = hot_issues.list_hot(session=session, limit=200)
        untracked = [hot for hot in flagged if hot.issue_id is None]
        for spec in SCENARIO:
            if not spec.match:
                continue
            issue = session.scalar(select(TrackedIssue).where(TrackedIssue.title == spec.title))
            if issue is None:
                continue
            for hot in untracked:
                if hot.issue_id is None and _matches(hot, spec.match):
                    issues.add_hot_issue(
                        session=session, issue=issue, hot_issue_id=hot.id, actor=analyst
                    )
                    session.refresh(hot)
                    linked += 1
    if linked:
        log.info("demo: linked %d hot issues to the demo's tracked issues", linked)
    return linked


def start(settings: Settings, stop: threading.Event) -> threading.Thread:
    """Seed now, then link hot issues as the clustering job flags them, until `stop`."""
    seed(settings)

    def loop() -> None:
        while not stop.is_set():
            try:
                link_hot_issues(settings)
            except Exception:
                log.exception("demo: linking hot issues failed; retrying at the next interval")
            stop.wait(settings.analysis.interval_seconds)

    thread = threading.Thread(target=loop, name="demo-tracker", daemon=True)
    thread.start()
    return thread
