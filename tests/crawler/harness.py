"""Running spiders inside the test process, in two ways.

* Offline, in the City Bureau city-scrapers way: responses are built from the fixture sites'
  pages (``PAGES`` of the ``site_*`` modules) as `scrapy.http` responses, fed to the spider's
  callbacks, and what the callbacks yield is collected. `Walk` follows the requests a spider
  yields the same way, so a crawl of several pages runs in milliseconds and without a socket.
* On Scrapy's real engine (retries with backoff, robots.txt, the duplicate filter, AutoThrottle,
  download slots), against the local fixture server. The product runs Scrapy on a Twisted
  reactor, which starts once per process; here the engine runs without one
  (``TWISTED_REACTOR_ENABLED = False``, on asyncio), so every test can crawl, and crawl again,
  in the same process. A few end-to-end tests still run `yuqing crawl` as the product does.

Both run inside `crawler.runner.recorded_run`, the code `yuqing crawl` and `yuqing import`
run in: the source's marks, the writer (store, spool), the quarantine and the summary are the
product's own. The run recorder keeps the marks in memory, and no analyzer runs (the
end-to-end tests cover both).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from scrapy import Request, Spider
from scrapy.exceptions import CloseSpider
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.misc import load_object
from twisted.python.failure import Failure

from core.settings import Settings, load_settings
from crawler.context import CrawlContext
from crawler.runner import import_rows, pick_sources, recorded_run
from crawler.runner import spider_for as spider_path
from crawler.runs import RunSummary, SourceMarks
from crawler.scrapy_settings import scrapy_settings
from crawler.sources import AnySource
from crawler.tabular import read_file
from store.sqlite import SqlitePostStore
from tests.crawler.blocks import source, write_sources
from tests.crawler.server import Handler, all_pages


class MemoryRecorder:
    """A `crawler.runs.RunRecorder` that keeps the runs and each source's marks in memory."""

    def __init__(self) -> None:
        self.marks: dict[str, SourceMarks] = {}
        self.runs: list[dict[str, Any]] = []
        self.stored = 0  # posts reported stored (the clustering job's nudges)

    def start(self, source: str, *, not_within: float | None = None) -> tuple[int, SourceMarks]:
        marks = self.marks.get(source, SourceMarks())
        # A copy, as a database hands out: the run must not change the recorded marks.
        return len(self.runs), SourceMarks(
            marks.last_seen_at, marks.last_seen_id, dict(marks.pending)
        )

    def finish(
        self, run_id: int, source: str, outcome: dict[str, Any], marks: SourceMarks | None
    ) -> None:
        self.runs.append(outcome)
        if marks is not None:
            self.marks[source] = marks

    def written(self, source: str, count: int) -> None:
        self.stored += count


def bench_settings(root: Path) -> Settings:
    """Product settings whose data, spool and quarantine live under `root`."""
    return load_settings(
        data_dir=root,
        store={"backend": "sqlite", "sqlite_path": root / "posts.db"},
        database={"url": f"sqlite:///{root}/tracker.db"},
        crawler={
            "sources_file": root / "sources.yaml",
            "spool_dir": root / "spool",
            "quarantine_dir": root / "quarantine",
        },
    )


# -- responses built in-process ----------------------------------------------------------------


class Pages:
    """Builds the response a fixture site would give, in-process; counts what was asked for."""

    def __init__(self, handlers: dict[str, Handler] | None = None) -> None:
        self.handlers = handlers if handlers is not None else all_pages()
        self.hits: dict[str, int] = {}

    def response(self, request: Request | str, **meta: Any) -> Response:
        """The response to a request (or a URL, with `meta` for the request), typed as the
        downloader types it: HtmlResponse, XmlResponse or TextResponse by its headers."""
        if isinstance(request, str):
            request = Request(request, meta=meta)
        parts = urlsplit(request.url)
        self.hits[parts.path] = self.hits.get(parts.path, 0) + 1
        handler = self.handlers.get(parts.path)
        if handler is None:
            status, body, headers = 404, b"not found", {"Content-Type": "text/plain"}
        else:
            reply = handler({**dict(parse_qsl(parts.query)), **body_fields(request)})
            status, body = reply.status, reply.encoded()
            headers = {"Content-Type": reply.content_type, **reply.headers}
        cls = responsetypes.from_args(headers=Headers(headers), url=request.url, body=body)
        return cls(url=request.url, status=status, headers=headers, body=body, request=request)


def body_fields(request: Request) -> dict[str, str]:
    """A POST's form fields or JSON members, as the fixture sites' handlers read them."""
    if request.method != "POST" or not request.body:
        return {}
    text = request.body.decode("utf-8")
    if (request.headers.get(b"Content-Type") or b"").startswith(b"application/json"):
        return {key: str(value) for key, value in json.loads(text).items()}
    return dict(parse_qsl(text))


def spider_for(context: CrawlContext) -> Spider:
    """The source kind's spider, bound to the run's context as `crawler.runner` binds it."""
    spider: Spider = load_object(spider_path(context.source))(context=context)
    return spider


def start_requests(spider: Spider) -> list[Request]:
    async def collect() -> list[Request]:
        return [request async for request in spider.start()]

    return asyncio.run(collect())


