"""Chinese working days against the State Council's 2024 and 2025 holiday plans."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import chinese_calendar
import pytest

from api.issues.workdays import WorkCalendar
from core.errors import CalendarError, ConfigError
from core.timezone import SHANGHAI

PROJECT_CONFIG = Path(__file__).resolve().parents[2] / "config"

# (date, worked?) from the notices, checked below against chinese_calendar as well.
ARRANGEMENTS = [
    # 2024 Spring Festival: Feb 10-17 off, Sun Feb 4 and Sun Feb 18 worked.
    (date(2024, 2, 4), True),
    (date(2024, 2, 9), True),
    *[(date(2024, 2, d), False) for d in range(10, 18)],
    (date(2024, 2, 18), True),
    # 2024 National Day: Oct 1-7 off, Sun Sep 29 and Sat Oct 12 worked.
    (date(2024, 9, 28), False),
    (date(2024, 9, 29), True),
    *[(date(2024, 10, d), False) for d in range(1, 8)],
    (date(2024, 10, 8), True),
    (date(2024, 10, 12), True),
    (date(2024, 10, 13), False),
    # 2025 Spring Festival: Jan 28 - Feb 4 off, Sun Jan 26 and Sat Feb 8 worked.
    (date(2025, 1, 26), True),
    (date(2025, 1, 27), True),
    *[(date(2025, 1, d), False) for d in range(28, 32)],
    *[(date(2025, 2, d), False) for d in range(1, 5)],
    (date(2025, 2, 5), True),
    (date(2025, 2, 8), True),
    (date(2025, 2, 9), False),
    # 2025 Labour Day: May 1-5 off, Sun Apr 27 worked.
    (date(2025, 4, 27), True),
    *[(date(2025, 5, d), False) for d in range(1, 6)],
    (date(2025, 5, 6), True),
    # 2025 National Day and Mid-Autumn: Oct 1-8 off, Sun Sep 28 and Sat Oct 11 worked.
    (date(2025, 9, 28), True),
    *[(date(2025, 10, d), False) for d in range(1, 9)],
    (date(2025, 10, 9), True),
    (date(2025, 10, 11), True),
    (date(2025, 10, 12), False),
]


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def calendar() -> WorkCalendar:
    return WorkCalendar()


@pytest.mark.parametrize(("day", "worked"), ARRANGEMENTS, ids=lambda v: str(v))
def test_published_arrangements(calendar: WorkCalendar, day: date, worked: bool) -> None:
    assert calendar.is_workday(day) is worked
    assert chinese_calendar.is_workday(day) is worked


def test_ordinary_weekend_is_off_and_weekday_worked(calendar: WorkCalendar) -> None:
    assert calendar.is_workday(date(2025, 3, 8)) is False  # Saturday
    assert calendar.is_workday(date(2025, 3, 10)) is True  # Monday


def test_an_aware_datetime_is_judged_by_its_shanghai_date(calendar: WorkCalendar) -> None:
    # 2025-02-04 17:00 UTC is 2025-02-05 01:00 in Shanghai: the first day back after the festival.
    assert calendar.is_workday(datetime(2025, 2, 4, 17, tzinfo=UTC)) is True
    assert calendar.is_workday(datetime(2025, 2, 4, 15, tzinfo=UTC)) is False


def test_three_working_days_across_a_worked_weekend(calendar: WorkCalendar) -> None:
    # Thu 2025-10-09 10:00: Fri 10th, Sat 11th (worked), then Mon 13th is the third.
    due = calendar.add_working_days(at(2025, 10, 9, 10), 3)
    assert due == at(2025, 10, 14, 0, 0)  # 24:00 of Monday the 13th
    assert due.tzinfo is SHANGHAI


def test_three_working_days_across_the_spring_festival(calendar: WorkCalendar) -> None:
    # Mon 2025-01-27 15:30: the festival Jan 28 - Feb 4 does not count; Feb 5, 6, 7.
    assert calendar.add_working_days(at(2025, 1, 27, 15, 30), 3) == at(2025, 2, 8, 0, 0)
    # From Fri 2024-02-09: Sun Feb 18 is worked, then Mon 19 and Tue 20.
    assert calendar.add_working_days(at(2024, 2, 9, 9), 3) == at(2024, 2, 21, 0, 0)


def test_starting_on_a_holiday_counts_from_the_next_working_day(calendar: WorkCalendar) -> None:
    # Wed 2024-10-02 is a holiday: Oct 8 is day one, Oct 9 day two.
    assert calendar.add_working_days(at(2024, 10, 2, 11), 2) == at(2024, 10, 10, 0, 0)


def test_the_start_day_never_counts(calendar: WorkCalendar) -> None:
    # Office hours or not, a start on Tue 2025-03-11 makes Wed the first day.
    morning = calendar.add_working_days(at(2025, 3, 11, 0, 0), 1)
    night = calendar.add_working_days(at(2025, 3, 11, 23, 59), 1)
    assert morning == night == at(2025, 3, 13, 0, 0)


def test_start_is_taken_in_shanghai_time(calendar: WorkCalendar) -> None:
    # Fri 2025-03-14 17:00 UTC is Sat 01:00 in Shanghai: Monday is day one, due Tue 00:00.
    due = calendar.add_working_days(datetime(2025, 3, 14, 17, tzinfo=UTC), 1)
    assert due == at(2025, 3, 18, 0, 0)


def test_naive_times_and_empty_periods_are_refused(calendar: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="timezone"):
        calendar.add_working_days(datetime(2025, 3, 11, 9), 1)
    with pytest.raises(ValueError, match="at least one"):
        calendar.add_working_days(at(2025, 3, 11, 9), 0)


def test_working_days_between(calendar: WorkCalendar) -> None:
    # After Jan 27 up to Feb 8 2025: Feb 5, 6, 7 and the worked Saturday Feb 8.
    assert calendar.working_days_between(date(2025, 1, 27), date(2025, 2, 8)) == 4
    assert calendar.working_days_between(date(2025, 2, 8), date(2025, 1, 27)) == -4
    assert calendar.working_days_between(date(2025, 2, 1), date(2025, 2, 1)) == 0
    start = at(2025, 1, 27, 15, 30)
    due = calendar.add_working_days(start, 3)
    assert calendar.working_days_between(start, due - timedelta(microseconds=1)) == 3


def test_an_uncovered_year_is_an_error_naming_it(calendar: WorkCalendar) -> None:
    with pytest.raises(CalendarError, match="no data for 2027.*config/holidays.yaml"):
        calendar.is_workday(date(2027, 1, 4))
    # A period that runs into the missing year fails too, rather than guessing.
    with pytest.raises(CalendarError, match="2027"):
        calendar.add_working_days(at(2026, 12, 30, 10), 3)
    with pytest.raises(CalendarError, match="2003"):
        calendar.is_workday(date(2003, 6, 2))
    assert isinstance(CalendarError("x"), ConfigError)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "holidays.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_year_from_the_override_file(tmp_path: Path) -> None:
    calendar = WorkCalendar.from_file(
        write(
            tmp_path,
            """
