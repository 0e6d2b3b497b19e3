"""The board spider: fed the fixture board's pages in-process, and on Scrapy's engine."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.crawler import site_board
from tests.crawler.blocks import OFFLINE, board
from tests.crawler.harness import Bench, results, spider_for
from tests.crawler.server import FixtureServer
from tests.crawler.site_board import MESSAGES, when


def thread(number: int) -> str:
    return f"{OFFLINE}/board/thread/{number}.html"


def test_a_list_page_asks_for_each_message_and_the_next_page(bench: Bench) -> None:
    with bench.run(board(OFFLINE)) as context:
        spider = spider_for(context)
        first = bench.pages.response(f"{OFFLINE}/board/list?page=1", page=1)
        items, requests = results(spider.parse_list(first))
        last = bench.pages.response(f"{OFFLINE}/board/list?page=3", page=3)
        last_items, last_requests = results(spider.parse_list(last))

    assert items == []
    assert [r.url for r in requests] == [
        *(thread(n) for n in range(15, 10, -1)),
        f"{OFFLINE}/board/list?page=2",
    ]
    assert [r.callback for r in requests] == [spider.parse_detail] * 5 + [spider.parse_list]
    assert requests[-1].meta["page"] == 2
    # Every request carries the source's politeness.
    for request in requests:
        assert request.meta["download_timeout"] == 30
        assert request.meta["max_retry_times"] == 2
        assert request.meta["dont_obey_robotstxt"] is True
    # The last page has no next link: messages 5..1 and nothing more.
    assert last_items == []
    assert [r.url for r in last_requests] == [thread(n) for n in range(5, 0, -1)]


def test_a_message_page_gives_its_fields_and_the_reply(bench: Bench) -> None:
    with bench.run(board(OFFLINE)) as context:
        spider = spider_for(context)
        (item,), requests = results(spider.parse_detail(bench.pages.response(thread(1))))
        (unanswered,), _ = results(spider.parse_detail(bench.pages.response(thread(2))))

    assert requests == []
    assert {k: v for k, v in item.items() if k not in ("text", "reply")} == {
        "native_id": "1",
        "origin": thread(1),
        "url": thread(1),
        "kind": "board",
        "title": "临江区幸福路停水问题1",
        "author": "网友甲",
        "published_at": f"{when(1):%Y-%m-%d %H:%M:%S}",
        "region": "临江区",
        "category": "城乡建设",
    }
    assert "幸福路小区停水第1天，联系电话13912345678。" in item["text"]  # masked later
    assert item["reply"]["department"] == "市水务局"
    assert item["reply"]["replied_at"] == f"{when(1) + timedelta(days=1):%Y-%m-%d %H:%M}"
    assert "现已处理完毕" in item["reply"]["text"]
    assert "reply" not in unanswered and unanswered["native_id"] == "2"


@pytest.mark.parametrize("number", [7, 8], ids=["gbk", "utf8-labelled-gb2312"])
def test_charsets_are_repaired(bench: Bench, number: int) -> None:
    with bench.run(board(OFFLINE)) as context:
        response = bench.pages.response(thread(number))
        (item,), _ = results(spider_for(context).parse_detail(response))
    assert response.headers[b"Content-Type"].endswith((b"gbk", b"gb2312"))
    assert item["title"] == f"临江区幸福路停水问题{number}"
    assert item["author"] == "网友甲"


def test_a_broken_page_is_quarantined_with_the_reason(bench: Bench) -> None:
    with bench.run(board(OFFLINE)) as context:
        items, requests = results(spider_for(context).parse_detail(bench.pages.response(thread(9))))
    assert (items, requests) == ([], [])
    (record,) = bench.quarantined("board")
    assert record["origin"] == thread(9)
    assert record["reason"] == "no title or message found with the configured selectors"
    assert context.summary is not None and context.summary.status == "partial"


def test_a_board_is_read_page_by_page_into_the_store(bench: Bench) -> None:
    summary, walk = bench.walk(board(OFFLINE))

    assert summary.line().startswith("board: 14 items, 14 new, 0 updated, 0 unchanged, 1 failed")
    assert summary.status == "partial" and summary.errors == []
    assert bench.pages.hits["/board/list"] == 3
    assert sorted(walk.fetched) == sorted(
        [f"{OFFLINE}/board/list?page={n}" for n in (1, 2, 3)]
        + [thread(n) for n in range(1, MESSAGES + 1)]
    )
    assert [q["origin"].rsplit("/", 1)[1] for q in bench.quarantined("board")] == ["9.html"]

    posts = bench.store.get_many([f"board:{n}" for n in range(1, MESSAGES + 1)])
    assert len(posts) == 14 and "board:9" not in posts
    one = posts["board:1"]
    assert one.title == "临江区幸福路停水问题1"
    assert one.text == "幸福路小区停水第1天，联系电话*******5678。\n请尽快恢复供水。"
    assert (one.author, one.region, one.category, one.kind, one.url) == (
        "网友甲",
        "临江区",
        "城乡建设",
        "board",
        thread(1),
    )
    assert one.published_at == when(1) and one.published_at.utcoffset() == timedelta(hours=8)
    assert one.reply is not None and one.reply.department == "市水务局"
    assert one.reply.text == "您好，您反映的问题已交办，现已处理完毕。"
    assert one.reply.replied_at == when(1) + timedelta(days=1)
    assert posts["board:7"].title == "临江区幸福路停水问题7"  # GBK decoded
    assert posts["board:8"].title == "临江区幸福路停水问题8"  # mislabelled UTF-8 decoded
    assert posts["board:3"].reply is None and posts["board:2"].reply is None
    # Messages without a reply are marked to be read again; the broken one is not.
    marks = bench.recorder.marks["board"]
    assert marks.last_seen_at == when(15) and marks.last_seen_id == "15"
    assert sorted(marks.pending, key=int) == ["2", "3", "4", "6", "8", "10", "12", "14"]


def test_a_second_run_stops_at_seen_messages_and_picks_up_new_replies(bench: Bench) -> None:
    bench.walk(board(OFFLINE))
    lists_before = bench.pages.hits["/board/list"]

    again, walk = bench.walk(board(OFFLINE))
    assert " 0 new, 0 updated" in again.line() and again.status == "ok"
    assert bench.pages.hits["/board/list"] == lists_before + 1  # page 1 only
    # Page 1 up to the newest message seen, and the messages still waiting for a reply.
    assert sorted(walk.fetched) == sorted(
        [f"{OFFLINE}/board/list?page=1", thread(15)]
        + [thread(n) for n in (2, 3, 4, 6, 8, 10, 12, 14)]
    )

    site_board.STATE["reply_to_3"] = True  # the department answers between two runs
    third, _ = bench.walk(board(OFFLINE))
    assert " 0 new, 1 updated" in third.line(), third.line()
    reply = bench.store.get("board:3").reply
    assert reply is not None and reply.department == "市水务局"
    assert "3" not in bench.recorder.marks["board"].pending


def test_max_pages_ends_an_endless_board(bench: Bench) -> None:
    summary, walk = bench.walk(
        board(OFFLINE, name="endless", path="/loop/list?page=1", max_pages=4)
    )
    assert bench.pages.hits["/loop/list"] == 4
    assert walk.fetched[-1] != f"{OFFLINE}/loop/list?page=5"
    assert summary.errors == [f"{OFFLINE}/loop/list?page=4: stopped after 4 list pages (max_pages)"]
    assert summary.status == "partial"


def test_on_scrapy_s_engine_a_429_is_retried_a_slow_page_waited_for_and_a_cycle_ends(
    bench: Bench, fixture_server: FixtureServer
) -> None:
    url = fixture_server.url
    summaries = bench.crawl(
        board(url),
        board(url, name="endless", path="/loop/list?page=1", max_pages=4),
        board(url, name="cycle", path="/cycle/list?page=1"),
    )
    hits = fixture_server.hits

    line = summaries["board"].line()
    assert line.startswith("board: 14 items, 14 new, 0 updated, 0 unchanged, 1 failed"), line
    assert hits["/board/list"] == 3
    # 5 answered 429 with Retry-After: 1, and was asked again after that second.
    assert hits["/board/thread/5.html"] == 2
    first, second = fixture_server.times["/board/thread/5.html"]
    assert second - first >= 0.9
    posts = bench.store.get_many(["board:5", "board:6", "board:7"])
    assert posts["board:5"].title == "临江区幸福路停水问题5"
    assert posts["board:6"].title == "临江区幸福路停水问题6"  # the slow one, waited for
    assert posts["board:7"].title == "临江区幸福路停水问题7"  # GBK over HTTP
    assert [q["origin"] for q in bench.quarantined("board")] == [f"{url}/board/thread/9.html"]

    assert hits["/loop/list"] == 4
    assert summaries["endless"].errors == [
        f"{url}/loop/list?page=4: stopped after 4 list pages (max_pages)"
    ]
    # Page 2 links back to page 1: the duplicate filter ends the loop.
    assert hits["/cycle/list"] == 2
    assert summaries["cycle"].status == "ok" and summaries["cycle"].created == 1
