"""The pages under their Content-Security-Policy (dashboards/headers.py), in a real browser: a
violation is refused and seen (so a page test that causes one fails, see conftest.py), and what
was inline code before the policy still works from /static/js/app.js: the triage queue waits
while a field in it has focus, and the admin's department picker on /handler submits itself."""

from __future__ import annotations

import time
from typing import Any

from playwright.sync_api import Page, expect

from api.auth.service import create_user
from api.database import session_scope
from tests.dashboards.browser import sign_in
from tests.dashboards.world import DEPT_A, PASSWORD, Site


def _wait_for(seen: list[str], count: int, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while len(seen) < count and time.monotonic() < deadline:
        time.sleep(0.05)


def test_inline_code_is_refused_and_the_violation_is_seen(
    site: Site, new_page: Any, policy_violations: list[str]
) -> None:
    page: Page = new_page()
    sign_in(page, site, "analyst")
    assert policy_violations == []  # the page itself runs without breaking the policy
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.ranInline = true";
          document.body.appendChild(script);
          document.body.insertAdjacentHTML(
            "beforeend", '<img src="/static/none.png" onerror="window.ranHandler = true">');
        }"""
    )
    _wait_for(policy_violations, 2)
    assert page.evaluate("[window.ranInline, window.ranHandler]") == [None, None]
    assert any("script-src" in v for v in policy_violations), policy_violations
    policy_violations.clear()  # seen on purpose: the fixture fails a test on any other


def test_the_queue_waits_while_a_field_in_it_has_focus(site: Site, new_page: Any) -> None:
    page: Page = new_page()
    sign_in(page, site, "analyst")
    loads: list[str] = []
    page.on("request", lambda r: loads.append(r.url) if "/triage/queue" in r.url else None)
    card = page.locator(f"#hot-{site.ids['hot_outage']}")
    card.locator("summary", has_text="排除").click()
    card.locator("input[name=reason]").fill("正在填写")

    # A new alert (the "queue-stale" event) must not replace what the analyst is typing.
    page.evaluate("htmx.trigger(document.body, 'queue-stale')")
    page.wait_for_timeout(1000)
    assert loads == []
    expect(card.locator("input[name=reason]")).to_have_value("正在填写")

    # Once the field has lost its focus, the same event reloads the queue.
    page.evaluate("document.activeElement.blur()")
    with page.expect_response(lambda r: "/triage/queue" in r.url):
        page.evaluate("htmx.trigger(document.body, 'queue-stale')")
    # And an explicit refresh (after the analyst's own action) reloads it even with focus.
    card = page.locator(f"#hot-{site.ids['hot_outage']}")
    card.locator("summary", has_text="排除").click()
    card.locator("input[name=reason]").focus()
    with page.expect_response(lambda r: "/triage/queue" in r.url):
        page.evaluate("htmx.trigger(document.querySelector('#queue'), 'refresh')")


def test_the_admin_picks_a_department_on_the_handler_screen(site: Site, new_page: Any) -> None:
    with session_scope(site.product.engine) as session:
        create_user(session=session, username="chief", password=PASSWORD, role="admin")
    page: Page = new_page()
    sign_in(page, site, "chief")
    page.goto(site.base + "/handler")
    with page.expect_navigation():
        page.select_option("select[name=department_id]", str(site.ids["dept_a"]))
    assert page.url.endswith(f"/handler?department_id={site.ids['dept_a']}")
    expect(page.locator("h1")).to_have_text(f"{DEPT_A} · 待办")
