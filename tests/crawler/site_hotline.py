"""Fixture exports: 12345 work orders (good orders, broken rows), a board's message export, the
real Fuzhou 12345 workbook, and the routes that serve them."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from core.timezone import SHANGHAI
from tests.crawler.server import Handler, Reply

# Post field -> the header a city's 12345 system writes.
COLUMNS = {
    "case_no": "工单编号",
    "published_at": "受理时间",
    "channel": "来源渠道",
    "region": "所属区域",
    "category": "诉求分类",
    "title": "诉求标题",
    "text": "诉求内容",
    "assigned_department": "承办单位",
    "status": "办理状态",
    "deadline": "办理时限",
    "reply": "答复内容",
    "replied_at": "答复时间",
}
HEADERS = list(COLUMNS.values())
# A caller's mobile, ID card, bank card and landline, as they turn up in work orders.
PII = (
    "来电人手机13912345678，身份证110101199003071234，"
    "银行卡6222 0212 3456 7890 123，座机0571-87654321"
)


def _order(n: int, text: str, **changes: str) -> dict[str, str]:
    order = {
        "case_no": f"HL2025031800{n:02d}",
        "published_at": f"2025-03-18 {8 + n % 10:02d}:15:00",
        "channel": "电话" if n % 2 else "网络",
        "region": "临江区",
        "category": "城乡建设",
        "title": f"幸福路停水{n}",
        "text": text,
        "assigned_department": "市水务集团",
        "status": "已办结" if n % 2 else "办理中",
        "deadline": f"2025/3/{20 + n % 10} 18:00",
        "reply": f"您好，第{n}号工单已处理。" if n % 2 else "",
        "replied_at": f"2025-03-19 10:{n % 60:02d}" if n % 2 else "",
    }
    return {**order, **changes}


GOOD = [
    _order(1, f"幸福路小区停水三天。{PII}"),
    _order(2, "夜间施工噪音扰民，\n凌晨两点仍在施工，\n请处理。"),  # spans three CSV lines
    _order(3, "路灯不亮，行人摔倒。"),
    _order(4, "垃圾清运不及时。", title=""),
    _order(5, "公交站台破损。"),
]


@dataclass
class Bad:
    cells: list[str]
    reason: str  # a part of the reason the reader must give
    # Sheets and JSON leave out trailing empty cells, so a short row there is only empty.
    loose_reason: str | None = None


BAD = [
    Bad(["HL202503189901", "2025-03-18 09:30", "电话", "临江区"], "missing 诉求分类", "no content"),
    Bad(list(_order(92, "日期错误。", published_at="2025-02-30 10:00").values()), "受理时间"),
    Bad(list(_order(93, "时限错误。", deadline="下周三").values()), "办理时限"),
    Bad(list(_order(94, "没有编号。", case_no="").values()), "no case number"),
    Bad(list(_order(95, "", title="").values()), "no content"),
]


def rows() -> list[tuple[list[str], Bad | None]]:
    """Good and bad rows interleaved, as an export might hold them."""
    good = [list(order.values()) for order in GOOD]
    mixed: list[tuple[list[str], Bad | None]] = []
    for index, cells in enumerate(good):
        mixed.append((cells, None))
        if index < len(BAD):
            mixed.append((BAD[index].cells, BAD[index]))
    return mixed


def csv_export(encoding: str = "gbk") -> tuple[bytes, dict[int, str]]:
    """The CSV bytes and, for each bad row, its first line -> a part of the expected reason."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS)
    expected = {}
    for cells, bad in rows():
        line = out.getvalue().count("\n") + 1
        writer.writerow(cells)
        if bad is not None:
            expected[line] = bad.reason
    # Extra values from an unquoted comma in the text: the columns after it are shifted.
    expected[out.getvalue().count("\n") + 1] = "extra value"
    out.write(
        "HL202503189906,2025-03-18 12:00:00,电话,临江区,城乡建设,标题,内容,有逗号,市水务集团,"
        "已办结,2025/3/25 18:00,已处理,2025-03-19 10:00\r\n"
    )
    return out.getvalue().encode(encoding), expected


