"""Rows for the scale benchmark, written by COPY: a few thousand applicants over every district,
applications in every status over the current program versions, and a stub decision document for
each approved or rejected one. Valid for the pages and the API (numbers, amounts within the
checks, evaluation JSON of the served shape); no services, so no log entries and no claims."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from subsidy.accounts.models import User
from subsidy.applicants.ids import make_bin, make_iin
from subsidy.applications.models import Application
from subsidy.districts.models import District
from subsidy.extensions import db
from subsidy.programs.queries import current_versions

EXTRA_APPLICANTS = 3000
# The log indexes a stub document names: any index of the bulk-loaded log.
LOG_INDEXES = 1_000_000

STATUS_CYCLE = (
    ["approved", "rejected", "waitlisted", "awaiting_second_approval"]
    + ["withdrawn"] * 2
    + ["ineligible"] * 4
    + ["submitted"] * 10
)
DECIDED_ON = datetime(2026, 3, 20, 9, tzinfo=UTC)


# --- data ------------------------------------------------------------------------------------


def _copy(table: str, columns: tuple[str, ...], rows) -> int:
    """COPY ``rows`` into ``table``; the number of rows written."""
    raw = db.engine.raw_connection()
    written = 0
    try:
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with raw.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
                written += 1
        raw.commit()
    finally:
        raw.close()
    return written


def _extra_applicants(districts: list[str]):
    """A few thousand valid IINs and BINs the demo does not use, over every district."""
    taken = set(db.session.execute(sa.text("SELECT iin_bin FROM applicants")).scalars())
    made = 0
    serial = 0
    while made < EXTRA_APPLICANTS and serial < 99_999:
        serial += 1
        if serial % 2:
            number, kind = (
                make_bin(2011 + serial % 12, 1 + serial % 12, 4, 0, serial),
                "legal_entity",
            )
        else:
            birth = date(1950 + serial % 50, 1 + serial % 12, 1 + serial % 28)
            number, kind = make_iin(birth, bool(serial % 4), serial % 10_000), "peasant_farm"
        if number is None or number in taken:
            continue
        taken.add(number)
        made += 1
        name = f"Бенч Шаруа {serial} Қожалығы" if kind == "peasant_farm" else f"ТОО Бенч {serial}"
        yield (number, kind, name, districts[made % len(districts)], DECIDED_ON)


def _evaluation(rules_version: str, quantity: Decimal, rate: Decimal, eligible: bool) -> str:
    check = {"rule": "min_livestock_heads", "passed": eligible, "detail": {}, "facts_used": {}}
    return json.dumps(
        {
            "eligible": eligible,
            "rules_version": rules_version,
            "on_date": "2026-03-02",
            "rate": str(rate),
            "quantity": str(quantity),
            "amount": str(quantity * rate),
            "capped": False,
            "checks": [check],
            "snapshots": {"land": 1, "livestock": 1, "tax": 1},
        },
        separators=(",", ":"),
        sort_keys=True,
    )


APPLICATION_COLUMNS = (
    "id",
    "number",
    "program_id",
    "program_version_id",
    "applicant_id",
    "submitted_by_id",
    "status",
    "quantity",
    "rate",
    "requested_amount",
    "rules_version",
    "evaluation",
    "submitted_on",
    "submitted_at",
    "decision_due_on",
    "proposed_amount",
    "first_approver_id",
    "first_approved_at",
    "approved_amount",
    "decided_by_id",
    "decided_at",
    "reject_reason",
    "withdrawn_at",
    "waitlisted_at",
)
DOCUMENT_COLUMNS = (
    "application_id",
    "number",
    "outcome",
    "content_sha256",
    "content",
    "pdf_sha256",
    "pdf",
    "decision_log_index",
    "issued_log_index",
    "issued_at",
)


def _rows(
    count: int, versions, applicant_ids: list[int], users: tuple[int, int], documents, after: int
):
    """Application rows, with ids from ``after`` + 1 (the demo seed submits a few); the decided
    ones' document rows are appended to ``documents``."""
    official, second = users
    rate = Decimal("125.5000")
    quantities = [Decimal(q) for q in ("10.0000", "40.0000", "120.0000", "300.0000")]
    evaluations = {
        (v.id, q, ok): _evaluation(v.rules_version, q, rate, ok)
        for v in versions
        for q in quantities
        for ok in (True, False)
    }
    start = date(2026, 1, 5)
    for i in range(1, count + 1):
        version = versions[i % len(versions)]
        status = STATUS_CYCLE[i % len(STATUS_CYCLE)]
        quantity = quantities[i % len(quantities)]
        amount = quantity * rate
        submitted_on = start + timedelta(days=(i * 90) // count)
        submitted_at = datetime.combine(submitted_on, datetime.min.time(), UTC)
        number = f"{version.program.code}-{i:07d}"
        decided = status in ("approved", "rejected")
        yield (
            after + i,
            number,
            version.program_id,
            version.id,
            applicant_ids[(i * 7919) % len(applicant_ids)],
            official,
            status,
            quantity,
            rate,
            amount,
            version.rules_version,
            evaluations[(version.id, quantity, status != "ineligible")],
            submitted_on,
            submitted_at,
            submitted_on + timedelta(days=30),
            amount if status in ("approved", "awaiting_second_approval") else None,
            second if status in ("approved", "awaiting_second_approval") else None,
            DECIDED_ON if status in ("approved", "awaiting_second_approval") else None,
            amount if status == "approved" else None,
            official if decided else None,
            DECIDED_ON if decided else None,
            "bench: not eligible" if status == "rejected" else None,
            DECIDED_ON if status == "withdrawn" else None,
            DECIDED_ON if status == "waitlisted" else None,
        )
        if decided:
            pdf = b"%PDF-1.4\n% subsidy bench stub " + number.encode() + b"\n%%EOF\n"
            content = json.dumps({"application": number, "outcome": status})
            documents.append(
                (
                    after + i,
                    f"{number}-D",
                    status,
                    hashlib.sha256(content.encode()).hexdigest(),
                    content,
                    hashlib.sha256(pdf).hexdigest(),
                    pdf,
                    i % LOG_INDEXES,
                    i % LOG_INDEXES,
                    DECIDED_ON,
                )
            )


def load_applications(count: int) -> None:
    """Applicants, applications and decision documents by COPY (no services, no log entries)."""
    districts = list(db.session.execute(sa.select(District.code)).scalars())
    db.session.commit()
    _copy(
        "applicants",
        ("iin_bin", "kind", "name", "district_code", "created_at"),
        _extra_applicants(districts),
    )
    applicant_ids = list(db.session.execute(sa.text("SELECT id FROM applicants")).scalars())
    users = dict(db.session.execute(sa.select(User.username, User.id)).all())
    versions = current_versions()
    documents: list[tuple] = []
    officials = (users["official"], users["official2"])
    after = db.session.execute(sa.select(sa.func.coalesce(sa.func.max(Application.id), 0)))
    rows = _rows(count, versions, applicant_ids, officials, documents, after.scalar_one())
    _copy("applications", APPLICATION_COLUMNS, rows)
    _copy("decision_documents", DOCUMENT_COLUMNS, documents)
    db.session.commit()
    with db.engine.connect() as conn:
        for table in ("applicants", "applications", "decision_documents"):
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" (SELECT max(id) FROM {table}))"
            )
        conn.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")
