"""Behaviour only the Elasticsearch store has: lazy connection, per-item bulk failures, monthly
indices under retention, the index template, and search snapshots for relevance paging."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from elasticsearch import Elasticsearch

from core.errors import CursorError, StoreUnavailable
from core.timezone import SHANGHAI
from store.elasticsearch import ElasticsearchPostStore
from store.elasticsearch.mapping import INDEX_SETTINGS, MAPPINGS
from store.models import Post, SortOrder
from tests.factories import post_data
from tests.receivers import refusing_port


@pytest.fixture
def store(es_url: str, unique_name: str) -> Iterator[ElasticsearchPostStore]:
    store = ElasticsearchPostStore(es_url, index_prefix=unique_name, scan_settle_seconds=0)
    yield store
    store.drop_everything()
    store.close()


@pytest.fixture
def es(es_url: str) -> Iterator[Elasticsearch]:
    client = Elasticsearch(es_url)
    yield client
    client.close()


def test_construction_makes_no_connection() -> None:
    with refusing_port() as port:  # held, so nothing else can answer on it
        store = ElasticsearchPostStore(
            f"http://127.0.0.1:{port}", index_prefix="never-used", request_timeout=2
        )
        assert store.ping() is False
        with pytest.raises(StoreUnavailable):
            store.count()
        store.close()


@pytest.mark.elasticsearch
def test_a_failed_bulk_item_is_reported_alone_and_the_rest_is_stored(
    store: ElasticsearchPostStore, es: Elasticsearch
) -> None:
    march = datetime(2025, 3, 10, 9, 0, tzinfo=SHANGHAI)
    april = datetime(2025, 4, 10, 9, 0, tzinfo=SHANGHAI)
    store.upsert([post_data(id="t:seed", published_at=march)])
    closed = store.index_for(march)
    es.indices.close(index=closed)
    try:
        batch = [
            post_data(id="t:april-1", published_at=april),
            post_data(id="t:march", published_at=march + timedelta(days=1)),
            post_data(id="t:april-2", published_at=april + timedelta(days=1)),
        ]
        result = store.upsert(batch)
        assert (result.created, result.failed) == (2, 1)
        (failure,) = result.failures
        assert (failure.index, failure.id) == (1, "t:march")
        assert "index_closed_exception" in failure.reason
        assert set(store.get_many(["t:april-1", "t:april-2", "t:march"])) == {
            "t:april-1",
            "t:april-2",
        }
    finally:
        es.indices.open(index=closed, wait_for_active_shards="1")


@pytest.mark.elasticsearch
def test_a_field_added_since_an_index_was_made_is_added_to_it(
    es_url: str, unique_name: str, es: Elasticsearch
) -> None:
    march = datetime(2025, 3, 10, 9, 0, tzinfo=SHANGHAI)
    old = ElasticsearchPostStore(es_url, index_prefix=unique_name, scan_settle_seconds=0)
    old.upsert([post_data(id="t:seed", published_at=march)])
    index = old.index_for(march)
    # The index and template as an older release made them: no `reply_to` field.
    es.indices.delete(index=index)
    es.indices.delete_index_template(name=old.template_name)
    properties = {k: v for k, v in MAPPINGS["properties"].items() if k != "reply_to"}
    es.indices.create(
        index=index,
        settings=INDEX_SETTINGS,
        mappings={**MAPPINGS, "properties": properties},
        aliases={old.alias: {}},
    )
    old.close()
    store = ElasticsearchPostStore(es_url, index_prefix=unique_name, scan_settle_seconds=0)
    try:
        result = store.upsert([post_data(id="t:reply", published_at=march, reply_to="t:seed")])
        assert (result.created, result.failed) == (1, 0), result.failures
        assert store.get("t:reply").reply_to == "t:seed"
    finally:
        store.drop_everything()
        store.close()


@pytest.mark.elasticsearch
def test_retention_drops_whole_months_and_single_posts_of_the_boundary_month(
    store: ElasticsearchPostStore, es: Elasticsearch
) -> None:
    now = datetime(2025, 6, 15, 12, 0, tzinfo=SHANGHAI)
    cutoff = now - timedelta(days=30)  # 2025-05-16 12:00, inside May
    published = {
        "t:march": datetime(2025, 3, 3, 8, 0, tzinfo=SHANGHAI),
        "t:april-a": datetime(2025, 4, 1, 0, 0, tzinfo=SHANGHAI),
        "t:april-b": datetime(2025, 4, 30, 23, 59, tzinfo=SHANGHAI),
        "t:may-old": cutoff - timedelta(microseconds=1),
        "t:may-edge": cutoff,
        "t:may-new": cutoff + timedelta(days=3),
        "t:june": datetime(2025, 6, 1, 0, 0, tzinfo=SHANGHAI),
    }
    store.upsert([post_data(id=k, published_at=v) for k, v in published.items()])
    old_months = [store.index_for(published["t:march"]), store.index_for(published["t:april-a"])]
    may = store.index_for(cutoff)
    assert all(es.indices.exists(index=name) for name in [*old_months, may])

    assert store.drop_older_than(30, now=now) == 4

    for name in old_months:
        assert not es.indices.exists(index=name)
    assert es.indices.exists(index=may)
    assert set(store.get_many(list(published))) == {"t:may-edge", "t:may-new", "t:june"}
    assert store.count() == 3
    assert store.drop_older_than(30, now=now) == 0


@pytest.mark.elasticsearch
def test_a_post_moved_to_another_month_leaves_no_copy_behind(
    store: ElasticsearchPostStore, es: Elasticsearch
) -> None:
    data = post_data(published_at=datetime(2025, 3, 31, 23, 30, tzinfo=SHANGHAI))
    store.upsert([data])
    moved = {**data, "published_at": datetime(2025, 4, 1, 0, 30, tzinfo=SHANGHAI)}
    assert store.upsert([moved]).updated == 1
    assert store.count() == 1
    assert es.count(index=store.index_for(data["published_at"]))["count"] == 0
    assert store.get(data["id"]) == Post.model_validate(moved)


@pytest.mark.elasticsearch
def test_the_template_has_strict_explicit_mappings_and_whitespace_token_fields(
    store: ElasticsearchPostStore, es: Elasticsearch
) -> None:
    store.count()  # first use puts the template
    (entry,) = es.indices.get_index_template(name=store.template_name)["index_templates"]
    template = entry["index_template"]
    assert template["index_patterns"] == [f"{store.index_prefix}-*"]
    assert store.alias in template["template"]["aliases"]
    mappings = template["template"]["mappings"]
    assert mappings["dynamic"] == "strict"
    properties = mappings["properties"]
    for name in ("title_chars", "body_chars", "reply_chars"):
        assert properties[name] == {"type": "text", "analyzer": "whitespace"}
    assert set(Post.model_fields) <= set(properties)

    # An index made from the template refuses a field nobody declared.
    data = post_data()
    store.upsert([data])
    index = store.index_for(data["published_at"])
    assert es.indices.get_mapping(index=index)[index]["mappings"]["dynamic"] == "strict"
    with pytest.raises(Exception, match="strict_dynamic_mapping"):
        es.index(index=index, document={"surprise": 1})


@pytest.mark.elasticsearch
def test_an_expired_relevance_cursor_is_a_cursor_error(
    store: ElasticsearchPostStore, es: Elasticsearch
) -> None:
    store.upsert([post_data(text="噪音" * (1 + i % 3)) for i in range(5)])
    cursor = store.search("噪音", sort=SortOrder.RELEVANCE, limit=2).next_cursor
    assert cursor
    # The cursor carries the point in time; closing it is what its expiry looks like.
    values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))["v"]
    es.close_point_in_time(id=values[0])
    with pytest.raises(CursorError, match="expired"):
        store.search("噪音", sort=SortOrder.RELEVANCE, limit=2, cursor=cursor)
