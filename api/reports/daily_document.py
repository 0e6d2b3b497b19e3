"""The daily brief (舆情日报) as a document: the overview, the hot issues with why they are
hot, the issues the office began tracking, the deadlines, and the week's sentiment, as
sections with their tables and charts (`documents` writes them as DOCX and XLSX)."""

from __future__ import annotations

from datetime import timedelta, tzinfo

from api.reports import charts
from api.reports.daily import HOT_LIMIT, TREND_DAYS, WEEKDAYS, DailyBrief
from api.reports.documents import Chart, Column, Kind, Report, Section, Table, local_naive
from core.timezone import SHANGHAI


def report(brief: DailyBrief) -> Report:
    tz = SHANGHAI
    day = brief.day
    weekday = WEEKDAYS[day.weekday()]
    return Report(
        title="舆情日报",
        subtitle=(
            f"{day.year}年{day.month}月{day.day}日（星期{weekday}）　"
            f"生成时间：{brief.generated_at.astimezone(tz):%Y-%m-%d %H:%M}"
        ),
        file_stem=f"舆情日报_{day.isoformat()}",
        ascii_stem=f"daily-brief-{day.isoformat()}",
        sections=[
            _overview(brief),
            _hot_section(brief, tz),
            _new_issue_section(brief, tz),
            _clock_section(brief, tz),
            _sentiment_section(brief),
        ],
        notes=[
            f"统计时段为{day.isoformat()} 0:00至24:00（北京时间），按信息发布时间计。",
            "当前热度为生成时的最新热度分，标记时热度为首次达到预警线时的得分（满分均为100）；"
            "研判说明列出当前热度的各项信号。",
            "情绪按 SnowNLP 得分划分：低于0.4为负面，0.4至0.6为中性，0.6及以上为正面；"
            "负面占比按已评分信息计算。",
            f"时限状态截至{brief.as_of.astimezone(tz):%Y-%m-%d %H:%M}。",
        ],
    )


def _overview(brief: DailyBrief) -> Section:
    change = brief.total - brief.previous_total
    if brief.previous_total:
        trend = f"较前一日{'增加' if change >= 0 else '减少'}{abs(change)}条"
        trend += f"（{change / brief.previous_total:+.1%}）"
    else:
        trend = "前一日无信息"
    today = brief.sentiment[-1]
    share = today.negative_share
    text = f"当日共监测到相关信息{brief.total}条，{trend}。"
    if share is not None:
        text += f"其中负面信息{today.negative}条，占已评分信息的{share:.1%}。"
    paragraphs = [text]
    if brief.keywords:
        paragraphs.append("当日热词：" + "、".join(brief.keywords) + "。")
    rows = [
        (s.title, s.source, s.count, s.previous, s.count / brief.total if brief.total else None)
        for s in brief.by_source
    ]
    rows.append(("合计", "", brief.total, brief.previous_total, 1.0 if brief.total else None))
    return Section(
        heading="一、舆情总体情况",
        paragraphs=paragraphs,
        charts=[
            Chart(charts.hourly_volume(brief.hourly, title="当日分时声量"), "图1　当日分时声量")
        ],
        tables=[
            Table(
                sheet="来源声量",
                caption="表1　各来源信息量",
                columns=(
                    Column("来源", width=28),
                    Column("来源标识", width=16),
                    Column("当日条数", Kind.INT),
                    Column("前一日条数", Kind.INT),
                    Column("占比", Kind.PERCENT, width=10),
                ),
                rows=rows,
            )
        ],
    )


def _hot_section(brief: DailyBrief, tz: tzinfo) -> Section:
    rows = [
        (
            rank,
            h.title,
            h.score,
            h.flag_score,
            h.size,
            "、".join(h.keywords[:6]),
            local_naive(h.flagged_at, tz),
            h.status,
            "、".join(f"#{i}" for i in h.tracked_issue_ids),
            "\n".join(h.explanation),
        )
        for rank, h in enumerate(brief.hot_issues, start=1)
    ]
    count = len(brief.hot_issues)
    text = (
        f"当日有帖子更新的热点问题按热度排序如下（至多列出{HOT_LIMIT}个），共{count}个。"
        if count
        else "当日没有达到预警线的热点问题。"
    )
    return Section(
        heading="二、热点问题",
        paragraphs=[text],
        tables=[
            Table(
                sheet="热点问题",
                caption="表2　热点问题及研判说明",
                columns=(
                    Column("序号", Kind.INT, width=6),
                    Column("热点问题", width=30),
                    Column("当前热度", Kind.SCORE, width=9),
                    Column("标记时热度", Kind.SCORE, width=10),
                    Column("帖子数", Kind.INT, width=8),
                    Column("关键词", width=24),
                    Column("标记时间", Kind.DATETIME, width=17),
                    Column("状态", width=10),
                    Column("跟踪事项", width=10),
                    Column("研判说明", width=60),
                ),
                rows=rows,
                empty="无。",
            )
        ],
    )


