"""Login walls: a reply that matches a source's `auth_failure` ends its run `auth_required`,
stops its crawl and keeps the reply's body beside the quarantine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.crawler import site_weibo
from tests.crawler.blocks import OFFLINE
from tests.crawler.harness import Bench
from tests.crawler.product import Product
from tests.crawler.server import FixtureServer
from tests.crawler.test_listing_weibo import NOW, weibo

# As m.weibo.cn's login wall looks: a JSON reply {"ok": -100, ...}, or a redirect to passport.
WALL = {"json_equals": {"ok": -100}, "redirect_contains": ["passport"]}


def walled(base: str, name: str, path: str, **extra: Any) -> dict[str, Any]:
    return weibo(base, name=name, api_url=f"{base}{path}", **{"auth_failure": WALL, **extra})


def kept(record: dict[str, Any]) -> Path:
    return Path(record["raw"]["body_file"])


def test_on_scrapy_s_engine_a_json_wall_and_a_redirect_end_the_runs_auth_required(
    bench: Bench, fixture_server: FixtureServer
) -> None:
    url = fixture_server.url
    blocks = (
        walled(url, "json-wall", "/weibo/walled/getIndex"),
        walled(url, "redirect", "/weibo/redirected/getIndex"),
    )
    summaries = bench.crawl(*blocks, now=NOW)

    json_wall = summaries["json-wall"]
    assert json_wall.status == "auth_required"
    assert json_wall.line().endswith("[auth_required]")
    # Page 1 was read; page 2 is the wall, and no page 3 was asked for.
    assert fixture_server.hits["/weibo/walled/getIndex"] == 2
    assert bench.store.get("json-wall:4383183661430868") is not None
    (record,) = bench.quarantined("json-wall")
    assert record["origin"] == f"{url}/weibo/walled/getIndex?page=2"
    body = kept(record)
    assert body.parent == bench.root / "quarantine"
    assert body.name.startswith("json-wall.auth-") and body.suffix == ".body"
    assert json.loads(body.read_bytes()) == site_weibo.LOGIN_WALL
    assert record["reason"] == f"login required (ok is -100); the reply is kept in {body}"
    # The run is recorded so, and the marks stay where they were: nothing was finished.
    recorded = {run["source"]: run for run in bench.recorder.runs}
    assert recorded["json-wall"]["status"] == "auth_required"
    assert "json-wall" not in bench.recorder.marks

    redirect = summaries["redirect"]
    assert redirect.status == "auth_required"
    (record,) = bench.quarantined("redirect")
    assert "redirected to " in record["reason"] and "/weibo/passport/signin" in record["reason"]
    assert "登录 - 新浪微博" in kept(record).read_text(encoding="utf-8")
    assert fixture_server.hits["/weibo/passport/signin"] == 1


def test_a_status_the_source_names_ends_the_run_through_the_errback(bench: Bench) -> None:
    block = walled(OFFLINE, "forbidden", "/weibo/forbidden/getIndex")
    block["auth_failure"] = {"statuses": [401, 403]}
    summary, walk = bench.walk(block, now=NOW)
    assert summary.status == "auth_required"
    assert walk.fetched == [f"{OFFLINE}/weibo/forbidden/getIndex?page=1"]
    (record,) = bench.quarantined("forbidden")
    assert record["reason"].startswith("login required (HTTP 403)")
    assert kept(record).read_text(encoding="utf-8") == "需要登录"

    # Without auth_failure the same reply is an ordinary failure.
    plain, _ = bench.walk(walled(OFFLINE, "plain", "/weibo/forbidden/getIndex", auth_failure=None))
    assert plain.status == "partial"
    assert plain.errors == [f"{OFFLINE}/weibo/forbidden/getIndex?page=1: HTTP 403"]


def test_any_kind_can_meet_a_wall_a_feed_answered_by_a_login_page(bench: Bench) -> None:
    block = {
        "name": "feed",
        "kind": "news",
        "feed_url": f"{OFFLINE}/weibo/passport/signin",
        "auth_failure": {"body_contains": ["登录 - 新浪微博"]},
    }
    summary, _ = bench.walk(block)
    assert summary.status == "auth_required"
    (record,) = bench.quarantined("feed")
    assert record["reason"].startswith("login required (the reply contains '登录 - 新浪微博')")


def test_yuqing_crawl_exits_non_zero_at_a_wall(product: Product) -> None:
    product.sources(walled(product.url, "walled", "/weibo/walled/getIndex"))
    done = product.yuqing("crawl", "walled")
    assert done.returncode == 1, done.stdout + done.stderr
    (line,) = done.stdout.splitlines()
    assert line.startswith("walled: ") and line.endswith("[auth_required]")
    (record,) = product.quarantined("walled")
    assert f"login required (ok is -100); the reply is kept in {kept(record)}" in done.stderr
