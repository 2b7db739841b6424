"""The rule catalogue, what an application claims, the amount, and the evaluation.

Pure functions of a program definition, registry facts, a quantity and a date: no clock, no
database, no randomness, so the same inputs always give byte-identical ``to_json()`` output and an
auditor can re-run an evaluation years later from the stored facts.

Each rule declares its parameters here, and the program loader validates a file's ``params``
against these declarations: there is no second list to keep in step. A rule returns whether it
passed, an explanation in ru/kk/en (:mod:`subsidy.eligibility.texts`) and the facts it used.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple, Protocol

from subsidy.eligibility import texts
from subsidy.eligibility.amounts import (
    QUANTITY_PLACES,
    InvalidQuantity,
    check_quantity,
    compute_amount,
)

__all__ = [
    "QUANTITY_PLACES",
    "RULES",
    "CheckResult",
    "CriterionRules",
    "Evaluation",
    "InvalidQuantity",
    "NoRateInForce",
    "NotInForce",
    "ProgramRules",
    "age_in_months",
    "check_quantity",
    "choose_animals",
    "claims",
    "compute_amount",
    "evaluate",
]
from subsidy.eligibility.facts import Animal, Facts
from subsidy.eligibility.params import (
    decimal_text,
    parse_decimal,
    parse_hectares,
    parse_non_negative_int,
    parse_non_negative_money,
    parse_positive_int,
    parse_share,
    parse_species,
)

ANIMAL_UNITS = ("head", "liter")


class DatedRate(Protocol):
    """A value that changes on known dates (``subsidy.programs.dated.DatedValue``)."""

    def value_on(self, day: date, /) -> Decimal | None: ...

    @property
    def first_start(self) -> date | None: ...


class CriterionRules(Protocol):
    """One criterion of a program: a rule of :data:`RULES` and its parameters on a day."""

    @property
    def rule(self) -> str: ...

    def params_on(self, day: date, /) -> dict[str, Any]: ...


class ProgramRules(Protocol):
    """What an evaluation reads of a program: the loader's ``ProgramDefinition`` is one.

    The rules sit below the program files and know nothing of how they are written or stored;
    anything with these attributes can be evaluated (a test can pass a small dataclass)."""

    @property
    def code(self) -> str: ...

    @property
    def unit(self) -> str: ...

    @property
    def species(self) -> str: ...

    @property
    def rate(self) -> DatedRate: ...

    @property
    def max_amount_per_applicant(self) -> Decimal: ...

    @property
    def rules_version(self) -> str: ...

    @property
    def criteria(self) -> Sequence[CriterionRules]: ...


_REQUIRED = object()


class NotInForce(ValueError):
    """A dated value has no value on the evaluation date (the day precedes its first start)."""

    def __init__(self, path: str, day: date) -> None:
        super().__init__(f"{path}: no value is in force on {day.isoformat()}")
        self.path = path
        self.day = day


class NoRateInForce(NotInForce):
    def __init__(self, code: str, day: date, first: date | None) -> None:
        ValueError.__init__(
            self,
            f"{code}: no rate is in force on {day.isoformat()}"
            + (f" (the first rate starts on {first.isoformat()})" if first else ""),
        )
        self.path = "rate"
        self.day = day
        self.code = code


@dataclass(frozen=True)
class Param:
    parse: Callable[[Any, str], Any]
    default: Any = _REQUIRED  # as it would be written in a program file
    doc: str = ""

    @property
    def required(self) -> bool:
        return self.default is _REQUIRED


@dataclass(frozen=True)
class Claim:
    """What the application asks to be funded for, as the rules see it."""

    unit: str
    species: str
    quantity: Decimal
    parcels: frozenset[str]
    animals: frozenset[tuple[str, str]]  # herds: (owner, species)
    animal_ids: frozenset[str] = frozenset()  # identified animals (head programs)
    on_date: date | None = None
    # Whether the program claims identified animals (a head program with an animals extract).
    by_animal: bool = False


class Claimed(NamedTuple):
    """What an application claims: parcels, herds (owner, species) and identified animals."""

    parcels: frozenset[str]
    herds: frozenset[tuple[str, str]]
    animals: tuple[Animal, ...]

    @property
    def animal_ids(self) -> frozenset[str]:
        return frozenset(animal.animal_id for animal in self.animals)


Outcome = tuple[bool, texts.Texts, dict[str, Any]]
Check = Callable[[dict[str, Any], Facts, Claim], Outcome]


@dataclass(frozen=True)
class Rule:
    name: str
    summary: str
    params: dict[str, Param]
    check: Check


RULES: dict[str, Rule] = {}


def rule(name: str, summary: str, **params: Param) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        RULES[name] = Rule(name, summary, params, check)
        return check

    return register


@dataclass(frozen=True)
class CheckResult:
    rule: str
    passed: bool
    detail: dict[str, str]  # {"ru": ..., "kk": ..., "en": ...}
    facts_used: dict[str, Any]  # JSON-able: decimals as strings

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "passed": self.passed,
            "detail": dict(self.detail),
            "facts_used": self.facts_used,
        }


@dataclass(frozen=True)
class Evaluation:
    eligible: bool
    rules_version: str
    on_date: date
    rate: Decimal
    quantity: Decimal
    amount: Decimal  # rate x quantity to the tiyn, capped; computed even when ineligible
    capped: bool
    checks: tuple[CheckResult, ...]
    snapshots: dict[str, int | None]
    # What the application claims (parcels, herds, identified animals); stored beside the
    # evaluation as the application's claims, not in its JSON.
    claim: Claim | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "eligible": self.eligible,
            "rules_version": self.rules_version,
            "on_date": self.on_date.isoformat(),
            "rate": decimal_text(self.rate),
            "quantity": texts.number(self.quantity),
            "amount": texts.money(self.amount),
            "capped": self.capped,
            "checks": [check.to_json() for check in self.checks],
            "snapshots": dict(self.snapshots),
        }

    @property
    def failed_rules(self) -> list[str]:
        return [check.rule for check in self.checks if not check.passed]


# --- the catalogue ---------------------------------------------------------------------------


@rule(
    "min_livestock_heads",
    "The livestock registry shows at least `min` head of `species` (a cooperative's members' "
    "herds included).",
    species=Param(parse_species, doc="species counted"),
    min=Param(parse_positive_int, doc="least number of head, a positive integer"),
)
def _min_livestock_heads(params: dict[str, Any], facts: Facts, claim: Claim) -> Outcome:
    species, minimum = params["species"], params["min"]
    heads = facts.heads_of(species)
    passed = heads >= minimum
    used = {"species": species, "heads": heads, "min": minimum}
    return passed, texts.min_heads(species, heads, minimum, passed), used


@rule(
    "identified_livestock_share",
    "At least `min_share` of the registered head of `species` are identified (tagged and "
    "recorded); no animals at all fails.",
    species=Param(parse_species, doc="species counted"),
    min_share=Param(parse_share, doc='share 0 < x <= 1, e.g. "1.00" for all animals'),
)
def _identified_livestock_share(params: dict[str, Any], facts: Facts, claim: Claim) -> Outcome:
    species, min_share = params["species"], params["min_share"]
    heads, identified = facts.heads_of(species), facts.identified_heads_of(species)
    # Compare without dividing so that no rounding decides a borderline case.
    passed = heads > 0 and Decimal(identified) >= min_share * heads
    used = {
        "species": species,
        "heads": heads,
        "identified_heads": identified,
        "min_share": decimal_text(min_share),
    }
    return passed, texts.identified_share(species, heads, identified, min_share, passed), used


@rule(
    "min_land_hectares",
    "The land registry shows at least `min` hectares on the applicant's (and members') parcels.",
    min=Param(parse_hectares, doc='least area in hectares, e.g. "10"'),
)
def _min_land_hectares(params: dict[str, Any], facts: Facts, claim: Claim) -> Outcome:
    minimum = params["min"]
    hectares = sum((parcel.hectares for parcel in facts.parcels), Decimal(0))
    passed = hectares >= minimum
    used = {
        "hectares": decimal_text(hectares),
        "min": decimal_text(minimum),
        "parcels": len(facts.parcels),
    }
    return passed, texts.min_land(hectares, minimum, passed), used


@rule(
    "no_tax_arrears",
    "Tax arrears in the state revenue extract do not exceed `max_arrears` (none by default); "
    "an applicant absent from the extract has none.",
    max_arrears=Param(parse_non_negative_money, default="0.00", doc="KZT tolerated"),
)
def _no_tax_arrears(params: dict[str, Any], facts: Facts, claim: Claim) -> Outcome:
    maximum, arrears = params["max_arrears"], facts.tax_arrears
    passed = arrears is None or arrears <= maximum
    used = {
        "tax_arrears": None if arrears is None else texts.money(arrears),
        "max_arrears": texts.money(maximum),
    }
    return passed, texts.tax_arrears(arrears, maximum, passed), used


@rule(
    "cooperative_min_members",
    "A cooperative has at least `min` members; passes as not applicable for other applicants.",
    min=Param(parse_positive_int, doc="least number of members"),
)
def _cooperative_min_members(params: dict[str, Any], facts: Facts, claim: Claim) -> Outcome:
    minimum = params["min"]
    used: dict[str, Any] = {"applicant_kind": facts.applicant_kind, "min": minimum}
    if facts.applicant_kind != "cooperative":
        return True, texts.members_not_applicable(), {**used, "applicable": False}
    passed = facts.member_count >= minimum
    used = {**used, "applicable": True, "member_count": facts.member_count}
    return passed, texts.members(facts.member_count, minimum, passed), used


@rule(
    "one_application_per_applicant",
    "The applicant has no other live application in the program.",
)
def _one_application(params: dict[str, Any], facts: Facts, claim: Claim) -> Outcome:
    numbers = sorted(
        other.number
        for other in facts.other_applications
        if other.applicant_id == facts.applicant_id and other.same_program
    )
    return not numbers, texts.one_application(numbers), {"other_applications": numbers}


@rule(
    "quantity_within_registry",
    "The quantity is backed by the registries: head <= identified head of the program species; "
    "hectares <= registered area of the claimed parcels; liters <= identified head x "
    "`max_liters_per_head`; not applicable to tenge programs.",
    max_liters_per_head=Param(
        lambda raw, path: parse_decimal(raw, path, places=2, example='"7000"'),
        default="7000",
        doc="yearly milk per identified cow, liter programs only",
    ),
)
def _quantity_within_registry(params: dict[str, Any], facts: Facts, claim: Claim) -> Outcome:
    used: dict[str, Any] = {"unit": claim.unit, "quantity": texts.number(claim.quantity)}
    if claim.unit == "hectare":
        area = sum(
            (p.hectares for p in facts.parcels if p.cadastral_number in claim.parcels), Decimal(0)
        )
        passed = claim.quantity <= area
        used["limit"] = decimal_text(area)
        return passed, texts.quantity_hectares(claim.quantity, area, passed), used
    if claim.unit not in ANIMAL_UNITS:
        return True, texts.quantity_not_applicable(), {**used, "applicable": False}
    if claim.by_animal:
        # The animals claimed are identified ones, each named; the quantity is their number.
        claimed = len(claim.animal_ids)
        passed = claim.quantity <= claimed
        used.update(species=claim.species, identified_animals=claimed, limit=str(claimed))
        return passed, texts.quantity_heads(claim.species, claim.quantity, claimed, passed), used
    identified = sum(
        herd.identified_heads for herd in facts.herds if (herd.owner, herd.species) in claim.animals
    )
    used.update(species=claim.species, identified_heads=identified)
    if claim.unit == "head":
        passed = claim.quantity <= identified
        used["limit"] = str(identified)
        return passed, texts.quantity_heads(claim.species, claim.quantity, identified, passed), used
    per_head = params["max_liters_per_head"]
    passed = claim.quantity <= per_head * identified
    used.update(
        max_liters_per_head=decimal_text(per_head), limit=texts.number(per_head * identified)
    )
    detail = texts.quantity_liters(claim.species, claim.quantity, identified, per_head, passed)
    return passed, detail, used


@rule(
    "no_double_funding",
    "No other live application in the program's funding group and period (the program alone "
    "unless it names a `funding_group`) claims one of the same cadastral parcels, identified "
    "animals or (owner, species) herds; the check names the earlier application.",
)
def _no_double_funding(params: dict[str, Any], facts: Facts, claim: Claim) -> Outcome:
    conflicts: list[texts.Conflict] = []
    used: list[dict[str, Any]] = []
    # Claimed animals conflict with another application's claim on their owner's whole herd
    # (one made before the animals extract existed, or by a liter program of the group).
    herds_of_animals = {(a.owner, a.species) for a in _claimed_animals(facts, claim)}
    for other in sorted(facts.other_applications, key=lambda application: application.number):
        parcels = sorted(claim.parcels & other.parcels)
        herds = (claim.animals | herds_of_animals) & other.animals
        species = sorted({name for _, name in herds})
        animal_ids = sorted(claim.animal_ids & other.animal_ids)
        if parcels or species or animal_ids:
            conflicts.append(texts.Conflict(other.number, parcels, species, animal_ids))
            owners = len({owner for owner, _ in herds})
            used.append(
                {
                    "application": other.number,
                    "parcels": parcels,
                    "species": species,
                    "animal_owners": owners,
                    "animals": animal_ids,
                }
            )
    return not conflicts, texts.double_funding(conflicts), {"conflicts": used}


def age_in_months(birth: date, day: date) -> int:
    """Whole months from ``birth`` to ``day``: a month is complete on the same day of a later
    month, or on its last day when it has no such day (born 31 January: one month old on
    28 February). Negative before the birth date."""
    months = (day.year - birth.year) * 12 + day.month - birth.month
    if _add_months(birth, months) > day:
        months -= 1
    return months


def _add_months(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _claimed_animals(facts: Facts, claim: Claim) -> list[Animal]:
    return [animal for animal in facts.animals or () if animal.animal_id in claim.animal_ids]


def _animal_rule_not_applicable(claim: Claim) -> Outcome | None:
    """Animal rules check claimed identified animals; other programs pass them as not
    applicable, and a head program without an animals extract fails them (no evidence)."""
    if claim.by_animal and claim.animal_ids:
        return None
    if claim.unit == "head":
        return False, texts.no_identified_animals(claim.species), {"animals": []}
    return True, texts.animals_not_applicable(), {"applicable": False}


@rule(
    "animal_age",
    "Every claimed animal is at least `min_months` and at most `max_months` whole months old on "
    "the submission date (by its birth date in the animals extract).",
    min_months=Param(parse_non_negative_int, doc="least age in whole months"),
    max_months=Param(parse_positive_int, doc="greatest age in whole months"),
)
def _animal_age(params: dict[str, Any], facts: Facts, claim: Claim) -> Outcome:
    skipped = _animal_rule_not_applicable(claim)
    if skipped is not None:
        return skipped
    assert claim.on_date is not None
    low, high = params["min_months"], params["max_months"]
    ages = {
        a.animal_id: age_in_months(a.birth_date, claim.on_date)
        for a in _claimed_animals(facts, claim)
    }
    failing = sorted((animal_id, age) for animal_id, age in ages.items() if not low <= age <= high)
    used = {
        "min_months": low,
        "max_months": high,
        "animals": len(ages),
        "failing": [{"animal": animal_id, "months": age} for animal_id, age in failing],
    }
    return not failing, texts.animal_age(len(ages), low, high, failing), used


@rule(
    "animals_owned_since",
    "Every claimed animal was registered to its owner at least `days` days before the submission "
    "date (an animal bought just before applying, or already sold, fails).",
    days=Param(parse_positive_int, doc="least number of days of ownership"),
)
def _animals_owned_since(params: dict[str, Any], facts: Facts, claim: Claim) -> Outcome:
    skipped = _animal_rule_not_applicable(claim)
    if skipped is not None:
        return skipped
    assert claim.on_date is not None
    days = params["days"]
    animals = _claimed_animals(facts, claim)
    failing = sorted(
        (animal.animal_id, (claim.on_date - animal.registered_on).days)
        for animal in animals
        if (claim.on_date - animal.registered_on).days < days
    )
    used = {
        "days": days,
        "animals": len(animals),
        "failing": [{"animal": animal_id, "days": held} for animal_id, held in failing],
    }
    return not failing, texts.animals_owned_since(len(animals), days, failing), used


# --- evaluation ------------------------------------------------------------------------------


def claims(
    definition: ProgramRules,
    facts: Facts,
    quantity: Decimal,
    listed: Sequence[str] | None = None,
) -> Claimed:
    """What the application claims: parcels, herds and identified animals.

    Land is claimed by hectare programs and by programs that count land at all
    (``min_land_hectares``). A head program with an animals extract claims identified animals
    (:func:`choose_animals`); liter programs, and head programs without one, claim the herds of
    the program species.
    """
    counts_land = definition.unit == "hectare" or any(
        criterion.rule == "min_land_hectares" for criterion in definition.criteria
    )
    parcels = frozenset(p.cadastral_number for p in facts.parcels) if counts_land else frozenset()
    if definition.unit == "head" and facts.animals is not None:
        return Claimed(parcels, frozenset(), choose_animals(definition, facts, quantity, listed))
    herds: frozenset[tuple[str, str]] = frozenset()
    if definition.unit in ANIMAL_UNITS:
        herds = frozenset(
            (herd.owner, herd.species) for herd in facts.herds if herd.species == definition.species
        )
    return Claimed(parcels, herds, ())


def choose_animals(
    definition: ProgramRules, facts: Facts, quantity: Decimal, listed: Sequence[str] | None
) -> tuple[Animal, ...]:
    """The animals listed in the application, or else the applicant's animals of the program's
    species, oldest registration first, as many as ``quantity`` — passing over those another
    live application of the funding group and period already claims."""
    candidates = [a for a in facts.animals or () if a.species == definition.species]
    if listed is not None:
        wanted = set(listed)
        return tuple(animal for animal in candidates if animal.animal_id in wanted)
    taken: set[str] = set()
    for other in facts.other_applications:
        taken |= other.animal_ids
    count = int(quantity) if quantity > 0 and quantity == quantity.to_integral_value() else 0
    return tuple(animal for animal in candidates if animal.animal_id not in taken)[:count]


def evaluate(
    definition: ProgramRules,
    facts: Facts,
    quantity: Decimal,
    on_date: date,
    listed: Sequence[str] | None = None,
) -> Evaluation:
    """Run the program's criteria in order and compute the amount in force on ``on_date``.
    ``listed``: the animal ids the application names, if it names them."""
    problem = check_quantity(definition.unit, quantity)
    if problem:
        raise InvalidQuantity(f"quantity: {problem}")
    rate = definition.rate.value_on(on_date)
    if rate is None:
        raise NoRateInForce(definition.code, on_date, definition.rate.first_start)
    claimed = claims(definition, facts, quantity, listed)
    claim = Claim(
        definition.unit,
        definition.species,
        quantity,
        claimed.parcels,
        claimed.herds,
        claimed.animal_ids,
        on_date,
        by_animal=definition.unit == "head" and facts.animals is not None,
    )
    checks = tuple(
        _run(criterion, f"criteria[{position}]", facts, claim, on_date)
        for position, criterion in enumerate(definition.criteria)
    )
    amount, capped = compute_amount(rate, quantity, definition.max_amount_per_applicant)
    return Evaluation(
        eligible=all(check.passed for check in checks),
        rules_version=definition.rules_version,
        on_date=on_date,
        rate=rate,
        quantity=quantity,
        amount=amount,
        capped=capped,
        checks=checks,
        snapshots=dict(sorted(facts.snapshots.items())),
        claim=claim,
    )


def _run(
    criterion: CriterionRules, path: str, facts: Facts, claim: Claim, day: date
) -> CheckResult:
    params = criterion.params_on(day)
    for name, value in params.items():
        if value is None:
            raise NotInForce(f"{path}.params.{name}", day)
    passed, detail, used = RULES[criterion.rule].check(params, facts, claim)
    return CheckResult(criterion.rule, passed, detail, used)
