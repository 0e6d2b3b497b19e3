"""Reading the downloaded documents back: tables of a DOCX by their header row, rows of a sheet."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import quote

import openpyxl
from docx import Document
from docx.document import Document as DocxDocument
from fastapi.testclient import TestClient
from openpyxl.workbook import Workbook

from tests.helpers import Headers

# The daily brief's table of sources, in both the DOCX and the XLSX.
SOURCE_HEADER = ["来源", "来源标识", "当日条数", "前一日条数", "占比"]
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(
    client: TestClient, path: str, headers: Headers, params: dict[str, str], file_name: str
) -> bytes:
    """The document's bytes, after checking its type and its Chinese attachment name."""
    reply = client.get(path, params=params, headers=headers)
    assert reply.status_code == 200, reply.text
    wanted = DOCX_TYPE if path.endswith(".docx") else XLSX_TYPE
    assert reply.headers["content-type"] == wanted
    disposition = reply.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=")
    assert f"filename*=UTF-8''{quote(file_name)}" in disposition, disposition
    return reply.content


def docx(content: bytes) -> DocxDocument:
    return Document(io.BytesIO(content))


def xlsx(content: bytes) -> Workbook:
    return openpyxl.load_workbook(io.BytesIO(content))


def docx_table(document: DocxDocument, header: list[str]) -> list[list[str]]:
    """The body rows (cell texts) of the one table whose header row is `header`."""
    found = [
        [[cell.text for cell in row.cells] for row in table.rows[1:]]
        for table in document.tables
        if [cell.text for cell in table.rows[0].cells] == header
    ]
    assert len(found) == 1, (header, [[c.text for c in t.rows[0].cells] for t in document.tables])
    return found[0]


def sheet_rows(workbook: Workbook, name: str, header: list[str]) -> list[tuple[Any, ...]]:
    sheet = workbook[name]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == header, rows[0]
    return rows[1:]


def percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def one_decimal(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"
