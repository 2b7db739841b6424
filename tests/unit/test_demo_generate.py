from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from subsidy.applicants.bank import validate_bic, validate_iban
from subsidy.applicants.ids import id_kind
from subsidy.demo import names
from subsidy.demo.generate import BANKS, COOPERATIVE_COUNT, DemoData, generate
from subsidy.districts.data import DISTRICTS

ROOT = Path(__file__).resolve().parents[2]
DECIMAL = r"\d+\.\d{2}"


@pytest.fixture(scope="module")
def data() -> DemoData:
    return generate()


def _dump(demo: DemoData) -> str:
    return json.dumps(dataclasses.asdict(demo), ensure_ascii=False, sort_keys=True)


def test_same_seed_gives_identical_data(data: DemoData) -> None:
    assert _dump(generate()) == _dump(data)
    assert _dump(generate(7)) != _dump(data)


def test_identical_across_processes_with_different_hash_seeds(data: DemoData) -> None:
    # String hashing differs per process; set or dict order must not leak into the output.
    script = (
        "import dataclasses, json; from subsidy.demo.generate import generate; "
        "print(json.dumps(dataclasses.asdict(generate()), ensure_ascii=False, sort_keys=True))"
    )
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONIOENCODING": "utf-8"}
        result = subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            check=True,
        )
        assert result.stdout.strip() == _dump(data)


def test_about_two_hundred_farms_and_companies(data: DemoData) -> None:
    kinds = Counter(row["kind"] for row in data.applicants)
    assert set(kinds) == {"individual", "peasant_farm", "legal_entity"}
    assert 180 <= len(data.applicants) <= 220
    assert min(kinds.values()) >= 20


def test_ids_are_valid_unique_and_of_the_right_kind(data: DemoData) -> None:
    rows = data.all_applicants()
    assert len({row["iin_bin"] for row in rows}) == len(rows)
    wanted = {"individual": "iin", "peasant_farm": "iin", "legal_entity": "bin"}
    wanted["cooperative"] = "bin"
    for row in rows:
        assert id_kind(row["iin_bin"]) == wanted[row["kind"]], row


def test_cooperatives_use_head_organisation_bins(data: DemoData) -> None:
    for row in data.cooperatives:
        assert row["iin_bin"][4:6] == "40"  # resident legal entity, head organisation


def test_thirty_one_cooperatives_with_registered_members(data: DemoData) -> None:
    assert len(data.cooperatives) == COOPERATIVE_COUNT == 31
    eligible = {row["iin_bin"] for row in data.applicants if row["kind"] != "legal_entity"}
    for row in data.cooperatives:
        members = row["members"]
        assert 5 <= len(members) <= 15, row["name"]
        assert len(set(members)) == len(members)
        assert set(members) <= eligible
        assert row["kind"] == "cooperative"


def test_every_district_is_used(data: DemoData) -> None:
    codes = {district.code for district in DISTRICTS}
    assert {row["district_code"] for row in data.applicants} == codes
    assert {row["district_code"] for row in data.cooperatives} == codes


def test_names_are_unique_and_shaped_like_registers_write_them(data: DemoData) -> None:
    rows = data.all_applicants()
    assert len({row["name"] for row in rows}) == len(rows)
    prefixes = {
        "peasant_farm": ("КХ «", "ШҚ «"),
        "legal_entity": ("ТОО «", "АО «"),
        "cooperative": ("СПК «", "АШК «"),
    }
    for row in rows:
        if row["kind"] == "individual":
            assert len(row["name"].split()) == 3, row["name"]
        else:
            assert row["name"].startswith(prefixes[row["kind"]]) and row["name"].endswith("»")
        assert len(row["name"]) <= 300


def test_long_name_and_kazakh_letters_are_present(data: DemoData) -> None:
    cooperative_names = [row["name"] for row in data.cooperatives]
    assert names.LONG_COOPERATIVE_NAME in cooperative_names
    assert any(len(name) == 120 for name in cooperative_names)
    every_letter = [
        name for name in cooperative_names if set(names.KAZAKH_LETTERS) <= set(name.lower())
    ]
    assert len(every_letter) >= 2
    assert names.SHOWCASE_PERSON_NAME in {row["name"] for row in data.applicants}


