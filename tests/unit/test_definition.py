from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from subsidy.programs.dated import DatedValue
from subsidy.programs.definition import (
    DefinitionError,
    ProgramDefinition,
    load_program_yaml,
    parse_program,
    program_from_json,
)
from subsidy.programs.testcases import load_program_file, parse_program_file

BASE_YAML = """\
code: DAIRY-MILK-2026
name: {ru: "Молоко", kk: "Сүт", en: "Milk"}
window: {opens: 2026-01-15, closes: 2026-12-15}
applicant_kinds: [peasant_farm, legal_entity, cooperative]
unit: liter
rate: {2026-01-01: "45.00", 2026-07-01: "50.00"}
max_amount_per_applicant: "50000000.00"
budget: "1200000000.00"
second_approval_above: "10000000.00"
criteria:
  - {rule: min_livestock_heads, params: {species: cattle, min: 50}}
  - {rule: identified_livestock_share, params: {species: cattle, min_share: "1.00"}}
  - {rule: min_land_hectares, params: {min: "10"}}
  - {rule: no_tax_arrears}
  - {rule: cooperative_min_members, params: {min: 5}}
  - {rule: one_application_per_applicant}
"""
TEST_CASE = {
    "name": "eligible",
    "date": date(2026, 3, 2),
    "applicant": {"kind": "peasant_farm"},
    "quantity": "1000",
    "facts": {
        "livestock": [{"species": "cattle", "heads": 60, "identified_heads": 60}],
        "land": [{"cadastral_number": "05-068-012-345", "hectares": "12.5"}],
    },
    "expect": {"eligible": True, "amount": "45000.00"},
}


def base() -> dict[str, Any]:
    return yaml.safe_load(BASE_YAML)


def with_tests(*cases: dict) -> dict[str, Any]:
    data = base()
    data["tests"] = [copy.deepcopy(case) for case in cases] or [copy.deepcopy(TEST_CASE)]
    return data


def refusal(data: Any) -> DefinitionError:
    with pytest.raises(DefinitionError) as caught:
        parse_program_file(data)
    return caught.value


def test_the_contract_example_parses_into_typed_fields() -> None:
    program = load_program_yaml(BASE_YAML)
    assert program.code == "DAIRY-MILK-2026"
    assert program.name == {"ru": "Молоко", "kk": "Сүт", "en": "Milk"}
    assert (program.opens, program.closes) == (date(2026, 1, 15), date(2026, 12, 15))
    assert program.applicant_kinds == ("peasant_farm", "legal_entity", "cooperative")
    assert program.rate.value_on(date(2026, 7, 1)) == Decimal("50.00")
    assert program.max_amount_per_applicant == Decimal("50000000.00")
    assert program.decision_days == 10
    assert program.species == "cattle"
    assert program.reference is None
    assert [criterion.rule for criterion in program.criteria][:2] == [
        "min_livestock_heads",
        "identified_livestock_share",
    ]
    assert program.criteria[0].params_on(date(2026, 3, 1)) == {"species": "cattle", "min": 50}
    # Defaults are filled in from the catalogue, so the stored JSON is explicit.
    assert program.criteria[3].params_on(date(2026, 3, 1)) == {"max_arrears": Decimal("0.00")}
    assert load_program_file(BASE_YAML).tests == ()


def test_definition_error_reads_path_colon_message() -> None:
    data = base()
    data["criteria"][2] = {"rule": "min_livestock_heads", "params": {"species": "cattle"}}
    data["criteria"][2]["params"]["min"] = "fifty"
    error = refusal(data)
    assert str(error) == "criteria[2].params.min: must be a positive integer"
    assert (error.path, error.message) == ("criteria[2].params.min", "must be a positive integer")
    assert isinstance(error, ValueError)


def _set(path: str, value: Any) -> Callable[[dict], None]:
    """A mutation that sets a dotted path (list indices as numbers) to ``value``."""

    def mutate(data: dict) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return mutate


def _drop(key: str) -> Callable[[dict], None]:
    return lambda data: data.pop(key)


