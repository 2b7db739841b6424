"""Load the demo data through the real services (so every row has its audit entry); idempotent."""

from __future__ import annotations

from subsidy.accounts.models import User
from subsidy.accounts.services import create_user
from subsidy.applicants.queries import find_applicant
from subsidy.applicants.services import create_applicant
from subsidy.audit.services import create_checkpoint
from subsidy.demo.generate import generate
from subsidy.extensions import db

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
            actor=SEED_ACTOR,
        )
        created += 1
    farm = next(row for row in data.applicants if row["kind"] == "peasant_farm")
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
    if created or users_created:
        create_checkpoint()
    return demo_report(created, users_created, farm)


def demo_report(created: int, users_created: int, farm: dict) -> str:
    lines = [
        f"demo data: {created} applicants and {users_created} users added (existing ones kept)",
        "demo logins (username / password):",
    ]
    for username, role, password in DEMO_USERS:
        note = f" - {farm['name']}" if role == "applicant" else ""
        lines.append(f"  {username:<10} {password:<22} {role}{note}")
    return "\n".join(lines)
