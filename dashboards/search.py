"""Full-text search (检索) over the posts: highlighted hits, filters, the result count and the
result set's volume over time (the XLSX download is in `dashboards.export`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from api.auth.models import Role, User
from api.departments import service as departments
from api.deps import SessionDep, SettingsDep, StoreDep
from api.sources import service as sources
from core.errors import InputError, QueryTooComplex
from core.settings import Settings
from core.timezone import SHANGHAI
from dashboards.auth import page_user
from dashboards.templating import KIND_LABELS, SENTIMENT_LABELS, render
from store.base import PostStore
from store.models import (
    NEUTRAL_FROM,
    POSITIVE_FROM,
    Interval,
    PostFilter,
    PostKind,
    SearchPage,
    SortOrder,
    sentiment_band,
)

router = APIRouter()

Reader = Annotated[User, Depends(page_user(Role.ANALYST, Role.LEADER, Role.PRESS))]

PAGE_SIZE = 20
HOURLY_UP_TO = timedelta(days=3)
BANDS = {
    "negative": (None, math.nextafter(NEUTRAL_FROM, 0.0)),
    "neutral": (NEUTRAL_FROM, math.nextafter(POSITIVE_FROM, 0.0)),
    "positive": (POSITIVE_FROM, None),
}


@dataclass
class SearchForm:
    """What the search form asks, as it came in (for the form and the links) and as filters."""

    q: str = ""
    source: str = ""
    kind: str = ""
    date_from: date | None = None
    date_to: date | None = None  # inclusive
    sentiment: str = ""
    district: str = ""
    department: str = ""
    sort: str = "time"

    def filters(self, zone: tzinfo) -> PostFilter:
        low, high = BANDS.get(self.sentiment, (None, None))
        start = datetime.combine(self.date_from, time(0), zone) if self.date_from else None
        end = (
            datetime.combine(self.date_to + timedelta(days=1), time(0), zone)
            if self.date_to
            else None
        )
        if start and end and start >= end:
            raise InputError("起始日期不能晚于结束日期")
        return PostFilter(
            sources=[self.source] if self.source else None,
            kinds=[PostKind(self.kind)] if self.kind else None,
            published_from=start,
            published_to=end,
            sentiment_min=low,
            sentiment_max=high,
            regions=[self.district] if self.district else None,
            departments=[self.department] if self.department else None,
        )

    def query_string(self, **extra: str) -> str:
        values = {
            "q": self.q,
            "source": self.source,
            "kind": self.kind,
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "sentiment": self.sentiment,
            "district": self.district,
            "department": self.department,
            "sort": self.sort,
            **extra,
        }
        return urlencode({k: v for k, v in values.items() if v})

    @property
    def asked(self) -> bool:
        return any(
            (self.q, self.source, self.kind, self.date_from, self.date_to, self.sentiment)
        ) or bool(self.district or self.department)


def search_form(
    # Bounded by the query parser (store.query), whose refusal the page explains in Chinese.
    q: str = "",
    source: Annotated[str, Query(max_length=100)] = "",
    kind: Annotated[str, Query(pattern="^(|news|board|microblog|hotline)$")] = "",
    date_from: Annotated[str, Query(alias="from", max_length=10)] = "",
    date_to: Annotated[str, Query(alias="to", max_length=10)] = "",
    sentiment: Annotated[str, Query(pattern="^(|negative|neutral|positive)$")] = "",
    district: Annotated[str, Query(max_length=100)] = "",
    department: Annotated[str, Query(max_length=200)] = "",
    sort: Annotated[str, Query(pattern="^(time|relevance)$")] = "time",
) -> SearchForm:
    return SearchForm(
        q.strip(),
        source,
        kind,
        _day(date_from),
        _day(date_to),
        sentiment,
        district,
        department,
        sort,
    )


def _day(value: str) -> date | None:
    """A date from the form's date field; empty (or not a date) means no bound."""
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


