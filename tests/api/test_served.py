"""The real server (`yuqing serve`, its default worker processes) under concurrent writes, and
killed with SIGKILL in the middle of them: on SQLite and on PostgreSQL.

Each test is bounded: a few seconds of load, a kill after a few dozen acknowledged writes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from api.audit.models import AuditEntry
from api.database import make_engine
from api.issues.models import TimelineEvent
from tests.helpers import ADMIN_PASSWORD, SECRET
from tests.served import WRITE_PATH, ServerProcess, mixed_load, served, server_env


@pytest.fixture
def server(tracker_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    env = server_env(tmp_path, tracker_url, secret=SECRET, admin_password=ADMIN_PASSWORD)
    with served(env, tmp_path / "server.log") as server:
        yield server


def _world(server: ServerProcess, token: str, issues: int = 3) -> tuple[list[int], list[int]]:
    """A department, `issues` issues assigned to it, and a press conference: ids of both."""
    status, department = server.request(
        "POST", "/api/departments", body={"code": "zjj", "name": "市住建局"}, token=token
    )
    assert status == 201, department
    assert isinstance(department, dict)
    issue_ids = []
    for n in range(issues):
        status, issue = server.request(
            "POST",
            "/api/issues",
            body={"title": f"噪音扰民{n}", "lead_department_id": department["id"]},
            token=token,
        )
        assert status == 201 and isinstance(issue, dict), issue
        issue_ids.append(issue["id"])
    briefing = {
        "kind": "press_conference",
        "title": "新闻发布会",
        "at": "2026-12-01T10:00:00+08:00",
    }
    status, made = server.request("POST", "/api/briefings", body=briefing, token=token)
    assert status == 201 and isinstance(made, dict), made
    return issue_ids, [made["id"]]


def _rows(url: str) -> tuple[list[AuditEntry], list[TimelineEvent]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            audit = list(conn.execute(sa.select(AuditEntry)))
            events = list(
                conn.execute(sa.select(TimelineEvent).where(TimelineEvent.type == "comment"))
            )
            return audit, events  # type: ignore[return-value]
    finally:
        engine.dispose()


def test_concurrent_writes_neither_stall_the_server_nor_lose_audit_records(
    server: ServerProcess, tracker_url: str
) -> None:
    token = server.sign_in("admin", ADMIN_PASSWORD)
    issue_ids, briefing_ids = _world(server, token)

    # Three comments at once, and the health check while they run: before, two of them waited
    # 30 s for the database and failed (503), and /health did not answer meanwhile.
    start = threading.Barrier(4, timeout=30)
    answers: dict[str, int] = {}

    def comment(n: int) -> None:
        start.wait()
        status, _ = server.request(
            "POST", f"/api/issues/{issue_ids[0]}/comments", body={"text": f"同时{n}"}, token=token
        )
        answers[f"comment {n}"] = status

    def health() -> None:
        start.wait()
        answers["health"] = server.request("GET", "/health")[0]

    threads = [threading.Thread(target=comment, args=(n,)) for n in range(3)]
    threads.append(threading.Thread(target=health))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert answers == {"comment 0": 201, "comment 1": 201, "comment 2": 201, "health": 200}

    # Twenty users at once, 30% of their requests writes.
    load = mixed_load(
        server.port, token, issue_ids=issue_ids, briefing_ids=briefing_ids, clients=20, seconds=3
    )
    assert not load.server_errors, [c.detail for c in load.server_errors[:5]]
    statuses = {c.status for c in load.calls}
    assert statuses <= {200, 201, 409}, [c.detail for c in load.calls if c.status >= 400][:5]
    for kind in ("comment", "status change", "briefing link", "issue list", "issue detail"):
        assert any(c.status < 300 for c in load.of(kind)), kind

    # Every acknowledged write has its audit record, and every comment saved was acknowledged.
    server.stop()
    audit, comments = _rows(tracker_url)
    written = [a for a in audit if WRITE_PATH.match(a.path) and a.status_code < 300]
    assert len(written) == len(load.acknowledged_writes) + 3
    assert len(comments) == len(load.of_status("comment", 201)) + 3


def test_a_killed_server_loses_no_acknowledged_write(
    server: ServerProcess, tracker_url: str
) -> None:
    token = server.sign_in("admin", ADMIN_PASSWORD)
    issue_ids, _ = _world(server, token, issues=2)
    acknowledged: dict[int, str] = {}  # timeline event id -> comment text
    lock = threading.Lock()
    stopped = threading.Event()

    def write(n: int) -> None:
        for i in range(10_000):
            if stopped.is_set():
                return
            text = f"写入{n}-{i}"
            path = f"/api/issues/{issue_ids[i % 2]}/comments"
            try:
                status, body = server.request("POST", path, body={"text": text}, token=token)
            except OSError:
                return  # the server is gone: this write was never acknowledged
            if status != 201 or not isinstance(body, dict):
                return
            with lock:
                acknowledged[body["id"]] = text

    writers = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in writers:
        thread.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 40 and time.monotonic() < deadline:
        time.sleep(0.02)
    server.kill()  # SIGKILL, mid-write: the writers are still sending
    stopped.set()
    for thread in writers:
        thread.join(timeout=60)
    assert len(acknowledged) >= 40, "the writes were too slow to test a kill among them"

    server.start()  # recovers the database as it opens it
    status, _ = server.request(
        "POST", f"/api/issues/{issue_ids[0]}/comments", body={"text": "重启后"}, token=token
    )
    assert status == 201
    server.stop()

    audit, comments = _rows(tracker_url)
    saved = {e.id: e.payload["text"] for e in comments}
    assert {i: saved.get(i) for i in acknowledged} == acknowledged
    # No comment without its audit record: those the kill cut off were saved with theirs or
    # not at all.
    audited = sorted(
        a.detail["body"]["text"]
        for a in audit
        if a.path.endswith("/comments") and a.status_code == 201
    )
    assert audited == sorted(saved.values())
