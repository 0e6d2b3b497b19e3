"""Links in posts: only http(s) links are accepted at ingest, and a link of another kind that is
already stored shows as text, never as a link. A post loaded with
`"url": "javascript:alert(document.domain)"` was a live link on /search/results, run by a click
in the reader's signed-in page."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError

from store.models import STORED, Post
from tests.factories import post_data
from tests.helpers import ADMIN_PASSWORD
from tests.security.pages import sign_in_page

HOSTILE = [
    "javascript:alert(document.domain)",
    "JavaScript:alert(1)",
    "  javascript:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/phish",
    "https://",
]
WEB = [
    "http://example.cn/a",
    "https://www.example.gov.cn/msg/1?page=2#reply",
    "HTTPS://EXAMPLE.CN/",
]
SCRIPT_LINK = re.compile(r"""href\s*=\s*["']?\s*(?:javascript|vbscript):""", re.IGNORECASE)


@pytest.mark.parametrize("url", HOSTILE)
def test_a_link_other_than_http_is_refused_at_ingest(url: str) -> None:
    with pytest.raises(ValidationError) as err:
        Post.model_validate(post_data(url=url))
    assert [e["loc"] for e in err.value.errors()] == [("url",)]
    assert "must be an http:// or https:// link" in str(err.value)


def test_web_links_and_no_link_are_accepted() -> None:
    for url in WEB:
        assert Post.model_validate(post_data(url=url)).url == url
    assert Post.model_validate(post_data(url=None)).url is None
    assert Post.model_validate(post_data(url="")).url == ""  # no link, as the crawler says it


def test_a_loaded_javascript_link_is_rejected_and_quarantined(run, tmp_path: Path) -> None:
    lines = [
        post_data(id="x:1", url="javascript:alert(document.domain)", text="望潮苑停水"),
        post_data(id="x:2", url="https://example.gov.cn/msg/2", text="望潮苑停水"),
    ]
    path = tmp_path / "posts.jsonl"
    for line in lines:
        line["published_at"] = line["published_at"].isoformat()
    path.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines), "utf-8")
    loaded = run("load", str(path), "--no-analyse")
    assert loaded.returncode == 0, loaded.stderr
    assert "1 created, 0 updated, 0 unchanged, 1 rejected" in loaded.stdout
    assert "line 1: url" in loaded.stderr and "http:// or https://" in loaded.stderr
    found = run("search", "停水", "--json")
    assert [json.loads(line)["id"] for line in found.stdout.splitlines()] == ["x:2"]


def test_a_stored_link_of_another_kind_is_text_not_a_link(app: FastAPI, client: TestClient) -> None:
    # Stored before links were checked: it must stay readable, and show as text.
    old = Post.model_validate(
        post_data(id="x:old", url="javascript:alert(document.domain)", title="停水通知"),
        context=STORED,
    )
    web = Post.model_validate(post_data(id="x:web", url=WEB[1], title="停水公告"))
    app.state.store.upsert([old, web])
    sign_in_page(client, "admin", ADMIN_PASSWORD)

    for path in ("/search", "/search/results"):
        reply = client.get(path, params={"q": "积水"})
        assert reply.status_code == 200, reply.text[:500]
        assert not SCRIPT_LINK.search(reply.text), path
        assert '<span class="muted small link-text">javascript:alert(document.domain)</span>' in (
            reply.text
        )
        assert f'<a href="{WEB[1]}" rel="noopener noreferrer" target="_blank">停水公告</a>' in (
            reply.text.replace("&amp;", "&")
        )
