"""Build test data through the real services, so every row comes with its audit entry."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from subsidy.accounts import services as accounts
from subsidy.applicants import services as applicants
from subsidy.applicants.ids import make_bin, make_iin

_serial = itertools.count(1)
PASSWORD = "correct horse battery"
DEFAULT_DISTRICT = None  # resolved lazily to the first district


def new_iin() -> str:
    while True:
        found = make_iin(date(1980, 5, 17), female=False, serial=next(_serial) % 10000)
        if found:
            return found


def new_bin() -> str:
    while True:
        found = make_bin(2015, 3, 4, 0, next(_serial) % 100000)
        if found:
            return found


def first_district() -> str:
    from subsidy.districts.queries import all_districts

    return all_districts()[0].code


def make_applicant(
    kind: str = "peasant_farm",
    *,
    name: str | None = None,
    district=None,
    members=(),
    iin_bin: str | None = None,
):
    if iin_bin is None:
        iin_bin = new_iin() if kind in ("individual", "peasant_farm") else new_bin()
    return applicants.create_applicant(
        kind=kind,
        iin_bin=iin_bin,
        name=name or f"КХ «Тест {iin_bin[-4:]}»",
        district=district or first_district(),
        members=list(members),
        actor="test",
    )


def make_user(
    role: str = "official",
    *,
    applicant=None,
    username: str | None = None,
    full_name: str | None = None,
    position: str | None = None,
):
    if role == "applicant" and applicant is None:
        applicant = make_applicant()
    return accounts.create_user(
        username=username or f"{role}{next(_serial)}",
        password=PASSWORD,
        role=role,
        applicant=applicant.iin_bin if applicant is not None else None,
        full_name=full_name,
        position=position,
        actor="test",
    )


def bearer(user) -> dict[str, str]:
    token, _ = accounts.issue_token(user=user)
    return {"Authorization": f"Bearer {token}"}


# --- programs, registry facts, applications ------------------------------------------------


def program_definition(
    code: str = "TEST-HEADS-2026",
    *,
    unit: str = "head",
    rate="1000.00",
    budget: str = "100000.00",
    threshold: str = "50000.00",
    cap: str | None = None,
    kinds=("individual", "peasant_farm", "legal_entity", "cooperative"),
    criteria=None,
    opens: str = "2026-01-01",
    closes: str = "2026-12-31",
    **extra,
):
    """A program definition; ``extra`` fields (``funding_group``, ``funding_period``, ...) as
    written in a program file."""
    from subsidy.programs.definition import parse_program

    if criteria is None:
        criteria = [
            {"rule": "min_livestock_heads", "params": {"species": "cattle", "min": 5}},
            {"rule": "no_tax_arrears"},
            {"rule": "quantity_within_registry"},
            {"rule": "no_double_funding"},
            {"rule": "one_application_per_applicant"},
        ]
    return parse_program(
        {
            "code": code,
            "name": {
                "ru": f"Программа {code}",
                "kk": f"Бағдарлама {code}",
                "en": f"Program {code}",
            },
            "window": {"opens": date.fromisoformat(opens), "closes": date.fromisoformat(closes)},
            "applicant_kinds": list(kinds),
            "unit": unit,
            "rate": rate,
            "max_amount_per_applicant": cap or budget,
            "budget": budget,
            "second_approval_above": threshold,
            "criteria": criteria,
            **extra,
        }
    )


def make_program(code: str = "TEST-HEADS-2026", **kwargs):
    from subsidy.programs.services import load_program

    version, _ = load_program(definition=program_definition(code, **kwargs), actor="test")
    return version.program


def registry(livestock=(), land=(), tax=()):
    """Import one snapshot of each kind given: rows as tuples in the CSV column order."""
    from subsidy.registry.extracts import HEADERS
    from subsidy.registry.services import import_extract

    snapshots = {}
    for kind, rows in (("livestock", livestock), ("land", land), ("tax", tax)):
        if not rows:
            continue
        parsed = []
        for row in rows:
            record = dict(zip(HEADERS[kind], row, strict=True))
            for name in ("hectares", "arrears"):
                if name in record:
                    record[name] = Decimal(str(record[name]))
            parsed.append(record)
        snapshots[kind] = import_extract(
            kind=kind,
            rows=parsed,
            source_name=f"test-{kind}.csv",
            source_sha256="0" * 64,
            as_of=date(2026, 6, 1),
            actor="test",
        )
    return snapshots


def submit(
    applicant,
    program_code: str = "TEST-HEADS-2026",
    quantity="10",
    user=None,
    key=None,
    animals=None,
):
    from subsidy.applications.services import submit_application

    user = user or make_user("official")
    application, _ = submit_application(
        program=program_code,
        applicant=applicant.iin_bin,
        quantity=None if quantity is None else Decimal(str(quantity)),
        user=user,
        idempotency_key=key,
        animals=animals,
    )
    return application


def animals_extract(rows, as_of: date = date(2026, 6, 1)):
    """An animals snapshot: rows ``(iin_bin, animal_id, species, sex, birth_date,
    registered_on)`` (dates as ISO text), stored as an import would store it."""
    from subsidy.audit.actions import Action
    from subsidy.audit.services import append_entry
    from subsidy.extensions import db
    from subsidy.registry.models import AnimalRecord, RegistrySnapshot

    snapshot = RegistrySnapshot(
        kind="animals",
        as_of=as_of,
        source_name="test-animals.csv",
        source_sha256="0" * 64,
        row_count=len(rows),
    )
    db.session.add(snapshot)
    db.session.flush()
    for iin_bin, animal_id, species, sex, born, registered in rows:
        db.session.add(
            AnimalRecord(
                snapshot_id=snapshot.id,
                iin_bin=iin_bin,
                animal_id=animal_id,
                species=species,
                sex=sex,
                birth_date=date.fromisoformat(born),
                registered_on=date.fromisoformat(registered),
            )
        )
    db.session.flush()
    append_entry(
        actor="test",
        action=Action.REGISTRY_IMPORTED,
        subject=f"registry_snapshot:{snapshot.id}",
        data={"kind": "animals", "rows": len(rows)},
    )
    return snapshot


# --- payments -----------------------------------------------------------------------------------

_accounts = itertools.count(1)


def give_account(applicant, *, bank_code: str = "722", bic: str = "CASPKZKA"):
    """A valid account of its own for the applicant (its subsidies can then be paid)."""
    from subsidy.applicants.bank import make_iban
    from subsidy.applicants.services import set_bank_account

    iban = make_iban(bank_code, f"{next(_accounts):013d}")
    set_bank_account(applicant=applicant, iban=iban, bic=bic, actor="test")
    return iban


def approved(applicant, program_code: str = "TEST-HEADS-2026", quantity="10", official=None):
    """A submitted and approved application (the program's threshold must allow one approval)."""
    from subsidy.decisions.services import approve_application

    application = submit(applicant, program_code, quantity=quantity)
    approval = approve_application(application=application, user=official or make_user())
    assert approval.outcome.value == "approved", approval.outcome
    return application


def tranche(program, amount: str, treasurer=None, released_on: date = date(2026, 6, 1)):
    from subsidy.payments.services import release_tranche

    return release_tranche(
        program=program,
        amount=Decimal(amount),
        released_on=released_on,
        user=treasurer or make_user("treasurer"),
    )
