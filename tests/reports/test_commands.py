"""`yuqing report daily|quarterly` run as a user runs it, and the scheduler's morning brief."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from api.database import session_scope
from api.issues.service import create_issue
from api.migrating import migrate
from api.reports.daily import default_day
from core.errors import ConfigError
from core.settings import load_settings
from core.timezone import SHANGHAI
from tests.reports.reading import SOURCE_HEADER, docx, docx_table, sheet_rows, xlsx
from tests.reports.test_daily import NEW_HEADER
from yuqing.scheduler import build_scheduler


def write_posts(path: Path) -> Path:
    lines = [
        {"id": "r:1", "source": "demo-board", "kind": "board", "title": "停水",
         "text": "望潮苑停水", "published_at": "2025-03-01T09:00:00+08:00", "sentiment": 0.1},
        {"id": "r:2", "source": "demo-board", "kind": "board", "title": "停水",
         "text": "还是没水", "published_at": "2025-03-01T21:00:00+08:00", "sentiment": 0.2},
        {"id": "r:3", "source": "demo-weibo", "kind": "microblog", "text": "来水了",
         "published_at": "2025-03-01T23:59:00+08:00", "sentiment": 0.9},
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), "utf-8")
    return path


def test_the_report_command_writes_both_documents_and_prints_their_paths(
    run,
    tmp_path: Path,
) -> None:
    loaded = run("load", str(write_posts(tmp_path / "posts.jsonl")), "--no-analyse")
    assert loaded.returncode == 0, loaded.stderr
    out = tmp_path / "out"

    daily = run("report", "daily", "--date", "2025-03-01", "--out", str(out))
    assert daily.returncode == 0, daily.stderr
    assert daily.stdout.splitlines() == [
        str(out / "舆情日报_2025-03-01.docx"),
        str(out / "舆情日报_2025-03-01.xlsx"),
    ]
    document = docx((out / "舆情日报_2025-03-01.docx").read_bytes())
    assert document.tables and len(document.inline_shapes) == 2
    workbook = xlsx((out / "舆情日报_2025-03-01.xlsx").read_bytes())
    sources = sheet_rows(workbook, "来源声量", SOURCE_HEADER)
    assert [row[1:3] for row in sources] == [("demo-board", 2), ("demo-weibo", 1), (None, 3)]

    # Without --out: the reports directory under the data directory; the last full quarter.
    quarterly = run("report", "quarterly")
    assert quarterly.returncode == 0, quarterly.stderr
    paths = [Path(line) for line in quarterly.stdout.splitlines()]
    assert [p.parent for p in paths] == [tmp_path / "reports"] * 2
    assert re.fullmatch(r"季度通报_\d{4}Q[1-4]\.docx", paths[0].name), paths
    assert paths[0].name != f"季度通报_{_current_quarter()}.docx"
    ranking = xlsx(paths[1].read_bytes())["部门排名"]
    assert [c.value for c in ranking[1][:3]] == ["排名", "部门", "事项数"]
    assert ranking.max_row == 1  # nothing tracked: the header alone
    assert docx(paths[0].read_bytes()).paragraphs[0].text == "舆情回应工作季度通报"


def test_a_title_xml_cannot_hold_does_not_break_the_brief(run, tmp_path: Path) -> None:
    settings = load_settings(
        data_dir=tmp_path, database={"url": f"sqlite:///{tmp_path / 'tracker.db'}"}
    )
    migrate(settings.database.url)
    with session_scope(settings.database.url) as session:
        create_issue(session=session, title="a\u0000b", settings=settings)
    today = datetime.now(SHANGHAI).date().isoformat()

    result = run("report", "daily", "--date", today, "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr  # was a traceback: a NUL is not XML
    docx_path, xlsx_path = (Path(line) for line in result.stdout.splitlines())
    new = sheet_rows(xlsx(xlsx_path.read_bytes()), "新增跟踪事项", NEW_HEADER)
    assert [row[1] for row in new] == ["a\ufffdb"]
    assert [row[1] for row in docx_table(docx(docx_path.read_bytes()), NEW_HEADER)] == ["a\ufffdb"]


def test_bad_report_options_are_one_line_errors(run) -> None:
    known = "a quarter is one of 2000Q1 to 2099Q4"  # 9999Q4 and 0000Q1 were tracebacks
    for args, message in (
        (("quarterly", "--quarter", "2025Q9"), "a quarter is written like 2025Q3, not '2025Q9'"),
        (("quarterly", "--quarter", "9999Q4"), f"{known}, not '9999Q4'"),
        (("quarterly", "--quarter", "0000Q1"), f"{known}, not '0000Q1'"),
        (("daily", "--quarter", "2025Q1"), "--quarter is for the quarterly bulletin"),
        (("quarterly", "--date", "2025-03-01"), "--date is for the daily brief"),
    ):
        result = run("report", *args)
        assert result.returncode == 2, result.stderr
        assert result.stderr.splitlines() == [f"error: {message}"], result.stderr


def _current_quarter() -> str:
    today = datetime.now(SHANGHAI).date()
    return f"{today.year}Q{(today.month - 1) // 3 + 1}"


def test_the_scheduler_writes_yesterdays_brief_at_the_configured_time(tmp_path: Path) -> None:
    settings = load_settings(
        data_dir=tmp_path,
        store={"sqlite_path": tmp_path / "posts.db"},
        database={"url": f"sqlite:///{tmp_path / 'tracker.db'}"},
        reports={"daily_at": "06:45", "out_dir": tmp_path / "briefs"},
    )
    job = {job.id: job for job in build_scheduler(settings).get_jobs()}["daily-brief"]
    fields = {field.name: str(field) for field in job.trigger.fields}
    assert (fields["hour"], fields["minute"], fields["second"]) == ("6", "45", "0")
    assert str(job.trigger.timezone) == "Asia/Shanghai"
    assert (job.max_instances, job.coalesce) == (1, True)

    before = default_day(settings)
    job.func()
    days = {before, default_day(settings)}  # two if the run straddled midnight
    written = sorted(p.name for p in (tmp_path / "briefs").iterdir())
    assert any(written == [f"舆情日报_{day}.docx", f"舆情日报_{day}.xlsx"] for day in days), written
    assert before == datetime.now(SHANGHAI).date() - timedelta(days=1) or (len(days) == 2)
    assert docx((tmp_path / "briefs" / written[0]).read_bytes()).tables


def test_the_brief_time_is_checked() -> None:
    assert load_settings().reports.daily_at == "07:30"
    with pytest.raises(ConfigError, match="daily_at"):
        load_settings(reports={"daily_at": "7:30"})
