"""Source endpoints: what is configured, and how each source's last crawl went."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.auth.models import Role, User
from api.deps import SessionDep, SettingsDep, require_roles
from api.sources import service
from api.sources.models import CrawlRunRead, SourceRead

router = APIRouter(prefix="/api/sources", tags=["sources"])
Viewer = Annotated[User, Depends(require_roles(Role.ANALYST, Role.LEADER, Role.PRESS))]


@router.get("", response_model=list[SourceRead])
def list_sources(_: Viewer, session: SessionDep, settings: SettingsDep) -> list[SourceRead]:
    sources = service.configured(settings)
    runs = service.last_runs(session=session)
    states = service.states(session=session)
    return [
        SourceRead(
            name=source.name,
            kind=source.kind,
            title=source.title,
            enabled=source.enabled,
            official=source.official,
            schedule=source.schedule.model_dump(exclude_none=True) if source.schedule else None,
            last_seen_at=states[name].last_seen_at if name in states else None,
            last_run=CrawlRunRead.model_validate(runs[name]) if name in runs else None,
        )
        for name, source in sources.items()
    ]


@router.get("/{name}/runs", response_model=list[CrawlRunRead])
def list_source_runs(
    name: str,
    _: Viewer,
    session: SessionDep,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> list[CrawlRunRead]:
    service.configured_source(settings, name=name)
    runs = service.list_runs(session=session, source=name, limit=limit)
    return [CrawlRunRead.model_validate(run) for run in runs]
