"""A program file's own test cases, in the spirit of OpenFisca's YAML tests.

A case states a date, an applicant, the quantity and the registry facts, and what the program
must decide. ``subsidy programs test FILE.yaml`` runs them, and loading refuses a file whose cases
fail, so a rate change or a new threshold is checked on both sides of its date before it is in
force. Owners are free labels: ``self`` (the default) is the applicant, anything else is, for
example, a cooperative member. Other applications belong to another applicant unless
``applicant: self``.

Shape of one case::

    - name: eligible farm before the July rate increase
      date: 2026-06-30
      applicant: {kind: peasant_farm}            # members: N for a cooperative
      quantity: "200000"
      animals: [KZ0001]                          # head programs: the animals named, if any
      facts:
        livestock: [{species: cattle, heads: 60, identified_heads: 60}]   # owner: self
        land: [{cadastral_number: "05-068-123-456", hectares: "120.5"}]
        tax_arrears: null                        # or "1500.00"; absent: not in the extract
        animals:                                 # the animals extract (head programs)
          - {animal_id: KZ0001, species: cattle, sex: F, birth_date: 2023-01-10,
             registered_on: 2023-03-01}          # owner: self
        other_applications:
          - {number: "DAIRY-MILK-2026-000042", applicant: other,
             parcels: ["05-068-123-456"], animals: [{owner: self, species: cattle}],
             animal_ids: [KZ0001], program: other}   # program: this (default) or other
      expect:
        eligible: true
        amount: "9000000.00"                     # optional; also rate, capped
        checks: {no_tax_arrears: true}           # optional subset, by rule name
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from subsidy.eligibility.facts import (
    APPLICANT_KINDS,
    Animal,
    Facts,
    Herd,
    OtherApplication,
    Parcel,
)
from subsidy.eligibility.params import (
    DefinitionError,
    parse_date,
    parse_decimal,
    parse_hectares,
    parse_non_negative_int,
    parse_non_negative_money,
    parse_species,
    parse_text,
    refuse_unknown_keys,
    require_mapping,
)
from subsidy.eligibility.rules import QUANTITY_PLACES, NotInForce, check_quantity, evaluate
from subsidy.programs.definition import ProgramDefinition, parse_program, read_program_yaml

SELF = "self"
SELF_ID, OTHER_ID = 1, 2
T = TypeVar("T")


@dataclass(frozen=True)
class Expectation:
    eligible: bool
    amount: Decimal | None = None
    rate: Decimal | None = None
    capped: bool | None = None
    checks: dict[str, bool] = field(default_factory=dict)


@dataclass(frozen=True)
class ProgramTest:
    name: str
    on_date: date
    applicant_kind: str
    quantity: Decimal
    facts: Facts
    expect: Expectation
    listed: tuple[str, ...] | None = None  # the animal ids the application names


@dataclass(frozen=True)
class TestOutcome:
    __test__ = False  # not a pytest class

    name: str
    passed: bool
    problems: list[str]


@dataclass(frozen=True)
class ProgramFile:
    """A program file as loaded: the definition (what is stored and versioned) and its own test
    cases (which are not)."""

    definition: ProgramDefinition
    tests: tuple[ProgramTest, ...] = ()


def load_program_file(text: str) -> ProgramFile:
    """Parse and validate a program file and its test cases; refused at the first bad field."""
    return parse_program_file(read_program_yaml(text))


def parse_program_file(data: Any) -> ProgramFile:
    definition = parse_program(data)
    if "tests" not in data:
        return ProgramFile(definition)
    return ProgramFile(definition, parse_tests(data["tests"], "tests", definition))


def run_program_tests(
    definition: ProgramDefinition, tests: tuple[ProgramTest, ...]
) -> list[TestOutcome]:
    return [_run(definition, test) for test in tests]


def _run(definition: ProgramDefinition, test: ProgramTest) -> TestOutcome:
    try:
        evaluation = evaluate(definition, test.facts, test.quantity, test.on_date, test.listed)
    except NotInForce as error:
        return TestOutcome(test.name, False, [str(error)])
    expect, problems = test.expect, []
    accepted = definition.accepts(test.applicant_kind)
    eligible = accepted and evaluation.eligible
    if eligible != expect.eligible:
        if not accepted:
            why = f" (the program does not accept {test.applicant_kind})"
        else:
            failed = evaluation.failed_rules
            why = f" (failed: {', '.join(failed)})" if failed else ""
        problems.append(f"eligible: expected {_yes(expect.eligible)}, got {_yes(eligible)}{why}")
    for label, wanted, got in (
        ("amount", expect.amount, evaluation.amount),
        ("rate", expect.rate, evaluation.rate),
        ("capped", expect.capped, evaluation.capped),
    ):
        if wanted is not None and wanted != got:
            problems.append(f"{label}: expected {_text(wanted)}, got {_text(got)}")
    for rule, wanted in expect.checks.items():
        for check in evaluation.checks:
            if check.rule == rule and check.passed != wanted:
                problems.append(
                    f"checks.{rule}: expected {_yes(wanted)}, got {_yes(check.passed)} "
                    f"({check.detail['en']})"
                )
    return TestOutcome(test.name, not problems, problems)


def _yes(value: bool) -> str:
    return "true" if value else "false"


def _text(value: Any) -> str:
    return _yes(value) if isinstance(value, bool) else str(value)


# --- parsing ---------------------------------------------------------------------------------


def parse_tests(raw: Any, path: str, definition: ProgramDefinition) -> tuple[ProgramTest, ...]:
    if not isinstance(raw, list):
        raise DefinitionError(path, "must be a list of test cases")
    tests: list[ProgramTest] = []
    for position, item in enumerate(raw):
        test = _test(item, f"{path}[{position}]", definition)
        if any(other.name == test.name for other in tests):
            raise DefinitionError(f"{path}[{position}].name", "another test has this name")
        tests.append(test)
    return tuple(tests)


_TEST_KEYS = ("name", "date", "applicant", "quantity", "facts", "expect", "animals")


def _test(raw: Any, path: str, definition: ProgramDefinition) -> ProgramTest:
    require_mapping(raw, path, ", ".join(_TEST_KEYS))
    parsers = {
        "name": lambda value, where: parse_text(value, where, max_length=200),
        "date": lambda value, where: _test_date(value, where, definition),
        "applicant": _applicant,
        "quantity": lambda value, where: _quantity(value, where, definition.unit),
        "facts": _facts,
        "expect": lambda value, where: _expect(value, where, definition),
        "animals": lambda value, where: _list(
            value, where, lambda item, at: parse_text(str(item), at, max_length=32)
        ),
    }
    fields = _fields(raw, path, parsers, required=(*_TEST_KEYS[:4], "expect"))
    kind, members = fields["applicant"]
    known = fields.get("facts", {})
    facts = Facts(
        applicant_id=SELF_ID,
        applicant_kind=kind,
        member_count=members,
        herds=known.get("livestock", ()),
        parcels=known.get("land", ()),
        tax_arrears=known.get("tax_arrears"),
        other_applications=known.get("other_applications", ()),
        snapshots={},
        animals=known.get("animals"),
    )
    listed = fields.get("animals")
    if listed is not None and len(listed) != fields["quantity"]:
        raise DefinitionError(f"{path}.quantity", "must be the number of animals listed")
    return ProgramTest(
        fields["name"], fields["date"], kind, fields["quantity"], facts, fields["expect"], listed
    )


def _fields(
    raw: dict[Any, Any],
    path: str,
    parsers: Mapping[str, Callable[[Any, str], Any]],
    required: tuple[str, ...],
) -> dict[str, Any]:
    """Parse ``raw`` in file order with ``parsers``; unknown keys refused, ``required`` checked."""
    fields: dict[str, Any] = {}
    for key, value in raw.items():
        refuse_unknown_keys({key: value}, path, tuple(parsers))
        fields[key] = parsers[key](value, f"{path}.{key}")
    for key in required:
        if key not in raw:
            raise DefinitionError(f"{path}.{key}", "is required")
    return fields


def _test_date(raw: Any, path: str, definition: ProgramDefinition) -> date:
    day = parse_date(raw, path)
    if not definition.is_open_on(day):
        raise DefinitionError(
            path,
            f"{day.isoformat()} is outside the program window "
            f"{definition.opens.isoformat()} to {definition.closes.isoformat()}",
        )
    return day


def _applicant(raw: Any, path: str) -> tuple[str, int]:
    require_mapping(raw, path, "kind and, for a cooperative, members")
    fields = _fields(
        raw,
        path,
        {"kind": _kind, "members": parse_non_negative_int},
        required=("kind",),
    )
    if "members" in fields and fields["kind"] != "cooperative":
        raise DefinitionError(f"{path}.members", "only a cooperative has members")
    return fields["kind"], fields.get("members", 0)


def _kind(raw: Any, path: str) -> str:
    if not isinstance(raw, str) or raw not in APPLICANT_KINDS:
        raise DefinitionError(path, f"must be one of {', '.join(APPLICANT_KINDS)}")
    return raw


def _quantity(raw: Any, path: str, unit: str) -> Decimal:
    # Parse loosely, then let the unit say what it needs ("a whole number of head").
    value = parse_decimal(raw, path, places=max(QUANTITY_PLACES.values()), example='"120"')
    problem = check_quantity(unit, value)
    if problem:
        raise DefinitionError(path, problem)
    return value


def _facts(raw: Any, path: str) -> dict[str, Any]:
    require_mapping(raw, path, "livestock, land, tax_arrears, animals, other_applications")
    return _fields(
        raw,
        path,
        {
            "livestock": lambda value, where: _list(value, where, _herd),
            "land": _land,
            "animals": _animals,
            "tax_arrears": lambda value, where: (
                None if value is None else parse_non_negative_money(value, where)
            ),
            "other_applications": lambda value, where: _list(value, where, _other),
        },
        required=(),
    )


def _list(raw: Any, path: str, parse_item: Callable[[Any, str], T]) -> tuple[T, ...]:
    if not isinstance(raw, list):
        raise DefinitionError(path, "must be a list")
    return tuple(parse_item(item, f"{path}[{position}]") for position, item in enumerate(raw))


def _owner(raw: Any, path: str) -> str:
    return parse_text(raw, path, max_length=64)


def _herd(raw: Any, path: str) -> Herd:
    require_mapping(raw, path, "species, heads, identified_heads, owner")
    fields = _fields(
        raw,
        path,
        {
            "species": parse_species,
            "heads": parse_non_negative_int,
            "identified_heads": parse_non_negative_int,
            "owner": _owner,
        },
        required=("species", "heads"),
    )
    identified = fields.get("identified_heads", fields["heads"])
    if identified > fields["heads"]:
        raise DefinitionError(f"{path}.identified_heads", "must not exceed heads")
    return Herd(fields["species"], fields["heads"], identified, fields.get("owner", SELF))


def _land(raw: Any, path: str) -> tuple[Parcel, ...]:
    parcels = _list(raw, path, _parcel)
    for position, parcel in enumerate(parcels):
        if any(p.cadastral_number == parcel.cadastral_number for p in parcels[:position]):
            raise DefinitionError(
                f"{path}[{position}].cadastral_number", "this parcel is listed twice"
            )
    return parcels


def _parcel(raw: Any, path: str) -> Parcel:
    require_mapping(raw, path, "cadastral_number, hectares, owner")
    fields = _fields(
        raw,
        path,
        {
            "cadastral_number": lambda value, where: parse_text(value, where, max_length=64),
            "hectares": parse_hectares,
            "owner": _owner,
        },
        required=("cadastral_number", "hectares"),
    )
    return Parcel(fields["cadastral_number"], fields["hectares"], fields.get("owner", SELF))


MAX_ANIMALS_PER_LINE = 10_000


def _animals(raw: Any, path: str) -> tuple[Animal, ...]:
    animals = tuple(animal for group in _list(raw, path, _animal_line) for animal in group)
    seen: set[str] = set()
    for animal in animals:
        if animal.animal_id in seen:
            raise DefinitionError(path, f"the animal {animal.animal_id} is listed twice")
        seen.add(animal.animal_id)
    return animals


def _animal_line(raw: Any, path: str) -> tuple[Animal, ...]:
    """One animal, or with ``count: N`` N alike ones whose ids end in -001, -002, ..."""
    count = 1
    if isinstance(raw, dict) and "count" in raw:
        raw = dict(raw)
        count = parse_non_negative_int(raw.pop("count"), f"{path}.count")
        if not 1 <= count <= MAX_ANIMALS_PER_LINE:
            raise DefinitionError(f"{path}.count", f"must be from 1 to {MAX_ANIMALS_PER_LINE}")
    animal = _one_animal(raw, path)
    if count == 1:
        return (animal,)
    return tuple(
        replace(animal, animal_id=f"{animal.animal_id}-{n:03d}") for n in range(1, count + 1)
    )


def _one_animal(raw: Any, path: str) -> Animal:
    require_mapping(raw, path, "animal_id, species, sex, birth_date, registered_on, owner, count")
    fields = _fields(
        raw,
        path,
        {
            "animal_id": lambda value, where: parse_text(str(value), where, max_length=32),
            "species": parse_species,
            "sex": _sex,
            "birth_date": parse_date,
            "registered_on": parse_date,
            "owner": _owner,
        },
        required=("animal_id", "species", "birth_date", "registered_on"),
    )
    if fields["registered_on"] < fields["birth_date"]:
        raise DefinitionError(f"{path}.registered_on", "must not be before birth_date")
    return Animal(
        fields["animal_id"],
        fields["species"],
        fields.get("sex", "F"),
        fields["birth_date"],
        fields["registered_on"],
        fields.get("owner", SELF),
    )


def _sex(raw: Any, path: str) -> str:
    if raw not in ("F", "M"):
        raise DefinitionError(path, "must be F or M")
    return str(raw)


def _other(raw: Any, path: str) -> OtherApplication:
    require_mapping(raw, path, "number, applicant, parcels, animals, animal_ids, program")
    fields = _fields(
        raw,
        path,
        {
            "number": lambda value, where: parse_text(value, where, max_length=96),
            "applicant": _whose,
            "parcels": lambda value, where: _list(
                value, where, lambda item, at: parse_text(item, at, max_length=64)
            ),
            "animals": lambda value, where: _list(value, where, _animal),
            "animal_ids": lambda value, where: _list(
                value, where, lambda item, at: parse_text(str(item), at, max_length=32)
            ),
            "program": _which_program,
        },
        required=("number",),
    )
    return OtherApplication(
        number=fields["number"],
        applicant_id=fields.get("applicant", OTHER_ID),
        parcels=frozenset(fields.get("parcels", ())),
        animals=frozenset(fields.get("animals", ())),
        animal_ids=frozenset(fields.get("animal_ids", ())),
        same_program=fields.get("program", True),
    )


def _which_program(raw: Any, path: str) -> bool:
    if raw not in ("this", "other"):
        raise DefinitionError(path, "must be this or other (another program of the group)")
    return bool(raw == "this")


def _whose(raw: Any, path: str) -> int:
    if raw not in (SELF, "other"):
        raise DefinitionError(path, "must be self or other")
    return SELF_ID if raw == SELF else OTHER_ID


def _animal(raw: Any, path: str) -> tuple[str, str]:
    require_mapping(raw, path, "owner and species")
    fields = _fields(raw, path, {"owner": _owner, "species": parse_species}, required=("species",))
    return fields.get("owner", SELF), fields["species"]


def _expect(raw: Any, path: str, definition: ProgramDefinition) -> Expectation:
    require_mapping(raw, path, "eligible, amount, rate, capped, checks")
    fields = _fields(
        raw,
        path,
        {
            "eligible": _bool,
            "amount": parse_non_negative_money,
            "rate": lambda value, where: parse_decimal(value, where, places=4),
            "capped": _bool,
            "checks": lambda value, where: _expected_checks(value, where, definition),
        },
        required=("eligible",),
    )
    return Expectation(**fields)


def _bool(raw: Any, path: str) -> bool:
    if not isinstance(raw, bool):
        raise DefinitionError(path, "must be true or false")
    return raw


def _expected_checks(raw: Any, path: str, definition: ProgramDefinition) -> dict[str, bool]:
    require_mapping(raw, path, "rule name: true or false")
    for rule, value in raw.items():
        if not definition.has_rule(rule):
            raise DefinitionError(f"{path}.{rule}", "the program has no criterion with this rule")
        _bool(value, f"{path}.{rule}")
    return dict(raw)
