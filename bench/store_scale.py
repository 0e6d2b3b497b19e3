"""The store benchmark at scale (`store.py --posts N`): ingest, searches, aggregations, a
clustering pass over new posts, the worker's and the API's memory, and retention, each beside
its reference measured in the same run (see `store.py`)."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from store_data import START, ScaleStream
from store_processes import api_memory, move_cursor_past, run_worker, tracker_database
from store_queries import (
    agg_cases,
    aggregation_lines,
    search_cases,
    search_lines,
    store_aggregate,
    time_aggregations,
    time_reference,
    time_store_search,
)
from store_raw import RawElasticsearch, RawSqlite, Reference

from store.base import PostStore
from store.models import Post

if TYPE_CHECKING:
    from store.elasticsearch import ElasticsearchPostStore

SEARCH_TARGET_MS = 100
AGGREGATION_TARGET_MS = 200
MEMORY_TARGET_MIB = 600
RETAINED_MONTH_DAYS = 30


class Target:
    """Where one backend's stores, reference and settings live."""

    backend = ""

    def store(self, name: str) -> PostStore:
        raise NotImplementedError

    def env(self, name: str) -> dict[str, str]:
        """The product's settings (environment) for the store `name`."""
        raise NotImplementedError

    def reference(self) -> Reference:
        raise NotImplementedError

    def drop(self, name: str) -> None:
        raise NotImplementedError

    def engine(self) -> str:
        """What the engine ran with, for the record."""
        return ""

    def cleanup(self) -> None:
        pass


class SqliteTarget(Target):
    backend = "sqlite"

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.stores: dict[str, PostStore] = {}
        self.raw: RawSqlite | None = None

    def store(self, name: str) -> PostStore:
        from store.sqlite import SqlitePostStore

        self.stores[name] = SqlitePostStore(self.tmp / f"{name}.db")
        return self.stores[name]

    def env(self, name: str) -> dict[str, str]:
        path = str(self.tmp / f"{name}.db")
        return {"YUQING_STORE__BACKEND": "sqlite", "YUQING_STORE__SQLITE_PATH": path}

    def reference(self) -> Reference:
        self.raw = RawSqlite(self.tmp / "raw.db")
        return self.raw

    def drop(self, name: str) -> None:
        self.stores.pop(name).close()
        for suffix in ("", "-wal", "-shm"):
            (self.tmp / f"{name}.db{suffix}").unlink(missing_ok=True)

    def engine(self) -> str:
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}, files in {self.tmp}"

    def cleanup(self) -> None:
        for store in self.stores.values():
            store.close()
        if self.raw is not None:
            self.raw.close()


class ElasticsearchTarget(Target):
    backend = "elasticsearch"

    def __init__(self, url: str) -> None:
        self.url = url
        self.prefix = f"bench-{int(time.time())}"
        self.stores: dict[str, ElasticsearchPostStore] = {}
        self.raw: RawElasticsearch | None = None

    def _prefix(self, name: str) -> str:
        # Distinct words after the prefix: no store's index pattern takes another's indices.
        return f"{self.prefix}-{name}"

    def store(self, name: str) -> PostStore:
        from store.elasticsearch import ElasticsearchPostStore

        self.stores[name] = ElasticsearchPostStore(
            self.url, index_prefix=self._prefix(name), scan_settle_seconds=0, request_timeout=300
        )
        return self.stores[name]

    def env(self, name: str) -> dict[str, str]:
        return {
            "YUQING_STORE__BACKEND": "elasticsearch",
            "YUQING_ELASTICSEARCH__URL": self.url,
            "YUQING_ELASTICSEARCH__INDEX_PREFIX": self._prefix(name),
        }

    def reference(self) -> Reference:
        self.raw = RawElasticsearch(self.url, f"{self.prefix}-raw")
        return self.raw

    def drop(self, name: str) -> None:
        store = self.stores.pop(name)
        store.drop_everything()
        store.close()

    def node_stats(self) -> dict[str, object]:
        url = f"{self.url.rstrip('/')}/_nodes/_local/stats/jvm,breaker"
        with urllib.request.urlopen(url, timeout=30) as reply:
            nodes = json.load(reply)["nodes"]
        node = next(iter(nodes.values()))
        tripped = sum(b["tripped"] for b in node["breakers"].values())
        heap = node["jvm"]["mem"]["heap_max_in_bytes"] / 2**20
        return {"heap_mib": heap, "tripped": tripped}

    def engine(self) -> str:
        stats = self.node_stats()
        return (
            f"Elasticsearch at {self.url}, heap {stats['heap_mib']:.0f} MiB,"
            f" circuit breakers tripped so far {stats['tripped']}"
        )

    def cleanup(self) -> None:
        for name in list(self.stores):
            self.drop(name)
        if self.raw is not None:
            self.raw.close()


