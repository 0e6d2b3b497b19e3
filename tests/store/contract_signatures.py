"""The near-duplicate signatures live in the post store, so that two workers writing to one
store link each other's copies: part of the contract of every backend."""

from __future__ import annotations

from datetime import timedelta

from analysis import minhash
from analysis.neardup import Entry, NearDupIndex
from store.base import PostStore
from store.sqlite import SqlitePostStore
from tests.factories import BASE_TIME, post_data

APPEAL = (
    "我们是翠湖湾小区的业主，强烈呼吁公开学区划片依据和学位测算数据，"
    "延长征求意见期，召开家长座谈会，保障孩子就近入学的权利"
)


def entry(post_id: str, text: str, minutes: int = 0, **kw: object) -> Entry:
    [(signature, count)] = minhash.signatures([text])
    return Entry(post_id, signature, count, BASE_TIME + timedelta(minutes=minutes), **kw)


def twin(store: PostStore) -> PostStore:
    """A second connection to the same store, as another worker process opens it."""
    if isinstance(store, SqlitePostStore):
        return SqlitePostStore(store.path)
    from store.elasticsearch import ElasticsearchPostStore

    assert isinstance(store, ElasticsearchPostStore)
    return ElasticsearchPostStore(store.url, index_prefix=store.index_prefix)


class SignatureContract:
    def test_copies_through_two_workers_link_to_the_first_occurrence(
        self, store: PostStore
    ) -> None:
        other = twin(store)
        try:
            first, second = NearDupIndex(store.signatures()), NearDupIndex(other.signatures())
            assert first.link([entry("a", APPEAL)]) == [None]
            out = second.link(
                [
                    entry("b", APPEAL.replace("强烈呼吁", "呼吁") + "谢谢！", 5),
                    entry("c", "转发：" + APPEAL, 9),
                    entry("d", "停水了", 10),
                    entry("e", "停水了", 11),
                    entry("f", "转发", 12, repost_of="c"),
                    entry("g", "35路公交早高峰二十多分钟才来一班，车上挤得关不上门", 13),
                ]
            )
            # a copy of a copy points at the first occurrence; short texts are never linked;
            # a repost follows its original to the root; other texts stay alone
            assert out == ["a", "a", None, None, "a", None]
            # and back on the first worker: a later copy, and the first post analysed again
            assert first.link([entry("h", APPEAL + "！！", 20)]) == ["a"]
            assert first.link([entry("a", APPEAL)]) == [None]
        finally:
            other.close()

    def test_retention_forgets_the_signatures_of_dropped_posts(self, store: PostStore) -> None:
        old = post_data(published_at=BASE_TIME - timedelta(days=400))
        store.upsert([old])
        index = NearDupIndex(store.signatures())
        index.link([entry(old["id"], APPEAL, -400 * 24 * 60)])
        assert store.signatures().roots([old["id"]]) == {old["id"]: old["id"]}
        store.drop_older_than(30, now=BASE_TIME)
        assert store.signatures().roots([old["id"]]) == {}
        # a copy published now no longer links to the forgotten post
        assert index.link([entry("new", APPEAL)]) == [None]

    def test_signatures_stay_out_of_the_posts(self, store: PostStore) -> None:
        NearDupIndex(store.signatures()).link([entry("a", APPEAL), entry("b", APPEAL + "！")])
        assert store.count() == 0
        assert store.search("").total == 0
