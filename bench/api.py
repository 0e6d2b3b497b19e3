"""API latency under load: 20 concurrent clients against the real server, reading only, and
reading and writing at once, on the embedded default and on PostgreSQL.

Seeds a fresh tracker with --issues issues (10,000) spread over a year across 38 departments,
their SLA clocks and --events timeline events (100,000), starts the real server (`yuqing
serve` in its own process, on 127.0.0.1, one worker process per CPU core as by default;
--workers overrides that) and runs:

* reads: --clients threads (20) call, in turn, the issue list (GET /api/issues?limit=50), an
  issue with its timeline (GET /api/issues/{id}) and the department metrics of a quarter
  (GET /api/reports/departments), for --seconds (20). Target: p95 <= 100 ms.
* mixed: --clients threads for --mixed-seconds (30), --write-share (30%) of their requests
  writes: a comment, a status change with the version just read (assigned <-> triaged), a
  press conference linked to an issue. A conflict (409: another user changed the issue
  first) is an answer, not an error. Targets: p95 < 150 ms for writes and < 100 ms for
  reads, no server error, and one audit record for every write acknowledged.

Each figure is printed beside its reference, measured in the same run: the same requests of
one client alone. After the mixed run the server is stopped and the tracker counted: audit
records of writes against writes acknowledged, comments saved against comments acknowledged.

The mixed run is made on SQLite, then on PostgreSQL if a server is given (--postgres URL, or
YUQING_TEST__POSTGRES_URL); the benchmark makes a database of its own there and drops it
afterwards (the role needs CREATEDB). Uses no data from ../shared.

    python bench/api.py [reads|mixed|all] [--postgres URL] [--clients 20] [--seconds 20]
                        [--mixed-seconds 30] [--issues 10000] [--events 100000]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.served import (  # noqa: E402  (the project's root is put on the path first)
    WRITE_PATH,
    WRITES,
    Call,
    Load,
    ServerProcess,
    mixed_load,
    served,
    server_env,
)

ADMIN_PASSWORD = "bench-admin-password-Q7v"
SECRET = "a-bench-secret-that-is-long-enough-for-hs256"
BRIEFINGS = 5


def seed(db_url: str, n_issues: int, n_events: int) -> None:
    """Departments, issues with their clocks, and timeline events, written in bulk."""
    from sqlalchemy import insert

    from api.database import make_engine
    from api.departments.models import Department
    from api.issues.models import SlaClock, TimelineEvent, TrackedIssue
    from api.migrating import migrate

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
        if engine.dialect.name == "postgresql":  # the ids above were given, not drawn
            conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('tracked_issues', 'id'),"
                " (SELECT max(id) FROM tracked_issues))"
            )
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


def changeable_issues(db_url: str) -> list[int]:
    """Issues the status changes can take round assigned <-> triaged."""
    from sqlalchemy import select

    from api.database import make_engine
    from api.issues.models import TrackedIssue

    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            query = select(TrackedIssue.id).where(TrackedIssue.status.in_(["assigned", "triaged"]))
            return [row[0] for row in conn.execute(query)]
    finally:
        engine.dispose()


def counted_writes(db_url: str) -> tuple[int, int]:
    """Audit records of successful load writes, and comments the load saved."""
    from sqlalchemy import select

    from api.audit.models import AuditEntry
    from api.database import make_engine
    from api.issues.models import TimelineEvent

    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            audited = conn.execute(
                select(AuditEntry.path).where(AuditEntry.status_code < 300)
            ).scalars()
            records = sum(1 for path in audited if WRITE_PATH.match(path))
            payloads = conn.execute(
                select(TimelineEvent.payload).where(TimelineEvent.type == "comment")
            ).scalars()
            comments = sum(1 for p in payloads if str(p.get("text", "")).startswith("load "))
            return records, comments
    finally:
        engine.dispose()


@contextmanager
def postgres_database(server_url: str, name: str) -> Iterator[str]:
    """A new database `name` on the PostgreSQL server of `server_url`, dropped afterwards."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@contextmanager
