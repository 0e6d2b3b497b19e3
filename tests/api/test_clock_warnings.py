"""The clock-warning job: at 80% of the time allowed and at the breach, once each, on the
timeline and through the outbox to a local webhook, in a deadline warning's own words; a
warning a channel did not accept is retried on the next pass."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.alerts.models import Notification, NotificationDelivery
from api.alerts.service import deliver_due
from api.database import make_engine, make_session_factory, session_scope
from api.departments.service import create_department
from api.issues import service
from api.issues.models import Severity, TimelineEvent
from api.issues.warnings import check_clocks
from api.migrating import migrate
from core.settings import Settings, load_settings
from tests.receivers import Receiver


@dataclass
class Tracker:
    settings: Settings
    factory: sessionmaker[Session]
    issue_id: int
    now: datetime

    def warn_and_deliver(self, at: datetime) -> tuple[int, int]:
        """One pass of the scheduler's clock-warning job: (warnings raised, sent)."""
        raised = check_clocks(self.factory, self.settings, at)
        sent = deliver_due(factory=self.factory, settings=self.settings.alerts, now=at)
        return raised, sent.sent


@pytest.fixture
def tracker(tracker_url: str, receiver: Receiver) -> Iterator[Tracker]:
    """A major issue detected 4.5 hours ago: its 5-hour first-statement clock is at 90%
    (on SQLite and on PostgreSQL)."""
    settings = load_settings(
        database={"url": tracker_url},
        alerts={
            "attempts": 1,
            "channels": [{"name": "duty", "kind": "webhook", "url": receiver.url()}],
        },
    )
    engine = make_engine(settings.database.url)
    migrate(engine)
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        water = create_department(session=session, code="sw", name="市水务局")
        issue = service.create_issue(
            session=session,
            title="望潮苑停水",
            severity=Severity.MAJOR,
            lead_department_id=water.id,
            detected_at=now - timedelta(hours=4, minutes=30),
            settings=settings,
        )
        issue_id = issue.id
    yield Tracker(settings, make_session_factory(engine), issue_id, now)
    engine.dispose()


def test_workers_checking_at_once_raise_each_warning_once(
    tracker: Tracker, receiver: Receiver
) -> None:
    barrier = threading.Barrier(4)

    def check(_: int) -> int:
        barrier.wait()
        return check_clocks(tracker.factory, tracker.settings, tracker.now)

    with ThreadPoolExecutor(4) as pool:
        assert sum(pool.map(check, range(4))) == 1
    with tracker.factory() as session:
        events = session.scalars(
            select(TimelineEvent).where(TimelineEvent.type == "clock_warning")
        ).all()
        notifications = session.scalars(select(Notification)).all()
    assert len(events) == 1 and len(notifications) == 1


def test_warnings_fire_once_before_and_once_at_the_breach(
    tracker: Tracker, receiver: Receiver
) -> None:
    now = tracker.now
    # 4.5 of 5 hours used: the first-statement clock warns; the 24-hour conference clock not
    assert tracker.warn_and_deliver(now) == (1, 1)
    assert tracker.warn_and_deliver(now + timedelta(minutes=5)) == (0, 0)
    [first] = receiver.requests
    assert first.json()["level"] == "normal" and "首次权威发布即将超时" in first.json()["text"]

    # past the 5 hours: the breach warning, urgent, once
    assert tracker.warn_and_deliver(now + timedelta(minutes=31)) == (1, 1)
    assert tracker.warn_and_deliver(now + timedelta(minutes=40)) == (0, 0)
    assert receiver.requests[-1].json()["level"] == "urgent"

    with session_scope(tracker.factory.kw["bind"]) as session:
        events = session.scalars(
            select(TimelineEvent).where(
                TimelineEvent.issue_id == tracker.issue_id, TimelineEvent.type == "clock_warning"
            )
        ).all()
        assert [(e.payload["kind"], e.payload["level"]) for e in events] == [
            ("first_statement", "pre_breach"),
            ("first_statement", "breach"),
        ]


def test_a_warning_reaches_the_webhook_in_its_own_words(
    tracker: Tracker, receiver: Receiver
) -> None:
    tracker.warn_and_deliver(tracker.now)

    [request] = receiver.requests
    body = request.json()
    assert (body["kind"], body["subject_id"]) == ("clock_warning", tracker.issue_id)
    assert body["title"] == "首次权威发布即将超时：望潮苑停水"
    assert body["facts"]["时限"] == "首次权威发布"
    assert body["facts"]["牵头部门"] == "市水务局" and body["facts"]["严重程度"] == "重大"
    assert body["facts"]["已用时间"] == "90%"
    assert body["link"] == f"/issues/{tracker.issue_id}"
    assert body["data"]["clock"] == "first_statement" and body["data"]["warning"] == "pre_breach"
    text = body["text"]
    assert text.startswith("【时限预警】一般｜首次权威发布即将超时：望潮苑停水\n")
    assert "预警说明：" in text and "应于" in text and "前完成" in text
    # nothing of a hot-issue alert's wording
    assert "热度评分" not in text and "涉及帖子数" not in text and "触发信号" not in text


def test_a_warning_the_channel_refused_is_retried_on_the_next_pass(
    tracker: Tracker, receiver: Receiver
) -> None:
    receiver.fail_first = 1  # the first delivery gets a 500
    assert tracker.warn_and_deliver(tracker.now) == (1, 0)
    with session_scope(tracker.factory.kw["bind"]) as session:
        [warning] = session.scalars(select(Notification)).all()
        # not counted as sent: no channel has accepted it
        assert warning.status == "failed" and warning.delivered_at is None
        assert "HTTP 500" in (warning.last_error or "")

    # the next pass raises nothing new, and delivers the waiting warning
    assert tracker.warn_and_deliver(tracker.now + timedelta(minutes=1)) == (0, 1)
    assert [r.json()["kind"] for r in receiver.requests] == ["clock_warning", "clock_warning"]
    with session_scope(tracker.factory.kw["bind"]) as session:
        [warning] = session.scalars(select(Notification)).all()
        assert (warning.status, warning.passes) == ("sent", 2)
        assert warning.delivered_at is not None and warning.last_error is None
        deliveries = session.scalars(select(NotificationDelivery)).all()
        assert [(d.channel, d.ok) for d in deliveries] == [("duty", False), ("duty", True)]
    # and once sent, never again
    assert tracker.warn_and_deliver(tracker.now + timedelta(minutes=2)) == (0, 0)
    assert len(receiver.requests) == 2
