"""What a paid applicant must keep afterwards: the obligation catalogue, declared like the rules
(each obligation names its parameters and their parsers), and the pure arithmetic of a breach.

An obligation is pinned with the program version the application was decided on: a later
version of the program file does not change what an earlier recipient promised.

``keep_animals(months)``: every animal the application claimed stays the applicant's for
``months`` after the payment. An animal absent from a later animals extract, or listed under
another IIN/BIN, has left; if it left before the obligation ended, the subsidy paid on it is
recovered pro rata: paid × left ÷ claimed, to the tiyn, half up.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from subsidy.eligibility.params import (
    DefinitionError,
    parse_positive_int,
    refuse_unknown_keys,
    require_mapping,
)

CENT = Decimal("0.01")
MAX_MONTHS = 120
DEFAULT_RECOVERY_DAYS = 30


@dataclass(frozen=True)
class ObligationParam:
    parse: Callable[[Any, str], Any]
    doc: str


@dataclass(frozen=True)
class ObligationKind:
    name: str
    summary: str
    params: dict[str, ObligationParam]


def _months(raw: Any, path: str) -> int:
    value = parse_positive_int(raw, path)
    if value > MAX_MONTHS:
        raise DefinitionError(path, f"must be at most {MAX_MONTHS} months")
    return value


OBLIGATIONS: dict[str, ObligationKind] = {
    "keep_animals": ObligationKind(
        "keep_animals",
        "Every claimed animal stays the applicant's for `months` after the payment; one that "
        "leaves earlier is recovered pro rata (paid × left ÷ claimed).",
        {"months": ObligationParam(_months, "how long, in whole months, 1 to 120")},
    ),
}


@dataclass(frozen=True)
class Obligation:
    name: str
    params: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"obligation": self.name, "params": dict(self.params)}


def parse_obligations(raw: Any, path: str) -> tuple[Obligation, ...]:
    """The ``obligations`` list of a program file; an unknown obligation or parameter is
    refused with its path, as rules are."""
    if not isinstance(raw, list):
        raise DefinitionError(path, "must be a list of {obligation, params}")
    found: list[Obligation] = []
    for position, item in enumerate(raw):
        where = f"{path}[{position}]"
        require_mapping(item, where, "obligation and params")
        refuse_unknown_keys(item, where, ("obligation", "params"))
        name = item.get("obligation")
        if name is None:
            raise DefinitionError(f"{where}.obligation", "is required")
        if not isinstance(name, str) or name not in OBLIGATIONS:
            raise DefinitionError(
                f"{where}.obligation",
                f"unknown obligation; known obligations: {', '.join(OBLIGATIONS)}",
            )
        if any(obligation.name == name for obligation in found):
            raise DefinitionError(f"{where}.obligation", f"{name} is given twice")
        declared = OBLIGATIONS[name].params
        given = item.get("params") or {}
        require_mapping(given, f"{where}.params", "parameter names and values")
        params: dict[str, Any] = {}
        for key, value in given.items():
            if key not in declared:
                raise DefinitionError(
                    f"{where}.params.{key}",
                    f"unknown parameter of {name}; it takes {', '.join(declared)}",
                )
            params[key] = declared[key].parse(value, f"{where}.params.{key}")
        for key in declared:
            if key not in params:
                raise DefinitionError(f"{where}.params.{key}", "is required")
        found.append(Obligation(name, {key: params[key] for key in declared}))
    return tuple(found)


def parse_recovery_days(raw: Any, path: str) -> int:
    value = parse_positive_int(raw, path)
    if value > 365:
        raise DefinitionError(path, "must be at most 365 days")
    return value


# --- keep_animals ---------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """``day`` plus whole months; the 31st becomes the month's last day where it has none."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def keep_animals_ends_on(paid_on: date, months: int) -> date:
    """The last day the animals must be kept (the obligation runs from the payment)."""
    return add_months(paid_on, months)


@dataclass(frozen=True)
class Breach:
    left: tuple[str, ...]  # animal ids, sorted
    claimed: int
    amount: Decimal


def recovery_amount(paid: Decimal, left: int, claimed: int) -> Decimal:
    """paid × left ÷ claimed to the tiyn, half up; never more than paid."""
    if claimed <= 0 or not 0 < left <= claimed:
        raise ValueError("left must be between 1 and the number claimed")
    return min(paid, (paid * left / claimed).quantize(CENT, rounding=ROUND_HALF_UP))


def keep_animals_breach(
    *,
    claimed: Iterable[str],
    held: Iterable[str],
    paid: Decimal,
    paid_on: date,
    months: int,
    extract_as_of: date,
) -> Breach | None:
    """The breach an extract dated ``extract_as_of`` shows, if any: the claimed animals the
    applicant no longer ``held`` on that date, while the obligation still ran. An extract dated
    after the obligation ended shows none (an animal sold afterwards was the farmer's to sell);
    so does one dated before the payment."""
    claimed_ids = sorted(set(claimed))
    if not claimed_ids or extract_as_of < paid_on:
        return None
    if extract_as_of > keep_animals_ends_on(paid_on, months):
        return None
    kept = set(held)
    left = tuple(animal for animal in claimed_ids if animal not in kept)
    if not left:
        return None
    return Breach(left, len(claimed_ids), recovery_amount(paid, len(left), len(claimed_ids)))
