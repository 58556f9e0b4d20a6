"""Holiday arrangements for years the `chinesecalendar` package does not know yet.

The State Council publishes each year's arrangement (国务院办公厅关于<year>年部分节假日安排的
通知) late in the year before; a package release follows some weeks later. Until then, copy
the notice here so that working-day deadlines can be computed:

    EXTRA_YEARS = {
        2027: {
            "holidays": [datetime.date(2027, 1, 1), ...],  # weekdays off
            "workdays": [datetime.date(2027, 2, 7), ...],  # weekend days worked (调休)
        },
    }

Weekends not listed as workdays are days off. Remove a year once the package has it.
"""

EXTRA_YEARS: dict[int, dict] = {}
