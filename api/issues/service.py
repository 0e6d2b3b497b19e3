"""Tracked issues: creating, finding and changing them, each change recorded on the timeline."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from api.auth.models import User
from api.database import utcnow
from api.departments.models import Department
from api.issues.models import (
    TRANSITIONS,
    IssueStatus,
    Severity,
    TimelineEvent,
    TrackedIssue,
)
from yuqing.errors import ConflictError, InputError, NotFoundError

log = logging.getLogger(__name__)

UPDATABLE_FIELDS = frozenset(
    {"title", "summary", "category", "severity", "status", "lead_department_id"}
)
MAX_PAGE = 200


def get(*, session: Session, issue_id: int) -> TrackedIssue | None:
    return session.get(TrackedIssue, issue_id)


def get_timeline(*, session: Session, issue_id: int) -> list[TimelineEvent]:
    """The issue's events, oldest first."""
    query = (
        select(TimelineEvent)
        .where(TimelineEvent.issue_id == issue_id)
        .order_by(TimelineEvent.at, TimelineEvent.id)
    )
    return list(session.scalars(query))


def list_issues(
    *,
    session: Session,
    status: IssueStatus | None = None,
    severity: Severity | None = None,
    lead_department_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[TrackedIssue], int]:
    """One page of issues, most recently changed first, and how many match in all."""
    if not 1 <= limit <= MAX_PAGE:
        raise InputError(f"limit must be between 1 and {MAX_PAGE}, got {limit}")
    if offset < 0:
        raise InputError(f"offset must not be negative, got {offset}")
    query = select(TrackedIssue)
    if status is not None:
        query = query.where(TrackedIssue.status == status)
    if severity is not None:
        query = query.where(TrackedIssue.severity == severity)
    if lead_department_id is not None:
        query = query.where(TrackedIssue.lead_department_id == lead_department_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = query.order_by(TrackedIssue.updated_at.desc(), TrackedIssue.id.desc())
    items = list(session.scalars(page.limit(limit).offset(offset)))
    return items, total


def create_issue(
    *,
    session: Session,
    title: str,
    summary: str = "",
    category: str | None = None,
    severity: Severity = Severity.GENERAL,
    lead_department_id: int | None = None,
    actor: User | None = None,
) -> TrackedIssue:
    """A new issue in status `new`, with a `created` event opening its timeline."""
    title = title.strip()
    if not title:
        raise InputError("an issue needs a title")
    _check_department(session, lead_department_id)
    now = utcnow()
    issue = TrackedIssue(
        title=title,
        summary=summary,
        category=category,
        severity=Severity(severity),
        status=IssueStatus.NEW,
        lead_department_id=lead_department_id,
        created_at=now,
        updated_at=now,
    )
    session.add(issue)
    session.flush()
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
            },
        )
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
) -> TrackedIssue:
    """Apply `changes` if the issue is still at `expected_version`; else `ConflictError`.

    The check is made twice: against the row as read, for a clear message, and by the UPDATE
    itself (``WHERE version = ...``), which is what stops a change committed in between.
    """
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise InputError(f"these fields cannot be changed here: {', '.join(sorted(unknown))}")
    issue = get(session=session, issue_id=issue_id)
    if issue is None:
        raise NotFoundError(f"issue {issue_id} does not exist")
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
    lead = diff.get("lead_department_id", {}).get("to", issue.lead_department_id)
    new_status = diff.get("status", {}).get("to", issue.status)
    if new_status is IssueStatus.ASSIGNED and lead is None:
        raise InputError("an issue can only be assigned with a lead department")

    now = utcnow()
    for field, change in diff.items():
        setattr(issue, field, change["to"])
    issue.updated_at = now
    session.add(
        TimelineEvent(
            issue_id=issue.id,
            actor_id=actor.id if actor else None,
            at=now,
            type="status_changed" if "status" in diff else "updated",
            payload={"changes": diff, "version": expected_version + 1},
        )
    )
    try:
        session.flush()
    except StaleDataError as exc:
        log.info("issue %s: concurrent update refused (%s)", issue_id, exc)
        raise ConflictError(_stale_message(issue_id, expected_version, None)) from exc
    return issue


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
