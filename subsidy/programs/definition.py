"""A subsidy program as written in its YAML file, validated field by field.

The file is read top to bottom and refused at its first error with the path of the bad field
(``criteria[2].params.min: must be a positive integer``), so a ministry clerk fixes one line at a
time. Rule parameters are validated against the declarations in the rule catalogue
(:data:`subsidy.eligibility.rules.RULES`), not against a list kept here.

``canonical_dict()`` is what the database stores and what ``rules_version`` hashes (RFC 8785):
the same rules give the same version whatever the key order or number formatting of the file,
and any change of a rule or a value gives a new one. The file's own ``tests`` are not part of it:
adding a test case does not change the rules an application was judged by. They are read by
:mod:`subsidy.programs.testcases` (``load_program_file``), which evaluates the definition parsed
here; this module does not know them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any

import yaml

from subsidy.audit.canonical import canonical_bytes
from subsidy.eligibility.facts import APPLICANT_KINDS, UNITS
from subsidy.eligibility.obligations import (
    DEFAULT_RECOVERY_DAYS,
    Obligation,
    parse_obligations,
    parse_recovery_days,
)
from subsidy.eligibility.params import (
    DefinitionError,
    decimal_text,
    parse_date,
    parse_decimal,
    parse_localized,
    parse_money,
    parse_share,
    parse_species,
    parse_text,
    refuse_unknown_keys,
    require_mapping,
)
from subsidy.eligibility.rules import RULES
from subsidy.programs.dated import DatedValue, parse_dated
from subsidy.text_guard import refused_character

__all__ = [
    "Criterion",
    "DefinitionError",
    "ProgramDefinition",
    "load_program_yaml",
    "parse_program",
    "program_from_json",
    "read_program_yaml",
]

FILE = "<file>"
MAX_FILE_BYTES = 1_000_000
MAX_NESTING = 32  # mappings and lists inside one another; a program file goes five deep
_CODE = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)*")
REQUIRED = (
    "code",
    "name",
    "window",
    "applicant_kinds",
    "unit",
    "rate",
    "max_amount_per_applicant",
    "budget",
    "second_approval_above",
    "criteria",
)
OPTIONAL = (
    "reference",
    "decision_days",
    "species",
    "funding_group",
    "funding_period",
    "obligations",
    "recovery_days",
    "tests",
)
FUNDING_PERIODS = ("lifetime", "calendar_year")
DEFAULT_FUNDING_PERIOD = "calendar_year"
_GROUP = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
DEFAULT_DECISION_DAYS = 10
DEFAULT_SPECIES = "cattle"


@dataclass(frozen=True)
class Criterion:
    rule: str
    params: dict[str, DatedValue[Any]]  # every declared parameter, defaults filled in

    def params_on(self, day: date) -> dict[str, Any]:
        return {name: value.value_on(day) for name, value in self.params.items()}

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "params": {k: v.to_json() for k, v in self.params.items()}}


@dataclass(frozen=True)
class ProgramDefinition:
    code: str
    name: dict[str, str]  # {"ru", "kk", "en"}
    opens: date
    closes: date
    applicant_kinds: tuple[str, ...]
    unit: str  # liter | head | hectare | tenge
    rate: DatedValue[Decimal]  # KZT per unit; for tenge programs a share of the amount (0.25)
    max_amount_per_applicant: Decimal
    budget: Decimal
    second_approval_above: Decimal
    decision_days: int = DEFAULT_DECISION_DAYS
    reference: str | dict[str, str] | None = None
    species: str = DEFAULT_SPECIES  # what head and liter programs count
    criteria: tuple[Criterion, ...] = ()
    # Programs of one group never fund the same animal or parcel twice within the period;
    # without a group the program is its own.
    funding_group: str | None = None
    funding_period: str = DEFAULT_FUNDING_PERIOD  # lifetime | calendar_year
    # What a paid applicant must keep afterwards (subsidy.eligibility.obligations), and how many
    # days a breached obligation's recovery notice gives to repay.
    obligations: tuple[Obligation, ...] = ()
    recovery_days: int = DEFAULT_RECOVERY_DAYS

    def canonical_dict(self) -> dict[str, Any]:
        """Everything but the tests, JSON-able: dates ISO, decimals as strings."""
        data: dict[str, Any] = {
            "code": self.code,
            "name": dict(self.name),
            "window": {"opens": self.opens.isoformat(), "closes": self.closes.isoformat()},
            "applicant_kinds": list(self.applicant_kinds),
            "unit": self.unit,
            "species": self.species,
            "rate": self.rate.to_json(),
            "max_amount_per_applicant": decimal_text(self.max_amount_per_applicant),
            "budget": decimal_text(self.budget),
            "second_approval_above": decimal_text(self.second_approval_above),
            "decision_days": self.decision_days,
            "criteria": [criterion.to_json() for criterion in self.criteria],
        }
        if self.reference is not None:
            data["reference"] = (
                self.reference if isinstance(self.reference, str) else dict(self.reference)
            )
        # Only when written: the versions of programs loaded before these fields existed stay.
        if self.funding_group is not None:
            data["funding_group"] = self.funding_group
        if self.funding_period != DEFAULT_FUNDING_PERIOD:
            data["funding_period"] = self.funding_period
        if self.obligations:
            data["obligations"] = [obligation.to_json() for obligation in self.obligations]
        if self.recovery_days != DEFAULT_RECOVERY_DAYS:
            data["recovery_days"] = self.recovery_days
        return data

    def obligation(self, name: str) -> Obligation | None:
        return next((o for o in self.obligations if o.name == name), None)

    @property
    def group(self) -> str:
        """The funding group: the one the file names, else the program's own code."""
        return self.funding_group or self.code

    def funding_period_of(self, day: date) -> str:
        """The period an application of ``day`` is funded in: ``lifetime`` or its year."""
        return "lifetime" if self.funding_period == "lifetime" else str(day.year)

    @cached_property
    def rules_version(self) -> str:
        """First 16 hex digits of SHA-256 over the RFC 8785 bytes of :meth:`canonical_dict`."""
        return hashlib.sha256(canonical_bytes(self.canonical_dict())).hexdigest()[:16]

    def is_open_on(self, day: date) -> bool:
        return self.opens <= day <= self.closes

    def accepts(self, applicant_kind: str) -> bool:
        return applicant_kind in self.applicant_kinds

    def has_rule(self, rule: str) -> bool:
        return any(criterion.rule == rule for criterion in self.criteria)


