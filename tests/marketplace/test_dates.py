import datetime

import pytest

from marketplace.dates import (
    WorkingDayCalendarUnknown,
    add_working_days,
    add_years,
    is_working_day,
    working_days_between,
)

D = datetime.date


@pytest.mark.parametrize(
    ("day", "years", "expected"),
    [
        (D(2021, 6, 30), 5, D(2026, 6, 30)),
        (D(2020, 2, 29), 5, D(2025, 2, 28)),
        (D(2020, 2, 29), 4, D(2024, 2, 29)),
        (D(2026, 11, 23), -5, D(2021, 11, 23)),
        (D(2028, 2, 29), -5, D(2023, 2, 28)),
    ],
)
def test_add_years_keeps_the_calendar_day(day, years, expected):
    """Years move the same calendar day; a 29 February with no twin lands on the 28th."""
    assert add_years(day, years) == expected


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 11, 23), True),  # an ordinary Monday
        (D(2026, 11, 22), False),  # an ordinary Sunday
        (D(2026, 2, 14), True),  # Saturday made a working day (春节调休)
        (D(2026, 2, 16), False),  # 春节 holiday on a Monday
        (D(2026, 10, 1), False),  # 国庆节
        (D(2026, 10, 10), True),  # Saturday made a working day (国庆调休)
    ],
)
def test_working_days_follow_the_official_calendar(day, working):
    """Weekends and holidays are off, make-up Saturdays (调休) are working days."""
    assert is_working_day(day) is working


def test_adding_working_days_counts_a_make_up_saturday():
    """Friday 13 February 2026 + 1 working day is the make-up Saturday, + 2 jumps 春节."""
    assert add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 14)
    assert add_working_days(D(2026, 2, 13), 2) == D(2026, 2, 24)


def test_working_days_between_skips_the_golden_week():
    """From 30 September to 9 October 2026: 30 Sep is excluded, 1–7 Oct are off, 8–9 count."""
    assert working_days_between(D(2026, 9, 30), D(2026, 10, 9)) == 2
    assert working_days_between(D(2026, 10, 9), D(2026, 10, 9)) == 0


def test_a_year_without_a_published_arrangement_is_refused_clearly():
    """No guessing for 2027 before its holiday notice is known: a clear Chinese error."""
    with pytest.raises(WorkingDayCalendarUnknown) as raised:
        add_working_days(D(2026, 12, 30), 5)
    assert raised.value.code == "working_day_calendar_unknown"
    assert "2027" in raised.value.message % raised.value.params


def test_a_year_copied_into_the_platform_table_is_used_before_the_package_has_it(monkeypatch):
    """A notice copied into data/holidays.py makes that year computable: listed holidays are
    off, listed weekend days are worked, other weekends are off."""
    from marketplace.data import holidays

    with pytest.raises(WorkingDayCalendarUnknown):
        is_working_day(D(2027, 1, 4))
    monkeypatch.setitem(
        holidays.EXTRA_YEARS,
        2027,
        {"holidays": [D(2027, 1, 1)], "workdays": [D(2027, 1, 2)]},
    )

    assert is_working_day(D(2027, 1, 1)) is False  # a listed holiday on a Friday
    assert is_working_day(D(2027, 1, 2)) is True  # a listed make-up Saturday
    assert is_working_day(D(2027, 1, 3)) is False  # an ordinary Sunday
    assert is_working_day(D(2027, 1, 4)) is True  # an ordinary Monday
    assert add_working_days(D(2026, 12, 31), 2) == D(2027, 1, 4)
