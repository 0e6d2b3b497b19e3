"""What many tests share about the API: the secret and passwords of a test app and its settings,
signing in and reading an error reply through a TestClient, a JSON client over the real network
stack, and an app served by real uvicorn on 127.0.0.1.

The fixtures built on these (an app per test on SQLite and PostgreSQL) are in tests/conftest.py.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.deps import TOKEN_URL
from core.settings import Settings, load_settings

ADMIN_PASSWORD = "admin-test-password"
SECRET = "a-test-secret-that-is-long-enough-for-hs256"
PASSWORD = "password-123"

Headers = dict[str, str]


def app_settings(
    tmp_path: Path,
    tracker_url: str | None = None,
    *,
    secret_key: str | None = SECRET,
    **overrides: Any,
) -> Settings:
    """A test app's settings: its data and a SQLite post store in `tmp_path`, the tracker at
    `tracker_url` (a SQLite file in `tmp_path` when not given). `secret_key=None` configures
    none, so the product makes its own in `tmp_path`; other keywords override any setting."""
    values: dict[str, Any] = {
        "env": "test",
        "admin_password": ADMIN_PASSWORD,
        "data_dir": tmp_path,
        "store": {"backend": "sqlite", "sqlite_path": tmp_path / "posts.db"},
        "database": {"url": tracker_url or f"sqlite:///{tmp_path}/tracker.db"},
        # A test reads figures right after it changes something.
        "api": {"figures_settle_seconds": 0},
    }
    if secret_key is not None:
        values["secret_key"] = secret_key
    return load_settings(**values | overrides)


# -- the API through a TestClient -------------------------------------------------------------


def login(client: TestClient, username: str, password: str) -> Headers:
    reply = client.post(TOKEN_URL, data={"username": username, "password": password})
    assert reply.status_code == 200, reply.text
    return bearer(reply.json()["access_token"])


def bearer(token: str) -> Headers:
    return {"Authorization": f"Bearer {token}"}


def assert_error(reply: Any, status: int, kind: str | None = None) -> dict:
    """The JSON error of `reply`, after checking its status, its type and a traceback-free
    message."""
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith("application/json")
    error = reply.json()["error"]
    assert error["message"] and "Traceback" not in error["message"]
    if kind is not None:
        assert error["type"] == kind
    return error


def make_user(
    client: TestClient, admin: Headers, username: str, role: str, department_id: int | None = None
) -> int:
    body: dict[str, object] = {"username": username, "password": PASSWORD, "role": role}
    if department_id is not None:
        body["department_id"] = department_id
    reply = client.post("/api/auth/users", json=body, headers=admin)
    assert reply.status_code == 201, reply.text
    return reply.json()["id"]


def new_token(client: TestClient, headers: Headers, **body: object) -> dict:
    reply = client.post("/api/auth/tokens", json={"name": "etl", **body}, headers=headers)
    assert reply.status_code == 201, reply.text
    return reply.json()


# -- the API over the network ----------------------------------------------------------------


class Http:
    """A small JSON client over urllib: the real network stack, no test transport."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.token: str | None = None

    def call(self, method: str, path: str, body: Any = None, form: dict | None = None) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        data = None
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base + path, data, headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                return reply.status, json.loads(reply.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")

    def ok(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        code, payload = self.call(method, path, body)
        assert code == status, (method, path, code, payload)
        return payload

    def as_user(self, username: str, password: str) -> Http:
        other = Http(self.base)
        code, payload = other.call(
            "POST", TOKEN_URL, form={"username": username, "password": password}
        )
        assert code == 200, payload
        other.token = payload["access_token"]
        return other


@contextmanager
def serve_app(app: FastAPI) -> Iterator[str]:
    """Serve `app` with uvicorn in a thread; yields its base URL and stops it afterwards.

    uvicorn is handed a socket already bound to a port the operating system chose and held
    open throughout, so no other process can take the port between choosing and serving."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    host, port = sock.getsockname()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive(), "the server stopped while starting"
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


# A skip for a missing engine reads "[engine:GROUP] why"; the run's summary lists the groups.
ENGINE_SKIP = re.compile(r"\[engine:(?P<group>[a-z]+)\] (?P<reason>.*)$")


def missing_engine(settings: Settings, group: str, reason: str) -> NoReturn:
    """Skip the test for want of an engine; under CI=true, fail it instead."""
    if settings.ci:
        pytest.fail(f"{group} is required in CI but {reason}", pytrace=False)
    pytest.skip(f"[engine:{group}] {reason}")
