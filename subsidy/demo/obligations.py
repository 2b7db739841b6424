"""The demo's obligations and appeals, after its money story (:mod:`subsidy.demo.payments`).

A breach: a clean farm (none of the other stories') buys breeding cows under
BREEDING-CATTLE-2026, whose file promises to keep them 12 months (``keep_animals``); it is
approved and paid on DEMO_DAY (a tranche, a run prepared by one treasurer and released by
another, the bank's report). The identification database's extract of BREACH_AS_OF, imported
like any other (``import_extract``, which checks the obligations in the import's transaction),
no longer lists three of the cows it was paid for: one recovery case for 3/5 of the payment,
due ``recovery_days`` later, with its notice.

Two appeals: two other dairy farms apply for the milk subsidy, the demo official rejects both,
each farm's own user (``farmer2``, ``farmer3``) appeals, and ``official2``, who took no part,
grants the first (evaluated again with today's registry evidence, it is back in the queue in
its place) and dismisses the second. Each decision issues its document.

All through the real services, once: every step looks for what an earlier run did first, so a
second ``subsidy seed-demo`` writes nothing.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask import current_app

from subsidy.accounts.models import User
from subsidy.accounts.services import create_user
from subsidy.appeals.models import Appeal, AppealStatus
from subsidy.appeals.services import appealable_application, decide_appeal, file_appeal
from subsidy.applications.flags import has_high_flag
from subsidy.applications.models import Application, Status
from subsidy.applications.services import submit_application
from subsidy.decisions.services import approve_application, reject_application
from subsidy.demo.generate import ANIMALS_AS_OF, DEMO_DAY, _debtors, _listable
from subsidy.demo.payments import LITERS, _dairy_farms, _user
from subsidy.demo.payments import PROGRAM as DAIRY
from subsidy.eligibility.obligations import add_months
from subsidy.extensions import db
from subsidy.payments import iso20022
from subsidy.payments.models import PaymentRun
from subsidy.payments.services import (
    apply_status_report,
    prepare_run,
    release_run,
    release_tranche,
)
from subsidy.programs.queries import program_by_code
from subsidy.registry.extracts import HEADERS, parse_extract
from subsidy.registry.models import RegistrySnapshot
from subsidy.registry.services import import_extract

BREEDING = "BREEDING-CATTLE-2026"
COWS = 5  # bought and paid for: 5 x 150 000 = 750 000 KZT
GONE = 3  # no longer hers in the later extract: 450 000 KZT to repay
# The bank pays on DEMO_DAY; the later extract is three months after the demo's first.
PAID_AT = datetime(DEMO_DAY.year, DEMO_DAY.month, DEMO_DAY.day, 6, tzinfo=UTC)
BREACH_AS_OF = add_months(ANIMALS_AS_OF, 3)
ACTOR = "seed-demo"

# The appellants' logins (each linked to its farm), like the demo's own users.
APPELLANTS = (("farmer2", "farmer2-demo-2026"), ("farmer3", "farmer3-demo-2026"))
REJECTIONS = (
    "В справке о поголовье не указан номер ветеринарного паспорта стада",
    "Объём молока превышает продуктивность стада по данным района",
)
APPEALS = (
    "Номер ветеринарного паспорта указан в реестре ИСЖ; прошу проверить заявку заново",
    "Продуктивность подтверждена учётом надоев; прошу пересмотреть решение",
)
DECISIONS = (
    ("granted", "Паспорт стада есть в реестре; заявка проверена заново"),
    ("dismissed", "Учёт надоев не подтверждает заявленный объём; решение остаётся в силе"),
)


@contextlib.contextmanager
def _on(day: date) -> Iterator[None]:
    """The service's "today" pinned to ``day`` (the ``TODAY`` setting), then put back."""
    config = current_app.config
    before = config.get("TODAY")
    config["TODAY"] = day.isoformat()
    try:
        yield
    finally:
        if before is None:
            config.pop("TODAY", None)
        else:
            config["TODAY"] = before


def seed_obligations(data, farm: dict) -> int:
    """The breach and the two appeals; the number of things done (0 on a second run)."""
    if data.cases is None:
        return 0
    taken = {farm["iin_bin"], *(case["applicant"] for case in data.cases.applications)}
    taken |= {row["iin_bin"] for row in _dairy_farms(data, farm, taken)}
    breeder = _breeding_farm(data, taken)
    done = 0
    if breeder is not None:
        taken.add(breeder["iin_bin"])
        done += _breach(data, breeder)
    done += _appeals(data, farm, taken)
    return done


# --- the breach ------------------------------------------------------------------------------


def _members(data) -> set[str]:
    return {member for row in data.cooperatives for member in row["members"]}


def _breeding_farm(data, taken: set[str]) -> dict | None:
    """A farm without arrears, with a bank account and every cow identified, no cooperative's
    member (no pooled claims), that has COWS cows the breeding program takes."""
    debtors, members = _debtors(data.tax), _members(data)
    whole = {
        row["iin_bin"]
        for row in data.livestock
        if row["species"] == "cattle"
        and row["heads"] >= 10
        and row["heads"] == row["identified_heads"]
    }
    for row in data.applicants:
        iin_bin = row["iin_bin"]
        if (
            row["kind"] in ("peasant_farm", "legal_entity")
            and iin_bin in whole - debtors - members - taken
            and row.get("iban")
            and len(_cows(data, iin_bin)) >= COWS
        ):
            return row
    return None


