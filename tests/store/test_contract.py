"""Runs the post-store contract against each real backend, and compares the two."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from store.base import PostStore
from store.models import Interval
from store.sqlite import SqlitePostStore
from tests.factories import BASE_TIME, post_data
from tests.store.contract import PostStoreContract
from tests.store.contract_signatures import SignatureContract
from tests.store.contract_times import PublicationTimeContract


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[SqlitePostStore]:
    store = SqlitePostStore(tmp_path / "posts.db")
    yield store
    store.close()


@pytest.fixture
def es_store(es_url: str, unique_name: str) -> Iterator[PostStore]:
    from store.elasticsearch import ElasticsearchPostStore

    store = ElasticsearchPostStore(es_url, index_prefix=unique_name, scan_settle_seconds=0)
    yield store
    store.drop_everything()
    store.close()


class TestSqlitePostStore(PostStoreContract, PublicationTimeContract, SignatureContract):
    @pytest.fixture
    def store(self, sqlite_store: SqlitePostStore) -> SqlitePostStore:
        return sqlite_store


@pytest.mark.elasticsearch
class TestElasticsearchPostStore(PostStoreContract, PublicationTimeContract, SignatureContract):
    @pytest.fixture
    def store(self, es_store: PostStore) -> PostStore:
        return es_store


def test_sqlite_store_construction_touches_nothing(tmp_path: Path) -> None:
    store = SqlitePostStore(tmp_path / "sub" / "posts.db")
    assert not (tmp_path / "sub").exists()
    assert store.count() == 0
    assert (tmp_path / "sub" / "posts.db").exists()


@pytest.mark.elasticsearch
def test_both_backends_give_equal_aggregations_for_the_same_data(
    sqlite_store: SqlitePostStore, es_store: PostStore
) -> None:
    # About 30 days from 10 March: hours, days and a month boundary, with sources and scores.
    batch = []
    for i in range(240):
        batch.append(
            post_data(
                id=f"t:{i}",
                source=["weibo", "12345", "board"][i % 3],
                published_at=BASE_TIME + timedelta(minutes=181 * i),
                sentiment=None if i % 7 == 0 else (i % 10) / 10,
                keywords=[["积水", "道路"], ["噪音"], ["拆迁", "补偿"]][i % 3],
                text=["道路积水严重", "夜间施工噪音", "拆迁补偿不到位"][i % 3],
            )
        )
    for store in (sqlite_store, es_store):
        assert store.upsert(batch).created == 240
    for interval in (Interval.HOUR, Interval.DAY):
        a = sqlite_store.aggregate(interval=interval)
        b = es_store.aggregate(interval=interval)
        assert a.volume == b.volume
        assert len(a.volume) > 10
        assert (a.by_source, a.by_sentiment, a.top_keywords) == (
            b.by_source,
            b.by_sentiment,
            b.top_keywords,
        )
    assert sqlite_store.aggregate("积水").volume == es_store.aggregate("积水").volume