# --- entry points ----------------------------------------------------------------------------


def load_program_yaml(text: str) -> ProgramDefinition:
    """Parse and validate a program file's definition (its tests are not read); YAML errors name
    the line."""
    return parse_program(read_program_yaml(text))


def read_program_yaml(text: str) -> Any:
    """The plain data of a program file: refused with the line of a YAML error, a key given
    twice, nesting deeper than :data:`MAX_NESTING`, a character no text field takes
    (:mod:`subsidy.text_guard`; a byte order mark may open the file), or an impossible date."""
    _refuse_hidden_characters(text.removeprefix("\ufeff"))
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise DefinitionError(FILE, f"is larger than {MAX_FILE_BYTES} bytes")
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # a SafeLoader: builds plain data only
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise DefinitionError(FILE, f"invalid YAML at {where}{error.problem}") from None
    except yaml.YAMLError as error:
        raise DefinitionError(FILE, f"invalid YAML: {error}") from None
    except DefinitionError:
        raise
    except ValueError as error:  # a date such as 2026-02-30 fails while the YAML is read
        raise DefinitionError(FILE, f"invalid value: {error}") from None
    except RecursionError:  # a last resort: _StrictLoader stops at MAX_NESTING levels
        raise DefinitionError(FILE, f"nested more than {MAX_NESTING} levels deep") from None
    if data is None:
        raise DefinitionError(FILE, "is empty")
    return data


def program_from_json(data: dict[str, Any]) -> ProgramDefinition:
    """Rebuild a definition from :meth:`ProgramDefinition.canonical_dict` (as the DB stores it)."""
    return parse_program(data)


def parse_program(data: Any) -> ProgramDefinition:
    """The definition of a file's data; a ``tests`` key is the file's (see ``testcases``) and is
    passed over here."""
    if not isinstance(data, dict):
        raise DefinitionError(FILE, "must be a mapping of program fields")
    raw_unit = data.get("unit")
    unit = raw_unit if isinstance(raw_unit, str) and raw_unit in UNITS else None
    fields: dict[str, Any] = {}
    for key, raw in data.items():
        if key not in _PARSERS and key != "tests":
            raise DefinitionError(
                str(key), f"unknown field; expected {', '.join((*REQUIRED, *OPTIONAL))}"
            )
        if key != "tests":
            fields[key] = _PARSERS[key](raw, str(key), unit)
    for key in REQUIRED:
        if key not in data:
            raise DefinitionError(key, "is required")
    opens, closes = fields.pop("window")
    definition = ProgramDefinition(opens=opens, closes=closes, **fields)
    _check_consistency(definition)
    return definition


