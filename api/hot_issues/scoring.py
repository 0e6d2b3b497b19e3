"""Scoring clusters at a moment: the figures each signal reads (`analysis.hotness`) gathered
from the memberships in a few grouped queries, the score and its explanation written onto the
cluster, and the cluster flagged the first time it reaches the alert threshold."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from analysis.clustering import Cluster, vectorize
from analysis.hotconfig import HotConfig
from analysis.hotness import ClusterStats, score
from analysis.text import Segmenter
from analysis.topictext import hashtags, label_text
from api.hot_issues.clusters import chunks
from api.hot_issues.models import HotIssue, HotIssuePost, HotStatus

# Live clusters that took no post are rescored this often, as their figures age.
RESCORE_EVERY = timedelta(minutes=5)
# A retitle considers this many of the first and of the newest members' titles.
TITLE_CANDIDATES = 20
# Characters of a label at most.
LABEL_CHARS = 40
# A label word says something in Chinese (not an anonymised code such as "A5").
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class Scored:
    """What one scoring did: clusters scored, and those flagged for the first time."""

    scored: int = 0
    flagged: list[int] = field(default_factory=list)
    # Hot clusters (at or over the threshold, not dismissed or merged), for alerts.
    hot: list[HotIssue] = field(default_factory=list)


def score_clusters(
    session: Session,
    *,
    config: HotConfig,
    threshold: float,
    now: datetime,
    touched: set[int],
    final: bool,
    segmenter: Segmenter,
) -> Scored:
    """Score clusters at time `now`: `touched` ones, and on the final scoring of a pass also
    the live ones whose score may have changed with time. The final scoring retitles the
    touched clusters after their most representative member."""
    again: list[int] = []
    if final:
        again = list(
            session.scalars(
                select(HotIssue.id).where(
                    HotIssue.active.is_(True),
                    HotIssue.status != HotStatus.MERGED,
                    (HotIssue.score > 0) | HotIssue.scored_at.is_(None),
                    (HotIssue.scored_at.is_(None)) | (HotIssue.scored_at < now - RESCORE_EVERY),
                )
            )
        )
    ids = sorted(touched | set(again))
    out = Scored()
    if not ids:
        return out
    stats = gather(session, config, now, ids, segmenter)
    for chunk in chunks(ids, 500):
        for row in session.scalars(select(HotIssue).where(HotIssue.id.in_(chunk))).all():
            s = stats[row.id]
            hot = score(s, config)
            row.score, row.urgent = hot.score, hot.urgent
            row.signals = [sig.as_dict() for sig in hot.signals]
            row.explanation = hot.explanation
            row.stats = _summary(s)
            row.scored_at = max(now, row.scored_at) if row.scored_at else now
            if row.peak_score is None or hot.score > row.peak_score:
                row.peak_score, row.peak_at = hot.score, now
            out.scored += 1
            if final and row.id in touched and row.size > 1:
                retitle(session, row, segmenter, config.clustering.common_words)
            if hot.score < threshold or row.status in (HotStatus.DISMISSED, HotStatus.MERGED):
                continue
            if row.flagged_at is None:
                row.flagged_at = now
                row.flag_score, row.flag_explanation = hot.score, hot.explanation
                out.flagged.append(row.id)
            out.hot.append(row)
    return out


def score_history(
    session: Session,
    *,
    config: HotConfig,
    threshold: float,
    at: datetime,
    ids: set[int],
    segmenter: Segmenter,
) -> list[int]:
    """Score clusters as of a past hour (late posts, a backfill) for their history only: a new
    peak, and the first time they reached the threshold. Their current score, signals and
    label are the final scoring's. Returns the clusters flagged for the first time."""
    if not ids:
        return []
    stats = gather(session, config, at, sorted(ids), segmenter, surge=False)
    flagged: list[int] = []
    changes: list[dict[str, object]] = []
    for chunk in chunks(sorted(ids), 500):
        rows = session.execute(
            select(HotIssue.id, HotIssue.peak_score, HotIssue.flagged_at, HotIssue.status)
            .where(HotIssue.id.in_(chunk))
        )  # fmt: skip
        for cid, peak, flagged_at, status in rows:
            hot = score(stats[cid], config)
            change: dict[str, object] = {}
            if peak is None or hot.score > peak:
                change.update(peak_score=hot.score, peak_at=at)
            live = status not in (HotStatus.DISMISSED, HotStatus.MERGED)
            if hot.score >= threshold and live and flagged_at is None:
                change.update(flagged_at=at, flag_score=hot.score, flag_explanation=hot.explanation)
                flagged.append(cid)
            if change:
                changes.append({"id": cid, **change})
    if changes:
        session.execute(update(HotIssue), changes)
    return flagged


