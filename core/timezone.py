"""The office's one time zone. Deadlines, days and hours people read are Beijing time.

A fixed UTC+8 offset: China has kept no daylight saving time since 1991, and a fixed offset
converts faster than a zoneinfo lookup on every post."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

ZONE_NAME = "Asia/Shanghai"
SHANGHAI = timezone(timedelta(hours=8), ZONE_NAME)


def local(moment: datetime) -> datetime:
    """`moment` (timezone-aware) in Beijing time."""
    return moment.astimezone(SHANGHAI)
