"""Persistent complaints on a real message board: do the topics that repeat most become hot?

Each row of ../shared/data/message_board/messages_with_replies.csv becomes a board post (title
留言主题, text 留言详情, author 留言用户, published at 留言时间, Beijing time) and is replayed as
the product would have seen it live: day by day in time order, through the per-post analysis
into a SQLite store, with one pass of the clustering job per day that has data, `now` = the end
of that day. The official reply (答复意见, 答复时间) is unknown until its day: the post is
stored again with its reply then, as a re-crawl would find it (`--replies upfront` gives every
post its reply from the start instead, as a crawl of the archive would).

The reference ("the topics that repeat most") groups messages by the place they name: the first
name in 留言主题, or failing that in the first 200 characters of 留言详情, that ends like an
estate, road, village, school, hospital or company (`SUFFIX`). The name is the 2 to 10
characters before the ending, cut after the last district code (A7县), administrative word
(市/区/县/镇/乡/街道), verb of asking (反映/投诉/希望/咨询 ...), function character or
punctuation (`STOP`); bare generic stems (道路, 农村, 公交线路, 人民医院 ...) are dropped. The
key is the city letter of the first district code in the message plus the name ("A·星沙大道").
The top 10 are the groups with the most messages (then the most users).

Printed: the reference top 10 (messages, users, span, and the most messages within 30 days:
what the board's topic window can hold); the product's top 10 topics by peak score, with the
reference group most of their members belong to and their first member's subject; for the
reference top 10, and for the 10 places with most messages within 30 days, how many the
product's top 10 and 20 hold and how it split each (clusters, share in the biggest, best peak);
then clusters, singletons, unassigned, flags at the shipped alert threshold, catch-all topics
(5+ posts naming more than 3 reference places), and the job's time and posts/s.

    python bench/board_complaints.py [--replies live|upfront] [--top 10] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import logging
import re
import sys
import tempfile
import time
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.timezone import SHANGHAI  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "message_board" / "messages_with_replies.csv"
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M")
SUFFIX = re.compile(
    "小区|花园|花苑|家园|公寓|山庄|新城|新村|广场|大厦|苑|村|社区|大道|路|街(?!道)|巷"
    "|小学|中学|学校|大学|学院|幼儿园|医院|公司|集团|市场|工业园|产业园"
)
CODE = re.compile(r"([A-Z])\d{0,2}[市区县]")
STOP = re.compile(
    CODE.pattern + r"|[^\u4e00-\u9fa5A-Za-z0-9]|街道|反映|投诉|举报|关于|希望|咨询|请求|恳请"
    "|建议|反对|要求|请问|解决|加快|位于|我们|我是|本人|住在|地处|对于|以及|通往|通向|连通"
    "|打通|开通|修建|拓宽|延长|改造|增设|设立|整治|取缔|查处|拆除|优化|调整|疏通|关停|部门|考上"
    "|[省市区县镇乡的在和与及对给请向是了从到被把将由至于]"
)
# Stems too generic to name one place ("道路", "农村", "人民医院").
GENERIC = frozenset(
    re.findall(
        r"\S+",
        "线 道 公 马 水泥 村级公 级公 农 交叉 公交线 出 思 套 网 一条 这条"
        " 该 本 此 我 老 新 各 城 城市 农村 高速公 铁 电 水 过 上 走 进"
        " 夜宵一条 商业 步行 主干 这 那 全 民营 公办 民办 私立 物业 房地产 开发"
        " 建筑 人民 中医 妇幼 中心 第一 第二 第三 乡村 所在 当地 附近 小 大 中"
        " 该小 本小 一个 这个 各个 两个 城区 老旧 安置 村民 职业技术 卫生"
        " 社区卫生",
    )
)
# Names that end in a common word are no place ("…农村", "…断路").
COMMON_END = ("农村", "乡村", "道路", "马路", "线路", "断路", "思路", "出路", "套路", "网路")
WINDOW = timedelta(days=30)  # the board's topic window in config/hot_issues.yaml


@dataclass
class Message:
    id: str
    user: str
    subject: str
    detail: str
    at: datetime
    reply: str
    reply_at: datetime | None
    group: str | None = None


def parse_time(text: str) -> datetime | None:
    for fmt in TIME_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).replace(tzinfo=SHANGHAI)
        except ValueError:
            pass
    return None


def load(path: Path) -> tuple[list[Message], list[str]]:
    """The messages in time order, and a line for each row whose times cannot be read."""
    messages, bad = [], []
    with open(path, encoding="utf-8", newline="") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            at = parse_time(row["留言时间"])
            reply = (row["答复意见"] or "").strip()
            reply_at = parse_time(row["答复时间"]) if row["答复时间"].strip() else None
            if at is None or (row["答复时间"].strip() and reply_at is None):
                bad.append(
                    f"line {line}: 留言时间={row['留言时间']!r} 答复时间={row['答复时间']!r}"
                )
                continue
            messages.append(
                Message(
                    row["留言编号"].strip(), row["留言用户"].strip(), row["留言主题"].strip(),
                    row["留言详情"].strip(), at, reply, reply_at,
                )
            )  # fmt: skip
    messages.sort(key=lambda m: (m.at, m.id))
    return messages, bad


def places(text: str) -> list[str]:
    out = []
    for m in SUFFIX.finditer(text):
        stem = text[max(0, m.start() - 10) : m.start()]
        cuts = [x.end() for x in STOP.finditer(stem)]
        stem = stem[cuts[-1] :] if cuts else stem
        name = stem + m.group()
        if len(stem) >= 2 and stem not in GENERIC and not name.endswith(COMMON_END):
            out.append(name)
    return out


def group_of(m: Message) -> str | None:
    named = places(m.subject) or places(m.detail[:200])
    if not named:
        return None
    code = CODE.search(m.subject) or CODE.search(m.detail)
    return f"{code.group(1) if code else '?'}·{named[0]}"


def in_window(times: list[datetime]) -> int:
    """The most messages within any 30 days (what the product's board window can hold)."""
    times = sorted(times)
    best, lo = 0, 0
    for hi, at in enumerate(times):
        while at - times[lo] > WINDOW:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


@dataclass
class Topic:
    id: int
    title: str
    size: int
    authors: int
    days: float
    peak: float
    peak_at: datetime | None
    flagged: bool
    group: str | None
    in_group: int
    first: str  # the subject of its first member
    places: int  # reference groups among its members


def replay(messages: list[Message], tmp: Path, upfront: bool) -> tuple[dict, list, dict, float]:
    """The replay: totals of the passes, the topics, each message's topic, the job's seconds."""
    from replay import Replay

    from api.database import session_scope
    from api.hot_issues.models import HotIssue, HotIssuePost, HotStatus
    from store.models import Post, Reply

    product = Replay(tmp)
    settings, store, analyzer = product.settings, product.store, product.analyzer
    engine, job = product.engine, product.job

    def day(at: datetime) -> datetime:
        return at.astimezone(SHANGHAI).replace(hour=0, minute=0, second=0, microsecond=0)

    new: dict[datetime, list[Message]] = defaultdict(list)
    answers: dict[datetime, list[Message]] = defaultdict(list)
    for m in messages:
        new[day(m.at)].append(m)
        if m.reply and m.reply_at is not None and not upfront:
            answers[day(max(m.reply_at, m.at))].append(m)
    posts: dict[str, Post] = {}

    def reply_of(m: Message) -> Reply:
        return Reply.model_validate({"text": m.reply, "replied_at": m.reply_at})

    totals: Counter[str] = Counter()
    job_s = 0.0
    for start in sorted(set(new) | set(answers)):
        now = start + timedelta(days=1)
        batch = []
        for m in new.get(start, []):
            known = bool(m.reply) and (upfront or m.reply_at is None or m.reply_at < now)
            data = {
                "id": f"mb:{m.id}", "source": "gov-board", "kind": "board",
                "title": m.subject, "text": m.detail, "author": m.user or None,
                "published_at": m.at, "reply": reply_of(m) if known else None,
            }  # fmt: skip
            batch.append(Post.model_validate(data))
        analyzer.enrich(batch)
        posts.update((p.id, p) for p in batch)
        answered = [
            posts[f"mb:{m.id}"].model_copy(update={"reply": reply_of(m)})
            for m in answers.get(start, [])
            if m.at < start  # a reply on the message's own day came with it
        ]
        store.upsert(batch + answered)
        t = time.perf_counter()
        result = job.run(now=now)
        job_s += time.perf_counter() - t
        totals.update(
            {k: v for k, v in result.as_dict().items() if isinstance(v, int) and k != "seconds"}
        )
        totals["passes"] += 1
    group = {f"mb:{m.id}": m.group for m in messages}
    subject = {f"mb:{m.id}": m.subject for m in messages}
    with session_scope(engine) as session:
        cluster_of = dict(session.query(HotIssuePost.post_id, HotIssuePost.hot_issue_id))
        members: dict[int, list[tuple]] = defaultdict(list)
        hp = HotIssuePost
        for cid, *rest in session.query(hp.hot_issue_id, hp.post_id, hp.author, hp.published_at):
            members[cid].append(rest)
        topics = []
        for row in session.query(HotIssue):
            if row.status == HotStatus.MERGED:
                totals["flagged_merged"] += row.flagged_at is not None
                continue
            rows = members.get(row.id, [])
            times = [at for _, _, at in rows]
            groups = Counter(group[p] for p, _, _ in rows if group.get(p))
            first = min(rows, key=lambda r: r[2])[0] if rows else ""
            top, n = groups.most_common(1)[0] if groups else (None, 0)
            topics.append(
                Topic(
                    row.id, row.title, len(rows), len({a for _, a, _ in rows if a}),
                    (max(times) - min(times)).total_seconds() / 86400 if times else 0.0,
                    row.peak_score or 0.0, row.peak_at, row.flagged_at is not None, top, n,
                    subject.get(first, ""), len(groups),
                )
            )  # fmt: skip
    totals["threshold"] = int(settings.alerts.threshold)
    product.close()
    return dict(totals), topics, cluster_of, job_s


def cell(text: str, width: int) -> str:
    """`text` padded to `width` terminal columns (a Chinese character takes two)."""
    wide = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - wide)


