"""One issue's page: the timeline with pinned events and the clocks; assign, comment, pin and
close by role, each recorded in the tracker with its actor; a stale page gets a conflict."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from tests.dashboards.browser import screenshot, sign_in
from tests.dashboards.world import DEPT_B, Site


def test_assign_comment_and_pin_on_the_issue_page(site: Site, new_page: Any) -> None:
    api = site.api("analyst")
    issue_id = site.ids["issue_new"]
    page: Page = new_page()
    sign_in(page, site, "analyst")
    page.goto(f"{site.base}/issues/{issue_id}")
    stale: Page = new_page()  # the same page, opened before the change
    sign_in(stale, site, "analyst")
    stale.goto(f"{site.base}/issues/{issue_id}")
    expect(page.locator("#issue-status")).to_have_text("新建")

    page.select_option("#assign-form select[name='lead_department_id:int']", label=DEPT_B)
    page.click("#assign-form button[type=submit]")
    expect(page.locator("#issue-status")).to_have_text("已交办")  # refreshed in place
    expect(page.locator("#lead-department")).to_have_text(DEPT_B)
    issue = api.ok("GET", f"/api/issues/{issue_id}")
    assert issue["status"] == "assigned" and issue["lead_department_id"] == site.ids["dept_b"]
    assert issue["assigned_at"] is not None
    users = {u["username"]: u["id"] for u in site.api("admin").ok("GET", "/api/auth/users")}
    last = issue["timeline"][-1]
    assert (last["type"], last["actor_id"]) == ("status_changed", users["analyst"])
    assert last["payload"]["changes"]["status"] == {"from": "new", "to": "assigned"}

    page.fill("#comment-form textarea[name=text]", "请住建局今日内联系供电部门排查")
    page.click("#comment-form button[type=submit]")
    comment = page.locator("#timeline li[data-type='comment']")
    expect(comment).to_contain_text("请住建局今日内联系供电部门排查")
    event_id = int(comment.get_attribute("data-event-id") or 0)
    comment.locator("button", has_text="置顶").click()
    expect(page.locator("#pinned li")).to_contain_text("请住建局今日内联系供电部门排查")
    events = {e["id"]: e for e in api.ok("GET", f"/api/issues/{issue_id}")["timeline"]}
    assert events[event_id]["pinned"] is True
    assert events[event_id]["payload"] == {"text": "请住建局今日内联系供电部门排查"}
    assert [e["type"] for e in events.values()][-1] == "pinned"
    screenshot(page, "issue")

    # The page opened before the assignment still holds the old version: refused, in Chinese.
    stale.select_option("#assign-form select[name='lead_department_id:int']", index=0)
    stale.click("#assign-form button[type=submit]")
    expect(stale.locator(".toast.error")).to_contain_text("操作冲突")
    assert api.ok("GET", f"/api/issues/{issue_id}")["lead_department_id"] == site.ids["dept_b"]


def test_close_an_answered_issue_with_a_resolution(site: Site, new_page: Any) -> None:
    api = site.api("analyst")
    issue_id = site.ids["issue_met"]
    assert api.ok("GET", f"/api/issues/{issue_id}")["status"] == "responded"
    page: Page = new_page()
    sign_in(page, site, "analyst")
    page.goto(f"{site.base}/issues/{issue_id}")
    expect(page.locator("#clocks tr[data-kind='response']")).to_have_attribute("data-status", "met")
    page.fill("#close-form textarea[name=note]", "已增设临时停车位300个，市民反映平息")
    page.click("#close-form button[type=submit]")
    expect(page.locator("#issue-status")).to_have_text("已办结")
    expect(page.locator("#close-form")).to_have_count(0)
    issue = api.ok("GET", f"/api/issues/{issue_id}")
    assert issue["status"] == "closed" and issue["closed_at"] is not None
    assert issue["resolution"] == "已增设临时停车位300个，市民反映平息"


def test_a_leader_comments_and_pins_but_cannot_assign_or_close(site: Site, new_page: Any) -> None:
    issue_id = site.ids["issue_breached"]
    page: Page = new_page()
    sign_in(page, site, "leader")
    page.goto(f"{site.base}/issues/{issue_id}")
    expect(page.locator("#gantt, .gantt")).to_have_count(1)
    expect(page.locator("#assign-form")).to_have_count(0)
    expect(page.locator("#close-form")).to_have_count(0)
    created = page.locator("#timeline li[data-type='created']")
    created.locator("button", has_text="置顶").click()
    expect(page.locator("#pinned li")).to_have_count(1)
    page.fill("#comment-form textarea[name=text]", "请生态环境局今晚公布监测数据")
    page.click("#comment-form button[type=submit]")
    expect(page.locator("#timeline li[data-type='comment']")).to_have_count(1)
    timeline = site.api("leader").ok("GET", f"/api/issues/{issue_id}")["timeline"]
    assert [e["pinned"] for e in timeline if e["type"] == "created"] == [True]
    assert [e["payload"]["text"] for e in timeline if e["type"] == "comment"] == [
        "请生态环境局今晚公布监测数据"
    ]