def tracker(engine: str, postgres: str | None, tmp: Path) -> Iterator[str]:
    if engine == "sqlite":
        yield f"sqlite:///{tmp}/tracker.db"
    else:
        assert postgres is not None
        with postgres_database(postgres, f"yuqing_bench_api_{os.getpid()}") as url:
            yield url


@contextmanager
def seeded_server(
    engine: str, args: argparse.Namespace, tmp: Path
) -> Iterator[tuple[ServerProcess, str, str]]:
    """A seeded tracker on `engine` and `yuqing serve` over it: the server, its URL, a token."""
    with tracker(engine, args.postgres, tmp) as db_url:
        started = time.perf_counter()
        seed(db_url, args.issues, args.events)
        print(
            f"[{engine}] seeded {args.issues} issues, {2 * args.issues} clocks,"
            f" {args.events} events in {time.perf_counter() - started:.1f} s"
        )
        env = server_env(tmp, db_url, secret=SECRET, admin_password=ADMIN_PASSWORD)
        env["YUQING_ENV"] = "development"  # as `yuqing serve` runs by default
        with served(env, tmp / "server.log", workers=args.workers) as server:
            yield server, db_url, server.sign_in("admin", ADMIN_PASSWORD)


def reads(args: argparse.Namespace) -> dict[str, Callable[[random.Random], str]]:
    now = datetime.now(UTC)
    quarter = urllib.parse.urlencode(
        {"from": (now - timedelta(days=91)).isoformat(), "to": now.isoformat()}
    )
    return {
        "issue list (50)": lambda rng: "/api/issues?limit=50",
        "issue + timeline": lambda rng: f"/api/issues/{rng.randrange(1, args.issues + 1)}",
        "department metrics": lambda rng: f"/api/reports/departments?{quarter}",
    }


def run_reads(args: argparse.Namespace) -> bool:
    with (
        tempfile.TemporaryDirectory() as name,
        seeded_server("sqlite", args, Path(name)) as (
            server,
            _,
            token,
        ),
    ):
        paths = reads(args)

        def run(clients: int, seconds: float) -> Load:
            return mixed_load(
                server.port,
                token,
                issue_ids=[1],
                briefing_ids=[],
                clients=clients,
                seconds=seconds,
                write_share=0.0,
                reads=paths,
                writes=(),
            )

        run(args.clients, args.warmup)  # first metrics computed, caches and connections filled
        alone = run(1, min(args.seconds, 5.0))
        loaded = run(args.clients, args.seconds)
    print(
        f"[sqlite] reads: {args.clients} clients for {args.seconds:.0f} s against"
        f" {args.workers or os.cpu_count()} server process(es):"
        f" {len(loaded.calls) / loaded.seconds:.0f} requests/s; p95 target 100 ms"
    )
    table(loaded, alone, list(paths))
    return report_errors(loaded) and all(
        percentile([c.ms for c in loaded.of(name)], 95) <= 100 for name in paths
    )


