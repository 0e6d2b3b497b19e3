"""The search results as an XLSX workbook (openpyxl), one row per post, up to 10,000."""

from __future__ import annotations

import io
from datetime import datetime
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import Response

from api.deps import SettingsDep, StoreDep
from api.reports.cells import cell_value
from core.errors import InputError
from core.timezone import SHANGHAI
from dashboards.search import Form, Reader, explain, run_search
from dashboards.templating import KIND_LABELS, SENTIMENT_LABELS
from store.models import sentiment_band

router = APIRouter()

EXPORT_PAGE = 500
EXPORT_MAX = 10_000


EXPORT_COLUMNS = (
    "发布时间", "来源", "类型", "标题", "内容", "作者", "地区", "情感分", "情感",
    "相关部门", "工单编号", "链接", "帖文编号",
)  # fmt: skip


@router.get("/search/export.xlsx")
def search_export(user: Reader, store: StoreDep, settings: SettingsDep, form: Form) -> Response:
    """Every hit of the search (up to 10,000), one row each, as an XLSX workbook."""
    from openpyxl import Workbook

    zone = SHANGHAI
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("检索结果")
    sheet.append([cell_value(name) for name in EXPORT_COLUMNS])
    cursor, written = None, 0
    try:
        while written < EXPORT_MAX:
            page = run_search(store, form, settings, cursor, EXPORT_PAGE)
            for hit in page.hits[: EXPORT_MAX - written]:
                post = hit.post
                row = [
                    post.published_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
                    post.source,
                    KIND_LABELS.get(post.kind.value, post.kind.value),
                    post.title,
                    post.text,
                    post.author or "",
                    post.region or "",
                    post.sentiment,
                    SENTIMENT_LABELS[sentiment_band(post.sentiment).value],
                    "、".join(post.departments()),
                    post.case_no or "",
                    post.url or "",
                    post.id,
                ]
                sheet.append([cell_value(value) for value in row])
                written += 1
            cursor = page.next_cursor
            if cursor is None:
                break
    except InputError as exc:
        sheet.append([cell_value(explain(exc))])
    buffer = io.BytesIO()
    workbook.save(buffer)
    stamp = datetime.now(zone).strftime("%Y%m%d-%H%M")
    name = f"检索结果-{stamp}.xlsx"
    return Response(
        buffer.getvalue(),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": (
                f"attachment; filename=\"search-{stamp}.xlsx\"; filename*=UTF-8''{quote(name)}"
            )
        },
    )
