import datetime

import pytest

from marketplace.dates import add_years


@pytest.mark.parametrize(
    ("day", "years", "expected"),
    [
        (datetime.date(2021, 6, 30), 5, datetime.date(2026, 6, 30)),
        (datetime.date(2020, 2, 29), 5, datetime.date(2025, 2, 28)),
        (datetime.date(2020, 2, 29), 4, datetime.date(2024, 2, 29)),
        (datetime.date(2026, 11, 23), -5, datetime.date(2021, 11, 23)),
        (datetime.date(2028, 2, 29), -5, datetime.date(2023, 2, 28)),
    ],
)
def test_add_years_keeps_the_calendar_day(day, years, expected):
    """Years move the same calendar day; a 29 February with no twin lands on the 28th."""
    assert add_years(day, years) == expected
