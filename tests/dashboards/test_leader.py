"""The leaders' overview: open issues soonest due first with their clocks as bars (breached in
red, met in green), the quarter's ranking and on-time rates, the city trend and districts."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from playwright.sync_api import Page, expect

from core.timezone import SHANGHAI
from store.models import PostFilter
from tests.dashboards.browser import screenshot, sign_in
from tests.dashboards.http import PageClient
from tests.dashboards.world import PASSWORD, Site

RED = "rgb(220, 38, 38)"


def _next_due(issue: dict[str, Any]) -> datetime | None:
    due = [
        datetime.fromisoformat(c["planned_due_at"])
        for c in issue["clocks"]
        if c["met_at"] is None and c["status"] != "superseded"
    ]
    return min(due) if due else None


def test_open_issues_soonest_due_first_with_breached_clocks_in_red(
    site: Site, new_page: Any
) -> None:
    api = site.api("leader")
    listed = api.ok("GET", "/api/issues?limit=200")["items"]
    open_issues = [
        api.ok("GET", f"/api/issues/{i['id']}")
        for i in listed
        if i["status"] not in ("closed", "dismissed")
    ]
    expected = [
        i["id"]
        for i in sorted(
            open_issues,
            key=lambda i: (_next_due(i) is None, _next_due(i) or datetime.max, -i["id"]),
        )
    ]

    page: Page = new_page()
    sign_in(page, site, "leader")
    rows = page.locator("#open-issues .issue-row")
    expect(rows).to_have_count(len(expected))
    shown = [int(x) for x in rows.evaluate_all("rs => rs.map(r => r.dataset.issueId)")]
    assert shown == expected
    assert shown[0] == site.ids["issue_breached"]
    expect(page.locator("#open-total")).to_have_text(str(len(expected)))
    expect(page.locator("#overdue-total")).to_have_text("2")

    breached = page.locator(f".issue-row[data-issue-id='{site.ids['issue_breached']}']")
    bars = breached.locator(".gantt-row[data-clock-status='breached']")
    expect(bars).to_have_count(2)
    late = bars.first.locator(".gantt-late")
    assert late.evaluate("e => getComputedStyle(e).backgroundColor") == RED
    label = bars.first.locator(".gantt-label")
    assert label.evaluate("e => getComputedStyle(e).color") == RED
    met = page.locator(f".issue-row[data-issue-id='{site.ids['issue_met']}']")
    expect(met.locator(".gantt-row[data-clock-status='met']")).to_have_count(1)
    expect(met.locator(".gantt-row[data-clock-status='met'] .gantt-met")).to_have_count(1)
    expect(met.locator(".gantt-late")).to_have_count(0)
    expect(breached.locator(".milestone.m-assigned")).to_have_count(1)

    # The quarter's ranking, as the reports API ranks it, and the on-time rate per clock.
    quarter = page.locator("select[name=quarter]").input_value()
    ranking = api.ok("GET", f"/api/reports/ranking?quarter={quarter}")["departments"]
    names = page.locator("#ranking-table tbody tr[data-department]")
    expect(names).to_have_count(len(ranking))
    assert names.evaluate_all("rs => rs.map(r => r.dataset.department)") == [
        d["name"] for d in ranking
    ]
    totals: dict[str, list[int]] = {}
    for department in ranking:
        for kind, counts in department["on_time_by_clock"].items():
            total = totals.setdefault(kind, [0, 0])
            total[0] += counts["met"]
            total[1] += counts["breached"]
    for kind, (met_count, breached_count) in totals.items():
        row = page.locator(f"#on-time tr[data-kind='{kind}'] td.num")
        expect(row).to_have_text([str(met_count), str(breached_count)])

    expect(page.locator("#trend-chart[data-drawn='1'] canvas")).to_have_count(1)
    expect(page.locator("#district-chart[data-drawn='1'] canvas")).to_have_count(1)
    screenshot(page, "leader")


def test_the_city_figures_count_the_posts_by_day_and_district(site: Site) -> None:
    client = PageClient(site.base)
    client.sign_in("leader", PASSWORD)
    trend = client.get("/leader/city.json").json()
    store = site.product.store
    assert trend["total"] == store.count()  # every seeded post is within 30 days
    assert sum(trend["volume"]) == store.count()
    zone = SHANGHAI
    today = datetime.now(zone)
    assert trend["days"][-1] == today.strftime("%m-%d") and len(trend["days"]) == 30
    negative = store.search(filters=PostFilter(sentiment_max=math.nextafter(0.4, 0)), limit=1)
    shares = [s for s in trend["negative_share"] if s is not None]
    assert shares and negative.total > 0
    districts = {d["name"]: d for d in client.get("/leader/districts.json").json()["districts"]}
    since = today.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=6)
    for name, figures in districts.items():
        posts = PostFilter(regions=[name], published_from=since)
        assert figures["total"] == store.search(filters=posts, limit=1).total, name
    assert districts["临江区"]["total"] > 0 and districts["青山区"]["total"] == 0
