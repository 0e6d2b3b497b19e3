"""Reading and writing crawl state and run records."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.database import utcnow
from api.sources.models import CrawlRun, SourceState


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