years:
  2027:
    holidays:
      - 2027-01-01
      - "2027-02-06..2027-02-13"
    workdays:
      - 2027-02-14
""",
        )
    )
    assert calendar.covers(2027) and not calendar.covers(2028)
    assert calendar.is_workday(date(2027, 1, 1)) is False  # a Friday, listed
    assert calendar.is_workday(date(2027, 1, 4)) is True  # a Monday
    assert calendar.is_workday(date(2027, 1, 9)) is False  # a Saturday
    assert calendar.is_workday(date(2027, 2, 10)) is False  # inside the range
    assert calendar.is_workday(date(2027, 2, 14)) is True  # a worked Sunday
    # From Fri 2027-02-05: the 14th (Sun, worked), 15th, 16th.
    assert calendar.add_working_days(at(2027, 2, 5, 10), 3) == at(2027, 2, 17, 0, 0)
    # The package still answers for its own years.
    assert calendar.is_workday(date(2025, 2, 8)) is True
    with pytest.raises(CalendarError, match="2028"):
        calendar.is_workday(date(2028, 1, 3))


def test_the_override_file_corrects_a_package_year(tmp_path: Path) -> None:
    calendar = WorkCalendar.from_file(
        write(tmp_path, "years:\n  2025:\n    holidays: [2025-03-10]\n    workdays: [2025-03-08]\n")
    )
    assert calendar.is_workday(date(2025, 3, 10)) is False
    assert calendar.is_workday(date(2025, 3, 8)) is True
    assert calendar.is_workday(date(2025, 2, 8)) is True  # the rest comes from the package


def test_the_shipped_file_loads_and_adds_no_year() -> None:
    calendar = WorkCalendar.from_file(PROJECT_CONFIG / "holidays.yaml")
    assert calendar.covers(2026) and not calendar.covers(2027)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("years:\n  2027:\n    holidays: []\n", r"years\.2027\.holidays"),
        ("years:\n  2027:\n    holidays: [2027-13-01]\n", "2027-13-01"),
        ("years:\n  2027:\n    holidays: ['2027-02-13..2027-02-06']\n", "ends before"),
        ("years:\n  2027:\n    holidays: [2027-01-01 08:00]\n", "'2027-01-01 08:00' is not a date"),
        ("years:\n  2027:\n    holidays: [2030-01-01]\n", "2030-01-01 is not in 2027"),
        ("years:\n  2027:\n    holidays: [2027-01-01]\n    workdays: [2027-01-01]\n", "both"),
        ("years:\n  2027:\n    holidays: [2027-01-01]\n    workday: [2027-01-02]\n", "workday"),
        ("years:\n  2027:\n    holidays: [2027-01-01]\n  2027:\n    holidays: []\n", "twice"),
        ("years: [2027\n", "not valid YAML"),
    ],
)
def test_a_bad_override_file_is_a_config_error(tmp_path: Path, text: str, problem: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=problem) as caught:
        WorkCalendar.from_file(path)
    assert not isinstance(caught.value, CalendarError)
    assert str(path) in str(caught.value)


def test_a_missing_override_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the holidays file"):
        WorkCalendar.from_file(tmp_path / "nope.yaml")
