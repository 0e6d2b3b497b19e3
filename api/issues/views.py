"""Issue endpoints: create, list, read with timeline, and change with optimistic concurrency."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response

from api.auth.models import Role, User
from api.deps import SessionDep, require_roles
from api.issues import service
from api.issues.models import (
    IssueCreate,
    IssueDetail,
    IssuePage,
    IssueRead,
    IssueStatus,
    IssueUpdate,
    Severity,
    TimelineEventRead,
    TrackedIssue,
)
from yuqing.errors import ForbiddenError, InputError, NotFoundError

router = APIRouter(prefix="/api/issues", tags=["issues"])

Reader = Annotated[
    User, Depends(require_roles(Role.ANALYST, Role.LEADER, Role.PRESS, Role.HANDLER))
]
Creator = Annotated[User, Depends(require_roles(Role.ANALYST))]
Editor = Annotated[User, Depends(require_roles(Role.ANALYST, Role.HANDLER))]

# Handlers work on their department's issues; who leads an issue, and how grave it is,
# is the office's call.
_HANDLER_MAY_NOT_CHANGE = frozenset({"lead_department_id", "severity"})
_ETAG = re.compile(r'^(?:W/)?"?(\d+)"?$')


def _etag(issue: TrackedIssue) -> str:
    return f'"{issue.version}"'


def _visible(issue: TrackedIssue | None, user: User) -> TrackedIssue | None:
    """The issue if this user may see it; a handler sees only their department's."""
    if issue is None:
        return None
    if user.role is Role.HANDLER and issue.lead_department_id != user.department_id:
        return None
    return issue


def _version_from(body_version: int | None, if_match: str | None) -> int:
    header_version = None
    if if_match is not None:
        match = _ETAG.match(if_match.strip())
        if match is None:
            raise InputError(f'If-Match must be the issue\'s ETag, e.g. "3"; got {if_match!r}')
        header_version = int(match.group(1))
    if body_version is not None and header_version is not None and body_version != header_version:
        raise InputError("the version in the body and the If-Match header disagree")
    version = body_version if body_version is not None else header_version
    if version is None:
        raise InputError(
            'send the version you edited, as "version" in the body or an If-Match header,'
            " so that a change made by someone else meanwhile is not overwritten"
        )
    return version


@router.post("", response_model=IssueRead, status_code=201)
def create_issue(
    body: IssueCreate, user: Creator, session: SessionDep, response: Response
) -> IssueRead:
    issue = service.create_issue(
        session=session,
        title=body.title,
        summary=body.summary,
        category=body.category,
        severity=body.severity,
        lead_department_id=body.lead_department_id,
        actor=user,
    )
    response.headers["ETag"] = _etag(issue)
    response.headers["Location"] = f"{router.prefix}/{issue.id}"
    return IssueRead.model_validate(issue)


@router.get("", response_model=IssuePage)
def list_issues(
    user: Reader,
    session: SessionDep,
    status: IssueStatus | None = None,
    severity: Severity | None = None,
    lead_department_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> IssuePage:
    if user.role is Role.HANDLER:
        if lead_department_id not in (None, user.department_id):
            raise ForbiddenError("a handler sees only their own department's issues")
        lead_department_id = user.department_id
    items, total = service.list_issues(
        session=session,
        status=status,
        severity=severity,
        lead_department_id=lead_department_id,
        limit=limit,
        offset=offset,
    )
    return IssuePage(
        items=[IssueRead.model_validate(i) for i in items], total=total, limit=limit, offset=offset
    )


@router.get("/{issue_id}", response_model=IssueDetail)
def get_issue(issue_id: int, user: Reader, session: SessionDep, response: Response) -> IssueDetail:
    issue = _visible(service.get(session=session, issue_id=issue_id), user)
    if issue is None:
        raise NotFoundError(f"issue {issue_id} does not exist")
    timeline = service.get_timeline(session=session, issue_id=issue_id)
    response.headers["ETag"] = _etag(issue)
    return IssueDetail(
        **IssueRead.model_validate(issue).model_dump(exclude={"severity_label", "status_label"}),
        timeline=[TimelineEventRead.model_validate(e) for e in timeline],
    )


@router.patch(
    "/{issue_id}",
    response_model=IssueRead,
    responses={409: {"description": "the issue changed since the version sent"}},
)
def update_issue(
    issue_id: int,
    body: IssueUpdate,
    user: Editor,
    session: SessionDep,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> IssueRead:
    """Change an issue. Send the version you edited (body `version` or `If-Match`)."""
    expected = _version_from(body.version, if_match)
    changes = body.changes()
    if user.role is Role.HANDLER:
        if _visible(service.get(session=session, issue_id=issue_id), user) is None:
            raise NotFoundError(f"issue {issue_id} does not exist")
        refused = _HANDLER_MAY_NOT_CHANGE & set(changes)
        if refused:
            raise ForbiddenError(f"a handler may not change {', '.join(sorted(refused))}")
    issue = service.update_issue(
        session=session,
        issue_id=issue_id,
        expected_version=expected,
        changes=changes,
        actor=user,
    )
    response.headers["ETag"] = _etag(issue)
    return IssueRead.model_validate(issue)