def _summary(s: ClusterStats) -> dict[str, object]:
    """The figures shown beside a hot issue."""
    share = round(s.negative_24h / s.with_sentiment_24h, 3) if s.with_sentiment_24h else None
    return {
        "last_hour": s.n_1h,
        "last_24h": s.n_24h,
        "kinds_24h": s.kinds_24h,
        "negative_share": share,
        "engagement_24h": s.engagement_24h,
        "official_at": s.official_at.isoformat() if s.official_at else None,
    }


def gather(
    session: Session,
    config: HotConfig,
    now: datetime,
    ids: list[int],
    segmenter: Segmenter,
    *,
    surge: bool = True,
) -> dict[int, ClusterStats]:
    """Each cluster's figures at `now`: the last hour and day, the burst baseline, kinds,
    sentiment, engagement, sensitive terms, copies, the first official word and the sources'
    own hourly rates."""
    burst = config.score.burst
    negative_below = config.score.negative.negative_below
    hour, day = now - timedelta(hours=1), now - timedelta(hours=24)
    base_from = hour - timedelta(days=burst.baseline_days)
    base_hours = burst.baseline_days * 24.0
    out = {
        i: ClusterStats(
            now=now,
            n_1h=0,
            n_24h=0,
            baseline_posts=0,
            baseline_hours=base_hours,
            kinds_24h={},
            negative_24h=0,
            with_sentiment_24h=0,
            engagement_24h=0,
            sensitive_24h={},
        )
        for i in ids
    }
    m = HotIssuePost
    sources_1h: dict[int, set[str]] = defaultdict(set)
    for chunk in chunks(ids, 500):
        recent = session.execute(
            select(
                m.hot_issue_id, m.published_at, m.kind, m.source, m.sentiment, m.engagement,
                m.sensitive, m.copy,
            ).where(m.hot_issue_id.in_(chunk), m.published_at >= day, m.published_at <= now)
        )  # fmt: skip
        sensitive: dict[int, Counter[str]] = defaultdict(Counter)
        kinds: dict[int, Counter[str]] = defaultdict(Counter)
        for cid, at, kind, source, sentiment, engaged, groups, copy in recent:
            s = out[cid]
            s.n_24h += 1
            kinds[cid][kind] += 1
            if at >= hour:
                s.n_1h += 1
                sources_1h[cid].add(source)
            if sentiment is not None:
                s.with_sentiment_24h += 1
                s.negative_24h += sentiment < negative_below
            s.engagement_24h += engaged
            sensitive[cid].update(groups or ())
            s.copies_24h += bool(copy)
        for cid in chunk:
            out[cid].kinds_24h = dict(kinds[cid])
            out[cid].sensitive_24h = dict(sensitive[cid])
        base = session.execute(
            select(m.hot_issue_id, func.count())
            .where(m.hot_issue_id.in_(chunk), m.published_at >= base_from, m.published_at < hour)
            .group_by(m.hot_issue_id)
        )
        for cid, n in base:
            out[cid].baseline_posts = n
        official = session.execute(
            select(m.hot_issue_id, m.published_at, m.author, m.source)
            .where(m.hot_issue_id.in_(chunk), m.official.is_(True), m.published_at <= now)
            .order_by(m.published_at)
        )
        for cid, at, author, source in official:
            if out[cid].official_at is None:
                out[cid].official_at, out[cid].official_by = at, author or source
        _complaints(session, config, now, chunk, out, segmenter)
    if not surge:  # the sources' own surge only explains; history scoring goes without
        return out
    per_source_1h = _per_source(session, hour, now, upto_inclusive=True)
    per_source_base = _per_source(session, base_from, hour, upto_inclusive=False)
    for cid, sources in sources_1h.items():
        out[cid].source_surge = {
            src: (per_source_1h.get(src, 0), per_source_base.get(src, 0) / base_hours)
            for src in sources
        }
    return out


def _complaints(
    session: Session,
    config: HotConfig,
    now: datetime,
    ids: list[int],
    out: dict[int, ClusterStats],
    segmenter: Segmenter,
) -> None:
    """Each cluster's complaints about its place (the heaviest name among its words) over the
    persistence window: complainants, likes, answered posts, first and last. A cluster whose
    words name no place has none."""
    p = config.score.persistent
    places: dict[int, str] = {}
    for cid, centroid in session.execute(
        select(HotIssue.id, HotIssue.centroid).where(HotIssue.id.in_(ids))
    ):
        names = [
            w for w, _ in sorted(centroid.items(), key=lambda kv: -kv[1]) if segmenter.is_name(w)
        ]
        if names:
            places[cid] = names[0]
    if not places:
        return
    m = HotIssuePost
    rows = session.execute(
        select(
            m.hot_issue_id, m.published_at, m.author, m.post_id, m.engagement, m.answered, m.title
        ).where(
            m.hot_issue_id.in_(list(places)),
            m.kind.in_(p.kinds),
            m.published_at >= now - timedelta(days=p.window_days),
            m.published_at <= now,
        )
    )
    voices: dict[int, set[str]] = defaultdict(set)
    for cid, at, author, post_id, engaged, answered, title in rows:
        if places[cid] not in title:
            continue
        c = out[cid].complaints
        c.place = places[cid]
        c.posts += 1
        c.likes += engaged
        c.answered += bool(answered)
        c.first = at if c.first is None else min(c.first, at)
        c.last = at if c.last is None else max(c.last, at)
        voices[cid].add(f"a:{author}" if author else f"p:{post_id}")
    for cid, who in voices.items():
        out[cid].complaints.complainants = len(who)


