"""The HTTP server: routes each documented path to its page, feed, API answer or export."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlsplit

from core.timezone import SHANGHAI
from yuqing.demo.site import feeds, hotline_export, pages, weibo_api
from yuqing.demo.site.build import build_site
from yuqing.demo.site.models import Site, visible

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
ROBOTS = "User-agent: *\nDisallow: /admin/\nAllow: /\n"
_ARTICLE = re.compile(r"/news/article/(\d+)\.html")
_THREAD = re.compile(r"/board/thread/(\d+)\.html")
_SIDEBAR_LINKS = 8
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def shanghai_now() -> datetime:
    return datetime.now(SHANGHAI)


@dataclass(frozen=True)
class Response:
    status: int
    content_type: str
    body: bytes
    filename: str | None = None


class BadRequest(ValueError):
    """A query parameter the endpoint cannot use."""


class DemoServer(ThreadingHTTPServer):
    """Serves one generated `Site`; what is visible is decided by `clock` at each request."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], site: Site, clock: Clock) -> None:
        super().__init__(address, _Handler)
        self.site = site
        self.clock = clock


class _Handler(BaseHTTPRequestHandler):
    server: DemoServer
    server_version = "JianglanDemo/1.0"

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        self._respond(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._respond(send_body=False)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        logger.info("%s %s", self.address_string(), format % args)

    def _respond(self, *, send_body: bool) -> None:
        url = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(url.query).items()}
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        try:
            response = route(self.server.site, self.server.clock(), url.path, query, host)
        except BadRequest as exc:
            body = json.dumps({"ok": 0, "msg": str(exc)}, ensure_ascii=False).encode()
            response = Response(HTTPStatus.BAD_REQUEST, "application/json; charset=utf-8", body)
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        if response.filename:
            self.send_header("Content-Disposition", _attachment(response.filename))
        self.end_headers()
        if send_body:
            self.wfile.write(response.body)


def route(site: Site, now: datetime, path: str, query: dict[str, str], host: str) -> Response:
    """The response to GET `path` at `now`; unknown paths and unpublished items are 404."""
    base_url = f"http://{host}"
    if path == "/robots.txt":
        return Response(200, "text/plain; charset=utf-8", ROBOTS.encode())
    if path == "/news/rss.xml":
        body = feeds.rss_feed(site.rss_items(now), base_url, now)
        return Response(200, "application/rss+xml; charset=utf-8", body)
    if path == "/news/district.atom":
        body = feeds.atom_feed(site.atom_entries(now), base_url, now)
        return Response(200, "application/atom+xml; charset=utf-8", body)
    if match := _ARTICLE.fullmatch(path):
        return _article(site, now, int(match.group(1)))
    if path == "/board/list":
        return _board_list(site, now, _positive(query, "page"))
    if match := _THREAD.fullmatch(path):
        message = site.thread(int(match.group(1)), now)
        return _html(pages.board_thread_page(message, now)) if message else _not_found(now)
    if path == "/api/weibo/timeline":
        max_id = _integer(query, "max_id")
        return _json(weibo_api.timeline(visible(site.microblog, now), max_id, now))
    if path == "/api/weibo/search":
        if not query.get("q"):
            raise BadRequest("q is required")
        page = _positive(query, "page")
        return _json(weibo_api.search(visible(site.microblog, now), query["q"], page, now))
    if path.startswith("/hotline/export."):
        return _hotline(site, now, path.removeprefix("/hotline/export."))
    return _not_found(now)


def _article(site: Site, now: datetime, article_id: int) -> Response:
    article = site.article(article_id, now)
    if article is None:
        return _not_found(now)
    siblings = (a for a in site.news if a.outlet == article.outlet and a.published <= now)
    others = [a for a in siblings if a.id != article.id][:_SIDEBAR_LINKS]
    html = pages.article_page(article, others)
    if article.charset == "gbk":
        return Response(200, "text/html; charset=gbk", html.encode("gbk"))
    if article.charset == "mislabelled":
        # The header names no charset and the meta tag says gb2312, yet the bytes are UTF-8.
        return Response(200, "text/html", html.encode("utf-8"))
    return _html(html)


def _board_list(site: Site, now: datetime, page: int) -> Response:
    messages = visible(site.board, now)
    size = pages.BOARD_PAGE_SIZE
    last_page = max(1, -(-len(messages) // size))
    if page > last_page:
        return _not_found(now)
    chunk = messages[(page - 1) * size : page * size]
    return _html(pages.board_list_page(chunk, page, len(messages), now))


def _hotline(site: Site, now: datetime, extension: str) -> Response:
    rows = hotline_export.export_rows(visible(site.hotline, now), now)
    filename = f"12345工单导出.{extension}"
    if extension == "csv":
        return Response(200, "text/csv; charset=gbk", hotline_export.to_csv(rows), filename)
    if extension == "xlsx":
        return Response(200, _XLSX, hotline_export.to_xlsx(rows), filename)
    if extension == "json":
        return _json(rows)
    return _not_found(now)


def _positive(query: dict[str, str], name: str) -> int:
    value = query.get(name, "1")
    if not value.isdigit() or int(value) < 1:
        raise BadRequest(f"{name} must be a positive integer")
    return int(value)


def _integer(query: dict[str, str], name: str) -> int | None:
    value = query.get(name)
    if value in (None, "", "0"):  # the first request of a crawl sends max_id=0 or nothing
        return None
    if not value.isdigit():
        raise BadRequest(f"{name} must be an integer")
    return int(value)


def _attachment(filename: str) -> str:
    # Headers are Latin-1: an ASCII fallback name, and the Chinese one per RFC 6266.
    ascii_name = "hotline-export." + filename.rsplit(".", 1)[-1]
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def _html(html: str) -> Response:
    return Response(200, "text/html; charset=utf-8", html.encode("utf-8"))


def _json(data: object) -> Response:
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return Response(200, "application/json; charset=utf-8", body)


def _not_found(now: datetime) -> Response:
    return Response(404, "text/html; charset=utf-8", pages.not_found_page(now.year).encode())


def make_server(
    host: str = "127.0.0.1",
    port: int = 8100,
    *,
    today: date | None = None,
    site: Site | None = None,
    clock: Clock | None = None,
) -> DemoServer:
    """A bound, not yet running server; content is generated here, once."""
    site = site or build_site(today)
    server = DemoServer((host, port), site, clock or shanghai_now)
    logger.info(
        "demo site for %s: %d items at http://%s:%d/",
        site.today,
        site.total,
        host,
        server.server_address[1],
    )
    return server


def serve(
    host: str = "127.0.0.1",
    port: int = 8100,
    *,
    today: date | None = None,
    site: Site | None = None,
    clock: Clock | None = None,
) -> tuple[ThreadingHTTPServer, threading.Thread]:
    """Starts serving in a daemon thread; the caller stops it with `server.shutdown()`."""
    server = make_server(host, port, today=today, site=site, clock=clock)
    thread = threading.Thread(target=server.serve_forever, name="demo-site", daemon=True)
    thread.start()
    return server, thread
