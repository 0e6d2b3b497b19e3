"""12345 hotline exports: imported by hand (CSV, XLSX, JSON) and crawled over HTTP."""

from __future__ import annotations

import json
import resource
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path

import pytest
import yaml

from analysis.enrich import AnalysisFiles, PostAnalyzer
from api.sources.recorder import DatabaseRunRecorder
from core.errors import ExportError
from core.settings import load_settings
from core.timezone import SHANGHAI
from crawler.runner import import_rows
from crawler.sources import HotlineSource
from crawler.tabular import read_file
from store.sqlite import SqlitePostStore
from tests.crawler import site_hotline
from tests.crawler.blocks import OFFLINE, hotline
from tests.crawler.harness import Bench, results, spider_for
from tests.crawler.server import FixtureServer
from tests.crawler.site_hotline import COLUMNS

NAME = "hotline"
GOOD_IDS = [f"{NAME}:HL2025031800{n:02d}" for n in range(1, 6)]


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def test_a_gbk_csv_lands_good_orders_masked_and_reports_bad_rows_by_line(bench: Bench) -> None:
    bench.sources(hotline())
    data, expected = site_hotline.csv_export("gbk")
    summary = bench.import_file(write(bench.root, "export.csv", data), NAME)

    assert summary.line().startswith("hotline: 5 items, 5 new, 0 updated, 0 unchanged, 6 failed")
    assert summary.status == "partial" and summary.quarantined == 6
    quarantined = {q["origin"]: q["reason"] for q in bench.quarantined(NAME)}
    assert set(quarantined) == {f"export.csv:{line}" for line in expected}
    for line, part in expected.items():
        assert part in quarantined[f"export.csv:{line}"]
        assert quarantined[f"export.csv:{line}"].startswith(f"line {line}:")
    assert "column 受理时间" in quarantined["export.csv:7"]
    assert "missing 诉求分类, 诉求标题, 诉求内容" in quarantined["export.csv:3"]

    store = bench.store
    assert store.count() == 5
    posts = store.get_many(GOOD_IDS)
    one = posts[f"{NAME}:HL202503180001"]
    assert (one.kind, one.case_no, one.channel, one.assigned_department, one.status) == (
        "hotline",
        "HL202503180001",
        "电话",
        "市水务集团",
        "已办结",
    )
    assert one.author is None and (one.region, one.category) == ("临江区", "城乡建设")
    assert one.published_at == site_hotline.when("2025-03-18 09:15:00")
    assert one.deadline == datetime(2025, 3, 21, 18, 0, tzinfo=SHANGHAI)
    assert one.deadline.utcoffset() == timedelta(hours=8)
    assert one.reply is not None and one.reply.text == "您好，第1号工单已处理。"
    assert one.reply.replied_at == datetime(2025, 3, 19, 10, 1, tzinfo=SHANGHAI)
    for number in ("13912345678", "110101199003071234", "6222 0212 3456 7890 123", "87654321"):
        assert number not in one.text
    for masked in ("*******5678", "**************1234", "***************0123", "********4321"):
        assert masked in one.text
    two = posts[f"{NAME}:HL202503180002"]
    assert two.text == "夜间施工噪音扰民，\n凌晨两点仍在施工，\n请处理。"
    assert two.reply is None and two.status == "办理中"
    assert posts[f"{NAME}:HL202503180004"].title == ""


def test_xlsx_json_and_the_same_csv_again_give_the_same_posts(bench: Bench) -> None:
    bench.sources(hotline())
    csv_data, _ = site_hotline.csv_export("gbk")
    csv_path = write(bench.root, "export.csv", csv_data)
    assert bench.import_file(csv_path, NAME).created == 5
    before = {
        post_id: post.content_hash() for post_id, post in bench.store.get_many(GOOD_IDS).items()
    }

    xlsx_data, xlsx_bad = site_hotline.xlsx_export()
    json_data, json_bad = site_hotline.json_export()
    exports = [
        ("export.xlsx", xlsx_data, {f"export.xlsx:{row}": part for row, part in xlsx_bad.items()}),
        ("export.json", json_data, {f"export.json{at}": part for at, part in json_bad.items()}),
        ("export.csv", csv_data, None),
    ]
    for name, data, bad in exports:
        summary = bench.import_file(write(bench.root, name, data), NAME)
        # Same content, same hash: nothing is created or rewritten.
        assert summary.line().startswith("hotline: 5 items, 0 new, 0 updated, 5 unchanged"), name
        if bad is not None:
            reasons = {q["origin"]: q["reason"] for q in bench.quarantined(NAME)}
            assert summary.quarantined == len(bad) == 5, name
            for origin, part in bad.items():
                assert part in reasons[origin], (origin, reasons.get(origin))
    after = bench.store.get_many(GOOD_IDS)
    assert {post_id: post.content_hash() for post_id, post in after.items()} == before
    assert bench.store.count() == 5


