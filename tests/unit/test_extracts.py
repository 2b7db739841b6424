"""Registry extracts (subsidy.registry.extracts): the animals kind line by line, the streaming
parser and its table of keys already seen."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subsidy.registry.extracts import ExtractError, SeenKeys, iter_extract, parse_extract

HEADER = "iin_bin,animal_id,species,sex,birth_date,registered_on\n"
FARM = "061211600012"
COMPANY = "940140000385"
GOOD = f"{FARM},KZ123456789012,cattle,F,2021-03-04,2021-04-01\n"


def _refusal(body: str, kind: str = "animals", header: str = HEADER) -> ExtractError:
    with pytest.raises(ExtractError) as caught:
        parse_extract(kind, (header + body).splitlines(keepends=True))
    return caught.value


def test_a_valid_animals_extract_is_parsed_with_dates_and_stripped_cells():
    text = (
        "\ufeff"
        + HEADER
        + GOOD
        + "\n"  # blank lines are skipped, and counted
        + f" {COMPANY} , KZ-0001 ,sheep, M ,2020-12-31,2020-12-31\n"
        + f"{FARM},A,horses,F,2019-02-28,2024-02-29\n"
    )
    rows = parse_extract("animals", text.splitlines(keepends=True))
    assert rows == [
        {
            "iin_bin": FARM,
            "animal_id": "KZ123456789012",
            "species": "cattle",
            "sex": "F",
            "birth_date": date(2021, 3, 4),
            "registered_on": date(2021, 4, 1),
        },
        {
            "iin_bin": COMPANY,
            "animal_id": "KZ-0001",
            "species": "sheep",
            "sex": "M",
            "birth_date": date(2020, 12, 31),
            "registered_on": date(2020, 12, 31),  # registered on the day of birth
        },
        {
            "iin_bin": FARM,
            "animal_id": "A",
            "species": "horses",
            "sex": "F",
            "birth_date": date(2019, 2, 28),
            "registered_on": date(2024, 2, 29),
        },
    ]


@pytest.mark.parametrize(
    ("row", "column"),
    [
        # IIN/BIN: the existing validation (control digit, 12 ASCII digits)
        ("061211600013,KZ1,cattle,F,2021-03-04,2021-04-01", "iin_bin"),
        ("06121160001,KZ1,cattle,F,2021-03-04,2021-04-01", "iin_bin"),
        # animal_id: 1-32 of A-Z, 0-9 and '-', a letter or digit at each end
        (f"{FARM},,cattle,F,2021-03-04,2021-04-01", "animal_id"),
        (f"{FARM},kz123,cattle,F,2021-03-04,2021-04-01", "animal_id"),
        (f"{FARM},KZ 123,cattle,F,2021-03-04,2021-04-01", "animal_id"),
        (f"{FARM},KZ_123,cattle,F,2021-03-04,2021-04-01", "animal_id"),
        (f"{FARM},-KZ123,cattle,F,2021-03-04,2021-04-01", "animal_id"),
        (f"{FARM},KZ123-,cattle,F,2021-03-04,2021-04-01", "animal_id"),
        (f"{FARM},-,cattle,F,2021-03-04,2021-04-01", "animal_id"),
        (f"{FARM},{'K' * 33},cattle,F,2021-03-04,2021-04-01", "animal_id"),
        (f"{FARM},KZ١٢٣,cattle,F,2021-03-04,2021-04-01", "animal_id"),  # Arabic-Indic digits
        (f"{FARM},KZ１２３,cattle,F,2021-03-04,2021-04-01", "animal_id"),  # full-width digits
        (f"{FARM},КZ123,cattle,F,2021-03-04,2021-04-01", "animal_id"),  # Cyrillic К
        (f"{FARM},KZ²,cattle,F,2021-03-04,2021-04-01", "animal_id"),
        # species
        (f"{FARM},KZ1,cows,F,2021-03-04,2021-04-01", "species"),
        (f"{FARM},KZ1,Cattle,F,2021-03-04,2021-04-01", "species"),
        # sex: F or M exactly
        (f"{FARM},KZ1,cattle,f,2021-03-04,2021-04-01", "sex"),
        (f"{FARM},KZ1,cattle,X,2021-03-04,2021-04-01", "sex"),
        (f"{FARM},KZ1,cattle,,2021-03-04,2021-04-01", "sex"),
        (f"{FARM},KZ1,cattle,female,2021-03-04,2021-04-01", "sex"),
        # dates: YYYY-MM-DD only, and real days
        (f"{FARM},KZ1,cattle,F,2021-3-4,2021-04-01", "birth_date"),
        (f"{FARM},KZ1,cattle,F,04.03.2021,2021-04-01", "birth_date"),
        (f"{FARM},KZ1,cattle,F,20210304,2021-04-01", "birth_date"),
        (f"{FARM},KZ1,cattle,F,2021-W09-4,2021-04-01", "birth_date"),
        (f"{FARM},KZ1,cattle,F,2021-03-04T00:00,2021-04-01", "birth_date"),
        (f"{FARM},KZ1,cattle,F,2021-02-29,2021-04-01", "birth_date"),
        (f"{FARM},KZ1,cattle,F,0000-01-01,2021-04-01", "birth_date"),
        (f"{FARM},KZ1,cattle,F,٢٠٢١-03-04,2021-04-01", "birth_date"),
        (f"{FARM},KZ1,cattle,F,,2021-04-01", "birth_date"),
        (f"{FARM},KZ1,cattle,F,2021-03-04,2021-13-01", "registered_on"),
        (f"{FARM},KZ1,cattle,F,2021-03-04,2021-04-31", "registered_on"),
        # registered before it was born
        (f"{FARM},KZ1,cattle,F,2021-03-04,2021-03-03", "registered_on"),
        # the number of cells
        (f"{FARM},KZ1,cattle,F,2021-03-04", "row"),
        (f"{FARM},KZ1,cattle,F,2021-03-04,2021-04-01,extra", "row"),
    ],
)
def test_each_bad_cell_is_refused_naming_its_line_and_column(row: str, column: str):
    error = _refusal(GOOD + "\n" + row + "\n")  # line 2 good, line 3 blank: the bad one is 4
    assert (error.line, error.column) == (4, column), str(error)
    assert str(error).startswith(f"line 4, column {column}: ")


def test_the_messages_say_what_is_expected():
    assert _refusal(f"{FARM},kz1,cattle,F,2021-03-04,2021-04-01\n").message == (
        "must be 1-32 of A-Z, 0-9 and '-', beginning and ending with a letter or digit"
    )
    assert _refusal(f"{FARM},KZ1,cattle,f,2021-03-04,2021-04-01\n").message == "must be F or M"
    assert _refusal(f"{FARM},KZ1,cattle,F,2021-3-4,2021-04-01\n").message == (
        "must be a date written YYYY-MM-DD"
    )
    assert _refusal(f"{FARM},KZ1,cattle,F,2021-02-30,2021-04-01\n").message == (
        "is not a real date"
    )
    assert _refusal(f"{FARM},KZ1,cattle,F,2021-03-04,2020-01-01\n").message == (
        "must not be before birth_date"
    )


def test_an_animal_listed_twice_is_refused_at_the_second_line_naming_the_first():
    body = (
        GOOD
        + f"{FARM},KZ2,cattle,M,2021-03-04,2021-04-01\n"
        + f"{COMPANY},KZ3,sheep,M,2021-03-04,2021-04-01\n"
        + f"{COMPANY},KZ2,sheep,F,2022-03-04,2022-04-01\n"  # the same animal, another owner
    )
    error = _refusal(body)
    assert str(error) == "line 5, column animal_id: repeats line 3"


def test_ids_differing_only_by_a_dash_are_different_animals():
    rows = parse_extract(
        "animals",
        (
            HEADER
            + f"{FARM},KZ-12,cattle,F,2021-03-04,2021-04-01\n"
            + f"{FARM},KZ12,cattle,F,2021-03-04,2021-04-01\n"
            + f"{FARM},KZ1-2,cattle,F,2021-03-04,2021-04-01\n"
        ).splitlines(keepends=True),
    )
    assert [row["animal_id"] for row in rows] == ["KZ-12", "KZ12", "KZ1-2"]


def test_header_empty_file_and_other_kinds_keep_their_refusals():
    error = _refusal(GOOD, header="iin,id,species,sex,born,registered\n")
    assert (error.line, error.column) == (1, "header")
    assert str(_refusal("", header="")) == (
        "line 1, column header: must be exactly "
        "iin_bin,animal_id,species,sex,birth_date,registered_on"
    )
    assert str(_refusal("\n\n")) == "line 2, column row: the extract has no rows"
    livestock = "iin_bin,species,heads,identified_heads\n"
    error = _refusal(
        f"{FARM},cattle,4,4\n{FARM},sheep,4,4\n{FARM},cattle,5,5\n", "livestock", livestock
    )
    assert str(error) == "line 4, column species: repeats line 2"
    land = "iin_bin,cadastral_number,hectares\n"
    shared = f"{FARM},05-068-012-345,4\n{COMPANY},05-068-012-345,4\n"  # two owners: two rows
    assert len(parse_extract("land", (land + shared).splitlines(keepends=True))) == 2
    error = _refusal(shared + f"{FARM},05-068-012-345,5\n", "land", land)
    assert str(error) == "line 4, column cadastral_number: repeats line 2"
    with pytest.raises(ExtractError) as caught:
        parse_extract("cows", [HEADER])
    assert caught.value.column == "kind"


def test_the_parser_streams_rows_before_reading_the_rest():
    """The rows come as the lines are read: the first is out before the bad line is read."""
    consumed = []

    def lines():
        yield HEADER
        for number in itertools.count(1):
            consumed.append(number)
            if number == 1000:
                yield f"{FARM},KZ1,cattle,F,2021-03-04,2021-04-01\n"  # repeats line 2
            yield f"{FARM},KZ{number},cattle,F,2021-03-04,2021-04-01\n"

    rows = iter_extract("animals", lines())
    first = next(rows)
    assert first["animal_id"] == "KZ1" and len(consumed) == 1
    for _ in range(998):
        next(rows)
    with pytest.raises(ExtractError) as caught:
        next(rows)
    assert str(caught.value) == "line 1001, column animal_id: repeats line 2"
    assert len(consumed) == 1000


def test_seen_keys_grow_and_find_every_repeat():
    seen = SeenKeys(capacity=1)
    keys = [f"KZ{n:012d}".encode() for n in range(20_000)]
    for line, key in enumerate(keys, start=2):
        assert seen.add(key, line) is None
    assert len(seen) == 20_000
    assert seen.add(keys[0], 99_999) == 2
    assert seen.add(keys[-1], 99_999) == 20_001
    assert seen.add(b"KZ", 99_999) is None  # a prefix of every key is another key
    assert seen.add(b"", 100_000) is None
    assert seen.add(b"", 100_001) == 100_000


@given(st.lists(st.binary(max_size=6), max_size=300))
def test_seen_keys_agree_with_a_dict(keys: list[bytes]):
    seen, expected = SeenKeys(capacity=2), {}
    for line, key in enumerate(keys):
        assert seen.add(key, line) == expected.get(key)
        expected.setdefault(key, line)
    assert len(seen) == len(expected)
