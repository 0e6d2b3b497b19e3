"""The clustering job's small state in the tracker database: its scan cursor, the generation
analysts bump, and the lease that keeps the job and analysts' changes from overlapping."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from api.database import rows_changed, unit_of_work
from api.hot_issues.models import AnalysisState
from api.leases.service import this_process
from core.errors import ConflictError

CURSOR_KEY = "scan_cursor"
LEASE_KEY = "lease"
GENERATION_KEY = "generation"
# A holder that died leaves a lease that lapses after this long.
LEASE_SECONDS = 120


def read(session: Session, key: str) -> str | None:
    row = session.get(AnalysisState, key)
    return row.value if row else None


def write(session: Session, key: str, value: str | None) -> None:
    row = session.get(AnalysisState, key)
    if row is None:
        session.add(AnalysisState(key=key, value=value))
    else:
        row.value = value


def cursor(session: Session) -> str | None:
    """Where the job's scan of the post store stands."""
    return read(session, CURSOR_KEY)


def move_cursor(session: Session, value: str | None) -> None:
    write(session, CURSOR_KEY, value)


def generation(session: Session) -> int:
    """Bumped by every analyst's change; the job reloads its clusters when it moved."""
    return int(read(session, GENERATION_KEY) or 0)


def bump_generation(session: Session) -> None:
    write(session, GENERATION_KEY, str(generation(session) + 1))


@contextmanager
def lease(factory: sessionmaker[Session], *, wait_seconds: float = 15.0) -> Iterator[None]:
    """Hold the clustering lease (a job's page or an analyst's change) for the block.

    The lease is one row; taking it is one conditional UPDATE, atomic on SQLite and PostgreSQL.
    A holder that died leaves a lease that lapses after LEASE_SECONDS.
    """
    # The process's name first, so that a new leader can free what a dead one held.
    holder = f"{this_process()}/{uuid.uuid4().hex}"
    deadline = time.monotonic() + wait_seconds
    with unit_of_work(factory) as session:
        if session.get(AnalysisState, LEASE_KEY) is None:
            session.add(AnalysisState(key=LEASE_KEY, value=None))
    while True:
        now = datetime.now(UTC)
        with unit_of_work(factory) as session:
            taken = rows_changed(
                session,
                update(AnalysisState)
                .where(AnalysisState.key == LEASE_KEY)
                .where(
                    (AnalysisState.value.is_(None))
                    | (AnalysisState.updated_at < now - timedelta(seconds=LEASE_SECONDS))
                )
                .values(value=holder, updated_at=now),
            )
        if taken:
            break
        if time.monotonic() > deadline:
            raise ConflictError("the clustering job is busy with these hot issues; try again")
        time.sleep(0.05)
    try:
        yield
    finally:
        with unit_of_work(factory) as session:
            session.execute(
                update(AnalysisState)
                .where(AnalysisState.key == LEASE_KEY, AnalysisState.value == holder)
                .values(value=None)
            )


def free_lease_of(factory: sessionmaker[Session], process: str) -> bool:
    """Free the clustering lease if `process` holds it: a new leader took over from a leader
    that stopped renewing its lease, so that process is gone (or cut off) and will not write."""
    with unit_of_work(factory) as session:
        freed = rows_changed(
            session,
            update(AnalysisState)
            .where(AnalysisState.key == LEASE_KEY)
            .where(AnalysisState.value.startswith(f"{process}/", autoescape=True))
            .values(value=None),
        )
    return bool(freed)
