"""The outbox: every notification the office sends (hot-issue alerts, deadline warnings), and
each channel's delivery of it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column

from api.database import Base, UTCDateTime, utcnow

_JSON = JSON().with_variant(postgresql.JSONB(), "postgresql")


class NotificationKind(StrEnum):
    HOT_ISSUE = "hot_issue"  # a hot issue crossed the alert threshold (舆情预警)
    CLOCK_WARNING = "clock_warning"  # a deadline is near or has passed (时限预警)


class Level(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"


class DeliveryStatus(StrEnum):
    """Where a notification stands. Only `sent` means every channel has accepted it."""

    PENDING = "pending"  # waiting for its first delivery pass
    HELD = "held"  # quiet hours: waits until `due_at`
    FAILED = "failed"  # some channel has not accepted it yet; retried on later passes
    SENT = "sent"  # every channel that wants it has accepted it
    LOGGED = "logged"  # no channel is configured: written to the log only


# Statuses the delivery pass still works on.
OPEN_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.HELD, DeliveryStatus.FAILED)


class Notification(Base):
    """One message to the people on duty, rendered for each channel from these fields."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_status_due_at", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    # What it is about: a hot issue's id, or the tracked issue's id for a clock warning.
    subject_id: Mapped[int] = mapped_column(Integer, index=True)
    level: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(500))
    # (label, value) pairs shown as the message's facts, in order.
    facts: Mapped[list[list[str]]] = mapped_column(_JSON, default=list)
    # The lines that say why (the signals that fired, the deadline that is near).
    body: Mapped[list[str]] = mapped_column(_JSON, default=list)
    # Where to read more, a path under the product's address (/issues/7).
    link: Mapped[str | None] = mapped_column(String(500))
    # The same facts for machines (the webhook's JSON), with their own types.
    data: Mapped[dict[str, Any]] = mapped_column(_JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default=DeliveryStatus.PENDING)
    passes: Mapped[int] = mapped_column(Integer, default=0)
    # A delivery pass that took this notification holds it until then (several workers).
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)


class NotificationDelivery(Base):
    """One pass's attempts to deliver one notification to one channel."""

    __tablename__ = "notification_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"), index=True)
    channel: Mapped[str] = mapped_column(String(100))
    ok: Mapped[bool] = mapped_column(Boolean)
    attempts: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# -- response shapes ----------------------------------------------------------------------------


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    channel: str
    ok: bool
    attempts: int
    error: str | None
    finished_at: datetime


class NotificationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: NotificationKind
    subject_id: int
    level: Level
    title: str
    facts: list[list[str]]
    body: list[str]
    link: str | None
    created_at: datetime
    due_at: datetime
    status: DeliveryStatus
    passes: int
    delivered_at: datetime | None
    last_error: str | None


class NotificationDetail(NotificationRead):
    deliveries: list[DeliveryRead]
