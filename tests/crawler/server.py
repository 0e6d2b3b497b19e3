"""A local fixture server for crawler tests, on 127.0.0.1 only.

Each ``tests.crawler.site_*`` module maps paths (without the query string) to handlers,
handler(query: dict[str, str]) -> Reply, twice: ``PAGES`` says what the site's pages are (the
spider tests build responses from them in-process) and ``ROUTES`` how the served site behaves
(for tests on Scrapy's engine): handlers there may sleep to play a slow server, or answer
differently on each call (429 first, then 200).
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Reply:
    body: bytes | str = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


Handler = Callable[[dict[str, str]], Reply]


@dataclass
class Received:
    """A request as the fixture server received it (a POST's form or JSON fields reach the
    handler with the query's)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


def _collect(table: str) -> dict[str, Handler]:
    import tests.crawler as package

    handlers: dict[str, Handler] = {}
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("site_"):
            module = importlib.import_module(f"tests.crawler.{info.name}")
            handlers.update(getattr(module, table))
    return handlers


def all_routes() -> dict[str, Handler]:
    """How every fixture site behaves when served."""
    return _collect("ROUTES")


def all_pages() -> dict[str, Handler]:
    """What every fixture site's pages are, without the slow or busy server around them."""
    return _collect("PAGES")


class FixtureServer:
    def __init__(self) -> None:
        self.routes = routes = all_routes()
        self.hits: dict[str, int] = {}
        # When each path was asked for (time.monotonic()), to see a retry wait.
        self.times: dict[str, list[float]] = {}
        # Every request as it arrived: method, path with query, headers and body.
        self.received: list[Received] = []
        hits, times, received = self.hits, self.times, self.received

        class RequestHandler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                self._answer(b"")

            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                self._answer(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def _answer(self, body: bytes) -> None:
                parts = urlsplit(self.path)
                hits[parts.path] = hits.get(parts.path, 0) + 1
                times.setdefault(parts.path, []).append(time.monotonic())
                received.append(Received(self.command, self.path, dict(self.headers), body))
                handler = routes.get(parts.path)
                fields = dict(parse_qsl(parts.query))
                if body and self.headers.get("Content-Type", "").startswith("application/json"):
                    fields.update({k: str(v) for k, v in json.loads(body).items()})
                elif body:
                    fields.update(parse_qsl(body.decode("utf-8")))
                reply = (
                    handler(fields)
                    if handler
                    else Reply("not found", status=404, content_type="text/plain")
                )
                body = reply.encoded()
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass  # quiet: pytest shows failures, not every request

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> FixtureServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