def results(outcome: Any) -> tuple[list[dict[str, Any]], list[Request]]:
    """What a callback yielded, split into items and requests."""
    items, requests = [], []
    for result in outcome or ():
        if isinstance(result, Request):
            requests.append(result)
        else:
            items.append(dict(result))
    return items, requests


def http_error(request: Request, response: Response) -> Failure:
    """The failure Scrapy hands an errback for a non-2xx response."""
    failure = Failure(HttpError(response, "Ignoring non-200 response"))
    failure.request = request  # type: ignore[attr-defined]  # as Scrapy sets it
    return failure


@dataclass
class Walk:
    """A crawl without an engine: each request the spider yields is answered from `pages`
    and handed to its callback (or, for a non-2xx answer, its errback), breadth first; items
    go through the run's pipeline (`CrawlContext.accept`), as Scrapy's item pipeline does.

    It has no duplicate filter, no retries and no robots.txt: those are the engine's, and
    tested on it.
    """

    spider: Spider
    pages: Pages
    limit: int = 200
    fetched: list[str] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)

    def run(self) -> Walk:
        context: CrawlContext = self.spider.context  # type: ignore[attr-defined]
        queue = deque(start_requests(self.spider))
        while queue:
            assert len(self.fetched) < self.limit, f"no end after {self.limit} requests"
            request = queue.popleft()
            self.fetched.append(request.url)
            response = self.pages.response(request)
            try:
                if 200 <= response.status < 300:
                    outcome = request.callback(response, **request.cb_kwargs)  # type: ignore[misc]
                else:
                    outcome = request.errback(http_error(request, response))  # type: ignore[misc]
                items, requests = results(outcome)
            except CloseSpider:
                break  # as the engine closes the spider: nothing more is fetched
            queue.extend(requests)
            for item in items:
                self.items.append(item)
                context.accept(dict(item))
        return self


# -- the workspace ------------------------------------------------------------------------------


class Bench:
    """A product data folder for in-process runs: settings, a SQLite store, a run recorder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.settings = bench_settings(root)
        self.store = SqlitePostStore(root / "posts.db")
        self.recorder = MemoryRecorder()
        self.pages = Pages()

    @contextmanager
    def run(
        self, block: dict[str, Any] | AnySource, *, now: datetime | None = None
    ) -> Iterator[CrawlContext]:
        """One recorded run of a source, as `yuqing crawl` runs it (without the analyzer);
        `now` freezes the run's clock (relative times, the refresh window)."""
        config = source(block) if isinstance(block, dict) else block
        with recorded_run(self.settings, self.store, config, self.recorder, None) as context:
            if now is not None:
                context.now = now
            yield context

    def walk(
        self, block: dict[str, Any], *, now: datetime | None = None
    ) -> tuple[RunSummary, Walk]:
        """A recorded run of an offline source (`blocks.OFFLINE`) on `Walk`."""
        with self.run(block, now=now) as context:
            walk = Walk(spider_for(context), self.pages).run()
        assert context.summary is not None
        return context.summary, walk

    def crawl(self, *blocks: dict[str, Any], now: datetime | None = None) -> dict[str, RunSummary]:
        """Recorded runs of served sources, together on Scrapy's real engine."""
        with ExitStack() as stack:
            contexts = [stack.enter_context(self.run(block, now=now)) for block in blocks]
            run_engine(self.settings, contexts)
        return {c.source.name: c.summary for c in contexts if c.summary is not None}

    def sources(self, *blocks: dict[str, Any]) -> None:
        """Write the settings' sources.yaml, for the runs that read it (`import_file`)."""
        write_sources(self.settings.crawler.sources_file, *blocks)

    def import_file(self, path: Path, name: str) -> RunSummary:
        """What `yuqing import PATH --source NAME` does, without the analyzer."""
        (config,) = pick_sources(self.settings, [name])
        key = self.settings.secret_key.get_secret_value()
        return import_rows(
            self.settings,
            name,
            read_file(path, config, author_key=key),
            recorder=self.recorder,
            analyzer=None,
            store=self.store,
        )

    def quarantined(self, name: str) -> list[dict[str, Any]]:
        path = self.root / "quarantine" / f"{name}.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def run_engine(
    settings: Settings,
    contexts: list[CrawlContext],
    *,
    on_item: Callable[[str], None] | None = None,
) -> None:
    """Crawl the contexts' sources together on Scrapy's engine, with the product's Scrapy
    settings, in this process (without a Twisted reactor)."""
    from scrapy import signals
    from scrapy.crawler import AsyncCrawlerRunner

    options = scrapy_settings(settings, [context.source for context in contexts])
    options.update(TWISTED_REACTOR_ENABLED=False, TWISTED_REACTOR=None)
    logging.getLogger("scrapy").setLevel(logging.WARNING)

    async def crawl_all() -> None:
        runner = AsyncCrawlerRunner(options)
        tasks = []
        for context in contexts:
            crawler = runner.create_crawler(load_object(spider_path(context.source)))
            if on_item is not None:
                crawler.signals.connect(
                    lambda *_, name=context.source.name, **__: on_item(name),
                    signal=signals.item_scraped,
                )
            tasks.append(runner.crawl(crawler, context=context))
        await runner.join()
        for task in tasks:
            task.result()  # a crawl that failed to start raises here

    asyncio.run(crawl_all())