def show_reference(groups: dict[str, list[Message]], top: list[str], title: str) -> None:
    print(f"\nreference: {title}")
    print(f"  {cell('group', 22)}msgs users  first       last        span d  max in 30 d")
    for g in top:
        ms = groups[g]
        first, last = ms[0].at, ms[-1].at
        print(
            f"  {cell(g, 22)}{len(ms):4d} {len({m.user for m in ms}):5d}  {first:%Y-%m-%d}"
            f"  {last:%Y-%m-%d}  {(last - first).days:6d}  {in_window([m.at for m in ms]):11d}"
        )


def show_topics(topics: list[Topic], n: int) -> None:
    print(f"\nproduct: top {n} topics by peak score (* flagged at the alert threshold)")
    print(f"  peak  peak at (Beijing) size authors span d  {cell('ref group (members)', 26)}label")
    for t in topics[:n]:
        peak_at = f"{t.peak_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}" if t.peak_at else "-"
        ref = f"{t.group} ({t.in_group})" if t.group else "-"
        print(
            f"  {t.peak:5.1f}{'*' if t.flagged else ' '}{peak_at:16s} {t.size:5d} {t.authors:7d}"
            f" {t.days:6.1f}  {cell(ref, 26)}{t.title[:40]}"
        )
        print(f"{'':45s}first member: {t.first[:40]}")


