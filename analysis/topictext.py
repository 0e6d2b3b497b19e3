"""What a post says about its topic, apart from how it says it.

Microblog text carries much that is not topic: emoticon codes (`[蜡烛]`, `[哈哈]`), the chain of
earlier reposts (`//@name: …`), reply and mention handles (`回复@name:`, `@name`), links and the
platform's boilerplate (转发微博, 网页链接, …全文). Clustering on them glues unrelated events
together: `[蜡烛]` is the same in a bombing and an earthquake. `topic_text` removes them; the
post keeps its raw text, and the emoticons stay a sentiment feature (`emoticons`).

`label_text` is what a label may show: the topic text without hashtags either. `is_name` tells
words that name a place, road, estate or organisation by their ending (小区, 路, 医院, 局…),
so they can weigh more than common words.
"""

from __future__ import annotations

import re
from functools import lru_cache

from core.settings import CONFIG_DIR

# [哈哈], [蜡烛], [doge], [good], [淚]: a short bracketed code without spaces or punctuation.
EMOTICON = re.compile(r"\[[\w\u4e00-\u9fff]{1,8}\]")
# A repost chain: everything from the first "//@" on is what earlier reposters wrote.
_CHAIN = re.compile(r"//\s*@.*", re.S)
_REPLY_TO = re.compile(r"^\s*(?:回复|回覆|reply)\s*@[^\s:：]{1,30}\s*[:：]?", re.I)
_MENTION = re.compile(r"@[\w\u4e00-\u9fff\-]{1,30}")
_URL = re.compile(r"(?:https?:(?://)?|www\.)[\w\-./?%&=#:~+@!]*", re.I)
_HASHTAG = re.compile(r"#([^#\n]{1,60})#")
_SUPERTOPIC = re.compile(r"【([^】]{1,60})】")
_BOILERPLATE = re.compile(
    r"转发微博|轉發微博|转发|Repost|网页链接|展开全文|[.…]+\s*全文|查看图片|分享图片|话题详情|"
    r"[(（]?分享自\s*\S{0,20}[)）]?|来自\S{0,20}客户端|"
    r"\S{0,20}的微博视频|秒拍视频|原图|O网页链接|L\S{0,20}的(?:秒拍|微博)视频",
    re.I,
)
# Spreadsheet escapes left in exported text: "_x000D_" is a carriage return.
_XML_ESCAPE = re.compile(r"_x[0-9A-Fa-f]{4}_")
_SPACE = re.compile(r"\s+")

# Endings of words that name a place, a road, an estate or an organisation.
NAME_ENDINGS = (
    "小区", "花园", "家园", "新村", "新城", "公寓", "大厦", "广场", "苑",
    "路", "街", "大道", "巷", "桥", "隧道", "高速", "地铁", "站", "机场", "码头", "港",
    "村", "社区", "开发区", "园区", "工业园",
    "医院", "学校", "小学", "中学", "大学", "学院", "幼儿园", "公司", "集团", "工厂", "厂",
    "局", "委", "办", "法院", "检察院", "派出所", "公安", "银行", "超市", "商场", "酒店",
    "景区", "公园", "水库", "电站", "化工园", "搅拌站", "垃圾站",
)  # fmt: skip


def topic_text(text: str) -> str:
    """The words of `text` that can carry a topic: without emoticon codes, the repost chain,
    reply and mention handles, links and boilerplate. Hashtags keep their words."""
    return _SPACE.sub(" ", _HASHTAG.sub(r" \1 ", _without_chatter(text))).strip()


def label_text(text: str) -> str:
    """What a label may show of `text`: its topic text without hashtags and 【】 headings'
    brackets."""
    out = _SUPERTOPIC.sub(r"\1 ", _HASHTAG.sub(" ", _without_chatter(text)))
    return _SPACE.sub(" ", out).strip(" ，,。.；;：:！!？?~～-—")


# Anything `topic_text` would remove starts with one of these.
_CHATTER = re.compile(
    r"[\[@#/]|_x[0-9A-Fa-f]{4}_|https?:|www\.|转发|轉發|Repost|网页链接|全文|图片|分享|视频|原图|客户端",
    re.I,
)


def has_chatter(text: str) -> bool:
    """Whether `text` holds anything `topic_text` removes (else it is its own topic text)."""
    return _CHATTER.search(text) is not None


def _without_chatter(text: str) -> str:
    if not text:
        return ""
    out = _CHAIN.sub(" ", text)
    out = _XML_ESCAPE.sub(" ", out)
    out = _REPLY_TO.sub(" ", out)
    out = _URL.sub(" ", out)
    out = _MENTION.sub(" ", out)
    out = EMOTICON.sub(" ", out)
    return _BOILERPLATE.sub(" ", out)


def emoticons(text: str) -> list[str]:
    """The emoticon codes of `text`, in order (a sentiment feature, never a topic)."""
    return EMOTICON.findall(text or "")


def hashtags(text: str) -> list[str]:
    """The hashtags of `text` (#…#), their words stripped of spaces, in order."""
    return [h.strip() for h in _HASHTAG.findall(text or "") if h.strip()]


# A run of one laughing, sighing or exclaiming syllable, or of netspeak digits.
_INTERJECTION = re.compile(r"^(?:[哈呵嘻嘿啊哦噢喔呀哇嗯唉哎呜嘤嘎咦]+|2333*|666+|[hH][aA]+)$")
# A bare number or amount says nothing of what it counts ("10", "200", "3.5%").
_NUMBER = re.compile(r"^[\d.,:/%+\-]+$")


@lru_cache(maxsize=1)
def reaction_words() -> frozenset[str]:
    """The shipped reaction words (`config/reaction_words.txt`)."""
    lines = (CONFIG_DIR / "reaction_words.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))


def is_reaction(word: str) -> bool:
    """Whether `word` says how someone feels rather than what about: a reaction word
    (真的假的, 一路走好, 加油), a run of laughter (哈哈哈, 呵呵呵) or a bare number."""
    return word in reaction_words() or bool(_INTERJECTION.match(word) or _NUMBER.match(word))


def is_name(word: str) -> bool:
    """Whether `word` ends like the name of a specific place, road, estate or organisation
    (and is longer than the ending: "路" alone is no name). Provinces, cities, districts,
    towns and streets (街道) are left out: nearly every post of one names them."""
    if not word.endswith(NAME_ENDINGS):  # one C-level test; most words stop here
        return False
    return any(word.endswith(e) and len(word) > len(e) for e in NAME_ENDINGS)
