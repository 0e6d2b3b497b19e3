"""A department handler's screen: their department's issues and hotline work orders with their
deadlines, and never another department's issue (a 404, like an id that does not exist)."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from tests.dashboards.browser import screenshot, sign_in
from tests.dashboards.world import Site


def test_a_handler_sees_their_departments_issues_and_work_orders(site: Site, new_page: Any) -> None:
    page: Page = new_page()
    sign_in(page, site, "handler")
    rows = page.locator("#department-issues .issue-row")
    assert rows.evaluate_all("rs => rs.map(r => Number(r.dataset.issueId))") == [
        site.ids["issue_b"]
    ]
    expect(rows.locator(".gantt-row[data-clock-kind='response']")).to_have_attribute(
        "data-clock-status", "running"
    )
    orders = page.locator("#work-orders tbody tr[data-case]")
    assert orders.evaluate_all("rs => rs.map(r => r.dataset.case)") == ["JL-B-0001"]
    overdue = orders.first.locator("td.overdue")
    expect(overdue).to_contain_text("已逾期")
    screenshot(page, "handler")

    page.goto(f"{site.base}/issues/{site.ids['issue_b']}")
    expect(page.locator("h1")).to_contain_text("翠湖湾物业费上涨未公示")
    expect(page.locator("#comment-form")).to_have_count(1)
    expect(page.locator("#assign-form")).to_have_count(0)  # who leads is the office's call


def test_a_handler_never_sees_another_departments_issue(site: Site, new_page: Any) -> None:
    page: Page = new_page()
    sign_in(page, site, "handler")
    others = [site.ids[k] for k in ("issue_breached", "issue_met", "issue_new", "issue_hot")]
    for issue_id in [*others, 10**6]:
        reply = page.goto(f"{site.base}/issues/{issue_id}")
        assert reply is not None and reply.status == 404, issue_id
        expect(page.locator("h1")).to_have_text("404 · 未找到")
        expect(page.locator(".error-page")).to_contain_text(f"事项 {issue_id} 不存在")
        body = page.locator("main").inner_text()
        assert "青山" not in body and "镜湖" not in body and "望潮苑" not in body
    screenshot(page, "not-found")
    # The API answers the cookie the same way: another department's issue does not exist.
    status = page.evaluate(
        "async ids => Promise.all(ids.map(async i => (await fetch('/api/issues/' + i)).status))",
        [*others, site.ids["issue_b"]],
    )
    assert status == [404] * len(others) + [200]
    for path in ("/leader", "/triage", "/press", "/search"):
        reply = page.goto(site.base + path)
        assert reply is not None and reply.status == 403, path
