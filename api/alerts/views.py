"""Hot-issue endpoints: the current hot issues with their explanations, analysts' triage
(status, dismiss, merge, split), and the alerts raised."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from api.alerts import service
from api.alerts.models import (
    AlertRead,
    DismissRequest,
    HotIssueDetail,
    HotIssuePage,
    HotIssueRead,
    MergeRequest,
    SplitRequest,
    StatusRequest,
)
from api.auth.models import Role, User
from api.deps import SessionDep, SettingsDep, StoreDep, require_roles

router = APIRouter(prefix="/api", tags=["hot issues"])

Reader = Annotated[User, Depends(require_roles(Role.ANALYST, Role.LEADER, Role.PRESS))]
Analyst = Annotated[User, Depends(require_roles(Role.ANALYST))]


@router.get("/hot-issues", response_model=HotIssuePage)
def list_hot_issues(
    _: Reader,
    session: SessionDep,
    include_all: Annotated[
        bool, Query(alias="all", description="also expired and dismissed ones")
    ] = False,
    status: Annotated[str | None, Query(pattern="^(new|watching|promoted|dismissed)$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> HotIssuePage:
    rows, total = service.list_hot(
        session=session, include_all=include_all, status=status, limit=limit, offset=offset
    )
    return HotIssuePage(items=[HotIssueRead.model_validate(r) for r in rows], total=total)


@router.get("/hot-issues/{hot_id}", response_model=HotIssueDetail)
def get_hot_issue(
    hot_id: int,
    _: Reader,
    session: SessionDep,
    members: Annotated[int, Query(ge=0, le=1000)] = service.MAX_MEMBERS,
) -> HotIssueDetail:
    return service.detail(session, service.get(session, hot_id), members)


def _factory(request: Request):  # type: ignore[no-untyped-def]
    return request.app.state.session_factory


@router.post("/hot-issues/{hot_id}/status", response_model=HotIssueRead)
def set_status(
    hot_id: int, body: StatusRequest, _: Analyst, request: Request, session: SessionDep
) -> HotIssueRead:
    service.set_status(_factory(request), hot_id, body.status)
    session.expire_all()
    return HotIssueRead.model_validate(service.get(session, hot_id))


@router.post("/hot-issues/{hot_id}/dismiss", response_model=HotIssueRead)
def dismiss(
    hot_id: int, body: DismissRequest, _: Analyst, request: Request, session: SessionDep
) -> HotIssueRead:
    service.dismiss(_factory(request), hot_id, body.reason)
    session.expire_all()
    return HotIssueRead.model_validate(service.get(session, hot_id))


@router.post("/hot-issues/{hot_id}/merge", response_model=HotIssueRead)
def merge(
    hot_id: int,
    body: MergeRequest,
    _: Analyst,
    request: Request,
    session: SessionDep,
    store: StoreDep,
    settings: SettingsDep,
) -> HotIssueRead:
    service.merge(_factory(request), store, settings, hot_id, body.other_ids)
    session.expire_all()
    return HotIssueRead.model_validate(service.get(session, hot_id))


@router.post("/hot-issues/{hot_id}/split", response_model=HotIssueRead, status_code=201)
def split(
    hot_id: int,
    body: SplitRequest,
    _: Analyst,
    request: Request,
    session: SessionDep,
    store: StoreDep,
    settings: SettingsDep,
) -> HotIssueRead:
    new_id = service.split(_factory(request), store, settings, hot_id, body.post_ids)
    session.expire_all()
    return HotIssueRead.model_validate(service.get(session, new_id))


@router.get("/alerts", response_model=list[AlertRead])
def list_alerts(
    _: Reader,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[AlertRead]:
    rows, _total = service.list_alerts(session=session, limit=limit, offset=offset)
    return [AlertRead.model_validate(r) for r in rows]
