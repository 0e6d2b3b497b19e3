"""The quarterly bulletin (季度通报) downloaded as DOCX and XLSX and read back: its ranking is
GET /api/reports/ranking's, number for number, and every breached clock of the quarter is
listed. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.issues.sla import CLOCK_LABELS, ClockKind
from core.settings import Settings
from core.timezone import SHANGHAI
from tests.helpers import ADMIN_PASSWORD, Headers, assert_error
from tests.reports.reading import (
    docx,
    docx_table,
    download,
    one_decimal,
    percent,
    sheet_rows,
    xlsx,
)
from tests.reports.seeding import Tracker

QUARTER = "2025Q3"
RANKING_HEADER = [
    "排名", "部门", "事项数", "已办结", "已排除", "在办", "办结率", "按时率", "超时次数",
    "交办用时中位数（小时）", "首次发布用时中位数（小时）", "综合得分",
]  # fmt: skip
BY_CLOCK_HEADER = ["部门", "时限", "按时", "超时", "按时率"]
BREACH_HEADER = [
    "序号", "事项编号", "事项", "牵头单位", "时限", "开始时间", "应完成时间", "完成时间",
    "超时（小时）", "情况",
]  # fmt: skip


def at(month: int, day: int, hour: int) -> datetime:
    return datetime(2025, month, day, hour, tzinfo=SHANGHAI)


def seed_quarter(client: TestClient, admin: Headers) -> dict[str, int]:
    """Two departments with issues in 2025Q3, one without; an issue without a department and
    one in the next quarter, which the bulletin must leave out of the ranking."""
    t = Tracker(client, admin)
    water = t.department("swj", "市水务局")
    housing = t.department("zjj", "市住建局")
    t.department("jtj", "市交通局")
    # 重大: first statement due in 5 h (made at 6 h: breached by 1 h), conference in 24 h (met).
    outage = t.issue("望潮苑片区停水", "major", at(7, 10, 8), water)
    t.status(outage, "assigned")
    t.briefing("press_release", "关于望潮苑停水的情况通报", at(7, 10, 14), [outage])
    t.briefing("press_conference", "望潮苑停水新闻发布会", at(7, 10, 20), [outage])
    t.status(outage, "closed", "已恢复供水")
    # 一般: response due in 48 h, given after 3 h.
    pipes = t.issue("老旧管网改造进度", "general", at(8, 1, 9), water)
    t.status(pipes, "assigned")
    t.briefing("press_release", "老旧管网改造进度说明", at(8, 1, 12), [pipes])
    # never answered: breached and still open; and one dismissed the same way
    zoning = t.issue("学区划片调整", "relatively_major", at(9, 20, 10), housing)
    duplicate = t.issue("学区划片调整（重复线索）", "general", at(9, 25, 10), housing)
    t.status(duplicate, "dismissed", "与学区划片调整为同一事项")
    orphan = t.issue("夜间异味", "general", at(8, 15, 22))
    t.issue("十月的停车难", "general", at(10, 2, 9), housing)
    return {"water": water, "housing": housing, "outage": outage, "zoning": zoning,
            "orphan": orphan}  # fmt: skip


def ranking_rows(ranking: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (
            d["rank"], d["name"], d["issues"], d["closed"], d["dismissed"],
            sum(d["open_by_age"].values()), d["closure_rate"], d["on_time_rate"], d["breaches"],
            d["hours_to_assignment"]["median"], d["hours_to_first_statement"]["median"],
            d["score"],
        )
        for d in ranking["departments"]
    ]  # fmt: skip


def test_the_bulletin_holds_the_apis_ranking_and_every_breached_clock(
    app: FastAPI, client: TestClient, admin: Headers, settings: Settings
) -> None:
    ids = seed_quarter(client, admin)
    leader = Tracker(client, admin).user("boss", "leader", "boss-password-1")
    reply = client.get("/api/reports/ranking", params={"quarter": QUARTER}, headers=leader)
    assert reply.status_code == 200, reply.text
    ranking = reply.json()
    departments = {d["name"]: d for d in ranking["departments"]}
    # The API's figures are what the seed says, so matching them below means something.
    assert list(departments) == ["市水务局", "市住建局"]
    water = departments["市水务局"]
    assert (water["issues"], water["closed"], water["breaches"]) == (2, 1, 1)
    assert water["on_time_rate"] == round(2 / 3, 4)
    assert water["hours_to_first_statement"]["median"] == 4.5  # of 6 h and 3 h
    assert departments["市住建局"]["dismissed"] == 1
    expected = ranking_rows(ranking)
    params = {"quarter": QUARTER.lower()}

    workbook = xlsx(
        download(client, "/api/reports/quarterly.xlsx", leader, params, "季度通报_2025Q3.xlsx")
    )
    assert sheet_rows(workbook, "部门排名", RANKING_HEADER) == expected
    by_clock = sheet_rows(workbook, "分类按时率", BY_CLOCK_HEADER)
    assert by_clock == [
        (d["name"], CLOCK_LABELS[ClockKind(kind)], c["met"], c["breached"], c["rate"])
        for d in ranking["departments"]
        for kind, c in d["on_time_by_clock"].items()
    ]
    assert ("市水务局", "首次权威发布", 0, 1, 0.0) in by_clock
    assert workbook["部门排名"]["H2"].number_format == "0.0%"
    breaches = sheet_rows(workbook, "超时清单", BREACH_HEADER)
    for name, department in departments.items():
        listed = [row for row in breaches if row[3] == name]
        assert len(listed) == department["breaches"], name
    first = next(row for row in breaches if row[1] == ids["outage"])
    assert first[2:5] == ("望潮苑片区停水", "市水务局", "首次权威发布")
    assert first[5:8] == (
        datetime(2025, 7, 10, 8),
        datetime(2025, 7, 10, 13),
        datetime(2025, 7, 10, 14),
    )
    assert first[8] == 1.0 and first[9] == "超时完成"
    zoning = next(row for row in breaches if row[1] == ids["zoning"])
    assert zoning[7] is None and zoning[9] == "超时未完成" and zoning[8] > 24 * 365
    # The issue nobody leads is listed (last), though the ranking cannot count it.
    assert breaches[-1][1:4] == (ids["orphan"], "夜间异味", "（未指定牵头单位）")
    assert [row[0] for row in breaches] == list(range(1, len(breaches) + 1))
    assert not any(row[2] == "十月的停车难" for row in breaches)

    document = docx(
        download(client, "/api/reports/quarterly.docx", leader, params, "季度通报_2025Q3.docx")
    )
    shown = docx_table(document, RANKING_HEADER)
    assert shown == [
        [
            str(row[0]), row[1], str(row[2]), str(row[3]), str(row[4]), str(row[5]),
            percent(row[6]), percent(row[7]), str(row[8]), one_decimal(row[9]),
            one_decimal(row[10]), one_decimal(row[11]),
        ]
        for row in expected
    ]  # fmt: skip
    assert shown[0][:2] == ["1", "市水务局"] and shown[0][7] == "66.7%"
    assert len(docx_table(document, BREACH_HEADER)) == len(breaches)
    assert len(docx_table(document, BY_CLOCK_HEADER)) == len(by_clock)
    assert len(document.inline_shapes) == 1  # the score chart
    text = "\n".join(p.text for p in document.paragraphs)
    assert "2025年第三季度" in text and "共有2个部门牵头办理舆情事项4件" in text


def test_an_empty_quarter_is_a_valid_bulletin_without_a_ranking(
    client: TestClient, admin: Headers
) -> None:
    params = {"quarter": "2024Q1"}
    document = docx(
        download(client, "/api/reports/quarterly.docx", admin, params, "季度通报_2024Q1.docx")
    )
    assert document.tables == [] and len(document.inline_shapes) == 0
    assert any("本季度无可排名的部门" in p.text for p in document.paragraphs)
    workbook = xlsx(
        download(client, "/api/reports/quarterly.xlsx", admin, params, "季度通报_2024Q1.xlsx")
    )
    assert sheet_rows(workbook, "部门排名", RANKING_HEADER) == []


def test_a_malformed_quarter_is_refused(client: TestClient, admin: Headers) -> None:
    reply = client.get("/api/reports/quarterly.xlsx", params={"quarter": "2025Q5"}, headers=admin)
    assert reply.status_code == 422, reply.text


def test_the_default_quarter_is_the_last_completed_one(settings: Settings) -> None:
    from api.reports.quarterly import default_quarter

    assert default_quarter(settings, datetime(2026, 11, 27, 3, tzinfo=SHANGHAI)) == "2026Q3"
    # 1 January 00:30 in Shanghai is still 31 December in UTC: the local date decides.
    new_year = datetime(2026, 1, 1, 0, 30, tzinfo=SHANGHAI)
    assert default_quarter(settings, new_year) == "2025Q4"
    assert default_quarter(settings, new_year - timedelta(hours=1)) == "2025Q3"


@pytest.mark.parametrize("quarter", ["9999Q4", "0000Q1", "1999Q4", "2100Q1"])
def test_a_quarter_out_of_range_is_a_422(client: TestClient, admin: Headers, quarter: str) -> None:
    # 9999Q4 ends in the year 10000 and 0000Q1 begins in year 0: both were a 500.
    for path in ("ranking", "quarterly.docx", "quarterly.xlsx"):
        reply = client.get(f"/api/reports/{path}", params={"quarter": quarter}, headers=admin)
        error = assert_error(reply, 422, "ValidationError")
        assert f"a quarter is one of 2000Q1 to 2099Q4, not '{quarter}'" in error["message"]
    # The leader page's ranking fragment, which takes the same parameter.
    login = client.get("/login").text
    nonce = re.search(r'name="csrf_token" value="([^"]+)"', login)
    assert nonce is not None
    form = {"username": "admin", "password": ADMIN_PASSWORD, "csrf_token": nonce.group(1)}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303
    assert client.get("/leader/ranking", params={"quarter": "2025Q3"}).status_code == 200
    assert_error(client.get("/leader/ranking", params={"quarter": quarter}), 422)
    assert_error(client.get("/leader", params={"quarter": quarter}), 422)


def test_the_first_and_last_quarters_have_figures(client: TestClient, admin: Headers) -> None:
    for quarter, start in (("2000Q1", "2000-01-01T00:00:00+08:00"), ("2099q4", "2099-10-01")):
        reply = client.get("/api/reports/ranking", params={"quarter": quarter}, headers=admin)
        assert reply.status_code == 200, reply.text
        assert reply.json()["from"].startswith(start)
