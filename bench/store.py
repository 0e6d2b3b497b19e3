"""Post-store benchmark: bulk-upsert throughput and search latency at 100,000 posts, and at
scale (--posts N) ingest, searches, aggregations, retention, a clustering pass and memory.

Every figure is printed beside the reference it is compared with, measured in the same run on
the same data. Without --posts (the quoted figures): one line per backend, upserts against the
engine's own raw bulk write of the same documents (no id lookup, no change detection), searches
against the engine's own raw query for the same first page (no count, no snippets, no parsing
into posts), on `store_data.make_posts`.

With --posts N (`store_scale.py`), N synthetic posts over --span-days (120) from 2025-01-01,
made batch by batch from a seed (`store_data.ScaleStream`), and for each backend:

* ingest: `store.upsert` in batches against a raw write (raw `helpers.bulk`, raw SQLite rows)
  of the same posts;
* search: p50/p95 of at least --queries pages of mixed requests (phrases, AND/OR/NOT, filters
  by source, time and sentiment, both sorts, 12 pages deep by cursor) against the raw first
  page of the same request; target p95 <= 100 ms;
* aggregations: `store.aggregate` over 30 and 7 days (hourly volume, sentiment bands, top
  keywords, sources) against one raw aggregation / raw GROUP BYs; target p95 <= 200 ms;
* clustering: the job's cursor set past the N posts, --new-posts (50,000) new posts upserted,
  one `job.run()` in a worker process (`store_worker.py`) against the same pass on an empty
  store; the worker's peak RSS, and `yuqing serve` (one process) read through HTTP: its
  VmHWM; target <= 600 MiB each;
* retention: `drop_older_than` dropping the first 30 days against a raw delete of the range.

    python bench/store.py [--posts 100000] [--backends sqlite,elasticsearch] [--queries 200]
        [--span-days 120] [--new-posts 50000] [--agg-rounds 10] [--pg-url URL] [--es-url URL]

Elasticsearch is benchmarked when YUQING_ELASTICSEARCH__URL (or --es-url) answers; each run
uses indices of its own (bench-<time>-...) and deletes them at the end, also on failure.
"""

from __future__ import annotations

import argparse
import random
import signal
import statistics
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from store_data import QUERIES, make_posts  # noqa: E402

from store.base import PostStore  # noqa: E402
from store.models import PostFilter, SortOrder  # noqa: E402
from store.textindex import index_stream  # noqa: E402


def median_and_p95(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))]


def timed_upsert(store: PostStore, posts: list[dict[str, Any]], batch: int) -> float:
    started = time.perf_counter()
    for i in range(0, len(posts), batch):
        result = store.upsert(posts[i : i + batch])
        if result.failed:
            raise SystemExit(f"upsert failed: {result.failures[:3]}")
    return len(posts) / (time.perf_counter() - started)


def timed_queries(run: Callable[[str, int], object], queries: int) -> list[float]:
    rng = random.Random(11)
    samples = []
    for i in range(queries):
        query = QUERIES[i % len(QUERIES)]
        started = time.perf_counter()
        run(query, rng.randrange(4))
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def store_query(store: PostStore) -> Callable[[str, int], object]:
    def run(query: str, variant: int) -> object:
        if variant == 0:
            return store.search(query, limit=20)
        if variant == 1:
            return store.search(query, limit=20, sort=SortOrder.RELEVANCE)
        if variant == 2:
            return store.search(query, limit=20, filters=PostFilter(sources=["weibo", "12345"]))
        return store.search(query, limit=20, filters=PostFilter(sentiment_max=0.4))

    return run


def bench_sqlite(posts: list[dict[str, Any]], queries: int, batch: int) -> None:
    import sqlite3

    from store.query import parse
    from store.sqlite.backend import SqlitePostStore
    from store.sqlite.queries import fts_expr

    with tempfile.TemporaryDirectory() as tmp:
        store = SqlitePostStore(Path(tmp) / "posts.db")
        rate = timed_upsert(store, posts, batch)

        # Reference: the same documents written raw, one row and one FTS row each.
        raw = sqlite3.connect(Path(tmp) / "raw.db", isolation_level=None)
        raw.execute("PRAGMA journal_mode = WAL")
        raw.execute("CREATE TABLE docs (id TEXT PRIMARY KEY, doc TEXT)")
        raw.execute("CREATE VIRTUAL TABLE docs_fts USING fts5 (title, body)")
        from store.models import Post

        started = time.perf_counter()
        for i in range(0, len(posts), batch):
            chunk = [Post.model_validate(p) for p in posts[i : i + batch]]
            raw.execute("BEGIN")
            raw.executemany(
                "INSERT INTO docs VALUES (?, ?)", [(p.id, p.model_dump_json()) for p in chunk]
            )
            raw.executemany(
                "INSERT INTO docs_fts VALUES (?, ?)",
                [(index_stream(p.title), index_stream(p.text)) for p in chunk],
            )
            raw.execute("COMMIT")
        raw_rate = len(posts) / (time.perf_counter() - started)

        ours = timed_queries(store_query(store), queries)

        def raw_query(query: str, variant: int) -> object:
            expr = fts_expr(parse(query))  # type: ignore[arg-type]
            if expr is None:  # pure negation: FTS5 cannot say it alone
                expr = '"' + " ".join(query.split()[0]) + '"'
            return raw.execute(
                "SELECT rowid FROM docs_fts WHERE docs_fts MATCH ? ORDER BY rowid DESC LIMIT 20",
                (expr,),
            ).fetchall()

        reference = timed_queries(raw_query, queries)
        store.close()
        raw.close()
    report("sqlite", len(posts), rate, raw_rate, ours, reference)


