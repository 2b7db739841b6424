"""Deterministic, realistic demo data for East Kazakhstan: applicants, cooperatives, registry facts.

Everything is plain dicts of str and int, built from one ``random.Random(seed)``,
so the same seed always gives the same data (no set or hash order leaks into the
output). Amounts and hectares are decimal strings with two places, never floats.

Nothing here is real. IINs and BINs pass the control-digit check but were never
issued. Cadastral numbers follow the national "RR-DDD-QQQ-PPP" pattern with the
region's code 05, but their district part is derived from the KATO code, not taken
from the land cadastre's own list.

A deterministic minority fails the usual eligibility checks (herds of 1-4 head,
animals not all identified, tax arrears), so that demos show both outcomes.

Bank accounts are Kazakh IBANs with valid check digits at real banks' codes (with their BICs),
but the account numbers are made up. Legal entities and cooperatives have a head (director,
chairman) with an IIN of their own; a peasant farm is registered on its head's IIN already. The
accounts and heads come from a generator of their own, so adding them left the rest as it was.

The animals extract (the identification database) lists every identified head of the livestock
extract as one animal, so the two agree owner by owner and species by species: ear-tag ids
"KZ" + 12 digits, issued to a herd as one batch, sexes and ages of a working herd, and the day
each animal was registered to its owner (soon after birth, or on purchase). Its generator is its
own too. Two of the animals are the registry's own mistakes and moves that a demo should show: a
cow whose birth year was typed a century early, and one bought eighteen days before its new
owner applies. ``cases`` are the demo applications seeded on ``DEMO_DAY`` to show the risk flags
and these animal checks (see :class:`DemoCases`).
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NotRequired, TypedDict

from subsidy.applicants.bank import make_iban
from subsidy.applicants.ids import make_bin, make_iin
from subsidy.demo import names
from subsidy.districts.data import CITY_CODES, DISTRICTS

DEFAULT_SEED = 2026
KIND_COUNTS = {"individual": 100, "peasant_farm": 65, "legal_entity": 35}
COOPERATIVE_COUNT = 31
MEMBERS_MIN, MEMBERS_MAX = 5, 15
SMALL_HERDS, PARTLY_IDENTIFIED, DEBTORS = 14, 14, 12
SPECIES = ("cattle", "sheep", "horses")

# Head counts per plot of each species, by kind of applicant: a household keeps a few
# cows, a peasant farm tens to hundreds, an agricultural company hundreds to thousands.
HEADS = {
    "individual": {"cattle": (5, 40), "sheep": (20, 150), "horses": (3, 25)},
    "peasant_farm": {"cattle": (20, 250), "sheep": (50, 900), "horses": (10, 120)},
    "legal_entity": {"cattle": (100, 1200), "sheep": (300, 5000), "horses": (30, 400)},
}
# Hectares of one plot, in hundredths of a hectare.
PLOT_HUNDREDTHS = {
    "individual": (50, 3_000),
    "peasant_farm": (1_500, 120_000),
    "legal_entity": (15_000, 1_200_000),
}
# Share of each kind that keeps no animals (crop growing only).
CROP_ONLY = {"individual": 0.05, "peasant_farm": 0.15, "legal_entity": 0.25}
KAZAKH_SHARE = 0.65  # roughly the region's population since the 2022 split
CADASTRAL_REGION = "05"
# Banks farms keep accounts at: (3-digit bank code in the IBAN, BIC, weight).
BANKS = (
    ("601", "HSBKKZKX", 6),  # Halyk Bank
    ("722", "CASPKZKA", 3),  # Kaspi Bank
    ("856", "KCJBKZKX", 2),  # Bank CenterCredit
    ("965", "IRTYKZKA", 2),  # ForteBank
    ("998", "TSESKZKA", 1),  # First Heartland Jusan Bank
    ("948", "EURIKZKA", 1),  # Eurasian Bank
)
WITHOUT_ACCOUNT = 10  # individuals who have not given an account yet
HEADED_KINDS = ("legal_entity", "cooperative")
# The identification database's extract is dated ANIMALS_AS_OF; the demo applications are
# submitted on DEMO_DAY, inside every demo program's window.
ANIMALS_AS_OF = date(2026, 6, 1)
DEMO_DAY = date(2026, 6, 15)
# Per species: the oldest adult in years, the share born within the last year, the share of
# females among the adults (a herd keeps a bull or two, a flock a few rams, a herd of mares a
# stallion), and the months animals are born in (dairy cows calve all year, ewes in late winter,
# mares in spring).
LIFE = {
    "cattle": (13, 0.22, 0.85, tuple(range(1, 13))),
    "sheep": (7, 0.35, 0.9, (2, 3, 4)),
    "horses": (20, 0.15, 0.75, (4, 5, 6)),
}
BOUGHT = 0.2  # adults registered to their owner on purchase, not soon after birth
TAG_SERIALS = (10**11, 10**12)  # the 12 digits after "KZ"
_SONS_PATRONYMICS = tuple(son for son, _ in names.RUSSIAN_PATRONYMICS.values())
_DAUGHTERS_PATRONYMICS = tuple(daughter for _, daughter in names.RUSSIAN_PATRONYMICS.values())


class ApplicantRow(TypedDict):
    kind: str
    iin_bin: str
    name: str
    district_code: str
    iban: NotRequired[str]
    bic: NotRequired[str]
    head_iin: NotRequired[str]


class CooperativeRow(ApplicantRow):
    members: list[str]


class LivestockRow(TypedDict):
    iin_bin: str
    species: str
    heads: int
    identified_heads: int


class LandRow(TypedDict):
    iin_bin: str
    cadastral_number: str
    hectares: str


class TaxRow(TypedDict):
    iin_bin: str
    arrears: str


class AnimalRow(TypedDict):
    iin_bin: str
    animal_id: str
    species: str
    sex: str  # F | M
    birth_date: str  # YYYY-MM-DD
    registered_on: str  # registered to this owner


class AccountChange(TypedDict):
    iin_bin: str
    iban: str
    bic: str


class HeadChange(TypedDict):
    iin_bin: str
    head_iin: str


class DemoApplication(TypedDict):
    case: str  # which case it shows (see DemoCases)
    program: str
    applicant: str  # iin_bin
    quantity: NotRequired[str]  # a decimal; a head program lists its animals instead
    animals: NotRequired[list[str]]


@dataclass(frozen=True)
class DemoCases:
    """Demo applications that show what an official must look at twice, seeded through the
    services on ``DEMO_DAY`` after the account and head changes:

    - ``over_age``: a farm lists for the breeding program a cow recorded as born in the 1910s
      (the century mistyped): ``animal_age`` fails naming it;
    - ``recently_bought``: a farm lists a cow registered to it 18 days before, when it bought her
      (the extract lists her under her new owner only): ``animals_owned_since`` fails naming it;
    - ``shared_account``: a farm changed its bank account to another farm's, and both apply for
      the milk subsidy: ``shared_bank_account`` on both;
    - ``member_claims``: a cooperative claims a member's cows under "Auyl Amanaty" and the member
      claims some of the same cows for the breeding program: ``member_also_applies``;
    - ``split_request``: two companies under one director each ask for an investment subsidy
      just under the second-approval threshold, together over it: ``threshold_splitting``.
    """

    accounts: list[AccountChange]
    heads: list[HeadChange]
    applications: list[DemoApplication]


@dataclass(frozen=True)
class DemoData:
    applicants: list[ApplicantRow]  # individuals, peasant farms and legal entities
    cooperatives: list[CooperativeRow]  # members reference applicants by iin_bin
    livestock: list[LivestockRow]
    land: list[LandRow]
    tax: list[TaxRow]
    animals: list[AnimalRow]  # one per identified head of the livestock extract
    cases: DemoCases | None  # None for a seed whose data has no room for them

    def all_applicants(self) -> list[ApplicantRow]:
        """Applicants in an order that inserts every member before its cooperative."""
        return [*self.applicants, *self.cooperatives]


def generate(seed: int = DEFAULT_SEED) -> DemoData:
    rng = random.Random(seed)
    ids = _Ids(rng)
    used_names: set[str] = set()
    applicants = _applicants(rng, ids, used_names)
    cooperatives = _cooperatives(rng, ids, used_names, applicants)
    livestock, land, tax = _registry_facts(rng, applicants)
    _accounts_and_heads(random.Random(f"{seed}:accounts"), ids, applicants, cooperatives)
    animals = _animals(random.Random(f"{seed}:animals"), livestock)
    cases = _cases(applicants, cooperatives, livestock, tax, animals)
    return DemoData(applicants, cooperatives, livestock, land, tax, animals, cases)


def farmer_farm(
    applicants: list[ApplicantRow], livestock: list[LivestockRow], tax: list[TaxRow]
) -> ApplicantRow:
    """The demo farmer's farm: a dairy farm that the milk program accepts, so the demo shows
    an eligible application first (others in the data show refusals)."""
    debtors = _debtors(tax)
    dairy = {
        row["iin_bin"]
        for row in livestock
        if row["species"] == "cattle"
        and row["heads"] >= 60
        and row["identified_heads"] == row["heads"]
    }
    for row in applicants:
        if row["kind"] == "peasant_farm" and row["iin_bin"] in dairy - debtors:
            return row
    return next(row for row in applicants if row["kind"] == "peasant_farm")


class _Ids:
    """Issues unique IINs and BINs; a serial without a valid control digit is skipped."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._issued: set[str] = set()

    def iin(self, birth: date, female: bool, rng: random.Random | None = None) -> str:
        draw = rng or self._rng
        return self._issue(lambda: make_iin(birth, female, draw.randint(1, 9999)))

    def bin(self, first_year: int, last_year: int) -> str:
        # Type 4 resident legal entity, attribute 0 head organisation.
        year = self._rng.randint(first_year, last_year)
        month = self._rng.randint(1, 12)
        return self._issue(lambda: make_bin(year, month, 4, 0, self._rng.randint(1, 29_999)))

    def _issue(self, make: Callable[[], str | None]) -> str:
        for _ in range(1_000):
            value = make()
            if value is not None and value not in self._issued:
                self._issued.add(value)
                return value
        raise RuntimeError("no free identification number")