# --- fields ----------------------------------------------------------------------------------


def _code(raw: Any, path: str, unit: str | None) -> str:
    # An application's number is the code, a dash and up to ten digits, and it is the payment's
    # ISO 20022 EndToEndId, which holds at most 35 characters: hence 24.
    if not isinstance(raw, str) or not 3 <= len(raw) <= 24 or not _CODE.fullmatch(raw):
        raise DefinitionError(
            path, "must be 3-24 uppercase letters, digits and single dashes, e.g. DAIRY-MILK-2026"
        )
    return raw


def _name(raw: Any, path: str, unit: str | None) -> dict[str, str]:
    return parse_localized(raw, path, max_length=300)


def _reference(raw: Any, path: str, unit: str | None) -> str | dict[str, str]:
    if isinstance(raw, dict):
        return parse_localized(raw, path, max_length=500)
    return parse_text(raw, path, max_length=500)


def _window(raw: Any, path: str, unit: str | None) -> tuple[date, date]:
    require_mapping(raw, path, "opens and closes dates")
    days = {}
    for key, value in raw.items():
        refuse_unknown_keys({key: value}, path, ("opens", "closes"))
        days[key] = parse_date(value, f"{path}.{key}")
    for key in ("opens", "closes"):
        if key not in days:
            raise DefinitionError(f"{path}.{key}", "is required")
    if days["closes"] < days["opens"]:
        raise DefinitionError(
            f"{path}.closes", f"must not be before window.opens ({days['opens'].isoformat()})"
        )
    return days["opens"], days["closes"]


def _applicant_kinds(raw: Any, path: str, unit: str | None) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw:
        raise DefinitionError(path, f"must be a non-empty list of {', '.join(APPLICANT_KINDS)}")
    kinds: list[str] = []
    for position, kind in enumerate(raw):
        where = f"{path}[{position}]"
        if not isinstance(kind, str) or kind not in APPLICANT_KINDS:
            raise DefinitionError(where, f"must be one of {', '.join(APPLICANT_KINDS)}")
        if kind in kinds:
            raise DefinitionError(where, f"{kind} is listed twice")
        kinds.append(kind)
    return tuple(kinds)


def _unit(raw: Any, path: str, unit: str | None) -> str:
    if not isinstance(raw, str) or raw not in UNITS:
        raise DefinitionError(path, f"must be one of {', '.join(UNITS)}")
    return raw


def _rate(raw: Any, path: str, unit: str | None) -> DatedValue[Decimal]:
    return parse_dated(raw, _RATE_PARSERS.get(unit, _any_rate), path)


def _tenge_rate(raw: Any, path: str) -> Decimal:
    try:
        return parse_share(raw, path)
    except DefinitionError as error:
        raise DefinitionError(
            path, f"{error.message} (a tenge program's rate is the share of the amount paid)"
        ) from None


def _any_rate(raw: Any, path: str) -> Decimal:
    return parse_decimal(raw, path, places=4)


_RATE_PARSERS: dict[str | None, Callable[[Any, str], Decimal]] = {
    "liter": parse_money,
    "head": parse_money,
    "hectare": parse_money,
}
_RATE_PARSERS["tenge"] = _tenge_rate


def _money(raw: Any, path: str, unit: str | None) -> Decimal:
    return parse_money(raw, path)


def _funding_group(raw: Any, path: str, unit: str | None) -> str:
    if not isinstance(raw, str) or not 3 <= len(raw) <= 64 or not _GROUP.fullmatch(raw):
        raise DefinitionError(
            path, "must be 3-64 lowercase letters, digits and single dashes, e.g. breeding-cattle"
        )
    return raw


def _funding_period(raw: Any, path: str, unit: str | None) -> str:
    if not isinstance(raw, str) or raw not in FUNDING_PERIODS:
        raise DefinitionError(path, f"must be one of {', '.join(FUNDING_PERIODS)}")
    return raw


def _decision_days(raw: Any, path: str, unit: str | None) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 90:
        raise DefinitionError(path, "must be a whole number of days from 1 to 90")
    return raw


def _species(raw: Any, path: str, unit: str | None) -> str:
    return parse_species(raw, path)


