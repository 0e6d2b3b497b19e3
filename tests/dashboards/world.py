"""A seeded product for the page tests, served by real uvicorn on 127.0.0.1 in a thread.

Posts are analysed by the product's pipeline, stored in a real SQLite post store and clustered
by the real job (a water outage burst becomes a flagged hot issue with an alert). Departments,
a user per role, tracked issues and briefings are entered through the services, with times
relative to now: one issue whose clocks are breached, one answered in time, one of the
handler's department still running, one new, one promoted from the hot issue.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from api.auth.models import Role
from api.auth.service import create_user, find_by_username
from api.briefings import service as briefings
from api.briefings.models import BriefingKind
from api.database import session_scope
from api.departments.service import create_department
from api.hot_issues.models import HotIssue
from api.issues import service as issues
from api.issues.models import IssueStatus, Severity
from store.models import Post
from tests.factories import BACKGROUND, OUTAGE, Product, post_from
from tests.helpers import Http, serve_app
from yuqing.app import create_app

PASSWORD = "page-password-1"
ROLES = ("analyst", "leader", "press", "handler")
DEPT_A, DEPT_B, DEPT_C = "市水务局", "市住建局", "市生态环境局"

# Night-time odour near the chemical park, in residents' words: a second topic for later.
ODOUR = [
    ("hotline", "青山化工园附近翠微苑晚上又有刺鼻异味，关窗都挡不住，孩子咳嗽"),
    ("board", "青山化工园夜间异味严重，翠微苑居民要求环保部门夜间执法监测"),
    ("microblog", "#青山化工园异味# 半夜被臭味熏醒，刺鼻的化学味道，到底谁来管"),
    ("hotline", "山水华庭夜里异味很重，像烧塑料的味道，怀疑化工园偷排"),
    ("microblog", "青山化工园异味第三晚了，窗户都不敢开，环保部门在哪里"),
    ("board", "强烈要求监测青山化工园夜间排放，异味影响周边居民休息"),
    ("hotline", "槐树湾社区晚上十一点后异味明显，头晕恶心，请环保部门查处"),
    ("microblog", "#青山化工园异味# 今晚异味又来了，刺鼻难闻，家里老人喘不过气"),
    ("board", "化工园夜间异味扰民，请生态环境局公开监测数据"),
    ("hotline", "翠微苑异味问题反映多次没有结果，夜里刺鼻气味持续两小时"),
    ("microblog", "青山化工园的异味什么时候能解决，晚上睡觉都要戴口罩"),
    ("board", "青山区化工园夜间刺鼻异味，居民呼吁彻查偷排"),
]


@dataclass
class Site:
    """The served product and the ids the tests need."""

    base: str
    product: Product
    ids: dict[str, Any] = field(default_factory=dict)

    def api(self, username: str) -> Http:
        """An API client signed in with a bearer token, to check what the pages did."""
        password = self.product.settings.admin_password.get_secret_value()
        return Http(self.base).as_user(username, PASSWORD if username != "admin" else password)

    def add_odour_burst(self) -> None:
        now = datetime.now(UTC)
        start = now - timedelta(minutes=50)
        step = timedelta(minutes=45) / len(ODOUR)
        self.product.add(
            [
                post_from(kind, text, start + i * step, region="青山区")
                for i, (kind, text) in enumerate(ODOUR)
            ]
        )
        self.product.job().run(now=now)

    def hot_issue_id(self, word: str) -> int:
        with session_scope(self.product.engine) as session:
            found = session.scalar(
                select(HotIssue.id)
                .where(HotIssue.flagged_at.is_not(None), HotIssue.title.contains(word))
                .order_by(HotIssue.score.desc())
            )
        assert found is not None, f"no flagged hot issue about {word}"
        return found


def _posts(now: datetime) -> list[Post]:
    start = now - timedelta(minutes=55)
    step = timedelta(minutes=50) / len(OUTAGE)
    outage = [
        post_from(kind, text, start + i * step, region="临江区")
        for i, (kind, text) in enumerate(OUTAGE)
    ]
    background = [
        post_from("board", text, now - timedelta(days=6, hours=-i * 14), region="滨湖区")
        for i, text in enumerate(BACKGROUND)
    ]
    notice = post_from(
        "microblog",
        "【停水通知】望潮苑片区供水管道爆管抢修中，预计今日18时前恢复供水，"
        "望潮苑停水期间设置临时供水点",
        now - timedelta(minutes=20),
        source="gov-weibo",
        author="江澜水务",
        url="https://weibo.example.cn/jianglan-water/1",
    )
    orders = [
        post_from(
            "hotline",
            "翠湖湾小区物业费上涨未经业主大会表决，收支明细不公开，请住建部门督促整改",
            now - timedelta(days=3),
            case_no="JL-B-0001",
            category="投诉",
            assigned_department=DEPT_B,
            status="办理中",
            deadline=now - timedelta(days=1),
            region="滨湖区",
        ),
        post_from(
            "hotline",
            "临江新村二次供水水箱清洗后水压仍然偏低，请水务部门检查",
            now - timedelta(days=2),
            case_no="JL-A-0001",
            category="求助",
            assigned_department=DEPT_A,
            status="办理中",
            deadline=now + timedelta(days=1),
            region="临江区",
        ),
    ]
    return [*background, *outage, notice, *orders]


def _seed_tracker(product: Product, now: datetime, ids: dict[str, Any]) -> None:
    settings = product.settings
    with session_scope(product.engine) as session:
        for key, code, name in (("dept_a", "swj", DEPT_A), ("dept_b", "zjj", DEPT_B)):
            ids[key] = create_department(session=session, code=code, name=name).id
        ids["dept_c"] = create_department(session=session, code="sthj", name=DEPT_C).id
        users = {
            role: create_user(
                session=session,
                username=role,
                password=PASSWORD,
                role=Role(role),
                department_id=ids["dept_b"] if role == "handler" else None,
            )
            for role in ROLES
        }
        analyst, press = users["analyst"], users["press"]

        def assign(issue_id: int, department: int) -> None:
            issue = issues.get(session=session, issue_id=issue_id)
            assert issue is not None
            issues.update_issue(
                session=session,
                issue_id=issue_id,
                expected_version=issue.version,
                changes={"status": IssueStatus.ASSIGNED, "lead_department_id": department},
                actor=analyst,
                settings=settings,
            )

        # Nothing said for 30 hours on a 重大 issue: both its clocks are breached.
        breached = issues.create_issue(
            session=session,
            title="青山化工园周边夜间异味扰民",
            severity=Severity.MAJOR,
            detected_at=now - timedelta(hours=30),
            actor=analyst,
            settings=settings,
        )
        assign(breached.id, ids["dept_c"])
        # Answered two hours after detection: its 48-hour response clock is met.
        answered = issues.create_issue(
            session=session,
            title="镜湖公园周边停车难",
            severity=Severity.RELATIVELY_MAJOR,
            detected_at=now - timedelta(hours=10),
            actor=analyst,
            settings=settings,
        )
        assign(answered.id, ids["dept_a"])
        release = briefings.create(
            session=session,
            kind=BriefingKind.PRESS_RELEASE,
            title="关于镜湖公园周边停车问题的情况说明",
            at=now - timedelta(hours=8),
            url="https://www.example.gov.cn/briefing/1",
            spokesperson="市水务局",
            note=None,
            actor=press,
        )
        briefings.link(
            session=session,
            briefing=release,
            ids=[answered.id],
            actor=press,
            settings=product.settings,
        )
        # The handler's department: running.
        running = issues.create_issue(
            session=session,
            title="翠湖湾物业费上涨未公示",
            severity=Severity.GENERAL,
            detected_at=now - timedelta(hours=5),
            actor=analyst,
            settings=settings,
        )
        assign(running.id, ids["dept_b"])
        fresh = issues.create_issue(
            session=session,
            title="紫荆路路灯多处损坏",
            severity=Severity.GENERAL,
            detected_at=now - timedelta(hours=1),
            actor=analyst,
            settings=settings,
        )
        # A briefing not linked to anything yet, for the press officer to link.
        conference = briefings.create(
            session=session,
            kind=BriefingKind.PRESS_CONFERENCE,
            title="青山区环境问题新闻发布会",
            at=now - timedelta(hours=2),
            url=None,
            spokesperson="市生态环境局",
            note=None,
            actor=press,
        )
        session.flush()
        ids.update(
            issue_breached=breached.id,
            issue_met=answered.id,
            issue_b=running.id,
            issue_new=fresh.id,
            briefing_release=release.id,
            briefing_conference=conference.id,
        )


def _promote(product: Product, ids: dict[str, Any]) -> None:
    """A tracked issue for the outage hot issue, as a promotion makes it (awaiting a
    statement, with the official notice as its candidate)."""
    with session_scope(product.engine) as session:
        hot = session.scalar(
            select(HotIssue)
            .where(HotIssue.flagged_at.is_not(None), HotIssue.title.contains("停水"))
            .order_by(HotIssue.score.desc())
        )
        assert hot is not None, "the outage burst was not flagged"
        analyst = find_by_username(session=session, username="analyst")
        issue = issues.create_issue(
            session=session,
            title="望潮苑片区停水",
            severity=Severity.MAJOR,
            lead_department_id=ids["dept_a"],
            detected_at=hot.flagged_at,
            hot_issue_ids=[hot.id],
            actor=analyst,
            settings=product.settings,
        )
        ids["hot_outage"] = hot.id
        ids["issue_hot"] = issue.id


@contextmanager
def serve(tmp_path: Path) -> Iterator[Site]:
    """Seed a product in `tmp_path` and serve it; stops the server afterwards."""
    product = Product(tmp_path)
    now = datetime.now(UTC)
    product.add(_posts(now))
    product.job().run(now=now)
    ids: dict[str, Any] = {}
    _seed_tracker(product, now, ids)
    _promote(product, ids)
    app = create_app(product.settings, store=product.store)
    try:
        with serve_app(app) as base:
            yield Site(base=base, product=product, ids=ids)
    finally:
        app.state.engine.dispose()
        product.close()
