"""Scalar values of a program file: parsers that refuse with the path of the bad field.

They live beside the rules because rules declare their parameters with them
(``@rule(..., min=Param(parse_positive_int))``); the program loader (:mod:`subsidy.programs`), one
layer up, parses the rest of the file with the same functions.

Every parser takes ``(raw, path)`` and returns a clean value or raises :class:`DefinitionError`.
Decimals come back with a canonical exponent (at least two places, no needless trailing zeros),
so that ``str(value)`` is the same text wherever the value goes: the canonical JSON, the API, a
decision. Floats are refused everywhere: YAML reads ``45.5`` as a binary float, and a subsidy
computed from one could differ by a tiyn from the amount written in the order.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from subsidy.eligibility.facts import SPECIES

LANGUAGES = ("ru", "kk", "en")
MONEY_MAX = Decimal(10) ** 13
_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class DefinitionError(ValueError):
    """A program file refused at ``path``, e.g. ``criteria[2].params.min``."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def decimal_text(value: Decimal) -> str:
    """Plain text of a decimal with at least two places: 45 -> "45.00", 0.2500 -> "0.25"."""
    text = format(value, "f")
    whole, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0").ljust(2, "0")
    return f"{whole}.{fraction}"


def canonical_decimal(value: Decimal) -> Decimal:
    return Decimal(decimal_text(value))


def parse_decimal(
    raw: Any,
    path: str,
    *,
    places: int,
    positive: bool = True,
    maximum: Decimal = MONEY_MAX,
    example: str = '"45.50"',
) -> Decimal:
    """A decimal from a quoted string or a YAML integer; never from a float."""
    if isinstance(raw, float):
        raise DefinitionError(
            path,
            f"write the number in quotes, e.g. {example}: YAML reads {raw!r} as a float, "
            "which loses precision",
        )
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise DefinitionError(path, f"must be a decimal number in quotes, e.g. {example}")
    text = str(raw)
    if not _DECIMAL.fullmatch(text):
        raise DefinitionError(path, f"must be a decimal number in quotes, e.g. {example}")
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid literals
        raise DefinitionError(path, "is not a decimal number") from None
    if positive and value <= 0:
        raise DefinitionError(path, "must be greater than zero")
    if value < 0:
        raise DefinitionError(path, "must not be negative")
    if value > maximum:
        raise DefinitionError(path, f"must not exceed {maximum}")
    exponent = cast(int, value.as_tuple().exponent)  # an int: the pattern admits no NaN or infinity
    if -exponent > places and value != value.quantize(Decimal(1).scaleb(-places)):
        raise DefinitionError(path, f"must have at most {places} decimal places")
    return canonical_decimal(value)


def parse_money(raw: Any, path: str) -> Decimal:
    """A positive KZT amount with at most two decimal places, up to 10^13."""
    return parse_decimal(raw, path, places=2)


def parse_non_negative_money(raw: Any, path: str) -> Decimal:
    return parse_decimal(raw, path, places=2, positive=False, example='"0.00"')


def parse_share(raw: Any, path: str) -> Decimal:
    """A share 0 < x <= 1 with at most four decimal places, e.g. "0.25" for 25 %."""
    value = parse_decimal(raw, path, places=4, maximum=Decimal(10) ** 13, example='"0.95"')
    if value > 1:
        raise DefinitionError(path, 'must be a share of at most 1, e.g. "0.95" for 95 %')
    return value


def parse_hectares(raw: Any, path: str) -> Decimal:
    return parse_decimal(raw, path, places=4, example='"10.5"')


# Counts in rules (heads, members) stay far below this; it keeps every integer exact in JSON.
MAX_COUNT = 1_000_000_000


def parse_positive_int(raw: Any, path: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw <= 0:
        raise DefinitionError(path, "must be a positive integer")
    if raw > MAX_COUNT:
        raise DefinitionError(path, f"must be at most {MAX_COUNT}")
    return raw


def parse_non_negative_int(raw: Any, path: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise DefinitionError(path, "must be a whole number, zero or more")
    if raw > MAX_COUNT:
        raise DefinitionError(path, f"must be at most {MAX_COUNT}")
    return raw


def parse_species(raw: Any, path: str) -> str:
    if not isinstance(raw, str) or raw not in SPECIES:
        raise DefinitionError(path, f"must be one of {', '.join(SPECIES)}")
    return raw


def parse_date(raw: Any, path: str) -> date:
    """A calendar day: a YAML date or an ISO ``YYYY-MM-DD`` string (as in the canonical JSON)."""
    if isinstance(raw, datetime):
        raise DefinitionError(path, "must be a date (YYYY-MM-DD) without a time")
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str) and _ISO_DATE.fullmatch(raw):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise DefinitionError(path, f"{raw} is not a real date") from None
    raise DefinitionError(path, "must be a date (YYYY-MM-DD)")


def parse_text(raw: Any, path: str, *, max_length: int) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise DefinitionError(path, "must be a non-empty string")
    if len(raw) > max_length:
        raise DefinitionError(path, f"must be at most {max_length} characters")
    return raw


def parse_localized(raw: Any, path: str, *, max_length: int) -> dict[str, str]:
    """``{ru, kk, en}``, all three required and nothing else."""
    if not isinstance(raw, dict):
        raise DefinitionError(path, "must be a mapping with ru, kk and en")
    for key, value in raw.items():
        if key not in LANGUAGES:
            raise DefinitionError(f"{path}.{key}", "unknown language; use ru, kk and en")
        parse_text(value, f"{path}.{key}", max_length=max_length)
    for language in LANGUAGES:
        if language not in raw:
            raise DefinitionError(f"{path}.{language}", "is required")
    return {language: raw[language] for language in LANGUAGES}


def require_mapping(raw: Any, path: str, what: str) -> dict[Any, Any]:
    if not isinstance(raw, dict):
        raise DefinitionError(path, f"must be a mapping ({what})")
    return raw


def refuse_unknown_keys(raw: dict[Any, Any], path: str, known: tuple[str, ...]) -> None:
    for key in raw:
        if key not in known:
            prefix = f"{path}." if path else ""
            raise DefinitionError(f"{prefix}{key}", f"unknown field; expected {', '.join(known)}")
