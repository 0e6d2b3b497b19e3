"""Tracked issues: creating, finding and changing them, each change recorded on the timeline."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from api.auth.models import User
from api.database import utcnow
from api.departments.models import Department
from api.hot_issues import service as hot_issues
from api.issues import clocks
from api.issues.models import (
    REQUIRES,
    TRANSITIONS,
    IssueDepartment,
    IssueLink,
    IssueStatus,
    Severity,
    TimelineEvent,
    TrackedIssue,
)
from core.errors import ConflictError, InputError, NotFoundError
from core.settings import Settings

log = logging.getLogger(__name__)

UPDATABLE_FIELDS = frozenset(
    {"title", "summary", "category", "severity", "status", "lead_department_id", "tags"}
)
SEVERITY_ORDER = list(Severity)
MAX_PAGE = 200


def get(*, session: Session, issue_id: int) -> TrackedIssue:
    issue = session.get(TrackedIssue, issue_id)
    if issue is None:
        raise NotFoundError(f"issue {issue_id} does not exist")
    return issue


def list_issues(
    *,
    session: Session,
    status: IssueStatus | None = None,
    severity: Severity | None = None,
    lead_department_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Row[Any]], int]:
    """One page of issues, most recently changed first, and how many match in all.

    The page comes as rows (read-only; attribute access as on the model): the list is the
    tracker's busiest read, and ORM objects would cost four times as much to load.
    """
    if not 1 <= limit <= MAX_PAGE:
        raise InputError(f"limit must be between 1 and {MAX_PAGE}, got {limit}")
    if offset < 0:
        raise InputError(f"offset must not be negative, got {offset}")
    issues = TrackedIssue.__table__
    where = []
    if status is not None:
        where.append(issues.c.status == status)
    if severity is not None:
        where.append(issues.c.severity == severity)
    if lead_department_id is not None:
        where.append(issues.c.lead_department_id == lead_department_id)
    total = session.scalar(select(func.count()).select_from(issues).where(*where)) or 0
    page = (
        select(*issues.c)
        .where(*where)
        .order_by(issues.c.updated_at.desc(), issues.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(session.execute(page)), total


def create_issue(
    *,
    session: Session,
    title: str,
    summary: str = "",
    category: str | None = None,
    severity: Severity = Severity.GENERAL,
    lead_department_id: int | None = None,
    actor: User | None = None,
    detected_at: datetime | None = None,
    tags: list[str] | None = None,
    policy_published_at: datetime | None = None,
    hotline_category: str | None = None,
    supporting_department_ids: list[int] | None = None,
    hot_issue_ids: list[int] | None = None,
    post_ids: list[str] | None = None,
    settings: Settings,
) -> TrackedIssue:
    """A new issue in status `new`, with a `created` event opening its timeline and the SLA
    clocks its severity and category call for, started at `detected_at` (default now)."""
    title = title.strip()
    if not title:
        raise InputError("an issue needs a title")
    _check_department(session, lead_department_id)
    for department_id in supporting_department_ids or ():
        _check_department(session, department_id)
    now = utcnow()
    if detected_at is not None and detected_at > now:
        raise InputError("detected_at cannot be in the future")
    issue = TrackedIssue(
        title=title,
        summary=summary,
        category=category,
        severity=Severity(severity),
        status=IssueStatus.NEW,
        lead_department_id=lead_department_id,
        created_at=now,
        updated_at=now,
        detected_at=detected_at or now,
        tags=list(dict.fromkeys(tags or [])),
        policy_published_at=policy_published_at,
        hotline_category=hotline_category,
    )
    session.add(issue)
    session.flush()
    for department_id in dict.fromkeys(supporting_department_ids or ()):
        session.add(IssueDepartment(issue_id=issue.id, department_id=department_id))
    for hot_id in dict.fromkeys(hot_issue_ids or ()):
        _track_hot_issue(session, issue, hot_id)
    for post_id in dict.fromkeys(post_ids or ()):
        session.add(IssueLink(issue_id=issue.id, kind="post", ref=post_id))
    session.add(
        TimelineEvent(
            issue_id=issue.id,
            actor_id=actor.id if actor else None,
            at=now,
            type="created",
            payload={
                "title": title,
                "severity": issue.severity.value,
                "lead_department_id": lead_department_id,
                "detected_at": issue.detected_at.isoformat(),
                "hot_issue_ids": list(hot_issue_ids or []),
            },
        )
    )
    clocks.start(
        session=session, settings=settings, issue=issue, actor_id=actor.id if actor else None
    )
    session.flush()
    return issue


def update_issue(
    *,
    session: Session,
    issue_id: int,
    expected_version: int,
    changes: Mapping[str, Any],
    actor: User | None,
    note: str | None = None,
    cause: str | None = None,
    settings: Settings,
) -> TrackedIssue:
    """Apply `changes` if the issue is still at `expected_version`; else `ConflictError`.

    Every change of an issue, its status included, goes through here, so each is checked
    against the transition table and lands on the timeline. `cause` names what made the change
    when it was not a person's edit (``briefing:7``).

    The version check is made twice: against the row as read, for a clear message, and by the
    UPDATE itself (``WHERE version = ...``), which is what stops a change committed in between.
    """
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise InputError(f"these fields cannot be changed here: {', '.join(sorted(unknown))}")
    issue = get(session=session, issue_id=issue_id)
    if issue.version != expected_version:
        raise ConflictError(_stale_message(issue_id, expected_version, issue.version))

    diff: dict[str, dict[str, Any]] = {}
    for field, value in changes.items():
        value = _coerce(field, value)
        old = getattr(issue, field)
        if old != value:
            diff[field] = {"from": old, "to": value}
    if not diff:
        return issue

    if "lead_department_id" in diff:
        _check_department(session, diff["lead_department_id"]["to"])
    if "status" in diff:
        _check_transition(diff["status"]["from"], diff["status"]["to"])
        needed = REQUIRES.get(diff["status"]["to"])
        if needed and not (note or "").strip():
            raise InputError(f"going to {diff['status']['to']} needs a {needed} (send `note`)")
    lead = diff.get("lead_department_id", {}).get("to", issue.lead_department_id)
    new_status = diff.get("status", {}).get("to", issue.status)
    if new_status is IssueStatus.ASSIGNED and lead is None:
        raise InputError("an issue can only be assigned with a lead department")

    now = utcnow()
    for field, change in diff.items():
        setattr(issue, field, change["to"])
    issue.updated_at = now
    new_status = diff.get("status", {}).get("to")
    if new_status is IssueStatus.ASSIGNED and issue.assigned_at is None:
        issue.assigned_at = now
    if new_status is IssueStatus.REOPENED:
        issue.closed_at = None
    if new_status is IssueStatus.CLOSED:
        issue.closed_at = now
        issue.resolution = note
    elif new_status is IssueStatus.DISMISSED:
        issue.dismiss_reason = note
    payload: dict[str, Any] = {"changes": _jsonable(diff), "version": expected_version + 1}
    if note:
        payload["note"] = note
    if cause:
        payload["by"] = cause
    session.add(
        TimelineEvent(
            issue_id=issue.id,
            actor_id=actor.id if actor else None,
            at=now,
            type=_event_type(diff, issue),
            payload=payload,
        )
    )
    if "severity" in diff or "category" in diff:
        reason = "severity" if "severity" in diff else "category"
        clocks.replan(
            session=session,
            settings=settings,
            issue=issue,
            actor_id=actor.id if actor else None,
            reason=reason,
        )
    try:
        session.flush()
    except StaleDataError as exc:
        log.info("issue %s: concurrent update refused (%s)", issue_id, exc)
        raise ConflictError(_stale_message(issue_id, expected_version, None)) from exc
    return issue


def promote(
    *,
    session: Session,
    hot_issue_id: int,
    actor: User,
    severity: Severity = Severity.GENERAL,
    lead_department_id: int | None = None,
    title: str | None = None,
    category: str | None = None,
    settings: Settings,
) -> TrackedIssue:
    """Track a hot issue: a new issue detected when it was flagged (or first seen), linked to
    it. A hot issue is promoted once at most; a dismissed or merged one not at all
    (`ConflictError` naming the tracked issue or the reason)."""
    hot = hot_issues.get(session=session, hot_id=hot_issue_id)
    hot_issues.check_promotable(hot)
    return create_issue(
        session=session,
        title=title or hot.title[:300],
        category=category,
        severity=severity,
        lead_department_id=lead_department_id,
        actor=actor,
        detected_at=hot.flagged_at or hot.first_seen,
        tags=list(hot.keywords[:5]),
        hot_issue_ids=[hot.id],
        settings=settings,
        summary="\n".join(hot.flag_explanation or hot.explanation),
    )


def add_hot_issue(
    *, session: Session, issue: TrackedIssue, hot_issue_id: int, actor: User | None
) -> None:
    """Track one more hot issue as part of `issue` (a topic that split, a later wave), with an
    event on the timeline. Refused like a promotion when the hot issue is tracked already."""
    _track_hot_issue(session, issue, hot_issue_id)
    hot = hot_issues.get(session=session, hot_id=hot_issue_id)
    session.add(
        TimelineEvent(
            issue_id=issue.id,
            actor_id=actor.id if actor else None,
            at=utcnow(),
            type="hot_issue_linked",
            payload={"hot_issue_id": hot.id, "title": hot.title},
        )
    )
    session.flush()


def _track_hot_issue(session: Session, issue: TrackedIssue, hot_id: int) -> None:
    hot_issues.claim_for_promotion(session=session, hot_id=hot_id, issue_id=issue.id)
    session.add(IssueLink(issue_id=issue.id, kind="hot_issue", ref=str(hot_id)))


def _event_type(diff: dict[str, dict[str, Any]], issue: TrackedIssue) -> str:
    if "status" in diff:
        return "reopened" if diff["status"]["to"] is IssueStatus.REOPENED else "status_changed"
    if "severity" in diff:
        old, new = (SEVERITY_ORDER.index(Severity(diff["severity"][k])) for k in ("from", "to"))
        return "escalated" if new > old else "deescalated"
    if "lead_department_id" in diff and diff["lead_department_id"]["from"] is not None:
        return "reassigned"
    return "updated"


def _jsonable(diff: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    def plain(value: Any) -> Any:
        return value.value if isinstance(value, Severity | IssueStatus) else value

    return {f: {k: plain(v) for k, v in change.items()} for f, change in diff.items()}


def _stale_message(issue_id: int, expected: int, current: int | None) -> str:
    now = f" (it is now at version {current})" if current is not None else ""
    return (
        f"issue {issue_id} was changed by someone else since version {expected}{now};"
        " reload it and apply your change again"
    )


def _coerce(field: str, value: Any) -> Any:
    try:
        if field == "severity":
            return Severity(value)
        if field == "status":
            return IssueStatus(value)
    except ValueError as exc:
        raise InputError(f"{value!r} is not a valid {field}") from exc
    if field in ("title", "summary") and not isinstance(value, str):
        raise InputError(f"{field} must be text")
    if field == "title" and not value.strip():
        raise InputError("an issue needs a title")
    return value


def _check_department(session: Session, department_id: int | None) -> None:
    if department_id is not None and session.get(Department, department_id) is None:
        raise InputError(f"department {department_id} does not exist")


def _check_transition(old: IssueStatus, new: IssueStatus) -> None:
    if new not in TRANSITIONS[old]:
        allowed = ", ".join(sorted(TRANSITIONS[old])) or "nowhere"
        raise ConflictError(
            f"an issue cannot go from {old} to {new}; from {old} it may go to {allowed}"
        )
