"""Fixtures of the page tests: Debian's Chromium driven by Playwright and a seeded served product
per test. Signing in through the log-in page and screenshots are in browser.py.

A page that breaks the Content-Security-Policy (an inline script or handler, an `eval`, a
<style> element) fails its test: `new_page` collects every violation and asserts none."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from core.settings import Settings
from dashboards.templating import STATIC_DIR
from tests.dashboards.browser import watch_policy
from tests.dashboards.world import Site, serve
from tests.helpers import missing_engine

VENDOR_FILES = ("echarts.min.js", "htmx.min.js", "NotoSansSC_400Regular.ttf")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def chromium(engine_settings: Settings) -> str:
    path = shutil.which("chromium")
    if path is None:
        missing_engine(
            engine_settings,
            "chromium",
            "the page tests drive Debian's Chromium, and `chromium` is not on PATH;"
            " `sudo make test` (or `sudo scripts/chromium.sh install`) installs it",
        )
    missing = [name for name in VENDOR_FILES if not (STATIC_DIR / "vendor" / name).is_file()]
    if missing:
        pytest.fail(
            f"the pages' front-end assets are missing ({', '.join(missing)});"
            " run `make install` to copy them into dashboards/static/vendor",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def browser(chromium: str) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    with serve(tmp_path) as served:
        yield served


@pytest.fixture
def policy_violations() -> list[str]:
    """The Content-Security-Policy violations of the test's pages (see `new_page`)."""
    return []


@pytest.fixture
def new_page(browser: Browser, policy_violations: list[str]) -> Iterator[object]:
    """Opens a page in a fresh browser context (its own cookies); closed after the test, which
    then fails if any of its pages broke the Content-Security-Policy."""
    contexts = []

    def open_page() -> Page:
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        context.set_default_timeout(15_000)
        watch_policy(context, policy_violations)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
    assert not policy_violations, "Content-Security-Policy violations:\n" + "\n".join(
        policy_violations
    )
