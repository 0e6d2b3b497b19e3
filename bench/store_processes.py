"""The scale run's product processes: the tracker database, the clustering job's cursor, one
clustering pass in a worker process, and `yuqing serve` read through HTTP, each with its memory."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from store_queries import PAGE_SIZE, AggCase, SearchCase, p50_p95

from store.base import PostStore, iter_scan
from store.models import PostFilter

ROOT = Path(__file__).resolve().parent.parent
ADMIN_PASSWORD = "bench-admin-password-Q7v"
ANALYST_PASSWORD = "bench-analyst-password-R2x"
SECRET = "a-bench-secret-that-is-long-enough-for-hs256"


@contextmanager
def tracker_database(tmp: Path, name: str, pg_url: str | None) -> Iterator[str]:
    """A fresh tracker database: a SQLite file in `tmp`, or a database of its own on the
    PostgreSQL server of `pg_url` (dropped afterwards; the role needs CREATEDB)."""
    if not pg_url:
        yield f"sqlite:///{tmp}/{name}.db"
        return
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    database = f"yuqing_bench_store_{name}_{os.getpid()}"
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{database}"')
        yield make_url(pg_url).set(database=database).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.dispose()


def move_cursor_past(store: PostStore, db_url: str) -> tuple[int, float]:
    """Set the job's cursor where a scan of the whole store ends, as if the job had taken every
    post already there; (posts scanned, seconds)."""
    from api.database import make_engine, make_session_factory, unit_of_work
    from api.hot_issues import state
    from api.migrating import migrate

    started = time.perf_counter()
    engine = make_engine(db_url)
    migrate(engine)
    scanned, cursor = 0, None
    for page in iter_scan(store, limit=10_000):
        scanned += len(page.posts)
        cursor = page.cursor
    with unit_of_work(make_session_factory(engine)) as session:
        state.move_cursor(session, cursor)
    engine.dispose()
    return scanned, time.perf_counter() - started


@dataclass
class WorkerPass:
    scanned: int
    seconds: float
    stages: dict[str, float]
    opened: int
    rss_before_mib: float
    peak_rss_mib: float

    def line(self) -> str:
        stages = ", ".join(f"{k} {v:.1f} s" for k, v in self.stages.items())
        return (
            f"{self.scanned / self.seconds:,.0f} posts/s ({self.scanned} posts in"
            f" {self.seconds:.1f} s: {stages}; {self.opened} topics opened)"
        )


def run_worker(env: dict[str, str], now: str, log: Path) -> WorkerPass:
    """One pass of the clustering job in a new process (`store_worker.py`)."""
    worker = Path(__file__).resolve().parent / "store_worker.py"
    with log.open("ab") as err:
        done = subprocess.run(
            [sys.executable, str(worker), "--now", now],
            cwd=ROOT,
            env=os.environ | env,
            stdout=subprocess.PIPE,
            stderr=err,
            timeout=3600,
            check=False,
        )
    if done.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise SystemExit(f"the clustering worker failed ({done.returncode}); its log ends:\n{tail}")
    found = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return WorkerPass(
        scanned=found["scanned"],
        seconds=found["seconds"],
        stages=found["stage_seconds"],
        opened=found["opened"],
        rss_before_mib=found["rss_before_kib"] / 1024,
        peak_rss_mib=found["peak_rss_kib"] / 1024,
    )


def search_path(case: SearchCase, cursor: str | None) -> str:
    params: list[tuple[str, str]] = [("q", case.query), ("sort", case.sort.value)]
    params += [("limit", str(PAGE_SIZE))] + filter_params(case.filters)
    if cursor:
        params.append(("cursor", cursor))
    return "/api/posts/search?" + urllib.parse.urlencode(params)


def aggregate_path(case: AggCase) -> str:
    params = [("q", case.query), ("interval", "hour"), ("top_keywords", "20")]
    return "/api/posts/aggregate?" + urllib.parse.urlencode(params + filter_params(case.filters))


def filter_params(filters: PostFilter | None) -> list[tuple[str, str]]:
    f = filters or PostFilter()
    params = [("source", s) for s in f.sources or []]
    if f.published_from is not None:
        params.append(("from", f.published_from.isoformat()))
    if f.published_to is not None:
        params.append(("to", f.published_to.isoformat()))
    for name in ("sentiment_min", "sentiment_max"):
        value = getattr(f, name)
        if value is not None:
            params.append((name, str(value)))
    return params


def process_mib(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process, in MiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(rest.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


def api_memory(
    store_env: dict[str, str],
    db_url: str,
    tmp: Path,
    searches: list[SearchCase],
    aggregations: list[AggCase],
) -> list[str]:
    """`yuqing serve` (one process) on the store: searches and aggregations through HTTP,
    then its resident memory, beside its memory just after start."""
    from tests.served import served, server_env

    data = tmp / "api"
    data.mkdir()
    env = server_env(data, db_url, secret=SECRET, admin_password=ADMIN_PASSWORD, **store_env)
    with served(env, tmp / "api.log", workers=1) as server:
        assert server.process is not None
        pid = server.process.pid
        admin = server.sign_in("admin", ADMIN_PASSWORD)
        status, body = server.request(
            "POST",
            "/api/auth/users",
            body={"username": "analyst", "password": ANALYST_PASSWORD, "role": "analyst"},
            token=admin,
        )
        if status != 201:
            raise SystemExit(f"could not make the analyst: HTTP {status} {body}")
        token = server.sign_in("analyst", ANALYST_PASSWORD)
        start_rss, _ = process_mib(pid)
        search_ms, agg_ms = [], []
        for case in searches:
            cursor = None
            for _ in range(case.pages):
                started = time.perf_counter()
                status, page = server.request("GET", search_path(case, cursor), token=token)
                search_ms.append((time.perf_counter() - started) * 1000)
                check(status, page, case.query)
                cursor = page_cursor(page)
                if cursor is None:
                    break
        for agg in aggregations:
            started = time.perf_counter()
            status, found = server.request("GET", aggregate_path(agg), token=token, timeout=120)
            agg_ms.append((time.perf_counter() - started) * 1000)
            check(status, found, agg.label)
        rss, hwm = process_mib(pid)
    s50, s95 = p50_p95(search_ms)
    a50, a95 = p50_p95(agg_ms)
    return [
        f"api process   VmHWM={hwm:.0f} MiB VmRSS={rss:.0f} MiB after {len(search_ms)} searches"
        f" (p50={s50:.0f} ms p95={s95:.0f} ms) and {len(agg_ms)} aggregations"
        f" (p50={a50:.0f} ms p95={a95:.0f} ms, mean {statistics.fmean(agg_ms):.0f} ms) through HTTP"
        f" (just started and signed in: VmRSS={start_rss:.0f} MiB); target <= 600 MiB:"
        f" {'met' if hwm <= 600 else 'MISSED'}"
    ]


def check(status: int, body: object, what: str) -> None:
    if status != 200:
        raise SystemExit(f"the API answered {what!r} with HTTP {status}: {str(body)[:300]}")


def page_cursor(page: object) -> str | None:
    value: Any = page.get("next_cursor") if isinstance(page, dict) else None
    return value if isinstance(value, str) else None
