"""The world the access matrix and the fuzzer test in: a seeded tracker with something behind
every endpoint (two departments, a user per role, an issue led by each department, hot issues
with members and an alert, a briefing, an API token), built through the API of a TestClient."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.alerts import service as outbox
from api.alerts.models import Level, NotificationKind
from api.hot_issues.models import HotIssue, HotIssuePost
from crawler.sources import load_sources
from tests.helpers import PASSWORD, Headers, login, make_user, new_token

ANONYMOUS, ADMIN, ANALYST, LEADER, PRESS, HANDLER = (
    "anonymous", "admin", "analyst", "leader", "press", "handler",
)  # fmt: skip
NOW = datetime.now(UTC)
DEPT_A, DEPT_B = "市住建局", "市交通局"


@dataclass
class World:
    """A seeded tracker: two departments, a user per role, an issue led by each department,
    hot issues with members, a briefing, an API token; `ids` fills the path parameters."""

    app: FastAPI
    client: TestClient
    admin: Headers
    ids: dict[str, Any] = field(default_factory=dict)
    users: dict[str, Headers] = field(default_factory=dict)

    def version(self, issue_id: int) -> int:
        reply = self.client.get(f"/api/issues/{issue_id}", headers=self.admin)
        assert reply.status_code == 200, reply.text
        return reply.json()["version"]

    def issue(self, issue_id: int) -> dict[str, Any]:
        reply = self.client.get(f"/api/issues/{issue_id}", headers=self.admin)
        assert reply.status_code == 200, reply.text
        return reply.json()


def _post(
    id_: str, department: str, published: datetime, title: str, cluster: int | None = None
) -> dict[str, Any]:
    return {
        "id": id_,
        "source": "city-board",
        "kind": "board",
        "title": title,
        "text": f"{title}，请{department}尽快处理。",
        "published_at": published.isoformat(),
        "assigned_department": department,
        "sentiment": 0.2,
        "cluster_id": str(cluster) if cluster is not None else None,
    }


def _hot_issue(title: str, keywords: list[str], size: int, seen: datetime) -> HotIssue:
    return HotIssue(
        title=title,
        keywords=keywords,
        centroid={},
        as_of=seen,
        first_seen=seen - timedelta(hours=2),
        last_seen=seen,
        size=size,
        signals=[],
        explanation=["突发：近1小时12条"],
        stats={},
        flagged_at=seen,
        flag_explanation=["突发：近1小时12条"],
        score=65,
    )


def _member(post: dict[str, Any], hot_id: int) -> HotIssuePost:
    return HotIssuePost(
        post_id=post["id"],
        hot_issue_id=hot_id,
        published_at=datetime.fromisoformat(post["published_at"]),
        source=post["source"],
        kind=post["kind"],
        title=post["title"],
        sentiment=post["sentiment"],
    )


def seed(app: FastAPI, client: TestClient, admin: Headers, role: str | None = None) -> World:
    """Seed the world; `role` (if a user role) is the one signed in, and owns the API token."""
    world = World(app=app, client=client, admin=admin, users={ADMIN: admin})
    ids = world.ids
    for key, code, name in (("dept_a", "zjj", DEPT_A), ("dept_b", "jtj", DEPT_B)):
        reply = client.post("/api/departments", json={"code": code, "name": name}, headers=admin)
        assert reply.status_code == 201, reply.text
        ids[key] = reply.json()["id"]
    for name in (ANALYST, LEADER, PRESS, HANDLER):
        department = ids["dept_a"] if name == HANDLER else None
        ids[f"user_{name}"] = make_user(client, admin, name, name, department)
    if role not in (None, ANONYMOUS, ADMIN):
        world.users[role] = login(client, role, PASSWORD)

    # Posts in the store: two of department A in the first hot issue, one of B in the second.
    seen = NOW - timedelta(hours=6)
    posts = [
        _post("board:a1", DEPT_A, seen - timedelta(hours=2), "小区拆迁补偿款未到位", 1),
        _post("board:a2", DEPT_A, seen - timedelta(hours=1), "拆迁补偿标准不透明", 1),
        _post("board:b1", DEPT_B, seen, "公交线路调整后换乘不便", 2),
        _post("board:a3", DEPT_A, seen, "工地夜间施工噪音扰民", 3),
    ]
    app.state.store.upsert(posts)
    with app.state.session_factory() as session:
        first = _hot_issue("拆迁补偿款未到位", ["拆迁", "补偿"], 2, seen)
        second = _hot_issue("公交线路调整", ["公交", "线路"], 1, seen)
        third = _hot_issue("夜间施工噪音", ["施工", "噪音"], 1, seen)
        session.add_all([first, second, third])
        session.flush()
        session.add_all([_member(posts[0], first.id), _member(posts[1], first.id)])
        session.add(_member(posts[2], second.id))
        session.add(_member(posts[3], third.id))
        alert = outbox.enqueue(
            session=session,
            kind=NotificationKind.HOT_ISSUE,
            subject_id=first.id,
            level=Level.NORMAL,
            title=first.title,
            facts=[("热度评分", "70.0")],
            body=["突发：近1小时2条"],
            link=f"/triage#hot-{first.id}",
            data={"hot_issue_id": first.id, "score": 70.0},
            now=seen,
        )
        session.commit()
        ids["hot_id"], ids["other_hot_id"] = first.id, second.id
        # promoted in the matrix: a hot issue is tracked once, and the others stay editable
        ids["promoted_hot_id"], ids["notification_id"] = third.id, alert.id
    ids["post_id"], ids["post_b"] = "board:a1", "board:b1"

    for key, department, title in (
        ("issue_a", ids["dept_a"], "拆迁补偿款迟迟未发放"),
        ("issue_b", ids["dept_b"], "公交线路调整引发投诉"),
    ):
        body = {
            "title": title,
            "severity": "relatively_major",
            "lead_department_id": department,
            "detected_at": (NOW - timedelta(hours=3)).isoformat(),
        }
        reply = client.post("/api/issues", json=body, headers=admin)
        assert reply.status_code == 201, reply.text
        issue = world.issue(reply.json()["id"])
        assert issue["timeline"] and issue["clocks"], issue
        ids[key] = issue["id"]
        ids[f"{key}_event"] = issue["timeline"][0]["id"]
        ids[f"{key}_clock"] = issue["clocks"][0]["id"]
    ids["issue_id"], ids["event_id"], ids["clock_id"] = (
        ids["issue_a"], ids["issue_a_event"], ids["issue_a_clock"],
    )  # fmt: skip

    briefing = {
        "kind": "press_release",
        "title": "关于拆迁补偿款发放进度的情况通报",
        "at": (NOW - timedelta(hours=1)).isoformat(),
        "url": "https://example.gov.cn/briefing/1",
    }
    reply = client.post("/api/briefings", json=briefing, headers=admin)
    assert reply.status_code == 201, reply.text
    ids["briefing_id"] = reply.json()["id"]

    owner = ids.get(f"user_{role}")  # the API token is the role's own, else the admin's
    ids["token_id"] = new_token(client, admin, **({"user_id": owner} if owner else {}))["id"]
    ids["department_id"] = ids["dept_a"]
    ids["name"] = next(iter(load_sources(app.state.settings.crawler.sources_file)))
    return world
