"""Engines for the test suite, and the rule for missing ones; the fixtures many packages share.

With CI=true a test whose engine (Elasticsearch, PostgreSQL) cannot be reached fails. Outside
CI it is skipped, and the run ends with one line per skipped group saying why.

Shared fixtures: an app per test on a tracker of its own (`settings`, `app`, `client`, `admin`;
SQLite and PostgreSQL through `tracker_url`; a module that wants one engine or more settings
defines its own `settings`, which the others then use), and `run` for the installed `yuqing`
command. Helpers to import (constants, signing in, serving) are in tests/helpers.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from core.settings import Settings, load_settings
from tests.helpers import ADMIN_PASSWORD, ENGINE_SKIP, Headers, app_settings, login, missing_engine
from tests.receivers import receiver  # noqa: F401 (a fixture for every test)
from yuqing.app import create_app

pytest.register_assert_rewrite("tests.store.contract")

DEFAULT_TEST_ES_URL = "http://127.0.0.1:9200"


@pytest.fixture(scope="session")
def engine_settings() -> Settings:
    """The settings the suite runs with; only engine URLs and CI are taken from them."""
    return load_settings()


@pytest.fixture(scope="session")
def es_url(engine_settings: Settings) -> str:
    url = engine_settings.elasticsearch.url or DEFAULT_TEST_ES_URL
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/_cluster/health", timeout=3) as reply:
            reply.read()
    except (urllib.error.URLError, OSError) as exc:
        missing_engine(
            engine_settings,
            "elasticsearch",
            f"no Elasticsearch answers at {url} ({exc}); `make test` starts one"
            " (scripts/elasticsearch.sh start), or set YUQING_ELASTICSEARCH__URL",
        )
    return url


@pytest.fixture(scope="session")
def postgres_url(engine_settings: Settings) -> str:
    url = engine_settings.test.postgres_url
    if not url:
        missing_engine(
            engine_settings,
            "postgres",
            "YUQING_TEST__POSTGRES_URL is not set; `sudo make test` installs and starts"
            " PostgreSQL (sudo scripts/postgres.sh start) and sets it",
        )
    import sqlalchemy

    try:
        engine = sqlalchemy.create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text("SELECT 1"))
        engine.dispose()
    except sqlalchemy.exc.SQLAlchemyError as exc:
        missing_engine(engine_settings, "postgres", f"cannot connect to {url}: {exc}")
    return url  # type: ignore[return-value]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def tracker_url(request: pytest.FixtureRequest, tmp_path, unique_name: str) -> Iterator[str]:
    """An empty tracker database of the test's own: a SQLite file or a new PG database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tracker.db'}"
        return

    with new_database(request.getfixturevalue("postgres_url"), unique_name) as url:
        yield url


@contextmanager
def new_database(server_url: str, name: str) -> Iterator[str]:
    """A new PostgreSQL database on the server at `server_url`, dropped afterwards."""
    from sqlalchemy.engine import make_url

    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        _drop_database(admin, name)
        admin.dispose()


def _drop_database(admin: sa.Engine, name: str, attempts: int = 5) -> None:
    """DROP DATABASE ... WITH (FORCE), again after a pause if a backend of another role (an
    autovacuum worker that just started on it) holds it: that one cannot be terminated
    without pg_signal_backend, and it finishes within moments."""
    for attempt in range(1, attempts + 1):
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except sa.exc.DBAPIError:
            if attempt == attempts:
                raise
            time.sleep(0.5 * attempt)


@pytest.fixture
def unique_name() -> Iterator[str]:
    """A name no other test uses, for an index, schema or file."""
    yield "t" + uuid.uuid4().hex[:12]


# -- an app per test, on SQLite and on PostgreSQL ---------------------------------------------


@pytest.fixture
def settings(tracker_url: str, tmp_path: Path) -> Settings:
    return app_settings(tmp_path, tracker_url)


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    app = create_app(settings)
    yield app
    app.state.engine.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:  # runs start-up: migrations and the admin
        yield client


@pytest.fixture
def admin(client: TestClient) -> Headers:
    return login(client, "admin", ADMIN_PASSWORD)


# -- the installed command --------------------------------------------------------------------

YUQING = str(Path(sys.executable).with_name("yuqing"))


@pytest.fixture
def run(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Runs `yuqing` as a user would, with its data, post store and tracker in `tmp_path`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("YUQING_") and k != "CI"}
    env.update(
        YUQING_DATA_DIR=str(tmp_path),
        YUQING_STORE__SQLITE_PATH=str(tmp_path / "posts.db"),
        YUQING_DATABASE__URL=f"sqlite:///{tmp_path}/tracker.db",
        YUQING_LOG_LEVEL="WARNING",
    )

    def invoke(*args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [YUQING, *args],
            env={**env, **extra_env},
            capture_output=True,
            text=True,
            timeout=120,
            input="",
        )

    return invoke


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line per engine group whose tests were skipped, with the reason (which names the
    command that brings the engine). Read from the skip reports, so it works under xdist."""
    groups: dict[str, tuple[int, str]] = {}
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = getattr(report, "longrepr", None)
        message = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else ""
        found = ENGINE_SKIP.search(str(message))
        if found:
            count, _ = groups.get(found["group"], (0, ""))
            groups[found["group"]] = (count + 1, found["reason"])
    if groups:
        terminalreporter.section("skipped engine groups")
        for group, (count, reason) in sorted(groups.items()):
            terminalreporter.write_line(f"skipped {count} {group} tests: {reason}")
