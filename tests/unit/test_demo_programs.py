from __future__ import annotations

import copy
import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
import yaml

from subsidy.programs.definition import load_program_yaml, program_from_json
from subsidy.programs.demo import demo_program_texts, demo_programs
from subsidy.programs.testcases import parse_program_file, run_program_tests

CODES = {
    "AUYL-AMANATY-2026",
    "BREEDING-CATTLE-2026",
    "DAIRY-INVEST-2026",
    "DAIRY-MILK-2026",
    "SEEDS-HECTARE-2026",
}
FILES = {loaded.definition.code: loaded for loaded in demo_programs()}
PROGRAMS = {code: loaded.definition for code, loaded in FILES.items()}


def test_the_five_demo_programs_are_packaged() -> None:
    assert set(PROGRAMS) == CODES
    assert all(name.endswith("-2026.yaml") for name in demo_program_texts())


@pytest.mark.parametrize("code", sorted(CODES))
def test_each_demo_programs_own_tests_pass(code: str) -> None:
    outcomes = run_program_tests(PROGRAMS[code], FILES[code].tests)
    assert len(outcomes) >= 3
    assert [outcome.problems for outcome in outcomes if not outcome.passed] == []


@pytest.mark.parametrize("code", sorted(CODES))
def test_each_demo_program_tests_both_outcomes(code: str) -> None:
    expected = {test.expect.eligible for test in FILES[code].tests}
    assert expected == {True, False}


@pytest.mark.parametrize("code", sorted(CODES))
def test_demo_programs_are_plausible_for_the_region_in_2026(code: str) -> None:
    program = PROGRAMS[code]
    assert program.opens.year == program.closes.year == 2026
    assert Decimal("100000000") <= program.budget <= Decimal("5000000000")
    assert program.second_approval_above == Decimal("10000000.00")
    assert program.max_amount_per_applicant <= program.budget
    assert len(set(program.name.values())) == 3
    assert isinstance(program.reference, dict) and all(program.reference.values())


@pytest.mark.parametrize("code", sorted(CODES))
def test_demo_programs_survive_the_database_round_trip(code: str) -> None:
    program = PROGRAMS[code]
    stored = json.loads(json.dumps(program.canonical_dict(), ensure_ascii=False))
    assert program_from_json(stored).rules_version == program.rules_version


def test_every_dated_change_is_tested_on_both_sides() -> None:
    for program in PROGRAMS.values():
        dated = [program.rate] + [
            value for criterion in program.criteria for value in criterion.params.values()
        ]
        tested = {test.on_date for test in FILES[program.code].tests}
        for value in dated:
            for start, _ in value.changes[1:]:
                assert start in tested, (program.code, start)
                assert start - timedelta(days=1) in tested, (program.code, start)


def test_the_milk_rate_rises_on_1_july() -> None:
    milk = PROGRAMS["DAIRY-MILK-2026"]
    assert milk.rate.value_on(date(2026, 6, 30)) == Decimal("45.00")
    assert milk.rate.value_on(date(2026, 7, 1)) == Decimal("50.00")


def test_the_investment_program_pays_a_quarter() -> None:
    invest = PROGRAMS["DAIRY-INVEST-2026"]
    assert invest.unit == "tenge"
    assert invest.rate.value_on(date(2026, 3, 1)) == Decimal("0.25")


def test_auyl_amanaty_is_for_cooperatives_of_at_least_five_members() -> None:
    program = PROGRAMS["AUYL-AMANATY-2026"]
    assert program.applicant_kinds == ("cooperative",)
    (members,) = [c for c in program.criteria if c.rule == "cooperative_min_members"]
    assert members.params_on(date(2026, 4, 1)) == {"min": 5}


def test_a_wrong_expectation_is_reported_with_what_was_found() -> None:
    data = yaml.safe_load(demo_program_texts()["dairy-milk-2026.yaml"])
    broken = copy.deepcopy(data)
    broken["tests"][0]["expect"]["amount"] = "9000000.01"
    broken["tests"][2]["expect"]["eligible"] = True
    broken["tests"][2]["expect"]["checks"]["min_livestock_heads"] = True
    loaded = parse_program_file(broken)
    outcomes = run_program_tests(loaded.definition, loaded.tests)
    assert [outcome.passed for outcome in outcomes[:3]] == [False, True, False]
    assert outcomes[0].problems == ["amount: expected 9000000.01, got 9000000.00"]
    assert outcomes[2].problems[0] == (
        "eligible: expected true, got false (failed: min_livestock_heads)"
    )
    assert (
        outcomes[2].problems[1].startswith("checks.min_livestock_heads: expected true, got false")
    )
    assert "42 head of cattle" in outcomes[2].problems[1]


def test_a_kind_the_program_does_not_accept_is_not_eligible_in_tests() -> None:
    data = yaml.safe_load(demo_program_texts()["auyl-amanaty-2026.yaml"])
    data["tests"] = [data["tests"][0]]
    data["tests"][0]["applicant"] = {"kind": "legal_entity"}
    loaded = parse_program_file(data)
    (outcome,) = run_program_tests(loaded.definition, loaded.tests)
    assert outcome.problems == [
        "eligible: expected true, got false (the program does not accept legal_entity)"
    ]


def test_demo_files_load_through_the_yaml_entry_point() -> None:
    for text in demo_program_texts().values():
        assert load_program_yaml(text).code in CODES
