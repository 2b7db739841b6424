"""Parsing of state-registry CSV extracts (pure: no Flask, no database).

Formats (header row required, UTF-8, comma-separated):
- livestock: ``iin_bin,species,heads,identified_heads``
- animals: ``iin_bin,animal_id,species,sex,birth_date,registered_on``: every identified animal
  of the livestock identification database, one a line. ``animal_id`` is unique in the extract,
  1-32 of the ASCII characters A-Z, 0-9 and ``-``, beginning and ending with a letter or digit
  (``KZ123456789012``); ``sex`` is ``F`` or ``M``; both dates are real days written
  ``YYYY-MM-DD`` (no other ISO 8601 spelling), ``registered_on`` not before ``birth_date``.
- land: ``iin_bin,cadastral_number,hectares``
- tax: ``iin_bin,arrears`` (KZT)

A file is accepted whole or refused whole; the refusal names the line and the column.
:func:`iter_extract` yields the rows one at a time as it reads the lines, so that an import holds
neither the file nor its rows; the refusal comes when the bad line is reached, and a caller that
stored the rows before it must undo them (roll back its transaction). :func:`parse_extract`
returns the rows as a list.

The check for repeated rows remembers the key of every row read so far (an animal's id, a herd's
owner and species, ...): not in a dict of strings, which takes about 120 MB for a million animal
ids, but in :class:`SeenKeys`, the keys' bytes end to end and a table of row numbers, about
30 MB for the same million, exact.
"""

from __future__ import annotations

import csv
import functools
import re
from array import array
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from decimal import Decimal
from typing import cast

from subsidy.applicants.ids import InvalidId, id_kind

HEADERS = {
    "livestock": ("iin_bin", "species", "heads", "identified_heads"),
    "animals": ("iin_bin", "animal_id", "species", "sex", "birth_date", "registered_on"),
    "land": ("iin_bin", "cadastral_number", "hectares"),
    "tax": ("iin_bin", "arrears"),
}
SPECIES = ("cattle", "sheep", "goats", "horses", "camels", "pigs", "poultry")
SEXES = ("F", "M")
# [0-9], never \d or str.isdigit(): those also take "１２" (fullwidth), "١٢" (Arabic-Indic) and
# "²"; and Decimal() takes "1E+3" and "1_000.5" besides. Numbers are written as the API takes them.
CADASTRAL_RE = re.compile(r"[0-9]{2}-[0-9]{3}-[0-9]{3}-[0-9]{3,5}")
WHOLE_RE = re.compile(r"[0-9]+")
DECIMAL_RE = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
# [A-Z0-9], not \w or str.isalnum(): those also take "é", "²" and Arabic-Indic digits.
ANIMAL_ID_RE = re.compile(r"[A-Z0-9](?:[A-Z0-9-]{0,30}[A-Z0-9])?")
ISO_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MAX_HEADS = 1_000_000
MAX_HECTARES = Decimal("10000000")
MAX_ARREARS = Decimal("10000000000000")


class ExtractError(ValueError):
    def __init__(self, line: int, column: str, message: str):
        super().__init__(f"line {line}, column {column}: {message}")
        self.line = line
        self.column = column
        self.message = message


@functools.lru_cache(maxsize=8192)  # an owner's animals follow one another in an extract
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


def _animal_id(value: str) -> str:
    if not ANIMAL_ID_RE.fullmatch(value):
        raise ValueError(
            "must be 1-32 of A-Z, 0-9 and '-', beginning and ending with a letter or digit"
        )
    return value


def _sex(value: str) -> str:
    if value not in SEXES:
        raise ValueError("must be F or M")
    return value