def _applicants(rng: random.Random, ids: _Ids, used: set[str]) -> list[ApplicantRow]:
    builders = {
        "individual": _individual,
        "peasant_farm": _peasant_farm,
        "legal_entity": _legal_entity,
    }
    kinds = [kind for kind, count in KIND_COUNTS.items() for _ in range(count)]
    districts = _spread(rng, len(kinds))
    # The first individual is a man whose name carries the Kazakh letters, for templates and PDFs.
    used.add(names.SHOWCASE_PERSON_NAME)
    showcase = (ids.iin(_birth_date(rng), False), names.SHOWCASE_PERSON_NAME)
    rows = []
    for index, (kind, district) in enumerate(zip(kinds, districts, strict=True)):
        iin_bin, name = showcase if index == 0 else builders[kind](rng, ids, used)
        rows.append(ApplicantRow(kind=kind, iin_bin=iin_bin, name=name, district_code=district))
    return rows


def _individual(rng: random.Random, ids: _Ids, used: set[str]) -> tuple[str, str]:
    female = rng.random() < 0.45
    name = _unique(used, lambda: _person(rng, female))
    return ids.iin(_birth_date(rng), female), name


def _peasant_farm(rng: random.Random, ids: _Ids, used: set[str]) -> tuple[str, str]:
    # A peasant farm in personal entrepreneurship is registered on its head's IIN.
    female = rng.random() < 0.2
    name = _unique(used, lambda: _farm_name(rng, _person(rng, female)))
    return ids.iin(_birth_date(rng), female), name


