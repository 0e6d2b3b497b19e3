"""Issue endpoints: create, list, read with timeline, and change with optimistic concurrency."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Response
from fastapi.responses import PlainTextResponse

from api.auth.models import Role, User
from api.deps import SessionDep, SettingsDep, json_response, require_roles
from api.issues import clocks, service
from api.issues import timeline as issue_timeline
from api.issues.models import (
    CommentCreate,
    IssueCreate,
    IssueDetail,
    IssuePage,
    IssueRead,
    IssueStatus,
    IssueUpdate,
    PauseRequest,
    PinRequest,
    PromoteRequest,
    Severity,
    TimelineEventRead,
    TrackedIssue,
)
from core.errors import ForbiddenError, InputError, NotFoundError

router = APIRouter(prefix="/api/issues", tags=["issues"])

Reader = Annotated[
    User, Depends(require_roles(Role.ANALYST, Role.LEADER, Role.PRESS, Role.HANDLER))
]
Creator = Annotated[User, Depends(require_roles(Role.ANALYST))]
Editor = Annotated[User, Depends(require_roles(Role.ANALYST, Role.HANDLER))]
# Leaders change nothing but comments and pins.
Commenter = Annotated[
    User, Depends(require_roles(Role.ANALYST, Role.LEADER, Role.PRESS, Role.HANDLER))
]

# Handlers work on their department's issues; who leads an issue, and how grave it is,
# is the office's call.
_HANDLER_MAY_NOT_CHANGE = frozenset({"lead_department_id", "severity"})
# What the issue models read from an issue (the labels they compute).
_ISSUE_FIELDS = tuple(name for name in IssueRead.model_fields)
_ETAG = re.compile(r'^(?:W/)?"?(\d+)"?$')


def _etag(issue: TrackedIssue) -> str:
    return f'"{issue.version}"'


def _readable(session: SessionDep, issue_id: int, user: User) -> TrackedIssue:
    """The issue if this user may see it; a handler sees only their department's (another's
    is answered as if it did not exist)."""
    issue = service.get(session=session, issue_id=issue_id)
    if user.role is Role.HANDLER and issue.lead_department_id != user.department_id:
        raise NotFoundError(f"issue {issue_id} does not exist")
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
    body: IssueCreate,
    user: Creator,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> IssueRead:
    """Enter an issue by hand (a phone tip, a leader's instruction); its clocks start."""
    issue = service.create_issue(
        session=session,
        title=body.title,
        summary=body.summary,
        category=body.category,
        severity=body.severity,
        lead_department_id=body.lead_department_id,
        actor=user,
        detected_at=body.detected_at,
        tags=body.tags,
        policy_published_at=body.policy_published_at,
        hotline_category=body.hotline_category,
        supporting_department_ids=body.supporting_department_ids,
        hot_issue_ids=body.hot_issue_ids,
        post_ids=body.post_ids,
        settings=settings,
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
) -> Response:
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
    # Rows as dicts: pydantic reads a dict in one pass, a row attribute by attribute.
    page = IssuePage.model_validate(
        {"items": [i._asdict() for i in items], "total": total, "limit": limit, "offset": offset}
    )
    return json_response(page)


@router.post(
    "/promote",
    response_model=IssueRead,
    status_code=201,
    responses={409: {"description": "the hot issue is tracked already, dismissed or merged"}},
)
def promote(
    body: PromoteRequest,
    user: Creator,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> IssueRead:
    """Track a hot issue: detected when it was flagged (or first seen), linked to it. A hot
    issue is tracked once at most; a dismissed or merged one cannot be."""
    issue = service.promote(
        session=session,
        hot_issue_id=body.hot_issue_id,
        actor=user,
        severity=body.severity,
        lead_department_id=body.lead_department_id,
        title=body.title,
        category=body.category,
        settings=settings,
    )
    response.headers["ETag"] = _etag(issue)
    response.headers["Location"] = f"{router.prefix}/{issue.id}"
    return IssueRead.model_validate(issue)


@router.get("/{issue_id}", response_model=IssueDetail)
def get_issue(issue_id: int, user: Reader, session: SessionDep, settings: SettingsDep) -> Response:
    """The issue with its whole timeline (pinned events marked), clocks and links."""
    from api.database import utcnow

    issue = _readable(session, issue_id, user)
    timeline = issue_timeline.get_timeline(session=session, issue_id=issue_id)
    related = issue_timeline.related(session=session, issue_id=issue_id)
    cal, now = clocks.calendar(settings), utcnow()
    fields = {name: getattr(issue, name) for name in _ISSUE_FIELDS}
    detail = IssueDetail.model_validate(
        fields
        | {
            "timeline": [e._asdict() for e in timeline],
            "clocks": [
                clocks.read(c, now, cal)
                for c in clocks.clocks_of(session=session, issue_id=issue_id)
            ],
            "supporting_department_ids": [int(i) for i in related["department"]],
            "hot_issue_ids": related["hot_issue"],
            "post_ids": related["post"],
            "briefing_ids": [int(i) for i in related["briefing"]],
        }
    )
    return json_response(detail, headers={"ETag": _etag(issue)})


@router.get("/{issue_id}/timeline", response_model=list[TimelineEventRead])
def export_timeline(
    issue_id: int,
    user: Reader,
    session: SessionDep,
    pinned: Annotated[bool, Query(description="only pinned events (the leaders' view)")] = False,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
) -> Any:
    """The timeline, oldest first, as JSON or as a CSV download."""
    _readable(session, issue_id, user)
    events = [
        e
        for e in issue_timeline.get_timeline(session=session, issue_id=issue_id)
        if e.pinned or not pinned
    ]
    if format == "json":
        return [TimelineEventRead.model_validate(e) for e in events]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "at", "actor_id", "type", "pinned", "payload"])
    for e in events:
        writer.writerow(
            [
                e.id,
                e.at.isoformat(),
                e.actor_id,
                e.type,
                e.pinned,
                json.dumps(e.payload, ensure_ascii=False),
            ]
        )
    return PlainTextResponse(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="issue-{issue_id}-timeline.csv"'},
    )


