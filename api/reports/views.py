"""Leaders' figures: department metrics for a period and the quarterly ranking, as JSON."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy import func, select

from api.auth.models import Role, User
from api.deps import SessionDep, SettingsDep, require_roles
from api.issues.clocks import calendar
from api.issues.models import TimelineEvent
from api.reports import service
from yuqing.errors import ForbiddenError, InputError

router = APIRouter(prefix="/api/reports", tags=["reports"])

# Figures for one period are computed once per CACHE_SECONDS, and again after any change to
# the tracker (every change appends a timeline event, so the newest event id says "something
# changed"). Deadlines passing with time show within CACHE_SECONDS.
CACHE_SECONDS = 30.0
_cache: dict[tuple[Any, ...], tuple[float, Any]] = {}
_cache_lock = threading.Lock()


def _cached(session: SessionDep, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
    generation = session.scalar(select(func.max(TimelineEvent.id)))
    full_key = (*key, generation)
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(full_key)
        if hit is not None and hit[0] > now:
            return hit[1]
    value = compute()
    with _cache_lock:
        if len(_cache) > 256:
            _cache.clear()
        _cache[full_key] = (now + CACHE_SECONDS, value)
    return value


Reader = Annotated[
    User, Depends(require_roles(Role.LEADER, Role.ANALYST, Role.PRESS, Role.HANDLER))
]


@router.get("/departments")
def department_metrics(
    user: Reader,
    session: SessionDep,
    settings: SettingsDep,
    since: Annotated[datetime, Query(alias="from", description="detected from (inclusive)")],
    until: Annotated[datetime, Query(alias="to", description="detected before (exclusive)")],
    department_id: int | None = None,
) -> list[dict[str, Any]]:
    """Per lead department: issues, times to assignment and first statement (median, p90),
    on-time rate per clock, open issues by age, closure rate."""
    if since.tzinfo is None or until.tzinfo is None:
        raise InputError("give `from` and `to` with a time zone, e.g. 2025-07-01T00:00:00+08:00")
    if user.role is Role.HANDLER:
        if department_id not in (None, user.department_id):
            raise ForbiddenError("a handler sees only their own department's figures")
        department_id = user.department_id

    def compute() -> list[dict[str, Any]]:
        rows = service.department_metrics(
            session,
            since=since,
            until=until,
            calendar=calendar(settings),
            department_id=department_id,
        )
        return [m.as_dict() for m in rows if m.issues or department_id is not None]

    return _cached(session, ("departments", since, until, department_id), compute)


@router.get("/ranking")
def quarterly_ranking(
    _: Annotated[User, Depends(require_roles(Role.LEADER, Role.ANALYST, Role.PRESS))],
    session: SessionDep,
    settings: SettingsDep,
    quarter: Annotated[str, Query(pattern=r"^\d{4}[Qq][1-4]$", examples=["2025Q3"])],
) -> dict[str, Any]:
    """The quarterly ranking (季度通报): see `api.reports.service` for the formula."""
    since, until = service.quarter_bounds(quarter.upper())

    def compute() -> list[dict[str, Any]]:
        metrics = service.department_metrics(
            session, since=since, until=until, calendar=calendar(settings)
        )
        return service.ranking(metrics)

    ranked = _cached(session, ("ranking", since, until), compute)
    return {
        "quarter": quarter.upper(),
        "from": since.isoformat(),
        "to": until.isoformat(),
        "formula": "50 x on-time rate + 30 x closure rate + 20 x speed to first statement",
        "departments": ranked,
    }
