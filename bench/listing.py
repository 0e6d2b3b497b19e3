"""JSON listing benchmark: m.weibo.cn cards mapped to stored-post form, per second.

The cards are the real getIndex page in tests/fixtures/real/weibo (emoticon images, a link
card, a repost), repeated with fresh ids to `--items`. Timed, five rounds each, medians:

* mapping: the listing spider's item mapping (`ItemMapper.post`: field paths, emoticon codes
  for images, link cards dropped, times with precision, counts, repost link) then
  `crawler.pipeline.prepare` (HTML to text, id, validation and masking);
* reference: `prepare` alone on the same cards' raw text, the work every source does anyway;
  the ratio says what reading Weibo's markup costs on top.

    python bench/listing.py [--items 20000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from core.timezone import SHANGHAI  # noqa: E402
from crawler.pipeline import prepare  # noqa: E402
from crawler.sources import MicroblogSource  # noqa: E402
from crawler.spiders.listing_items import ItemMapper, dig  # noqa: E402

PAGE = ROOT / "tests" / "fixtures" / "real" / "weibo" / "getindex_cards_page2.json"
NOW = datetime(2019, 6, 15, 12, 0, tzinfo=SHANGHAI)
SOURCE = """
name: weibo
kind: microblog
api_url: https://m.weibo.cn/api/container/getIndex?containerid=1076031669879400
items_path: data.cards
item_path: mblog
pagination: {type: page, param: page}
url_template: https://m.weibo.cn/status/{id}
fields:
  id: id
  text: text
  published_at: created_at
  author: user.screen_name
  author_verified: user.verified
  reposts: reposts_count
  comments: comments_count
  likes: attitudes_count
  repost_of: retweeted_status.id
"""


def cards(n: int) -> list[dict[str, Any]]:
    real = [
        c for c in json.loads(PAGE.read_text(encoding="utf-8"))["data"]["cards"] if "mblog" in c
    ]
    out = []
    for i in range(n):
        card = json.loads(json.dumps(real[i % len(real)]))
        card["mblog"]["id"] = str(5_000_000_000_000_000 + i)
        out.append(card)
    return out


def rate(work: Any, items: int, rounds: int = 5) -> float:
    seconds = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - start)
    return items / statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=20_000)
    args = parser.parse_args()
    source = MicroblogSource.model_validate(yaml.safe_load(SOURCE))
    mapper = ItemMapper(source, source, NOW)
    entries = cards(args.items)

    def mapped() -> None:
        for card in entries:
            prepare(mapper.post(card["mblog"], card, "bench"), "weibo", now=NOW)

    plain = [
        {
            "native_id": card["mblog"]["id"],
            "kind": "microblog",
            "text": dig(card, "mblog.text"),
            "published_at": NOW,
        }
        for card in entries
    ]

    def reference() -> None:
        for raw in plain:
            prepare(raw, "weibo", now=NOW)

    mapping = rate(mapped, len(entries))
    base = rate(reference, len(entries))
    print(
        f"bench-listing items={len(entries)} mapping+prepare {mapping:,.0f} items/s"
        f"  reference: prepare alone {base:,.0f} items/s  ratio {mapping / base:.2f}"
    )


if __name__ == "__main__":
    main()
