"""Builds the whole demo site for one day, the same content every time for the same day."""

from __future__ import annotations

from datetime import date, datetime

from core.timezone import SHANGHAI
from yuqing.demo.site.gen_board import build_board
from yuqing.demo.site.gen_hotline import build_hotline
from yuqing.demo.site.gen_news import build_news
from yuqing.demo.site.gen_weibo import build_microblog
from yuqing.demo.site.models import Site


def build_site(today: date | None = None) -> Site:
    """The site as of `today` (Asia/Shanghai by default); dates are relative to it."""
    day = today or datetime.now(SHANGHAI).date()
    return Site(
        today=day,
        news=build_news(day),
        board=build_board(day),
        microblog=build_microblog(day),
        hotline=build_hotline(day),
    )
