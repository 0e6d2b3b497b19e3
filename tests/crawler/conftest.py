"""Fixtures for crawler tests: the local fixture server and an isolated product set-up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from store.sqlite import SqlitePostStore
from tests.crawler.server import FixtureServer, fixture_server  # noqa: F401 - a fixture

YUQING = str(Path(sys.executable).with_name("yuqing"))


class Product:
    """The product installed in a temporary folder, driven through its CLI like a user would.

    Scrapy's reactor runs once per process, so every crawl is a `yuqing` process of its own.
    """

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

    def url(self, path: str) -> str:
        return self.server.url + path

    def sources(self, *blocks: dict[str, Any]) -> None:
        """Write sources.yaml; blocks get fast politeness defaults unless they say otherwise."""
        fast = {"download_delay": 0, "retries": 2, "timeout_seconds": 5, "obey_robots": False}
        data = {"sources": [{**fast, **block} for block in blocks]}
        self.sources_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

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

    def store(self) -> SqlitePostStore:
        return SqlitePostStore(self.root / "posts.db")

    def quarantined(self, source: str) -> list[dict[str, Any]]:
        path = self.root / "quarantine" / f"{source}.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def product(tmp_path: Path, fixture_server: FixtureServer) -> Product:  # noqa: F811
    return Product(tmp_path, fixture_server)
