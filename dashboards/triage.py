"""The analysts' triage queue (研判): hot issues by score with why each was flagged, their
volume, source mix, negative share and sample posts; new alerts arrive by htmx polling.

The actions (watch, dismiss, merge, promote) are forms that htmx posts to the API's own
endpoints with the session cookie and CSRF header, so they are checked, recorded on the
timeline and audited exactly as API calls are.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from api.alerts import service as outbox
from api.alerts.models import Notification, NotificationKind
from api.auth.models import Role, User
from api.departments import service as departments
from api.deps import SessionDep, SettingsDep, StoreDep
from api.hot_issues import overview
from api.hot_issues import service as hot_issues
from api.hot_issues.config import hot_config
from api.hot_issues.models import HotIssue
from api.issues import overview as issue_overview
from dashboards.auth import page_user
from dashboards.templating import KIND_LABELS, render
from store.base import PostStore

router = APIRouter()

Analyst = Annotated[User, Depends(page_user(Role.ANALYST))]

QUEUE_SIZE = 20
SAMPLES = 3
ALERTS_SHOWN = 8
SPARK_BUCKETS = 24
SPARK_WINDOW = timedelta(hours=72)


@dataclass
class QueueItem:
    hot: HotIssue
    mix: list[dict[str, Any]] = field(default_factory=list)  # kind, label, count, percent
    negative_share: float | None = None
    samples: list[dict[str, Any]] = field(default_factory=list)
    issue_id: int | None = None  # the tracked issue it was promoted to


def queue(
    session: SessionDep, store: PostStore, negative_below: float
) -> tuple[list[QueueItem], int]:
    """The flagged, active hot issues, hottest first, with their breakdowns (a few aggregated
    queries for the whole page, whatever the size of the clusters)."""
    rows, total = hot_issues.list_hot(session=session, limit=QUEUE_SIZE)
    items = {row.id: QueueItem(hot=row, issue_id=row.issue_id) for row in rows}
    ids = list(items)
    if not ids:
        return [], total
    mix = overview.kind_mix(session=session, hot_ids=ids, negative_below=negative_below)
    scored: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for hot_id, kind, count, with_sentiment, negatives in mix:
        items[hot_id].mix.append(
            {"kind": kind, "label": KIND_LABELS.get(kind, kind), "count": count}
        )
        scored[hot_id][0] += with_sentiment
        scored[hot_id][1] += negatives
    for hot_id, item in items.items():
        size = sum(m["count"] for m in item.mix) or 1
        item.mix.sort(key=lambda m: -m["count"])
        for m in item.mix:
            m["percent"] = round(100 * m["count"] / size, 1)
        with_sentiment, negatives = scored[hot_id]
        item.negative_share = negatives / with_sentiment if with_sentiment else None
    _attach_samples(session, store, items)
    return [items[i] for i in ids], total


def _attach_samples(session: SessionDep, store: PostStore, items: dict[int, QueueItem]) -> None:
    """The newest posts of each hot issue, in one windowed query and one store read."""
    picked = overview.newest_members(session=session, hot_ids=list(items), each=SAMPLES)
    posts = store.get_many([post_id for _, post_id in picked])
    for hot_id, post_id in picked:
        post = posts.get(post_id)
        if post is None:
            continue
        items[hot_id].samples.append(
            {
                "id": post.id,
                "kind": KIND_LABELS.get(post.kind.value, post.kind.value),
                "source": post.source,
                "title": post.title,
                "text": (post.text or post.title)[:140],
                "published_at": post.published_at,
                "sentiment": post.sentiment,
                "url": post.url,
            }
        )


def latest_alerts(session: SessionDep) -> list[Notification]:
    """The newest hot-issue alerts."""
    rows, _ = outbox.list_notifications(
        session=session, kind=NotificationKind.HOT_ISSUE, limit=ALERTS_SHOWN
    )
    return rows


def _queue_context(session: SessionDep, store: PostStore, settings: Any) -> dict[str, Any]:
    negative_below = hot_config(settings).score.negative.negative_below
    items, total = queue(session, store, negative_below)
    return {
        "items": items,
        "total": total,
        "departments": departments.list_departments(session=session),
        "negative_below": negative_below,
    }


@router.get("/triage")
def triage_page(
    request: Request, user: Analyst, session: SessionDep, store: StoreDep, settings: SettingsDep
) -> HTMLResponse:
    shown = latest_alerts(session)
    newest = max((a.id for a in shown), default=0)
    context = _queue_context(session, store, settings)
    context.update(
        alerts=shown,
        since=newest,
        seen=newest,
        issues=issue_overview.newest(session=session),
    )
    return render(request, "triage.html", context, user=user)


@router.get("/triage/queue")
def triage_queue(
    request: Request, user: Analyst, session: SessionDep, store: StoreDep, settings: SettingsDep
) -> HTMLResponse:
    return render(request, "_queue.html", _queue_context(session, store, settings), user=user)


@router.get("/triage/alerts")
def triage_alerts(
    request: Request,
    user: Analyst,
    session: SessionDep,
    since: Annotated[int, Query(ge=0, description="the newest alert when the page loaded")] = 0,
    seen: Annotated[int, Query(ge=0, description="the newest alert already shown")] = 0,
) -> HTMLResponse:
    """The latest alerts, those newer than the page marked new; when any is newer than the
    last poll, the queue is told to refresh itself (`HX-Trigger: queue-stale`)."""
    shown = latest_alerts(session)
    newest = max((a.id for a in shown), default=0)
    headers = {"HX-Trigger": "queue-stale"} if newest > seen else None
    return render(
        request,
        "_alerts.html",
        {"alerts": shown, "since": since, "seen": max(seen, newest)},
        user=user,
        headers=headers,
    )


@router.get("/triage/sparklines.json")
def sparklines(
    user: Analyst,
    session: SessionDep,
    ids: Annotated[str, Query(max_length=2000, pattern=r"^[0-9,]*$")] = "",
) -> JSONResponse:
    """Posts per three hours over the 72 hours up to each hot issue's latest post."""
    wanted = [int(i) for i in ids.split(",") if i][: QUEUE_SIZE * 2]
    windows = {
        h: (last - SPARK_WINDOW, last)
        for h, (_first, last) in overview.spans(session=session, hot_ids=wanted).items()
    }
    if not windows:
        return JSONResponse({})
    earliest = min(start for start, _ in windows.values())
    counts: dict[int, list[int]] = {h: [0] * SPARK_BUCKETS for h in windows}
    times = overview.post_times(session=session, hot_ids=list(windows), since=earliest)
    for hot_id, published_times in times.items():
        start, end = windows[hot_id]
        width = max((end - start).total_seconds(), 1.0) / SPARK_BUCKETS
        for published in published_times:
            if published < start or published > end:
                continue
            index = min(SPARK_BUCKETS - 1, int((published - start).total_seconds() // width))
            counts[hot_id][index] += 1
    out = {
        str(h): {
            "from": _iso(windows[h][0]),
            "to": _iso(windows[h][1]),
            "counts": counts[h],
        }
        for h in windows
    }
    return JSONResponse(out)


def _iso(value: datetime) -> str:
    return value.isoformat()