@pytest.mark.parametrize(
    ("file", "data", "source", "messages"),
    [
        ("empty.csv", b"", NAME, ["empty.csv: the file is empty"]),
        (
            "gbk.csv",
            site_hotline.csv_export("gbk")[0],
            "hotline-utf8",
            ["gbk.csv is not utf-8 text as source hotline-utf8 says", "looks like gb18030"],
        ),
        (
            "other.csv",
            "编号,时间\n1,2\n".encode(),
            NAME,
            ["no header row", "line 1 has 编号, 时间; missing 工单编号; 受理时间"],
        ),
    ],
    ids=["empty", "wrong-encoding", "no-header"],
)
def test_an_empty_file_or_one_in_the_wrong_encoding_is_one_clear_error(
    bench: Bench, file: str, data: bytes, source: str, messages: list[str]
) -> None:
    bench.sources(hotline(), hotline("hotline-utf8", encoding="utf-8"))
    with pytest.raises(ExportError) as caught:
        bench.import_file(write(bench.root, file, data), source)
    for message in messages:
        assert message in str(caught.value)
    assert bench.store.count() == 0
    assert bench.recorder.runs[-1]["status"] == "failed"
    assert bench.recorder.runs[-1]["message"].startswith("ExportError: ")


def test_the_spider_reads_an_export_over_http_and_a_second_run_adds_nothing(
    bench: Bench,
) -> None:
    block = hotline(url=f"{OFFLINE}/hotline/export.csv")
    _, expected = site_hotline.csv_export("gbk")
    with bench.run(block) as context:
        rows, requests = results(spider_for(context).parse(bench.pages.response(block["url"])))
        for row in rows:
            context.accept(row)
    assert requests == []
    assert [row["case_no"] for row in rows] == [f"HL2025031800{n:02d}" for n in range(1, 6)]
    assert rows[0]["origin"] == "export.csv:2" and rows[0]["kind"] == "hotline"
    first = context.summary
    assert first is not None
    assert first.line().startswith("hotline: 5 items, 5 new, 0 updated, 0 unchanged, 6 failed")
    origins = {q["origin"] for q in bench.quarantined(NAME)}
    assert origins == {f"export.csv:{line}" for line in expected}
    assert bench.store.get(GOOD_IDS[0]).reply.text == "您好，第1号工单已处理。"

    second, walk = bench.walk(block)
    assert second.line().startswith("hotline: 5 items, 0 new, 0 updated, 5 unchanged")
    assert walk.fetched == [block["url"]]
    assert bench.store.count() == 5


def test_an_empty_export_or_no_url_is_an_error_of_the_run(bench: Bench) -> None:
    empty, _ = bench.walk(hotline("hotline-empty", url=f"{OFFLINE}/hotline/empty.csv"))
    assert empty.line().startswith("hotline-empty: 0 items") and empty.status == "partial"
    assert empty.errors == [f"{OFFLINE}/hotline/empty.csv: empty.csv: the file is empty"]
    nowhere, walk = bench.walk(hotline("hotline-file"))
    assert walk.fetched == [] and nowhere.status == "partial"
    assert nowhere.errors == [
        "source hotline-file has no url; import its exports with `yuqing import`"
    ]


def test_on_scrapy_s_engine_the_export_is_fetched_once_a_run(
    bench: Bench, fixture_server: FixtureServer
) -> None:
    url = fixture_server.url
    blocks = (
        hotline(url=f"{url}/hotline/export.csv"),
        hotline("hotline-empty", url=f"{url}/hotline/empty.csv"),
    )
    first = bench.crawl(*blocks)
    assert (
        first[NAME].line().startswith("hotline: 5 items, 5 new, 0 updated, 0 unchanged, 6 failed")
    )
    assert first["hotline-empty"].errors == [
        f"{url}/hotline/empty.csv: empty.csv: the file is empty"
    ]
    second = bench.crawl(blocks[0])
    assert second[NAME].line().startswith("hotline: 5 items, 0 new, 0 updated, 5 unchanged")
    assert fixture_server.hits["/hotline/export.csv"] == 2
    assert bench.store.count() == 5


# -- a 50 MB export ----------------------------------------------------------------------------

BIG_BYTES = 50 * 1024 * 1024
PIPELINE_ROWS = 3000


