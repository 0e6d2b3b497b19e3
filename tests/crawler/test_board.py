"""The board spider on Scrapy's real engine against the local fixture board."""

from __future__ import annotations

from datetime import timedelta

from tests.crawler import site_board
from tests.crawler.site_board import MESSAGES, when

SELECTORS = {
    "item": "ul.msg-list li.msg",
    "detail_link": "a.title::attr(href)",
    "next_page": "a.next::attr(href)",
    "list_date": "span.date::text",
    "title": "h1.msg-title::text",
    "body": "div.msg-body",
    "author": "span.author::text",
    "published_at": "span.time::text",
    "region": "span.region::text",
    "category": "span.category::text",
    "reply_body": "div.reply-body",
    "reply_department": "span.reply-dept::text",
    "replied_at": "span.reply-time::text",
    "id_from_url": r"/thread/(\d+)\.html",
}


def board(product, name: str = "board", path: str = "/board/list?page=1", **extra):  # type: ignore[no-untyped-def]
    return {
        "name": name,
        "kind": "board",
        "start_url": product.url(path),
        "selectors": SELECTORS,
        **extra,
    }


def test_a_board_is_crawled_page_by_page_with_replies_and_bad_pages_quarantined(product) -> None:
    site_board.STATE.update(reply_to_3=False, hits_429=0)
    product.sources(board(product))
    result = product.yuqing("crawl", "board")
    assert result.returncode == 0, result.stderr
    # 15 detail pages; the broken one (9) is quarantined, the 429 one (5) retried, GBK and
    # mislabelled pages (7, 8) read correctly, the slow one (6) waited for.
    assert "board: 14 items, 14 new, 0 updated, 0 unchanged, 1 failed" in result.stdout
    assert "[partial]" in result.stdout
    quarantined = product.quarantined("board")
    assert [q["origin"].rsplit("/", 1)[1] for q in quarantined] == ["9.html"]
    assert "no title or message" in quarantined[0]["reason"]
    assert product.server.hits["/board/list"] == 3
    assert product.server.hits["/board/thread/5.html"] == 2

    store = product.store()
    posts = store.get_many([f"board:{n}" for n in range(1, MESSAGES + 1)])
    assert len(posts) == 14 and "board:9" not in posts
    one = posts["board:1"]
    assert one.title == "临江区幸福路停水问题1"
    assert one.text == "幸福路小区停水第1天，联系电话*******5678。\n请尽快恢复供水。"
    assert (one.author, one.region, one.category, one.kind) == (
        "网友甲",
        "临江区",
        "城乡建设",
        "board",
    )
    assert one.published_at == when(1) and one.published_at.utcoffset() == timedelta(hours=8)
    assert one.reply is not None and one.reply.department == "市水务局"
    assert one.reply.text == "您好，您反映的问题已交办，现已处理完毕。"
    assert one.reply.replied_at == when(1) + timedelta(days=1)
    assert posts["board:7"].title == "临江区幸福路停水问题7"  # GBK decoded
    assert posts["board:8"].title == "临江区幸福路停水问题8"  # mislabelled UTF-8 decoded
    assert posts["board:3"].reply is None and posts["board:2"].reply is None
    assert 0 <= one.sentiment <= 1 and one.keywords


def test_a_second_crawl_stops_at_seen_messages_and_picks_up_new_replies(product) -> None:
    site_board.STATE.update(reply_to_3=False, hits_429=1)
    product.sources(board(product))
    assert product.yuqing("crawl", "board").returncode == 0
    lists_before = product.server.hits["/board/list"]

    again = product.yuqing("crawl", "board")
    assert again.returncode == 0, again.stderr
    assert " 0 new, 0 updated" in again.stdout
    assert product.server.hits["/board/list"] == lists_before + 1  # page 1 only

    site_board.STATE["reply_to_3"] = True
    third = product.yuqing("crawl", "board")
    assert " 0 new, 1 updated" in third.stdout, third.stdout
    reply = product.store().get("board:3").reply
    assert reply is not None and reply.department == "市水务局"


def test_endless_and_cyclic_pagination_end(product) -> None:
    product.sources(
        board(product, name="endless", path="/loop/list?page=1", max_pages=4),
        board(product, name="cycle", path="/cycle/list?page=1"),
    )
    result = product.yuqing("crawl", "endless", "cycle", timeout=120)
    assert result.returncode == 0, result.stderr
    assert product.server.hits["/loop/list"] == 4
    assert "stopped after 4 list pages" in result.stderr
    assert product.server.hits["/cycle/list"] == 2