def say(line: str) -> None:
    print(line, flush=True)


def progress(backend: str, what: str, done: int, total: int, started: float) -> None:
    if done % max(total // 10, 1) < 1000 or done == total:
        rate = done / max(time.perf_counter() - started, 1e-9)
        print(f"[{backend}] {what}: {done:,} of {total:,} ({rate:,.0f}/s)", file=sys.stderr)


def upsert_all(store: PostStore, batches: Iterator[list[dict[str, Any]]]) -> float:
    """Posts/s of the store's upsert over the batches; making the posts is not timed."""
    spent, count = 0.0, 0
    for batch in batches:
        started = time.perf_counter()
        result = store.upsert(batch)
        spent += time.perf_counter() - started
        if result.failed or result.created != len(batch):
            raise SystemExit(f"upsert failed: {result.failures[:3]}")
        count += len(batch)
    return count / spent


def run(backend: str, args: argparse.Namespace, es_url: str | None) -> None:
    wall = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-store-") as name:
        tmp = Path(name)
        target: Target = (
            SqliteTarget(tmp) if backend == "sqlite" else ElasticsearchTarget(str(es_url))
        )
        try:
            run_steps(target, args, tmp)
            say(f"{backend:<13} wall time {time.perf_counter() - wall:,.0f} s; {target.engine()}")
        finally:
            target.cleanup()


def run_steps(target: Target, args: argparse.Namespace, tmp: Path) -> None:
    backend, n, batch = target.backend, args.posts, args.batch
    stream = ScaleStream(n, args.span_days)
    fresh = args.new_posts
    job_now = stream.at(n + fresh).isoformat()
    say(
        f"{backend:<13} posts={n:,} over {args.span_days} days from {START:%Y-%m-%d},"
        f" batches of {batch}, then {fresh:,} new posts; {target.engine()}"
    )

    # The clustering pass's reference: the same new posts on an empty store.
    empty = target.store("empty")
    upsert_all(empty, stream.batches(n, fresh, batch))
    time.sleep(2.5)  # past the product's scan settling time
    with tracker_database(tmp, "tracker_empty", args.pg_url) as db_url:
        env = target.env("empty") | worker_env(tmp / "worker-empty", db_url)
        alone = run_worker(env, job_now, tmp / "worker.log")
    target.drop("empty")

    store, reference = target.store("posts"), target.reference()
    rate = timed_ingest(store, stream, n, batch)
    raw_rate = timed_raw_ingest(reference, stream, n, batch)
    say(
        f"ingest        store.upsert {rate:,.0f} posts/s (raw {raw_rate:,.0f} posts/s,"
        f" ratio {rate / raw_rate:.2f}); {store.count():,} posts stored"
    )

    cases = search_cases(args.queries, stream.end)
    ours = time_store_search(store, cases)
    for line in search_lines(ours, time_reference(reference.search, cases), SEARCH_TARGET_MS):
        say(line)
    aggs = agg_cases(args.agg_rounds, stream.end)
    mine = time_aggregations(store_aggregate(store), aggs)
    raw_aggs = time_aggregations(reference.aggregate, aggs)
    for line in aggregation_lines(mine, raw_aggs, AGGREGATION_TARGET_MS):
        say(line)

    with tracker_database(tmp, "tracker", args.pg_url) as db_url:
        scanned, seconds = move_cursor_past(store, db_url)
        say(
            f"clustering    cursor set past the {scanned:,} stored posts (a scan of the store"
            f" in pages of 10,000, {seconds:.0f} s); the pass then sees only the new posts"
        )
        new_rate = upsert_all(store, stream.batches(n, fresh, batch))
        time.sleep(2.5)
        env = target.env("posts") | worker_env(tmp / "worker", db_url)
        big = run_worker(env, job_now, tmp / "worker.log")
        say(f"  {fresh:,} new posts upserted at {new_rate:,.0f} posts/s, then one job.run():")
        say(f"  with {store.count():,} in the store: {big.line()}")
        say(f"  on an empty store (reference): {alone.line()}")
        if big.scanned != fresh or alone.scanned != fresh:
            raise SystemExit(f"the passes scanned {big.scanned} and {alone.scanned}, not {fresh}")
        say(
            f"worker memory peak RSS (ru_maxrss) {big.peak_rss_mib:.0f} MiB with the full store,"
            f" {big.rss_before_mib:.0f} MiB before the pass (empty store: peak"
            f" {alone.peak_rss_mib:.0f} MiB); target <= {MEMORY_TARGET_MIB} MiB:"
            f" {'met' if big.peak_rss_mib <= MEMORY_TARGET_MIB else 'MISSED'}"
        )
        for line in api_memory(
            target.env("posts"),
            db_url,
            tmp,
            search_cases(100, stream.end),
            agg_cases(2, stream.end),
        ):
            say(line)

    days = args.span_days - RETAINED_MONTH_DAYS
    cutoff = stream.end - timedelta(days=days)
    started = time.perf_counter()
    dropped = store.drop_older_than(days, now=stream.end)
    store_s = time.perf_counter() - started
    started = time.perf_counter()
    raw_dropped = reference.delete_before(cutoff)
    raw_s = time.perf_counter() - started
    say(
        f"retention     drop_older_than({days}) dropped {dropped:,} posts (before"
        f" {cutoff:%Y-%m-%d}) in {store_s:.1f} s, {dropped / store_s:,.0f} posts/s"
        f" (raw delete of the same range: {raw_dropped:,} posts in {raw_s:.1f} s,"
        f" {raw_dropped / raw_s:,.0f} posts/s); {store.count():,} posts left"
    )


def worker_env(data_dir: Path, db_url: str) -> dict[str, str]:
    data_dir.mkdir(parents=True, exist_ok=True)
    return {
        "YUQING_DATA_DIR": str(data_dir),
        "YUQING_DATABASE__URL": db_url,
        "YUQING_LOG_LEVEL": "WARNING",
    }


def timed_ingest(store: PostStore, stream: ScaleStream, n: int, batch: int) -> float:
    spent, done, started = 0.0, 0, time.perf_counter()
    for posts in stream.batches(0, n, batch):
        t = time.perf_counter()
        result = store.upsert(posts)
        spent += time.perf_counter() - t
        if result.failed or result.created != len(posts):
            raise SystemExit(f"upsert failed: {result.failures[:3]}")
        done += len(posts)
        progress(store.backend, "store.upsert", done, n, started)
    return n / spent


def timed_raw_ingest(reference: Reference, stream: ScaleStream, n: int, batch: int) -> float:
    spent, done, started = 0.0, 0, time.perf_counter()
    for posts in stream.batches(0, n, batch):
        t = time.perf_counter()
        reference.write([Post.model_validate(p) for p in posts])
        spent += time.perf_counter() - t
        done += len(posts)
        progress("raw", "raw write", done, n, started)
    return n / spent