REFUSALS = [
    # (mutation, path, part of the message)
    (_set("code", "dairy-milk"), "code", "uppercase"),
    (_set("code", "AB"), "code", "3-24"),
    # the application number (code-id) is the payment's EndToEndId: at most 35 characters
    (_set("code", "A" * 25), "code", "3-24"),
    (_set("code", "DAIRY--MILK"), "code", "single dashes"),
    (_set("code", 2026), "code", "uppercase"),
    (_set("name", {"ru": "Молоко", "en": "Milk"}), "name.kk", "is required"),
    (_set("name.ru", "  "), "name.ru", "non-empty"),
    (_set("name.en", "x" * 301), "name.en", "at most 300"),
    (_set("name.de", "Milch"), "name.de", "unknown language"),
    (_set("name", "Milk"), "name", "ru, kk and en"),
    (_set("window.opens", date(2027, 1, 1)), "window.closes", "must not be before"),
    (_set("window.opens", "2026-02-30"), "window.opens", "not a real date"),
    (_set("window.opens", "15.01.2026"), "window.opens", "YYYY-MM-DD"),
    (_set("window.opens", datetime(2026, 1, 15, 9)), "window.opens", "without a time"),
    (_set("window", {"opens": date(2026, 1, 15)}), "window.closes", "is required"),
    (_set("window.start", date(2026, 1, 1)), "window.start", "unknown field"),
    (_set("applicant_kinds", []), "applicant_kinds", "non-empty list"),
    (_set("applicant_kinds.1", "farmer"), "applicant_kinds[1]", "must be one of"),
    (_set("applicant_kinds.2", "peasant_farm"), "applicant_kinds[2]", "listed twice"),
    (_set("unit", "kg"), "unit", "liter, head, hectare, tenge"),
    (_set("rate", 45.5), "rate", "in quotes"),
    (_set("rate", "-1"), "rate", "greater than zero"),
    (_set("rate", "45.001"), "rate", "at most 2 decimal places"),
    (_set("rate", "45,50"), "rate", "decimal number"),
    (_set("rate", {"2026-13-01": "45"}), "rate[2026-13-01]", "not a real date"),
    (_set("rate", {date(2026, 1, 1): 45.5}), "rate[2026-01-01]", "in quotes"),
    (_set("rate", {date(2026, 2, 1): "45"}), "rate", "no value is in force when the window"),
    (_set("max_amount_per_applicant", 45.5), "max_amount_per_applicant", "in quotes"),
    (_set("max_amount_per_applicant", "0"), "max_amount_per_applicant", "greater than zero"),
    (_set("funding_group", "Breeding Cattle"), "funding_group", "lowercase letters"),
    (_set("funding_group", "bc"), "funding_group", "3-64"),
    (_set("funding_period", "monthly"), "funding_period", "lifetime, calendar_year"),
    (_set("budget", "10000000000000.01"), "budget", "must not exceed"),
    (_set("budget", True), "budget", "decimal number"),
    (_set("second_approval_above", "10 000 000"), "second_approval_above", "decimal number"),
    (_set("second_approval_above", "0.001"), "second_approval_above", "at most 2 decimal"),
    (_set("decision_days", 0), "decision_days", "from 1 to 90"),
    (_set("decision_days", 91), "decision_days", "from 1 to 90"),
    (_set("decision_days", "10"), "decision_days", "from 1 to 90"),
    (_set("reference", "x" * 501), "reference", "at most 500"),
    (_set("reference", None), "reference", "non-empty string"),
    (_set("reference", {"ru": "Приказ", "kk": "Бұйрық"}), "reference.en", "is required"),
    (_set("species", "yaks"), "species", "must be one of"),
    (_set("criteria", {"rule": "no_tax_arrears"}), "criteria", "must be a list"),
    (_set("criteria.0", "no_tax_arrears"), "criteria[0]", "must be a mapping"),
    (_set("criteria.0.rule", "min_goats"), "criteria[0].rule", "unknown rule"),
    (_set("criteria.0", {"params": {"min": 1}}), "criteria[0].rule", "is required"),
    (_set("criteria.0.when", "always"), "criteria[0].when", "unknown field"),
    (_set("criteria.0.params", {"species": "cattle"}), "criteria[0].params.min", "is required"),
    (_set("criteria.0.params", ["cattle", 50]), "criteria[0].params", "must be a mapping"),
    (_set("criteria.0.params.min", 0), "criteria[0].params.min", "positive integer"),
    (_set("criteria.0.params.min", "50"), "criteria[0].params.min", "positive integer"),
    (_set("criteria.0.params.minimum", 50), "criteria[0].params.minimum", "takes species, min"),
    (_set("criteria.0.params.species", "yaks"), "criteria[0].params.species", "must be one of"),
    (
        _set("criteria.0.params.min", {date(2026, 1, 1): 50, date(2026, 4, 1): -5}),
        "criteria[0].params.min[2026-04-01]",
        "positive integer",
    ),
    (
        _set("criteria.0.params.min", {date(2026, 3, 1): 50}),
        "criteria[0].params.min",
        "no value is in force when the window opens on 2026-01-15",
    ),
    (_set("criteria.1.params.min_share", "1.5"), "criteria[1].params.min_share", "at most 1"),
    (_set("criteria.1.params.min_share", 0.95), "criteria[1].params.min_share", "in quotes"),
    (_set("criteria.2.params.min", 10.5), "criteria[2].params.min", "in quotes"),
    (_set("criteria.3.params", {"max_arrears": "-1"}), "criteria[3].params.max_arrears", "neg"),
    (_set("criteria.5.params", {"x": 1}), "criteria[5].params.x", "takes no parameters"),
    (_set("budjet", "1.00"), "budjet", "unknown field"),
    (_drop("budget"), "budget", "is required"),
    (_drop("criteria"), "criteria", "is required"),
]


