"""Load the demo data through the real services (so every row has its audit entry); idempotent."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from subsidy.accounts.models import User
from subsidy.accounts.services import create_user
from subsidy.applicants.queries import find_applicant
from subsidy.applicants.services import create_applicant
from subsidy.audit.services import create_checkpoint
from subsidy.demo.generate import generate
from subsidy.extensions import db
from subsidy.programs.services import load_program
from subsidy.programs.testcases import load_program_file
from subsidy.registry.extracts import HEADERS, parse_extract
from subsidy.registry.models import RegistrySnapshot
from subsidy.registry.services import import_extract

DEMO_PROGRAMS = Path(__file__).resolve().parent.parent / "programs" / "demo"

SEED_ACTOR = "seed-demo"

# username, role, password; the farmer is linked to the first demo peasant farm.
DEMO_USERS = (
    ("farmer", "applicant", "farmer-demo-2026"),
    ("official", "official", "official-demo-2026"),
    ("official2", "official", "official2-demo-2026"),
    ("auditor", "auditor", "auditor-demo-2026"),
    ("admin", "admin", "admin-demo-2026"),
)


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
            actor=SEED_ACTOR,
        )
        users_created += 1
    programs_loaded = load_demo_programs()
    snapshots = import_demo_registry(data)
    if created or users_created or programs_loaded or snapshots:
        create_checkpoint()
    return demo_report(created, users_created, farm, programs_loaded, snapshots)


def demo_farm(data) -> dict:
    """The demo farmer's farm: a dairy farm that the milk program accepts, so the demo shows
    an eligible application first (others in the data show refusals)."""
    arrears = {row["iin_bin"]: Decimal(row["arrears"]) for row in data.tax}
    herds = {
        row["iin_bin"]: row
        for row in data.livestock
        if row["species"] == "cattle"
        and row["heads"] >= 60
        and row["identified_heads"] == row["heads"]
    }
    for row in data.applicants:
        debt = arrears.get(row["iin_bin"], Decimal(0))
        if row["kind"] == "peasant_farm" and row["iin_bin"] in herds and debt == 0:
            return row
    return next(row for row in data.applicants if row["kind"] == "peasant_farm")


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


def import_demo_registry(data) -> int:
    """One snapshot per kind, through the same parser and service as `subsidy registry import`;
    an extract already imported (same bytes) is not imported again."""
    imported = 0
    for kind, rows in (("livestock", data.livestock), ("land", data.land), ("tax", data.tax)):
        text = _csv_text(kind, rows)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
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
            as_of=date(2026, 1, 10),
            actor=SEED_ACTOR,
        )
        imported += 1
    return imported


def demo_report(created: int, users_created: int, farm: dict, programs: int, snapshots: int) -> str:
    lines = [
        f"demo data: {created} applicants, {users_created} users, {programs} program versions "
        f"and {snapshots} registry snapshots added (existing ones kept)",
        "demo logins (username / password):",
    ]
    for username, role, password in DEMO_USERS:
        note = f" - {farm['name']}, IIN {farm['iin_bin']}" if role == "applicant" else ""
        lines.append(f"  {username:<10} {password:<22} {role}{note}")
    return "\n".join(lines)
