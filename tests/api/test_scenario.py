"""The tracker's whole path through the real HTTP API (uvicorn on 127.0.0.1): promote a hot
issue, assign it, link a press release and a press conference, close it; the clocks read met
and breached exactly as the timestamps say, the timeline holds every step with its actor, and
the department's on-time rate moves with each statement. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from api.database import session_scope
from api.hot_issues.models import HotIssue
from core.settings import Settings
from store.sqlite import SqlitePostStore
from tests.helpers import ADMIN_PASSWORD, Http, app_settings, serve_app
from yuqing.app import create_app


@pytest.fixture
def served(tracker_url: str, tmp_path: Path) -> Iterator[tuple[Http, Settings]]:
    settings = app_settings(tmp_path, tracker_url)
    store = SqlitePostStore(tmp_path / "posts.db")
    app = create_app(settings, store=store)
    try:
        with serve_app(app) as base:
            yield Http(base), settings
    finally:
        app.state.engine.dispose()
        store.close()


def test_promote_assign_release_conference_close(served: tuple[Http, Settings]) -> None:
    http, settings = served
    admin = http.as_user("admin", ADMIN_PASSWORD)
    dept = admin.ok("POST", "/api/departments", {"code": "swj", "name": "市水务局"}, 201)
    for name, role in (("ana", "analyst"), ("pr", "press"), ("boss", "leader")):
        admin.ok(
            "POST",
            "/api/auth/users",
            {"username": name, "password": f"{name}-password-1", "role": role},
            201,
        )
    analyst = http.as_user("ana", "ana-password-1")
    press = http.as_user("pr", "pr-password-1")
    leader = http.as_user("boss", "boss-password-1")

    now = datetime.now(UTC)
    flagged = now - timedelta(hours=30)
    with session_scope(settings.database.url) as session:
        hot = HotIssue(
            title="临江区望潮苑停水",
            keywords=["停水", "望潮苑"],
            centroid={},
            as_of=flagged,
            first_seen=flagged - timedelta(hours=2),
            last_seen=now,
            size=40,
            signals=[],
            explanation=["突发：近1小时38条"],
            stats={},
            flagged_at=flagged,
            flag_explanation=["突发：近1小时38条"],
            score=70,
        )
        session.add(hot)
        session.flush()
        hot_id = hot.id

    period = {"from": (now - timedelta(days=3)).isoformat(), "to": now.isoformat()}
    query = "/api/reports/departments?" + urllib.parse.urlencode(period)

    # promote: detected when flagged, 重大 -> first statement within 5 h, conference within 24 h
    issue = analyst.ok(
        "POST", "/api/issues/promote", {"hot_issue_id": hot_id, "severity": "major"}, 201
    )
    url = f"/api/issues/{issue['id']}"
    assert datetime.fromisoformat(issue["detected_at"]) == flagged
    assert press.call("POST", "/api/issues/promote", {"hot_issue_id": hot_id})[0] == 403

    issue = analyst.ok(
        "PATCH",
        url,
        {"version": issue["version"], "status": "assigned", "lead_department_id": dept["id"]},
    )
    assert leader.call("PATCH", url, {"version": issue["version"], "title": "x"})[0] == 403

    # nothing said yet, and both deadlines have passed: both clocks breached
    [metrics] = leader.ok("GET", query)
    assert metrics["on_time_rate"] == 0.0 and metrics["breaches"] == 2

    # the press release came 6 h after detection: one hour late for the 5-hour deadline
    release = press.ok(
        "POST",
        "/api/briefings",
        {
            "kind": "press_release",
            "title": "关于望潮苑片区停水的情况通报",
            "at": (flagged + timedelta(hours=6)).isoformat(),
            "url": "https://example.gov.cn/1",
            "spokesperson": "市水务局",
            "issue_ids": [issue["id"]],
        },
        201,
    )
    assert release["issue_ids"] == [issue["id"]]
    [metrics] = leader.ok("GET", query)
    assert metrics["on_time_by_clock"]["first_statement"] == {"met": 0, "breached": 1, "rate": 0.0}
    assert metrics["hours_to_first_statement"]["median"] == 6.0

    # the press conference came 20 h after detection: within its 24 hours
    press.ok(
        "POST",
        "/api/briefings",
        {
            "kind": "press_conference",
            "title": "望潮苑停水新闻发布会",
            "at": (flagged + timedelta(hours=20)).isoformat(),
            "issue_ids": [issue["id"]],
        },
        201,
    )
    detail = leader.ok("GET", url)
    assert detail["status"] == "responded"
    clocks = {c["kind"]: c for c in detail["clocks"]}
    assert clocks["first_statement"]["status"] == "breached"
    assert clocks["first_statement"]["late_by_seconds"] == pytest.approx(3600)
    assert datetime.fromisoformat(clocks["first_statement"]["met_at"]) == flagged + timedelta(
        hours=6
    )
    assert clocks["press_conference"]["status"] == "met"
    assert clocks["press_conference"]["late_by_seconds"] is None

    [metrics] = leader.ok("GET", query)
    assert metrics["on_time_by_clock"]["press_conference"] == {"met": 1, "breached": 0, "rate": 1.0}
    assert metrics["on_time_rate"] == 0.5 and metrics["breaches"] == 1

    # closing needs a resolution note
    code, error = analyst.call("PATCH", url, {"version": detail["version"], "status": "closed"})
    assert code == 400 and "resolution" in error["error"]["message"]
    closed = analyst.ok(
        "PATCH",
        url,
        {"version": detail["version"], "status": "closed", "note": "管网已修复，供水恢复"},
    )
    assert closed["status"] == "closed" and closed["resolution"] == "管网已修复，供水恢复"
    [metrics] = leader.ok("GET", query)
    assert metrics["closed"] == 1 and metrics["closure_rate"] == 1.0

    # every step is on the timeline, with who did it
    users = {u["username"]: u["id"] for u in admin.ok("GET", "/api/auth/users")}
    steps = [(e["type"], e["actor_id"]) for e in leader.ok("GET", url)["timeline"]]
    assert steps == [
        ("created", users["ana"]),
        ("clocks_started", users["ana"]),
        ("status_changed", users["ana"]),  # assigned
        ("briefing_linked", users["pr"]),
        ("clocks_met", users["pr"]),
        ("status_changed", users["pr"]),  # responded, by the release
        ("briefing_linked", users["pr"]),
        ("clocks_met", users["pr"]),
        ("status_changed", users["ana"]),  # closed
    ]
    # the release moved the issue to responded through the transition table, like a person
    timeline = leader.ok("GET", url)["timeline"]
    by_release = [
        e for e in timeline if e["type"] == "status_changed" and e["actor_id"] == users["pr"]
    ]
    [responded] = by_release
    assert responded["payload"]["changes"] == {"status": {"from": "assigned", "to": "responded"}}
    assert responded["payload"]["by"] == f"briefing:{release['id']}"
    assert responded["payload"]["version"] == issue["version"] + 1
    # a closed issue can only be reopened, and that needs a reason
    code, error = analyst.call("PATCH", url, {"version": closed["version"], "status": "assigned"})
    assert code == 409 and "reopened" in error["error"]["message"]
