"""The analysts' triage queue: hot issues with why they were flagged, their volume, source mix,
negative share and sample posts; watch, dismiss, merge and promote from the page; new alerts
arriving without a reload."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from tests.dashboards.browser import screenshot, sign_in
from tests.dashboards.world import DEPT_B, Site


def _card(page: Page, hot_id: int) -> Any:
    return page.locator(f"#hot-{hot_id}")


def test_the_queue_shows_why_each_hot_issue_was_flagged(site: Site, new_page: Any) -> None:
    page: Page = new_page()
    sign_in(page, site, "analyst")
    hot_id = site.ids["hot_outage"]
    detail = site.api("analyst").ok("GET", f"/api/hot-issues/{hot_id}")
    card = _card(page, hot_id)
    expect(card.locator("h2")).to_have_text(detail["title"])
    expect(card.locator(".score")).to_have_text(f"{detail['score']:.0f}")
    # the explanation, line for line as the job wrote it
    expect(card.locator(".why li")).to_have_text(detail["explanation"])
    assert any(line.startswith("突发") for line in detail["explanation"])
    # the source mix adds up to the cluster, kind by kind
    kinds: dict[str, int] = {}
    for member in detail["members"]:
        kinds[member["kind"]] = kinds.get(member["kind"], 0) + 1
    legend = card.locator(".legend span").all_inner_texts()
    labels = {"hotline": "12345热线", "board": "留言板", "microblog": "微博", "news": "新闻"}
    assert sorted(legend) == sorted(f"{labels[k]} {n}" for k, n in kinds.items())
    scored = [m["sentiment"] for m in detail["members"] if m["sentiment"] is not None]
    share = sum(s < 0.4 for s in scored) / len(scored)
    expect(card.locator(".negative-share")).to_have_text(f"{share * 100:.0f}%")
    # three sample posts, the newest first; a sparkline drawn by ECharts
    expect(card.locator(".samples li")).to_have_count(3)
    newest = max(detail["members"], key=lambda m: m["published_at"])
    post = site.product.store.get(newest["post_id"])
    assert post is not None
    expect(card.locator(".samples li").first).to_contain_text(post.text[:20])
    expect(card.locator(".sparkline[data-drawn='1'] canvas")).to_have_count(1)
    # the promoted one links to its tracked issue; the alert is listed
    expect(card.locator(f"a[href='/issues/{site.ids['issue_hot']}']")).to_be_visible()
    [alert] = site.api("analyst").ok("GET", "/api/alerts")
    assert (alert["kind"], alert["subject_id"]) == ("hot_issue", hot_id)
    expect(page.locator("#alerts .alert-title")).to_have_text([alert["title"]])
    screenshot(page, "triage")


def test_promote_a_hot_issue_from_the_queue(site: Site, new_page: Any) -> None:
    site.add_odour_burst()
    hot_id = site.hot_issue_id("异味")
    page: Page = new_page()
    sign_in(page, site, "analyst")
    card = _card(page, hot_id)
    card.locator("summary", has_text="立项跟踪").click()
    form = card.locator("form[hx-post='/api/issues/promote']")
    form.locator("input[name=title]").fill("青山化工园夜间异味（研判立项）")
    form.locator("select[name=severity]").select_option("major")
    form.locator("select[name='lead_department_id:int']").select_option(label=DEPT_B)
    form.locator("button[type=submit]").click()
    expect(page.locator(".toast")).to_contain_text("已立项")
    expect(card.locator("a", has_text="查看跟踪事项")).to_be_visible()  # the queue refreshed

    api = site.api("analyst")
    listed = api.ok("GET", "/api/issues?limit=200")["items"]
    [issue] = [i for i in listed if i["title"] == "青山化工园夜间异味（研判立项）"]
    assert issue["severity"] == "major" and issue["lead_department_id"] == site.ids["dept_b"]
    detail = api.ok("GET", f"/api/issues/{issue['id']}")
    assert detail["hot_issue_ids"] == [str(hot_id)]
    assert {c["kind"] for c in detail["clocks"]} == {"first_statement", "press_conference"}
    assert api.ok("GET", f"/api/hot-issues/{hot_id}")["status"] == "promoted"
    audit = site.api("admin").ok("GET", "/api/audit?entity=issue&actor=analyst")["items"]
    assert [(e["method"], e["path"], e["status_code"]) for e in audit][:1] == [
        ("POST", "/api/issues/promote", 201)
    ]


def test_watch_merge_and_dismiss_from_the_queue(site: Site, new_page: Any) -> None:
    site.add_odour_burst()
    odour, outage = site.hot_issue_id("异味"), site.ids["hot_outage"]
    api = site.api("analyst")
    page: Page = new_page()
    sign_in(page, site, "analyst")

    _card(page, odour).locator("button", has_text="关注").click()
    expect(_card(page, odour).locator(".badge.status-watching")).to_have_text("关注中")
    assert api.ok("GET", f"/api/hot-issues/{odour}")["status"] == "watching"

    members = "/api/hot-issues/{}?members=1000"
    outage_posts = {m["post_id"] for m in api.ok("GET", members.format(outage))["members"]}
    odour_posts = {m["post_id"] for m in api.ok("GET", members.format(odour))["members"]}
    card = _card(page, outage)
    card.locator("summary", has_text="合并").click()
    card.locator("select[name='other_ids:ints']").select_option(str(odour))
    card.locator("form[hx-post$='/merge'] button[type=submit]").click()
    expect(_card(page, odour)).to_have_count(0)
    merged = api.ok("GET", f"/api/hot-issues/{odour}")
    assert (merged["status"], merged["merged_into"]) == ("merged", outage)
    after = {m["post_id"] for m in api.ok("GET", members.format(outage))["members"]}
    assert after == outage_posts | odour_posts

    card = _card(page, outage)
    card.locator("summary", has_text="排除").click()
    card.locator("input[name=reason]").fill("已由水务集团处置完毕")
    card.locator("form[hx-post$='/dismiss'] button[type=submit]").click()
    expect(_card(page, outage)).to_have_count(0)
    dismissed = api.ok("GET", f"/api/hot-issues/{outage}")
    assert (dismissed["status"], dismissed["note"]) == ("dismissed", "已由水务集团处置完毕")


def test_new_alerts_appear_without_a_reload(site: Site, new_page: Any) -> None:
    page: Page = new_page()
    sign_in(page, site, "analyst")
    page.evaluate("window.loadedOnce = true")
    expect(page.locator("#alerts .alert-item")).to_have_count(1)
    expect(page.locator("#alerts .badge.new")).to_have_count(0)

    site.add_odour_burst()  # the job flags the odour and raises its alert
    odour = site.hot_issue_id("异味")
    alert = page.locator("#alerts .alert-item.is-new")
    expect(alert).to_have_count(1, timeout=20_000)
    newest = site.api("analyst").ok("GET", "/api/alerts")[0]
    assert (newest["kind"], newest["subject_id"]) == ("hot_issue", odour)
    expect(alert.locator(".alert-title")).to_have_text(newest["title"])
    expect(_card(page, odour)).to_be_visible(timeout=20_000)  # the queue refreshed itself
    assert page.evaluate("window.loadedOnce") is True  # the same page: no reload
