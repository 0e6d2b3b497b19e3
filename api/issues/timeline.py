"""An issue's append-only timeline (reading it, comments, pins) and what the issue is linked to
(hot issues, posts, supporting departments, briefings)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, String, cast, literal, select, union_all
from sqlalchemy.orm import Session

from api.auth.models import User
from api.database import utcnow
from api.issues.models import IssueDepartment, IssueLink, TimelineEvent, TrackedIssue
from core.errors import InputError, NotFoundError


def get_timeline(*, session: Session, issue_id: int) -> list[Row[Any]]:
    """The issue's events, oldest first, as rows (read-only; attribute access as on the model).

    Reading rows instead of ORM objects is most of the cost of the issue page saved.
    """
    events = TimelineEvent.__table__
    query = (
        select(*events.c).where(events.c.issue_id == issue_id).order_by(events.c.at, events.c.id)
    )
    return list(session.execute(query))


def add_comment(*, session: Session, issue: TrackedIssue, text: str, actor: User) -> TimelineEvent:
    text = text.strip()
    if not text:
        raise InputError("a comment needs text")
    event = TimelineEvent(
        issue_id=issue.id, actor_id=actor.id, at=utcnow(), type="comment", payload={"text": text}
    )
    session.add(event)
    session.flush()
    return event


def pin(
    *, session: Session, issue: TrackedIssue, event_id: int, pinned: bool, actor: User
) -> TimelineEvent:
    """Pin or unpin an event; the pin itself is recorded as an event (the timeline is
    append-only apart from this flag)."""
    event = session.get(TimelineEvent, event_id)
    if event is None or event.issue_id != issue.id:
        raise NotFoundError(f"issue {issue.id} has no event {event_id}")
    if event.pinned != pinned:
        event.pinned = pinned
        session.add(
            TimelineEvent(
                issue_id=issue.id,
                actor_id=actor.id,
                at=utcnow(),
                type="pinned" if pinned else "unpinned",
                payload={"event_id": event_id},
            )
        )
        session.flush()
    return event


def related(*, session: Session, issue_id: int) -> dict[str, list[str]]:
    """What the issue is linked to, in one query: its hot issues and posts (in the order they
    were linked), supporting departments and briefings (by id)."""
    from api.briefings.models import BriefingIssue

    links = IssueLink.__table__
    supporting = IssueDepartment.__table__
    briefings = BriefingIssue.__table__
    query = union_all(
        select(links.c.kind, links.c.ref, links.c.id).where(links.c.issue_id == issue_id),
        select(
            literal("department"),
            cast(supporting.c.department_id, String),
            supporting.c.department_id,
        ).where(supporting.c.issue_id == issue_id),
        select(
            literal("briefing"), cast(briefings.c.briefing_id, String), briefings.c.briefing_id
        ).where(briefings.c.issue_id == issue_id),
    )
    out: dict[str, list[str]] = {"hot_issue": [], "post": [], "department": [], "briefing": []}
    for kind, ref, _ in sorted(session.execute(query), key=lambda row: (row[0], row[2])):
        out[kind].append(ref)
    return out