def _new_issue_section(brief: DailyBrief, tz: tzinfo) -> Section:
    rows = [
        (
            i.id,
            i.title,
            i.severity,
            i.status,
            i.department or "未指定",
            local_naive(i.detected_at, tz),
            local_naive(i.created_at, tz),
        )
        for i in brief.new_issues
    ]
    return Section(
        heading="三、新增跟踪事项",
        paragraphs=[f"当日新增跟踪事项{len(rows)}件。"],
        tables=[
            Table(
                sheet="新增跟踪事项",
                caption="表3　新增跟踪事项",
                columns=(
                    Column("编号", Kind.INT, width=8),
                    Column("事项", width=36),
                    Column("等级", width=10),
                    Column("状态", width=10),
                    Column("牵头单位", width=18),
                    Column("发现时间", Kind.DATETIME, width=17),
                    Column("立项时间", Kind.DATETIME, width=17),
                ),
                rows=rows,
                empty="当日无新增跟踪事项。",
            )
        ],
    )


def _clock_section(brief: DailyBrief, tz: tzinfo) -> Section:
    next_day = brief.day + timedelta(days=1)
    as_of = brief.as_of.astimezone(tz)
    due_rows = [
        (
            c.issue_id,
            c.issue_title,
            c.department or "未指定",
            c.label,
            local_naive(c.due_at, tz),
            (c.due_at - brief.as_of).total_seconds() / 3600,
        )
        for c in brief.clocks_due
    ]
    breached_rows = [
        (
            c.issue_id,
            c.issue_title,
            c.department or "未指定",
            c.label,
            local_naive(c.due_at, tz),
            local_naive(c.met_at, tz),
            c.late_hours,
            "超时完成" if c.met_at is not None else "超时未完成",
        )
        for c in brief.clocks_breached
    ]
    common = (
        Column("编号", Kind.INT, width=8),
        Column("事项", width=36),
        Column("牵头单位", width=18),
        Column("时限", width=14),
        Column("应完成时间", Kind.DATETIME, width=17),
    )
    return Section(
        heading="四、时限提醒",
        paragraphs=[
            f"截至{as_of:%Y-%m-%d %H:%M}，{len(due_rows)}项回应时限将于"
            f"{next_day.month}月{next_day.day}日24时前到期，{len(breached_rows)}项已超时。"
        ],
        tables=[
            Table(
                sheet="即将到期",
                caption=f"表4　{next_day.month}月{next_day.day}日24时前到期的时限",
                columns=(*common, Column("剩余（小时）", Kind.HOURS, width=12)),
                rows=due_rows,
                empty="无即将到期的时限。",
            ),
            Table(
                sheet="已超时",
                caption="表5　已超时的时限（尚未完成的，以及当日超时完成的）",
                columns=(
                    *common,
                    Column("完成时间", Kind.DATETIME, width=17),
                    Column("超时（小时）", Kind.HOURS, width=12),
                    Column("情况", width=12),
                ),
                rows=breached_rows,
                empty="无超时的时限。",
            ),
        ],
    )


def _sentiment_section(brief: DailyBrief) -> Section:
    days = [f"{s.day.month}月{s.day.day}日" for s in brief.sentiment]
    png = charts.sentiment_trend(
        days,
        [s.negative for s in brief.sentiment],
        [s.neutral for s in brief.sentiment],
        [s.positive for s in brief.sentiment],
        title=f"近{TREND_DAYS}日情绪走势",
    )
    rows = [
        (
            s.day.isoformat(),
            s.total,
            s.negative,
            s.neutral,
            s.positive,
            s.unscored,
            s.negative_share,
        )
        for s in brief.sentiment
    ]
    return Section(
        heading="五、情绪走势",
        charts=[Chart(png, f"图2　近{TREND_DAYS}日情绪走势")],
        tables=[
            Table(
                sheet="情绪走势",
                caption=f"表6　近{TREND_DAYS}日情绪分布",
                columns=(
                    Column("日期", width=12),
                    Column("总量", Kind.INT),
                    Column("负面", Kind.INT),
                    Column("中性", Kind.INT),
                    Column("正面", Kind.INT),
                    Column("未评分", Kind.INT),
                    Column("负面占比", Kind.PERCENT),
                ),
                rows=rows,
            )
        ],
    )
