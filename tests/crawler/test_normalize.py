"""Normalising raw input: charsets, HTML, whitespace, times, and personal numbers."""

from __future__ import annotations

from datetime import datetime

import pytest

from core.errors import TimeFormatError
from core.timezone import SHANGHAI
from crawler.normalize import (
    TimeReading,
    clean_text,
    decode_body,
    html_to_text,
    parse_time,
    read_time,
)
from store.pii import mask_pii

NOW = datetime(2025, 3, 18, 12, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("刚刚", "2025-03-18T12:00:00+08:00"),
        ("3分钟前", "2025-03-18T11:57:00+08:00"),
        ("2小时前", "2025-03-18T10:00:00+08:00"),
        ("今天 08:15", "2025-03-18T08:15:00+08:00"),
        ("昨天 12:30", "2025-03-17T12:30:00+08:00"),
        ("前天 23:59", "2025-03-16T23:59:00+08:00"),
        ("03-18 10:23", "2025-03-18T10:23:00+08:00"),
        ("12-30", "2024-12-30T00:00:00+08:00"),  # a date "in the future" is last year's
        ("2025年3月18日 10:23", "2025-03-18T10:23:00+08:00"),
        ("2025/3/8", "2025-03-08T00:00:00+08:00"),
        ("2025-03-18 10:23:45", "2025-03-18T10:23:45+08:00"),
        ("2025-03-18T02:23:45Z", "2025-03-18T10:23:45+08:00"),
        ("Tue, 18 Mar 2025 10:23:45 +0800", "2025-03-18T10:23:45+08:00"),
        ("Tue Mar 18 10:23:45 +0800 2025", "2025-03-18T10:23:45+08:00"),
        (1742264625, "2025-03-18T10:23:45+08:00"),
        ("1742264625000", "2025-03-18T10:23:45+08:00"),
    ],
)
def test_times_become_aware_shanghai_times(raw: object, expected: str) -> None:
    assert parse_time(raw, now=NOW).isoformat() == expected


@pytest.mark.parametrize("raw", ["", "sometime soon", "2025-02-30 10:00", "昨天 25:00", None])
def test_unreadable_times_are_errors(raw: object) -> None:
    with pytest.raises(TimeFormatError):
        parse_time(raw, now=NOW)


@pytest.mark.parametrize(
    ("raw", "expected", "precision"),
    [
        ("06-27", "2024-06-27T00:00:00+08:00", "day"),  # Weibo's list: no time of day
        ("06-27 10:41", "2024-06-27T10:41:00+08:00", "minute"),
        ("2019-06-16", "2019-06-16T00:00:00+08:00", "day"),
        ("2019-06-15 08:18", "2019-06-15T08:18:00+08:00", "minute"),
        ("2019-06-15 08:18:09", "2019-06-15T08:18:09+08:00", "second"),
        ("Sat Jun 15 11:44:46 +0800 2019", "2019-06-15T11:44:46+08:00", "second"),
        ("3分钟前", "2025-03-18T11:57:00+08:00", "minute"),
        ("2天前", "2025-03-16T12:00:00+08:00", "day"),
        ("今天 08:15", "2025-03-18T08:15:00+08:00", "minute"),
        (1742264625, "2025-03-18T10:23:45+08:00", "second"),
        # US exports put the month first and the year last.
        ("12/31/2016", "2016-12-31T00:00:00+08:00", "day"),
        ("1/5/2016 9:30", "2016-01-05T09:30:00+08:00", "minute"),
        ("1/5/2016 1:30:05 PM", "2016-01-05T13:30:05+08:00", "second"),
        # Feeds and exports that know only the day write midnight of their own zone.
        ("Fri, 21 Nov 2025 00:00:00 +0000", "2025-11-21T08:00:00+08:00", "day"),
        ("2019-06-16 00:00:00", "2019-06-16T00:00:00+08:00", "day"),
        ("2019-06-16 00:00:01", "2019-06-16T00:00:01+08:00", "second"),
    ],
)
def test_times_are_read_with_the_precision_they_are_given_with(
    raw: object, expected: str, precision: str
) -> None:
    moment, given = read_time(raw, now=NOW)
    assert (moment.isoformat(), given) == (expected, precision)


def test_a_source_reads_its_own_formats_first_and_says_which_way_round_its_dates_are() -> None:
    # Ambiguous: month first by default, day first when the source says so; 31/12 is
    # unambiguous either way.
    assert read_time("05/06/2016", now=NOW)[0].date().isoformat() == "2016-05-06"
    day_first = TimeReading(dayfirst=True)
    assert read_time("05/06/2016", now=NOW, reading=day_first)[0].date().isoformat() == (
        "2016-06-05"
    )
    assert read_time("31/12/2016", now=NOW)[0].date().isoformat() == "2016-12-31"
    own = TimeReading(formats=("%Y年%m月%d日%H时", "%d.%m.%y"))
    assert read_time("2016年01月05日09时", now=NOW, reading=own) == (
        datetime(2016, 1, 5, 9, tzinfo=SHANGHAI),
        "minute",
    )
    assert read_time("05.01.16", now=NOW, reading=own) == (
        datetime(2016, 1, 5, tzinfo=SHANGHAI),
        "day",
    )
    with pytest.raises(TimeFormatError):
        read_time("05.01.16", now=NOW)  # not without the source's pattern


def test_charsets_are_repaired() -> None:
    assert decode_body("江澜市停水".encode("gbk"), "gbk") == "江澜市停水"
    assert decode_body("江澜市停水".encode("gb18030"), None) == "江澜市停水"
    assert decode_body("江澜市停水".encode(), "gb2312") == "江澜市停水"  # mislabelled UTF-8
    assert decode_body("臺北市政府公告".encode("big5"), "big5") == "臺北市政府公告"
    assert decode_body(b"\xef\xbb\xbf" + "有BOM".encode(), None) == "有BOM"


def test_html_becomes_text_with_blocks_on_their_lines() -> None:
    html = "<div><p>第一段<br>换行</p><script>track()</script><p>第二段 &amp; 更多</p></div>"
    assert html_to_text(html) == "第一段\n换行\n第二段 & 更多"


def test_whitespace_and_full_width_letters_are_folded_but_chinese_punctuation_kept() -> None:
    assert (
        clean_text("ＡＢＣ１２３　你好，  世界！\n\n\n  第二行 ") == "ABC123 你好， 世界！\n第二行"
    )


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("电话13912345678。", "电话*******5678。"),
        ("电话+86 139-1234-5678", "电话*********5678"),
        ("座机0512-87654321", "座机********4321"),
        ("座机（0512）87654321", "座机********4321"),
        ("身份证320102199001011234", "身份证**************1234"),
        ("身份证32010219900101123X。", "身份证**************123X。"),
        ("卡号6222 0212 3456 7890 123", "卡号***************0123"),
        ("工单12345-20250318-1001，价格1380元", "工单12345-20250318-1001，价格1380元"),
    ],
)
def test_personal_numbers_keep_only_their_last_four_digits(raw: str, masked: str) -> None:
    assert mask_pii(raw) == masked
