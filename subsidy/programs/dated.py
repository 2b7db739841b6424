"""Values that change on known dates, kept the way OpenFisca keeps its parameters.

A parameter is either one value, in force on every day, or a mapping ``{start date: value}``;
on a given day the value in force is the one with the latest start date on or before that day,
and before the first start date there is none. An order that raises the milk rate from 1 July is
written as a second entry, not as a new program, so an application keeps the rate of the day it
was submitted and the history stays readable in one file.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Generic, TypeVar, cast

from subsidy.eligibility.params import DefinitionError, decimal_text, parse_date

T = TypeVar("T")


@dataclass(frozen=True)
class DatedValue(Generic[T]):
    """One value (``starts`` is ``(None,)``) or values by ascending start date."""

    starts: tuple[date | None, ...]
    values: tuple[T, ...]

    @classmethod
    def single(cls, value: T) -> DatedValue[T]:
        return cls((None,), (value,))

    @classmethod
    def by_date(cls, changes: dict[date, T]) -> DatedValue[T]:
        if not changes:
            raise ValueError("a dated value needs at least one date")
        ordered = sorted(changes.items())
        return cls(tuple(day for day, _ in ordered), tuple(value for _, value in ordered))

    @property
    def is_single(self) -> bool:
        return self.starts == (None,)

    @property
    def changes(self) -> list[tuple[date | None, T]]:
        return list(zip(self.starts, self.values, strict=True))

    @property
    def first_start(self) -> date | None:
        return self.starts[0]

    def value_on(self, day: date) -> T | None:
        if self.is_single:
            return self.values[0]
        position = bisect_right(self._dates(), day)
        return self.values[position - 1] if position else None

    def to_json(self) -> Any:
        if self.is_single:
            return json_value(self.values[0])
        return {
            day.isoformat(): json_value(value)
            for day, value in zip(self._dates(), self.values, strict=True)
        }

    def _dates(self) -> tuple[date, ...]:
        """The start dates of values by date: only a single value has the start None."""
        return cast("tuple[date, ...]", self.starts)


def json_value(value: Any) -> Any:
    """Decimals as plain strings, dates as ISO text; everything else unchanged."""
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def parse_dated(raw: Any, parse_one: Callable[[Any, str], T], path: str) -> DatedValue[T]:
    """A value, or a mapping of start dates (YAML dates or ISO strings) to values.

    A bad entry is refused at ``path[YYYY-MM-DD]``; a mapping is read in file order so the first
    error is the first one a reader meets.
    """
    if not isinstance(raw, dict):
        return DatedValue.single(parse_one(raw, path))
    if not raw:
        raise DefinitionError(path, "a dated value needs at least one start date")
    changes: dict[date, T] = {}
    for key, value in raw.items():
        day = parse_date(key, f"{path}[{key}]")
        entry_path = f"{path}[{day.isoformat()}]"
        if day in changes:
            raise DefinitionError(entry_path, "this start date is given twice")
        changes[day] = parse_one(value, entry_path)
    return DatedValue.by_date(changes)