@router.post("/{issue_id}/comments", response_model=TimelineEventRead, status_code=201)
def comment(
    issue_id: int, body: CommentCreate, user: Commenter, session: SessionDep
) -> TimelineEventRead:
    issue = _readable(session, issue_id, user)
    return TimelineEventRead.model_validate(
        issue_timeline.add_comment(session=session, issue=issue, text=body.text, actor=user)
    )


@router.post("/{issue_id}/events/{event_id}/pin", response_model=TimelineEventRead)
def pin_event(
    issue_id: int, event_id: int, body: PinRequest, user: Commenter, session: SessionDep
) -> TimelineEventRead:
    issue = _readable(session, issue_id, user)
    return TimelineEventRead.model_validate(
        issue_timeline.pin(
            session=session, issue=issue, event_id=event_id, pinned=body.pinned, actor=user
        )
    )


@router.post("/{issue_id}/clocks/{clock_id}/pause", response_model=clocks.ClockRead)
def pause_clock(
    issue_id: int,
    clock_id: int,
    body: PauseRequest,
    user: Editor,
    session: SessionDep,
    settings: SettingsDep,
) -> clocks.ClockRead:
    """Stop a clock, with a reason (audited on the timeline)."""
    from api.database import utcnow

    issue = _readable(session, issue_id, user)
    row = clocks.pause(
        session=session, issue=issue, clock_id=clock_id, reason=body.reason, actor_id=user.id
    )
    session.flush()
    return clocks.read(row, utcnow(), clocks.calendar(settings))


@router.post("/{issue_id}/clocks/{clock_id}/resume", response_model=clocks.ClockRead)
def resume_clock(
    issue_id: int, clock_id: int, user: Editor, session: SessionDep, settings: SettingsDep
) -> clocks.ClockRead:
    from api.database import utcnow

    issue = _readable(session, issue_id, user)
    row = clocks.resume(session=session, issue=issue, clock_id=clock_id, actor_id=user.id)
    session.flush()
    return clocks.read(row, utcnow(), clocks.calendar(settings))


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
    settings: SettingsDep,
    if_match: Annotated[str | None, Header()] = None,
) -> IssueRead:
    """Change an issue. Send the version you edited (body `version` or `If-Match`)."""
    expected = _version_from(body.version, if_match)
    changes = body.changes()
    if user.role is Role.HANDLER:
        _readable(session, issue_id, user)
        refused = _HANDLER_MAY_NOT_CHANGE & set(changes)
        if refused:
            raise ForbiddenError(f"a handler may not change {', '.join(sorted(refused))}")
    issue = service.update_issue(
        session=session,
        issue_id=issue_id,
        expected_version=expected,
        changes=changes,
        actor=user,
        note=body.note,
        settings=settings,
    )
    response.headers["ETag"] = _etag(issue)
    return IssueRead.model_validate(issue)
