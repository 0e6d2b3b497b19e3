"""Request options: a POST with a form or JSON body (the page or cursor goes in the body),
headers and cookies from environment variables, on every kind's first request; the secrets
reach the server and nothing else."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
import yaml

from core.timezone import SHANGHAI
from tests.crawler.blocks import OFFLINE, board, news
from tests.crawler.harness import Bench, spider_for, start_requests
from tests.crawler.product import Product
from tests.crawler.server import FixtureServer

SECRET = "tok-5a1f-never-shown"
COOKIE = "sub-77c0-never-shown"
# The people.com.cn 领导留言板 list, as a user writes it ({base}: https://liuyan.people.com.cn).
LIUYAN_YAML = """
name: liuyan
kind: board
region: 福州市
request:
  method: POST
  form: {{fid: "2082", rows: "20"}}
  headers: {{Referer: "https://liuyan.people.com.cn/"}}
  headers_from_env: {{token: LIUYAN_TOKEN}}
  cookies_from_env: {{SESSION: LIUYAN_SESSION}}
api:
  api_url: "{base}/liuyan/v1/threads/list/df"
  items_path: resultData.data
  pagination: {{type: cursor, param: lastItem, next_cursor_path: resultData.lastItem}}
  fields:
    id: tid
    title: subject
    text: content
    author: nickName
    published_at: dateline
    category: typeName
    status: stateInfo
    assigned_department: forumName
  url_template: "https://liuyan.people.com.cn/threads/content?tid={{id}}"
"""


def liuyan(base: str) -> dict[str, Any]:
    block: dict[str, Any] = yaml.safe_load(LIUYAN_YAML.format(base=base))
    return block


@pytest.fixture
def secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIUYAN_TOKEN", SECRET)
    monkeypatch.setenv("LIUYAN_SESSION", COOKIE)


def test_on_scrapy_s_engine_a_post_form_with_secrets_pages_a_json_board(
    bench: Bench, fixture_server: FixtureServer, secrets: None
) -> None:
    summary = bench.crawl(liuyan(fixture_server.url))["liuyan"]
    assert summary.line().startswith("liuyan: 4 items, 4 new, 0 updated, 0 unchanged, 0 failed")

    first, second = fixture_server.received
    assert (first.method, first.path) == ("POST", "/liuyan/v1/threads/list/df")
    assert first.body == b"fid=2082&rows=20"
    assert first.headers["Token"] == SECRET
    assert first.headers["Cookie"] == f"SESSION={COOKIE}"
    assert first.headers["Referer"] == "https://liuyan.people.com.cn/"
    assert first.headers["Content-Type"] == "application/x-www-form-urlencoded"
    # The cursor of the next page goes in the form, beside the source's own fields.
    assert second.method == "POST" and second.body == b"fid=2082&rows=20&lastItem=8659929"
    assert second.headers["Token"] == SECRET

    post = bench.store.get("liuyan:9356769")
    assert post.kind == "board"
    assert post.title == "福清党校旁，融创保利工地深夜施工噪音扰民！"
    assert post.text.startswith("观音埔福清党校旁，融创保利工地夜间12点仍在施工")
    assert post.author == "W***"
    assert post.published_at == datetime(2021, 3, 2, 21, 41, 26, tzinfo=SHANGHAI)
    assert post.published_precision == "second"
    assert (post.category, post.status) == ("投诉", "待回复")
    assert post.assigned_department == "福清市委书记"
    assert post.region == "福州市"
    assert post.url == "https://liuyan.people.com.cn/threads/content?tid=9356769"
    assert post.reply is None  # the list carries no reply text
    # The secrets are in no file the run wrote: store, quarantine, run record.
    for path in bench.root.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
            assert COOKIE.encode() not in path.read_bytes(), path
    assert SECRET not in json.dumps(bench.recorder.runs, default=str)


def test_a_json_body_carries_the_page_number(bench: Bench, secrets: None) -> None:
    block = liuyan(OFFLINE)
    block["request"] = {"method": "POST", "json": {"fid": 2082}}
    block["api"]["pagination"] = {"type": "page", "param": "page"}
    with bench.run(block) as context:
        (request,) = start_requests(spider_for(context))
    assert request.method == "POST"
    assert request.headers[b"Content-Type"] == b"application/json"
    assert json.loads(request.body) == {"fid": 2082, "page": 1}


def test_every_kind_s_first_request_carries_the_source_s_options(
    bench: Bench, secrets: None
) -> None:
    options = {
        "headers": {"Referer": "https://example.gov.cn/"},
        "cookies_from_env": {"S": "LIUYAN_SESSION"},
    }
    for block in (
        news(OFFLINE, "feed", "/news/city.xml", request=options),
        board(OFFLINE, request=options),
        {"name": "orders", "kind": "hotline", "url": f"{OFFLINE}/hotline/export.csv",
         "columns": {"case_no": "工单编号", "text": "诉求内容", "published_at": "受理时间"},
         "request": {**options, "method": "POST", "form": {"day": "2025-03-18"}}},
    ):  # fmt: skip
        with bench.run(block) as context:
            requests = start_requests(spider_for(context))
        first = requests[0]
        assert first.headers[b"Referer"] == b"https://example.gov.cn/", block["name"]
        assert first.headers[b"Cookie"] == f"S={COOKIE}".encode(), block["name"]
    assert (first.method, first.body) == ("POST", b"day=2025-03-18")


def test_an_unset_variable_stops_yuqing_crawl_naming_it(product: Product) -> None:
    product.sources(liuyan(product.url))
    done = product.yuqing("crawl", "liuyan")
    assert done.returncode != 0
    assert "source liuyan (header token) needs the environment variable LIUYAN_TOKEN" in (
        done.stderr
    )
    assert product.server.hits.get("/liuyan/v1/threads/list/df") is None
