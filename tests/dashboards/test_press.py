"""The press officers' page: briefings with their issues, linking an issue to a briefing, an
official post recorded as an issue's first statement, and the before/after effect chart."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from playwright.sync_api import Page, expect

from tests.dashboards.browser import screenshot, sign_in
from tests.dashboards.world import Site


def _clocks(issue: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["kind"]: c for c in issue["clocks"]}


def test_link_an_issue_to_a_briefing(site: Site, new_page: Any) -> None:
    api = site.api("press")
    briefing_id, issue_id = site.ids["briefing_conference"], site.ids["issue_breached"]
    briefing = api.ok("GET", f"/api/briefings/{briefing_id}")
    assert briefing["issue_ids"] == []
    page: Page = new_page()
    sign_in(page, site, "press")
    article = page.locator(f"article[data-briefing-id='{briefing_id}']")
    expect(article).to_contain_text("尚未关联")
    article.locator("select[name='issue_ids:ints']").select_option(str(issue_id))
    with page.expect_navigation():  # the page reloads to show the link
        article.locator("button[type=submit]").click()
    article = page.locator(f"article[data-briefing-id='{briefing_id}']")
    title = "青山化工园周边夜间异味扰民"
    expect(article.locator("a.linked-issue")).to_have_text(f"#{issue_id} {title}")

    assert api.ok("GET", f"/api/briefings/{briefing_id}")["issue_ids"] == [issue_id]
    issue = api.ok("GET", f"/api/issues/{issue_id}")
    assert briefing_id in issue["briefing_ids"] and issue["status"] == "responded"
    clocks = _clocks(issue)
    at = datetime.fromisoformat(briefing["at"])
    # A press conference meets both clocks at its own time; both were already late.
    for kind in ("first_statement", "press_conference"):
        assert datetime.fromisoformat(clocks[kind]["met_at"]) == at
        assert clocks[kind]["met_by"] == f"briefing:{briefing_id}"
        assert clocks[kind]["status"] == "breached"
    linked = [e for e in issue["timeline"] if e["type"] == "briefing_linked"]
    assert [e["payload"]["briefing_id"] for e in linked] == [briefing_id]


def test_an_official_post_becomes_the_first_statement_and_shows_its_effect(
    site: Site, new_page: Any
) -> None:
    api = site.api("press")
    issue_id = site.ids["issue_hot"]
    page: Page = new_page()
    sign_in(page, site, "press")
    waiting = page.locator(f"[data-awaiting='{issue_id}']")
    candidates = waiting.locator(".candidates li")
    expect(candidates).to_have_count(1)
    expect(candidates).to_contain_text("江澜水务")
    expect(candidates).to_contain_text("【停水通知】")
    with page.expect_navigation():
        candidates.locator("button", has_text="以此为首次发布").click()

    [briefing] = api.ok("GET", f"/api/briefings?issue_id={issue_id}")
    official = [
        hit.post
        for hit in site.product.store.search(limit=100).hits
        if hit.post.source == "gov-weibo"
    ]
    [notice] = official
    assert briefing["kind"] == "press_release" and briefing["title"].startswith("【停水通知】")
    assert datetime.fromisoformat(briefing["at"]) == notice.published_at
    assert briefing["url"] == notice.url and briefing["spokesperson"] == "江澜水务"
    clocks = _clocks(api.ok("GET", f"/api/issues/{issue_id}"))
    assert datetime.fromisoformat(clocks["first_statement"]["met_at"]) == notice.published_at
    assert clocks["first_statement"]["status"] == "met"

    # The effect: the outage's posts 24 hours either side of the statement.
    effect = api.ok("GET", f"/api/issues/{issue_id}/effect")
    box = page.locator(f"[data-effect-issue='{issue_id}']")
    expect(box).to_contain_text(f"发布前声量 {effect['before']['volume']}")
    expect(box).to_contain_text(f"发布后声量 {effect['after']['volume']}")
    assert effect["before"]["volume"] > 0
    expect(box.locator(".chart[data-drawn='1'] canvas")).to_have_count(1)
    expect(page.locator(f"[data-awaiting='{issue_id}']")).to_have_count(0)
    screenshot(page, "press")
