"""The tracker database on real engines: migrations, round trips and optimistic concurrency."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from api.auth import service as auth_service
from api.auth.models import Role, User
from api.database import make_engine, make_read_factory, make_session_factory, session_scope
from api.departments import service as departments
from api.issues import service as issues
from api.issues import timeline as issue_timeline
from api.issues.models import IssueStatus, Severity, TimelineEvent, TrackedIssue
from api.migrating import alembic_config, current_revision, downgrade, migrate
from core.errors import ConfigError, ConflictError, InputError, StoreUnavailable
from core.settings import load_settings

TABLES = {
    "departments", "users", "tracked_issues", "timeline_events", "source_states", "crawl_runs",
    "hot_issues", "hot_issue_posts", "analysis_state", "hot_issue_alerts", "notifications",
    "notification_deliveries", "login_locks",
}  # fmt: skip

SETTINGS = load_settings()


@pytest.fixture
def db_url(tracker_url: str) -> str:
    """An empty database of the test's own (SQLite, and PostgreSQL when configured)."""
    return tracker_url


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    migrate(db_url)
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: sa.Engine):
    return make_session_factory(engine)


def _tables(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def test_upgrade_head_creates_every_table_and_downgrade_removes_them(db_url: str) -> None:
    assert current_revision(db_url) is None
    migrate(db_url)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None and current_revision(db_url) == head
    engine = make_engine(db_url)
    try:
        assert _tables(engine) >= TABLES
        migrate(db_url)  # a second run is a no-op
        downgrade(db_url, revision="base")
        assert not TABLES & _tables(engine)
        assert current_revision(db_url) is None
        migrate(db_url)  # and back up again
        assert _tables(engine) >= TABLES
    finally:
        engine.dispose()


def test_the_outbox_migration_carries_alerts_and_promotions_over_and_back(db_url: str) -> None:
    """0007 on a database with data: each alert becomes a notification (its deliveries with
    it) and a hot-issue alert record; a hot issue linked to an issue counts as promoted into
    it. The downgrade puts the alerts back."""
    migrate(db_url, revision="0006")
    engine = make_engine(db_url)
    at = "2025-03-10 09:00:00+00"
    statements = [
        "INSERT INTO tracked_issues (id, title, summary, severity, status, created_at,"
        f" updated_at, detected_at, tags, version) VALUES (7, '停水', '', 'general', 'new', '{at}',"
        f" '{at}', '{at}', '[]', 1)",
        "INSERT INTO hot_issues (id, status, active, title, keywords, centroid, as_of,"
        " first_seen, last_seen, size, score, urgent, signals, explanation, stats,"
        f" flag_explanation, curated, updated_at) VALUES (3, 'promoted', true, '望潮苑停水',"
        f" '[]', '{{}}', '{at}', '{at}', '{at}', 12, 72.5, false, '[]', '[\"突发\"]', '{{}}',"
        f" '[]', true, '{at}')",
        "INSERT INTO issue_links (id, issue_id, kind, ref, created_at)"
        f" VALUES (1, 7, 'hot_issue', '3', '{at}')",
        "INSERT INTO alerts (id, hot_issue_id, level, score, title, explanation, created_at,"
        f" status, due_at, passes, last_error) VALUES (5, 3, 'urgent', 72.5, '望潮苑停水',"
        f" '[\"突发\"]', '{at}', 'failed', '{at}', 2, 'hook: HTTP 500')",
        "INSERT INTO alert_deliveries (id, alert_id, channel, ok, attempts, error, finished_at)"
        f" VALUES (1, 5, 'hook', false, 3, 'HTTP 500', '{at}')",
    ]
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
        migrate(db_url)
        with engine.connect() as conn:
            notification = conn.execute(sa.text("SELECT * FROM notifications")).mappings().one()
            assert (notification["id"], notification["kind"], notification["subject_id"]) == (
                5, "hot_issue", 3,
            )  # fmt: skip
            assert (notification["status"], notification["passes"]) == ("failed", 2)
            assert notification["last_error"] == "hook: HTTP 500"
            record = conn.execute(sa.text("SELECT * FROM hot_issue_alerts")).mappings().one()
            assert (record["hot_issue_id"], record["notification_id"]) == (3, 5)
            delivery = conn.execute(sa.text("SELECT * FROM notification_deliveries")).one()
            assert (delivery.notification_id, delivery.channel, delivery.ok) == (5, "hook", False)
            assert conn.execute(sa.text("SELECT issue_id FROM hot_issues")).scalar() == 7
        downgrade(db_url, revision="0006")
        with engine.connect() as conn:
            alert = conn.execute(sa.text("SELECT * FROM alerts")).mappings().one()
            assert (alert["id"], alert["hot_issue_id"], alert["status"]) == (5, 3, "failed")
            assert conn.execute(sa.text("SELECT count(*) FROM alert_deliveries")).scalar() == 1
    finally:
        engine.dispose()


def test_the_session_migration_gives_every_user_a_stamp_of_their_own(db_url: str) -> None:
    """0008 on a database with users: each gets a random session stamp (so tokens issued
    before it stop working), and the users survive the way back."""
    migrate(db_url, revision="0007")
    engine = make_engine(db_url)
    at = "2025-03-10 09:00:00+00"
    try:
        with engine.begin() as conn:
            for user_id, name in ((1, "admin"), (2, "analyst")):
                conn.exec_driver_sql(
                    "INSERT INTO users (id, username, password_hash, role, is_active, created_at)"
                    f" VALUES ({user_id}, '{name}', 'x', '{name}', true, '{at}')"
                )
        migrate(db_url)
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT id, session_stamp FROM users ORDER BY id")).all()
        stamps = [stamp for _, stamp in rows]
        assert [user_id for user_id, _ in rows] == [1, 2]
        assert len(set(stamps)) == 2 and all(len(s) == 32 and int(s, 16) >= 0 for s in stamps)
        downgrade(db_url, revision="0007")
        assert "login_locks" not in _tables(engine)
        assert "session_stamp" not in {c["name"] for c in sa.inspect(engine).get_columns("users")}
        with engine.connect() as conn:
            names = conn.execute(sa.text("SELECT username FROM users ORDER BY id")).scalars()
            assert list(names) == ["admin", "analyst"]
    finally:
        engine.dispose()


def test_the_migrations_build_exactly_what_the_models_declare(engine: sa.Engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import api.alerts.models  # noqa: F401  (registers every table on Base.metadata)
    import api.hot_issues.models  # noqa: F401
    import api.sources.models  # noqa: F401
    from api.database import Base

    migrate(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_round_trip_of_departments_users_issues_and_timeline(sessions) -> None:
    with sessions() as session:
        dept = departments.create_department(
            session=session, code="zjj", name="市住建局", district="宿城区"
        )
        analyst = auth_service.create_user(
            session=session, username="Analyst1", password="correct horse", role=Role.ANALYST
        )
        handler = auth_service.create_user(
            session=session,
            username="handler1",
            password="battery staple",
            role=Role.HANDLER,
            department_id=dept.id,
        )
        issue = issues.create_issue(
            settings=SETTINGS,
            session=session,
            title="拆迁补偿款迟迟未发放",
            summary="多个小区居民反映",
            category="城建",
            severity=Severity.MAJOR,
            lead_department_id=dept.id,
            actor=analyst,
        )
        session.commit()
        ids = (dept.id, analyst.id, handler.id, issue.id)

    with sessions() as session:
        dept_id, analyst_id, handler_id, issue_id = ids
        dept = departments.get(session=session, department_id=dept_id)
        assert dept is not None and (dept.code, dept.name, dept.district) == (
            "zjj",
            "市住建局",
            "宿城区",
        )
        assert dept.created_at.tzinfo is not None
        assert [d.code for d in departments.list_departments(session=session)] == ["zjj"]

        analyst = auth_service.find_by_username(session=session, username="ANALYST1")
        assert analyst is not None and analyst.id == analyst_id and analyst.role is Role.ANALYST
        handler = auth_service.get(session=session, user_id=handler_id)
        assert handler is not None and handler.department_id == dept_id and handler.is_active

        issue = issues.get(session=session, issue_id=issue_id)
        assert issue is not None
        assert (issue.title, issue.severity, issue.status, issue.version) == (
            "拆迁补偿款迟迟未发放",
            Severity.MAJOR,
            IssueStatus.NEW,
            1,
        )
        assert issue.lead_department_id == dept_id
        assert issue.created_at.tzinfo is not None
        assert issue.created_at.utcoffset() == UTC.utcoffset(None)

        issues.update_issue(
            settings=SETTINGS,
            session=session,
            issue_id=issue_id,
            expected_version=1,
            changes={"status": "assigned", "summary": "已交办住建局"},
            actor=analyst,
        )
        session.commit()

    with sessions() as session:
        timeline = issue_timeline.get_timeline(session=session, issue_id=issue_id)
        assert [e.type for e in timeline] == ["created", "clocks_started", "status_changed"]
        assert timeline[0].actor_id == analyst_id
        assert timeline[0].payload["title"] == "拆迁补偿款迟迟未发放"
        assert timeline[2].payload["changes"]["status"] == {"from": "new", "to": "assigned"}
        assert timeline[1].pinned is False
        page, total = issues.list_issues(session=session, status=IssueStatus.ASSIGNED)
        assert total == 1 and page[0].id == issue_id and page[0].version == 2


def test_password_is_stored_hashed_and_verifies(sessions) -> None:
    with sessions() as session:
        auth_service.create_user(
            session=session, username="press1", password="s3cret-passw0rd", role=Role.PRESS
        )
        session.commit()
    with sessions() as session:
        stored = session.scalar(sa.select(User.password_hash).where(User.username == "press1"))
        assert stored and "s3cret-passw0rd" not in stored and stored.startswith("$argon2")
        assert auth_service.authenticate(
            session=session, username="press1", password="s3cret-passw0rd"
        )
        assert (
            auth_service.authenticate(session=session, username="press1", password="wrong-one")
            is None
        )
        assert (
            auth_service.authenticate(session=session, username="nobody", password="whatever1")
            is None
        )


def test_user_rules(sessions) -> None:
    with sessions() as session:
        with pytest.raises(InputError, match="at least 8"):
            auth_service.create_user(
                session=session, username="weak", password="short", role=Role.ANALYST
            )
        with pytest.raises(InputError, match="department"):
            auth_service.create_user(
                session=session, username="h", password="long enough", role=Role.HANDLER
            )
        auth_service.create_user(
            session=session, username="dup", password="long enough", role=Role.LEADER
        )
        with pytest.raises(ConflictError):
            auth_service.create_user(
                session=session, username="DUP", password="long enough", role=Role.LEADER
            )


def test_ensure_admin_creates_one_admin_once(sessions) -> None:
    settings = load_settings(admin_password="an-admin-password")
    with sessions() as session:
        admin = auth_service.ensure_admin(session=session, settings=settings)
        session.commit()
        assert admin is not None and admin.username == "admin" and admin.role is Role.ADMIN
    with sessions() as session:
        assert auth_service.ensure_admin(session=session, settings=settings) is None
        assert auth_service.authenticate(
            session=session, username="admin", password="an-admin-password"
        )

    weak = load_settings(admin_password="short")
    with sessions() as session:
        session.execute(sa.delete(User))
        with pytest.raises(ConfigError):
            auth_service.ensure_admin(session=session, settings=weak)


def _new_issue(sessions) -> int:
    with sessions() as session:
        issue = issues.create_issue(settings=SETTINGS, session=session, title="噪音扰民")
        session.commit()
        return issue.id


def test_two_sessions_editing_one_version_one_wins_and_nothing_is_lost(engine, sessions) -> None:
    issue_id = _new_issue(sessions)
    readers = make_read_factory(engine)
    # Both users load the form at version 1 before either saves, as two browsers would.
    with readers() as first_view, readers() as second_view:
        assert issues.get(session=first_view, issue_id=issue_id).version == 1
        assert issues.get(session=second_view, issue_id=issue_id).version == 1

    with sessions() as first:
        issues.update_issue(
            settings=SETTINGS,
            session=first,
            issue_id=issue_id,
            expected_version=1,
            changes={"title": "噪音扰民（夜间施工）"},
            actor=None,
        )
        first.commit()

    with sessions() as second:
        with pytest.raises(ConflictError, match="changed by someone else"):
            issues.update_issue(
                settings=SETTINGS,
                session=second,
                issue_id=issue_id,
                expected_version=1,
                changes={"title": "second writer"},
                actor=None,
            )
        second.rollback()

    with sessions() as session:
        issue = issues.get(session=session, issue_id=issue_id)
        assert issue.title == "噪音扰民（夜间施工）"
        assert issue.version == 2
        types = [e.type for e in issue_timeline.get_timeline(session=session, issue_id=issue_id)]
        assert types == ["created", "clocks_started", "updated"]

        # A fresh read with the old version is refused before any write.
        with pytest.raises(ConflictError, match="now at version 2"):
            issues.update_issue(
                settings=SETTINGS,
                session=session,
                issue_id=issue_id,
                expected_version=1,
                changes={"title": "late"},
                actor=None,
            )


def test_concurrent_writers_in_threads_exactly_one_wins(engine, sessions) -> None:
    issue_id = _new_issue(sessions)
    readers = make_read_factory(engine)
    writers = 4
    loaded = threading.Barrier(writers, timeout=30)
    outcomes: list[str] = []
    lock = threading.Lock()

    def write(n: int) -> None:
        with readers() as view:
            assert issues.get(session=view, issue_id=issue_id).version == 1
        loaded.wait()
        with sessions() as session:
            try:
                issues.update_issue(
                    settings=SETTINGS,
                    session=session,
                    issue_id=issue_id,
                    expected_version=1,
                    changes={"summary": f"writer {n}"},
                    actor=None,
                )
                session.commit()
                result = f"won {n}"
            except ConflictError:
                session.rollback()
                result = "conflict"
            except Exception as exc:  # recorded so the assertion below shows it
                session.rollback()
                result = f"error {exc!r}"
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    winners = [o for o in outcomes if o.startswith("won")]
    assert len(winners) == 1, outcomes
    assert outcomes.count("conflict") == writers - 1, outcomes
    winner = int(winners[0].split()[1])
    with sessions() as session:
        issue = session.get(TrackedIssue, issue_id)
        assert issue.summary == f"writer {winner}"
        assert issue.version == 2
        events = session.scalars(
            sa.select(TimelineEvent.type).where(TimelineEvent.issue_id == issue_id)
        ).all()
        assert sorted(events) == ["clocks_started", "created", "updated"]


def test_transitions_and_department_checks(sessions) -> None:
    issue_id = _new_issue(sessions)
    with sessions() as session:
        with pytest.raises(InputError, match="lead department"):
            issues.update_issue(
                settings=SETTINGS,
                session=session,
                issue_id=issue_id,
                expected_version=1,
                changes={"status": "assigned"},
                actor=None,
            )
        with pytest.raises(InputError, match="does not exist"):
            issues.update_issue(
                settings=SETTINGS,
                session=session,
                issue_id=issue_id,
                expected_version=1,
                changes={"lead_department_id": 999},
                actor=None,
            )
        with pytest.raises(ConflictError, match="cannot go from new to closed"):
            issues.update_issue(
                settings=SETTINGS,
                session=session,
                issue_id=issue_id,
                expected_version=1,
                changes={"status": "closed"},
                actor=None,
            )
        unchanged = issues.update_issue(
            settings=SETTINGS,
            session=session,
            issue_id=issue_id,
            expected_version=1,
            changes={"title": "噪音扰民"},
            actor=None,
        )
        assert unchanged.version == 1


def test_session_scope_commits_on_success_and_rolls_back_on_error(db_url: str) -> None:
    migrate(db_url)
    with session_scope(db_url) as session:
        departments.create_department(session=session, code="gaj", name="市公安局")
    with pytest.raises(ConflictError), session_scope(db_url) as session:
        departments.create_department(session=session, code="wjw", name="市卫健委")
        departments.create_department(session=session, code="gaj", name="又一个")
    with session_scope(db_url) as session:
        codes = [d.code for d in departments.list_departments(session=session)]
    assert codes == ["gaj"]


def test_unreachable_database_is_store_unavailable() -> None:
    with pytest.raises(StoreUnavailable, match="cannot reach the tracker database") as caught:
        migrate("postgresql+psycopg://nobody:secret@127.0.0.1:1/nothing")
    assert "secret" not in str(caught.value)


def test_relative_sqlite_path_is_taken_from_the_project_root() -> None:
    from api.database import database_url
    from core.settings import PROJECT_ROOT

    url = database_url("sqlite:///var/tracker.db")
    assert url.database == str(PROJECT_ROOT / "var" / "tracker.db")
    assert database_url("postgresql://u:p@h/db").drivername == "postgresql+psycopg"
    with pytest.raises(ConfigError):
        database_url("mysql://u:p@h/db")
