"""API latency under load: 20 concurrent clients against the tracker on the embedded default.

Seeds a fresh SQLite tracker with --issues issues (10,000) spread over a year across the
departments, their SLA clocks, and --events timeline events (100,000), starts the real server
(`yuqing serve`, its own process) on 127.0.0.1, and has --clients threads (20) call, in turn:

* the issue list          GET /api/issues?limit=50
* an issue with timeline   GET /api/issues/{id}
* department metrics       GET /api/reports/departments for one quarter

Prints p50 and p95 per endpoint (milliseconds, client-side, keep-alive connections) against
the 100 ms target for p95, after a warm-up; the reference beside it is the same endpoint
called by one client alone, measured in the same run. The server runs as `yuqing serve` does
by default (one process per CPU core, api.threads requests at once in each); --workers
overrides that. Uses no data from ../shared.

    python bench/api.py [--issues 10000] [--events 100000] [--clients 20] [--seconds 20]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-leader-password"
SECRET = "a-bench-secret-that-is-long-enough-for-hs256"


def seed(db_url: str, n_issues: int, n_events: int) -> None:
    from sqlalchemy import insert

    from api.auth.models import Role, User
    from api.auth.service import hash_password
    from api.database import make_engine, migrate
    from api.departments.models import Department
    from api.issues.models import SlaClock, TimelineEvent, TrackedIssue

    engine = make_engine(db_url)
    migrate(engine)
    rng = random.Random(5)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(Department),
            [{"code": f"d{i:02d}", "name": f"部门{i:02d}", "created_at": now} for i in range(38)],
        )
        dept_ids = [r[0] for r in conn.exec_driver_sql("SELECT id FROM departments")]
        conn.execute(
            insert(User),
            [
                {
                    "username": "leader",
                    "password_hash": hash_password(PASSWORD),
                    "role": Role.LEADER,
                    "is_active": True,
                    "created_at": now,
                }
            ],
        )
        issues, clocks = [], []
        statuses = ["new", "triaged", "assigned", "responded", "closed", "dismissed"]
        for i in range(n_issues):
            detected = now - timedelta(minutes=rng.randrange(365 * 24 * 60))
            status = rng.choice(statuses)
            issues.append(
                {
                    "id": i + 1,
                    "title": f"基准问题{i}",
                    "summary": "",
                    "category": None,
                    "severity": rng.choice(["general", "major"]),
                    "status": status,
                    "lead_department_id": rng.choice(dept_ids),
                    "created_at": detected,
                    "updated_at": detected + timedelta(hours=rng.randrange(1, 200)),
                    "detected_at": detected,
                    "tags": [],
                    "version": 1,
                    "assigned_at": detected + timedelta(hours=rng.random() * 10)
                    if status not in ("new", "triaged")
                    else None,
                    "closed_at": detected + timedelta(days=3) if status == "closed" else None,
                }
            )
            for kind, hours in (("first_statement", 5), ("press_conference", 24)):
                met = detected + timedelta(hours=rng.random() * hours * 1.5)
                clocks.append(
                    {
                        "issue_id": i + 1,
                        "kind": kind,
                        "basis": "hours",
                        "amount": hours,
                        "started_at": detected,
                        "due_at": detected + timedelta(hours=hours),
                        "warn_at": 0.8,
                        "met_at": met if rng.random() < 0.7 else None,
                        "pauses": [],
                        "warned": [],
                        "created_at": detected,
                    }
                )
        conn.execute(insert(TrackedIssue), issues)
        conn.execute(insert(SlaClock), clocks)
        events = [
            {
                "issue_id": rng.randrange(1, n_issues + 1),
                "actor_id": None,
                "at": now - timedelta(minutes=rng.randrange(365 * 24 * 60)),
                "type": "comment",
                "payload": {"text": "进展说明"},
                "pinned": False,
            }
            for _ in range(n_events)
        ]
        for start in range(0, len(events), 10_000):
            conn.execute(insert(TimelineEvent), events[start : start + 10_000])
    engine.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--issues", type=int, default=10_000)
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--workers", type=int, default=None, help="server processes [serve's default]")
    ap.add_argument("--warmup", type=float, default=3.0, help="seconds of load not counted")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        db_url = f"sqlite:///{tmp}/tracker.db"
        t = time.perf_counter()
        seed(db_url, args.issues, args.events)
        print(
            f"seeded {args.issues} issues, {2 * args.issues} clocks, {args.events} events"
            f" in {time.perf_counter() - t:.1f} s"
        )
        extra = ["--workers", str(args.workers)] if args.workers is not None else []
        with serve(tmp, db_url, extra) as port:
            run_load(port, wait_and_sign_in(port), args)
    return 0


@contextmanager
def serve(tmp: Path, db_url: str, extra: list[str]) -> Iterator[int]:
    """`yuqing serve` on a free port of 127.0.0.1 over the tracker `db_url` and the post store
    in `tmp`; yields the port. If the run fails, the server's log is printed."""
    port = free_port()
    env = os.environ | {
        "YUQING_DATA_DIR": str(tmp),
        "YUQING_STORE__SQLITE_PATH": str(tmp / "posts.db"),
        "YUQING_DATABASE__URL": db_url,
        "YUQING_SECRET_KEY": SECRET,
        "YUQING_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "yuqing", "serve", "--port", str(port), *extra]
    log_path = tmp / "server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield port
    except BaseException:
        print(f"the server's log ends:\n{log_path.read_text()[-3000:]}", file=sys.stderr)
        raise
    finally:
        server.terminate()
        server.wait(timeout=30)


def wait_and_sign_in(port: int) -> str:
    deadline = time.monotonic() + 60
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            body = urllib.parse.urlencode({"username": "leader", "password": PASSWORD})
            conn.request(
                "POST",
                "/api/auth/token",
                body,
                {"Content-Type": "application/x-www-form-urlencoded"},
            )
            reply = conn.getresponse()
            data = json.loads(reply.read())
            if reply.status == 200:
                return data["access_token"]
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("the API did not start")
        time.sleep(0.3)


def run_load(port: int, token: str, args: argparse.Namespace) -> None:
    now = datetime.now(UTC)
    quarter = urllib.parse.urlencode(
        {"from": (now - timedelta(days=91)).isoformat(), "to": now.isoformat()}
    )
    endpoints = {
        "issue list (50)": lambda rng: "/api/issues?limit=50",
        "issue + timeline": lambda rng: f"/api/issues/{rng.randrange(1, args.issues + 1)}",
        "department metrics": lambda rng: f"/api/reports/departments?{quarter}",
    }
    # Warm-up: the first metrics of a period are computed, caches and connections filled.
    load(port, token, endpoints, clients=args.clients, seconds=args.warmup)
    alone = load(port, token, endpoints, clients=1, seconds=min(args.seconds, 5.0))
    started = time.perf_counter()
    loaded = load(port, token, endpoints, clients=args.clients, seconds=args.seconds)
    wall = time.perf_counter() - started
    requests = sum(len(v) for v in loaded.values())
    workers = args.workers or os.cpu_count()
    print(
        f"{args.clients} concurrent clients for {args.seconds:.0f} s against {workers} server"
        f" process(es): {requests / wall:.0f} requests/s; p95 target 100 ms"
    )
    print(f"  {'':<20} {'p50':>8} {'p95':>8}   {'1 client alone: p50':>20} {'p95':>7}")
    for name, values in loaded.items():
        ref = alone[name]
        print(
            f"  {name:<20} {statistics.median(values):6.1f}ms {percentile(values, 95):6.1f}ms"
            f"   {statistics.median(ref):18.1f}ms {percentile(ref, 95):5.1f}ms"
            f"   ({len(values)} requests)"
        )


def percentile(values: list[float], pct: int) -> float:
    return statistics.quantiles(values, n=100)[pct - 1]


def load(
    port: int, token: str, endpoints: dict[str, Any], *, clients: int, seconds: float
) -> dict[str, list[float]]:
    """Each client calls the endpoints in turn, on its own keep-alive connection, until time
    is up; returns the latencies per endpoint in milliseconds. A non-200 answer stops the run."""
    timings: dict[str, list[float]] = {name: [] for name in endpoints}
    errors: list[str] = []
    stop = time.monotonic() + seconds
    lock = threading.Lock()

    def client(n: int) -> None:
        rng = random.Random(n)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Authorization": f"Bearer {token}"}
        names = list(endpoints)
        i = n
        # Every client calls each endpoint at least once, however long the first calls take.
        while time.monotonic() < stop or i < n + len(names):
            name = names[i % len(names)]
            i += 1
            t = time.perf_counter()
            conn.request("GET", endpoints[name](rng), headers=headers)
            reply = conn.getresponse()
            body = reply.read()
            elapsed = (time.perf_counter() - t) * 1000
            with lock:
                if reply.status != 200:
                    errors.append(f"{name}: HTTP {reply.status} {body[:200]!r}")
                timings[name].append(elapsed)

    def guarded(n: int) -> None:
        try:
            client(n)
        except OSError as exc:
            with lock:
                errors.append(f"client {n}: {exc!r}")

    threads = [threading.Thread(target=guarded, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit(f"{len(errors)} requests failed, e.g. {errors[0]}")
    return timings


if __name__ == "__main__":
    sys.exit(main())
