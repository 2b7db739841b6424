"""Working days in Kazakhstan, for decision deadlines (pure).

Public holidays (Labour Code, art. 84, and the Law "On holidays"): 1–2 January, 7 January
(Orthodox Christmas), 8 March, 21–23 March (Nauryz), 1 May, 7 May, 9 May, 6 July, 30 August,
25 October (Republic Day, a holiday again from 2022), 16 December, and the first day of Kurban
Ait (lunar, listed per year). When a holiday that is not religious falls on a Saturday or
Sunday, the next working day is a day off. The government's yearly decrees that swap single
working days are not modelled: a deadline may come a day early, never late.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

FIXED_HOLIDAYS = (
    (1, 1), (1, 2), (3, 8), (3, 21), (3, 22), (3, 23), (5, 1), (5, 7), (5, 9), (7, 6),
    (8, 30), (10, 25), (12, 16),
)  # fmt: skip
RELIGIOUS_FIXED = ((1, 7),)
# First day of Kurban Ait, as announced for each year.
KURBAN_AIT = {
    2024: date(2024, 6, 16),
    2025: date(2025, 6, 6),
    2026: date(2026, 5, 27),
    2027: date(2027, 5, 16),
    2028: date(2028, 5, 5),
    2029: date(2029, 4, 24),
    2030: date(2030, 4, 13),
}


@lru_cache(maxsize=32)
def holidays(year: int) -> frozenset[date]:
    days: set[date] = set()
    for month, day in FIXED_HOLIDAYS:
        holiday = date(year, month, day)
        days.add(holiday)
    # Carry-over: a secular holiday on a weekend moves the day off to the next working day.
    for month, day in FIXED_HOLIDAYS:
        holiday = date(year, month, day)
        if holiday.weekday() >= 5:
            substitute = holiday + timedelta(days=1)
            while substitute.weekday() >= 5 or substitute in days:
                substitute += timedelta(days=1)
            days.add(substitute)
    days.update(date(year, month, day) for month, day in RELIGIOUS_FIXED)
    if year in KURBAN_AIT:
        days.add(KURBAN_AIT[year])
    return frozenset(days)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in holidays(day.year)


def add_working_days(start: date, count: int) -> date:
    """The day ``count`` working days after ``start`` (the day of submission does not count)."""
    if count < 0:
        raise ValueError("count must not be negative")
    day = start
    remaining = count
    while remaining:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day