def xlsx_export() -> tuple[bytes, dict[int, str]]:
    """The same rows in a workbook, under a title row and a blank row, as exports often are."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["12345热线工单导出（2025-03-18）"])
    sheet.append([])
    sheet.append(HEADERS)
    expected = {}
    for cells, bad in rows():
        # Spreadsheets hold times as dates, not text.
        values: list[object] = [_as_time(c) if i == 1 else c for i, c in enumerate(cells)]
        sheet.append(values)
        if bad is not None:
            expected[sheet.max_row] = bad.loose_reason or bad.reason
    out = io.BytesIO()
    book.save(out)
    return out.getvalue(), expected


def _as_time(text: str) -> object:
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return text


def json_export() -> tuple[bytes, dict[str, str]]:
    """The same rows as a JSON array of objects keyed by header; expected reasons by index."""
    records, expected = [], {}
    for cells, bad in rows():
        if bad is not None:
            expected[f"[{len(records)}]"] = bad.loose_reason or bad.reason
        records.append(dict(zip(HEADERS, cells, strict=False)))
    return json.dumps(records, ensure_ascii=False).encode("utf-8"), expected


def when(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)


# A city board's message export (留言导出), written as a user would see it: day-first dates,
# a reply time in the board's own words, counts as the board shows them, and a follow-up
# message naming the message it follows (追问编号). B1004 and B1005 carry times no format reads.
BOARD_EXPORT = """\
留言编号,留言用户,留言主题,留言详情,留言时间,所属区域,留言分类,答复意见,答复单位,答复时间,点赞数,追问编号
B1001,张三,幸福路停水,幸福路小区停水三天无人处理。,31/12/2016 09:30,临江区,城乡建设,已协调水务集团抢修。,市水务局,2017年01月03日 10时,"1,234",
B1002,李四,夜间施工扰民,工地凌晨仍在施工。,05/01/2017 23:05,滨湖区,环境保护,,,,12,
B1003,张三,停水仍未解决,追问：停水仍未解决。,06/01/2017,临江区,城乡建设,暂无回复,,,1.2万,B1001
B1004,王五,日期错误,内容。,2017-13-45,临江区,城乡建设,,,,0,
B1005,赵六,答复时间错误,内容。,07/01/2017 08:00,临江区,城乡建设,已处理。,市住建局,上周三,0,
"""  # noqa: E501 - a CSV reads best a row a line
BOARD_COLUMNS = {
    "id": "留言编号",
    "author": "留言用户",
    "title": "留言主题",
    "text": "留言详情",
    "published_at": "留言时间",
    "region": "所属区域",
    "category": "留言分类",
    "reply": "答复意见",
    "reply_department": "答复单位",
    "replied_at": {"at": "答复时间", "time_formats": ["%Y年%m月%d日 %H时"]},
    "likes": "点赞数",
    "reply_to": "追问编号",
}

# The real Fuzhou 12345 workbook (tests/fixtures/real/exports/SOURCE.md): 56 rows on Sheet1,
# dates as month/day/year text.
REAL_WORKBOOK = (
    Path(__file__).parents[1] / "fixtures" / "real" / "exports" / "fz12345_suqiu_mdy.xlsx"
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

PAGES: dict[str, Handler] = {
    "/hotline/export.csv": lambda query: Reply(csv_export()[0], content_type="text/csv"),
    "/hotline/empty.csv": lambda query: Reply(b"", content_type="text/csv"),
    "/exports/board.csv": lambda query: Reply(BOARD_EXPORT, content_type="text/csv"),
    "/exports/fz12345.xlsx": lambda query: Reply(REAL_WORKBOOK.read_bytes(), content_type=XLSX),
}
# Served as they are.
ROUTES: dict[str, Handler] = PAGES
