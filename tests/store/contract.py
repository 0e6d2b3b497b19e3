"""The post-store contract: one test class that every backend's test class subclasses.

A subclass only provides the `store` fixture (an empty store of its backend). Nothing here
knows which backend it runs on.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest

from core.errors import CursorError, InputError, QuerySyntaxError, QueryTooComplex
from core.timezone import SHANGHAI
from store.base import PostStore, iter_scan
from store.models import Interval, PostFilter, PostKind, SortOrder
from store.query import MAX_DEPTH, MAX_TERMS
from tests.factories import BASE_TIME, make_post, post_data


def ids(page) -> list[str]:
    return [hit.post.id for hit in page.hits]


def search_ids(store: PostStore, query: str = "", **kwargs) -> set[str]:
    return set(ids(store.search(query, limit=500, **kwargs)))


def all_pages(store: PostStore, query: str = "", limit: int = 3, **kwargs) -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        page = store.search(query, limit=limit, cursor=cursor, **kwargs)
        seen += ids(page)
        cursor = page.next_cursor
        if cursor is None:
            return seen


class PostStoreContract:
    """Behaviour every `PostStore` backend must show."""

    # -- upsert ------------------------------------------------------------------------

    def test_upsert_then_get_returns_the_same_post(self, store: PostStore) -> None:
        post = make_post(
            title="关于拆迁补偿的咨询",
            author="市民张某",
            region="宿城区",
            engagement={"reposts": 3, "comments": 5, "likes": 7},
            reply={
                "text": "已转住建局办理。",
                "department": "市住建局",
                "replied_at": BASE_TIME + timedelta(days=1),
            },
            fetched_at=BASE_TIME + timedelta(hours=2),
            sentiment=0.25,
            keywords=["拆迁", "补偿"],
            is_repost_of="t:original",
            reply_to="t:parent",
        )
        result = store.upsert([post])
        assert (result.created, result.updated, result.failed) == (1, 0, 0)
        assert store.get(post.id) == post
        assert store.get(post.id).published_at.utcoffset() == timedelta(hours=8)

    def test_reingesting_the_same_batch_leaves_counts_unchanged(self, store: PostStore) -> None:
        batch = [post_data() for _ in range(5)]
        first = store.upsert(batch)
        second = store.upsert(batch)
        assert (first.created, first.updated, first.unchanged) == (5, 0, 0)
        assert (second.created, second.updated, second.unchanged) == (0, 0, 5)
        assert store.count() == 5
        assert store.search().total == 5

    def test_a_changed_post_is_updated_not_duplicated(self, store: PostStore) -> None:
        data = post_data(text="路灯坏了")
        store.upsert([data])
        result = store.upsert([{**data, "text": "路灯已经修好"}])
        assert (result.created, result.updated) == (0, 1)
        assert store.count() == 1
        assert store.get(data["id"]).text == "路灯已经修好"
        assert search_ids(store, "修好") == {data["id"]}
        assert search_ids(store, "坏了") == set()

    def test_the_last_copy_of_an_id_in_one_batch_wins(self, store: PostStore) -> None:
        data = post_data(text="第一版")
        result = store.upsert([data, {**data, "text": "第二版"}])
        assert result.created == 1
        assert store.count() == 1
        assert store.get(data["id"]).text == "第二版"

    def test_a_malformed_post_fails_alone_with_its_reason(self, store: PostStore) -> None:
        good = [post_data(), post_data()]
        naive = post_data(published_at=datetime(2025, 3, 1, 8, 0))
        batch = [
            good[0],
            {**post_data(), "kind": "rumour"},
            naive,
            {**post_data(), "sentiment": 1.5},
            {"id": "test:no-source"},
            good[1],
        ]
        result = store.upsert(batch)
        assert (result.created, result.failed) == (2, 4)
        reasons = {f.index: f.reason for f in result.failures}
        assert sorted(reasons) == [1, 2, 3, 4]
        assert "kind" in reasons[1]
        assert "published_at" in reasons[2] and "timezone" in reasons[2]
        assert "sentiment" in reasons[3]
        assert "source" in reasons[4] and "published_at" in reasons[4]
        assert result.failures[0].id == batch[1]["id"]
        assert set(store.get_many([g["id"] for g in good])) == {g["id"] for g in good}
        assert store.count() == 2

    def test_a_recrawl_without_analysis_keeps_the_analysis(self, store: PostStore) -> None:
        data = post_data(sentiment=0.1, sentiment_snownlp=0.7, keywords=["积水"])
        store.upsert([data])
        store.update_analysis({data["id"]: {"cluster_id": "c-7", "sentiment_snownlp": 0.6}})
        analysis = ("sentiment", "sentiment_snownlp")
        result = store.upsert([{k: v for k, v in data.items() if k not in analysis}])
        assert result.unchanged == 1
        kept = store.get(data["id"])
        assert (kept.sentiment, kept.cluster_id, kept.keywords) == (0.1, "c-7", ["积水"])
        assert kept.sentiment_snownlp == 0.6

    def test_personal_numbers_are_masked_as_stored_and_cannot_be_found(self, store) -> None:
        data = post_data(
            title="Tel13812345678反映停水",
            text="身份证110105 19491231 002X，卡号622202 1234567890123，订单号2024011512345678",
            author="wx13912345678",
            reply={"text": "已回电138.1234.5678", "department": "市水务局"},
            keywords=["13812345678", "停水"],
        )
        assert store.upsert([data]).created == 1
        post = store.get(data["id"])
        assert post.title == "Tel*******5678反映停水"
        assert post.text == (
            "身份证**************002X，卡号***************0123，订单号2024011512345678"
        )
        assert post.author == "wx*******5678" and post.keywords == ["*******5678", "停水"]
        assert post.reply.text == "已回电*******5678"
        for number in ("13812345678", "110105", "19491231", "1234567890123"):
            page = store.search(number)
            assert page.total == 0, (number, [h.snippet for h in page.hits])
        hit = store.search("订单号").hits[0]
        assert "5678" in hit.snippet and "13812345678" not in hit.snippet
        assert search_ids(store, "2024011512345678") == {data["id"]}
        # Unchanged on a second write: masked text masks to itself.
        assert store.upsert([data]).unchanged == 1

    # -- get -----------------------------------------------------------------------------

    def test_get_many_returns_found_posts_and_omits_missing(self, store: PostStore) -> None:
        posts = [make_post() for _ in range(3)]
        store.upsert(posts)
        found = store.get_many([posts[0].id, "test:nope", posts[2].id])
        assert set(found) == {posts[0].id, posts[2].id}
        assert found[posts[2].id] == posts[2]
        assert store.get("test:nope") is None

    # -- full-text search -----------------------------------------------------------------

    @pytest.fixture
    def corpus(self, store: PostStore) -> dict[str, str]:
        texts = {
            "both": "征收范围内的拆迁补偿标准偏低，居民不满",
            "only-chaiqian": "拆迁工作进度缓慢，施工噪音扰民",
            "only-buchang": "医保补偿比例调整，群众关注",
            "split": "拆迁，补偿款迟迟不到位",
            "latin": "ＰＭ２.５ 超标，空气质量差",
            "other": "公交线路调整，出行不便",
        }
        store.upsert([post_data(id=f"t:{key}", text=text, title="") for key, text in texts.items()])
        return texts

    def test_a_phrase_finds_only_posts_containing_it(self, store, corpus) -> None:
        assert search_ids(store, '"拆迁补偿"') == {"t:both"}
        assert search_ids(store, "“拆迁补偿”") == {"t:both"}

    def test_a_word_matches_wherever_its_characters_stand(self, store, corpus) -> None:
        assert search_ids(store, "拆迁") == {"t:both", "t:only-chaiqian", "t:split"}

    def test_adjacent_terms_must_all_match(self, store, corpus) -> None:
        assert search_ids(store, "拆迁 补偿") == {"t:both", "t:split"}
        assert search_ids(store, "拆迁 AND 补偿") == {"t:both", "t:split"}

    def test_or_matches_either_term(self, store, corpus) -> None:
        assert search_ids(store, "医保 OR 公交") == {"t:only-buchang", "t:other"}

    def test_not_excludes_a_term(self, store, corpus) -> None:
        assert search_ids(store, "拆迁 NOT 补偿") == {"t:only-chaiqian"}
        assert search_ids(store, "拆迁 -补偿") == {"t:only-chaiqian"}

    def test_parentheses_group_and_not_alone_negates(self, store, corpus) -> None:
        assert search_ids(store, "(医保 OR 征收) AND 补偿") == {"t:both", "t:only-buchang"}
        assert search_ids(store, "NOT 拆迁") == {"t:only-buchang", "t:latin", "t:other"}

    def test_latin_and_digits_match_whole_runs_ignoring_width_and_case(self, store, corpus) -> None:
        assert search_ids(store, "pm2") == {"t:latin"}
        assert search_ids(store, '"PM2.5"') == {"t:latin"}
        assert search_ids(store, "pm") == set()

    @pytest.mark.parametrize("bad", ['"拆迁', "(拆迁 OR 补偿", "拆迁)", "！！", "拆迁 AND", "OR"])
    def test_a_malformed_query_is_a_clear_error(self, store, corpus, bad) -> None:
        with pytest.raises(QuerySyntaxError) as err:
            store.search(bad)
        assert str(err.value)

    def test_the_deepest_query_allowed_runs_and_a_deeper_one_is_refused(self, store, corpus):
        # Each level a group holding an OR beside an AND and a NOT: the deepest tree the
        # parser lets through, SQL rather than one FTS5 expression on SQLite.
        def nested(levels: int) -> str:
            query = "公交"
            for _ in range(levels):
                query = f"(拆迁 -补偿 OR 施工 {query})"
            return query

        # The innermost NOT stands inside every parenthesis: MAX_DEPTH - 1 of them.
        assert search_ids(store, nested(MAX_DEPTH - 1)) == {"t:only-chaiqian"}
        assert search_ids(store, "NOT " * MAX_DEPTH + "拆迁") == {
            "t:both", "t:only-chaiqian", "t:split",
        }  # fmt: skip
        for deeper in (nested(MAX_DEPTH), "NOT " * (MAX_DEPTH + 1) + "拆迁"):
            with pytest.raises(QueryTooComplex) as err:
                store.search(deeper)
            assert err.value.bound == "depth"

    def test_a_query_of_the_most_terms_runs_and_more_are_refused(self, store, corpus) -> None:
        fillers = [f"nothing{i}" for i in range(MAX_TERMS - 2)]
        assert search_ids(store, " OR ".join(["医保", "公交", *fillers])) == {
            "t:only-buchang", "t:other",
        }  # fmt: skip
        with pytest.raises(QueryTooComplex) as err:
            store.search(" OR ".join(["医保", "公交", *fillers, "one-more"]))
        assert err.value.bound == "terms"

    @pytest.mark.parametrize("deep", ["(" * 330 + "拆迁" + ")" * 330, "NOT " * 50 + "拆迁"])
    def test_a_deeply_nested_query_is_refused_not_a_crash(self, store, corpus, deep) -> None:
        with pytest.raises(QueryTooComplex, match=f"nested at most {MAX_DEPTH} deep"):
            store.search(deep)
        with pytest.raises(QueryTooComplex):
            store.aggregate(deep)

    def test_snippets_mark_matches_and_escape_html(self, store: PostStore) -> None:
        store.upsert([post_data(id="t:x", text="<b>注意</b> 小区拆迁补偿问题，拆迁办不回应")])
        hit = store.search("拆迁补偿").hits[0]
        assert hit.snippet == (
            "&lt;b&gt;注意&lt;/b&gt; 小区<mark>拆迁补偿</mark>问题，拆迁办不回应"
        )
        hit = store.search("拆迁").hits[0]
        assert hit.snippet.count("<mark>拆迁</mark>") == 2

    # -- filters ---------------------------------------------------------------------------

    def test_filters_by_source_kind_region_and_cluster(self, store: PostStore) -> None:
        store.upsert(
            [
                post_data(id="t:a", source="weibo", kind="microblog", region="宿城区"),
                post_data(id="t:b", source="12345", kind="hotline", region="宿豫区"),
                post_data(id="t:c", source="weibo", kind="microblog", region="宿豫区"),
            ]
        )
        store.update_analysis({"t:a": {"cluster_id": "c1"}, "t:b": {"cluster_id": "c1"}})
        assert search_ids(store, filters=PostFilter(sources=["weibo"])) == {"t:a", "t:c"}
        assert search_ids(store, filters=PostFilter(kinds=[PostKind.HOTLINE])) == {"t:b"}
        assert search_ids(store, filters=PostFilter(regions=["宿豫区"])) == {"t:b", "t:c"}
        assert search_ids(store, filters=PostFilter(cluster_ids=["c1"])) == {"t:a", "t:b"}
        both = PostFilter(sources=["weibo"], cluster_ids=["c1"])
        assert search_ids(store, filters=both) == {"t:a"}
        assert search_ids(store, filters=PostFilter(sources=[])) == set()

    def test_department_filter_matches_assignment_guess_or_reply(self, store) -> None:
        store.upsert(
            [
                post_data(id="t:assigned", assigned_department="市住建局"),
                post_data(id="t:guessed", department_guess="市住建局"),
                post_data(id="t:replied", reply={"text": "已办理", "department": "市住建局"}),
                post_data(id="t:other", assigned_department="市教育局"),
            ]
        )
        assert search_ids(store, filters=PostFilter(departments=["市住建局"])) == {
            "t:assigned",
            "t:guessed",
            "t:replied",
        }

    def test_time_range_is_inclusive_from_and_exclusive_to(self, store: PostStore) -> None:
        t = BASE_TIME
        store.upsert(
            [post_data(id=f"t:{h}", published_at=t + timedelta(hours=h)) for h in range(4)]
        )
        window = PostFilter(
            published_from=t + timedelta(hours=1), published_to=t + timedelta(hours=3)
        )
        assert search_ids(store, filters=window) == {"t:1", "t:2"}

    def test_sentiment_range_is_inclusive_and_skips_unscored(self, store: PostStore) -> None:
        scores = {"t:neg": 0.1, "t:mid": 0.5, "t:pos": 0.9, "t:none": None}
        store.upsert([post_data(id=k, sentiment=v) for k, v in scores.items()])
        band = PostFilter(sentiment_min=0.1, sentiment_max=0.5)
        assert search_ids(store, filters=band) == {"t:neg", "t:mid"}
        assert search_ids(store, filters=PostFilter(sentiment_max=0.3)) == {"t:neg"}

    # -- sorting and paging -----------------------------------------------------------------

    def test_time_sort_is_newest_first_with_id_breaking_ties(self, store: PostStore) -> None:
        t = BASE_TIME
        store.upsert(
            [
                post_data(id="t:old", published_at=t),
                post_data(id="t:new", published_at=t + timedelta(hours=1)),
                post_data(id="t:tie-a", published_at=t + timedelta(minutes=30)),
                post_data(id="t:tie-b", published_at=t + timedelta(minutes=30)),
            ]
        )
        assert ids(store.search()) == ["t:new", "t:tie-b", "t:tie-a", "t:old"]

    def test_relevance_puts_more_and_title_matches_first(self, store: PostStore) -> None:
        store.upsert(
            [
                post_data(id="t:once", title="", text="噪音扰民问题"),
                post_data(id="t:thrice", title="", text="噪音，噪音，还是噪音"),
                post_data(id="t:title", title="工地噪音", text="晚上施工噪音"),
                post_data(id="t:none", title="", text="道路积水"),
            ]
        )
        page = store.search("噪音", sort=SortOrder.RELEVANCE)
        # Backends may weigh title against repetition differently, but both beat one mention.
        assert set(ids(page)[:2]) == {"t:thrice", "t:title"}
        assert ids(page)[2] == "t:once" and page.total == 3
        scores = [hit.score for hit in page.hits]
        assert scores == sorted(scores, reverse=True) and scores[1] > scores[2]

    def test_cursor_pages_cover_every_hit_exactly_once(self, store: PostStore) -> None:
        store.upsert([post_data(text="道路积水") for _ in range(11)])
        seen = all_pages(store, "积水", limit=4)
        assert len(seen) == 11 and len(set(seen)) == 11
        assert store.search("积水", limit=4).total == 11

    def test_time_paging_under_concurrent_inserts_neither_skips_nor_repeats(
        self, store: PostStore
    ) -> None:
        t = BASE_TIME
        original = [
            post_data(id=f"t:o{i:02d}", published_at=t + timedelta(minutes=i)) for i in range(30)
        ]
        store.upsert(original)
        stop = threading.Event()
        written: list[int] = []

        def writer() -> None:
            n = 0
            while not stop.is_set() and n < 200:
                # Same, earlier and later times than the pages being read.
                batch = [
                    post_data(
                        id=f"t:n{n}-{k}", published_at=t + timedelta(minutes=(n * 7 + k) % 40)
                    )
                    for k in range(3)
                ]
                store.upsert(batch)
                written.append(n)
                n += 1

        thread = threading.Thread(target=writer)
        thread.start()
        try:
            seen: list[str] = []
            cursor = None
            while True:
                page = store.search(limit=4, cursor=cursor)
                seen += ids(page)
                cursor = page.next_cursor
                if cursor is None:
                    break
        finally:
            stop.set()
            thread.join(timeout=60)
        originals_seen = [i for i in seen if i.startswith("t:o")]
        assert sorted(originals_seen) == sorted(p["id"] for p in original)
        assert len(seen) == len(set(seen))
        assert written, "the writer never ran alongside the reader"

    def test_relevance_paging_under_inserts_neither_skips_nor_repeats(self, store) -> None:
        texts = ["噪音" * (1 + i % 4) + "扰民" for i in range(12)]
        store.upsert([post_data(id=f"t:o{i:02d}", text=x) for i, x in enumerate(texts)])
        seen: list[str] = []
        cursor = None
        n = 0
        while True:
            page = store.search("噪音", sort=SortOrder.RELEVANCE, limit=3, cursor=cursor)
            seen += ids(page)
            store.upsert([post_data(id=f"t:n{n}-{k}", text="噪音" * (k + 1)) for k in range(4)])
            n += 1
            cursor = page.next_cursor
            if cursor is None:
                break
        assert sorted(i for i in seen if i.startswith("t:o")) == [f"t:o{i:02d}" for i in range(12)]
        assert len(seen) == len(set(seen))

    def test_a_foreign_or_garbled_cursor_is_refused(self, store: PostStore) -> None:
        store.upsert([post_data(text="积水") for _ in range(3)])
        cursor = store.search("积水", limit=1).next_cursor
        assert cursor
        with pytest.raises(CursorError):
            store.search("噪音", limit=1, cursor=cursor)
        with pytest.raises(CursorError):
            store.search("积水", limit=1, cursor="not-a-cursor")

    @pytest.mark.parametrize("limit", [0, -1, 501])
    def test_page_size_out_of_bounds_is_refused(self, store: PostStore, limit: int) -> None:
        with pytest.raises(InputError):
            store.search(limit=limit)

    # -- aggregations -------------------------------------------------------------------------

    def test_hourly_counts_fill_empty_hours(self, store: PostStore) -> None:
        t = datetime(2025, 3, 10, 8, 0, tzinfo=SHANGHAI)
        offsets = [5, 20, 59, 60, 185, 190]  # minutes: three in 08:00, one in 09:00, two in 11:00
        store.upsert([post_data(published_at=t + timedelta(minutes=m)) for m in offsets])
        volume = store.aggregate(interval=Interval.HOUR).volume
        assert [(b.start, b.count) for b in volume] == [
            (t, 3),
            (t + timedelta(hours=1), 1),
            (t + timedelta(hours=2), 0),
            (t + timedelta(hours=3), 2),
        ]

    def test_daily_counts_follow_shanghai_days(self, store: PostStore) -> None:
        # 23:30 and 00:30 Shanghai time fall on one UTC day but two local days.
        late = datetime(2025, 3, 10, 23, 30, tzinfo=SHANGHAI)
        store.upsert(
            [post_data(published_at=late), post_data(published_at=late + timedelta(hours=1))]
        )
        volume = store.aggregate(interval=Interval.DAY).volume
        midnight = datetime(2025, 3, 10, tzinfo=SHANGHAI)
        assert [(b.start, b.count) for b in volume] == [
            (midnight, 1),
            (midnight + timedelta(days=1), 1),
        ]

    def test_breakdowns_by_source_sentiment_cluster_and_keywords(self, store) -> None:
        store.upsert(
            [
                post_data(id="t:1", source="weibo", sentiment=0.1, keywords=["积水", "道路"]),
                post_data(id="t:2", source="weibo", sentiment=0.45, keywords=["积水"]),
                post_data(id="t:3", source="12345", sentiment=0.8, keywords=["噪音", "道路"]),
                post_data(id="t:4", source="board", keywords=["积水"]),
            ]
        )
        store.update_analysis(
            {"t:1": {"cluster_id": "c1"}, "t:2": {"cluster_id": "c1"}, "t:3": {"cluster_id": "c2"}}
        )
        agg = store.aggregate(top_keywords=2)
        as_pairs = lambda buckets: [(b.key, b.count) for b in buckets]  # noqa: E731
        assert agg.total == 4
        assert as_pairs(agg.by_source) == [("weibo", 2), ("12345", 1), ("board", 1)]
        assert as_pairs(agg.by_sentiment) == [
            ("negative", 1),
            ("neutral", 1),
            ("positive", 1),
            ("unscored", 1),
        ]
        assert as_pairs(agg.by_cluster) == [("c1", 2), ("c2", 1)]
        assert as_pairs(agg.top_keywords) == [("积水", 3), ("道路", 2)]

    def test_aggregations_cover_only_the_result_set(self, store, corpus) -> None:
        agg = store.aggregate("拆迁")
        assert agg.total == 3
        assert sum(b.count for b in agg.volume) == 3
        assert store.aggregate("拆迁", filters=PostFilter(sources=["nowhere"])).total == 0

    # -- scan ---------------------------------------------------------------------------------

    def test_scan_hands_out_new_and_changed_posts_in_batches(self, store: PostStore) -> None:
        first = [post_data() for _ in range(5)]
        store.upsert(first)
        pages = list(iter_scan(store, limit=2))
        assert [len(p.posts) for p in pages] == [2, 2, 1]
        assert [p.id for page in pages for p in page.posts] == [d["id"] for d in first]
        cursor = pages[-1].cursor

        assert store.scan(after=cursor).posts == []
        store.upsert(first)  # unchanged: not handed out again
        store.update_analysis({first[0]["id"]: {"cluster_id": "c9"}})  # analysis: not either
        assert store.scan(after=cursor).posts == []

        changed = {**first[1], "text": "情况有变化"}
        newer = post_data()
        store.upsert([changed, newer])
        later = store.scan(after=cursor)
        assert [p.id for p in later.posts] == [changed["id"], newer["id"]]
        assert store.scan(after=later.cursor).posts == []

    # -- partial update -------------------------------------------------------------------

    def test_update_analysis_sets_fields_and_reports_missing(self, store: PostStore) -> None:
        posts = [make_post() for _ in range(3)]
        store.upsert(posts)
        result = store.update_analysis(
            {
                posts[0].id: {"sentiment": 0.2, "cluster_id": "c1", "keywords": ["积水"]},
                posts[1].id: {"department_guess": "市水务局", "department_confidence": 0.8},
                "test:gone": {"cluster_id": "c1"},
            }
        )
        assert result.updated == 2 and result.missing == ["test:gone"]
        one, two = store.get(posts[0].id), store.get(posts[1].id)
        assert (one.sentiment, one.cluster_id, one.keywords) == (0.2, "c1", ["积水"])
        assert (two.department_guess, two.department_confidence) == ("市水务局", 0.8)
        assert search_ids(store, filters=PostFilter(departments=["市水务局"])) == {posts[1].id}
        assert search_ids(store, filters=PostFilter(sentiment_max=0.3)) == {posts[0].id}

    def test_update_analysis_refuses_other_fields_and_bad_values(self, store) -> None:
        post = make_post()
        store.upsert([post])
        with pytest.raises(InputError):
            store.update_analysis({post.id: {"title": "改标题"}})
        with pytest.raises(InputError):
            store.update_analysis({post.id: {"sentiment": 3}})
        assert store.get(post.id) == post

    # -- retention ------------------------------------------------------------------------

    def test_retention_drops_posts_older_than_n_days(self, store: PostStore) -> None:
        now = datetime(2025, 6, 15, 12, 0, tzinfo=SHANGHAI)
        ages = {"t:ancient": 400, "t:old": 100, "t:edge-old": 31, "t:edge-new": 29, "t:new": 1}
        store.upsert(
            [post_data(id=k, published_at=now - timedelta(days=d)) for k, d in ages.items()]
        )
        assert store.drop_older_than(30, now=now) == 3
        assert store.count() == 2
        assert search_ids(store) == {"t:edge-new", "t:new"}
        assert store.get("t:old") is None
        assert store.drop_older_than(30, now=now) == 0
