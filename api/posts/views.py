"""Post endpoints: search with highlighting, one post by id, and aggregations."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.auth.models import Role, User
from api.departments import service as departments
from api.deps import SessionDep, SettingsDep, StoreDep, require_roles
from api.posts.models import PostAggregateRead, PostSearchRead
from core.errors import ForbiddenError, InputError, NotFoundError
from core.settings import Settings
from core.timezone import SHANGHAI
from store.base import MAX_PAGE_SIZE
from store.models import Interval, Post, PostFilter, PostKind, SortOrder

router = APIRouter(prefix="/api/posts", tags=["posts"])

Reader = Annotated[
    User, Depends(require_roles(Role.ANALYST, Role.LEADER, Role.PRESS, Role.HANDLER))
]


def _local(value: datetime | None, settings: Settings) -> datetime | None:
    """A time without a zone is read as the office's local time."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=SHANGHAI)


def post_filters(
    settings: SettingsDep,
    source: Annotated[list[str] | None, Query(description="repeat for several")] = None,
    kind: Annotated[list[PostKind] | None, Query()] = None,
    published_from: Annotated[
        datetime | None, Query(alias="from", description="inclusive; no zone = local time")
    ] = None,
    published_to: Annotated[
        datetime | None, Query(alias="to", description="exclusive; no zone = local time")
    ] = None,
    sentiment_min: Annotated[float | None, Query(ge=0.0, le=1.0)] = None,
    sentiment_max: Annotated[float | None, Query(ge=0.0, le=1.0)] = None,
    cluster: Annotated[list[str] | None, Query()] = None,
    region: Annotated[list[str] | None, Query()] = None,
    department: Annotated[list[str] | None, Query()] = None,
) -> PostFilter:
    start, end = _local(published_from, settings), _local(published_to, settings)
    if start is not None and end is not None and start >= end:
        raise InputError("'from' must be earlier than 'to'")
    if sentiment_min is not None and sentiment_max is not None and sentiment_min > sentiment_max:
        raise InputError("sentiment_min must not be greater than sentiment_max")
    return PostFilter(
        sources=source,
        kinds=kind,
        published_from=start,
        published_to=end,
        sentiment_min=sentiment_min,
        sentiment_max=sentiment_max,
        cluster_ids=cluster,
        regions=region,
        departments=department,
    )


Filters = Annotated[PostFilter, Depends(post_filters)]


def _handler_department(user: User, session: SessionDep) -> str | None:
    """The department name a handler is confined to; None for everyone else."""
    if user.role is not Role.HANDLER:
        return None
    if user.department_id is None:
        raise ForbiddenError("your account is not linked to a department; ask an admin")
    return departments.get(session=session, department_id=user.department_id).name


def _scoped(filters: PostFilter, user: User, session: SessionDep) -> PostFilter:
    name = _handler_department(user, session)
    if name is None:
        return filters
    return filters.model_copy(update={"departments": [name]})


@router.get("/search", response_model=PostSearchRead)
def search_posts(
    user: Reader,
    session: SessionDep,
    store: StoreDep,
    filters: Filters,
    q: Annotated[str, Query(description='e.g. "拆迁补偿" OR 征收 -演练')] = "",
    sort: SortOrder = SortOrder.TIME,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
    cursor: str | None = None,
) -> PostSearchRead:
    page = store.search(
        q, filters=_scoped(filters, user, session), sort=sort, limit=limit, cursor=cursor
    )
    return PostSearchRead.from_page(page)


@router.get("/aggregate", response_model=PostAggregateRead)
def aggregate_posts(
    user: Reader,
    session: SessionDep,
    store: StoreDep,
    filters: Filters,
    q: str = "",
    interval: Interval = Interval.HOUR,
    top_keywords: Annotated[int, Query(ge=0, le=200)] = 20,
) -> PostAggregateRead:
    aggregations = store.aggregate(
        q,
        filters=_scoped(filters, user, session),
        interval=interval,
        top_keywords=top_keywords,
    )
    return PostAggregateRead.from_aggregations(aggregations)


@router.get("/{post_id}", response_model=Post)
def get_post(post_id: str, user: Reader, session: SessionDep, store: StoreDep) -> Post:
    post = store.get(post_id)
    name = _handler_department(user, session)
    # A handler is told "not found" rather than "forbidden", so ids reveal nothing.
    if post is None or (name is not None and name not in post.departments()):
        raise NotFoundError(f"post {post_id} does not exist")
    return post
