"""Creating briefings and linking them to issues: a linked statement meets the issue's clocks
(at the briefing's own time) and moves an assigned issue to `responded`."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.auth.models import User
from api.briefings.models import MEETS, Briefing, BriefingIssue, BriefingKind
from api.database import utcnow
from api.issues import clocks
from api.issues import service as issues
from api.issues.models import IssueStatus, TimelineEvent, TrackedIssue
from core.errors import InputError, NotFoundError
from core.settings import Settings


def create(
    *,
    session: Session,
    kind: BriefingKind,
    title: str,
    at: datetime,
    url: str | None,
    spokesperson: str | None,
    note: str | None,
    actor: User,
) -> Briefing:
    if at > utcnow():
        raise InputError("a briefing is recorded once it has happened; `at` is in the future")
    briefing = Briefing(
        kind=kind.value,
        title=title,
        at=at,
        url=url,
        spokesperson=spokesperson,
        note=note,
        created_by=actor.id,
    )
    session.add(briefing)
    session.flush()
    return briefing


def get(*, session: Session, briefing_id: int) -> Briefing:
    briefing = session.get(Briefing, briefing_id)
    if briefing is None:
        raise NotFoundError(f"no briefing {briefing_id}")
    return briefing


def issue_ids(*, session: Session, briefing_id: int) -> list[int]:
    return list(
        session.scalars(
            select(BriefingIssue.issue_id)
            .where(BriefingIssue.briefing_id == briefing_id)
            .order_by(BriefingIssue.issue_id)
        )
    )


def list_briefings(
    *, session: Session, limit: int, offset: int, issue_id: int | None = None
) -> tuple[list[Briefing], int]:
    query = select(Briefing)
    if issue_id is not None:
        query = query.join(BriefingIssue).where(BriefingIssue.issue_id == issue_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Briefing.at.desc(), Briefing.id.desc()).limit(limit).offset(offset)
    )
    return list(rows), total


def link(
    *, session: Session, briefing: Briefing, ids: list[int], actor: User, settings: Settings
) -> None:
    """Link issues; each linked issue's matching clocks are met at the briefing's time."""
    kinds = MEETS[BriefingKind(briefing.kind)]
    already = set(issue_ids(session=session, briefing_id=briefing.id))
    for issue_id in dict.fromkeys(ids):
        issue = session.get(TrackedIssue, issue_id)
        if issue is None:
            raise InputError(f"issue {issue_id} does not exist")
        session.flush()  # so the version read below is the row's
        if issue_id in already:
            continue
        session.add(BriefingIssue(briefing_id=briefing.id, issue_id=issue_id, linked_by=actor.id))
        now = utcnow()
        session.add(
            TimelineEvent(
                issue_id=issue_id,
                actor_id=actor.id,
                at=now,
                type="briefing_linked",
                payload={
                    "briefing_id": briefing.id,
                    "kind": briefing.kind,
                    "title": briefing.title,
                    "at": briefing.at.isoformat(),
                },
            )
        )
        clocks.meet(
            session=session,
            issue=issue,
            kinds=kinds,
            at=briefing.at,
            by=f"briefing:{briefing.id}",
            actor_id=actor.id,
        )
        if issue.status is IssueStatus.ASSIGNED:
            # The statement answers the issue: the same transition a person would make.
            issues.update_issue(
                session=session,
                issue_id=issue_id,
                expected_version=issue.version,
                changes={"status": IssueStatus.RESPONDED},
                actor=actor,
                cause=f"briefing:{briefing.id}",
                settings=settings,
            )
    session.flush()


def first_statement_at(*, session: Session, issue_id: int) -> datetime | None:
    """When the office first spoke on the issue: its earliest linked briefing."""
    return session.scalar(
        select(func.min(Briefing.at))
        .join(BriefingIssue, BriefingIssue.briefing_id == Briefing.id)
        .where(BriefingIssue.issue_id == issue_id)
    )


def response_effect(
    *, session: Session, issue_id: int, hot_ids: list[int], negative_below: float
) -> dict[str, Any]:
    """Volume and negative share of the linked hot issues' posts in the 24 hours before and
    after the first statement, with an hourly series for the chart."""
    from api.hot_issues.models import HotIssuePost

    spoke = first_statement_at(session=session, issue_id=issue_id)
    if spoke is None:
        return {"first_statement_at": None, "before": None, "after": None, "hourly": []}
    spoke = spoke.astimezone(UTC)
    rows = session.execute(
        select(HotIssuePost.published_at, HotIssuePost.sentiment).where(
            HotIssuePost.hot_issue_id.in_(hot_ids),
            HotIssuePost.published_at >= spoke - timedelta(hours=24),
            HotIssuePost.published_at < spoke + timedelta(hours=24),
        )
    ).all()
    sides: dict[str, list[float | None]] = {"before": [], "after": []}
    hourly: dict[int, list[float | None]] = {h: [] for h in range(-24, 24)}
    for at, sentiment in rows:
        offset = (at - spoke).total_seconds() / 3600
        sides["before" if offset < 0 else "after"].append(sentiment)
        hourly[int(offset // 1)].append(sentiment)

    def summary(values: list[float | None]) -> dict[str, Any]:
        scored = [v for v in values if v is not None]
        negative = sum(v < negative_below for v in scored)
        share = round(negative / len(scored), 4) if scored else None
        return {"volume": len(values), "negative": negative, "negative_share": share}

    return {
        "first_statement_at": spoke.isoformat(),
        "before": summary(sides["before"]),
        "after": summary(sides["after"]),
        "hourly": [{"hour": h, **summary(v)} for h, v in sorted(hourly.items())],
    }


def linked_issues(*, session: Session, briefing_ids: list[int]) -> dict[int, list[TrackedIssue]]:
    """The issues each briefing answers, by briefing id, in one query."""
    out: dict[int, list[TrackedIssue]] = defaultdict(list)
    if not briefing_ids:
        return out
    rows = session.execute(
        select(BriefingIssue.briefing_id, TrackedIssue)
        .join(TrackedIssue, TrackedIssue.id == BriefingIssue.issue_id)
        .where(BriefingIssue.briefing_id.in_(briefing_ids))
        .order_by(TrackedIssue.id)
    )
    for briefing_id, issue in rows:
        out[briefing_id].append(issue)
    return out


def of_issue(*, session: Session, issue_id: int) -> list[Briefing]:
    """The briefings linked to an issue, oldest first."""
    return list(
        session.scalars(
            select(Briefing)
            .join(BriefingIssue, BriefingIssue.briefing_id == Briefing.id)
            .where(BriefingIssue.issue_id == issue_id)
            .order_by(Briefing.at)
        )
    )


def recently_answered(*, session: Session, limit: int) -> list[int]:
    """The issues a briefing was linked to most recently, newest link first."""
    newest = func.max(BriefingIssue.linked_at)
    rows = session.execute(
        select(BriefingIssue.issue_id)
        .group_by(BriefingIssue.issue_id)
        .order_by(newest.desc(), BriefingIssue.issue_id.desc())
        .limit(limit)
    )
    return [issue_id for (issue_id,) in rows]