@pytest.fixture(scope="module")
def big_export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, dict[int, str]]:
    """A GBK export of short orders, a bad row every 997 and a two-line text every 1999."""
    path = tmp_path_factory.mktemp("big") / "big.csv"
    bad: dict[int, str] = {}
    good = 0
    with path.open("wb") as out:
        out.write((",".join(COLUMNS.values()) + "\r\n").encode("gbk"))
        line, size, n = 2, 0, 0
        while size < BIG_BYTES:
            n += 1
            row, part = _big_row(n)
            if part is None:
                good += 1
            else:
                bad[line] = part
            data = row.encode("gbk")
            out.write(data)
            size += len(data)
            line += row.count("\n")
    return path, good, bad


def _big_row(n: int) -> tuple[str, str | None]:
    case, at = f"HLB{n:08d}", f"2025-03-18 {n % 24:02d}:{n % 60:02d}"
    text = f'"停水第{n % 7}天\n请处理"' if n % 1999 == 0 else f"小区停水第{n % 31}天"
    fields = [
        case,
        at,
        "电话",
        "临江区",
        "城建",
        "",
        text,
        "水务集团",
        "办理中",
        "2025-03-20",
        "",
        "",
    ]
    part = None
    if n % 997 == 0:
        kind = (n // 997) % 3
        if kind == 0:
            fields, part = fields[:5], "missing 诉求标题"
        elif kind == 1:
            fields[1], part = "2025-02-30 08:00", "column 受理时间"
        else:
            fields[0], part = "", "no case number"
    return ",".join(fields) + "\r\n", part


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_a_50_mb_csv_is_streamed_and_its_bad_rows_reported_by_line(big_export) -> None:
    path, good, bad = big_export
    source = HotlineSource(name=NAME, kind="hotline", columns=COLUMNS)
    peak_before = _peak_rss_mb()
    reasons, seen, last = {}, 0, ""
    for origin, raw, reason in read_file(path, source):
        if raw is None:
            reasons[origin] = reason
        else:
            seen, last = seen + 1, origin
    assert path.stat().st_size >= BIG_BYTES
    assert seen == good > 400_000
    assert set(reasons) == {f"big.csv:{line}" for line in bad}
    for line, part in bad.items():
        assert part in reasons[f"big.csv:{line}"] and f"line {line}" in reasons[f"big.csv:{line}"]
    # Lines are counted through every two-line text up to the last row of the file.
    with path.open("rb") as stream:
        assert last == f"big.csv:{sum(1 for _ in stream)}"
    # Holding the rows would take gigabytes; streaming keeps the process where it was.
    assert _peak_rss_mb() - peak_before < 200


def test_the_large_export_lands_through_the_pipeline_in_a_real_store(big_export, tmp_path) -> None:
    path, _, bad = big_export
    settings = load_settings(
        data_dir=tmp_path,
        store={"backend": "sqlite", "sqlite_path": tmp_path / "posts.db"},
        database={"url": f"sqlite:///{tmp_path}/tracker.db"},
        crawler={
            "sources_file": tmp_path / "sources.yaml",
            "spool_dir": tmp_path / "spool",
            "quarantine_dir": tmp_path / "quarantine",
        },
    )
    blocks = {"sources": [hotline()]}
    settings.crawler.sources_file.write_text(yaml.safe_dump(blocks, allow_unicode=True), "utf-8")
    source = HotlineSource(name=NAME, kind="hotline", columns=COLUMNS)
    # Only the first rows: analysing every post of 50 MB takes far longer than a test may.
    wiring = {
        "recorder": DatabaseRunRecorder(settings.database.url),
        "analyzer": PostAnalyzer(AnalysisFiles(neardup_db=tmp_path / "neardup.db")),
        "store": SqlitePostStore(tmp_path / "posts.db"),
    }
    summary = import_rows(settings, NAME, islice(read_file(path, source), PIPELINE_ROWS), **wiring)
    last_line = PIPELINE_ROWS + 1 + PIPELINE_ROWS // 1999
    bad_here = {line: part for line, part in bad.items() if line <= last_line}
    assert summary.created == PIPELINE_ROWS - len(bad_here) and summary.quarantined == 3
    assert SqlitePostStore(tmp_path / "posts.db").count() == summary.created
    quarantine = tmp_path / "quarantine" / f"{NAME}.jsonl"
    records = [json.loads(line) for line in quarantine.read_text("utf-8").splitlines()]
    assert {r["origin"]: r["reason"].split(":")[0] for r in records} == {
        f"big.csv:{line}": f"line {line}" for line in bad_here
    }
    again = import_rows(settings, NAME, islice(read_file(path, source), PIPELINE_ROWS), **wiring)
    assert (again.created, again.unchanged) == (0, summary.created)