def show_split(
    groups: dict[str, list[Message]], top: list[str], topics: list[Topic], cluster_of: dict
) -> None:
    """How the product holds each reference group: clusters, the biggest one, the best peak."""
    peak = {t.id: t for t in topics}
    for k in (10, 20):
        hit = {t.group for t in topics[:k]} & set(top)
        print(f"  in the product's top {k} (as the majority group of a topic): {len(hit)}")
    print(f"  {cell('group', 22)}msgs clusters unassigned  biggest (size)  share  best peak")
    for g in top:
        ids = [cluster_of.get(f"mb:{m.id}") for m in groups[g]]
        placed = Counter(c for c in ids if c is not None)
        big, n = placed.most_common(1)[0] if placed else (None, 0)
        best = max((peak[c].peak for c in placed if c in peak), default=0.0)
        size = peak[big].size if big in peak else 0
        print(
            f"  {cell(g, 22)}{len(ids):4d} {len(placed):8d} {ids.count(None):10d}"
            f"  {size:14d}  {n / len(ids):5.0%}  {best:9.1f}"
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replies", choices=("live", "upfront"), default="live")
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--keep", help="an empty directory to keep the replay's databases in")
    args = ap.parse_args()
    if not DATA.exists():
        print(f"skipped: {DATA} not found")
        return 0
    # Without alert channels each alert is a warning on stderr; the figures are what counts.
    logging.getLogger("api.alerts").setLevel(logging.ERROR)
    messages, bad = load(DATA)
    print(f"{len(messages)} messages read from {DATA.name}; {len(bad)} rows with unreadable times")
    print("".join(f"  {line}\n" for line in bad), end="")
    groups: dict[str, list[Message]] = defaultdict(list)
    for m in messages:
        m.group = group_of(m)
        if m.group:
            groups[m.group].append(m)
    ranked = sorted(groups, key=lambda g: (-len(groups[g]), -len({m.user for m in groups[g]}), g))
    top = ranked[: args.top]
    named = sum(len(v) for v in groups.values())
    print(f"{named} messages name a place ({len(messages) - named} name none)")
    show_reference(groups, top, f"the {len(top)} most repeated places (of {len(groups)} named)")

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        keep = Path(args.keep) if args.keep else Path(tmp)
        keep.mkdir(parents=True, exist_ok=True)
        totals, topics, cluster_of, job_s = replay(messages, keep, args.replies == "upfront")
    elapsed = time.perf_counter() - started
    topics.sort(key=lambda t: (-t.peak, -t.size, t.id))
    show_topics(topics, args.top)
    print(f"\noverlap: the reference top {len(top)}")
    show_split(groups, top, topics, cluster_of)
    by_month = sorted(
        groups, key=lambda g: (-in_window([m.at for m in groups[g]]), ranked.index(g))
    )
    show_reference(groups, by_month[: args.top], "the places with most messages within 30 days")
    print(f"overlap: the {args.top} places with most messages within 30 days")
    show_split(groups, by_month[: args.top], topics, cluster_of)

    sizes = [t.size for t in topics]
    flagged = sum(t.flagged for t in topics)
    print(
        f"\nreplay: one job pass per day with a message or a reply ({totals['passes']} passes,"
        f" {messages[0].at:%Y-%m-%d} to {messages[-1].at:%Y-%m-%d}), replies {args.replies}"
    )
    print(
        f"clusters {len(topics)} (singletons {sizes.count(1)}, 2-4 posts"
        f" {sum(2 <= s <= 4 for s in sizes)}, 5+ posts {sum(s >= 5 for s in sizes)}),"
        f" merged {totals.get('merged', 0)}, unassigned {totals.get('unassigned', 0)}"
        f" (messages in no cluster at the end: {len(messages) - len(cluster_of)})"
    )
    print(
        f"flagged at threshold {totals['threshold']}: {flagged} topics"
        f" (+{totals['flagged_merged']} merged away later);"
        f" flags raised by the passes {totals.get('flagged', 0)}"
    )
    mixed = sorted((t for t in topics if t.size >= 5 and t.places > 3), key=lambda t: -t.size)
    print(
        f"catch-all topics (5+ posts naming more than 3 reference places): {len(mixed)}"
        + "".join(f"; {t.title[:30]} ({t.size} posts, {t.places} places)" for t in mixed[:3])
    )
    rate = totals.get("scanned", 0) / job_s if job_s else 0.0
    print(
        f"time: {elapsed:.0f} s in all; clustering job {job_s:.1f} s for {totals['passes']} passes"
        f" ({job_s / max(1, totals['passes']) * 1000:.0f} ms per pass), {totals.get('scanned', 0)}"
        f" posts scanned (messages and their replies) = {rate:.0f} posts/s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