def _obligations(raw: Any, path: str, unit: str | None) -> tuple[Obligation, ...]:
    return parse_obligations(raw, path)


def _recovery_days(raw: Any, path: str, unit: str | None) -> int:
    return parse_recovery_days(raw, path)


def _criteria(raw: Any, path: str, unit: str | None) -> tuple[Criterion, ...]:
    if not isinstance(raw, list):
        raise DefinitionError(path, "must be a list of {rule, params}")
    return tuple(_criterion(item, f"{path}[{position}]") for position, item in enumerate(raw))


def _criterion(raw: Any, path: str) -> Criterion:
    require_mapping(raw, path, "rule and params")
    refuse_unknown_keys(raw, path, ("rule", "params"))
    name = raw.get("rule")
    if name is None:
        raise DefinitionError(f"{path}.rule", "is required")
    if not isinstance(name, str) or name not in RULES:
        raise DefinitionError(f"{path}.rule", f"unknown rule; known rules: {', '.join(RULES)}")
    declared = RULES[name].params
    raw_params = raw.get("params", {})
    if raw_params is None:
        raw_params = {}
    require_mapping(raw_params, f"{path}.params", "parameter names and values")
    params: dict[str, DatedValue[Any]] = {}
    for key, value in raw_params.items():
        where = f"{path}.params.{key}"
        if key not in declared:
            takes = f"it takes {', '.join(declared)}" if declared else "it takes no parameters"
            raise DefinitionError(where, f"unknown parameter of {name}; {takes}")
        params[key] = parse_dated(value, declared[key].parse, where)
    for key, param in declared.items():
        if key in params:
            continue
        if param.required:
            raise DefinitionError(f"{path}.params.{key}", "is required")
        params[key] = DatedValue.single(param.parse(param.default, f"{path}.params.{key}"))
    return Criterion(name, {key: params[key] for key in declared})


_PARSERS = {
    "code": _code,
    "name": _name,
    "reference": _reference,
    "window": _window,
    "applicant_kinds": _applicant_kinds,
    "unit": _unit,
    "species": _species,
    "rate": _rate,
    "max_amount_per_applicant": _money,
    "budget": _money,
    "second_approval_above": _money,
    "decision_days": _decision_days,
    "funding_group": _funding_group,
    "funding_period": _funding_period,
    "criteria": _criteria,
    "obligations": _obligations,
    "recovery_days": _recovery_days,
}


def _check_consistency(definition: ProgramDefinition) -> None:
    """Cross-field checks, after every field is valid on its own. A cap per applicant above the
    budget is legal: the cap comes from the national rules, the budget from the region."""
    # An application on the opening day must find every dated value in force.
    opens = definition.opens
    _in_force_from(definition.rate, "rate", opens)
    for position, criterion in enumerate(definition.criteria):
        for name, value in criterion.params.items():
            _in_force_from(value, f"criteria[{position}].params.{name}", opens)


def _in_force_from(value: DatedValue[Any], path: str, opens: date) -> None:
    first = value.first_start
    if first is not None and first > opens:
        raise DefinitionError(
            path,
            f"no value is in force when the window opens on {opens.isoformat()} "
            f"(the first date is {first.isoformat()})",
        )


# --- YAML ------------------------------------------------------------------------------------


def _refuse_hidden_characters(text: str) -> None:
    if refused_character(text) is None:
        return
    for number, line in enumerate(text.split("\n"), start=1):
        for column, char in enumerate(line, start=1):
            found = refused_character(char)
            if found is not None:
                raise DefinitionError(
                    FILE, f"line {number}, column {column}: {found} is not allowed"
                )


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice (PyYAML would silently keep the last one) and
    nesting deeper than MAX_NESTING: PyYAML composes a node's children by recursion, and a
    file nested a few thousand deep would end in RecursionError."""

    _nesting = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self._nesting += 1
        try:
            if self._nesting > MAX_NESTING:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise DefinitionError(
                    FILE,
                    f"line {mark.line + 1}, column {mark.column + 1}: "
                    f"nested more than {MAX_NESTING} levels deep",
                )
            return super().compose_node(parent, index)
        finally:
            self._nesting -= 1


def _construct_mapping(
    loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False
) -> dict[Hashable, Any]:
    seen: set[object] = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in seen
        except TypeError:
            continue  # unhashable: the base constructor reports it
        if duplicate:
            line = key_node.start_mark.line + 1
            raise DefinitionError(FILE, f"line {line}: the key {key!r} is given twice")
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