def _legal_entity(rng: random.Random, ids: _Ids, used: set[str]) -> tuple[str, str]:
    def make() -> str:
        place = rng.choice(names.COMPANY_PLACES)
        trade = rng.choice(names.COMPANY_TRADES)
        return f"{rng.choice(names.COMPANY_FORMS)} «{place} {trade}»"

    return ids.bin(1997, 2023), _unique(used, make)


def _cooperatives(
    rng: random.Random, ids: _Ids, used: set[str], applicants: list[ApplicantRow]
) -> list[CooperativeRow]:
    showcase = [names.LONG_COOPERATIVE_NAME, names.ALL_LETTERS_COOPERATIVE_NAME]
    titles = [_unique(used, _always(title)) for title in showcase]
    while len(titles) < COOPERATIVE_COUNT:
        titles.append(_unique(used, lambda: _cooperative_name(rng)))
    rng.shuffle(titles)
    candidates = [row for row in applicants if row["kind"] != "legal_entity"]
    rows = []
    for title, district in zip(titles, _spread(rng, len(titles)), strict=True):
        # The Agricultural Cooperatives Act dates from 2015; they registered from 2016 on.
        rows.append(
            CooperativeRow(
                kind="cooperative",
                iin_bin=ids.bin(2016, 2024),
                name=title,
                district_code=district,
                members=_members(rng, district, candidates),
            )
        )
    return rows


