"""What the page tests do in the browser: sign in through the log-in page, as a person does, and
keep a screenshot under tests/artifacts/."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

from tests.dashboards.world import PASSWORD, Site

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"


def sign_in(page: Page, site: Site, username: str, password: str = PASSWORD) -> None:
    """Sign in through the log-in page, as a person does; waits for the landing screen."""
    page.goto(site.base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state("networkidle")


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000, f"the screenshot {name} looks empty"
    return path