def _cows(data, iin_bin: str) -> list[str]:
    herd = [a for a in data.animals if a["iin_bin"] == iin_bin and a["species"] == "cattle"]
    return [animal["animal_id"] for animal in _listable(herd)]


def _breach(data, breeder: dict) -> int:
    claimed = _cows(data, breeder["iin_bin"])[:COWS]
    official = _user("official")
    with _on(DEMO_DAY):
        application, created = submit_application(
            program=BREEDING,
            applicant=breeder["iin_bin"],
            animals=claimed,
            user=official,
            idempotency_key=f"seed-demo:obligations:{breeder['iin_bin']}",
        )
        done = int(created)
        if application.status is Status.SUBMITTED and not has_high_flag(application.id):
            approve_application(application=application, user=official)
            done += 1
        if application.status is Status.APPROVED:
            done += _pay(application)
    if application.status is Status.PAID:
        done += _later_extract(data, set(claimed[:GONE]))
    return done


def _pay(application: Application) -> int:
    """A tranche for it, a run prepared by one treasurer and released by another, the bank's
    report paying it on DEMO_DAY (nothing if a run of the program exists)."""
    program = program_by_code(BREEDING)
    ran = db.session.execute(
        sa.select(PaymentRun.id).where(PaymentRun.program_id == program.id).limit(1)
    ).first()
    if ran is not None:
        return 0
    amount = application.approved_amount
    assert amount is not None
    needed = amount - (program.released_amount - program.paid_amount - program.scheduled_amount)
    if needed > 0:
        release_tranche(
            program=program,
            amount=needed,
            released_on=DEMO_DAY,
            reference="ДЕМО-КАЗНА-2026-002",
            user=_user("treasurer"),
        )
    run = prepare_run(program=program, user=_user("treasurer")).run
    release_run(run_id=run.id, user=_user("treasurer2"))
    report = iso20022.render_pain002(
        iso20022.StatusReport(
            message_id=f"DEMO-BANK-{run.id}",
            created_at=PAID_AT,
            original_message_id=f"RUN-{run.id}",
            group_status=None,
            transactions=tuple(
                iso20022.TransactionStatus(payment.end_to_end_id, "ACSC", None, PAID_AT)
                for payment in run.payments
            ),
        )
    )
    apply_status_report(run_id=run.id, data=report, actor=ACTOR)
    return 1


def _csv_text(kind: str, rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADERS[kind])
    for row in rows:
        writer.writerow([row[column] for column in HEADERS[kind]])
    return out.getvalue()


def _later_extract(data, gone: set[str]) -> int:
    """The animals extract of BREACH_AS_OF: the demo's, without the ``gone`` cows; imported
    through the registry service (which checks the obligations), once."""
    text = _csv_text("animals", [a for a in data.animals if a["animal_id"] not in gone])
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    seen = db.session.execute(
        sa.select(RegistrySnapshot.id).where(
            RegistrySnapshot.kind == "animals", RegistrySnapshot.source_sha256 == digest
        )
    ).first()
    if seen:
        return 0
    with _on(BREACH_AS_OF):
        import_extract(
            kind="animals",
            rows=parse_extract("animals", text.splitlines(keepends=True)),
            source_name=f"demo-animals-{BREACH_AS_OF.isoformat()}.csv",
            source_sha256=digest,
            as_of=BREACH_AS_OF,
            actor=ACTOR,
        )
    return 1


# --- the appeals -----------------------------------------------------------------------------


def _appellant(username: str, password: str, iin_bin: str) -> tuple[User, int]:
    user = db.session.execute(sa.select(User).filter_by(username=username)).scalar_one_or_none()
    if user is not None:
        return user, 0
    create_user(
        username=username, password=password, role="applicant", applicant=iin_bin, actor=ACTOR
    )
    return _user(username), 1


def _appeals(data, farm: dict, taken: set[str]) -> int:
    farms = _dairy_farms(data, farm, taken)[: len(APPELLANTS)]
    if len(farms) < len(APPELLANTS):
        return 0
    official = _user("official")
    done = 0
    for row, (username, password), rejection, reason, (outcome, answer) in zip(
        farms, APPELLANTS, REJECTIONS, APPEALS, DECISIONS, strict=True
    ):
        user, created = _appellant(username, password, row["iin_bin"])
        done += created
        with _on(DEMO_DAY):
            application, created = submit_application(
                program=DAIRY,
                applicant=row["iin_bin"],
                quantity=LITERS,
                user=official,
                idempotency_key=f"seed-demo:appeals:{row['iin_bin']}",
            )
        done += created
        appeal = db.session.execute(
            sa.select(Appeal).where(Appeal.application_id == application.id)
        ).scalar_one_or_none()
        if appeal is None:
            if application.status is Status.SUBMITTED:
                reject_application(application=application, user=official, reason=rejection)
                done += 1
            if application.status is not Status.REJECTED:
                continue
            appeal = file_appeal(
                target=appealable_application(application), user=user, reason=reason
            )
            done += 1
        if appeal.status is AppealStatus.OPEN:
            decide_appeal(
                appeal_id=appeal.id, user=_user("official2"), outcome=outcome, reason=answer
            )
            done += 1
    return done