def _per_source(
    session: Session, start: datetime, end: datetime, *, upto_inclusive: bool
) -> dict[str, int]:
    """Posts per source in a window, whatever their cluster: each source's own rate."""
    m = HotIssuePost
    until = m.published_at <= end if upto_inclusive else m.published_at < end
    rows = session.execute(
        select(m.source, func.count()).where(m.published_at >= start, until).group_by(m.source)
    )
    return {source: n for source, n in rows}


def retitle(session: Session, row: HotIssue, segmenter: Segmenter, ignore: frozenset[str]) -> None:
    """A label a person would write, from the first and the newest members that are not copies
    or reposts: the hashtag most of them carry (two at least, and a quarter of them or one
    naming the topic's top words); else the member closest to the centroid gives its hashtag,
    a news headline, or a board subject naming two of the topic's top words; else the topic's
    place and event words ("滨江路停水"); else the closest member's first sentence. Never
    emoticons, handles or a reply's chatter."""
    m = HotIssuePost
    first = session.execute(
        select(m.title, m.kind).where(m.hot_issue_id == row.id, m.copy.is_(False))
        .order_by(m.published_at).limit(TITLE_CANDIDATES)
    ).all()  # fmt: skip
    newest = session.execute(
        select(m.title, m.kind).where(m.hot_issue_id == row.id)
        .order_by(m.published_at.desc()).limit(TITLE_CANDIDATES)
    ).all()  # fmt: skip
    kinds = dict([*newest, *first])
    titles = list(kinds)
    tags = Counter(t for title in titles for t in dict.fromkeys(hashtags(title)))
    if tags:
        tag, n = tags.most_common(1)[0]
        top = [w for w in cluster_terms(row) if not w.startswith("#")][:3]
        if n >= 2 and (n >= 0.25 * len(titles) or any(w in tag for w in top)):
            row.title = tag
            return
    cluster = Cluster(row.id, dict(row.centroid), row.as_of, row.first_seen, row.last_seen)
    labels = {t: label_text(t) for t in ([t for t, _ in first] or titles)}

    def closeness(title: str) -> tuple[float, int]:
        vector = vectorize(segmenter.segment(labels[title]), ignore=ignore)
        return cluster.similarity(vector), -len(labels[title])

    best = max((t for t in labels if labels[t]), key=closeness, default=None)
    if best is None:
        return
    own = hashtags(best)  # the poster's own name for the event, when it has one
    headline = first_sentence(labels[best])
    top = [w for w in cluster.top_terms(4) if not w.startswith("#")]
    if own:
        row.title = own[0]
    elif kinds.get(best) == "news" and len(headline) <= LABEL_CHARS:
        row.title = headline
    elif kinds.get(best) == "board" and sum(w in headline for w in top) >= 2:
        row.title = headline  # a board subject that names the topic (not "我们是在…开店的")
    else:
        row.title = phrase(cluster, segmenter) or headline


def cluster_terms(row: HotIssue) -> list[str]:
    return [w for w, _ in sorted(row.centroid.items(), key=lambda kv: (-kv[1], kv[0]))]


def phrase(cluster: Cluster, segmenter: Segmenter) -> str:
    """The topic's heaviest place name and heaviest other word ("滨江路" + "停水")."""
    terms = [w for w in cluster.top_terms(8) if not w.startswith("#") and _CJK.search(w)]
    place = next((w for w in terms if segmenter.is_name(w)), None)
    if place is None:
        return ""
    event = next((w for w in terms if not segmenter.is_name(w) and w not in place), None)
    return f"{place}{event}" if event else ""


def first_sentence(text: str, longest: int = LABEL_CHARS) -> str:
    """The text up to the end of its first sentence that is long enough to say something,
    cut at `longest` characters."""
    for i, ch in enumerate(text):
        if ch in "。！？!?；;" and i >= 8:
            text = text[:i]
            break
    return text if len(text) <= longest else text[: longest - 1] + "…"
