"""Reading hot issues for the triage queue: each one's mix of source kinds with its negative
share, its newest members, and the times of its posts for a sparkline, each in one grouped
query for the whole page."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from api.hot_issues.models import HotIssue, HotIssuePost

m = HotIssuePost


def kind_mix(
    *, session: Session, hot_ids: list[int], negative_below: float
) -> list[tuple[int, str, int, int, int]]:
    """(hot issue, kind, posts, posts with a sentiment, negative posts) per kind."""
    if not hot_ids:
        return []
    negative = case((m.sentiment < negative_below, 1), else_=0)
    rows = session.execute(
        select(m.hot_issue_id, m.kind, func.count(), func.count(m.sentiment), func.sum(negative))
        .where(m.hot_issue_id.in_(hot_ids))
        .group_by(m.hot_issue_id, m.kind)
    )
    return [(hot, kind, n, scored, negatives or 0) for hot, kind, n, scored, negatives in rows]


def newest_members(*, session: Session, hot_ids: list[int], each: int) -> list[tuple[int, str]]:
    """(hot issue, post id) of the `each` newest members of every hot issue."""
    if not hot_ids:
        return []
    rank = (
        func.row_number()
        .over(partition_by=m.hot_issue_id, order_by=m.published_at.desc())
        .label("rank")
    )
    inner = (
        select(m.hot_issue_id, m.post_id, m.published_at, rank)
        .where(m.hot_issue_id.in_(hot_ids))
        .subquery()
    )
    rows = session.execute(
        select(inner.c.hot_issue_id, inner.c.post_id).where(inner.c.rank <= each)
    )
    return [(hot, post_id) for hot, post_id in rows]


def spans(*, session: Session, hot_ids: list[int]) -> dict[int, tuple[datetime, datetime]]:
    """Each hot issue's first and latest post time."""
    if not hot_ids:
        return {}
    rows = session.execute(
        select(HotIssue.id, HotIssue.first_seen, HotIssue.last_seen).where(HotIssue.id.in_(hot_ids))
    )
    return {hot: (first, last) for hot, first, last in rows}


def post_times(
    *, session: Session, hot_ids: list[int], since: datetime
) -> dict[int, list[datetime]]:
    """When each hot issue's posts since `since` were published."""
    out: dict[int, list[datetime]] = defaultdict(list)
    if not hot_ids:
        return out
    rows = session.execute(
        select(m.hot_issue_id, m.published_at).where(
            m.hot_issue_id.in_(hot_ids), m.published_at >= since
        )
    )
    for hot, at in rows:
        out[hot].append(at)
    return out
