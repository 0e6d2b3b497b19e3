"""Export files read on their own (`crawler.tabular.read_bytes`): lines, encodings, sheets,
JSON shapes, and the errors of files that cannot be read at all."""

from __future__ import annotations

import io
import json
from datetime import datetime

import pytest

from core.errors import YuqingError
from crawler.sources import HotlineSource
from crawler.tabular import read_bytes

HEADER = "工单编号,受理时间,诉求内容"
SHORT = HotlineSource(
    name="short",
    kind="hotline",
    columns={"case_no": "工单编号", "published_at": "受理时间", "text": "诉求内容"},
)


def read(data: bytes | str, name: str = "e.csv", **changes: object) -> list[tuple]:
    source = SHORT.model_copy(update=changes)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return [(o, r and r["case_no"], why) for o, r, why in read_bytes(raw, source, name=name)]


def fails(data: bytes | str, name: str = "e.csv", **changes: object) -> str:
    with pytest.raises(YuqingError) as caught:
        read(data, name, **changes)
    return str(caught.value)


def test_csv_lines_are_physical_lines_through_quotes_bom_and_a_title_block() -> None:
    text = f'\ufeff12345工单导出\r\n\r\n {HEADER} \r\nA,2025-03-18,"一\r\n二"\r\n\r\n'
    text += "B,2025-03-18,三\r\n"
    assert read(text) == [("e.csv:4", "A", None), ("e.csv:7", "B", None)]
    # A trailing separator is an empty extra column, not a shifted row.
    assert read(f"{HEADER},\nA,2025-03-18,文,\n") == [("e.csv:2", "A", None)]
    tabbed = f"{HEADER}\nA\t2025-03-18\t文\n".replace(",", "\t").encode("utf-16")
    assert read(tabbed) == [("e.csv:2", "A", None)]


def test_malformed_csv_rows_are_bad_rows_and_the_next_row_is_read() -> None:
    rows = read(f"{HEADER}\nA,2025-03-18\nB,2025-03-18,a\rb\nC,昨天下午,文\nD,2025-03-18,文\n")
    assert [(o, case) for o, case, _ in rows] == [
        ("e.csv:2", None), ("e.csv:3", None), ("e.csv:4", None), ("e.csv:5", "D"),
    ]  # fmt: skip
    assert "missing 诉求内容" in rows[0][2] and "CSV" in rows[1][2]
    assert rows[2][2] == (
        "line 4: column 受理时间: cannot read '昨天下午' as a time; tried the built-in formats"
        " (month first for dates with the year last)"
    )


def test_encodings_are_detected_and_a_damaged_line_costs_one_row() -> None:
    body = "".join(f"G{n},2025-03-18,第{n}条诉求内容\n" for n in range(20_000))
    data = (
        (HEADER + "\n" + body).encode("gbk")
        + b"X,2025-03-18,\xff\xfe\n"
        + "Z,2025-03-18,尾\n".encode("gbk")
    )
    rows = read(data)
    assert len(rows) == 20_002 and rows[-1] == ("e.csv:20003", "Z", None)
    assert rows[-2][1] is None and "line 20002 holds bytes ff fe" in rows[-2][2]
    # A short GBK file reads as GBK, and a UTF-8 file labelled GBK as UTF-8.
    assert read(f"{HEADER}\n甲,2025-03-18,乙\n".encode("gbk")) == [("e.csv:2", "甲", None)]
    assert read(f"{HEADER}\n甲,2025-03-18,乙\n", encoding="gbk") == [("e.csv:2", "甲", None)]


def test_files_that_cannot_be_read_are_one_error_each() -> None:
    assert fails(b"") == "e.csv: the file is empty"
    assert "the file is empty" in fails("\ufeff\r\n\r\n")
    assert "missing 受理时间" in fails("工单编号,时间,诉求内容\nA,1,2\n")
    assert "binary data" in fails(b"\x00\x01\x02" * 100)
    assert "old binary Excel" in fails(b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "e.xls")
    assert "not a readable XLSX" in fails(b"PK\x03\x04broken", "e.xlsx")
    assert "unknown encoding" in fails(HEADER, encoding="no-such-codec")
    assert read(HEADER + "\n") == []  # a header and no orders is a quiet day, not an error


def test_xlsx_cells_keep_their_types_and_rows_their_numbers() -> None:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["工单编号", "受理时间", "诉求内容"])
    book.active.append([2025031800001.0, datetime(2025, 3, 18, 9, 30), "停水"])
    book.active.append([])
    book.active.append(["B", None, "停电"])
    out = io.BytesIO()
    book.save(out)
    rows = read(out.getvalue(), "export")  # no suffix: the content says it is a workbook
    assert rows[0] == ("export:2", "2025031800001", None)
    assert rows[1] == ("export:4", None, "row 4: no received time (受理时间 is empty)")


def test_json_arrays_wrapped_arrays_and_json_lines() -> None:
    one = {"工单编号": "J1", "受理时间": "2025-03-18 09:00", "诉求内容": "文"}
    two = {"工单编号": "J2", "诉求内容": "文"}
    as_array = json.dumps([one, two], ensure_ascii=False)
    wrapped = json.dumps({"code": 0, "data": [one, two]}, ensure_ascii=False)
    for text in (as_array, wrapped):
        rows = read(text, "e.json")
        assert rows[0] == ("e.json[0]", "J1", None) and rows[1][0] == "e.json[1]"
        assert "no received time" in rows[1][2]
    lines = "\n".join(json.dumps(r, ensure_ascii=False) for r in (one, two)) + "\n{oops\n"
    rows = read(lines, "e.jsonl")
    assert [o for o, _, _ in rows] == ["e.jsonl:1", "e.jsonl:2", "e.jsonl:3"]
    assert rows[2][2].startswith("line 3: not JSON")
    assert "missing 工单编号" in fails(json.dumps([{"id": 1}]), "e.json")
    assert "not valid JSON" in fails("[{", "e.json")