@pytest.mark.parametrize(("mutate", "path", "message"), REFUSALS)
def test_each_bad_field_is_refused_at_its_path(mutate, path: str, message: str) -> None:
    data = base()
    mutate(data)
    error = refusal(data)
    assert error.path == path
    assert message in error.message


def test_tenge_rates_are_shares_of_at_most_one_with_four_places() -> None:
    data = base()
    data.update(unit="tenge", rate="0.2525")
    assert parse_program(data).rate.value_on(date(2026, 3, 1)) == Decimal("0.2525")
    for rate, message in (("1.5", "at most 1"), ("0.12345", "at most 4 decimal places")):
        data["rate"] = rate
        error = refusal(data)
        assert error.path == "rate" and message in error.message
        assert "share" in error.message


def test_the_first_error_in_file_order_is_reported() -> None:
    data = base()
    data["code"] = "bad"
    data["budget"] = 1.5
    assert refusal(data).path == "code"
    reordered = {"budget": data.pop("budget"), **data}
    assert refusal(reordered).path == "budget"


def test_a_program_that_is_not_a_mapping_is_refused() -> None:
    assert str(refusal(["code"])) == "<file>: must be a mapping of program fields"


# --- YAML ------------------------------------------------------------------------------------


def test_a_yaml_float_is_refused_with_a_hint_to_quote_it() -> None:
    text = BASE_YAML.replace(
        'max_amount_per_applicant: "50000000.00"', "max_amount_per_applicant: 45.5"
    )
    with pytest.raises(DefinitionError) as caught:
        load_program_yaml(text)
    assert caught.value.path == "max_amount_per_applicant"
    assert "in quotes" in caught.value.message and "float" in caught.value.message


def test_yaml_integers_are_accepted_as_money() -> None:
    text = BASE_YAML.replace('budget: "1200000000.00"', "budget: 1200000000")
    assert load_program_yaml(text).budget == Decimal("1200000000.00")


def test_a_yaml_syntax_error_names_the_line() -> None:
    text = BASE_YAML.replace("unit: liter", "unit: [liter")
    with pytest.raises(DefinitionError) as caught:
        load_program_yaml(text)
    assert caught.value.path == "<file>"
    assert "line " in caught.value.message


