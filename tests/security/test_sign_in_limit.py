"""The sign-in limit holds under parallel attempts: of 16 wrong passwords sent at once, exactly
`MAX_FAILURES_PER_USERNAME` are checked (401) and the rest refused (429), through the API and
through the log-in page, on a served app over SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from api.auth import throttle
from api.auth.cookies import LOGIN_COOKIE
from api.auth.models import LoginAttempt
from api.deps import TOKEN_URL
from tests.helpers import ADMIN_PASSWORD, PASSWORD, Http, app_settings, serve_app
from yuqing.app import create_app

PARALLEL = 16


@pytest.fixture
def served(tracker_url: str, tmp_path: Path) -> Iterator[tuple[str, sa.Engine]]:
    """The product served with as many request threads as there are attempts, so that they
    are all in flight at once; its base URL and its tracker engine."""
    app = create_app(app_settings(tmp_path, tracker_url, api={"threads": PARALLEL}))
    try:
        with serve_app(app) as base:
            admin = Http(base).as_user("admin", ADMIN_PASSWORD)
            user = {"username": "analyst", "password": PASSWORD, "role": "analyst"}
            admin.ok("POST", "/api/auth/users", user, status=201)
            yield base, app.state.engine
    finally:
        app.state.engine.dispose()


def all_at_once(attempt: Callable[[], int]) -> list[int]:
    """The status of PARALLEL calls of `attempt`, released together."""
    start = threading.Barrier(PARALLEL)

    def one(_: int) -> int:
        start.wait(timeout=30)
        return attempt()

    with ThreadPoolExecutor(PARALLEL) as pool:
        return sorted(pool.map(one, range(PARALLEL)))


def failures_counted(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(
            sa.select(sa.func.count()).where(
                LoginAttempt.username == "analyst", LoginAttempt.ok.is_(False)
            )
        )


def test_parallel_wrong_passwords_through_the_api(served: tuple[str, sa.Engine]) -> None:
    base, engine = served

    def attempt() -> int:
        form = {"username": "analyst", "password": "wrong-password"}
        return Http(base).call("POST", TOKEN_URL, form=form)[0]

    limit = throttle.MAX_FAILURES_PER_USERNAME
    statuses = all_at_once(attempt)
    assert statuses == [401] * limit + [429] * (PARALLEL - limit)
    assert failures_counted(engine) == limit
    code, body = Http(base).call(
        "POST", TOKEN_URL, form={"username": "analyst", "password": PASSWORD}
    )
    assert code == 429, body


def test_parallel_wrong_passwords_through_the_login_page(served: tuple[str, sa.Engine]) -> None:
    base, engine = served

    def attempt() -> int:
        nonce = "a-nonce-of-this-attempt"  # the form must send back its own cookie's value
        form = {"username": "analyst", "password": "wrong-password", "csrf_token": nonce}
        request = urllib.request.Request(
            base + "/login",
            urllib.parse.urlencode(form).encode(),
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"{LOGIN_COOKIE}={nonce}",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as reply:
                return reply.status
        except urllib.error.HTTPError as exc:
            return exc.code

    limit = throttle.MAX_FAILURES_PER_USERNAME
    assert all_at_once(attempt) == [401] * limit + [429] * (PARALLEL - limit)
    assert failures_counted(engine) == limit