@functools.lru_cache(maxsize=4096)  # a million animals are born on a few thousand days
def _iso_date(value: str) -> date:
    if not ISO_DATE_RE.fullmatch(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError("is not a real date") from None


def _count(value: str) -> int:
    if not WHOLE_RE.fullmatch(value):
        raise ValueError("must be a whole number of at least 0, written in the digits 0-9")
    digits = value.lstrip("0") or "0"
    if len(digits) > len(str(MAX_HEADS)) or int(digits) > MAX_HEADS:  # no int() of 5000 digits
        raise ValueError(f"must be at most {MAX_HEADS}")
    return int(digits)


def _decimal(places: int, maximum: Decimal, *, positive: bool) -> Callable[[str], Decimal]:
    def parse(value: str) -> Decimal:
        if len(value) > 40 or not DECIMAL_RE.fullmatch(value):
            raise ValueError("must be a decimal number such as 12.50, in the digits 0-9")
        number = Decimal(value)  # the pattern leaves no NaN, infinity or exponent
        if -cast(int, number.as_tuple().exponent) > places:
            raise ValueError(f"must be a decimal number with at most {places} decimal places")
        if (number <= 0) if positive else value.startswith("-"):  # "-0" too
            raise ValueError("must be greater than 0" if positive else "must not be negative")
        if number > maximum:
            raise ValueError(f"must be at most {maximum}")
        return number

    return parse


def _cadastral(value: str) -> str:
    if not CADASTRAL_RE.fullmatch(value):
        raise ValueError("must look like 05-068-012-345")
    return value


# A parsed cell: the IIN/BIN, species, animal id, sex and cadastral number as text, head counts,
# decimals, dates.
Cell = str | int | Decimal | date

PARSERS: dict[str, dict[str, Callable[[str], Cell]]] = {
    "livestock": {
        "iin_bin": _iin_bin,
        "species": _species,
        "heads": _count,
        "identified_heads": _count,
    },
    "animals": {
        "iin_bin": _iin_bin,
        "animal_id": _animal_id,
        "species": _species,
        "sex": _sex,
        "birth_date": _iso_date,
        "registered_on": _iso_date,
    },
    "land": {
        "iin_bin": _iin_bin,
        "cadastral_number": _cadastral,
        "hectares": _decimal(4, MAX_HECTARES, positive=True),
    },
    "tax": {"iin_bin": _iin_bin, "arrears": _decimal(2, MAX_ARREARS, positive=False)},
}
# A row is the same record as another when these columns (all text) repeat.
KEYS = {
    "livestock": ("iin_bin", "species"),
    "animals": ("animal_id",),
    "land": ("iin_bin", "cadastral_number"),
    "tax": ("iin_bin",),
}


class SeenKeys:
    """The keys of the rows read so far, each with its line, in about 30 bytes a key for an
    animal id of 14 characters (a dict of str to int takes about 120): the keys' bytes end to end
    in one bytearray, where each ends in an array, and an open-addressing table (linear probing,
    at most half full) of row numbers. Exact: a probe that lands on a row compares its bytes."""

    _EMPTY = -1

    def __init__(self, capacity: int = 1 << 12) -> None:
        size = 1 << max(3, (2 * capacity - 1).bit_length())
        self._bytes = bytearray()
        self._ends = array("q")  # row -> where its key ends in _bytes
        self._lines = array("q")  # row -> its line
        self._slots = array("i", [self._EMPTY]) * size  # table -> row
        self._mask = size - 1

    def __len__(self) -> int:
        return len(self._lines)

    def add(self, key: bytes, line: int) -> int | None:
        """Remember ``key`` at ``line``; if a row had it already, the line of that row instead."""
        slots, mask, ends, keys = self._slots, self._mask, self._ends, self._bytes
        length = len(key)
        index = hash(key) & mask
        row = slots[index]
        while row != self._EMPTY:
            end = ends[row]
            start = ends[row - 1] if row else 0
            if end - start == length and keys[start:end] == key:
                return self._lines[row]
            index = (index + 1) & mask
            row = slots[index]
        row = len(self._lines)
        slots[index] = row
        keys += key
        ends.append(len(keys))
        self._lines.append(line)
        if 2 * (row + 1) > mask + 1:
            self._grow()
        return None

    def _grow(self) -> None:
        size = 2 * (self._mask + 1)
        mask = size - 1
        slots = array("i", [self._EMPTY]) * size
        keys, start = self._bytes, 0
        for row, end in enumerate(self._ends):
            index = hash(bytes(keys[start:end])) & mask
            while slots[index] != self._EMPTY:
                index = (index + 1) & mask
            slots[index] = row
            start = end
        self._slots, self._mask = slots, mask


def iter_extract(kind: str, lines: Iterable[str]) -> Iterator[dict[str, Cell]]:
    """The rows of an extract one at a time, checked as they come; :class:`ExtractError` at the
    first bad line, or after the last line when there was no row at all."""
    if kind not in HEADERS:
        raise ExtractError(0, "kind", f"must be one of {', '.join(HEADERS)}")
    reader = csv.reader(lines)
    header = next(reader, None)
    expected = HEADERS[kind]
    if header is None or tuple(name.strip().lstrip("\ufeff") for name in header) != expected:
        raise ExtractError(1, "header", f"must be exactly {','.join(expected)}")
    keys = KEYS[kind]
    seen = SeenKeys()
    for row in reader:
        line = reader.line_num
        if not "".join(row).strip():  # a blank line, or only commas and spaces
            continue
        if len(row) != len(expected):
            raise ExtractError(line, "row", f"has {len(row)} columns, expected {len(expected)}")
        record = _parse_row(kind, line, row)
        key = "\x1f".join([cast(str, record[name]) for name in keys]).encode()
        first = seen.add(key, line)
        if first is not None:
            raise ExtractError(line, keys[-1], f"repeats line {first}")
        yield record
    if not seen:
        # A snapshot replaces the previous one whole: an empty file would erase every fact.
        raise ExtractError(2, "row", "the extract has no rows")


def parse_extract(kind: str, lines: Iterable[str]) -> list[dict[str, Cell]]:
    """Every row of an extract (see :func:`iter_extract`), for files small enough to hold."""
    return list(iter_extract(kind, lines))


def _parse_row(kind: str, line: int, row: list[str]) -> dict[str, Cell]:
    record: dict[str, Cell] = {}
    for (name, parse), cell in zip(PARSERS[kind].items(), row, strict=True):
        try:
            record[name] = parse(cell.strip())
        except ValueError as error:
            raise ExtractError(line, name, str(error)) from None
    # Both livestock counts are parsed by _count, both animal dates by _iso_date.
    if kind == "livestock" and cast(int, record["identified_heads"]) > cast(int, record["heads"]):
        raise ExtractError(line, "identified_heads", "must not exceed heads")
    if kind == "animals" and cast(date, record["registered_on"]) < cast(date, record["birth_date"]):
        raise ExtractError(line, "registered_on", "must not be before birth_date")
    return record
