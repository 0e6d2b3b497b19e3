"""Leaders' figures: department metrics for a period and the quarterly ranking, as JSON; the
daily brief and the quarterly bulletin as DOCX and XLSX downloads."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.auth.models import Role, User
from api.cache import app_cache
from api.deps import SessionDep, SettingsDep, StoreDep, require_roles
from api.issues.clocks import calendar
from api.issues.models import TimelineEvent
from api.reports import documents, service
from core.errors import ForbiddenError, InputError
from core.settings import Settings
from store.base import PostStore

router = APIRouter(prefix="/api/reports", tags=["reports"])

# Figures for one period are computed once per CACHE_SECONDS, and again after a change to the
# tracker (every change appends a timeline event, so the newest event id says "something
# changed"), at most once per `api.figures_settle_seconds`; while one request computes them,
# the others get the figures before (api/cache.py). Deadlines passing with time show within
# CACHE_SECONDS. The cache holds the encoded answer.
CACHE_SECONDS = 30.0
CACHE_ENTRIES = 256


def _cached(
    request: Request, session: SessionDep, key: tuple[Any, ...], compute: Callable[[], Any]
) -> Response:
    generation = session.scalar(select(func.max(TimelineEvent.id)))
    settle = request.app.state.settings.api.figures_settle_seconds
    cache = app_cache(request, "report-figures", CACHE_SECONDS, CACHE_ENTRIES, settle)
    body = cache.get(
        key,
        lambda: json.dumps(jsonable_encoder(compute()), ensure_ascii=False).encode(),
        version=generation,
    )
    return Response(body, media_type="application/json")


Reader = Annotated[
    User, Depends(require_roles(Role.LEADER, Role.ANALYST, Role.PRESS, Role.HANDLER))
]


@router.get("/departments", response_model=list[dict[str, Any]])
def department_metrics(
    request: Request,
    user: Reader,
    session: SessionDep,
    settings: SettingsDep,
    since: Annotated[datetime, Query(alias="from", description="detected from (inclusive)")],
    until: Annotated[datetime, Query(alias="to", description="detected before (exclusive)")],
    department_id: int | None = None,
) -> Response:
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
            session=session,
            since=since,
            until=until,
            calendar=calendar(settings),
            department_id=department_id,
        )
        return [m.as_dict() for m in rows if m.issues or department_id is not None]

    return _cached(request, session, ("departments", since, until, department_id), compute)


@router.get("/ranking", response_model=dict[str, Any])
def quarterly_ranking(
    request: Request,
    _: Annotated[User, Depends(require_roles(Role.LEADER, Role.ANALYST, Role.PRESS))],
    session: SessionDep,
    settings: SettingsDep,
    quarter: Annotated[service.Quarter, Query(pattern=r"^\d{4}[Qq][1-4]$", examples=["2025Q3"])],
) -> Response:
    """The quarterly ranking (季度通报): see `api.reports.service` for the formula."""
    since, until = service.quarter_bounds(quarter.upper())

    def compute() -> dict[str, Any]:
        metrics = service.department_metrics(
            session=session, since=since, until=until, calendar=calendar(settings)
        )
        return {
            "quarter": quarter.upper(),
            "from": since.isoformat(),
            "to": until.isoformat(),
            "formula": "50 x on-time rate + 30 x closure rate + 20 x speed to first statement",
            "departments": service.ranking(metrics),
        }

    return _cached(request, session, ("ranking", quarter.upper()), compute)


# -- the documents: the daily brief and the quarterly bulletin as DOCX and XLSX ---------------

Office = Annotated[User, Depends(require_roles(Role.LEADER, Role.ANALYST, Role.PRESS))]
DayQuery = Annotated[
    date | None,
    Query(alias="date", description="the day the brief covers; default: yesterday (local)"),
]
QuarterQuery = Annotated[
    service.Quarter | None,
    Query(
        pattern=r"^\d{4}[Qq][1-4]$",
        examples=["2025Q3"],
        description="default: the last completed quarter",
    ),
]


def _document(report: documents.Report, extension: str) -> Response:
    render = documents.docx_bytes if extension == "docx" else documents.xlsx_bytes
    return Response(
        render(report),
        media_type=documents.CONTENT_TYPES[extension],
        headers={"Content-Disposition": documents.content_disposition(report, extension)},
    )


def _daily_report(
    session: Session, store: PostStore, settings: Settings, day: date | None
) -> documents.Report:
    # Imported here: the charts bring matplotlib, a second of every API start otherwise.
    from api.reports import daily, daily_document

    brief = daily.build(
        session=session,
        store=store,
        settings=settings,
        day=day or daily.default_day(settings),
    )
    return daily_document.report(brief)


def _quarterly_report(
    session: Session, settings: Settings, quarter: str | None
) -> documents.Report:
    from api.reports import quarterly

    bulletin = quarterly.build(
        session=session, settings=settings, quarter=quarter or quarterly.default_quarter(settings)
    )
    return quarterly.report(bulletin)


_DOCX: dict[int | str, dict[str, Any]] = {
    200: {"content": {documents.DOCX_TYPE: {}}, "description": "a Word document"}
}
_XLSX: dict[int | str, dict[str, Any]] = {
    200: {"content": {documents.XLSX_TYPE: {}}, "description": "an Excel workbook"}
}


@router.get("/daily.docx", response_class=Response, responses=_DOCX)
def daily_docx(
    _: Office, session: SessionDep, store: StoreDep, settings: SettingsDep, day: DayQuery = None
) -> Response:
    """The daily brief (舆情日报) as a Word document."""
    return _document(_daily_report(session, store, settings, day), "docx")


@router.get("/daily.xlsx", response_class=Response, responses=_XLSX)
def daily_xlsx(
    _: Office, session: SessionDep, store: StoreDep, settings: SettingsDep, day: DayQuery = None
) -> Response:
    """The daily brief (舆情日报) as an Excel workbook, one sheet per table."""
    return _document(_daily_report(session, store, settings, day), "xlsx")


@router.get("/quarterly.docx", response_class=Response, responses=_DOCX)
def quarterly_docx(
    _: Office, session: SessionDep, settings: SettingsDep, quarter: QuarterQuery = None
) -> Response:
    """The quarterly bulletin (季度通报) as a Word document."""
    return _document(_quarterly_report(session, settings, quarter), "docx")


@router.get("/quarterly.xlsx", response_class=Response, responses=_XLSX)
def quarterly_xlsx(
    _: Office, session: SessionDep, settings: SettingsDep, quarter: QuarterQuery = None
) -> Response:
    """The quarterly bulletin (季度通报) as an Excel workbook, one sheet per table."""
    return _document(_quarterly_report(session, settings, quarter), "xlsx")