def test_registry_facts_cover_every_applicant(data: DemoData) -> None:
    ids = {row["iin_bin"] for row in data.applicants}
    assert [row["iin_bin"] for row in data.tax] == [row["iin_bin"] for row in data.applicants]
    assert {row["iin_bin"] for row in data.livestock} <= ids
    assert {row["iin_bin"] for row in data.land} <= ids
    # Every applicant has animals or land (or both).
    assert {row["iin_bin"] for row in data.livestock} | {row["iin_bin"] for row in data.land} == ids
    cooperatives = {row["iin_bin"] for row in data.cooperatives}
    facts = data.livestock + data.land + data.tax
    assert not cooperatives & {row["iin_bin"] for row in facts}


def test_amounts_and_hectares_are_decimal_strings(data: DemoData) -> None:
    for row in data.land:
        assert isinstance(row["hectares"], str)
        assert Decimal(row["hectares"]) > 0
        assert row["hectares"] == f"{Decimal(row['hectares']):.2f}"
    for row in data.tax:
        assert isinstance(row["arrears"], str)
        assert row["arrears"] == f"{Decimal(row['arrears']):.2f}"
    for row in data.livestock:
        assert isinstance(row["heads"], int) and isinstance(row["identified_heads"], int)
        assert 0 <= row["identified_heads"] <= row["heads"]
        assert row["species"] in {"cattle", "sheep", "horses"}


def test_cadastral_numbers_are_unique_and_well_formed(data: DemoData) -> None:
    numbers = [row["cadastral_number"] for row in data.land]
    assert len(set(numbers)) == len(numbers)
    for number in numbers:
        region, district, quarter, plot = number.split("-")
        assert region == "05" and len(district) == len(quarter) == len(plot) == 3
        assert (district + quarter + plot).isdigit()


def test_a_minority_fails_the_usual_checks(data: DemoData) -> None:
    count = len(data.applicants)
    debtors = {row["iin_bin"] for row in data.tax if Decimal(row["arrears"]) > 0}
    small = {row["iin_bin"] for row in data.livestock if row["heads"] < 5}
    partly = {row["iin_bin"] for row in data.livestock if row["identified_heads"] < row["heads"]}
    for failing in (debtors, small, partly):
        assert 5 <= len(failing) <= count // 5
    assert len(debtors | small | partly) < count // 2


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=2**32))
def test_any_seed_gives_consistent_data(seed: int) -> None:
    demo = generate(seed)
    rows = demo.all_applicants()
    assert len({row["iin_bin"] for row in rows}) == len(rows)
    assert len({row["name"] for row in rows}) == len(rows)
    known = {row["iin_bin"] for row in demo.applicants}
    for row in demo.cooperatives:
        assert 5 <= len(row["members"]) <= 15
        assert set(row["members"]) <= known
    assert {row["district_code"] for row in rows} == {district.code for district in DISTRICTS}


def test_accounts_are_valid_kazakh_ibans_at_known_banks(data: DemoData) -> None:
    rows = data.all_applicants()
    with_account = [row for row in rows if "iban" in row]
    assert len({row["iban"] for row in with_account}) == len(with_account)
    assert 0 < len(rows) - len(with_account) < len(rows) // 10
    banks = {code: bic for code, bic, _ in BANKS}
    for row in with_account:
        assert validate_iban(row["iban"]) == row["iban"]
        assert validate_bic(row["bic"]) == banks[row["iban"][4:7]]
    without = {row["kind"] for row in rows if "iban" not in row}
    assert without == {"individual"}
    assert all("bic" not in row for row in rows if "iban" not in row)


def test_organisations_have_heads_of_their_own(data: DemoData) -> None:
    rows = data.all_applicants()
    heads = [row["head_iin"] for row in rows if "head_iin" in row]
    assert {row["kind"] for row in rows if "head_iin" in row} == {"legal_entity", "cooperative"}
    assert len(heads) == sum(row["kind"] in ("legal_entity", "cooperative") for row in rows)
    assert all(id_kind(head) == "iin" for head in heads)
    assert len(set(heads)) == len(heads)
    assert not set(heads) & {row["iin_bin"] for row in rows}