def bench_elasticsearch(posts: list[dict[str, Any]], queries: int, batch: int, url: str) -> None:
    from elasticsearch import Elasticsearch, helpers

    from store.elasticsearch import ElasticsearchPostStore
    from store.models import Post

    prefix = f"bench-{int(time.time())}"
    store = ElasticsearchPostStore(url, index_prefix=prefix, scan_settle_seconds=0)
    client = Elasticsearch(url, request_timeout=120)
    # Not "{prefix}-raw": the store's index template (pattern "{prefix}-*") would give that
    # index the store's alias, and the store's searches would read both copies.
    raw_index = f"{prefix}.raw"
    try:
        rate = timed_upsert(store, posts, batch)

        client.indices.create(
            index=raw_index,
            settings={"number_of_shards": 1, "number_of_replicas": 0},
            mappings={
                "properties": {
                    "title_chars": {"type": "text", "analyzer": "whitespace"},
                    "body_chars": {"type": "text", "analyzer": "whitespace"},
                    "published_at": {"type": "date"},
                }
            },
        )
        started = time.perf_counter()
        for i in range(0, len(posts), batch):
            chunk = [Post.model_validate(p) for p in posts[i : i + batch]]
            helpers.bulk(
                client,
                (
                    {
                        "_index": raw_index,
                        "_id": p.id,
                        "_source": {
                            **p.model_dump(mode="json", exclude_none=True),
                            "title_chars": index_stream(p.title),
                            "body_chars": index_stream(p.text),
                        },
                    }
                    for p in chunk
                ),
                chunk_size=batch,
            )
            # As the store does: one refresh per batch, so the batch is searchable at once.
            client.indices.refresh(index=raw_index)
        raw_rate = len(posts) / (time.perf_counter() - started)

        ours = timed_queries(store_query(store), queries)

        def raw_query(query: str, variant: int) -> object:
            words = [w for w in query.replace('"', " ").split() if w not in ("AND", "OR", "NOT")]
            phrase = " ".join(index_stream(words[0].strip("()-")).split())
            return client.search(
                index=raw_index,
                query={"match_phrase": {"body_chars": phrase}},
                sort=[{"published_at": "desc"}],
                size=20,
            )

        reference = timed_queries(raw_query, queries)
    finally:
        store.drop_everything()
        client.indices.delete(index=raw_index, ignore_unavailable=True)
        store.close()
        client.close()
    report("elasticsearch", len(posts), rate, raw_rate, ours, reference)


def report(
    backend: str,
    n: int,
    rate: float,
    raw_rate: float,
    ours: list[float],
    reference: list[float],
) -> None:
    p50, p95 = median_and_p95(ours)
    r50, r95 = median_and_p95(reference)
    print(
        f"{backend:<13} posts={n} upsert={rate:,.0f} posts/s (raw bulk {raw_rate:,.0f}/s,"
        f" ratio {rate / raw_rate:.2f})  search p50={p50:.1f} ms p95={p95:.1f} ms"
        f" (raw query p50={r50:.1f} ms p95={r95:.1f} ms, {len(ours)} queries)",
        flush=True,
    )


def main() -> None:
    from core.settings import load_settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=None, help="[100000, the quoted figures]")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--backends", default="sqlite,elasticsearch")
    parser.add_argument("--es-url", default=None)
    parser.add_argument("--span-days", type=int, default=120, help="with --posts")
    parser.add_argument("--new-posts", type=int, default=50_000, help="with --posts")
    parser.add_argument("--agg-rounds", type=int, default=10, help="with --posts")
    parser.add_argument("--pg-url", default=None, help="with --posts: tracker on PostgreSQL")
    args = parser.parse_args()
    # A stopped run still deletes its indices: SIGTERM unwinds through the finally blocks.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))

    backends = args.backends.split(",")
    url = None
    if "elasticsearch" in backends:
        url = args.es_url or load_settings().elasticsearch.url or "http://127.0.0.1:9200"
        try:
            urllib.request.urlopen(f"{url.rstrip('/')}/_cluster/health", timeout=3).read()
        except OSError as exc:
            print(f"elasticsearch  skipped: nothing answers at {url} ({exc})")
            backends.remove("elasticsearch")
    if args.posts is not None:
        import store_scale

        if args.span_days <= store_scale.RETAINED_MONTH_DAYS:
            parser.error(f"--span-days must exceed {store_scale.RETAINED_MONTH_DAYS}")
        for backend in backends:
            store_scale.run(backend, args, url)
        return

    posts = make_posts(100_000)
    if "sqlite" in backends:
        bench_sqlite(posts, args.queries, args.batch)
    if "elasticsearch" in backends and url is not None:
        bench_elasticsearch(posts, args.queries, args.batch, url)


if __name__ == "__main__":
    main()
