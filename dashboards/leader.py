"""The leaders' response overview (领导视图): open issues with their clocks as timelines,
soonest due first; the quarter's department ranking and on-time rate per clock; the city's
volume and sentiment trend, and the breakdown by district.

The first paint holds only the open issues (two bounded queries); the ranking and the city
figures load after it (htmx and fetch), each on its own, and are cached briefly (the ranking
also until the tracker changes).
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from api.auth.models import Role, User
from api.cache import app_cache
from api.database import utcnow
from api.deps import SessionDep, SettingsDep, StoreDep
from api.issues import clocks, overview
from api.issues.sla import CLOCK_LABELS, ClockKind
from api.reports import service as reports
from core.settings import Settings
from core.timezone import SHANGHAI
from dashboards.auth import page_user
from dashboards.search import districts
from dashboards.templating import render
from dashboards.timeline import open_issues, recently_closed
from store.models import NEUTRAL_FROM, Interval, PostFilter

router = APIRouter()

Leader = Annotated[User, Depends(page_user(Role.LEADER))]

OPEN_SHOWN = 30
TREND_DAYS = 30
DISTRICT_DAYS = 7
CITY_SECONDS = 60.0
RANKING_SECONDS = 30.0
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="city-figures")


def recent_quarters(moment: datetime, count: int = 4) -> list[str]:
    local = moment.astimezone(SHANGHAI)
    year, q = local.year, (local.month - 1) // 3 + 1
    out = []
    for _ in range(count):
        out.append(f"{year}Q{q}")
        year, q = (year, q - 1) if q > 1 else (year - 1, 4)
    return out


@router.get("/leader")
def leader_page(
    request: Request,
    user: Leader,
    session: SessionDep,
    settings: SettingsDep,
    quarter: Annotated[reports.Quarter | None, Query(pattern=r"^\d{4}Q[1-4]$")] = None,
) -> HTMLResponse:
    zone = SHANGHAI
    now = utcnow()
    calendar = clocks.calendar(settings)
    rows, open_total = open_issues(session, calendar=calendar, limit=OPEN_SHOWN, now=now)
    quarters = recent_quarters(now)
    context = {
        "rows": rows,
        "open_total": open_total,
        "overdue": overview.overdue_clocks(session=session, now=now),
        "closed": recently_closed(session, calendar=calendar),
        "quarter": quarter or quarters[0],
        "quarters": quarters,
        "today": now.astimezone(zone).date().isoformat(),
    }
    return render(request, "leader.html", context, user=user)


def _ranking(session: SessionDep, settings: Settings, quarter: str) -> dict[str, Any]:
    since, until = reports.quarter_bounds(quarter)
    metrics = reports.department_metrics(
        session=session, since=since, until=until, calendar=clocks.calendar(settings)
    )
    by_kind: dict[str, dict[str, int]] = {}
    for m in metrics:
        for kind, counts in m.clocks.items():
            total = by_kind.setdefault(kind, {"met": 0, "breached": 0})
            total["met"] += counts.get("met", 0)
            total["breached"] += counts.get("breached", 0)
    on_time = []
    for kind in ClockKind:
        found = by_kind.get(kind.value)
        if not found:
            continue
        judged = found["met"] + found["breached"]
        on_time.append(
            {
                "kind": kind.value,
                "label": CLOCK_LABELS[kind],
                **found,
                "rate": found["met"] / judged if judged else None,
            }
        )
    return {"ranked": reports.ranking(metrics), "on_time": on_time}


@router.get("/leader/ranking")
def leader_ranking(
    request: Request,
    user: Leader,
    session: SessionDep,
    settings: SettingsDep,
    quarter: Annotated[reports.Quarter, Query(pattern=r"^\d{4}Q[1-4]$")],
) -> HTMLResponse:
    """The quarter's department ranking (季度通报) and its on-time rate per clock type."""
    generation = overview.last_change(session=session)
    settle = settings.api.figures_settle_seconds
    cache = app_cache(request, "leader-ranking", RANKING_SECONDS, settle=settle)
    figures = cache.get(quarter, lambda: _ranking(session, settings, quarter), version=generation)
    return render(request, "_ranking.html", {"quarter": quarter, **figures}, user=user)


def _aggregate(store: Any, filters: PostFilter) -> Any:
    return store.aggregate("", filters=filters, interval=Interval.DAY, top_keywords=0)


def _days_up_to(now: datetime, days: int) -> tuple[datetime, PostFilter]:
    today = now.astimezone(SHANGHAI).replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=days - 1)
    return start, PostFilter(published_from=start, published_to=today + timedelta(days=1))


def city_trend(store: Any, settings: Settings, now: datetime) -> dict[str, Any]:
    """Posts per day over the last 30 days, and the negative share of each day.

    The two aggregations run side by side on a few long-lived threads (so that the store's
    per-thread connections stay few).
    """
    zone = SHANGHAI
    start, period = _days_up_to(now, TREND_DAYS)
    negative = period.model_copy(update={"sentiment_max": math.nextafter(NEUTRAL_FROM, 0.0)})
    every, bad = _POOL.map(lambda f: _aggregate(store, f), [period, negative])
    volume = {b.start.astimezone(zone).date(): b.count for b in every.volume}
    negatives = {b.start.astimezone(zone).date(): b.count for b in bad.volume}
    days = [(start + timedelta(days=i)).date() for i in range(TREND_DAYS)]
    return {
        "days": [d.strftime("%m-%d") for d in days],
        "volume": [volume.get(d, 0) for d in days],
        "negative_share": [
            round(negatives.get(d, 0) / volume[d], 3) if volume.get(d) else None for d in days
        ],
        "total": every.total,
        "empty": every.total == 0,
    }


def district_figures(store: Any, settings: Settings, now: datetime) -> dict[str, Any]:
    """Posts and their negative share by district over the last 7 days."""
    _, period = _days_up_to(now, DISTRICT_DAYS)
    names = districts(settings)
    by_region = _POOL.map(
        lambda name: _aggregate(store, period.model_copy(update={"regions": [name]})), names
    )
    out = []
    for name, figures in zip(names, by_region, strict=True):
        bands = {b.key: b.count for b in figures.by_sentiment}
        scored = sum(n for k, n in bands.items() if k != "unscored")
        out.append(
            {
                "name": name,
                "total": figures.total,
                "negative_share": round(bands.get("negative", 0) / scored, 3) if scored else None,
            }
        )
    return {"districts": out, "empty": not any(d["total"] for d in out)}


@router.get("/leader/city.json")
def leader_city(
    request: Request, user: Leader, store: StoreDep, settings: SettingsDep
) -> JSONResponse:
    """The city's volume and negative share per day (the trend chart)."""
    now = utcnow()
    key = now.astimezone(SHANGHAI).date()
    cache = app_cache(request, "leader-city", CITY_SECONDS)
    return JSONResponse(cache.get(key, lambda: city_trend(store, settings, now)))


@router.get("/leader/districts.json")
def leader_districts(
    request: Request, user: Leader, store: StoreDep, settings: SettingsDep
) -> JSONResponse:
    """Volume and negative share by district (the district chart)."""
    now = utcnow()
    key = now.astimezone(SHANGHAI).date()
    cache = app_cache(request, "leader-districts", CITY_SECONDS)
    return JSONResponse(cache.get(key, lambda: district_figures(store, settings, now)))
