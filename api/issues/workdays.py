"""Chinese working days: weekends, public holidays and make-up workdays (调休), year by year.

The years 2004-2026 come from the `chinese_calendar` package; `config/holidays.yaml` adds later
years (each year's plan is published by the State Council late in the year before) and can
correct single dates. A year that neither covers is an error, never a guess.

Counting rule (as for periods counted in days in Chinese law, 民法典 art. 201 and 203): the day
on which a period starts is not counted, whatever the time of day and whether or not it is a
working day; counting starts on the next working day, and the period ends at 24:00 of its last
working day. 24:00 is written as 00:00 of the next calendar day, so a due time is an exclusive
end: anything at or before it is on time. All times are in Asia/Shanghai (no daylight saving).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import chinese_calendar
from chinese_calendar.constants import holidays as _PACKAGE_HOLIDAYS
from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.configfile import load_model
from core.errors import CalendarError
from core.timezone import SHANGHAI

SHANGHAI = SHANGHAI
ONE_DAY = timedelta(days=1)
PACKAGE_YEARS = range(min(_PACKAGE_HOLIDAYS).year, max(_PACKAGE_HOLIDAYS).year + 1)


def local_date(value: date) -> date:
    """The calendar day of `value` in Shanghai; a datetime must be timezone-aware."""
    if isinstance(value, datetime):
        return aware(value).astimezone(SHANGHAI).date()
    return value


def aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{value.isoformat()} has no timezone; SLA times must be tz-aware")
    return value


def start_of_day(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=SHANGHAI)


# -- the override file --------------------------------------------------------------------------


def _parse_days(entry: Any) -> list[date]:
    """A date, or an inclusive range written "2027-02-06..2027-02-13"."""
    if isinstance(entry, date) and not isinstance(entry, datetime):
        return [entry]
    if not isinstance(entry, str):
        raise ValueError(f"{entry!r} is not a date or a range like 2027-02-06..2027-02-13")
    first, sep, last = entry.partition("..")
    try:
        start = date.fromisoformat(first.strip())
        end = date.fromisoformat(last.strip()) if sep else start
    except ValueError:
        raise ValueError(
            f"{entry!r} is not a date or a range like 2027-02-06..2027-02-13"
        ) from None
    if end < start:
        raise ValueError(f"the range {entry!r} ends before it starts")
    return [start + ONE_DAY * i for i in range((end - start).days + 1)]


class YearPlan(BaseModel):
    """One year's arrangement: days off (public holidays) and worked weekend days (调休)."""

    model_config = ConfigDict(extra="forbid")

    holidays: list[date] = Field(min_length=1)
    workdays: list[date] = []

    @field_validator("holidays", "workdays", mode="before")
    @classmethod
    def _expand(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        return [day for entry in value for day in _parse_days(entry)]


class HolidaysFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    years: dict[int, YearPlan] = {}

    @field_validator("years")
    @classmethod
    def _consistent(cls, years: dict[int, YearPlan]) -> dict[int, YearPlan]:
        holidays: set[date] = set()
        workdays: set[date] = set()
        for year, plan in years.items():
            for day in [*plan.holidays, *plan.workdays]:
                # A plan may reach into the years next to it (元旦 2019 began on 2018-12-30).
                if abs(day.year - year) > 1:
                    raise ValueError(f"{year}: {day} is not in {year} or a year next to it")
            holidays.update(plan.holidays)
            workdays.update(plan.workdays)
        both = sorted(holidays & workdays)
        if both:
            raise ValueError(f"listed both as a holiday and as a workday: {both[0]}")
        return years


# -- the calendar -------------------------------------------------------------------------------


class WorkCalendar:
    """Which days are working days, with the package's data and the office's overrides."""

    def __init__(
        self,
        *,
        holidays: Iterable[date] = (),
        workdays: Iterable[date] = (),
        years: Iterable[int] = (),
    ) -> None:
        """`years` are covered besides the package's; `holidays`/`workdays` override any date."""
        self._holidays = frozenset(holidays)
        self._workdays = frozenset(workdays)
        self._years = frozenset(years)

    @classmethod
    def from_file(cls, path: Path) -> WorkCalendar:
        """The calendar with `path` (config/holidays.yaml) applied; a bad file is a ConfigError."""
        parsed = load_model(path, HolidaysFile, "holidays file")
        return cls(
            holidays=[d for plan in parsed.years.values() for d in plan.holidays],
            workdays=[d for plan in parsed.years.values() for d in plan.workdays],
            years=parsed.years,
        )

    def covers(self, year: int) -> bool:
        return year in PACKAGE_YEARS or year in self._years

    def is_workday(self, day: date) -> bool:
        """Whether `day` (a date, or an aware datetime taken in Shanghai) is a working day."""
        day = local_date(day)
        if not self.covers(day.year):
            raise CalendarError(
                f"the working-day calendar has no data for {day.year}; add that year's holiday "
                "plan to config/holidays.yaml"
            )
        if day in self._workdays:
            return True
        if day in self._holidays:
            return False
        if day.year in PACKAGE_YEARS:
            return bool(chinese_calendar.is_workday(day))
        return day.weekday() < 5

    def next_workday(self, day: date) -> date:
        """The first working day strictly after `day`."""
        day = local_date(day) + ONE_DAY
        while not self.is_workday(day):
            day += ONE_DAY
        return day

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The due time of a period of `days` working days starting at `start`.

        That is 24:00 (00:00 of the next calendar day, in Shanghai) of the `days`-th working day
        after `start`'s date. The start day never counts, so starting at 09:00 on a working day,
        at 23:00, or on a holiday differ only in which day comes next.
        """
        if days < 1:
            raise ValueError(f"a period must be at least one working day, got {days}")
        day = local_date(aware(start))
        for _ in range(days):
            day = self.next_workday(day)
        return start_of_day(day + ONE_DAY)

    def working_days_between(self, a: date, b: date) -> int:
        """How many working days fall after `a`'s date up to and including `b`'s date.

        Negative when `b` is before `a`. Datetimes are taken by their date in Shanghai, so for a
        due time from `add_working_days` pass ``due - timedelta(microseconds=1)``.
        """
        first, last = local_date(a), local_date(b)
        sign = 1
        if last < first:
            first, last, sign = last, first, -1
        count = 0
        day = first + ONE_DAY
        while day <= last:
            count += self.is_workday(day)
            day += ONE_DAY
        return sign * count
