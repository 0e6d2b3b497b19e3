"""The clock-warning job: at 80% of the time allowed and at the breach, once each, on the
timeline and to a local webhook."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from api.database import make_engine, make_session_factory, migrate, session_scope
from api.issues import service
from api.issues.models import Severity, TimelineEvent
from api.issues.warnings import check_clocks
from core.settings import load_settings
from tests.receivers import Receiver


def test_warnings_fire_once_before_and_once_at_the_breach(
    tmp_path: Path, receiver: Receiver
) -> None:
    settings = load_settings(
        database={"url": f"sqlite:///{tmp_path}/tracker.db"},
        alerts={"channels": [{"name": "duty", "kind": "webhook", "url": receiver.url()}]},
    )
    engine = make_engine(settings.database.url)
    migrate(engine)
    factory = make_session_factory(engine)
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        issue = service.create_issue(
            session=session,
            title="望潮苑停水",
            severity=Severity.MAJOR,
            detected_at=now - timedelta(hours=4, minutes=30),
            settings=settings,
        )
        issue_id = issue.id

    # 4.5 of 5 hours used: the first-statement clock warns; the 24-hour conference clock not
    assert check_clocks(factory, settings, now) == 1
    assert check_clocks(factory, settings, now + timedelta(minutes=5)) == 0
    [first] = receiver.requests
    assert first.json()["level"] == "normal" and "首次权威发布即将超时" in first.json()["text"]

    # past the 5 hours: the breach warning, urgent, once
    assert check_clocks(factory, settings, now + timedelta(minutes=31)) == 1
    assert check_clocks(factory, settings, now + timedelta(minutes=40)) == 0
    assert receiver.requests[-1].json()["level"] == "urgent"

    with session_scope(engine) as session:
        events = session.scalars(
            select(TimelineEvent).where(
                TimelineEvent.issue_id == issue_id, TimelineEvent.type == "clock_warning"
            )
        ).all()
        assert [(e.payload["kind"], e.payload["level"]) for e in events] == [
            ("first_statement", "pre_breach"),
            ("first_statement", "breach"),
        ]
    engine.dispose()
