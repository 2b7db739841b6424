from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from subsidy.applicants.bank import validate_bic, validate_iban
from subsidy.applicants.ids import id_kind
from subsidy.demo import names
from subsidy.demo.generate import (
    ANIMALS_AS_OF,
    BANKS,
    COOPERATIVE_COUNT,
    DEMO_DAY,
    LIFE,
    DemoData,
    farmer_farm,
    generate,
)
from subsidy.districts.data import DISTRICTS
from subsidy.eligibility.rules import age_in_months

ROOT = Path(__file__).resolve().parents[2]
DECIMAL = r"\d+\.\d{2}"


@pytest.fixture(scope="module")
def data() -> DemoData:
    return generate()


def _dump(demo: DemoData) -> str:
    # vars, not dataclasses.asdict, which deep-copies every one of the tens of thousands of rows.
    return json.dumps(vars(demo), default=vars, ensure_ascii=False, sort_keys=True)


def test_same_seed_gives_identical_data(data: DemoData) -> None:
    assert _dump(generate()) == _dump(data)
    assert _dump(generate(7)) != _dump(data)


def test_identical_across_processes_with_different_hash_seeds(data: DemoData) -> None:
    # String hashing differs per process; set or dict order must not leak into the output.
    script = (
        "import json; from subsidy.demo.generate import generate; "
        "print(json.dumps(vars(generate()), default=vars, ensure_ascii=False, sort_keys=True))"
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
    assert Counter((a["iin_bin"], a["species"]) for a in demo.animals) == _identified(demo)
    assert len({a["animal_id"] for a in demo.animals}) == len(demo.animals)
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


# --- the animals extract -----------------------------------------------------------------------


def _identified(demo: DemoData) -> Counter:
    return Counter(
        {
            (r["iin_bin"], r["species"]): r["identified_heads"]
            for r in demo.livestock
            if r["identified_heads"]
        }
    )


def test_one_animal_per_identified_head_of_the_livestock_extract(data: DemoData) -> None:
    assert Counter((a["iin_bin"], a["species"]) for a in data.animals) == _identified(data)
    # Every species of the livestock extract, so the identified heads the service counts from
    # the animals are the livestock extract's own; a few tens of thousands (mostly sheep).
    assert {a["species"] for a in data.animals} == {"cattle", "sheep", "horses"}
    assert 50_000 < len(data.animals) < 120_000


def test_animal_ids_are_unique_ear_tags_issued_to_a_herd_in_one_batch(data: DemoData) -> None:
    ids = [a["animal_id"] for a in data.animals]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"KZ[1-9]\d{11}", animal_id) for animal_id in ids)
    herds: dict[tuple[str, str], list[int]] = {}
    for animal in data.animals:
        herds.setdefault((animal["iin_bin"], animal["species"]), []).append(
            int(animal["animal_id"][2:])
        )
    for serials in herds.values():
        assert serials == list(range(serials[0], serials[0] + len(serials)))


def test_sexes_ages_and_registration_days_of_working_herds(data: DemoData) -> None:
    typo = _case(data, "over_age")["typo"]
    for animal in data.animals:
        born = date.fromisoformat(animal["birth_date"])
        registered = date.fromisoformat(animal["registered_on"])
        assert animal["sex"] in ("F", "M")
        assert born <= registered <= ANIMALS_AS_OF
        if animal["animal_id"] != typo:
            oldest = LIFE[animal["species"]][0]
            assert ANIMALS_AS_OF.year - oldest - 1 <= born.year, animal
    for species in ("cattle", "sheep", "horses"):
        sexes = Counter(a["sex"] for a in data.animals if a["species"] == species)
        assert 0.6 < sexes["F"] / (sexes["F"] + sexes["M"]) < 0.9, species
    lambs = Counter(a["birth_date"][5:7] for a in data.animals if a["species"] == "sheep")
    assert set(lambs) == {"02", "03", "04"}  # ewes lamb in late winter
    # Tagged and registered within weeks of birth, or registered to the owner on purchase.
    after = [
        (date.fromisoformat(a["registered_on"]) - date.fromisoformat(a["birth_date"])).days
        for a in data.animals
    ]
    assert all(1 <= days <= 45 or days >= 180 for days in after)
    assert 0.05 < sum(days >= 180 for days in after) / len(after) < 0.3


# --- the risk cases --------------------------------------------------------------------------


