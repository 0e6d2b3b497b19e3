"""`yuqing serve` in a process of its own, as an office runs it: several worker processes, and a
process that can be killed. Used by the fault tests and by `bench/api.py`; imports nothing of
pytest's, so a benchmark can use it as it is.

The server's port is chosen by binding port 0 and closing the probe; if another process takes
it meanwhile, the server fails to start and is started again on a new port.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def server_env(
    data_dir: Path, db_url: str, *, secret: str, admin_password: str, **more: str
) -> dict[str, str]:
    """The environment of a test server: data and a SQLite post store in `data_dir`, the
    tracker at `db_url`, its `admin` account's password, warnings only in its log."""
    return {
        "YUQING_ENV": "test",
        "YUQING_DATA_DIR": str(data_dir),
        "YUQING_STORE__BACKEND": "sqlite",
        "YUQING_STORE__SQLITE_PATH": str(data_dir / "posts.db"),
        "YUQING_DATABASE__URL": db_url,
        "YUQING_SECRET_KEY": secret,
        "YUQING_ADMIN_PASSWORD": admin_password,
        "YUQING_LOG_LEVEL": "WARNING",
        **more,
    }


class ServerProcess:
    """One `yuqing serve`, in a process group of its own (it and its worker processes)."""

    def __init__(self, env: Mapping[str, str], log_path: Path, workers: int | None) -> None:
        self.env = dict(env)
        self.log_path = log_path
        self.workers = workers
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, *, attempts: int = 3, timeout: float = 60.0) -> None:
        """Start the server and wait until /health answers."""
        for attempt in range(attempts):
            self.port = _free_port()
            extra = ["--workers", str(self.workers)] if self.workers else []
            command = [sys.executable, "-m", "yuqing", "serve", "--host", "127.0.0.1"]
            command += ["--port", str(self.port), *extra]
            with self.log_path.open("ab") as log:
                self.process = subprocess.Popen(
                    command,
                    cwd=ROOT,
                    env=os.environ | self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            if self._wait_ready(timeout):
                return
            self.kill()
            if "address already in use" not in self.log().lower() or attempt == attempts - 1:
                raise RuntimeError(f"the server did not start; its log ends:\n{self.log()[-3000:]}")

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                return False
            try:
                status, _ = self.request("GET", "/health", timeout=5)
                if status == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.2)
        return False

    def request(
        self,
        method: str,
        path: str,
        *,
        body: object | None = None,
        form: Mapping[str, str] | None = None,
        token: str | None = None,
        timeout: float = 30.0,
    ) -> tuple[int, object]:
        """One request on a connection of its own; the status and the decoded JSON answer."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            data: str | None = None
            if form is not None:
                data = urllib.parse.urlencode(form)
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            elif body is not None:
                data = json.dumps(body)
                headers["Content-Type"] = "application/json"
            conn.request(method, path, data, headers)
            reply = conn.getresponse()
            raw = reply.read()
            return reply.status, json.loads(raw) if raw else None
        finally:
            conn.close()

    def sign_in(self, username: str, password: str) -> str:
        status, body = self.request(
            "POST", "/api/auth/token", form={"username": username, "password": password}
        )
        if status != 200 or not isinstance(body, dict):
            raise RuntimeError(f"could not sign in as {username}: HTTP {status} {body}")
        return str(body["access_token"])

    def kill(self) -> None:
        """SIGKILL to the server and its workers at once, as a crash or the OOM killer would."""
        if self.process is None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.process = None

    def stop(self) -> None:
        """Stop the server as Ctrl-C would, or kill it if it takes more than 30 s."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGINT)
            self.process.wait(timeout=30)
            self.process = None
        except subprocess.TimeoutExpired:
            self.kill()
        except ProcessLookupError:
            self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@contextmanager
def served(
    env: Mapping[str, str], log_path: Path, *, workers: int | None = None
) -> Iterator[ServerProcess]:
    """A started server, stopped (or killed) afterwards; its log is shown if the block fails."""
    server = ServerProcess(env, log_path, workers)
    try:
        server.start()
        yield server
    except BaseException:
        print(f"the server's log ends:\n{server.log()[-3000:]}", file=sys.stderr)
        raise
    finally:
        server.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- a mixed read and write load -------------------------------------------------------------

# The writes of the mixed load, as their audit records name them.
WRITE_PATH = re.compile(r"^/api/(issues/\d+(/comments)?|briefings/\d+/issues)$")
# The kinds of write of the mixed load, and how often each comes, relatively.
WRITES = {"comment": 5, "status change": 3, "briefing link": 2}
# Each issue goes round assigned -> triaged -> assigned ... (it needs a lead department).
NEXT_STATUS = {"assigned": "triaged", "triaged": "assigned", "new": "assigned"}


