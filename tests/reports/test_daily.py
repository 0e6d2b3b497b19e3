"""The daily brief (舆情日报) downloaded as DOCX and XLSX and read back: its volumes and
sentiment are GET /api/posts/aggregate's for the same days, its hot issues those active on the
day with their explanations, and its deadlines exactly those due next or missed, as of the
day's end. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.hot_issues.models import HotIssue
from core.timezone import SHANGHAI
from tests.helpers import Headers
from tests.reports.reading import (
    SOURCE_HEADER,
    docx,
    docx_table,
    download,
    percent,
    sheet_rows,
    xlsx,
)
from tests.reports.seeding import Tracker, set_created_at

DAY = datetime(2025, 9, 10, tzinfo=SHANGHAI)  # a Wednesday
HOT_HEADER = [
    "序号", "热点问题", "当前热度", "标记时热度", "帖子数", "关键词", "标记时间", "状态",
    "跟踪事项", "研判说明",
]  # fmt: skip
NEW_HEADER = ["编号", "事项", "等级", "状态", "牵头单位", "发现时间", "立项时间"]
DUE_HEADER = ["编号", "事项", "牵头单位", "时限", "应完成时间", "剩余（小时）"]
BREACHED_HEADER = [
    "编号", "事项", "牵头单位", "时限", "应完成时间", "完成时间", "超时（小时）", "情况",
]  # fmt: skip
SENTIMENT_HEADER = ["日期", "总量", "负面", "中性", "正面", "未评分", "负面占比"]


def at(days: int, hour: int, minute: int = 0) -> datetime:
    """A time `days` after the brief's day, Shanghai time."""
    return DAY + timedelta(days=days, hours=hour, minutes=minute)


def naive(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None)


def posts() -> list[dict[str, Any]]:
    rows = [
        ("demo-board", 0, 9, 0.1), ("demo-board", 0, 10, 0.2), ("demo-board", 0, 23, 0.5),
        ("demo-weibo", 0, 0, 0.7), ("demo-weibo", 0, 10, None), ("city-board", 0, 15, 0.9),
        ("demo-board", -1, 8, 0.1), ("demo-news", -1, 9, 0.5), ("demo-news", -1, 22, 0.05),
        ("demo-weibo", -6, 12, 0.3),
        ("demo-weibo", -7, 12, 0.3),  # before the seven days of the trend
        ("demo-board", 1, 0, 0.1),  # 24:00: the next day
    ]  # fmt: skip
    return [
        {
            "id": f"p{n}",
            "source": source,
            "kind": "board",
            "title": f"留言{n}",
            "text": "望潮苑片区停水，自来水公司没有通知",
            "published_at": at(days, hour).isoformat(),
            "sentiment": sentiment,
            "keywords": ["停水", "望潮苑"],
        }
        for n, (source, days, hour, sentiment) in enumerate(rows)
    ]


def hot_issue(title: str, score: float, flagged: datetime, last_seen: datetime, **extra: Any):
    return HotIssue(
        title=title,
        keywords=["停水", "望潮苑", "临江区"],
        centroid={},
        as_of=last_seen,
        first_seen=flagged - timedelta(hours=1),
        last_seen=last_seen,
        size=30,
        signals=[],
        explanation=[f"{title}：近1小时{int(score)}条，为7日均值的9倍", "负面占比80%"],
        stats={},
        flagged_at=flagged,
        flag_explanation=[],
        flag_score=75.0,
        score=score,
        **extra,
    )


