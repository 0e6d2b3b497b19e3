"""Several workers on one Elasticsearch and one PostgreSQL: the demo site's every item stored
once, no source crawled by two workers at once, copies linked across workers, the lead taken
over after a `kill -9`, and nothing lost or doubled when the store goes down mid-crawl."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from store.elasticsearch import ElasticsearchPostStore
from tests.conftest import new_database
from tests.crawler.proxy import Proxy
from tests.yuqing.workers import SITE_COUNTS, DemoSite, Workers, demo_site, wait_for

# Bounded: every wait below has its own limit, and the whole test this one.
pytestmark = [pytest.mark.elasticsearch, pytest.mark.postgres, pytest.mark.timeout(600)]

INTERVAL = 30  # seconds between crawls of a source; another worker's run within 15 s is skipped
FAST = {
    "YUQING_ANALYSIS__INTERVAL_SECONDS": "5",
    "YUQING_COORDINATION__LEADER_LEASE_SECONDS": "6",
    "YUQING_COORDINATION__CRAWL_LEASE_SECONDS": "8",
    # One crawl at a time per worker, so that the five sources spread over the workers.
    "YUQING_COORDINATION__CRAWLS_AT_ONCE": "1",
    "YUQING_CRAWLER__REPLAY_SECONDS": "5",
    "YUQING_CRAWLER__BATCH_SIZE": "50",
}


@pytest.fixture
def shared(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    es_url: str,
    postgres_url: str,
    unique_name: str,
) -> Iterator[tuple[Workers, ElasticsearchPostStore, DemoSite]]:
    only = getattr(request, "param", tuple(SITE_COUNTS))
    with (
        demo_site(tmp_path, INTERVAL, only) as site,
        new_database(postgres_url, unique_name) as db_url,
    ):
        workers = Workers(tmp_path, site.sources_file, es_url, unique_name, db_url, dict(FAST))
        store = ElasticsearchPostStore(es_url, index_prefix=unique_name, scan_settle_seconds=0)
        try:
            yield workers, store, site
        finally:
            workers.stop()
            store.drop_everything()
            store.close()


def all_posts(store: ElasticsearchPostStore) -> list[tuple[str, str, str | None]]:
    """(id, source, near_dup_of) of every stored post."""
    out, cursor = [], None
    while True:
        page = store.scan(after=cursor, limit=500)
        out += [(p.id, p.source, p.near_dup_of) for p in page.posts]
        if not page.posts:
            return out
        cursor = page.cursor


def check_runs_never_overlap(workers: Workers) -> dict[str, set[str]]:
    """Every source's runs one after another; which workers stored each source's posts."""
    runs = workers.rows(
        "SELECT source, worker, status, started_at, finished_at, created FROM crawl_runs"
        " ORDER BY source, started_at"
    )
    by_source = defaultdict(list)
    for run in runs:
        by_source[run.source].append(run)
    creators: dict[str, set[str]] = defaultdict(set)
    for source, source_runs in by_source.items():
        for before, after in zip(source_runs, source_runs[1:], strict=False):
            assert before.finished_at is not None, f"{source}: a run never ended: {before}"
            assert before.finished_at <= after.started_at, f"{source}: {before} overlaps {after}"
        for run in source_runs:
            if run.created:
                creators[source].add(run.worker.split("#")[0])
    return creators


# The two news feeds, which reprint each other's stories. Jobs start in the order of their
# names, so the worker that starts first crawls demo-news first, and the others, started
# while it does, take demo-rongmei: the copies arrive through different workers.
@pytest.mark.parametrize("shared", [("demo-news", "demo-rongmei")], indirect=True)
def test_three_workers_share_the_sources_and_a_killed_leader_is_replaced(shared) -> None:  # type: ignore[no-untyped-def]
    workers, store, site = shared
    # w1 starts alone, so it leads and takes the first source (the RSS feed); w2 and w3 start
    # while it crawls, and take the Atom feed, which reprints the RSS feed's stories.
    workers.start("w1")
    wait_for(
        "w1 crawling demo-news", lambda: workers.holder("crawl:demo-news") == "w1", 90, workers
    )
    workers.start("w2", "w3")
    assert workers.leader() == "w1"
    for source in ("demo-news", "demo-rongmei"):
        wait_for(
            f"a crawl of {source}",
            lambda source=source: workers.rows(
                "SELECT 1 FROM crawl_runs WHERE source = :source AND status = 'ok' AND created > 0",
                source=source,
            ),
            120,
            workers,
        )
    noon = {post_id: source for post_id, source, _ in all_posts(store)}
    noon_creators = check_runs_never_overlap(workers)
    assert noon_creators["demo-news"] == {"w1"}, noon_creators
    assert noon_creators["demo-rongmei"] & {"w2", "w3"}, noon_creators
    # The leader goes down; then the city's evening posts appear, and only its successor can
    # cluster them.
    killed_at = time.monotonic()
    workers.kill("w1")
    successor = wait_for(
        "another leader", lambda: (now := workers.leader()) != "w1" and now, 60, workers
    )
    takeover = time.monotonic() - killed_at
    assert successor in ("w2", "w3") and takeover <= 60, takeover
    before = store.count()
    site.move_to(23)
    expected = site.served()
    assert expected > before

    wait_for("every item the site serves", lambda: store.count() >= expected, 300, workers, 2)

    def cursor() -> str | None:
        rows = workers.rows("SELECT value FROM analysis_state WHERE key = 'scan_cursor'")
        return rows[0][0] if rows else None

    wait_for(
        "the clustering job past every post",
        lambda: cursor() and not store.scan(after=cursor(), limit=1).posts,
        120,
        workers,
        1,
    )
    workers.stop()

    posts = all_posts(store)
    ids = [post_id for post_id, _, _ in posts]
    assert len(ids) == len(set(ids)) == store.count() == expected  # each item stored once
    creators = check_runs_never_overlap(workers)
    assert len(set().union(*creators.values())) >= 2, creators  # the work was shared

    # Copies of a post another worker stored are linked to it.
    worker_of = {"demo-news": "w1", "demo-rongmei": next(iter(noon_creators["demo-rongmei"]))}
    across = [
        (post_id, root)
        for post_id, source, root in posts
        if post_id in noon and root in noon and worker_of[source] != worker_of[noon[root]]
    ]
    assert across, sum(1 for *_, root in posts if root)
    clustered = workers.rows("SELECT count(*) FROM hot_issue_posts")[0][0]
    assert clustered > 0
    print(
        f"takeover {takeover:.1f} s by {successor}; {expected} posts, {expected - before}"
        " after it; sources by worker"
        f" {dict(creators)}; {len(across)} links across workers; {clustered} posts in topics"
    )


# The news feeds and the hotline export (684 items): enough to be cut off in the middle.
@pytest.mark.parametrize("shared", [("demo-news", "demo-rongmei", "demo-12345")], indirect=True)
def test_two_workers_lose_and_double_nothing_when_the_store_goes_down(
    shared,  # type: ignore[no-untyped-def]
) -> None:
    workers, store, site = shared
    expected = site.served()
    parts = urlsplit(workers.es_url)
    outage = Proxy(parts.hostname or "127.0.0.1", parts.port or 9200)
    outage.up()
    try:
        workers.es_url = outage.url
        workers.settings["YUQING_ELASTICSEARCH__REQUEST_TIMEOUT"] = "3"
        workers.start("w1", "w2")
        wait_for("the first posts", lambda: store.count() > 0, 120, workers)
        outage.down()
        time.sleep(8)
        outage.up()
        wait_for("every item the site serves", lambda: store.count() >= expected, 300, workers, 2)
        wait_for(
            "every spool replayed",
            lambda: not any(workers.root.glob("w*/spool/*.jsonl")),
            60,
            workers,
        )
        workers.stop()
    finally:
        outage.close()

    ids = [post_id for post_id, _, _ in all_posts(store)]
    assert len(ids) == len(set(ids)) == store.count() == expected
    spooled, replayed = workers.rows("SELECT sum(spooled), sum(replayed) FROM crawl_runs")[0]
    assert spooled and replayed and replayed >= spooled, (spooled, replayed)  # it did go down
    check_runs_never_overlap(workers)
    print(f"{spooled} posts spooled during the outage, {replayed} replayed; {expected} stored")
