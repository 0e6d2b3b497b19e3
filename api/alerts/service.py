"""The outbox. A notification is written in the same transaction as the change that caused it
(a hot issue flagged, a deadline near), so none is lost and none is sent for a change that was
rolled back. Delivery passes then send every due notification to the channels that have not
accepted it yet, record each channel's outcome, and retry the rest on later passes until every
channel has accepted it.

Several processes may run delivery passes at once: each takes a notification with a
conditional UPDATE (a claim that lapses after `CLAIM_SECONDS`), so no message goes out twice
from two workers."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from api.alerts import channels
from api.alerts.models import (
    OPEN_STATUSES,
    DeliveryStatus,
    Level,
    Notification,
    NotificationDelivery,
    NotificationKind,
)
from api.alerts.render import Message, headline
from api.database import rows_changed, unit_of_work, utcnow
from core.errors import NotFoundError
from core.settings import AlertSettings

log = logging.getLogger(__name__)

# How long a delivery pass may hold a notification before another pass may take it over.
CLAIM_SECONDS = 300
# Notifications one pass takes at most; the rest wait for the next pass.
PASS_LIMIT = 200


def enqueue(
    *,
    session: Session,
    kind: NotificationKind,
    subject_id: int,
    level: Level,
    title: str,
    facts: Sequence[tuple[str, str]],
    body: Sequence[str],
    link: str | None,
    data: dict[str, Any],
    now: datetime,
    due_at: datetime | None = None,
) -> Notification:
    """Put a notification in the outbox, in the caller's transaction. One due later than `now`
    (quiet hours) is held until then."""
    held = due_at is not None and due_at > now
    row = Notification(
        kind=kind.value,
        subject_id=subject_id,
        level=level.value,
        title=title[:500],
        facts=[[label, value] for label, value in facts],
        body=list(body),
        link=link,
        data=data,
        created_at=now,
        due_at=due_at if held and due_at is not None else now,
        status=DeliveryStatus.HELD if held else DeliveryStatus.PENDING,
        passes=0,
    )
    session.add(row)
    session.flush()
    return row


def message_of(row: Notification) -> Message:
    return Message(
        kind=row.kind,
        subject_id=row.subject_id,
        level=row.level,
        title=row.title,
        facts=[(label, value) for label, value in row.facts],
        body=list(row.body),
        created_at=row.created_at,
        link=row.link,
        data=dict(row.data or {}),
    )


@dataclass
class DeliveryPass:
    """What one delivery pass did."""

    sent: int = 0
    failed: int = 0
    logged: int = 0
    deliveries_ok: int = 0
    deliveries_failed: int = 0


def deliver_due(
    *,
    factory: sessionmaker[Session],
    settings: AlertSettings,
    now: datetime | None = None,
    wait_seconds: float = 0.5,
) -> DeliveryPass:
    """Send every notification that is due to each channel that has not accepted it yet."""
    now = now or utcnow()
    outcome = DeliveryPass()
    with unit_of_work(factory) as session:
        due = session.scalars(
            select(Notification.id)
            .where(
                Notification.status.in_(OPEN_STATUSES),
                Notification.due_at <= now,
                Notification.claimed_until.is_(None) | (Notification.claimed_until < now),
            )
            .order_by(Notification.id)
            .limit(PASS_LIMIT)
        ).all()
    for notification_id in due:
        claimed = _claim(factory, notification_id, now)
        if claimed is None:
            continue  # another pass took it
        message, accepted = claimed
        wanted = [c for c in settings.channels if channels.wants(c, message)]
        todo = [c for c in wanted if c.name not in accepted]
        results = channels.deliver_all(todo, message, settings.attempts, wait_seconds=wait_seconds)
        status = _record(factory, notification_id, message, results, bool(wanted), settings, now)
        outcome.deliveries_ok += sum(r.ok for r in results)
        outcome.deliveries_failed += sum(not r.ok for r in results)
        if status is DeliveryStatus.SENT:
            outcome.sent += 1
        elif status is DeliveryStatus.FAILED:
            outcome.failed += 1
        else:
            outcome.logged += 1
    return outcome


def _claim(
    factory: sessionmaker[Session], notification_id: int, now: datetime
) -> tuple[Message, set[str]] | None:
    """Take the notification for this pass; with the channels that accepted it before."""
    with unit_of_work(factory) as session:
        taken = rows_changed(
            session,
            update(Notification)
            .where(
                Notification.id == notification_id,
                Notification.status.in_(OPEN_STATUSES),
                Notification.claimed_until.is_(None) | (Notification.claimed_until < now),
            )
            .values(claimed_until=now + timedelta(seconds=CLAIM_SECONDS)),
        )
        if not taken:
            return None
        row = session.get(Notification, notification_id)
        assert row is not None  # claimed just now
        accepted = set(
            session.scalars(
                select(NotificationDelivery.channel).where(
                    NotificationDelivery.notification_id == notification_id,
                    NotificationDelivery.ok.is_(True),
                )
            )
        )
        return message_of(row), accepted


def _record(
    factory: sessionmaker[Session],
    notification_id: int,
    message: Message,
    results: list[channels.DeliveryResult],
    any_channel: bool,
    settings: AlertSettings,
    now: datetime,
) -> DeliveryStatus:
    """Record each channel's outcome and where the notification stands; release the claim."""
    with unit_of_work(factory) as session:
        row = session.get(Notification, notification_id)
        assert row is not None
        row.passes += 1
        row.claimed_until = None
        for r in results:
            session.add(
                NotificationDelivery(
                    notification_id=notification_id,
                    channel=r.channel,
                    ok=r.ok,
                    attempts=r.attempts,
                    error=r.error,
                    finished_at=r.finished_at,
                )
            )
        failed = [r for r in results if not r.ok]
        if not any_channel:
            row.status = DeliveryStatus.LOGGED
            log.warning("%s (no alert channel takes it; see alerts.channels)", headline(message))
        elif failed:
            row.status = DeliveryStatus.FAILED
            row.last_error = "; ".join(f"{r.channel}: {r.error}" for r in failed)
            slow = row.passes >= settings.fast_retries
            row.due_at = now + timedelta(minutes=settings.slow_retry_minutes if slow else 0)
            log.error("notification %s not delivered: %s", notification_id, row.last_error)
        else:
            row.status = DeliveryStatus.SENT
            row.delivered_at = utcnow()
            row.last_error = None
        return DeliveryStatus(row.status)


# -- reading ------------------------------------------------------------------------------------


def list_notifications(
    *,
    session: Session,
    kind: NotificationKind | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Notification], int]:
    """The newest notifications first, and how many there are in all."""
    query = select(Notification)
    if kind is not None:
        query = query.where(Notification.kind == kind.value)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Notification.id.desc()).limit(limit).offset(offset)).all()
    return list(rows), total


def get(*, session: Session, notification_id: int) -> Notification:
    row = session.get(Notification, notification_id)
    if row is None:
        raise NotFoundError(f"no notification {notification_id}")
    return row


def deliveries(*, session: Session, notification_id: int) -> list[NotificationDelivery]:
    return list(
        session.scalars(
            select(NotificationDelivery)
            .where(NotificationDelivery.notification_id == notification_id)
            .order_by(NotificationDelivery.id)
        )
    )
