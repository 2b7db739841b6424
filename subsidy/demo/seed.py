"""Load the demo data through the real services (so every row has its audit entry); idempotent."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from subsidy.accounts.models import User
from subsidy.accounts.services import create_user
from subsidy.applicants.queries import applicant_by_iin_bin, find_applicant
from subsidy.applicants.services import create_applicant, set_bank_account, set_head
from subsidy.applications.flags import recompute_flags
from subsidy.applications.services import submit_application
from subsidy.audit.services import create_checkpoint
from subsidy.demo.generate import ANIMALS_AS_OF, DEMO_DAY, farmer_farm, generate
from subsidy.demo.obligations import seed_obligations
from subsidy.demo.payments import seed_payments
from subsidy.extensions import db
from subsidy.programs.services import load_program
from subsidy.programs.testcases import load_program_file
from subsidy.registry.extracts import HEADERS, parse_extract
from subsidy.registry.models import RegistrySnapshot
from subsidy.registry.queries import latest_snapshots
from subsidy.registry.services import import_extract

DEMO_PROGRAMS = Path(__file__).resolve().parent.parent / "programs" / "demo"

SEED_ACTOR = "seed-demo"

# username, role, password; the farmer is linked to the first demo peasant farm.
DEMO_USERS = (
    ("farmer", "applicant", "farmer-demo-2026"),
    ("official", "official", "official-demo-2026"),
    ("official2", "official", "official2-demo-2026"),
    ("treasurer", "treasurer", "treasurer-demo-2026"),
    ("treasurer2", "treasurer", "treasurer2-demo-2026"),
    ("auditor", "auditor", "auditor-demo-2026"),
    ("admin", "admin", "admin-demo-2026"),
)
# How the letters name them: full name, and the position (Kazakh / Russian) for the staff.
DEMO_NAMES = {
    "farmer": ("Нурланов Ерлан Серикович", None),
    "official": (
        "Серикова Айгерим Болатовна",
        "Субсидиялау бөлімінің бас маманы / Главный специалист отдела субсидирования",
    ),
    "official2": (
        "Ким Сергей Владимирович",
        "Субсидиялау бөлімінің басшысы / Руководитель отдела субсидирования",
    ),
    "treasurer": (
        "Жумабаева Динара Маратовна",
        "Қаржы бөлімінің бас маманы / Главный специалист финансового отдела",
    ),
    "treasurer2": (
        "Петренко Ольга Николаевна",
        "Қаржы бөлімінің басшысы / Руководитель финансового отдела",
    ),
    "auditor": (
        "Тулегенов Асхат Кайратович",
        "Ішкі аудит бөлімінің бас маманы / Главный специалист отдела внутреннего аудита",
    ),
    "admin": (
        "Оспанов Данияр Ерболович",
        "Ақпараттық технологиялар бөлімінің маманы / Специалист отдела информационных технологий",
    ),
}


def seed() -> str:
    data = generate()
    created = 0
    for row in data.all_applicants():
        if find_applicant(row["iin_bin"]) is not None:
            continue
        create_applicant(
            kind=row["kind"],
            iin_bin=row["iin_bin"],
            name=row["name"],
            district=row["district_code"],
            members=list(row.get("members", [])),
            head_iin=row.get("head_iin"),
            iban=row.get("iban"),
            bic=row.get("bic"),
            actor=SEED_ACTOR,
        )
        created += 1
    farm = demo_farm(data)
    users_created = 0
    for username, role, password in DEMO_USERS:
        if db.session.query(User.id).filter_by(username=username).first():
            continue
        create_user(
            username=username,
            password=password,
            role=role,
            applicant=farm["iin_bin"] if role == "applicant" else None,
            full_name=DEMO_NAMES[username][0],
            position=DEMO_NAMES[username][1],
            actor=SEED_ACTOR,
        )
        users_created += 1
    programs_loaded = load_demo_programs()
    snapshots, digests = import_demo_registry(data)
    changes, applications = seed_cases(data, digests["animals"])
    paid = seed_payments(data, farm, on_demo_day)
    later = seed_obligations(data, farm)
    if any(
        (created, users_created, programs_loaded, snapshots, changes, applications, paid, later)
    ):
        create_checkpoint()
    return demo_report(created, users_created, farm, programs_loaded, snapshots, applications, paid)


def demo_farm(data) -> dict:
    """The demo farmer's farm (see :func:`subsidy.demo.generate.farmer_farm`)."""
    return farmer_farm(data.applicants, data.livestock, data.tax)