Form = Annotated[SearchForm, Depends(search_form)]


def districts(settings: Settings) -> list[str]:
    return departments.districts(settings)


def source_names(settings: Settings) -> list[str]:
    return sources.names(settings)


def run_search(
    store: PostStore, form: SearchForm, settings: Settings, cursor: str | None, limit: int
) -> SearchPage:
    return store.search(
        form.q,
        filters=form.filters(SHANGHAI),
        sort=SortOrder(form.sort),
        limit=limit,
        cursor=cursor,
    )


def _results_context(
    store: PostStore, form: SearchForm, settings: Settings, cursor: str | None
) -> dict[str, Any]:
    try:
        page = run_search(store, form, settings, cursor, PAGE_SIZE)
    except InputError as exc:
        return {"problem": explain(exc), "form": form}
    hits = [
        {
            "post": hit.post,
            "snippet": hit.snippet,
            "kind": KIND_LABELS.get(hit.post.kind.value, hit.post.kind.value),
            "band": sentiment_band(hit.post.sentiment).value,
        }
        for hit in page.hits
    ]
    return {"page": page, "hits": hits, "form": form, "cursor": cursor}


def explain(exc: InputError) -> str:
    """What went wrong with the search, in Chinese, for the page."""
    if isinstance(exc, QueryTooComplex):
        return {
            "depth": f"检索式嵌套过深：括号与 NOT（或“-”）最多嵌套 {exc.most} 层，请简化检索式。",
            "terms": f"检索式过长：最多可含 {exc.most} 个检索词，请拆分后分别检索。",
        }.get(exc.bound, f"检索式过长：最多 {exc.most} 个字符，请简化检索式。")
    message = str(exc)
    if any("\u4e00" <= ch <= "\u9fff" for ch in message):
        return message
    return "检索式无法解析：请检查引号、括号是否成对，以及 AND / OR / NOT 的用法。"


@router.get("/search")
def search_page(
    request: Request,
    user: Reader,
    session: SessionDep,
    store: StoreDep,
    settings: SettingsDep,
    form: Form,
) -> HTMLResponse:
    context = _results_context(store, form, settings, None)
    context.update(
        sources=source_names(settings),
        kinds=list(KIND_LABELS.items()),
        bands=[(k, SENTIMENT_LABELS[k]) for k in BANDS],
        districts=districts(settings),
        departments=departments.list_departments(session=session),
        query_string=form.query_string(),
    )
    status = 400 if "problem" in context else 200
    return render(request, "search.html", context, user=user, status_code=status)


@router.get("/search/results")
def search_more(
    request: Request,
    user: Reader,
    store: StoreDep,
    settings: SettingsDep,
    form: Form,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
) -> HTMLResponse:
    """The next page of hits, to append below the ones shown."""
    context = _results_context(store, form, settings, cursor)
    return render(request, "_hits.html", context, user=user)


@router.get("/search/volume.json")
def search_volume(user: Reader, store: StoreDep, settings: SettingsDep, form: Form) -> JSONResponse:
    """The result set's posts per hour (a range of three days or less) or per day."""
    zone = SHANGHAI
    span = None
    if form.date_from and form.date_to:
        span = timedelta(days=(form.date_to - form.date_from).days + 1)
    interval = Interval.HOUR if span is not None and span <= HOURLY_UP_TO else Interval.DAY
    try:
        aggregations = store.aggregate(
            form.q, filters=form.filters(zone), interval=interval, top_keywords=0
        )
    except InputError:
        return JSONResponse({"empty": True, "buckets": [], "total": 0})
    fmt = "%m-%d %H时" if interval is Interval.HOUR else "%m-%d"
    buckets = [
        {"label": b.start.astimezone(zone).strftime(fmt), "count": b.count}
        for b in aggregations.volume
    ]
    return JSONResponse(
        {
            "interval": interval.value,
            "total": aggregations.total,
            "buckets": buckets,
            "empty": not buckets,
        }
    )
