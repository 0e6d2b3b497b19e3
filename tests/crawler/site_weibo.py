"""Real m.weibo.cn replies (tests/fixtures/real/weibo, see SOURCE.md there), served as a
timeline of three pages, and a real 领导留言板 list page served as a POST API.

What is real and what is built around it:

* page 1 wraps the real `statuses/show` reply's post (a repost of a long post) in a getIndex
  card, beside a card of another type that the source's `item_filter` leaves out; page 2 is
  the real getIndex page, as saved; page 3 is the empty list that ends the timeline.
* `statuses/extend?id=4383404751066167` answers in the shape of the real extend reply with
  that post's own full text, which the real statuses/show reply carries in
  `longText.longTextContent` (no real extend reply for that post was saved).
* `refreshed()` serves pages 1 and 2 again with the counts of three posts raised (the only
  change), as a later crawl would see them.
* `/weibo/broken/getIndex` is page 2 with two posts spoiled: one's original loses its id and
  its time (as a deleted original's stub has neither), one's time is unreadable.
* The login wall's body is the one quoted in a project's source comment (no saved body was
  found): `{"ok":-100,"msg":"请先登录","url":"https://passport.weibo.cn/signin/welcome?..."}`.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from tests.crawler.server import Handler, Reply

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
LONG_ID = "4383404751066167"
LOGIN_WALL = {
    "ok": -100,
    "msg": "请先登录",
    "url": "https://passport.weibo.cn/signin/welcome?entry=mweibo&r=...",
}
# Raised counts of the refreshed pages: post id -> (reposts, comments, likes).
RAISED = {
    "4383411844046171": (5, 7, 11),
    LONG_ID: (2, 3, 4),
    "4383183661430868": (240_600, 95_700, 349_000),
}
_state = {"refreshed": False}


def real(name: str) -> Any:
    return json.loads((REAL / name).read_text(encoding="utf-8"))


def reset() -> None:
    _state["refreshed"] = False


def refreshed() -> None:
    """From now on the timeline shows the raised counts."""
    _state["refreshed"] = True


def _json(data: Any, status: int = 200) -> Reply:
    return Reply(json.dumps(data, ensure_ascii=False), status, "application/json; charset=utf-8")


def _raised(page: dict[str, Any]) -> dict[str, Any]:
    page = copy.deepcopy(page)
    for card in page["data"]["cards"]:
        for post in (card.get("mblog"), (card.get("mblog") or {}).get("retweeted_status")):
            if post and post["id"] in RAISED:
                counts = RAISED[post["id"]]
                names = ("reposts_count", "comments_count", "attitudes_count")
                post.update(dict(zip(names, counts, strict=True)))
    return page


def page_one() -> dict[str, Any]:
    post = real("weibo/statuses_show_retweet_longtext.json")["data"]
    card = {
        "card_type": 9,
        "itemid": f"1076035973737418_-_{post['id']}",
        "scheme": f"https://m.weibo.cn/status/{post['bid']}?mblogid={post['bid']}",
        "mblog": post,
    }
    group = {"card_type": 11, "card_group": []}
    return {"ok": 1, "data": {"cardlistInfo": {"page": 1}, "cards": [group, card]}}


def timeline(query: dict[str, str]) -> Reply:
    page = query.get("page", "1")
    if page == "1":
        data = page_one()
    elif page == "2":
        data = real("weibo/getindex_cards_page2.json")
    else:
        return _json({"ok": 0, "msg": "这里还没有内容", "data": {"cards": []}})
    return _json(_raised(data) if _state["refreshed"] else data)


def extend(query: dict[str, str]) -> Reply:
    if query.get("id") != LONG_ID:
        return _json({"ok": 0, "msg": "not saved"}, status=404)
    original = real("weibo/statuses_show_retweet_longtext.json")["data"]["retweeted_status"]
    full = original["longText"]["longTextContent"]
    return _json({"ok": 1, "data": {"ok": 1, "longTextContent": full}})


def broken(query: dict[str, str]) -> Reply:
    if query.get("page", "1") != "1":
        return timeline({"page": "3"})
    data = real("weibo/getindex_cards_page2.json")
    cards = data["data"]["cards"]
    original = cards[1]["mblog"]["retweeted_status"]
    del original["id"], original["created_at"]
    cards[2]["mblog"]["created_at"] = "sometime"
    return _json(data)


def walled(query: dict[str, str]) -> Reply:
    """Page 1 as saved; page 2 is the login wall."""
    if query.get("page", "1") == "1":
        return timeline({"page": "2"})
    return _json(LOGIN_WALL)


def redirected(query: dict[str, str]) -> Reply:
    return Reply("", 302, "text/html", {"Location": "/weibo/passport/signin?entry=mweibo"})


def forbidden(query: dict[str, str]) -> Reply:
    return Reply("需要登录", 403, "text/plain; charset=utf-8")


def board(query: dict[str, str]) -> Reply:
    """The real 领导留言板 list page for the first request (no lastItem), then an empty one."""
    if query.get("lastItem"):
        return _json({"result": {"code": "0"}, "resultData": {"hasData": 0, "data": []}})
    return _json(real("boards/liuyan_threads_list_df_page1.json"))


PAGES: dict[str, Handler] = {
    "/weibo/api/container/getIndex": timeline,
    "/weibo/statuses/extend": extend,
    "/weibo/broken/getIndex": broken,
    "/weibo/walled/getIndex": walled,
    "/weibo/redirected/getIndex": redirected,
    "/weibo/forbidden/getIndex": forbidden,
    "/weibo/passport/signin": lambda q: Reply("<html><body>登录 - 新浪微博</body></html>"),
    "/liuyan/v1/threads/list/df": board,
}
ROUTES: dict[str, Handler] = PAGES
