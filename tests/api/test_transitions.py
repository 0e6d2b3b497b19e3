"""Every pair of statuses against the one transition table: each allowed move succeeds and
each other is refused with a message naming the allowed ones."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import update

from api.database import make_engine, session_scope
from api.departments import service as departments
from api.issues import service
from api.issues.models import REQUIRES, TRANSITIONS, IssueStatus, TrackedIssue
from api.migrating import migrate
from core.errors import ConflictError, InputError
from core.settings import load_settings

PAIRS = [(a, b) for a, b in itertools.product(IssueStatus, IssueStatus) if a is not b]

SETTINGS = load_settings()


@pytest.fixture
def engine(tracker_url: str):  # type: ignore[no-untyped-def]
    engine = make_engine(tracker_url)
    migrate(engine)
    yield engine
    engine.dispose()


def test_every_pair_of_statuses_follows_the_table(engine) -> None:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        dept = departments.create_department(session=session, code="swj", name="市水务局")
        dept_id = dept.id
    for old, new in PAIRS:
        with session_scope(engine) as session:
            issue = service.create_issue(
                settings=SETTINGS, session=session, title=f"{old}→{new}", lead_department_id=dept_id
            )
            session.execute(
                update(TrackedIssue).where(TrackedIssue.id == issue.id).values(status=old)
            )
            session.expire_all()
            issue = session.get(TrackedIssue, issue.id)
            note = "理由" if new in REQUIRES else None
            if new in TRANSITIONS[old]:
                changed = service.update_issue(
                    settings=SETTINGS,
                    session=session,
                    issue_id=issue.id,
                    expected_version=issue.version,
                    changes={"status": new},
                    actor=None,
                    note=note,
                )
                assert changed.status is new, (old, new)
            else:
                with pytest.raises(ConflictError) as refused:
                    service.update_issue(
                        settings=SETTINGS,
                        session=session,
                        issue_id=issue.id,
                        expected_version=issue.version,
                        changes={"status": new},
                        actor=None,
                        note=note,
                    )
                allowed = TRANSITIONS[old]
                assert all(str(a) in str(refused.value) for a in allowed), (old, new)


@pytest.mark.parametrize("target", sorted(REQUIRES))
def test_moves_that_need_a_reason_refuse_without_one(engine, target: IssueStatus) -> None:  # type: ignore[no-untyped-def]
    source = next(s for s, allowed in TRANSITIONS.items() if target in allowed)
    with session_scope(engine) as session:
        issue = service.create_issue(settings=SETTINGS, session=session, title="需要理由")
        session.execute(
            update(TrackedIssue).where(TrackedIssue.id == issue.id).values(status=source)
        )
        session.expire_all()
        issue = session.get(TrackedIssue, issue.id)
        with pytest.raises(InputError, match=REQUIRES[target]):
            service.update_issue(
                settings=SETTINGS,
                session=session,
                issue_id=issue.id,
                expected_version=issue.version,
                changes={"status": target},
                actor=None,
                note="  ",
            )
