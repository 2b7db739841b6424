"""What the registries say about one applicant, as plain frozen values.

The database side builds a :class:`Facts` from the latest registry snapshots and the program's
other live applications; the rules in :mod:`subsidy.eligibility.rules` read nothing else. Owners
are IIN/BIN strings: for a cooperative the herds and parcels of its members are included, and the
owner tells whose they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

APPLICANT_KINDS = ("individual", "peasant_farm", "legal_entity", "cooperative")

# The species the livestock identification registry (ИСЖ) reports and programs may name.
SPECIES = ("cattle", "sheep", "goats", "horses", "camels", "pigs", "poultry")

UNITS = ("liter", "head", "hectare", "tenge")


@dataclass(frozen=True)
class Herd:
    species: str
    heads: int
    identified_heads: int
    owner: str  # iin_bin


@dataclass(frozen=True)
class Parcel:
    cadastral_number: str
    hectares: Decimal
    owner: str  # iin_bin


@dataclass(frozen=True)
class Animal:
    """One identified animal as the latest animals extract lists it."""

    animal_id: str
    species: str
    sex: str  # "F" | "M"
    birth_date: date
    registered_on: date  # registered to its present owner
    owner: str  # iin_bin


@dataclass(frozen=True)
class OtherApplication:
    """Another live application (not withdrawn, rejected or ineligible): of the same applicant in
    the same program, or claiming some of the same land or animals in the same funding group and
    period, whatever its program."""

    number: str
    applicant_id: int
    parcels: frozenset[str]
    animals: frozenset[tuple[str, str]]  # herds: (owner iin_bin, species)
    animal_ids: frozenset[str] = frozenset()  # identified animals
    same_program: bool = True  # False: another program of the funding group


@dataclass(frozen=True)
class Facts:
    applicant_id: int
    applicant_kind: str
    member_count: int
    herds: tuple[Herd, ...]
    parcels: tuple[Parcel, ...]
    tax_arrears: Decimal | None  # None: the applicant is not in the arrears extract
    other_applications: tuple[OtherApplication, ...]
    # Registry snapshot id used per kind, e.g. {"livestock": 3, "land": 2, "tax": None}.
    snapshots: dict[str, int | None] = field(default_factory=dict)
    # The applicant's (and for a cooperative its members') identified animals of the program's
    # species, oldest registration first; None when there is no animals extract at all.
    animals: tuple[Animal, ...] | None = None

    def heads_of(self, species: str) -> int:
        return sum(herd.heads for herd in self.herds if herd.species == species)

    def identified_heads_of(self, species: str) -> int:
        return sum(herd.identified_heads for herd in self.herds if herd.species == species)
