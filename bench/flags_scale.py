"""Risk flags per application at 100,000 applicants (issue 14), in-process on PostgreSQL.

For ``BENCH_FLAGS_SAMPLES`` (300) live applications sampled deterministically, three timings per
application, each with an empty session and its transaction already begun:

* baseline: the application by id with its claims (``db.session.get`` and one select of its
  claim keys), what any page of one application does;
* compute: ``compute_flags(risk_facts_of(application, day))``, the application loaded before;
* store: ``store_flags(application)`` (compute and write: delete the stored flags, insert the
  new ones, stamp the application), in a transaction rolled back after each.

The kinds alternate per application and the whole sample is measured ``BENCH_FLAGS_ROUNDS`` (3)
times; each application's figure is its best round, the figures the median and p95 over the
sample, each against the baseline's (ratio). Every SQL statement sent while computing is timed
at the cursor (``before/after_cursor_execute``), grouped by its text with ``IN (...)`` lists
folded, and the one taking the most time is shown with ``EXPLAIN (ANALYZE, BUFFERS)``; the herd
comparison alone (``_herd_changes``) is timed as a fourth kind, and a trivial ``SELECT 1`` through
the session, for what one statement costs whatever it does. The flags of the sample are stored
(committed) once before, as a submission leaves them, and counted: every code must appear.

The data, bulk-loaded by COPY (no services, so no log entries), over every district:
``BENCH_FLAGS_APPLICANTS`` applicants (100,000: individuals, peasant farms, legal entities and
1.5 % cooperatives of 5-20 members), ~5 % sharing an IBAN in pairs, a third of the legal entities
in groups of 2-3 with one head, a bank account set or changed in the last 90 days for ~12 %;
six programs loaded by ``load_program`` (head programs for cattle, breeding cattle with a
lifetime funding group, sheep and a small-budget horse program; a milk program per liter and a
seeds program per hectare); two livestock extracts 100 days apart, two animals extracts (the
older one, 95 days before, holds the animals registered by then: with a single one the animals
half of the herd comparison is never queried) and a land extract; ``BENCH_FLAGS_APPLICATIONS``
applications (100,000) with their claims, chosen as a submission would: head programs claim
identified animals (``animal:``), the milk program herds (``animals:<owner>:cattle``), the seeds
program parcels (``parcel:``), none claimed twice by live applications of one funding group and
period; related applicants tend to apply to the same program, and members of a cooperative that
claims their cattle apply for breeding cattle with the same animals (another funding group: the
overlap the ``member_also_applies`` flag reports).

``python -m bench.flags_scale`` runs it alone. The database is ``BENCH_FLAGS_DATABASE``
(default ``subsidy_bench_flags``) on the server of ``SUBSIDY_BENCH_POSTGRES_URL``, recreated and
dropped at the end.
"""

from __future__ import annotations

import json
import os
import random
import re
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event

from bench.audit_db import drop_database, fresh_postgres_database, make_app
from bench.common import Figure, median, p95, print_table
from bench.scale_data import APPLICATION_COLUMNS, _copy

