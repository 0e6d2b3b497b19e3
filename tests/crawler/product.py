"""The product installed in a temporary folder, driven through its `yuqing` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from store.sqlite import SqlitePostStore
from tests.crawler.blocks import write_sources
from tests.crawler.server import FixtureServer

if TYPE_CHECKING:
    from click.testing import Result

YUQING = str(Path(sys.executable).with_name("yuqing"))


class Product:
    """`yuqing` commands run as a user runs them, each a process of its own (Scrapy's reactor
    runs once per process), on a data folder of the test's own."""

    def __init__(self, root: Path, server: FixtureServer) -> None:
        self.root = root
        self.server = server
        self.sources_file = root / "sources.yaml"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("YUQING_")}
        self.env.pop("CI", None)
        self.env.update(
            YUQING_DATA_DIR=str(root),
            YUQING_STORE__SQLITE_PATH=str(root / "posts.db"),
            YUQING_DATABASE__URL=f"sqlite:///{root}/tracker.db",
            YUQING_CRAWLER__SOURCES_FILE=str(self.sources_file),
            YUQING_CRAWLER__SPOOL_DIR=str(root / "spool"),
            YUQING_CRAWLER__QUARANTINE_DIR=str(root / "quarantine"),
            YUQING_LOG_LEVEL="WARNING",
        )

    @property
    def url(self) -> str:
        """Where the fixture sites are served."""
        return self.server.url

    def sources(self, *blocks: dict[str, Any]) -> None:
        """Write sources.yaml; blocks get fast politeness defaults unless they say otherwise."""
        write_sources(self.sources_file, *blocks)

    def yuqing(
        self, *args: str, timeout: float = 180, **env: str
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [YUQING, *args],
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def invoke(self, *args: str) -> Result:
        """`yuqing ARGS` in this process (typer's runner), with the same settings: for commands
        that start no reactor. A product error comes back as `Result.exception` (the entry
        point turns it into one line and exit status 2, which tests/yuqing checks)."""
        from typer.testing import CliRunner

        from core.settings import get_settings
        from yuqing.cli import app

        env: dict[str, str | None] = {
            name: None for name in os.environ if name.startswith("YUQING_") or name == "CI"
        }
        env.update(self.env)
        get_settings.cache_clear()
        try:
            return CliRunner().invoke(app, list(args), env=env)
        finally:
            get_settings.cache_clear()  # the next reader reads the test process's settings

    def store(self) -> SqlitePostStore:
        return SqlitePostStore(self.root / "posts.db")

    def quarantined(self, source: str) -> list[dict[str, Any]]:
        path = self.root / "quarantine" / f"{source}.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