def test_a_key_given_twice_is_refused_instead_of_silently_kept() -> None:
    with pytest.raises(DefinitionError) as caught:
        load_program_yaml(BASE_YAML + 'budget: "1.00"\n')
    assert str(caught.value) == "<file>: line 17: the key 'budget' is given twice"


@pytest.mark.parametrize("text", ["", "# only a comment\n"])
def test_an_empty_file_is_refused(text: str) -> None:
    with pytest.raises(DefinitionError, match="is empty"):
        load_program_yaml(text)


# --- canonical form and rules_version --------------------------------------------------------


def test_canonical_dict_is_json_with_iso_dates_and_decimal_strings() -> None:
    canonical = load_program_yaml(BASE_YAML).canonical_dict()
    assert canonical["window"] == {"opens": "2026-01-15", "closes": "2026-12-15"}
    assert canonical["rate"] == {"2026-01-01": "45.00", "2026-07-01": "50.00"}
    assert canonical["budget"] == "1200000000.00"
    assert canonical["criteria"][2] == {"rule": "min_land_hectares", "params": {"min": "10.00"}}
    assert canonical["criteria"][3] == {"rule": "no_tax_arrears", "params": {"max_arrears": "0.00"}}
    assert "tests" not in canonical
    assert json.loads(json.dumps(canonical)) == canonical


def test_rules_version_is_16_hex_digits_and_stable() -> None:
    first, second = load_program_yaml(BASE_YAML), load_program_yaml(BASE_YAML)
    assert len(first.rules_version) == 16
    int(first.rules_version, 16)
    assert first.rules_version == second.rules_version


def test_number_spelling_does_not_change_the_version() -> None:
    spelled = BASE_YAML.replace('"45.00"', "45").replace('min: "10"', 'min: "10.000"')
    assert load_program_yaml(spelled).rules_version == load_program_yaml(BASE_YAML).rules_version


def test_tests_are_not_part_of_the_rules_version() -> None:
    assert parse_program(with_tests()).rules_version == load_program_yaml(BASE_YAML).rules_version


CHANGES = [
    _set("code", "DAIRY-MILK-2026-B"),
    _set("name.kk", "Сүт өндіру"),
    _set("window.closes", date(2026, 12, 16)),
    _set("applicant_kinds", ["legal_entity", "peasant_farm", "cooperative"]),
    _set("unit", "head"),
    _set("species", "goats"),
    _set("rate", {date(2026, 1, 1): "45.00", date(2026, 7, 2): "50.00"}),
    _set("rate", {date(2026, 1, 1): "45.00", date(2026, 7, 1): "50.01"}),
    _set("max_amount_per_applicant", "50000000.01"),
    _set("budget", "1200000001.00"),
    _set("second_approval_above", "9999999.99"),
    _set("decision_days", 11),
    _set("reference", "Order No. 108"),
    _set("criteria.0.params.min", 51),
    _set("criteria.0.params.min", {date(2026, 1, 1): 50, date(2026, 9, 1): 60}),
    _set("criteria.1.params.min_share", "0.99"),
    _set("criteria.3.params", {"max_arrears": "0.01"}),
    lambda data: data["criteria"].pop(),
    lambda data: data["criteria"].reverse(),
]


@pytest.mark.parametrize("change", CHANGES)
def test_any_change_of_a_rule_or_value_changes_the_version(change) -> None:
    data = base()
    change(data)
    assert parse_program(data).rules_version != load_program_yaml(BASE_YAML).rules_version


def _shuffled(value: Any, draw_order: Callable[[list], list]) -> Any:
    if isinstance(value, dict):
        keys = draw_order(list(value))
        return {key: _shuffled(value[key], draw_order) for key in keys}
    if isinstance(value, list):
        return [_shuffled(item, draw_order) for item in value]
    return value


