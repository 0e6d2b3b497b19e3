"""The demo's tracked issues: entered once whatever the restarts, dated by the scenario so the
leader's view shows met, breached and running clocks, and linked to the incidents' hot issues
when the clustering job flags them (not before)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from analysis.routing import load_routing_file
from api.auth.models import Role
from api.auth.service import create_user
from api.database import session_scope
from api.departments.service import create_department
from api.hot_issues.models import HotIssue
from api.issues.models import IssueLink, TrackedIssue
from api.migrating import migrate
from core.settings import Settings
from tests.helpers import app_settings
from yuqing.app import create_app
from yuqing.demo import tracker as demo_tracker


def _settings(tmp_path: Path) -> Settings:
    settings = app_settings(tmp_path)
    migrate(settings.database.url)
    with session_scope(settings.database.url) as session:
        for department in load_routing_file(settings.analysis.departments_file).departments:
            create_department(session=session, code=department.code, name=department.name)
        for role in ("analyst", "press", "leader"):
            create_user(session=session, username=role, password=f"{role}-demo", role=Role(role))
    return settings


def _hot(title: str, keywords: list[str]) -> HotIssue:
    seen = datetime.now(UTC) - timedelta(days=5)
    return HotIssue(
        title=title,
        keywords=keywords,
        centroid={},
        as_of=seen,
        first_seen=seen,
        last_seen=seen,
        size=30,
        signals=[],
        explanation=["突发：近1小时30条"],
        stats={},
        flagged_at=seen,
        flag_explanation=["突发：近1小时30条"],
        score=70,
    )


def test_the_demo_enters_its_issues_once_with_met_and_breached_clocks(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    created = demo_tracker.seed(settings)
    assert len(created) == len(demo_tracker.SCENARIO)
    assert demo_tracker.seed(settings) == []  # a restart adds nothing
    with session_scope(settings.database.url) as session:
        assert session.scalar(select(func.count()).select_from(TrackedIssue)) == len(created)

    with TestClient(create_app(settings)) as client:
        login = client.get("/login").text
        nonce = re.search(r'name="csrf_token" value="([^"]+)"', login)
        assert nonce is not None
        form = {"username": "leader", "password": "leader-demo", "csrf_token": nonce.group(1)}
        assert client.post("/login", data=form, follow_redirects=False).status_code == 303
        page = client.get("/leader").text
    statuses = set(re.findall(r'data-clock-status="(\w+)"', page))
    assert {"met", "breached", "running"} <= statuses, statuses
    water = demo_tracker.SCENARIO[0].title
    assert water not in page.split("近期办结")[0]  # closed: not among the open issues
    assert water in page.split("近期办结")[1]


def test_hot_issues_are_linked_once_they_are_flagged(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    demo_tracker.seed(settings)
    assert demo_tracker.link_hot_issues(settings) == 0  # no hot issue yet: nothing to do
    with session_scope(settings.database.url) as session:
        session.add_all(
            [
                _hot("#临江区停水# 停水一整天了", ["停水", "临江区"]),
                _hot("翠微苑夜里刺鼻异味", ["异味", "翠微苑"]),
                _hot("35路公交班次太少", ["公交", "班次"]),
            ]
        )
    assert demo_tracker.link_hot_issues(settings) == 2
    assert demo_tracker.link_hot_issues(settings) == 0
    with session_scope(settings.database.url) as session:
        links = {
            title: ref
            for title, ref in session.execute(
                select(TrackedIssue.title, IssueLink.ref).join(
                    IssueLink, IssueLink.issue_id == TrackedIssue.id
                )
            )
        }
        hot = {h.title: h for h in session.scalars(select(HotIssue))}
    water, _, odour = (spec.title for spec in demo_tracker.SCENARIO[:3])
    assert links == {
        water: str(hot["#临江区停水# 停水一整天了"].id),
        odour: str(hot["翠微苑夜里刺鼻异味"].id),
    }
    assert hot["#临江区停水# 停水一整天了"].status == "promoted"
    assert hot["35路公交班次太少"].status == "new"
