"""What the page tests do in the browser: sign in through the log-in page, as a person does, keep
a screenshot under tests/artifacts/, and watch for Content-Security-Policy violations."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import BrowserContext, ConsoleMessage, Page

from tests.dashboards.world import PASSWORD, Site

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"

# Runs in every page before its own scripts (Playwright injects it, so the policy does not
# apply to it) and reports each violation the page sees.
_REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.yqPolicyViolation(
    `${e.violatedDirective} refused ${e.blockedURI || "inline code"}`
    + ` in ${e.sourceFile || document.location.pathname}:${e.lineNumber}`
    + (e.sample ? ` (${e.sample})` : "")
  );
});
"""


def sign_in(page: Page, site: Site, username: str, password: str = PASSWORD) -> None:
    """Sign in through the log-in page, as a person does; waits for the landing screen."""
    page.goto(site.base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state("networkidle")


def watch_policy(context: BrowserContext, seen: list[str]) -> None:
    """Append to `seen` every Content-Security-Policy violation in the context's pages: the
    page's securitypolicyviolation events and Chromium's console errors about the policy
    (which also name an `eval` htmx or ECharts might attempt)."""

    def on_violation(text: str) -> None:
        seen.append(text)

    context.expose_function("yqPolicyViolation", on_violation)
    context.add_init_script(_REPORT_VIOLATIONS)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            seen.append(message.text)

    context.on("console", on_console)


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000, f"the screenshot {name} looks empty"
    return path