@settings(max_examples=40, deadline=None)
@given(st.randoms(use_true_random=False))
def test_rules_version_is_stable_under_key_reordering(random) -> None:
    def order(keys: list) -> list:
        random.shuffle(keys)
        return keys

    data = _shuffled(with_tests(), order)
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    assert load_program_yaml(text).rules_version == load_program_yaml(BASE_YAML).rules_version


@settings(max_examples=60, deadline=None)
@given(
    budget=st.decimals(1, 10**12, places=2),
    rate=st.decimals("0.01", 10**6, places=2),
    heads=st.integers(1, 10**6),
)
def test_any_budget_rate_or_threshold_value_changes_the_version(budget, rate, heads) -> None:
    data = base()
    data["budget"] = str(budget)
    data["max_amount_per_applicant"] = "1.00"
    data["rate"] = str(rate)
    data["criteria"][0]["params"]["min"] = heads
    program = parse_program(data)
    again = copy.deepcopy(data)
    again["budget"] = str(budget + Decimal("0.01"))
    assert parse_program(again).rules_version != program.rules_version
    again = copy.deepcopy(data)
    again["criteria"][0]["params"]["min"] = heads + 1
    assert parse_program(again).rules_version != program.rules_version


@settings(max_examples=60, deadline=None)
@given(
    rates=st.dictionaries(
        st.dates(date(2025, 1, 1), date(2026, 12, 31)),
        st.decimals("0.01", 10**6, places=2),
        min_size=1,
        max_size=4,
    ),
    reference=st.one_of(st.none(), st.text(min_size=1, max_size=40).filter(str.strip)),
    days=st.integers(1, 90),
)
def test_canonical_json_round_trips_to_the_same_rules_version(rates, reference, days) -> None:
    data = base()
    data["rate"] = {date(2025, 1, 1): "1.00", **{day: str(value) for day, value in rates.items()}}
    data["decision_days"] = days
    if reference is not None:
        data["reference"] = reference
    program = parse_program(data)
    stored = json.loads(json.dumps(program.canonical_dict()))
    rebuilt = program_from_json(stored)
    assert rebuilt.rules_version == program.rules_version
    assert rebuilt.canonical_dict() == program.canonical_dict()
    assert rebuilt == program


def test_a_definition_can_be_built_directly() -> None:
    program = ProgramDefinition(
        code="X-1",
        name={"ru": "р", "kk": "қ", "en": "e"},
        opens=date(2026, 1, 1),
        closes=date(2026, 2, 1),
        applicant_kinds=("individual",),
        unit="tenge",
        rate=DatedValue.single(Decimal("0.25")),
        max_amount_per_applicant=Decimal("10.00"),
        budget=Decimal("100.00"),
        second_approval_above=Decimal("5.00"),
    )
    assert program_from_json(program.canonical_dict()).rules_version == program.rules_version
    assert program.is_open_on(date(2026, 2, 1)) and not program.is_open_on(date(2026, 2, 2))
    assert program.accepts("individual") and not program.accepts("cooperative")


# --- the tests: section ----------------------------------------------------------------------


def _case(**changes: Any) -> dict:
    case = copy.deepcopy(TEST_CASE)
    for path, value in changes.items():
        _set(path.replace("__", "."), value)(case)
    return case


