"""The generated items of each source, and the site that holds them and knows what is visible."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol, TypeVar

RSS_LIMIT = 200  # the 江澜日报 feed carries only its newest items


class _Dated(Protocol):
    @property
    def published(self) -> datetime: ...


D = TypeVar("D", bound=_Dated)


@dataclass(frozen=True, slots=True)
class NewsArticle:
    id: int
    outlet: str  # "daily" (江澜日报, RSS) or "media" (江澜融媒, Atom)
    channel: str
    title: str
    summary: str
    paragraphs: tuple[str, ...]
    byline: str  # reporters, e.g. "记者 王芳 通讯员 李强"
    editor: str
    published: datetime
    charset: str  # "utf-8", "gbk", or "mislabelled" (UTF-8 body under a gb2312 meta tag)
    key: str  # incident ("water", "school", "odour") or "background"


@dataclass(frozen=True, slots=True)
class BoardReply:
    dept: str
    replied: datetime
    body: str


@dataclass(frozen=True, slots=True)
class BoardMessage:
    id: int
    title: str
    author: str
    published: datetime
    region: str
    category: str
    body: str
    reply: BoardReply | None
    key: str

    def reply_at(self, now: datetime) -> BoardReply | None:
        """The reply as a visitor sees it at `now`: not before it was written."""
        if self.reply is not None and self.reply.replied <= now:
            return self.reply
        return None


@dataclass(frozen=True, slots=True)
class MicroblogUser:
    id: int
    screen_name: str
    verified: bool
    verified_type: int  # -1 none, 0 personal, 1 government, 3 media
    followers: int
    district: str


@dataclass(frozen=True, slots=True)
class MicroblogStatus:
    id: str
    published: datetime
    text: str  # plain text; #话题#, @账号 and newlines become markup when served
    user: MicroblogUser
    reposts: int
    comments: int
    likes: int
    region_name: str
    source: str
    retweeted: MicroblogStatus | None
    key: str


@dataclass(frozen=True, slots=True)
class HotlineOrder:
    number: str
    published: datetime  # 受理时间
    channel: str
    region: str
    kind: str
    title: str
    content: str
    handler: str
    deadline: date
    closed: datetime | None
    answer: str
    key: str

    def status_at(self, now: datetime) -> str:
        if self.closed is not None and self.closed <= now:
            return "已办结"
        return "办理中"

    def answer_at(self, now: datetime) -> str:
        return self.answer if self.status_at(now) == "已办结" else ""


def visible(items: Sequence[D], now: datetime) -> list[D]:
    """Items already published at `now`, keeping the newest-first order."""
    return [item for item in items if item.published <= now]


@dataclass
class Site:
    """Everything the demo site serves; each list is newest first."""

    today: date
    news: list[NewsArticle]
    board: list[BoardMessage]
    microblog: list[MicroblogStatus]
    hotline: list[HotlineOrder]
    _articles: dict[int, NewsArticle] = field(init=False, repr=False)
    _threads: dict[int, BoardMessage] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._articles = {article.id: article for article in self.news}
        self._threads = {message.id: message for message in self.board}

    @property
    def total(self) -> int:
        return len(self.news) + len(self.board) + len(self.microblog) + len(self.hotline)

    def article(self, article_id: int, now: datetime) -> NewsArticle | None:
        found = self._articles.get(article_id)
        return found if found is not None and found.published <= now else None

    def thread(self, message_id: int, now: datetime) -> BoardMessage | None:
        found = self._threads.get(message_id)
        return found if found is not None and found.published <= now else None

    def rss_items(self, now: datetime) -> list[NewsArticle]:
        daily = [a for a in self.news if a.outlet == "daily" and a.published <= now]
        return daily[:RSS_LIMIT]

    def atom_entries(self, now: datetime) -> list[NewsArticle]:
        return [a for a in self.news if a.outlet == "media" and a.published <= now]

    def visible_counts(self, now: datetime) -> dict[str, int]:
        return {
            "news_rss": len(self.rss_items(now)),
            "news_atom": len(self.atom_entries(now)),
            "board": len(visible(self.board, now)),
            "microblog": len(visible(self.microblog, now)),
            "hotline": len(visible(self.hotline, now)),
        }