def seed_day(app: FastAPI, client: TestClient, admin: Headers) -> dict[str, int]:
    app.state.store.upsert(posts())
    with app.state.session_factory() as session:
        hot = {
            "outage": hot_issue("望潮苑停水", 82, at(0, 9), at(0, 18)),
            "zoning": hot_issue("学区划片", 65, at(-2, 9), at(0, 10)),
            "dismissed": hot_issue("演练通知", 90, at(0, 8), at(0, 12), status="dismissed"),
            "later": hot_issue("次日的热点", 95, at(1, 3), at(1, 4)),
            "quiet": hot_issue("前日的热点", 70, at(-3, 9), at(-1, 23)),
        }
        session.add_all(hot.values())
        session.commit()
        ids = {f"hot_{key}": row.id for key, row in hot.items()}
    t = Tracker(client, admin)
    water = t.department("swj", "市水务局")
    # promoted when flagged (09:00): first statement due 14:00 (missed), conference due
    # tomorrow 09:00 (running)
    ids["promoted"] = t.ok(
        "POST",
        "/api/issues/promote",
        {"hot_issue_id": ids["hot_outage"], "severity": "major", "lead_department_id": water},
        201,
    )["id"]
    set_created_at(app, ids["promoted"], at(0, 9, 30))
    ids["late"] = t.issue("管网抢修进度", "general", at(-3, 10), water)  # due yesterday 10:00
    ids["running"] = t.issue("水压不足", "relatively_major", at(-1, 12), water)  # tomorrow 12:00
    ids["night"] = t.issue("夜间施工噪声", "general", at(-1, 23))  # due tomorrow 23:00
    ids["later"] = t.issue("水费账单", "general", at(0, 10), water)  # due the day after
    set_created_at(app, ids["later"], at(0, 10, 5))
    ids["answered"] = t.issue("供水公告", "general", at(-2, 8), water)  # due today 08:00
    t.briefing("press_release", "供水情况说明", at(0, 9), [ids["answered"]])
    # breached and never answered, but dismissed: nothing to remind anyone of
    dropped = t.issue("停水（重复线索）", "general", at(-4, 10), water)
    t.status(dropped, "dismissed", "与管网抢修进度为同一事项")
    return ids


def test_the_brief_holds_the_days_figures_as_the_api_gives_them(
    app: FastAPI, client: TestClient, admin: Headers
) -> None:
    ids = seed_day(app, client, admin)
    press = Tracker(client, admin).user("pr", "press", "pr-password-1")
    params = {"date": "2025-09-10"}

    def aggregate(days: int) -> dict[str, Any]:
        window = {"from": at(days, 0).isoformat(), "to": at(days + 1, 0).isoformat()}
        reply = client.get("/api/posts/aggregate", params=window, headers=press)
        assert reply.status_code == 200, reply.text
        return reply.json()

    today, yesterday = aggregate(0), aggregate(-1)
    counts = {b["key"]: b["count"] for b in today["by_source"]}
    before = {b["key"]: b["count"] for b in yesterday["by_source"]}
    assert counts == {"demo-board": 3, "demo-weibo": 2, "city-board": 1}
    workbook = xlsx(
        download(client, "/api/reports/daily.xlsx", press, params, "舆情日报_2025-09-10.xlsx")
    )

    sources = sheet_rows(workbook, "来源声量", SOURCE_HEADER)
    assert sources[-1] == ("合计", None, today["total"], yesterday["total"], 1.0)
    assert {row[1]: (row[2], row[3]) for row in sources[:-1]} == {
        key: (counts.get(key, 0), before.get(key, 0)) for key in counts.keys() | before.keys()
    }
    assert sources[0][:3] == ("江澜问政留言板", "demo-board", 3)  # the source's title
    assert ("city-board", "city-board", 1, 0, pytest.approx(1 / 6)) in sources

    trend = sheet_rows(workbook, "情绪走势", SENTIMENT_HEADER)
    assert [row[0] for row in trend] == [f"2025-09-{d:02d}" for d in range(4, 11)]
    for offset, row in zip(range(-6, 1), trend, strict=True):
        bands = {b["key"]: b["count"] for b in aggregate(offset)["by_sentiment"]}
        bands_row = [bands.get(k, 0) for k in ("negative", "neutral", "positive", "unscored")]
        assert list(row[1:6]) == [sum(bands_row), *bands_row], row
    assert trend[-1][6] == pytest.approx(2 / 5)  # of the scored posts
    assert trend[-2][1:6] == (3, 2, 1, 0, 0)

    hot = sheet_rows(workbook, "热点问题", HOT_HEADER)
    assert [row[1] for row in hot] == ["望潮苑停水", "学区划片"]
    for row, key in zip(hot, ("hot_outage", "hot_zoning"), strict=True):
        reply = client.get(f"/api/hot-issues/{ids[key]}", headers=press).json()
        wanted = (reply["score"], reply["flag_score"], reply["size"], "、".join(reply["keywords"]))
        assert row[2:6] == wanted
        assert row[9] == "\n".join(reply["explanation"])
    assert hot[0][3] == 75.0 and hot[0][6] == naive(at(0, 9)) and hot[0][8] == f"#{ids['promoted']}"

    new = sheet_rows(workbook, "新增跟踪事项", NEW_HEADER)
    assert [(row[0], row[2], row[4], row[6]) for row in new] == [
        (ids["promoted"], "重大", "市水务局", naive(at(0, 9, 30))),
        (ids["later"], "一般", "市水务局", naive(at(0, 10, 5))),
    ]

    due = sheet_rows(workbook, "即将到期", DUE_HEADER)
    assert [(row[0], row[3], row[4], row[5]) for row in due] == [
        (ids["promoted"], "新闻发布会", naive(at(1, 9)), 9.0),
        (ids["running"], "回应", naive(at(1, 12)), 12.0),
        (ids["night"], "回应", naive(at(1, 23)), 23.0),
    ]
    assert due[2][2] == "未指定"
    breached = sheet_rows(workbook, "已超时", BREACHED_HEADER)
    assert [(row[0], row[3], row[5], row[6], row[7]) for row in breached] == [
        (ids["late"], "回应", None, 38.0, "超时未完成"),
        (ids["answered"], "回应", naive(at(0, 9)), 1.0, "超时完成"),
        (ids["promoted"], "首次权威发布", None, 10.0, "超时未完成"),
    ]

    document = docx(
        download(client, "/api/reports/daily.docx", press, params, "舆情日报_2025-09-10.docx")
    )
    assert len(document.tables) == 6
    assert len(document.inline_shapes) == 2  # the hourly volume and the sentiment trend
    shown = docx_table(document, SOURCE_HEADER)
    assert [row[:4] for row in shown] == [
        [row[0], row[1] or "—", str(row[2]), str(row[3])] for row in sources
    ]
    assert [row[4] for row in shown] == [percent(row[4]) for row in sources]
    assert [row[9] for row in docx_table(document, HOT_HEADER)] == [row[9] for row in hot]
    assert [row[0] for row in docx_table(document, BREACHED_HEADER)] == [
        str(row[0]) for row in breached
    ]
    assert docx_table(document, DUE_HEADER)[0][4:] == ["2025-09-11 09:00", "9.0"]
    assert docx_table(document, SENTIMENT_HEADER)[-1][1:] == ["6", "2", "1", "2", "1", "40.0%"]
    text = "\n".join(p.text for p in document.paragraphs)
    assert "当日共监测到相关信息6条，较前一日增加3条（+100.0%）" in text
    assert "3项回应时限将于9月11日24时前到期，3项已超时" in text


