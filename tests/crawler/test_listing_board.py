"""A board read from a JSON API maps every post field, its reply included (made-up site:
tests/crawler/site_microblog.py; the real 领导留言板 list carries no reply text)."""

from __future__ import annotations

from datetime import datetime

from core.timezone import SHANGHAI
from tests.crawler.blocks import OFFLINE
from tests.crawler.harness import Bench

BLOCK = {
    "name": "hall",
    "kind": "board",
    "api": {
        "api_url": f"{OFFLINE}/mb/board-api",
        "items_path": "list",
        "pagination": {"type": "page", "param": "p", "has_more_path": "more"},
        "fields": {
            "id": "msgId",
            "title": "subject",
            "text": "body",
            "author": "user",
            "region": "district",
            "category": "type",
            "published_at": {"at": "postedAt", "time_formats": ["%m/%d/%Y %H:%M"]},
            "reply": "answer.content",
            "reply_department": "answer.dept",
            "replied_at": "answer.at",
        },
        "url_template": "https://hall.example.gov.cn/msg/{id}",
    },
}


def test_a_json_board_maps_title_author_region_category_and_its_reply(bench: Bench) -> None:
    summary, _ = bench.walk(BLOCK)
    assert summary.line().startswith("hall: 2 items, 2 new, 0 updated, 0 unchanged, 0 failed")
    answered = bench.store.get("hall:M-1001")
    assert answered.kind == "board"
    assert (answered.title, answered.text) == ("幸福路小区停水三天", "何时恢复供水？")
    assert (answered.author, answered.region, answered.category) == ("居民甲", "临江区", "城建")
    assert answered.published_at == datetime(2025, 3, 18, 9, 30, tzinfo=SHANGHAI)
    assert answered.published_precision == "minute"
    assert answered.url == "https://hall.example.gov.cn/msg/M-1001"
    assert answered.reply is not None
    assert answered.reply.text == "已于当日恢复。"
    assert answered.reply.department == "市水务集团"
    assert answered.reply.replied_at == datetime(2025, 3, 19, 10, 0, tzinfo=SHANGHAI)
    waiting = bench.store.get("hall:M-1002")
    assert waiting.reply is None and waiting.region == "滨湖区"
    # A JSON board re-reads its recent pages (refresh_hours), not detail pages: nothing pending.
    assert bench.recorder.marks["hall"].pending == {}