def _case(data: DemoData, case: str) -> dict:
    """The applications of a case, and the animals they name, by id."""
    assert data.cases is not None
    animals = {a["animal_id"]: a for a in data.animals}
    found = [row for row in data.cases.applications if row["case"] == case]
    named = {i: animals[i] for row in found for i in row.get("animals", [])}
    typo = [i for i, a in named.items() if a["birth_date"] < "1990"]
    return {"applications": found, "animals": named, "typo": typo[0] if typo else None}


def _applicant(data: DemoData, iin_bin: str) -> dict:
    return next(row for row in data.all_applicants() if row["iin_bin"] == iin_bin)


def _months(animal: dict) -> int:
    return age_in_months(date.fromisoformat(animal["birth_date"]), DEMO_DAY)


def _held(animal: dict) -> int:
    return (DEMO_DAY - date.fromisoformat(animal["registered_on"])).days


def test_every_case_is_there_for_the_default_seed_and_by_clean_applicants(data: DemoData) -> None:
    assert data.cases is not None
    cases = [row["case"] for row in data.cases.applications]
    assert Counter(cases) == {
        "over_age": 1,
        "recently_bought": 1,
        "shared_account": 2,
        "member_claims": 2,
        "split_request": 2,
    }
    applicants = [row["applicant"] for row in data.cases.applications]
    assert len(set(applicants)) == len(applicants)
    debtors = {row["iin_bin"] for row in data.tax if Decimal(row["arrears"]) > 0}
    assert not set(applicants) & debtors
    assert farmer_farm(data.applicants, data.livestock, data.tax)["iin_bin"] not in applicants
    programs = {"BREEDING-CATTLE-2026", "DAIRY-MILK-2026", "AUYL-AMANATY-2026", "DAIRY-INVEST-2026"}
    assert {row["program"] for row in data.cases.applications} == programs


def test_an_over_age_cow_and_a_cow_bought_days_before_fail_alone(data: DemoData) -> None:
    old = _case(data, "over_age")
    (application,) = old["applications"]
    assert application["program"] == "BREEDING-CATTLE-2026" and len(application["animals"]) == 5
    typo = old["animals"][old["typo"]]
    assert 107 * 12 <= _months(typo) <= 109 * 12  # a century mistyped: about 108 years
    bought = _case(data, "recently_bought")
    (application,) = bought["applications"]
    moved = [a for a in bought["animals"].values() if _held(a) < 30]
    assert [_held(a) for a in moved] == [18]
    for case, odd in ((old, typo), (bought, moved[0])):
        (application,) = case["applications"]
        for animal in case["animals"].values():
            assert animal["iin_bin"] == application["applicant"]
            assert animal["species"] == "cattle" and animal["sex"] == "F"
            if animal is not odd:
                assert 12 <= _months(animal) <= 180 and _held(animal) >= 30


def test_a_shared_account_a_shared_head_and_a_split_request(data: DemoData) -> None:
    assert data.cases is not None
    (account,) = data.cases.accounts
    first, second = _case(data, "shared_account")["applications"]
    assert account["iin_bin"] == second["applicant"]
    owner = _applicant(data, first["applicant"])
    assert (account["iban"], account["bic"]) == (owner["iban"], owner["bic"])
    assert _applicant(data, second["applicant"])["iban"] != account["iban"]  # a change
    (head,) = data.cases.heads
    company, sister = _case(data, "split_request")["applications"]
    assert head["iin_bin"] == sister["applicant"]
    assert head["head_iin"] == _applicant(data, company["applicant"])["head_iin"]
    amounts = [Decimal(row["quantity"]) * Decimal("0.25") for row in (company, sister)]
    threshold = Decimal(10_000_000)
    assert all(amount <= threshold for amount in amounts) and sum(amounts) > threshold
    for row in (company, sister):
        assert _applicant(data, row["applicant"])["kind"] == "legal_entity"


def test_a_cooperative_and_its_member_claim_the_same_cows(data: DemoData) -> None:
    cooperative, member = _case(data, "member_claims")["applications"]
    assert cooperative["program"] == "AUYL-AMANATY-2026"
    assert member["program"] == "BREEDING-CATTLE-2026"  # another funding group
    assert member["applicant"] in _applicant(data, cooperative["applicant"])["members"]
    assert set(member["animals"]) < set(cooperative["animals"])
    cows = _case(data, "member_claims")["animals"]
    assert {cows[i]["iin_bin"] for i in cooperative["animals"]} == {member["applicant"]}
    for animal_id in member["animals"]:
        assert 12 <= _months(cows[animal_id]) <= 180 and _held(cows[animal_id]) >= 30