def test_a_day_without_anything_is_a_valid_brief(client: TestClient, admin: Headers) -> None:
    params = {"date": "2025-09-10"}
    content = download(client, "/api/reports/daily.docx", admin, params, "舆情日报_2025-09-10.docx")
    document = docx(content)
    # the source table keeps its total row, the trend its seven days; the rest say "none"
    assert len(document.tables) == 2 and len(document.inline_shapes) == 2
    text = "\n".join(p.text for p in document.paragraphs)
    assert "当日无新增跟踪事项。" in text and "前一日无信息" in text


def test_a_day_not_yet_begun_has_no_brief(client: TestClient, admin: Headers) -> None:
    reply = client.get("/api/reports/daily.xlsx", params={"date": "2999-01-01"}, headers=admin)
    assert reply.status_code == 400 and reply.json()["error"]["type"] == "InputError"


def test_titles_from_the_public_are_plain_text_in_both_documents(
    app: FastAPI, client: TestClient, admin: Headers
) -> None:
    # A control character made both downloads a 500 (a NUL too, where the tracker keeps one:
    # tests/reports/test_documents.py); "=HYPERLINK(...)" was a live formula in the XLSX.
    tracker = Tracker(client, admin)
    titles = ["a\u0001b", '=HYPERLINK("http://evil.example/","点击查看")', "@SUM(1,2)"]
    for title in titles:
        set_created_at(app, tracker.issue(title, "general", at(0, 9)), at(0, 10))
    params = {"date": "2025-09-10"}

    workbook = xlsx(
        download(client, "/api/reports/daily.xlsx", admin, params, "舆情日报_2025-09-10.xlsx")
    )
    cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    shown = [row[1] for row in sheet_rows(workbook, "新增跟踪事项", NEW_HEADER)]
    assert sorted(shown) == sorted(["a\ufffdb", *("'" + title for title in titles[1:])])

    document = docx(
        download(client, "/api/reports/daily.docx", admin, params, "舆情日报_2025-09-10.docx")
    )
    assert sorted(row[1] for row in docx_table(document, NEW_HEADER)) == sorted(
        ["a\ufffdb", *titles[1:]]
    )
