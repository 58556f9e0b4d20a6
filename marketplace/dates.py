"""Date arithmetic the domain rules share."""

import datetime


def add_years(day: datetime.date, years: int) -> datetime.date:
    """The same calendar day `years` later (or earlier); 29 February falls back to the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
