"""The outbox's endpoints: every notification sent (hot-issue alerts and deadline warnings),
where its delivery stands, and each channel's outcome."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.alerts import service
from api.alerts.models import (
    DeliveryRead,
    NotificationDetail,
    NotificationKind,
    NotificationRead,
)
from api.auth.models import Role, User
from api.deps import SessionDep, require_roles

router = APIRouter(prefix="/api", tags=["alerts"])

Reader = Annotated[User, Depends(require_roles(Role.ANALYST, Role.LEADER, Role.PRESS))]


@router.get("/alerts", response_model=list[NotificationRead])
def list_alerts(
    _: Reader,
    session: SessionDep,
    kind: NotificationKind | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[NotificationRead]:
    """The newest notifications first; `kind` keeps hot-issue alerts or clock warnings only."""
    rows, _total = service.list_notifications(
        session=session, kind=kind, limit=limit, offset=offset
    )
    return [NotificationRead.model_validate(r) for r in rows]


@router.get("/alerts/{notification_id}", response_model=NotificationDetail)
def get_alert(notification_id: int, _: Reader, session: SessionDep) -> NotificationDetail:
    """One notification with each channel's deliveries, oldest first."""
    row = service.get(session=session, notification_id=notification_id)
    deliveries = service.deliveries(session=session, notification_id=notification_id)
    return NotificationDetail(
        **NotificationRead.model_validate(row).model_dump(),
        deliveries=[DeliveryRead.model_validate(d) for d in deliveries],
    )
