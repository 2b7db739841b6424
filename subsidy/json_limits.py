"""JSON request bodies parsed with limits, so that a hostile body costs milliseconds and answers
400 instead of a 500 or seconds of a worker (pure: no Flask).

Python's own parser has none of these bounds: it recurses once per nesting level (a body nested
a thousand deep raises ``RecursionError``), turns a 5000-digit number into an ``int`` only to
fail in ``int()`` (``ValueError``: CPython refuses more than 4300 digits), keeps the last of two
equal keys, accepts ``NaN`` and ``Infinity``, and builds any number of keys, which marshmallow
then reports one by one. Every body of this API is a flat object of a few fields; the longest
list is an application's animals (at most 10,000 ids), so the bounds below never refuse a real
request, and a body within them parses in a few milliseconds.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 32  # objects and arrays inside one another; the API's bodies go three deep
MAX_ITEMS = 10_000  # items in one array: an application's animals
MAX_NUMBER_CHARS = 40  # a number's text: quantities and amounts are at most about 20
# Counted in the text before it is parsed, strings included (a count costs a millisecond a
# megabyte, a parse of 80,000 keys 40-100 ms): keys as colons, values as commas. A schema has a
# few dozen fields; no text field of the API is long enough to hold a thousand colons.
MAX_KEYS = 1_000
MAX_VALUES = MAX_ITEMS + 2_000


class JSONLimitError(ValueError):
    """A body refused: ``message`` says which bound or rule, for the ``json`` field."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _number_text(text: str) -> str:
    if len(text) > MAX_NUMBER_CHARS:
        raise JSONLimitError(f"a number is longer than {MAX_NUMBER_CHARS} characters")
    return text


def _int(text: str) -> int:
    return int(_number_text(text))


def _float(text: str) -> float:
    value = float(_number_text(text))
    if value in (float("inf"), float("-inf")):  # 1e999
        raise JSONLimitError("a number is out of range")
    return value


def _constant(name: str) -> Any:
    raise JSONLimitError(f"{name} is not JSON")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        # Which one wins differs between parsers; a body that means two things means neither.
        raise JSONLimitError("an object gives a key twice")
    return result


_DECODER = json.JSONDecoder(
    object_pairs_hook=_object, parse_int=_int, parse_float=_float, parse_constant=_constant
)


def _check_shape(value: Any) -> None:
    """Depth and array lengths, without recursion (the parser has no hook for arrays)."""
    pending = [(value, 1)]
    while pending:
        current, depth = pending.pop()
        if isinstance(current, dict):
            children = list(current.values())
        elif isinstance(current, list):
            if len(current) > MAX_ITEMS:
                raise JSONLimitError(f"an array has more than {MAX_ITEMS} items")
            children = current
        else:
            continue
        if depth > MAX_DEPTH:
            raise JSONLimitError(f"objects and arrays are nested more than {MAX_DEPTH} deep")
        pending.extend((child, depth + 1) for child in children)


def loads(data: bytes | str) -> Any:
    """The value of a JSON body (UTF-8, as the API's parser reads it), or :class:`JSONLimitError`
    for a bound, ``ValueError`` for text that is not JSON."""
    text = data.decode("utf-8") if isinstance(data, bytes) else data  # UnicodeDecodeError
    if text.count(":") > MAX_KEYS:
        raise JSONLimitError(f"has more than {MAX_KEYS} keys (counted as ':')")
    if text.count(",") >= MAX_VALUES:
        raise JSONLimitError(f"has more than {MAX_VALUES} values (counted as ',')")
    try:
        value = _DECODER.decode(text)
    except RecursionError:
        # The C parser recurses per level: nesting past the interpreter's stack ends here.
        raise JSONLimitError(f"objects and arrays are nested more than {MAX_DEPTH} deep") from None
    _check_shape(value)
    return value
