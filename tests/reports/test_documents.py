"""The two writers every report goes through, and the search export, given text from the public:
characters XML cannot hold (a NUL, a lone surrogate) and text a spreadsheet would run as a
formula. All of them put their text through one function (`api.reports.cells`)."""

from __future__ import annotations

import io

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from api.reports.cells import FORMULA_STARTS, cell_value
from api.reports.documents import Column, Kind, Report, Section, Table, docx_bytes, xlsx_bytes
from tests.factories import post_data
from tests.helpers import ADMIN_PASSWORD
from tests.reports.reading import docx
from tests.security.pages import sign_in_page

# Every character XML 1.0 refuses that a title could carry (JSON can carry them all).
UNWRITABLE = "a\x00b\x01\x08\x0b\x0c\x0e\x1f\ud800\udfff\ufffe\uffffc"
WRITTEN = "a\ufffdb" + "\ufffd" * 10 + "c"
FORMULAS = [
    '=HYPERLINK("http://evil.example/","点击查看")',
    "+1+1",
    "-2+3",
    "@SUM(1,2)",
    "\t=1+1",
    "\r=1+1",
]


def report_of(text: str, rows: list[tuple[object, ...]]) -> Report:
    table = Table(
        sheet="事项",
        columns=(Column("标题"), Column("数量", Kind.INT)),
        rows=rows,
        caption=text,
    )
    return Report(
        title=text,
        subtitle=text,
        file_stem="测试",
        ascii_stem="test",
        sections=[Section(heading=text, paragraphs=[text], tables=[table])],
        notes=[text],
    )


def test_text_xml_cannot_hold_is_replaced_in_both_formats() -> None:
    report = report_of(UNWRITABLE, [(UNWRITABLE, 1)])
    document = docx(docx_bytes(report))
    texts = [p.text for p in document.paragraphs]
    assert texts[:2] == [WRITTEN, WRITTEN]  # the title and the subtitle
    assert texts.count(WRITTEN) == 6  # and the heading, the paragraph, the caption, the note
    assert [c.text for c in document.tables[0].rows[1].cells] == [WRITTEN, "1"]
    assert document.core_properties.title == WRITTEN

    workbook = load_workbook(io.BytesIO(xlsx_bytes(report)))
    cover = [row[0] for row in workbook["封面"].iter_rows(values_only=True)]
    assert cover[:2] == [WRITTEN, WRITTEN] and cover.count(WRITTEN) == 5  # no caption there
    assert list(workbook["事项"].iter_rows(values_only=True)) == [("标题", "数量"), (WRITTEN, 1)]


def test_no_text_in_a_report_becomes_a_formula() -> None:
    report = report_of(FORMULAS[0], [(text, n) for n, text in enumerate(FORMULAS)])
    workbook = load_workbook(io.BytesIO(xlsx_bytes(report)))
    cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row]
    assert cells and all(cell.data_type != "f" for cell in cells)
    rows = list(workbook["事项"].iter_rows(min_row=2, values_only=True))
    assert rows == [("'" + text, n) for n, text in enumerate(FORMULAS)]
    assert workbook["封面"]["A1"].value == "'" + FORMULAS[0]
    # The DOCX is not a spreadsheet: it shows the title as it was written.
    assert docx(docx_bytes(report)).paragraphs[0].text == FORMULAS[0]


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("停水", "停水"),
        ("a-b=c", "a-b=c"),  # only the first character makes a formula
        ("\x00=1", "\ufffd=1"),  # the sanitiser first, so a NUL cannot hide a formula
        (3, 3),
        (0.5, 0.5),
        (None, None),
        *[(start + "1", "'" + start + "1") for start in FORMULA_STARTS],
    ],
)
def test_one_function_makes_every_cell(value: object, cell: object) -> None:
    assert cell_value(value) == cell


def test_the_search_export_goes_through_the_same_cells(app: FastAPI, client: TestClient) -> None:
    # A vertical tab in a post made the export a 500; a formula was already neutralised.
    app.state.store.upsert(
        [
            post_data(id="x:1", title=FORMULAS[0], text="望潮苑停水\x0b通知"),
            post_data(id="x:2", title="+86 热线", text="望潮苑停水", author="@江澜水务"),
        ]
    )
    sign_in_page(client, "admin", ADMIN_PASSWORD)
    reply = client.get("/search/export.xlsx", params={"q": "停水"})
    assert reply.status_code == 200, reply.text[:300]
    sheet = load_workbook(io.BytesIO(reply.content))["检索结果"]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    rows = {row[-1]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert (rows["x:1"][3], rows["x:1"][4]) == ("'" + FORMULAS[0], "望潮苑停水\ufffd通知")
    assert (rows["x:2"][3], rows["x:2"][5]) == ("'+86 热线", "'@江澜水务")