def _members(rng: random.Random, district: str, candidates: list[ApplicantRow]) -> list[str]:
    """Mostly neighbours from the same district, topped up from elsewhere.

    A farmer may belong to several cooperatives (one for milk, one for meat).
    """
    size = rng.randint(MEMBERS_MIN, MEMBERS_MAX)
    local = [row["iin_bin"] for row in candidates if row["district_code"] == district]
    others = [row["iin_bin"] for row in candidates if row["district_code"] != district]
    local_count = min(len(local), rng.randint(size // 2, size))
    return sorted(rng.sample(local, local_count) + rng.sample(others, size - local_count))


def _accounts_and_heads(
    rng: random.Random,
    ids: _Ids,
    applicants: list[ApplicantRow],
    cooperatives: list[CooperativeRow],
) -> None:
    """An account for every applicant but a few individuals; a head for each organisation."""
    rows: list[ApplicantRow] = [*applicants, *cooperatives]
    individuals = [index for index, row in enumerate(rows) if row["kind"] == "individual"]
    without = set(rng.sample(individuals, WITHOUT_ACCOUNT))
    accounts: set[str] = set()
    codes = [(code, bic) for code, bic, _ in BANKS]
    weights = [weight for _, _, weight in BANKS]
    for index, row in enumerate(rows):
        if index not in without:
            code, bic = rng.choices(codes, weights=weights)[0]
            row["iban"] = _unique(accounts, functools.partial(_account_number, rng, code))
            row["bic"] = bic
        if row["kind"] in HEADED_KINDS:
            row["head_iin"] = ids.iin(_birth_date(rng), rng.random() < 0.3, rng)


def _account_number(rng: random.Random, bank_code: str) -> str:
    return make_iban(bank_code, f"{rng.randrange(10**13):013d}")


def _registry_facts(
    rng: random.Random, applicants: list[ApplicantRow]
) -> tuple[list[LivestockRow], list[LandRow], list[TaxRow]]:
    count = len(applicants)
    small = set(rng.sample(range(count), SMALL_HERDS))
    partly = set(rng.sample(range(count), PARTLY_IDENTIFIED))
    debtors = set(rng.sample(range(count), DEBTORS))
    cadastral: set[str] = set()
    livestock: list[LivestockRow] = []
    land: list[LandRow] = []
    tax: list[TaxRow] = []
    for index, applicant in enumerate(applicants):
        herds = _herds(rng, applicant, small=index in small, partly=index in partly)
        livestock.extend(herds)
        land.extend(_plots(rng, applicant, cadastral, needs_land=not herds))
        arrears = _decimal(rng.randint(150_000, 48_000_000)) if index in debtors else "0.00"
        tax.append(TaxRow(iin_bin=applicant["iin_bin"], arrears=arrears))
    return livestock, land, tax


def _herds(
    rng: random.Random, applicant: ApplicantRow, *, small: bool, partly: bool
) -> list[LivestockRow]:
    kind = applicant["kind"]
    if not (small or partly) and rng.random() < CROP_ONLY[kind]:
        return []
    kept = rng.sample(SPECIES, rng.randint(1, 2 if kind == "individual" else 3))
    rows = []
    for species in sorted(kept, key=SPECIES.index):
        low, high = HEADS[kind][species]
        heads = rng.randint(1, 4) if small else rng.randint(low, high)
        # 40-90 % identified, rounded down, so always fewer than the whole herd.
        identified = heads * rng.randint(40, 90) // 100 if partly else heads
        rows.append(
            LivestockRow(
                iin_bin=applicant["iin_bin"],
                species=species,
                heads=heads,
                identified_heads=identified,
            )
        )
    return rows


def _plots(
    rng: random.Random, applicant: ApplicantRow, cadastral: set[str], *, needs_land: bool
) -> list[LandRow]:
    kind = applicant["kind"]
    # Many households graze on common pasture and hold no plot of their own.
    if kind == "individual" and not needs_land and rng.random() < 0.3:
        return []
    low, high = PLOT_HUNDREDTHS[kind]
    district_part = f"0{applicant['district_code'][2:4]}"
    rows = []
    for _ in range(rng.randint(1, 3)):
        number = _unique(
            cadastral,
            lambda: (
                f"{CADASTRAL_REGION}-{district_part}-"
                f"{rng.randint(1, 250):03d}-{rng.randint(1, 999):03d}"
            ),
        )
        hectares = _decimal(rng.randint(low, high))
        rows.append(
            LandRow(iin_bin=applicant["iin_bin"], cadastral_number=number, hectares=hectares)
        )
    return rows


def _animals(rng: random.Random, livestock: list[LivestockRow]) -> list[AnimalRow]:
    """One animal per identified head, herd by herd, each herd's tags one batch of serials."""
    batches: list[tuple[int, int]] = []
    rows: list[AnimalRow] = []
    for herd in livestock:
        count = herd["identified_heads"]
        if count:
            first = _tag_batch(rng, batches, count)
            for serial in range(first, first + count):
                rows.append(_animal(rng, herd["iin_bin"], herd["species"], serial))
    return rows


def _tag_batch(rng: random.Random, batches: list[tuple[int, int]], count: int) -> int:
    """The first serial of ``count`` consecutive ones that no other herd's batch overlaps."""
    low, high = TAG_SERIALS
    for _ in range(1_000):
        first = rng.randrange(low, high - count)
        if all(first + count <= start or end <= first for start, end in batches):
            batches.append((first, first + count))
            return first
    raise RuntimeError("no free range of ear-tag serials")


def _animal(rng: random.Random, owner: str, species: str, serial: int) -> AnimalRow:
    # Whole numbers from rng.random() (a quarter of randint's time: there are tens of thousands).
    draw = rng.random
    oldest, young_share, female_share, months = LIFE[species]
    young = draw() < young_share
    # Seasons back: none for the young; else the fewer of two draws, as a working herd has more
    # young cows than old ones.
    back = 0 if young else 1 + int(min(draw(), draw()) * oldest)
    born = date(ANIMALS_AS_OF.year - back, months[int(draw() * len(months))], 1 + int(draw() * 28))
    if born >= ANIMALS_AS_OF:
        born = born.replace(year=born.year - 1)
    female = draw() < (0.5 if young else female_share)
    age = (ANIMALS_AS_OF - born).days
    if age >= 365 and draw() < BOUGHT:
        registered = born + timedelta(days=180 + int(draw() * (age - 179)))
    else:  # tagged and registered within weeks of birth
        registered = born + timedelta(days=1 + int(draw() * min(age, 45)))
    return AnimalRow(
        iin_bin=owner,
        animal_id=f"KZ{serial:012d}",
        species=species,
        sex="F" if female else "M",
        birth_date=born.isoformat(),
        registered_on=registered.isoformat(),
    )


def _debtors(tax: list[TaxRow]) -> set[str]:
    return {row["iin_bin"] for row in tax if row["arrears"] != "0.00"}


def _listable(animals: list[AnimalRow]) -> list[AnimalRow]:
    """Cows a breeding program takes without question on DEMO_DAY: two to ten years old, the
    owner's for at least 60 days; by animal id."""
    youngest, oldest = DEMO_DAY.replace(year=DEMO_DAY.year - 2), DEMO_DAY.replace(year=2016)
    held = (DEMO_DAY - timedelta(days=60)).isoformat()
    return sorted(
        (
            animal
            for animal in animals
            if animal["sex"] == "F"
            and oldest.isoformat() <= animal["birth_date"] <= youngest.isoformat()
            and animal["registered_on"] <= held
        ),
        key=lambda animal: animal["animal_id"],
    )


class _NoRoom(Exception):
    """The data has no applicant fit for a case."""


def _cases(
    applicants: list[ApplicantRow],
    cooperatives: list[CooperativeRow],
    livestock: list[LivestockRow],
    tax: list[TaxRow],
    animals: list[AnimalRow],
) -> DemoCases | None:
    """The demo applications of :class:`DemoCases`, by applicants with a clean record otherwise
    (no arrears, a bank account, every cow identified and enough of them), never the demo
    farmer's farm; two animals of the extract are changed for them. None when the data has no
    room for every case (some seeds); the default seed has."""
    debtors = _debtors(tax)
    whole = {
        row["iin_bin"]: row["heads"]
        for row in livestock
        if row["species"] == "cattle" and row["heads"] == row["identified_heads"]
    }
    cows: dict[str, list[AnimalRow]] = {}
    for animal in animals:
        if animal["species"] == "cattle":
            cows.setdefault(animal["iin_bin"], []).append(animal)
    taken = {farmer_farm(applicants, livestock, tax)["iin_bin"]}

    def pick(kind: str, heads: int, among: list[ApplicantRow]) -> ApplicantRow:
        for row in among:
            iin_bin = row["iin_bin"]
            if (
                row["kind"] == kind
                and iin_bin not in taken
                and iin_bin not in debtors
                and "iban" in row
                and whole.get(iin_bin, 0) >= heads
                and len(_listable(cows.get(iin_bin, []))) >= 10
            ):
                taken.add(iin_bin)
                return row
        raise _NoRoom

    try:
        cooperative, member = _cooperative_and_member(cooperatives, applicants, livestock, pick)
        over_age = pick("peasant_farm", 12, applicants)
        bought = pick("peasant_farm", 12, applicants)
        first = pick("peasant_farm", 50, applicants)
        second = pick("peasant_farm", 50, applicants)
        company = pick("legal_entity", 100, applicants)
        sister = pick("legal_entity", 100, applicants)
    except _NoRoom:
        return None
    if "head_iin" not in company:
        return None

    # A cow born in 2018 (or near it) recorded as born a century earlier: about 108 years old.
    herd = cows[over_age["iin_bin"]]
    typo = min(
        _listable(herd), key=lambda a: (abs(int(a["birth_date"][:4]) - 2018), a["animal_id"])
    )
    typo["birth_date"] = f"{int(typo['birth_date'][:4]) - 100}{typo['birth_date'][4:]}"
    over_age_listed = sorted([typo["animal_id"], *_ids(_listable(herd)[:4])])
    # A cow the farm bought, registered to it 18 days before it applies.
    herd = cows[bought["iin_bin"]]
    moved = _listable(herd)[-1]
    moved["registered_on"] = (DEMO_DAY - timedelta(days=18)).isoformat()
    bought_listed = sorted([moved["animal_id"], *_ids(_listable(herd)[:4])])
    pooled = _ids(_listable(cows[member["iin_bin"]])[:10])

    def claim(case: str, program: str, row: ApplicantRow, listed: list[str]) -> DemoApplication:
        return DemoApplication(case=case, program=program, applicant=row["iin_bin"], animals=listed)

    def request(case: str, program: str, row: ApplicantRow, quantity: str) -> DemoApplication:
        return DemoApplication(
            case=case, program=program, applicant=row["iin_bin"], quantity=quantity
        )

    return DemoCases(
        accounts=[AccountChange(iin_bin=second["iin_bin"], iban=first["iban"], bic=first["bic"])],
        heads=[HeadChange(iin_bin=sister["iin_bin"], head_iin=company["head_iin"])],
        applications=[
            claim("over_age", "BREEDING-CATTLE-2026", over_age, over_age_listed),
            claim("recently_bought", "BREEDING-CATTLE-2026", bought, bought_listed),
            request("shared_account", "DAIRY-MILK-2026", first, "90000"),
            request("shared_account", "DAIRY-MILK-2026", second, "60000"),
            claim("member_claims", "AUYL-AMANATY-2026", cooperative, pooled),
            claim("member_claims", "BREEDING-CATTLE-2026", member, pooled[:5]),
            # 25 % of each: 9 900 000 and 9 700 000 KZT, each under 10 000 000.
            request("split_request", "DAIRY-INVEST-2026", company, "39600000.00"),
            request("split_request", "DAIRY-INVEST-2026", sister, "38800000.00"),
        ],
    )


def _cooperative_and_member(
    cooperatives: list[CooperativeRow],
    applicants: list[ApplicantRow],
    livestock: list[LivestockRow],
    pick: Callable[[str, int, list[ApplicantRow]], ApplicantRow],
) -> tuple[CooperativeRow, ApplicantRow]:
    """The first cooperative whose members' cattle "Auyl Amanaty" accepts (at least 30 head, 95 %
    identified), with a member that fits the breeding program."""
    for cooperative in cooperatives:
        members = set(cooperative["members"])
        herds = [
            row for row in livestock if row["species"] == "cattle" and row["iin_bin"] in members
        ]
        heads = sum(row["heads"] for row in herds)
        identified = sum(row["identified_heads"] for row in herds)
        if heads < 30 or 100 * identified < 95 * heads:
            continue
        try:
            return cooperative, pick(
                "peasant_farm", 12, [r for r in applicants if r["iin_bin"] in members]
            )
        except _NoRoom:
            continue
    raise _NoRoom


def _ids(animals: list[AnimalRow]) -> list[str]:
    return [animal["animal_id"] for animal in animals]


def _spread(rng: random.Random, count: int) -> list[str]:
    """District codes for ``count`` rows: every district at least once, rural ones weighted."""
    codes = [district.code for district in DISTRICTS]
    weights = [1 if code in CITY_CODES else 3 for code in codes]
    picks = codes + rng.choices(codes, weights=weights, k=count - len(codes))
    rng.shuffle(picks)
    return picks


def _person(rng: random.Random, female: bool) -> str:
    """A full name, surname first, as registers write it (ФИО / Т.А.Ә.)."""
    if rng.random() < KAZAKH_SHARE:
        surname = rng.choice(names.KAZAKH_SURNAMES) + ("а" if female else "")
        given = rng.choice(names.KAZAKH_FEMALE_NAMES if female else names.KAZAKH_MALE_NAMES)
        father = rng.choice(names.KAZAKH_FATHER_NAMES) + ("қызы" if female else "ұлы")
        return f"{surname} {given} {father}"
    surname = rng.choice(names.RUSSIAN_SURNAMES)
    if female and not surname.endswith("ко"):
        surname += "а"
    given = rng.choice(names.RUSSIAN_FEMALE_NAMES if female else names.RUSSIAN_MALE_NAMES)
    patronymics = _DAUGHTERS_PATRONYMICS if female else _SONS_PATRONYMICS
    return f"{surname} {given} {rng.choice(patronymics)}"


def _farm_name(rng: random.Random, head: str) -> str:
    # About a third of farms carry their head's surname, the rest a word of good omen.
    if rng.random() < 0.35:
        return f"{names.FARM_PREFIX_RU} «{head.split()[0]}»"
    words = names.FARM_WORDS_KK + names.FARM_WORDS_RU
    word = rng.choice(words)
    if word in names.FARM_WORDS_RU:
        return f"{names.FARM_PREFIX_RU} «{word}»"
    prefix = rng.choice((names.FARM_PREFIX_KK, names.FARM_PREFIX_RU))
    return f"{prefix} «{word}»"


def _cooperative_name(rng: random.Random) -> str:
    word = rng.choice(names.COOPERATIVE_WORDS_KK + names.COOPERATIVE_WORDS_RU)
    if word in names.COOPERATIVE_WORDS_RU:
        return f"{names.COOPERATIVE_PREFIX_RU} «{word}»"
    prefix = rng.choice((names.COOPERATIVE_PREFIX_KK, names.COOPERATIVE_PREFIX_RU))
    return f"{prefix} «{word}»"


def _birth_date(rng: random.Random) -> date:
    first, last = date(1958, 1, 1).toordinal(), date(2003, 12, 31).toordinal()
    return date.fromordinal(rng.randint(first, last))


def _always(value: str) -> Callable[[], str]:
    return lambda: value


def _unique(used: set[str], make: Callable[[], str]) -> str:
    """Draw from ``make`` until the value is new; only membership is asked of the set.

    An organisation is told apart by the name in quotes, so "АШК «Құт»" and "СПК «Құт»"
    do not both appear.
    """
    for _ in range(1_000):
        value = make()
        key = value.partition("«")[2] or value
        if key not in used:
            used.add(key)
            return value
    raise RuntimeError("ran out of distinct demo values")


def _decimal(hundredths: int) -> str:
    return f"{hundredths // 100}.{hundredths % 100:02d}"
