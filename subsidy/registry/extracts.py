"""Parsing of state-registry CSV extracts (pure: no Flask, no database).

Formats (header row required, UTF-8, comma-separated):
- livestock: ``iin_bin,species,heads,identified_heads``
- land: ``iin_bin,cadastral_number,hectares``
- tax: ``iin_bin,arrears`` (KZT)

A file is accepted whole or refused whole; the refusal names the line and the column.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import cast

from subsidy.applicants.ids import InvalidId, id_kind

HEADERS = {
    "livestock": ("iin_bin", "species", "heads", "identified_heads"),
    "land": ("iin_bin", "cadastral_number", "hectares"),
    "tax": ("iin_bin", "arrears"),
}
SPECIES = ("cattle", "sheep", "goats", "horses", "camels", "pigs", "poultry")
CADASTRAL_RE = re.compile(r"^\d{2}-\d{3}-\d{3}-\d{3,5}$")
MAX_HEADS = 1_000_000
MAX_HECTARES = Decimal("10000000")
MAX_ARREARS = Decimal("10000000000000")


class ExtractError(ValueError):
    def __init__(self, line: int, column: str, message: str):
        super().__init__(f"line {line}, column {column}: {message}")
        self.line = line
        self.column = column
        self.message = message


def _iin_bin(value: str) -> str:
    try:
        id_kind(value)
    except InvalidId as error:
        raise ValueError(str(error)) from None
    return value


def _species(value: str) -> str:
    if value not in SPECIES:
        raise ValueError(f"must be one of {', '.join(SPECIES)}")
    return value


def _count(value: str) -> int:
    if not value.isdigit():
        raise ValueError("must be a whole number of at least 0")
    number = int(value)
    if number > MAX_HEADS:
        raise ValueError(f"must be at most {MAX_HEADS}")
    return number


def _decimal(places: int, maximum: Decimal, *, positive: bool) -> Callable[[str], Decimal]:
    def parse(value: str) -> Decimal:
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise ValueError("must be a decimal number such as 12.50") from None
        exponent = number.as_tuple().exponent  # a letter for NaN and infinity
        if isinstance(exponent, str) or exponent < -places:
            raise ValueError(f"must be a decimal number with at most {places} decimal places")
        if (number <= 0) if positive else (number < 0):
            raise ValueError("must be greater than 0" if positive else "must not be negative")
        if number > maximum:
            raise ValueError(f"must be at most {maximum}")
        return number

    return parse


def _cadastral(value: str) -> str:
    if not CADASTRAL_RE.match(value):
        raise ValueError("must look like 05-068-012-345")
    return value


# A parsed cell: the IIN/BIN, species and cadastral number as text, head counts, decimals.
Cell = str | int | Decimal

PARSERS: dict[str, dict[str, Callable[[str], Cell]]] = {
    "livestock": {
        "iin_bin": _iin_bin,
        "species": _species,
        "heads": _count,
        "identified_heads": _count,
    },
    "land": {
        "iin_bin": _iin_bin,
        "cadastral_number": _cadastral,
        "hectares": _decimal(4, MAX_HECTARES, positive=True),
    },
    "tax": {"iin_bin": _iin_bin, "arrears": _decimal(2, MAX_ARREARS, positive=False)},
}
# A row is the same record as another when these columns repeat.
KEYS = {
    "livestock": ("iin_bin", "species"),
    "land": ("iin_bin", "cadastral_number"),
    "tax": ("iin_bin",),
}


def parse_extract(kind: str, lines: Iterable[str]) -> list[dict[str, Cell]]:
    if kind not in HEADERS:
        raise ExtractError(0, "kind", f"must be one of {', '.join(HEADERS)}")
    reader = csv.reader(lines)
    header = next(reader, None)
    expected = HEADERS[kind]
    if header is None or tuple(name.strip().lstrip("\ufeff") for name in header) != expected:
        raise ExtractError(1, "header", f"must be exactly {','.join(expected)}")
    rows: list[dict[str, Cell]] = []
    seen: dict[tuple[Cell, ...], int] = {}
    for row in reader:
        line = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != len(expected):
            raise ExtractError(line, "row", f"has {len(row)} columns, expected {len(expected)}")
        record = _parse_row(kind, line, row)
        key = tuple(record[name] for name in KEYS[kind])
        if key in seen:
            raise ExtractError(line, KEYS[kind][-1], f"repeats line {seen[key]}")
        seen[key] = line
        rows.append(record)
    if not rows:
        # A snapshot replaces the previous one whole: an empty file would erase every fact.
        raise ExtractError(2, "row", "the extract has no rows")
    return rows


def _parse_row(kind: str, line: int, row: list[str]) -> dict[str, Cell]:
    record: dict[str, Cell] = {}
    for (name, parse), cell in zip(PARSERS[kind].items(), row, strict=True):
        try:
            record[name] = parse(cell.strip())
        except ValueError as error:
            raise ExtractError(line, name, str(error)) from None
    # Both livestock counts are parsed by _count.
    if kind == "livestock" and cast(int, record["identified_heads"]) > cast(int, record["heads"]):
        raise ExtractError(line, "identified_heads", "must not exceed heads")
    return record
