"""subsidy.json_limits: the bounds a JSON body is parsed within, and that real bodies fit."""

from __future__ import annotations

import json

import pytest

from subsidy.json_limits import (
    MAX_DEPTH,
    MAX_ITEMS,
    MAX_KEYS,
    MAX_NUMBER_CHARS,
    JSONLimitError,
    loads,
)


def test_the_largest_real_body_fits():
    body = {
        "program": "DAIRY-MILK-2026",
        "applicant": "061211600012",
        "quantity": 12,
        "animals": [f"KZ{n:012d}" for n in range(MAX_ITEMS)],
    }
    assert loads(json.dumps(body).encode()) == body


def test_nesting_up_to_the_limit_is_read_and_one_more_is_refused():
    assert loads("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    with pytest.raises(JSONLimitError, match="nested more than"):
        loads("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    with pytest.raises(JSONLimitError, match="nested more than"):
        loads("[" * 100_000 + "]" * 100_000)  # past the interpreter's stack


def test_numbers_are_bounded_in_length_and_finite():
    assert loads("9" * MAX_NUMBER_CHARS) == int("9" * MAX_NUMBER_CHARS)
    for text in ("9" * (MAX_NUMBER_CHARS + 1), "0." + "0" * 5000, "1e999", "-1e999"):
        with pytest.raises(JSONLimitError):
            loads(text)
    for text in ("NaN", "Infinity", "-Infinity"):
        with pytest.raises(JSONLimitError, match="is not JSON"):
            loads(text)


def test_keys_values_and_items_are_bounded():
    with pytest.raises(JSONLimitError, match="keys"):
        loads("{" + ",".join(f'"{n}":1' for n in range(MAX_KEYS + 1)) + "}")
    with pytest.raises(JSONLimitError, match="values"):
        loads("[" + "1," * 20_000 + "1]")
    with pytest.raises(JSONLimitError, match="items"):
        loads(json.dumps({"a": [1] * (MAX_ITEMS + 1)}))


def test_a_key_given_twice_is_refused():
    with pytest.raises(JSONLimitError, match="twice"):
        loads('{"a": 1, "a": 2}')


@pytest.mark.parametrize("text", ["", "{", "\ufeff{}", "{'a': 1}", b"\xff{}"])
def test_what_is_not_json_is_a_plain_value_error(text):
    with pytest.raises(ValueError) as caught:
        loads(text)
    assert not isinstance(caught.value, JSONLimitError)
