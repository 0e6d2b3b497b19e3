"""Briefing endpoints for press officers: record a briefing, link it to issues (meeting their
clocks), list briefings with their issues."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from api.auth.models import Role, User
from api.briefings import service
from api.briefings.models import Briefing, BriefingCreate, BriefingRead, LinkRequest
from api.deps import SessionDep, SettingsDep, StoreDep, require_roles
from api.hot_issues.config import hot_config, official_sources
from api.issues import service as issues
from api.issues import timeline as issue_timeline
from store.models import PostFilter

router = APIRouter(prefix="/api/briefings", tags=["briefings"])
issue_router = APIRouter(prefix="/api/issues", tags=["briefings"])

Reader = Annotated[User, Depends(require_roles(Role.ANALYST, Role.LEADER, Role.PRESS))]
Press = Annotated[User, Depends(require_roles(Role.PRESS))]


def _read(session: SessionDep, briefing: Briefing) -> BriefingRead:
    read = BriefingRead.model_validate(briefing)
    read.issue_ids = service.issue_ids(session=session, briefing_id=briefing.id)
    return read


@router.post("", response_model=BriefingRead, status_code=201)
def create_briefing(
    body: BriefingCreate, user: Press, session: SessionDep, settings: SettingsDep
) -> BriefingRead:
    briefing = service.create(
        session=session,
        kind=body.kind,
        title=body.title,
        at=body.at,
        url=body.url,
        spokesperson=body.spokesperson,
        note=body.note,
        actor=user,
    )
    if body.issue_ids:
        service.link(
            session=session, briefing=briefing, ids=body.issue_ids, actor=user, settings=settings
        )
    return _read(session, briefing)


@router.get("", response_model=list[BriefingRead])
def list_briefings(
    _: Reader,
    session: SessionDep,
    issue_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[BriefingRead]:
    rows, _total = service.list_briefings(
        session=session, limit=limit, offset=offset, issue_id=issue_id
    )
    return [_read(session, b) for b in rows]


@router.get("/{briefing_id}", response_model=BriefingRead)
def get_briefing(briefing_id: int, _: Reader, session: SessionDep) -> BriefingRead:
    return _read(session, service.get(session=session, briefing_id=briefing_id))


@router.post("/{briefing_id}/issues", response_model=BriefingRead)
def link_issues(
    briefing_id: int, body: LinkRequest, user: Press, session: SessionDep, settings: SettingsDep
) -> BriefingRead:
    """Link issues to the briefing: a statement meets their first-statement and response
    clocks, a press conference also their press-conference clock, at the briefing's time."""
    briefing = service.get(session=session, briefing_id=briefing_id)
    service.link(
        session=session, briefing=briefing, ids=body.issue_ids, actor=user, settings=settings
    )
    return _read(session, briefing)


def _hot_ids(session: SessionDep, issue_id: int) -> list[int]:
    issues.get(session=session, issue_id=issue_id)
    return [
        int(ref) for ref in issue_timeline.related(session=session, issue_id=issue_id)["hot_issue"]
    ]


@issue_router.get("/{issue_id}/statement-candidates")
def statement_candidates(
    issue_id: int,
    _: Reader,
    session: SessionDep,
    store: StoreDep,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[dict[str, Any]]:
    """Posts from official sources (`official: true` in sources.yaml) in the issue's hot
    issues, oldest first: candidates for its first statement."""
    hot_ids = _hot_ids(session, issue_id)
    official = sorted(official_sources(settings))
    if not hot_ids or not official:
        return []
    page = store.search(
        filters=PostFilter(sources=official, cluster_ids=[str(h) for h in hot_ids]),
        limit=min(limit, 100),
    )
    posts = sorted((hit.post for hit in page.hits), key=lambda p: p.published_at)
    return [
        {
            "post_id": p.id,
            "source": p.source,
            "author": p.author,
            "title": p.title,
            "text": p.text[:500],
            "url": p.url,
            "published_at": p.published_at.isoformat(),
        }
        for p in posts
    ]


@issue_router.get("/{issue_id}/effect")
def response_effect(
    issue_id: int, _: Reader, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    """Volume and negative share over the 24 hours before and after the first statement."""
    hot_ids = _hot_ids(session, issue_id)
    negative_below = hot_config(settings).score.negative.negative_below
    return service.response_effect(
        session=session, issue_id=issue_id, hot_ids=hot_ids, negative_below=negative_below
    )
