"""Date arithmetic the domain rules share: calendar years and Chinese working days.

Working days follow the State Council's yearly holiday notice, including the make-up working
days (调休) that fall on weekends, as published in the `chinesecalendar` package, or in
`data/holidays.py` for a year whose notice is out before the package has it. A date in a year
neither knows raises `WorkingDayCalendarUnknown` rather than guessing.
"""

import datetime

import chinese_calendar
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.data import holidays


class WorkingDayCalendarUnknown(ValidationError):
    """The official holiday arrangement for that year is not known to the platform."""


def add_years(day: datetime.date, years: int) -> datetime.date:
    """The same calendar day `years` later (or earlier); 29 February falls back to the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def is_working_day(day: datetime.date) -> bool:
    """Whether government offices work on `day` (weekends and holidays off, 调休 days on)."""
    extra = holidays.EXTRA_YEARS.get(day.year)
    if extra is not None:
        if day in extra["workdays"]:
            return True
        return day.weekday() < 5 and day not in extra["holidays"]
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError as error:
        raise WorkingDayCalendarUnknown(
            _("尚无 %(year)d 年的法定节假日安排，暂时无法按工作日计算该日期。"),
            code="working_day_calendar_unknown",
            params={"year": day.year},
        ) from error


def add_working_days(day: datetime.date, count: int) -> datetime.date:
    """The `count`-th working day after `day` (`day` itself is not counted)."""
    if count < 0:
        raise ValueError("count must not be negative")
    while count:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def working_days_between(start: datetime.date, end: datetime.date) -> int:
    """How many working days lie after `start` up to and including `end`."""
    count, day = 0, start
    while day < end:
        day += datetime.timedelta(days=1)
        count += is_working_day(day)
    return count


def earliest_deadline(start: datetime.datetime, period: tuple[str, int]) -> datetime.datetime:
    """The earliest deadline a bidding period of ("days", n) or ("working_days", n) allows
    when it starts at `start`: the same time of day, n calendar or working days later."""
    unit, count = period
    if unit == "days":
        return start + datetime.timedelta(days=count)
    if unit == "working_days":
        local = timezone.localtime(start)
        day = add_working_days(local.date(), count)
        return local.replace(year=day.year, month=day.month, day=day.day)
    raise ValueError(f"unknown period unit {unit!r}")


def db_now() -> datetime.datetime:
    """The database's clock, read now (not at transaction start): deadlines are judged by it,
    so every application server agrees on what "before the deadline" means."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT clock_timestamp()")
            return cursor.fetchone()[0]
    return timezone.now()
