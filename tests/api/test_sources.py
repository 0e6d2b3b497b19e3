"""GET /api/sources: each configured source with its schedule and its last run's outcome."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from api.sources.recorder import DatabaseRunRecorder
from core.settings import Settings
from crawler.runner import import_rows
from store.sqlite import SqlitePostStore
from tests.helpers import ADMIN_PASSWORD, app_settings, login
from yuqing.app import create_app

SOURCES = {
    "sources": [
        {"name": "hot", "kind": "hotline", "official": False, "schedule": {"cron": "5 * * * *"},
         "columns": {"case_no": "工单编号", "published_at": "受理时间", "text": "诉求内容"}},
        {"name": "paper", "kind": "news", "official": True, "feed_url": "http://127.0.0.1:1/rss",
         "schedule": {"interval_minutes": 30}},
    ]
}  # fmt: skip


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "sources.yaml").write_text(yaml.safe_dump(SOURCES, allow_unicode=True), "utf-8")
    return app_settings(tmp_path, crawler={"sources_file": tmp_path / "sources.yaml"})


def test_sources_list_their_schedule_and_last_run(settings: Settings, tmp_path: Path) -> None:
    rows = [
        ("export.csv:2", {"native_id": "A1", "kind": "hotline", "text": "路灯坏了",
                          "published_at": "2025-03-18 10:00"}, None),
        ("export.csv:3", {"native_id": "A2", "kind": "hotline", "text": "没有时间"}, None),
        ("export.csv:4", None, "missing column 诉求内容"),
    ]  # fmt: skip
    summary = import_rows(
        settings,
        "hot",
        iter(rows),
        recorder=DatabaseRunRecorder(settings.database.url),
        analyzer=None,
        store=SqlitePostStore(tmp_path / "posts.db"),
    )
    assert (summary.created, summary.quarantined, summary.status) == (1, 2, "partial")

    with TestClient(create_app(settings)) as client:
        admin = login(client, "admin", ADMIN_PASSWORD)
        reply = client.get("/api/sources", headers=admin)
        assert reply.status_code == 200, reply.text
        listed = {s["name"]: s for s in reply.json()}
        assert set(listed) == {"hot", "paper"}
        hot = listed["hot"]
        assert hot["schedule"] == {"cron": "5 * * * *"} and hot["official"] is False
        run = hot["last_run"]
        assert (run["status"], run["items_seen"], run["created"], run["quarantined"]) == (
            "partial", 2, 1, 2,
        )  # fmt: skip
        assert run["duration_seconds"] >= 0 and run["finished_at"]
        assert listed["paper"]["last_run"] is None and listed["paper"]["official"] is True

        runs = client.get("/api/sources/hot/runs", headers=admin).json()
        assert [r["created"] for r in runs] == [1]
        assert client.get("/api/sources/nope/runs", headers=admin).status_code == 404
        assert client.get("/api/sources").status_code == 401