@dataclass
class Call:
    """One request of the load: what it was, its status (0: no answer) and latency."""

    name: str
    status: int
    ms: float
    write: bool
    detail: str = ""

    @property
    def acknowledged(self) -> bool:
        return self.write and 200 <= self.status < 300


@dataclass
class Load:
    """Every call of a load run, and its wall time."""

    calls: list[Call] = field(default_factory=list)
    seconds: float = 0.0

    def of(self, name: str) -> list[Call]:
        return [c for c in self.calls if c.name == name]

    def of_status(self, name: str, status: int) -> list[Call]:
        return [c for c in self.of(name) if c.status == status]

    @property
    def server_errors(self) -> list[Call]:
        """Answers of 5xx, and requests that got no answer at all."""
        return [c for c in self.calls if c.status >= 500 or c.status == 0]

    @property
    def acknowledged_writes(self) -> list[Call]:
        return [c for c in self.calls if c.acknowledged]


class _Client:
    """One user of the load: a keep-alive connection, reconnected after a failure."""

    def __init__(self, port: int, token: str, timeout: float) -> None:
        self.port = port
        self.headers = {"Authorization": f"Bearer {token}"}
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None

    def call(
        self, name: str, method: str, path: str, body: object | None, write: bool
    ) -> tuple[Call, object]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        try:
            self.conn.request(method, path, data, headers)
            reply = self.conn.getresponse()
            raw = reply.read()
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()
            self.conn = None
            ms = (time.perf_counter() - started) * 1000
            return Call(name, 0, ms, write, f"{method} {path}: {exc!r}"), None
        ms = (time.perf_counter() - started) * 1000
        try:
            decoded = json.loads(raw) if raw else None
        except ValueError:
            decoded = None
        detail = "" if reply.status < 400 else f"{method} {path}: {raw[:300]!r}"
        return Call(name, reply.status, ms, write, detail), decoded

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


def mixed_load(
    port: int,
    token: str,
    *,
    issue_ids: list[int],
    briefing_ids: list[int],
    clients: int,
    seconds: float,
    write_share: float = 0.3,
    reads: Mapping[str, Callable[[random.Random], str]] | None = None,
    seed: int = 0,
    timeout: float = 60.0,
    writes: Sequence[str] = tuple(WRITES),
) -> Load:
    """`clients` users at once for `seconds`, each on its own connection: `write_share` of the
    requests write (a comment, a status change with the version just read, a briefing linked
    to an issue), the rest read (`reads`: name -> path; by default the issue list and an
    issue with its timeline). A conflict (409: someone else changed the issue first) is an
    answer, not an error. `writes` names the kinds of write made (all three by default; none
    for a read-only load). Every client makes at least one call of each kind."""
    reads = reads or {
        "issue list": lambda rng: "/api/issues?limit=50",
        "issue detail": lambda rng: f"/api/issues/{rng.choice(issue_ids)}",
    }
    load = Load()
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def user(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        client = _Client(port, token, timeout)
        kinds = [*writes, *reads]
        done: list[Call] = []
        i = 0
        try:
            while time.monotonic() < stop or i < len(kinds):
                if i < len(kinds):
                    kind = kinds[i]
                elif writes and rng.random() < write_share:
                    kind = rng.choices(writes, weights=[WRITES[w] for w in writes])[0]
                else:
                    kind = rng.choice(kinds[len(writes) :])
                i += 1
                done.extend(_one(client, kind, rng, n, i, issue_ids, briefing_ids, reads))
        finally:
            client.close()
            with lock:
                load.calls.extend(done)

    started = time.perf_counter()
    threads = [threading.Thread(target=user, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    load.seconds = time.perf_counter() - started
    return load


def _one(
    client: _Client,
    kind: str,
    rng: random.Random,
    n: int,
    i: int,
    issue_ids: list[int],
    briefing_ids: list[int],
    reads: Mapping[str, Callable[[random.Random], str]],
) -> list[Call]:
    issue_id = rng.choice(issue_ids)
    if kind == "comment":
        text = f"load comment {n}-{i}"
        call, _ = client.call(
            kind, "POST", f"/api/issues/{issue_id}/comments", {"text": text}, True
        )
        return [call]
    if kind == "status change":
        read, issue = client.call("issue detail", "GET", f"/api/issues/{issue_id}", None, False)
        if not isinstance(issue, dict) or "version" not in issue:
            return [read]
        change = {
            "version": issue["version"],
            "status": NEXT_STATUS.get(issue["status"], "assigned"),
        }
        call, _ = client.call(kind, "PATCH", f"/api/issues/{issue_id}", change, True)
        return [read, call]
    if kind == "briefing link":
        path = f"/api/briefings/{rng.choice(briefing_ids)}/issues"
        call, _ = client.call(kind, "POST", path, {"issue_ids": [issue_id]}, True)
        return [call]
    call, _ = client.call(kind, "GET", reads[kind](rng), None, False)
    return [call]
