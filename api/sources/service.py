"""The configured sources, and their crawl state and run records."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.database import utcnow
from api.sources.models import CrawlRun, SourceState
from core.configfile import load_when_changed
from core.errors import NotFoundError
from core.settings import Settings
from crawler.sources import AnySource, load_sources


def configured(settings: Settings) -> dict[str, AnySource]:
    """Every source of the sources file by name, re-read when the file changes."""
    return load_when_changed(settings.crawler.sources_file, load_sources)


def names(settings: Settings) -> list[str]:
    """The configured sources' names; none without a sources file."""
    none: dict[str, AnySource] = {}
    return list(load_when_changed(settings.crawler.sources_file, load_sources, missing=none))


def configured_source(settings: Settings, *, name: str) -> AnySource:
    source = configured(settings).get(name)
    if source is None:
        raise NotFoundError(f"no source named {name!r}")
    return source


def _official(path: Path) -> frozenset[str]:
    return frozenset(name for name, s in load_sources(path).items() if s.official)


def official_names(settings: Settings) -> frozenset[str]:
    """The sources whose posts are the city's own statements; none without a sources file."""
    return load_when_changed(settings.crawler.sources_file, _official, missing=frozenset())


def get_state(*, session: Session, source: str) -> SourceState:
    """The source's state, created empty on first use."""
    state = session.get(SourceState, source)
    if state is None:
        state = SourceState(source=source, pending={})
        session.add(state)
        session.flush()
    return state


def save_state(
    *,
    session: Session,
    source: str,
    last_seen_id: str | None,
    last_seen_at: datetime | None,
    pending: dict[str, str],
) -> SourceState:
    state = get_state(session=session, source=source)
    if last_seen_at is not None and (
        state.last_seen_at is None or last_seen_at >= state.last_seen_at
    ):
        state.last_seen_at = last_seen_at
        state.last_seen_id = last_seen_id
    state.pending = dict(pending)
    return state


def start_run(*, session: Session, source: str) -> CrawlRun:
    run = CrawlRun(source=source, started_at=utcnow(), status="running", errors=[])
    session.add(run)
    session.flush()
    return run


def finish_run(*, session: Session, run_id: int, outcome: dict[str, Any]) -> CrawlRun:
    run = session.get(CrawlRun, run_id)
    assert run is not None
    for name, value in outcome.items():
        setattr(run, name, value)
    run.finished_at = utcnow()
    return run


def last_runs(*, session: Session) -> dict[str, CrawlRun]:
    """The newest run of every source that has run."""
    newest = (
        select(CrawlRun.source, func.max(CrawlRun.id).label("id"))
        .group_by(CrawlRun.source)
        .subquery()
    )
    rows = session.scalars(select(CrawlRun).join(newest, CrawlRun.id == newest.c.id))
    return {run.source: run for run in rows}


def list_runs(*, session: Session, source: str, limit: int = 20) -> list[CrawlRun]:
    query = (
        select(CrawlRun).where(CrawlRun.source == source).order_by(CrawlRun.id.desc()).limit(limit)
    )
    return list(session.scalars(query))


def states(*, session: Session) -> dict[str, SourceState]:
    return {state.source: state for state in session.scalars(select(SourceState))}