POSTGRES_URL = os.environ.get(
    "SUBSIDY_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
DATABASE = os.environ.get("BENCH_FLAGS_DATABASE", "subsidy_bench_flags")
APPLICANTS = int(os.environ.get("BENCH_FLAGS_APPLICANTS", "100000"))
APPLICATIONS = int(os.environ.get("BENCH_FLAGS_APPLICATIONS", str(APPLICANTS)))
SAMPLES = int(os.environ.get("BENCH_FLAGS_SAMPLES", "300"))
ROUNDS = int(os.environ.get("BENCH_FLAGS_ROUNDS", "3"))
SEED = 14

KIND_SHARES = (
    ("individual", 0.10),
    ("peasant_farm", 0.60),
    ("legal_entity", 0.285),
    ("cooperative", 0.015),
)
SHARED_IBAN_SHARE = 0.05  # of applicants, in pairs
HEAD_GROUP_SHARE = 0.35  # of legal entities, in groups of 2-3
ACCOUNT_CHANGED_SHARE = 0.12  # set or changed within the last 90 days
HERD_SPIKE_SHARE = 0.06  # owners whose identified herds grew by more than half
ANIMALS_COVERED = 0.40  # owners whose animals are in the identification database
BANKS = (("601", "HSBKKZKX"), ("722", "CASPKZKA"), ("856", "KCJBKZKX"), ("965", "IRTYKZKA"))
STATUSES = (
    ("submitted", 48),
    ("approved", 20),
    ("awaiting_second_approval", 6),
    ("waitlisted", 6),
    ("ineligible", 10),
    ("rejected", 6),
    ("withdrawn", 4),
)
LIVE = ("submitted", "awaiting_second_approval", "approved", "waitlisted")


@dataclass(frozen=True)
class ProgramSpec:
    code: str
    unit: str
    species: str
    rate: str
    budget: str
    threshold: str
    weight: float  # how often an eligible applicant picks it
    extra: dict = field(default_factory=dict)


PROGRAMS = (
    ProgramSpec(
        "FLAGS-CATTLE-2026", "head", "cattle", "100000.00", "60000000000.00", "5000000.00", 3.0
    ),
    ProgramSpec(
        "FLAGS-BREEDING-2026",
        "head",
        "cattle",
        "150000.00",
        "30000000000.00",
        "10000000.00",
        1.2,
        {"funding_group": "breeding-cattle", "funding_period": "lifetime"},
    ),
    ProgramSpec(
        "FLAGS-SHEEP-2026", "head", "sheep", "15000.00", "10000000000.00", "2000000.00", 1.5
    ),
    ProgramSpec(
        "FLAGS-MILK-2026",
        "liter",
        "cattle",
        "45.00",
        "30000000000.00",
        "10000000.00",
        1.5,
        {"funding_group": "dairy-milk"},
    ),
    ProgramSpec(
        "FLAGS-SEEDS-2026", "hectare", "cattle", "5000.00", "20000000000.00", "5000000.00", 2.5
    ),
    ProgramSpec(
        "FLAGS-HORSES-2026", "head", "horses", "250000.00", "20000000.00", "3000000.00", 4.0
    ),
)


def _criteria(spec: ProgramSpec) -> list[dict]:
    common = [
        {"rule": "no_tax_arrears"},
        {"rule": "quantity_within_registry"},
        {"rule": "no_double_funding"},
        {"rule": "one_application_per_applicant"},
    ]
    if spec.unit == "hectare":
        return [{"rule": "min_land_hectares", "params": {"min": "10"}}, *common]
    return [{"rule": "min_livestock_heads", "params": {"species": spec.species, "min": 3}}, *common]


# --- the population ---------------------------------------------------------------------------


@dataclass(slots=True)
class Herd:
    heads: int
    identified: int  # in the latest livestock extract
    identified_before: int  # in the one 100 days before
    animals: list[tuple[str, date, date, str]] = field(default_factory=list)  # id, born, reg, sex


@dataclass(slots=True)
class Farm:
    id: int
    iin_bin: str
    kind: str
    district: str
    name: str
    created_at: datetime
    iban: str | None = None
    bic: str | None = None
    changed_at: datetime | None = None
    head_iin: str | None = None
    herds: dict[str, Herd] = field(default_factory=dict)
    parcels: list[tuple[str, Decimal]] = field(default_factory=list)
    members: list[int] = field(default_factory=list)


def _ids(count_iins: int, count_bins: int) -> tuple[list[str], list[str]]:
    from subsidy.applicants.ids import make_bin, make_iin

    iins: dict[str, None] = {}
    k = 0
    start = date(1950, 1, 1)
    while len(iins) < count_iins:
        birth = start + timedelta(days=k % 18250)
        iin = make_iin(birth, bool(k // 18250 % 2), k // 36500 % 10000)
        k += 1
        if iin is not None:
            iins.setdefault(iin)
    bins: dict[str, None] = {}
    k = 0
    while len(bins) < count_bins:
        number = make_bin(1997 + k % 28, 1 + k // 28 % 12, 4, 0, k // 336 % 100000)
        k += 1
        if number is not None:
            bins.setdefault(number)
    return list(iins), list(bins)


def make_iban(rng: random.Random) -> tuple[str, str]:
    """A Kazakh IBAN with its ISO 7064 check digits (``subsidy.applicants.bank.make_iban`` agrees,
    at ~50 times the cost), and its bank's BIC."""
    code, bic = rng.choice(BANKS)
    bban = f"{code}{rng.randrange(10**13):013d}"
    check = 98 - int(bban + "2035" + "00") % 97  # K=20, Z=35
    return f"KZ{check:02d}{bban}", bic


def population(day: date, rng: random.Random, districts: list[str]) -> list[Farm]:
    """The applicants with their herds, animals and parcels; ids 1..APPLICANTS in a shuffled
    order of kinds (as registered over the years)."""
    kinds = [kind for kind, share in KIND_SHARES for _ in range(round(share * APPLICANTS))]
    kinds = (kinds + ["peasant_farm"] * APPLICANTS)[:APPLICANTS]
    rng.shuffle(kinds)
    natural = sum(kind in ("individual", "peasant_farm") for kind in kinds)
    heads_needed = APPLICANTS - natural
    iins, bins = _ids(natural + heads_needed, APPLICANTS - natural)
    own_iins, head_iins = iins[:natural], iins[natural:]
    farms: list[Farm] = []
    names = {
        "individual": "Бенч фермер",
        "peasant_farm": "КХ «Бенч",
        "legal_entity": "ТОО «Бенч",
        "cooperative": "СПК «Бенч",
    }
    for n, kind in enumerate(kinds, start=1):
        number = own_iins.pop() if kind in ("individual", "peasant_farm") else bins.pop()
        label = names[kind] + f" {n}" + ("" if kind == "individual" else "»")
        created = datetime.combine(
            day - timedelta(days=100 + rng.randrange(2500)), clock_time(9), UTC
        )
        farms.append(Farm(n, number, kind, rng.choice(districts), label, created))
    _accounts(farms, rng, day)
    _heads(farms, rng, head_iins)
    _registries(farms, rng, day)
    _cooperatives(farms, rng)
    return farms


def _accounts(farms: list[Farm], rng: random.Random, day: date) -> None:
    now = datetime.combine(day, clock_time(6), UTC)
    for farm in farms:
        if farm.kind != "individual" or rng.random() < 0.7:
            farm.iban, farm.bic = make_iban(rng)
        if farm.iban and rng.random() < ACCOUNT_CHANGED_SHARE:
            farm.changed_at = now - timedelta(seconds=rng.randrange(90 * 86400))
    with_account = [farm for farm in farms if farm.iban]
    pairs = int(SHARED_IBAN_SHARE * len(farms) / 2)
    chosen = rng.sample(with_account, 2 * pairs)
    for first, second in zip(chosen[0::2], chosen[1::2], strict=True):
        second.iban, second.bic = first.iban, first.bic
        if rng.random() < 0.4:  # the one account given to both, often lately
            second.changed_at = now - timedelta(seconds=rng.randrange(60 * 86400))


def _heads(farms: list[Farm], rng: random.Random, head_iins: list[str]) -> None:
    entities = [farm for farm in farms if farm.kind == "legal_entity"]
    rng.shuffle(entities)
    grouped = int(HEAD_GROUP_SHARE * len(entities))
    n = 0
    while n < grouped:
        size = rng.choice((2, 2, 3))
        head = head_iins.pop()
        for farm in entities[n : n + size]:
            farm.head_iin = head
        n += size
    for farm in entities[n:]:
        farm.head_iin = head_iins.pop()
    for farm in farms:
        if farm.kind == "cooperative":
            farm.head_iin = head_iins.pop()


def _registries(farms: list[Farm], rng: random.Random, day: date) -> None:
    """Herds in the livestock extracts, identified animals of the covered owners, parcels."""
    serial = 0
    parcel = 0
    recent = day - timedelta(days=95)  # the older animals extract
    for farm in farms:
        if farm.kind == "cooperative":
            continue
        spike = rng.random() < HERD_SPIKE_SHARE
        covered = rng.random() < ANIMALS_COVERED
        big = 3 if farm.kind == "legal_entity" else 1
        for species, share, low, high in (
            ("cattle", 0.65, 3, 40),
            ("sheep", 0.25, 10, 60),
            ("horses", 0.25, 3, 20),
        ):
            if rng.random() >= share:
                continue
            identified = int(rng.triangular(low, high * big, low + (high - low) // 4))
            heads = identified + rng.randrange(0, max(1, identified // 5))
            grown = rng.randint(identified // 3 + 1, identified * 3 // 5 + 1) if spike else 0
            before = max(0, identified - grown - rng.randrange(0, 2))
            herd = Herd(heads, identified, before)
            if covered:
                for index in range(identified):
                    serial += 1
                    if index < before:
                        registered = recent - timedelta(days=rng.randrange(30, 2000))
                    else:
                        registered = recent + timedelta(days=rng.randrange(1, 90))
                    born = registered - timedelta(days=rng.randrange(20, 1500))
                    animal_id = f"KZ{serial * 7919 % 10**12:012d}"
                    herd.animals.append((animal_id, born, registered, "FM"[serial % 4 == 0]))
                herd.animals.sort(key=lambda a: (a[2], a[0]))  # oldest registration first
            farm.herds[species] = herd
        if rng.random() < 0.4:
            for _ in range(rng.randint(1, 4)):
                parcel += 1
                number = (
                    f"{1 + parcel % 20:02d}-{parcel // 1000000 % 1000:03d}-"
                    f"{parcel // 1000 % 1000:03d}-{parcel % 1000:03d}"
                )
                farm.parcels.append((number, Decimal(rng.randrange(100, 5000)) / 10))


def _cooperatives(farms: list[Farm], rng: random.Random) -> None:
    natural = [farm for farm in farms if farm.kind in ("individual", "peasant_farm")]
    by_district: dict[str, list[Farm]] = {}
    for farm in natural:
        by_district.setdefault(farm.district, []).append(farm)
    taken: set[int] = set()
    for coop in (farm for farm in farms if farm.kind == "cooperative"):
        size = rng.randint(5, 20)
        local = by_district[coop.district]
        members: set[int] = set()
        while len(members) < size:
            pool = local if rng.random() < 0.8 else natural
            member = rng.choice(pool)
            # mostly one cooperative each; some farmers belong to two
            if member.id in taken and rng.random() < 0.9:
                continue
            members.add(member.id)
        taken |= members
        coop.members = sorted(members)


# --- applications -----------------------------------------------------------------------------


def _owners(farm: Farm, farms: list[Farm]) -> list[Farm]:
    return [farm, *(farms[m - 1] for m in farm.members)]


def _eligible(farm: Farm, farms: list[Farm]) -> list[int]:
    """Indexes into PROGRAMS the applicant could apply to."""
    owners = _owners(farm, farms)
    animals = {
        s: sum(len(o.herds[s].animals) for o in owners if s in o.herds)
        for s in ("cattle", "sheep", "horses")
    }
    cattle = sum(o.herds["cattle"].heads for o in owners if "cattle" in o.herds)
    found = []
    if animals["cattle"]:
        found.append(0)
        if animals["cattle"] >= 5 and farm.kind != "cooperative":
            found.append(1)
    if animals["sheep"] and farm.kind != "cooperative":
        found.append(2)
    if cattle >= 10:
        found.append(3)
    if farm.parcels:
        found.append(4)
    if animals["horses"]:
        found.append(5)
    return found


def choose_programs(farms: list[Farm], rng: random.Random) -> list[tuple[int, int]]:
    """(applicant id, program index) pairs, APPLICATIONS of them, in submission order."""
    eligible = {farm.id: _eligible(farm, farms) for farm in farms}
    chosen: dict[int, list[int]] = {}

    def pick(farm_id: int, preferred: int | None = None, p: float = 0.8) -> int | None:
        options = [i for i in eligible[farm_id] if i not in chosen.get(farm_id, [])]
        if not options:
            return None
        if preferred in options and rng.random() < p:
            program = preferred
        else:
            program = rng.choices(options, weights=[PROGRAMS[i].weight for i in options])[0]
        chosen.setdefault(farm_id, []).append(program)
        return program

    for coop in (farm for farm in farms if farm.kind == "cooperative"):
        program = pick(coop.id, 0, 0.7)
        if program == 0:  # members apply for breeding stock with the cattle the cooperative claims
            for member in coop.members:
                if member not in chosen and rng.random() < 0.5:
                    pick(member, 1, 1.0)
    heads: dict[str, list[int]] = {}
    accounts: dict[str, list[int]] = {}
    for farm in farms:
        if farm.kind == "legal_entity" and farm.head_iin:
            heads.setdefault(farm.head_iin, []).append(farm.id)
        if farm.iban:
            accounts.setdefault(farm.iban, []).append(farm.id)
    for group in [*heads.values(), *accounts.values()]:
        if len(group) < 2:
            continue
        first = chosen[group[0]][0] if group[0] in chosen else pick(group[0])
        for other in group[1:]:
            if other not in chosen:
                pick(other, first)
    for farm in farms:
        if farm.id not in chosen:
            pick(farm.id)
    pairs = [(farm_id, program) for farm_id, programs in chosen.items() for program in programs]
    seconds = [farm.id for farm in farms if farm.kind != "cooperative"]
    rng.shuffle(seconds)
    while len(pairs) < APPLICATIONS and seconds:
        farm_id = seconds.pop()
        if rng.random() < 0.5:
            program = pick(farm_id)
            if program is not None:
                pairs.append((farm_id, program))
        else:
            seconds.insert(0, farm_id)
    rng.shuffle(pairs)
    if len(pairs) > APPLICATIONS:
        keep = [p for p in pairs if farms[p[0] - 1].kind == "cooperative"]
        rest = [p for p in pairs if farms[p[0] - 1].kind != "cooperative"]
        pairs = keep + rest[: APPLICATIONS - len(keep)]
        rng.shuffle(pairs)
    return pairs


@dataclass
class Loaded:
    programs: list  # Program rows, in PROGRAMS order
    versions: list
    definitions: list
    snapshots: dict[str, int]  # "livestock", "livestock_before", "animals", ...


def applications(
    pairs: list[tuple[int, int]],
    farms: list[Farm],
    loaded: Loaded,
    users: tuple[int, int],
    day: date,
    rng: random.Random,
):
    """Application rows (ids 1..) and their claim rows, as submissions in this order would have
    left them: live applications of one funding group and period never share a key."""
    official, second = users
    taken: dict[tuple[str, str], set[str]] = {}
    committed = [Decimal(0)] * len(PROGRAMS)
    statuses = [s for s, _ in STATUSES]
    weights = [w for _, w in STATUSES]
    app_rows, claim_rows = [], []
    count = len(pairs)
    decided_at = datetime.combine(day - timedelta(days=1), clock_time(10), UTC)
    for n, (farm_id, index) in enumerate(pairs, start=1):
        farm, spec = farms[farm_id - 1], PROGRAMS[index]
        program, version, definition = (
            loaded.programs[index],
            loaded.versions[index],
            loaded.definitions[index],
        )
        submitted_on = day - timedelta(days=75 - (n * 74) // count)
        group, period = definition.group, definition.funding_period_of(submitted_on)
        held = taken.setdefault((group, period), set())
        owners = _owners(farm, farms)
        status = rng.choices(statuses, weights=weights)[0]
        if spec.unit == "head":
            free = [
                a[0]
                for o in owners
                if spec.species in o.herds
                for a in o.herds[spec.species].animals
                if f"animal:{a[0]}" not in held
            ]
            count_wanted = max(1, round(len(free) * rng.uniform(0.4, 1.0)))
            keys = [f"animal:{a}" for a in sorted(free[:count_wanted])]
            quantity = Decimal(max(1, len(keys)))
        elif spec.unit == "liter":
            herds = [o for o in owners if "cattle" in o.herds]
            keys = [f"animals:{o.iin_bin}:cattle" for o in sorted(herds, key=lambda o: o.iin_bin)]
            keys = [key for key in keys if key not in held]
            heads = sum(o.herds["cattle"].heads for o in herds)
            quantity = Decimal(heads * rng.randrange(1500, 5000))
        else:
            keys = sorted(f"parcel:{number}" for number, _ in farm.parcels)
            keys = [key for key in keys if key not in held]
            hectares = sum(h for _, h in farm.parcels)
            quantity = (hectares * Decimal(rng.uniform(0.6, 1.0))).quantize(Decimal("0.1"))
        if not keys:
            status = "ineligible"
        rate = Decimal(spec.rate)
        amount = min(
            (quantity * rate).quantize(Decimal("0.01")), definition.max_amount_per_applicant
        )
        threshold = definition.second_approval_above
        if status == "awaiting_second_approval" and amount <= threshold:
            status = "submitted"
        if status == "approved":
            if committed[index] + amount > program.budget_amount:
                status = "waitlisted"
            else:
                committed[index] += amount
        if status in LIVE:
            held.update(keys)
        above = amount > threshold
        first_approved = status == "awaiting_second_approval" or (status == "approved" and above)
        decided = status in ("approved", "rejected")
        evaluation = json.dumps(
            {
                "eligible": status != "ineligible",
                "rules_version": version.rules_version,
                "on_date": submitted_on.isoformat(),
                "rate": str(rate),
                "quantity": str(quantity),
                "amount": str(amount),
                "capped": False,
                "checks": [],
                "snapshots": {k: v for k, v in loaded.snapshots.items() if "before" not in k},
            },
            separators=(",", ":"),
            sort_keys=True,
        )
        submitted_at = datetime.combine(submitted_on, clock_time(4 + n % 10), UTC)
        app_rows.append(
            (
                n,
                f"{spec.code}-{n:06d}",
                program.id,
                version.id,
                farm_id,
                official,
                status,
                quantity,
                rate,
                amount,
                version.rules_version,
                evaluation,
                submitted_on,
                submitted_at,
                submitted_on + timedelta(days=14),
                amount if status in ("approved", "awaiting_second_approval") else None,
                second if first_approved else None,
                decided_at if first_approved else None,
                amount if status == "approved" else None,
                official if decided else None,
                decided_at if decided else None,
                "bench: the herd was not presented" if status == "rejected" else None,
                decided_at if status == "withdrawn" else None,
                decided_at if status == "waitlisted" else None,
            )
        )
        claim_rows.extend((n, key, program.id, group, period) for key in keys)
    return app_rows, claim_rows, committed


# --- loading ----------------------------------------------------------------------------------


def load_programs() -> Loaded:
    from subsidy.extensions import db
    from subsidy.programs.queries import definition_of
    from subsidy.programs.services import load_program
    from tests.factories import program_definition

    day = _today()
    versions = []
    for spec in PROGRAMS:
        definition = program_definition(
            spec.code,
            unit=spec.unit,
            rate=spec.rate,
            budget=spec.budget,
            threshold=spec.threshold,
            criteria=_criteria(spec),
            opens=(day - timedelta(days=120)).isoformat(),
            closes=(day + timedelta(days=60)).isoformat(),
            **({"species": spec.species} if spec.unit != "hectare" else {}),
            **spec.extra,
        )
        version, _ = load_program(definition=definition, actor="bench")
        versions.append(version)
    db.session.commit()
    return Loaded(
        programs=[v.program for v in versions],
        versions=versions,
        definitions=[definition_of(v) for v in versions],
        snapshots={},
    )


def _today() -> date:
    from subsidy.clock import today

    return today()


def load(app) -> dict:
    """Everything in the database; returns what the checks print."""
    from subsidy.accounts.services import create_user
    from subsidy.districts.models import District
    from subsidy.extensions import db
    from subsidy.registry.models import RegistrySnapshot

    rng = random.Random(SEED)
    day = _today()
    stats: dict = {}
    with app.app_context():
        began = time.perf_counter()
        districts = sorted(db.session.execute(sa.select(District.code)).scalars())
        users = tuple(
            create_user(
                username=name, password="bench flags password", role="official", actor="bench"
            ).id
            for name in ("official_flags", "official_flags2")
        )
        loaded = load_programs()
        farms = population(day, rng, districts)
        pairs = choose_programs(farms, rng)
        app_rows, claim_rows, committed = applications(pairs, farms, loaded, users, day, rng)
        stats["generated in s"] = round(time.perf_counter() - began, 1)

        began = time.perf_counter()
        _copy(
            "applicants",
            (
                "id",
                "iin_bin",
                "kind",
                "name",
                "district_code",
                "created_at",
                "iban",
                "bic",
                "bank_account_changed_at",
                "head_iin",
            ),
            (
                (
                    f.id,
                    f.iin_bin,
                    f.kind,
                    f.name,
                    f.district,
                    f.created_at,
                    f.iban,
                    f.bic,
                    f.changed_at,
                    f.head_iin,
                )
                for f in farms
            ),
        )
        stats["cooperative members"] = _copy(
            "cooperative_members",
            ("cooperative_id", "member_id"),
            ((f.id, m) for f in farms for m in f.members),
        )
        snapshot_days = {
            "livestock_before": ("livestock", day - timedelta(days=102)),
            "livestock": ("livestock", day - timedelta(days=2)),
            "animals_before": ("animals", day - timedelta(days=95)),
            "animals": ("animals", day - timedelta(days=3)),
            "land": ("land", day - timedelta(days=30)),
        }
        for name, (kind, as_of) in snapshot_days.items():
            snapshot = RegistrySnapshot(
                kind=kind,
                as_of=as_of,
                source_name=f"bench-{name}.csv",
                source_sha256="0" * 64,
                row_count=0,
                imported_at=datetime.combine(as_of, clock_time(12), UTC),
            )
            db.session.add(snapshot)
            db.session.flush()
            loaded.snapshots[name] = snapshot.id
        db.session.commit()
        s = loaded.snapshots
        counts = {
            "livestock_before": _copy(
                "registry_livestock",
                ("snapshot_id", "iin_bin", "species", "heads", "identified_heads"),
                (
                    (
                        s["livestock_before"],
                        f.iin_bin,
                        sp,
                        max(h.heads - 2, h.identified_before),
                        h.identified_before,
                    )
                    for f in farms
                    for sp, h in f.herds.items()
                ),
            ),
            "livestock": _copy(
                "registry_livestock",
                ("snapshot_id", "iin_bin", "species", "heads", "identified_heads"),
                (
                    (s["livestock"], f.iin_bin, sp, h.heads, h.identified)
                    for f in farms
                    for sp, h in f.herds.items()
                ),
            ),
        }
        animal_columns = (
            "snapshot_id",
            "iin_bin",
            "animal_id",
            "species",
            "sex",
            "birth_date",
            "registered_on",
        )
        older = day - timedelta(days=95)
        counts["animals_before"] = _copy(
            "registry_animals",
            animal_columns,
            (
                (s["animals_before"], f.iin_bin, a[0], sp, a[3], a[1], a[2])
                for f in farms
                for sp, h in f.herds.items()
                for a in h.animals
                if a[2] <= older
            ),
        )
        counts["animals"] = _copy(
            "registry_animals",
            animal_columns,
            (
                (s["animals"], f.iin_bin, a[0], sp, a[3], a[1], a[2])
                for f in farms
                for sp, h in f.herds.items()
                for a in h.animals
            ),
        )
        counts["land"] = _copy(
            "registry_land",
            ("snapshot_id", "iin_bin", "cadastral_number", "hectares"),
            (
                (s["land"], f.iin_bin, number, hectares)
                for f in farms
                for number, hectares in f.parcels
            ),
        )
        for name, rows in counts.items():
            db.session.execute(
                sa.update(RegistrySnapshot)
                .where(RegistrySnapshot.id == s[name])
                .values(row_count=rows)
            )
        db.session.commit()
        stats["registry rows"] = counts
        stats["applications"] = _copy("applications", APPLICATION_COLUMNS, app_rows)
        stats["claims"] = _copy(
            "application_claims",
            ("application_id", "claim_key", "program_id", "funding_group", "period"),
            claim_rows,
        )
        programs_table = sa.table("programs", sa.column("id"), sa.column("committed_amount"))
        for program, amount in zip(loaded.programs, committed, strict=True):
            db.session.execute(
                sa.update(programs_table)
                .where(programs_table.c.id == program.id)
                .values(committed_amount=amount)
            )
        db.session.commit()
        with db.engine.connect() as conn:
            for table in ("applicants", "applications"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" (SELECT max(id) FROM {table}))"
                )
            conn.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
        stats["loaded in s"] = round(time.perf_counter() - began, 1)
        stats["applicants"] = len(farms)
        stats["kinds"] = dict(Counter(f.kind for f in farms))
        stats["sharing an IBAN"] = sum(
            n for n in Counter(f.iban for f in farms if f.iban).values() if n > 1
        )
        heads = Counter(f.head_iin for f in farms if f.kind == "legal_entity")
        stats["legal entities sharing a head"] = sum(n for n in heads.values() if n > 1)
        stats["account changed within 30 / 90 days"] = (
            sum(1 for f in farms if f.changed_at and (day - f.changed_at.date()).days <= 30),
            sum(1 for f in farms if f.changed_at),
        )
        stats["statuses"] = dict(Counter(row[6] for row in app_rows))
        stats["applications per program"] = dict(
            Counter(PROGRAMS[index].code for _, index in pairs)
        )
        stats["claims by kind"] = dict(Counter(row[1].split(":")[0] for row in claim_rows))
        db.session.remove()
    return stats


# --- measuring --------------------------------------------------------------------------------


class StatementClock:
    """Cursor-level time of every statement sent while ``on``, grouped by its text."""

    def __init__(self, engine):
        self.on = False
        self.seen: dict[str, list] = {}  # folded text -> [count, seconds, slowest s, stmt, params]
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        if not self.on:
            return
        spent = time.perf_counter() - conn.info.pop("bench_started")
        folded = re.sub(r"IN \((%\(\w+\)s(, )?)+\)", "IN (...)", statement)
        entry = self.seen.setdefault(folded, [0, 0.0, 0.0, None, None])
        entry[0] += 1
        entry[1] += spent
        if spent > entry[2]:
            entry[2], entry[3], entry[4] = spent, statement, parameters

    def total(self) -> float:
        return sum(entry[1] for entry in self.seen.values())


def sample_ids() -> list[int]:
    from subsidy.applications.models import Application
    from subsidy.extensions import db

    live = (
        db.session.execute(
            sa.select(Application.id).where(Application.status.in_(LIVE)).order_by(Application.id)
        )
        .scalars()
        .all()
    )
    return sorted(random.Random(SEED).sample(list(live), min(SAMPLES, len(live))))


def measure(app) -> dict:
    from subsidy.applicants.models import Applicant
    from subsidy.applications.flags import _herd_changes, risk_facts_of, store_flags
    from subsidy.applications.models import Application, ApplicationClaim
    from subsidy.eligibility.flags import CODES, compute_flags
    from subsidy.extensions import db
    from subsidy.programs.queries import definition_of

    day = _today()
    with app.app_context():
        session = db.session
        ids = sample_ids()
        # Flags as a submission would have stored them (committed), and which ones appear.
        counts: Counter = Counter()
        per_app: Counter = Counter()
        for application_id in ids:
            flags = store_flags(session.get(Application, application_id))
            counts.update(flag.code for flag in flags)
            per_app[len(flags)] += 1
        session.commit()
        clock = StatementClock(db.engine)

        def fresh() -> None:
            session.rollback()
            session.expunge_all()

        def baseline(application_id: int) -> float:
            fresh()
            session.execute(sa.text("SELECT 1"))  # the transaction begun, as in the others
            began = time.perf_counter()
            application = session.get(Application, application_id)
            keys = (
                session.execute(
                    sa.select(ApplicationClaim.claim_key).where(
                        ApplicationClaim.application_id == application.id
                    )
                )
                .scalars()
                .all()
            )
            spent = time.perf_counter() - began
            assert application is not None and keys is not None
            return spent

        def compute(application_id: int) -> float:
            fresh()
            application = session.get(Application, application_id)
            clock.on = True
            began = time.perf_counter()
            compute_flags(risk_facts_of(application, day))
            spent = time.perf_counter() - began
            clock.on = False
            return spent

        def store(application_id: int) -> float:
            fresh()
            application = session.get(Application, application_id)
            began = time.perf_counter()
            store_flags(application)
            spent = time.perf_counter() - began
            session.rollback()
            return spent

        def herds(application_id: int) -> float:
            """The herd comparison alone (both extracts' snapshots and counts), for its share."""
            fresh()
            application = session.get(Application, application_id)
            species = definition_of(application.program_version).species
            began = time.perf_counter()
            _herd_changes(application.applicant, species, day)
            return time.perf_counter() - began

        kinds = {"baseline": baseline, "compute": compute, "store": store, "herds": herds}
        best: dict[str, dict[int, float]] = {kind: {} for kind in kinds}
        last_round: Counter = Counter()  # seconds per kind in the last round
        statements_per_app: list[int] = []
        for round_number in range(ROUNDS):
            if round_number == ROUNDS - 1:
                clock.seen.clear()  # the statement profile of the last round only
            order = list(kinds.items())
            for n, application_id in enumerate(ids):
                before = sum(entry[0] for entry in clock.seen.values())
                for kind, func in order[n % 4 :] + order[: n % 4]:
                    spent = func(application_id)
                    if round_number == ROUNDS - 1:
                        last_round[kind] += spent
                    previous = best[kind].get(application_id)
                    best[kind][application_id] = spent if previous is None else min(previous, spent)
                if round_number == ROUNDS - 1:
                    statements_per_app.append(
                        sum(entry[0] for entry in clock.seen.values()) - before
                    )
        fresh()
        trivial = []
        for _ in range(len(ids)):
            began = time.perf_counter()
            session.execute(sa.text("SELECT 1")).scalar_one()
            trivial.append((time.perf_counter() - began) * 1000)
        fresh()
        kinds_of = dict(
            session.execute(
                sa.select(Application.id, Applicant.kind)
                .join(Applicant, Applicant.id == Application.applicant_id)
                .where(Application.id.in_(ids))
            ).all()
        )
        profile = sorted(clock.seen.items(), key=lambda item: -item[1][1])
        explain = None
        if profile:
            _, (_, _, _, statement, parameters) = profile[0]
            raw = db.engine.raw_connection()
            try:
                with raw.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                    explain = [row[0] for row in cursor.fetchall()]
                raw.rollback()
            finally:
                raw.close()
        missing = [code for code in CODES if not counts[code]]
        sql_last_round = clock.total()
        db.session.remove()
    ms = {kind: [v * 1000 for v in values.values()] for kind, values in best.items()}
    return {
        "ids": ids,
        "ms": ms,
        "counts": {code: counts[code] for code in CODES},
        "flags per application": dict(sorted(per_app.items())),
        "missing": missing,
        "profile": profile,
        "sql_last_round_s": sql_last_round,
        "compute_last_round_s": last_round["compute"],
        "trivial_ms": median(trivial),
        "kinds": {k: str(v.value) for k, v in kinds_of.items()},
        "statements_per_app": statements_per_app,
        "explain": explain,
    }


def report(results: dict) -> None:
    n = len(results["ids"])
    print(f"flags check: {n} live applications sampled, {ROUNDS} rounds, best round each")
    print("flags check: sampled applications with each flag:")
    for code, count in results["counts"].items():
        print(f"    {code:<22} {count:>4}")
    print(f"flags check: flags per application: {results['flags per application']}")
    statements = results["statements_per_app"]
    print(
        f"flags check: statements per computation: median {median(statements):.0f},"
        f" min {min(statements)}, max {max(statements)}"
    )
    ms = results["ms"]
    print(
        f"flags profile: the herd comparison alone (_herd_changes: 4 snapshot lookups, 4 counts):"
        f" median {median(ms['herds']):.2f} ms of {median(ms['compute']):.2f} ms computing"
    )
    by_kind: dict[str, list[float]] = {}
    for application_id, spent in zip(results["ids"], results["ms"]["compute"], strict=True):
        by_kind.setdefault(results["kinds"][application_id], []).append(spent)
    print(
        "flags check: compute median by applicant kind: "
        + ", ".join(f"{k} {median(v):.2f} ms ({len(v)})" for k, v in sorted(by_kind.items()))
    )
    total = results["sql_last_round_s"]
    whole = results["compute_last_round_s"]
    print(
        f"flags profile (compute, last round): {total * 1000:.1f} ms of {whole * 1000:.1f} ms"
        f" ({total / whole * 100:.0f} %) in SQL at the cursor over {n} applications;"
        f" a trivial statement (SELECT 1) through the session: {results['trivial_ms']:.3f} ms"
        " median; the heaviest statements (share of the SQL time):"
    )
    for folded, (count, spent, slowest, _, _) in results["profile"][:8]:
        text = " ".join(folded.split())
        print(
            f"    {spent / total * 100:5.1f} %  {count:>4} x  mean {spent / count * 1000:.3f} ms"
            f"  max {slowest * 1000:.3f} ms  {text[:150]}"
        )
    if results["explain"]:
        share = results["profile"][0][1][1] / total * 100
        verdict = "dominates" if share >= 50 else "none dominates"
        print(
            f"flags profile: EXPLAIN (ANALYZE, BUFFERS) of the heaviest statement's slowest run"
            f" ({share:.0f} % of the SQL time: {verdict}):"
        )
        for line in results["explain"]:
            print(f"    {line}")


def figures(results: dict) -> list[Figure]:
    ms = results["ms"]
    n = f"{APPLICANTS:,}"
    return [
        Figure(
            f"flags computed per application, {n} applicants, median",
            median(ms["compute"]),
            median(ms["baseline"]),
            "ms",
            "(vs the application and its claims loaded)",
        ),
        Figure(
            f"flags computed per application, {n} applicants, p95",
            p95(ms["compute"]),
            p95(ms["baseline"]),
            "ms",
            "(vs the same, p95)",
        ),
        Figure(
            f"store_flags per application, {n} applicants, median",
            median(ms["store"]),
            median(ms["baseline"]),
            "ms",
            "(compute + write, rolled back)",
        ),
        Figure(
            f"store_flags per application, {n} applicants, p95",
            p95(ms["store"]),
            p95(ms["baseline"]),
            "ms",
            "(vs the same, p95)",
        ),
    ]


def run() -> list[Figure]:
    began = time.perf_counter()
    url = fresh_postgres_database(POSTGRES_URL, DATABASE)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-flags-") as tmp:
            app = make_app(url, Path(tmp))
            stats = load(app)
            for name, value in stats.items():
                print(f"flags data: {name}: {value}")
            results = measure(app)
            with app.app_context():
                from subsidy.extensions import db

                db.engine.dispose()
    finally:
        drop_database(POSTGRES_URL, DATABASE)
    report(results)
    print(f"flags: whole run {time.perf_counter() - began:.0f} s")
    if results["missing"]:
        raise RuntimeError(f"no sampled application got the flags {results['missing']}")
    return figures(results)


if __name__ == "__main__":
    print_table(run())