TEST_REFUSALS = [
    (_case(**{"facts__livestock__0__heads": -1}), "tests[0].facts.livestock[0].heads", "whole"),
    (
        _case(**{"facts__livestock__0__heads": 59}),
        "tests[0].facts.livestock[0].identified_heads",
        "must not exceed heads",
    ),
    (
        _case(**{"facts__livestock__0__species": "yak"}),
        "tests[0].facts.livestock[0].species",
        "must be one of",
    ),
    (_case(**{"facts__land__0__hectares": 12.5}), "tests[0].facts.land[0].hectares", "quotes"),
    (_case(**{"facts__tax_arrears": 10.5}), "tests[0].facts.tax_arrears", "quotes"),
    (_case(**{"facts__herds": []}), "tests[0].facts.herds", "unknown field"),
    (
        _case(**{"facts__other_applications": [{"parcels": []}]}),
        "tests[0].facts.other_applications[0].number",
        "is required",
    ),
    (
        _case(**{"facts__other_applications": [{"number": "A-1", "applicant": "them"}]}),
        "tests[0].facts.other_applications[0].applicant",
        "self or other",
    ),
    (
        _case(**{"facts__other_applications": [{"number": "A-1", "animals": [{"owner": "self"}]}]}),
        "tests[0].facts.other_applications[0].animals[0].species",
        "is required",
    ),
    (_case(date=date(2026, 1, 14)), "tests[0].date", "outside the program window"),
    (_case(date="soon"), "tests[0].date", "YYYY-MM-DD"),
    (_case(quantity="12.345"), "tests[0].quantity", "at most 2 decimal places"),
    (_case(quantity="0"), "tests[0].quantity", "greater than zero"),
    (_case(quantity=1000.5), "tests[0].quantity", "quotes"),
    (_case(applicant={"kind": "farmer"}), "tests[0].applicant.kind", "must be one of"),
    (
        _case(applicant={"kind": "peasant_farm", "members": 3}),
        "tests[0].applicant.members",
        "only a cooperative",
    ),
    (_case(applicant={"members": 3}), "tests[0].applicant.kind", "is required"),
    (_case(expect={"amount": "1.00"}), "tests[0].expect.eligible", "is required"),
    (_case(expect={"eligible": "yes"}), "tests[0].expect.eligible", "true or false"),
    (_case(expect={"eligible": True, "amount": 1.5}), "tests[0].expect.amount", "quotes"),
    (
        _case(expect={"eligible": True, "checks": {"no_double_funding": True}}),
        "tests[0].expect.checks.no_double_funding",
        "no criterion with this rule",
    ),
    (
        _case(expect={"eligible": True, "checks": {"no_tax_arrears": "ok"}}),
        "tests[0].expect.checks.no_tax_arrears",
        "true or false",
    ),
    (_case(outcome="eligible"), "tests[0].outcome", "unknown field"),
]


@pytest.mark.parametrize(("case", "path", "message"), TEST_REFUSALS)
def test_each_bad_test_case_field_is_refused_at_its_path(case: dict, path: str, message: str):
    error = refusal(with_tests(case))
    assert error.path == path
    assert message in error.message


def test_two_tests_with_one_name_are_refused() -> None:
    error = refusal(with_tests(TEST_CASE, TEST_CASE))
    assert (error.path, error.message) == ("tests[1].name", "another test has this name")


def test_a_head_program_test_quantity_must_be_whole() -> None:
    data = with_tests(_case(quantity="12.5"))
    data["unit"] = "head"
    data["rate"] = "150000"
    error = refusal(data)
    assert (error.path, error.message) == ("tests[0].quantity", "must be a whole number of head")
    data["tests"][0]["quantity"] = "12"
    assert parse_program_file(data).tests[0].quantity == Decimal("12.00")


def test_a_cap_per_applicant_above_the_budget_loads() -> None:
    """The cap comes from the national rules, the budget from the region."""
    data = base()
    data["max_amount_per_applicant"] = "2000000000"
    program = parse_program(data)
    assert program.max_amount_per_applicant > program.budget


def test_without_a_funding_group_a_program_is_its_own_group_per_calendar_year() -> None:
    program = load_program_yaml(BASE_YAML)
    assert (program.funding_group, program.group) == (None, "DAIRY-MILK-2026")
    assert program.funding_period_of(date(2026, 3, 1)) == "2026"
    assert "funding_group" not in program.canonical_dict()
    assert "funding_period" not in program.canonical_dict()


def test_a_funding_group_and_period_are_part_of_the_rules_version() -> None:
    data = base()
    data["funding_group"] = "breeding-cattle"
    data["funding_period"] = "lifetime"
    program = parse_program(data)
    assert program.group == "breeding-cattle"
    assert program.funding_period_of(date(2027, 1, 1)) == "lifetime"
    assert program.rules_version != load_program_yaml(BASE_YAML).rules_version
    assert program_from_json(program.canonical_dict()) == program
