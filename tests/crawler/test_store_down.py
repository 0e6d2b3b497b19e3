"""The store goes down in the middle of a crawl: posts wait on disk and nothing is lost."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.crawler import site_board
from tests.crawler.blocks import board
from tests.crawler.product import Product
from tests.crawler.proxy import Proxy

pytestmark = pytest.mark.elasticsearch

SERVED_BEFORE_OUTAGE = 6


@pytest.fixture
def outage(es_url: str):  # type: ignore[no-untyped-def]
    parts = urlsplit(es_url)
    proxy = Proxy(parts.hostname or "127.0.0.1", parts.port or 9200)
    proxy.up()
    yield proxy
    proxy.close()


def test_posts_spool_while_the_store_is_down_and_replay_exactly_once(
    product: Product, es_url: str, unique_name: str, outage: Proxy
) -> None:
    from store.elasticsearch import ElasticsearchPostStore

    served: list[int] = []

    def cut_after(number: int):  # type: ignore[no-untyped-def]
        original = site_board.thread(number)

        def handler(query):  # type: ignore[no-untyped-def]
            served.append(number)
            if len(served) == SERVED_BEFORE_OUTAGE:
                outage.down()
            return original(query)

        return handler

    # A board of 15 messages where 9 is broken: 14 distinct posts to be stored in all.
    for number in range(1, 16):
        product.server.routes[f"/board/thread/{number}.html"] = cut_after(number)
    site_board.STATE.update(hits_429=1)  # no 429: the outage is the point here
    product.sources(board(product.url))
    env = {
        "YUQING_STORE__BACKEND": "elasticsearch",
        "YUQING_ELASTICSEARCH__URL": outage.url,
        "YUQING_ELASTICSEARCH__INDEX_PREFIX": unique_name,
        "YUQING_ELASTICSEARCH__REQUEST_TIMEOUT": "3",
        "YUQING_CRAWLER__BATCH_SIZE": "2",
    }
    store = ElasticsearchPostStore(es_url, index_prefix=unique_name, scan_settle_seconds=0)
    try:
        first = product.yuqing("crawl", "board", **env)
        assert first.returncode == 1, first.stderr  # message 9 failed: it is quarantined
        assert "spooled" in first.stdout, first.stdout
        spool = product.root / "spool" / "board.jsonl"
        assert spool.exists() and spool.read_text(encoding="utf-8").strip()
        assert store.count() < 14

        outage.up()
        second = product.yuqing("crawl", "board", **env)
        assert second.returncode == 0, second.stderr
        assert "replayed" in second.stdout, second.stdout
        assert not spool.exists()
        assert store.count() == 14
        ids = {hit.post.id for hit in store.search(limit=100).hits}
        assert ids == {f"board:{n}" for n in range(1, 16) if n != 9}

        third = product.yuqing("crawl", "board", **env)
        assert " 0 new" in third.stdout and store.count() == 14
    finally:
        store.drop_everything()
        store.close()
