"""The 12345 work-order export in the three formats the hotline system offers."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime

from openpyxl import Workbook

from yuqing.demo.site.models import HotlineOrder

COLUMNS = (
    "工单编号",
    "受理时间",
    "来源渠道",
    "所属区域",
    "诉求分类",
    "诉求标题",
    "诉求内容",
    "承办单位",
    "办理状态",
    "办结时限",
    "答复内容",
)


def export_rows(orders: Sequence[HotlineOrder], now: datetime) -> list[dict[str, str]]:
    """One row per order as it stands at `now`: unfinished orders have no answer yet."""
    return [
        dict(
            zip(
                COLUMNS,
                (
                    order.number,
                    order.published.strftime("%Y-%m-%d %H:%M:%S"),
                    order.channel,
                    order.region,
                    order.kind,
                    order.title,
                    order.content,
                    order.handler,
                    order.status_at(now),
                    order.deadline.isoformat(),
                    order.answer_at(now),
                ),
                strict=True,
            )
        )
        for order in orders
    ]


def to_csv(rows: Sequence[dict[str, str]]) -> bytes:
    # The hotline system exports for Excel on Chinese Windows, hence GBK and CRLF.
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("gbk")


def to_xlsx(rows: Sequence[dict[str, str]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("工单导出")
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append([row[column] for column in COLUMNS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
