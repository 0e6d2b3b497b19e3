"""Fixtures for crawler tests: in-process runs, the local fixture server, the product in a
folder. The helpers behind them live in modules of their own (harness, server, product)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.crawler import site_board, site_news
from tests.crawler.harness import Bench
from tests.crawler.product import Product
from tests.crawler.server import FixtureServer


@pytest.fixture(autouse=True)
def fresh_sites() -> None:
    """The fixture sites as they start: no reply to message 3 yet, no page turned away yet."""
    site_board.reset()
    site_news.reset()


@pytest.fixture
def bench(tmp_path: Path) -> Bench:
    """A data folder for spiders run in-process, offline or on Scrapy's engine."""
    return Bench(tmp_path)


@pytest.fixture
def fixture_server() -> Iterator[FixtureServer]:
    with FixtureServer() as server:
        yield server


@pytest.fixture
def product(tmp_path: Path, fixture_server: FixtureServer) -> Product:
    """The product on a data folder of its own, crawling the served fixture sites."""
    return Product(tmp_path, fixture_server)