def run_mixed(engine: str, args: argparse.Namespace) -> bool:
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        with seeded_server(engine, args, tmp) as (server, db_url, token):
            issue_ids = changeable_issues(db_url)
            briefing_ids = []
            for n in range(BRIEFINGS):
                briefing = {
                    "kind": "press_conference",
                    "title": f"新闻发布会{n}",
                    "at": "2026-12-01T10:00:00+08:00",
                }
                status, made = server.request("POST", "/api/briefings", body=briefing, token=token)
                if status != 201 or not isinstance(made, dict):
                    raise SystemExit(f"could not make a briefing: HTTP {status} {made}")
                briefing_ids.append(made["id"])
            paths = reads(args)

            def run(clients: int, seconds: float, seed: int) -> Load:
                return mixed_load(
                    server.port,
                    token,
                    issue_ids=issue_ids,
                    briefing_ids=briefing_ids,
                    clients=clients,
                    seconds=seconds,
                    write_share=args.write_share,
                    reads=paths,
                    seed=seed,
                )

            runs = [run(args.clients, args.warmup, 1), run(1, 5.0, 2)]
            loaded = run(args.clients, args.mixed_seconds, 3)
            runs.append(loaded)
            server.stop()  # every write is in the tracker before it is counted
            records, comments = counted_writes(db_url)
    acknowledged = sum(len(r.acknowledged_writes) for r in runs)
    commented = sum(len(r.of_status("comment", 201)) for r in runs)
    writes = [c for c in loaded.calls if c.write]
    print(
        f"[{engine}] mixed: {args.clients} clients for {args.mixed_seconds:.0f} s,"
        f" {len(writes) / max(len(loaded.calls), 1):.0%} writes, against"
        f" {args.workers or os.cpu_count()} server process(es):"
        f" {len(loaded.calls) / loaded.seconds:.0f} requests/s"
        f" ({len(writes) / loaded.seconds:.0f} writes/s); p95 targets: writes 150 ms, reads 100 ms"
    )
    table(loaded, runs[1], [*WRITES, *paths, "issue detail"])
    conflicts = sum(1 for c in writes if c.status == 409)
    print(f"  conflicts (409, another user changed the issue first): {conflicts}")
    missing = acknowledged - records
    print(
        f"  audit records of writes: {records}, writes acknowledged: {acknowledged}"
        f" -> {'equal' if missing == 0 else f'{missing} MISSING'};"
        f" comments saved {comments} / acknowledged {commented}"
    )
    fast = all(
        percentile([c.ms for c in loaded.of(name)], 95) < (150 if name in WRITES else 100)
        for name in [*WRITES, *paths]
        if loaded.of(name)
    )
    return report_errors(loaded) and missing == 0 and comments == commented and fast


def table(loaded: Load, alone: Load, names: list[str]) -> None:
    print(f"  {'':<20} {'p50':>8} {'p95':>8}   {'1 client alone: p50':>20} {'p95':>7}")
    for name in dict.fromkeys(names):
        values = [c.ms for c in loaded.of(name)]
        if not values:
            continue
        ref = [c.ms for c in alone.of(name)] or [float("nan")]
        print(
            f"  {name:<20} {statistics.median(values):6.1f}ms {percentile(values, 95):6.1f}ms"
            f"   {statistics.median(ref):18.1f}ms {percentile(ref, 95):5.1f}ms"
            f"   ({len(values)} requests)"
        )


def report_errors(load: Load) -> bool:
    errors: list[Call] = load.server_errors
    unexpected = [c for c in load.calls if 400 <= c.status < 500 and c.status != 409]
    print(f"  server errors (5xx or no answer): {len(errors)}; other refusals: {len(unexpected)}")
    for call in (errors + unexpected)[:5]:
        print(f"    {call.name}: HTTP {call.status} {call.detail[:200]}")
    return not errors and not unexpected


def percentile(values: list[float], pct: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100)[pct - 1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", nargs="?", choices=["reads", "mixed", "all"], default="all")
    ap.add_argument("--postgres", default=None, help="[the settings' test.postgres_url]")
    ap.add_argument("--issues", type=int, default=10_000)
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=20.0, help="of the read run")
    ap.add_argument("--mixed-seconds", type=float, default=30.0)
    ap.add_argument("--write-share", type=float, default=0.3)
    ap.add_argument("--workers", type=int, default=None, help="server processes [serve's default]")
    ap.add_argument("--warmup", type=float, default=3.0, help="seconds of load not counted")
    args = ap.parse_args()
    if args.postgres is None:
        from core.settings import load_settings

        args.postgres = load_settings().test.postgres_url
    if args.postgres and not re.match(r"^postgresql(\+\w+)?://", args.postgres):
        ap.error("--postgres takes a SQLAlchemy URL: postgresql+psycopg://user:pw@host/db")
    met = True
    if args.run in ("reads", "all"):
        met &= run_reads(args)
    if args.run in ("mixed", "all"):
        met &= run_mixed("sqlite", args)
        if args.postgres:
            met &= run_mixed("postgresql", args)
        else:
            print("[postgresql] mixed: not run; give --postgres URL (or YUQING_TEST__POSTGRES_URL)")
    print("all targets met" if met else "SOME TARGETS MISSED (see above)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
