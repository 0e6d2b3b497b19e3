"""Local stand-ins for the outside world that notifications go to, on 127.0.0.1: an HTTP
receiver (webhooks, WeCom, DingTalk) that records each POST and fails on demand, an SMTP server
that keeps the mail, and a port that refuses connections. Every one listens on a port the
operating system chose (port 0), so no test races another process for a port."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def query(self) -> dict[str, list[str]]:
        return urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)


@dataclass
class Receiver:
    """Records every POST; answers per its knobs, which a test sets before sending."""

    base_url: str = ""
    requests: list[Received] = field(default_factory=list)
    fail_first: int = 0  # answer this many requests with `fail_status`
    fail_status: int = 500
    errcode: int = 0
    errmsg: str = "ok"
    delay: float = 0.0

    def url(self, path: str = "/hook") -> str:
        return f"{self.base_url}{path}"


def _handler_for(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            receiver.requests.append(Received(self.path, dict(self.headers), body))
            if receiver.delay:
                time.sleep(receiver.delay)
            if len(receiver.requests) <= receiver.fail_first:
                self._answer(receiver.fail_status, b"boom: receiver is down", "text/plain")
                return
            reply = {"errcode": receiver.errcode, "errmsg": receiver.errmsg}
            self._answer(200, json.dumps(reply).encode(), "application/json")

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            try:
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the client gave up (the timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    state = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(state))
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@contextmanager
def refusing_port() -> Iterator[int]:
    """A port on 127.0.0.1 that is bound but never listens: a connection to it is refused,
    and no other process can take it while the block runs."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


class SmtpServer(Controller):
    """aiosmtpd on a socket bound to port 0; `messages` holds (sender, recipients, message)."""

    def __init__(self, **kwargs: Any) -> None:
        self.messages: list[tuple[str, list[str], EmailMessage]] = []
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen()
        super().__init__(self, hostname="127.0.0.1", port=self._socket.getsockname()[1], **kwargs)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 OK"

    def _create_server(self) -> Any:
        return self.loop.create_server(self._factory_invoker, sock=self._socket)

    def __enter__(self) -> SmtpServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self._socket.close()
