"""Personal numbers are masked on every way in and every way out (issue 12, defect 5).

The corpus (tests/security/pii_corpus.py) goes in through `Post` validation, the crawl
pipeline, `yuqing import` (a 12345 hotline CSV) and `yuqing load`, and comes out through the
store, `GET /api/posts/{id}`, `/api/posts/search`, the /search page and its XLSX export, the
handler's page, `yuqing search`, the hot issues' titles and the daily brief. Each way must show
every personal number masked to its last four digits and every other number as it was.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from docx import Document
from fastapi import FastAPI
from fastapi.testclient import TestClient

from core.settings import Settings
from core.timezone import SHANGHAI
from crawler.pipeline import prepare
from store.models import Post
from store.pii import mask_pii
from store.sqlite import SqlitePostStore
from tests.crawler.harness import Bench
from tests.crawler.site_hotline import COLUMNS, HEADERS
from tests.factories import OUTAGE
from tests.helpers import ADMIN_PASSWORD, app_settings, login
from tests.security.pii_corpus import (
    CORPUS,
    DEPARTMENT,
    IDS,
    LEFT_ALONE,
    PERSONAL,
    SOURCE,
    Case,
    body,
    post_id,
    reply,
    rows,
    title,
    wrong,
)
from yuqing.loading import load_posts, read_jsonl


def shown(post: Post) -> dict[str, Any]:
    return {
        "title": post.title,
        "text": post.text,
        "author": post.author,
        "reply": post.reply.text if post.reply else None,
    }


def problems(posts: dict[str, Post], fields: tuple[str, ...] = ("title", "text", "author")) -> list:
    """Every way the posts of the corpus, as some way gave them back, differ from the masked
    corpus (a missing post too)."""
    found = []
    for n, case in enumerate(CORPUS):
        post = posts.get(post_id(n))
        if post is None:
            found.append(f"case {n} ({case.text}) is missing")
            continue
        found += wrong(n, case, {k: v for k, v in shown(post).items() if k in fields})
    return found


def test_the_corpus_holds_enough_cases_of_both_kinds() -> None:
    assert len(CORPUS) >= 60
    assert len(PERSONAL) >= 30 and len(LEFT_ALONE) >= 30
    assert len({case.text for case in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("case", CORPUS, ids=IDS)
def test_the_masker_masks_each_personal_number_and_leaves_the_rest(case: Case) -> None:
    assert mask_pii(case.text) == case.masked
    assert mask_pii(case.masked) == case.masked  # masking masked text changes nothing
    # In a sentence, beside other text, it is the same.
    assert mask_pii(body(case.text)) == body(case.masked)


@pytest.mark.parametrize("case", CORPUS, ids=IDS)
def test_validating_a_post_masks_every_field_a_person_reads(case: Case) -> None:
    text = case.text
    post = Post.model_validate(
        {
            "id": "t:1",
            "source": "board",
            "kind": "hotline",
            "title": text,
            "text": body(text),
            "author": text,
            "published_at": "2025-03-18T09:00:00+08:00",
            "region": text,
            "category": text,
            "channel": text,
            "assigned_department": text,
            "status": text,
            "reply": {"text": reply(text), "department": text},
            "keywords": [text, "停水"],
            "tokens": [text],
        }
    )
    masked = case.masked
    assert (post.title, post.text, post.author) == (masked, body(masked), masked)
    assert post.reply is not None and (post.reply.text, post.reply.department) == (
        reply(masked),
        masked,
    )
    readable = (post.region, post.category, post.channel, post.assigned_department, post.status)
    assert readable == (masked,) * 5
    assert post.keywords == [masked, "停水"] and post.tokens == [masked]
    # A read validates the stored post again, and gets the same post.
    assert Post.model_validate_json(post.model_dump_json()) == post


def test_the_crawl_pipeline_masks_the_corpus() -> None:
    posts = {}
    for n, row in enumerate(rows()):
        raw = {
            **{k: v for k, v in row.items() if k not in ("id", "source")},
            "native_id": str(n),
            "text": f"<p>{row['text']}</p>",
            "origin": f"https://example.gov.cn/msg/{n}",
        }
        posts[post_id(n)] = prepare(raw, SOURCE)
    assert problems(posts, ("title", "text", "author", "reply")) == []


def test_yuqing_import_masks_the_corpus_in_a_hotline_export(tmp_path: Path) -> None:
    bench = Bench(tmp_path)
    bench.sources({"name": SOURCE, "kind": "hotline", "columns": COLUMNS, "encoding": "utf-8"})
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for n, case in enumerate(CORPUS):
        order = {
            "case_no": str(n),
            "published_at": f"2025-03-18 09:{n % 60:02d}:00",
            "channel": "电话",
            "region": "临江区",
            "category": "城乡建设",
            "title": title(n, case.text),
            "text": body(case.text),
            "assigned_department": DEPARTMENT,
            "status": "已办结",
            "deadline": "2025/3/25 18:00",
            "reply": reply(case.text),
            "replied_at": "2025-03-19 10:00",
        }
        writer.writerow([order[field] for field in COLUMNS])
    export = tmp_path / "export.csv"
    export.write_text(out.getvalue(), encoding="utf-8")

    summary = bench.import_file(export, SOURCE)

    assert (summary.created, summary.quarantined, summary.failed) == (len(CORPUS), 0, 0)
    posts = bench.store.get_many([post_id(n) for n in range(len(CORPUS))])
    assert problems(posts, ("title", "text", "reply")) == []


def corpus_file(path: Path, extra: list[dict[str, Any]] = ()) -> Path:  # type: ignore[assignment]
    lines = [json.dumps(row, ensure_ascii=False) for row in [*rows(), *extra]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_yuqing_load_masks_the_corpus(tmp_path: Path) -> None:
    store = SqlitePostStore(tmp_path / "posts.db")
    report = load_posts(store, read_jsonl(corpus_file(tmp_path / "corpus.jsonl")), analyzer=None)
    assert (report.created, report.failed) == (len(CORPUS), 0)
    posts = store.get_many([post_id(n) for n in range(len(CORPUS))])
    assert problems(posts, ("title", "text", "author", "reply")) == []


# -- the API and the pages ----------------------------------------------------------------------


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return app_settings(tmp_path)


@pytest.fixture
def loaded(app: FastAPI, tmp_path: Path) -> Iterator[TestClient]:
    """The app, the corpus loaded into its store as `yuqing load` loads it, and a client on
    https (where the session cookie is sent whatever its attributes)."""
    report = load_posts(
        app.state.store, read_jsonl(corpus_file(tmp_path / "corpus.jsonl")), analyzer=None
    )
    assert report.created == len(CORPUS)
    with TestClient(app, base_url="https://testserver") as client:
        yield client


def sign_in_to_pages(client: TestClient) -> None:
    form = client.get("/login")
    nonce = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert nonce, form.text
    signed = client.post(
        "/login",
        data={"username": "admin", "password": ADMIN_PASSWORD, "csrf_token": nonce.group(1)},
        follow_redirects=False,
    )
    assert signed.status_code == 303, signed.text


def result_pages(client: TestClient, params: dict[str, str]) -> list[str]:
    """The /search page and each further page of results it links to."""
    first = client.get("/search", params=params)
    assert first.status_code == 200, first.text
    pages = [first.text]
    while (more := re.search(r"cursor=([A-Za-z0-9_-]+)", pages[-1])) is not None:
        assert len(pages) < 20, "no end to the pages"
        reply = client.get("/search/results", params={**params, "cursor": more.group(1)})
        assert reply.status_code == 200, reply.text
        pages.append(reply.text)
    return pages


def leaks(page: str) -> list[str]:
    """The personal numbers of the corpus that `page` shows unmasked."""
    return [case.text for case in PERSONAL if case.text in page]


def test_the_api_gives_the_corpus_masked_by_id_and_in_search(loaded: TestClient) -> None:
    client = loaded
    token = login(client, "admin", ADMIN_PASSWORD)
    by_id = {}
    for n in range(len(CORPUS)):
        got = client.get(f"/api/posts/{post_id(n)}", headers=token)
        assert got.status_code == 200, got.text
        by_id[post_id(n)] = Post.model_validate(got.json())
    assert problems(by_id, ("title", "text", "author", "reply")) == []

    found = client.get("/api/posts/search", params={"source": SOURCE, "limit": 200}, headers=token)
    assert found.status_code == 200, found.text
    assert found.json()["total"] == len(CORPUS)
    hits = {h["post"]["id"]: Post.model_validate(h["post"]) for h in found.json()["hits"]}
    assert problems(hits, ("title", "text", "author", "reply")) == []
    assert leaks(found.text) == []  # the snippets too
    # The numbers are not in the index either.
    for number in ("13812345601", "11010519491231002X", "6222021234567890123"):
        searched = client.get("/api/posts/search", params={"q": number}, headers=token)
        assert searched.json()["total"] == 0, number


def test_the_search_page_and_its_export_show_the_corpus_masked(loaded: TestClient) -> None:
    client = loaded
    sign_in_to_pages(client)
    # The work orders with a personal number, every page of them.
    pages = result_pages(client, {"source": SOURCE, "department": DEPARTMENT})
    assert leaks("".join(pages)) == []
    for n, case in enumerate(CORPUS):
        if case.personal:
            assert sum(title(n, case.masked) in page for page in pages) == 1, n
            assert sum(body(case.masked) in page for page in pages) == 1, n

    export = client.get("/search/export.xlsx", params={"source": SOURCE})
    assert export.status_code == 200, export.text
    sheet = openpyxl.load_workbook(io.BytesIO(export.content), read_only=True).active
    header, *cells = list(sheet.iter_rows(values_only=True))
    column = {name: header.index(name) for name in ("帖文编号", "标题", "内容", "作者")}
    exported = {
        row[column["帖文编号"]]: {
            "title": row[column["标题"]],
            "text": row[column["内容"]],
            "author": row[column["作者"]],
        }
        for row in cells
    }
    assert len(exported) == len(CORPUS)
    found = []
    for n, case in enumerate(CORPUS):
        found += wrong(n, case, exported[post_id(n)])
    assert found == []


def test_the_handler_page_shows_the_work_orders_masked(loaded: TestClient) -> None:
    client = loaded
    token = login(client, "admin", ADMIN_PASSWORD)
    created = client.post(
        "/api/departments", json={"code": "zjj", "name": DEPARTMENT}, headers=token
    )
    assert created.status_code == 201, created.text
    sign_in_to_pages(client)
    page = client.get("/handler", params={"department_id": created.json()["id"]})
    assert page.status_code == 200, page.text
    assert leaks(page.text) == []
    for n, case in enumerate(CORPUS):
        if case.personal:  # the department's work orders
            assert title(n, case.masked) in page.text, n


# -- the command line: search, hot issues, the daily brief ------------------------------------


def burst(now: datetime) -> tuple[list[dict[str, Any]], list[Case]]:
    """A water outage reported in the last hour, each report carrying a caller's number in its
    title and text: the clustering job flags it, and titles it with one of the reports."""
    cases = PERSONAL[:: max(1, len(PERSONAL) // len(OUTAGE))][: len(OUTAGE)]
    posts = [
        {
            "id": f"burst:{i}",
            "source": f"src-{kind}",
            "kind": kind,
            "title": f"望潮苑停水，{case.text}",
            "text": f"{text}，{case.text}",
            "published_at": (now - timedelta(minutes=50 - 4 * i)).isoformat(),
        }
        for i, ((kind, text), case) in enumerate(zip(OUTAGE, cases, strict=True))
    ]
    return posts, cases


def document_text(path: Path) -> str:
    if path.suffix == ".docx":
        document = Document(str(path))
        cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
        return "\n".join([p.text for p in document.paragraphs] + cells)
    book = openpyxl.load_workbook(path, read_only=True)
    return "\n".join(
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )


def test_yuqing_search_hot_issues_and_the_daily_brief_show_the_corpus_masked(
    run, tmp_path: Path
) -> None:
    now = datetime.now(SHANGHAI)
    outage, cases = burst(now)
    loaded = run("load", str(corpus_file(tmp_path / "corpus.jsonl", outage)))
    assert loaded.returncode == 0, loaded.stderr
    assert f"{len(CORPUS) + len(outage)} created" in loaded.stdout

    found = run("search", "--source", SOURCE, "--limit", "500", "--json")
    assert found.returncode == 0, found.stderr
    posts = {p.id: p for p in map(Post.model_validate_json, found.stdout.splitlines())}
    assert problems(posts, ("title", "text", "author", "reply")) == []
    listed = run("search", "--source", SOURCE, "--limit", "500")
    assert listed.returncode == 0, listed.stderr
    assert leaks(listed.stdout) == []
    for n, case in enumerate(CORPUS):
        assert f"{post_id(n)}  {title(n, case.masked)}" in listed.stdout
    nothing = run("search", "13812345601")
    assert nothing.stdout.strip().endswith("0 posts match"), nothing.stdout

    analyzed = run("analyze", "--json", YUQING_ALERTS__THRESHOLD="50")
    assert analyzed.returncode == 0, analyzed.stderr
    hot = run("hot-issues", "--json")
    assert hot.returncode == 0, hot.stderr
    titles = [issue["title"] for issue in json.loads(hot.stdout)]
    # The label is one report's title, masked, or the topic's place and event words.
    masked_titles = {f"望潮苑停水，{case.masked}" for case in cases} | {"望潮苑停水"}
    assert set(titles) & masked_titles, titles
    assert leaks(hot.stdout) == []

    report = run("report", "daily", "--date", f"{now:%Y-%m-%d}", "--out", str(tmp_path / "out"))
    assert report.returncode == 0, report.stderr
    for path in map(Path, report.stdout.split()):
        text = document_text(path)
        assert set(titles) & masked_titles & set(text.splitlines()), (path, text[:2000])
        assert leaks(text) == [], path
