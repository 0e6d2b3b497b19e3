"""Several `yuqing scheduler` processes on one Elasticsearch and one PostgreSQL, each with a
data directory of its own, crawling the demo city site: what the multi-worker tests run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from core.settings import CONFIG_DIR
from core.timezone import SHANGHAI
from yuqing.demo.site import build_site, serve
from yuqing.demo.site.models import Site

YUQING = str(Path(sys.executable).with_name("yuqing"))
SITE_COUNTS = {  # demo source -> the site's count it must match
    "demo-news": "news_rss",
    "demo-rongmei": "news_atom",
    "demo-board": "board",
    "demo-weibo": "microblog",
    "demo-12345": "hotline",
}


@dataclass
class DemoSite:
    """The demo city on a clock the test moves; what it has served up to now."""

    site: Site
    sources: tuple[str, ...]
    sources_file: Path
    times: list[datetime]

    def now(self) -> datetime:
        return self.times[-1]

    def move_to(self, hour: int) -> None:
        """Set the site's clock to `hour` o'clock today: newer items appear."""
        self.times.append(datetime.combine(self.site.today, clock_time(hour), tzinfo=SHANGHAI))

    def served(self) -> int:
        """How many distinct items the chosen sources have served so far (the RSS feed
        keeps its newest 200, so items leave it as new ones come)."""
        kinds = {SITE_COUNTS[name] for name in self.sources}
        total = 0
        if "news_rss" in kinds:
            total += len({a.id for now in self.times for a in self.site.rss_items(now)})
        visible = self.site.visible_counts(self.now())
        return total + sum(visible[kind] for kind in kinds if kind != "news_rss")


@contextmanager
def demo_site(
    root: Path, interval_seconds: int, only: tuple[str, ...] = tuple(SITE_COUNTS)
) -> Iterator[DemoSite]:
    """The demo city served from noon on a clock the test moves, and a sources file of the
    sources named in `only` pointing at it, each crawled every `interval_seconds`."""
    site = build_site()
    demo = DemoSite(site, only, root / "sources.yaml", [])
    demo.move_to(12)
    server, _ = serve("127.0.0.1", 0, site=site, clock=demo.now)
    port = server.server_address[1]
    text = (CONFIG_DIR / "sources.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text.replace(":8100/", f":{port}/"))
    data["sources"] = [source for source in data["sources"] if source["name"] in only]
    for source in data["sources"]:
        source["schedule"] = {"interval_seconds": interval_seconds}
    demo.sources_file.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    try:
        yield demo
    finally:
        server.shutdown()


@dataclass
class Workers:
    """Scheduler processes sharing one store (`es_url`, `prefix`) and tracker (`db_url`)."""

    root: Path
    sources_file: Path
    es_url: str
    prefix: str
    db_url: str
    settings: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def env(self, name: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("YUQING_") and k != "CI"}
        env.update(
            YUQING_DATA_DIR=str(self.root / name),
            YUQING_CRAWLER__SOURCES_FILE=str(self.sources_file),
            YUQING_STORE__BACKEND="elasticsearch",
            YUQING_ELASTICSEARCH__URL=self.es_url,
            YUQING_ELASTICSEARCH__INDEX_PREFIX=self.prefix,
            YUQING_DATABASE__URL=self.db_url,
            # Workers with data directories of their own share the secret (pseudonyms).
            YUQING_SECRET_KEY="multi-worker-test-secret-0123456789abcdef",
            YUQING_COORDINATION__WORKER_NAME=name,
            YUQING_LOG_LEVEL="INFO",
            **self.settings,
        )
        return env

    def start(self, *names: str) -> None:
        for name in names:
            (self.root / name).mkdir(parents=True, exist_ok=True)
            log = (self.root / f"{name}.log").open("wb")
            self.processes[name] = subprocess.Popen(
                [YUQING, "scheduler"],
                env=self.env(name),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                # A group of its own: killing it kills its crawls too, as a host going down.
                start_new_session=True,
            )

    def kill(self, name: str) -> None:
        """`kill -9` of the worker and the crawls it started."""
        os.killpg(self.processes[name].pid, signal.SIGKILL)
        self.processes.pop(name).wait(timeout=30)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        self.processes.clear()

    def logs(self) -> str:
        """The tail of every worker's log, for a failure's message."""
        parts = []
        for path in sorted(self.root.glob("*.log")):
            parts.append(f"---- {path.name}\n" + path.read_text("utf-8", "replace")[-3000:])
        return "\n".join(parts)

    def rows(self, sql: str, **params: Any) -> list[sa.Row[Any]]:
        engine = sa.create_engine(self.db_url)
        try:
            with engine.connect() as conn:
                return list(conn.execute(sa.text(sql), params))
        finally:
            engine.dispose()

    def holder(self, lease: str) -> str | None:
        """The worker holding `lease` now (its configured name)."""
        rows = self.rows(
            "SELECT holder FROM leases WHERE name = :name AND holder IS NOT NULL"
            " AND expires_at > now()",
            name=lease,
        )
        return rows[0][0].split("#")[0] if rows else None

    def leader(self) -> str | None:
        """The worker that leads now."""
        return self.holder("leader")


def wait_for(
    what: str, check: Callable[[], Any], timeout: float, workers: Workers, every: float = 0.5
) -> Any:
    """Poll `check` until it gives a true value; fail naming `what`, with the workers' logs."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = check()
        except Exception as exc:  # the store may be starting, or down on purpose
            value, last = None, exc
        else:
            last = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout:.0f} s (last error: {last})\n"
                                 + workers.logs())  # fmt: skip
        time.sleep(every)
