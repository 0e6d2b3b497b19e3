"""Personal numbers the product must mask, and numbers it must leave alone, with what each
becomes; and posts that carry them, for running the corpus through every way in and out.

Written for these tests (the numbers are invented): mobiles in every way people write them
(+86, 0086, spaces, dots, dashes, glued to Tel, wx, QQ), landlines with their area code, ID
cards of 18 characters (with X, spaced) and of 15 digits, bank cards of 16 to 19 digits; and
dates, date ranges, times, numbers labelled as an order, a waybill, an invoice or an amount,
case numbers, years, prices, percentages, postcodes and short numbers. Every digit of a masked
number but the last four becomes ``*``; separators, brackets and the country code go with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core.timezone import SHANGHAI


@dataclass(frozen=True)
class Case:
    text: str
    masked: str  # what the text becomes; the text itself for a number to leave alone

    @property
    def personal(self) -> bool:
        return self.masked != self.text


def keep(text: str) -> Case:
    return Case(text, text)


PERSONAL = [
    # mobiles
    Case("联系电话13812345601", "联系电话*******5601"),
    Case("手机：139 1234 5602", "手机：*******5602"),
    Case("电话138-1234-5603", "电话*******5603"),
    Case("电话138.1234.5604", "电话*******5604"),
    Case("电话1381-234-5605", "电话*******5605"),
    Case("Tel13812345606", "Tel*******5606"),
    Case("wx13812345607", "wx*******5607"),
    Case("QQ13812345608", "QQ*******5608"),
    Case("微信号vx15912345609", "微信号vx*******5609"),
    Case("+8613812345610", "*********5610"),
    Case("+86 138 1234 5611", "*********5611"),
    Case("+86-138-1234-5612", "*********5612"),
    Case("0086 13812345613", "***********5613"),
    Case("86-13812345614", "*********5614"),
    Case("(+86)13812345615", "*********5615"),
    Case("（+86）13812345616", "*********5616"),
    Case("回电17712345617谢谢", "回电*******5617谢谢"),
    Case("18612345618abc", "*******5618abc"),
    Case("电话：19912345619，", "电话：*******5619，"),
    Case("手机１３８１２３４５６２０", "手机*******5620"),
    # landlines
    Case("座机0527-1234-5621", "座机********5621"),
    Case("座机0527-87655622", "座机********5622"),
    Case("(0527)87655623", "********5623"),
    Case("（010）87655624", "*******5624"),
    Case("010-8765-5625", "*******5625"),
    Case("0527 8765 5626", "********5626"),
    Case("家里05278765627", "家里*******5627"),
    Case("分机021-87655628-801", "分机**********8801"),
    Case("0527.8765.5629", "********5629"),
    # ID cards
    Case("身份证11010519491231002X", "身份证**************002X"),
    Case("身份证号110105 19491231 003X", "身份证号**************003X"),
    Case("110105-1949-1231-0041", "**************0041"),
    Case("ID:320102199001011234", "ID:**************1234"),
    Case("身份证32010219900101125x", "身份证**************125x"),
    Case("旧身份证110105491231006", "旧身份证***********1006"),
    Case("110105 491231 007", "***********1007"),
    Case("身份证１１０１０５１９４９１２３１００８Ｘ", "身份证**************008X"),
    # bank cards
    Case("卡号6222021234567890123", "卡号***************0123"),
    Case("卡号622202 1234567890124", "卡号***************0124"),
    Case("6222 0212 3456 7890 125", "***************0125"),
    Case("6222-0212-3456-7126", "************7126"),
    Case("银行卡4367421234567127", "银行卡************7127"),
    Case("5218 9912 3456 7128", "************7128"),
    Case("card6228480012345129", "card************5129"),
    Case("9559981234567130", "************7130"),
    Case("622848 0012345678131", "***************8131"),
]

LEFT_ALONE = [
    # dates, date ranges, times
    keep("2024-01-15"),
    keep("20240115"),
    keep("2024.01.15"),
    keep("20240115-20240120"),
    keep("20240115 20240120"),
    keep("时间段20250301-20250331"),
    keep("2024年1月15日至2024年1月20日"),
    keep("1949年10月1日"),
    keep("2024-01-15 13:45:12"),
    keep("08:30-17:30"),
    # labelled as an order, a waybill, an invoice, a transaction or an amount
    keep("订单号2024011512345678"),
    keep("订单编号：6222021234567890555"),
    keep("订单号：13812345679"),
    keep("运单号 4300123456789012"),
    keep("快递单号：773012345678901"),
    keep("金额：13800000000元"),
    keep("流水号2025031812345678"),
    keep("发票代码044031900111"),
    # case numbers, years, prices, percentages, postcodes, short and other numbers
    keep("HL202503180001"),
    keep("工单编号HL202503180002"),
    keep("（2025）苏0102民初1234号"),
    keep("2025年"),
    keep("2024-2025学年"),
    keep("价格1380.00元"),
    keep("¥13,800"),
    keep("增长13.8%"),
    keep("邮编210000"),
    keep("3号楼2单元1301室"),
    keep("12345热线"),
    keep("电话12345"),
    keep("110、120、119"),
    keep("1234567890"),
    keep("400-820-1234"),
    keep("阅读量1380000"),
    keep("192.168.1.100"),
    keep("ISBN 978-7-02-000220-7"),
    keep("PM2.5浓度138微克"),
    keep("坐标118.7969,32.0603"),
    keep("身高175cm体重65kg"),
]

CORPUS = PERSONAL + LEFT_ALONE
IDS = [f"{n:02d}-{case.text}" for n, case in enumerate(CORPUS)]

# -- posts carrying the corpus ------------------------------------------------------------------

SOURCE = "pii-corpus"
DEPARTMENT = "市住建局"
PUBLISHED = datetime(2025, 3, 18, 9, 0, tzinfo=SHANGHAI)


def title(n: int, text: str) -> str:
    return f"样本{n}：{text}"


def body(text: str) -> str:
    return f"市民来信反映：{text}。请核实处理。"


def reply(text: str) -> str:
    return f"已回访（{text}）"


def post_id(n: int) -> str:
    return f"{SOURCE}:{n}"


def post_row(n: int, case: Case) -> dict[str, Any]:
    """Case `n` as a post in the shape `yuqing load` reads: in the title, the text, the author
    and the reply; a 12345 work order of `DEPARTMENT` when the number is personal."""
    department = DEPARTMENT if case.personal else "市水务局"
    return {
        "id": post_id(n),
        "source": SOURCE,
        "kind": "hotline",
        "title": title(n, case.text),
        "text": body(case.text),
        "author": case.text,
        "published_at": (PUBLISHED + timedelta(minutes=n)).isoformat(),
        "assigned_department": department,
        "reply": {"text": reply(case.text), "department": department},
    }


def rows() -> list[dict[str, Any]]:
    return [post_row(n, case) for n, case in enumerate(CORPUS)]


def wrong(n: int, case: Case, shown: dict[str, Any]) -> list[str]:
    """How a post of case `n` as some way out shows it (title, text, author, reply: those it
    has) differs from the masked post; empty when it is right."""
    wanted = {
        "title": title(n, case.masked),
        "text": body(case.masked),
        "author": case.masked,
        "reply": reply(case.masked),
    }
    return [
        f"case {n} {name}: {shown[name]!r}, wanted {wanted[name]!r}"
        for name in wanted
        if name in shown and shown[name] != wanted[name]
    ]
