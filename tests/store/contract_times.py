"""The store keeps the most precise publication time a source gave (a post's list page says
"06-27", its detail page 06-27 10:41:07): part of the contract of every backend."""

from __future__ import annotations

from datetime import datetime, timedelta

from core.timezone import SHANGHAI
from store.base import PostStore
from store.models import PostFilter
from tests.factories import post_data
from tests.store.contract import search_ids

EXACT = datetime(2025, 6, 27, 10, 41, 7, tzinfo=SHANGHAI)
DAY = datetime(2025, 6, 27, tzinfo=SHANGHAI)


class PublicationTimeContract:
    def test_a_bare_date_does_not_undo_an_exact_time(self, store: PostStore) -> None:
        exact = post_data(published_at=EXACT, published_precision="second")
        store.upsert([exact])
        result = store.upsert([{**exact, "published_at": DAY, "published_precision": "day"}])
        assert result.unchanged == 1
        kept = store.get(exact["id"])
        assert (kept.published_at, kept.published_precision) == (EXACT, "second")

    def test_an_exact_time_corrects_a_bare_date(self, store: PostStore) -> None:
        bare = post_data(published_at=DAY, published_precision="day")
        store.upsert([bare])
        result = store.upsert([{**bare, "published_at": EXACT, "published_precision": "second"}])
        assert result.updated == 1
        fixed = store.get(bare["id"])
        assert (fixed.published_at, fixed.published_precision) == (EXACT, "second")
        # Searches by time see the corrected time.
        minute = timedelta(minutes=1)
        window = PostFilter(published_from=EXACT - minute, published_to=EXACT + minute)
        assert search_ids(store, filters=window) == {bare["id"]}

    def test_a_date_far_from_the_exact_time_is_another_reading_and_wins(
        self, store: PostStore
    ) -> None:
        exact = post_data(published_at=EXACT, published_precision="minute")
        store.upsert([exact])
        moved = DAY + timedelta(days=5)
        store.upsert([{**exact, "published_at": moved, "published_precision": "day"}])
        assert store.get(exact["id"]).published_at == moved
