"""Hot-issue endpoints: the current hot issues with their explanations, and analysts' triage
(status, dismiss, merge, split). Promotion into a tracked issue is `POST /api/issues/promote`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.auth.models import Role, User
from api.deps import FactoryDep, SessionDep, SettingsDep, StoreDep, require_roles
from api.hot_issues import service
from api.hot_issues.config import segmenter
from api.hot_issues.models import (
    DismissRequest,
    HotIssueDetail,
    HotIssuePage,
    HotIssueRead,
    MergeRequest,
    SplitRequest,
    StatusRequest,
)

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
    row = service.get(session=session, hot_id=hot_id)
    return service.detail(session=session, row=row, limit=members)


def _reread(session: SessionDep, hot_id: int) -> HotIssueRead:
    """The hot issue as the change left it (the change ran in a unit of work of its own)."""
    session.expire_all()
    return HotIssueRead.model_validate(service.get(session=session, hot_id=hot_id))


@router.post("/hot-issues/{hot_id}/status", response_model=HotIssueRead)
def set_status(
    hot_id: int, body: StatusRequest, _: Analyst, factory: FactoryDep, session: SessionDep
) -> HotIssueRead:
    service.set_status(factory=factory, hot_id=hot_id, status=body.status)
    return _reread(session, hot_id)


@router.post("/hot-issues/{hot_id}/dismiss", response_model=HotIssueRead)
def dismiss(
    hot_id: int, body: DismissRequest, _: Analyst, factory: FactoryDep, session: SessionDep
) -> HotIssueRead:
    service.dismiss(factory=factory, hot_id=hot_id, reason=body.reason)
    return _reread(session, hot_id)


@router.post("/hot-issues/{hot_id}/merge", response_model=HotIssueRead)
def merge(
    hot_id: int,
    body: MergeRequest,
    _: Analyst,
    factory: FactoryDep,
    session: SessionDep,
    store: StoreDep,
    settings: SettingsDep,
) -> HotIssueRead:
    service.merge(
        factory=factory, store=store, settings=settings, hot_id=hot_id, other_ids=body.other_ids
    )
    return _reread(session, hot_id)


@router.post("/hot-issues/{hot_id}/split", response_model=HotIssueRead, status_code=201)
def split(
    hot_id: int,
    body: SplitRequest,
    _: Analyst,
    factory: FactoryDep,
    session: SessionDep,
    store: StoreDep,
    settings: SettingsDep,
) -> HotIssueRead:
    new_id = service.split(
        factory=factory,
        store=store,
        settings=settings,
        segmenter=segmenter(settings),
        hot_id=hot_id,
        post_ids=body.post_ids,
    )
    return _reread(session, new_id)