def load_demo_programs() -> int:
    loaded = 0
    for path in sorted(DEMO_PROGRAMS.glob("*.yaml")):
        program_file = load_program_file(path.read_text(encoding="utf-8"))
        _, created = load_program(
            definition=program_file.definition, tests=program_file.tests, actor=SEED_ACTOR
        )
        loaded += created
    return loaded


def _csv_text(kind: str, rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADERS[kind])
    for row in rows:
        writer.writerow([row[column] for column in HEADERS[kind]])
    return out.getvalue()


def import_demo_registry(data) -> tuple[int, dict[str, str]]:
    """One snapshot per kind, through the same parser and service as `subsidy registry import`;
    an extract already imported (same bytes) is not imported again. (snapshots imported, each
    extract's SHA-256 by kind)."""
    imported, digests = 0, {}
    extracts = (
        ("livestock", data.livestock, date(2026, 1, 10)),
        ("land", data.land, date(2026, 1, 10)),
        ("tax", data.tax, date(2026, 1, 10)),
        ("animals", data.animals, ANIMALS_AS_OF),
    )
    for kind, rows, as_of in extracts:
        text = _csv_text(kind, rows)
        digest = digests[kind] = hashlib.sha256(text.encode("utf-8")).hexdigest()
        seen = db.session.execute(
            sa.select(RegistrySnapshot.id).where(
                RegistrySnapshot.kind == kind, RegistrySnapshot.source_sha256 == digest
            )
        ).first()
        if seen:
            continue
        import_extract(
            kind=kind,
            rows=parse_extract(kind, text.splitlines(keepends=True)),
            source_name=f"demo-{kind}.csv",
            source_sha256=digest,
            as_of=as_of,
            actor=SEED_ACTOR,
        )
        imported += 1
    return imported, digests


@contextlib.contextmanager
def on_demo_day() -> Iterator[None]:
    """The service's "today" pinned to DEMO_DAY (the ``TODAY`` setting, as in tests) and then
    put back: the demo applications are submitted inside the 2026 windows whatever the date, and
    the ages and days of ownership their checks report stay the same."""
    config = current_app.config
    before = config.get("TODAY")
    config["TODAY"] = DEMO_DAY.isoformat()
    try:
        yield
    finally:
        if before is None:
            config.pop("TODAY", None)
        else:
            config["TODAY"] = before


def seed_cases(data, animals_sha256: str) -> tuple[int, int]:
    """The demo's risk cases (``DemoCases``): the account and head changes, then the
    applications, submitted by the demo official on DEMO_DAY through the real service; each
    under an Idempotency-Key of its own, so a second run finds them and writes nothing. The flags
    of the new ones are computed again once all are in (an application submitted first did not
    see its partner's), as of today. Skipped when the latest animals extract is not the demo's
    (one imported since would not list the animals the cases name). (changes made, applications
    submitted)."""
    cases = data.cases
    latest = latest_snapshots()["animals"]
    if cases is None or latest is None or latest.source_sha256 != animals_sha256:
        return 0, 0
    changes = 0
    for account in cases.accounts:
        changes += set_bank_account(
            applicant=applicant_by_iin_bin(account["iin_bin"]),
            iban=account["iban"],
            bic=account["bic"],
            actor=SEED_ACTOR,
        )
    for head in cases.heads:
        changes += set_head(
            applicant=applicant_by_iin_bin(head["iin_bin"]),
            head_iin=head["head_iin"],
            actor=SEED_ACTOR,
        )
    official = db.session.execute(sa.select(User).filter_by(username="official")).scalar_one()
    submitted = []
    with on_demo_day():
        for case in cases.applications:
            quantity = case.get("quantity")
            application, created = submit_application(
                program=case["program"],
                applicant=case["applicant"],
                quantity=None if quantity is None else Decimal(quantity),
                animals=case.get("animals"),
                user=official,
                idempotency_key=f"seed-demo:{case['case']}:{case['applicant']}",
            )
            if created:
                submitted.append(application)
    for application in submitted:
        recompute_flags(application=application, actor=SEED_ACTOR)
    return changes, len(submitted)


def demo_report(
    created: int,
    users_created: int,
    farm: dict,
    programs: int,
    snapshots: int,
    applications: int = 0,
    paid: int = 0,
) -> str:
    lines = [
        f"demo data: {created} applicants, {users_created} users, {programs} program versions, "
        f"{snapshots} registry snapshots, {applications} applications showing risk cases and "
        f"{paid} paid applications added (existing ones kept)",
        "demo logins (username / password):",
    ]
    for username, role, password in DEMO_USERS:
        note = f" - {farm['name']}, IIN {farm['iin_bin']}" if role == "applicant" else ""
        lines.append(f"  {username:<10} {password:<22} {role}{note}")
    return "\n".join(lines)
