"""Recovery notices and appeal decisions are issued like decisions: a row of their own kind, a
``document_issued`` entry with both hashes, and /verify accepts either."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from subsidy.audit.models import AuditEntry
from subsidy.decisions.notices import standard_consequence
from subsidy.decisions.notices_issuing import (
    issue_appeal_decision,
    prepare_recovery_notice,
    store_recovery_notice,
)
from subsidy.decisions.queries import document_count, latest_document, newest_document
from subsidy.eligibility.obligations import recovery_amount
from subsidy.extensions import db
from tests.factories import approved, make_applicant, make_program, make_user, registry

ANIMALS = ("KZ630000000003", "KZ630000000007")


@pytest.fixture
def application(app):
    make_program()
    farm = make_applicant("peasant_farm", name="ШҚ «Әсем Ғалым»")
    registry(livestock=[(farm.iin_bin, "cattle", 20, 20)])
    return approved(farm)


def _notice(application, **changes):
    values = {
        "application": application,
        "case_id": 41,
        "obligation": "keep_animals",
        "months": 12,
        "ends_on": date(2027, 6, 10),
        "extract_as_of": date(2026, 6, 14),
        "snapshot_id": 5,
        "animals": ANIMALS,
        "claimed_count": 10,
        "paid_amount": Decimal("10000.00"),
        "paid_on": date(2026, 6, 10),
        "amount": recovery_amount(Decimal("10000.00"), len(ANIMALS), 10),
        "due_on": date(2026, 7, 15),
        "actor": "system",
    }
    values = {**values, **changes}
    case_id, actor = values.pop("case_id"), values.pop("actor")
    notice = prepare_recovery_notice(**values)
    return store_recovery_notice(
        application=application, notice=notice, case_id=case_id, actor=actor
    )


def _appeal(application, official, **changes):
    values = {
        "application": application,
        "appeal_id": 9,
        "appealed": "recovery",
        "appealed_number": f"{application.number}-R1",
        "filed_on": date(2026, 6, 15),
        "appeal_reason": "Тёлки проданы после окончания срока, справка прилагается.",
        "outcome": "granted",
        "decision_reason": "Справка подтверждает продажу 12.06.2027.",
        "official_id": official.id,
        "consequence": standard_consequence("recovery", "granted"),
        "actor": f"user:{official.id}",
    }
    return issue_appeal_decision(**{**values, **changes})


def _issued_entry(index: int) -> dict:
    entry = db.session.get(AuditEntry, index)
    assert entry.action == "document_issued"
    return json.loads(bytes(entry.canonical))


def test_a_recovery_notice_is_stored_logged_and_named_after_the_application(application):
    row = _notice(application)
    assert row.kind == "recovery" and row.outcome == "recovery"
    assert row.number == f"{application.number}-R1"
    assert hashlib.sha256(row.pdf).hexdigest() == row.pdf_sha256
    assert row.decision_log_index == row.issued_log_index
    content = json.loads(row.content)
    assert content["format"] == "subsidy-recovery-notice/2"
    assert content["signature"]["name"].startswith("ГУ «Управление сельского хозяйства")
    assert content["amount"] == "2000.00" and content["animals"] == list(ANIMALS)
    assert content["decision_number"] == latest_document(application.id).number
    assert content["applicant_name"] == "ШҚ «Әсем Ғалым»"
    # Issued on the service's day (TODAY = 2026-06-15): appealable for three months.
    assert content["appeal_until"] == "2026-09-15"
    entry = _issued_entry(row.issued_log_index)
    assert entry["subject"] == f"application:{application.id}"
    assert entry["actor"] == "system"
    assert entry["data"] == {
        "document": row.number,
        "kind": "recovery",
        "outcome": "recovery",
        "pdf_sha256": row.pdf_sha256,
        "content_sha256": row.content_sha256,
        "recovery": 41,
    }


def test_notices_and_appeals_are_numbered_apart_from_decisions(application):
    official = make_user("official")
    first, second = _notice(application), _notice(application, case_id=42)
    appeal = _appeal(application, official)
    assert [first.number, second.number, appeal.number] == [
        f"{application.number}-R1",
        f"{application.number}-R2",
        f"{application.number}-A1",
    ]
    assert document_count(application.id) == 1  # the approval
    assert document_count(application.id, "recovery") == 2
    assert latest_document(application.id).kind == "decision"
    assert newest_document(application.id, "recovery").id == second.id


def test_an_appeal_decision_is_stored_and_logged_with_its_appeal(application):
    official = make_user("official")
    row = _appeal(application, official)
    assert (row.kind, row.outcome, row.number) == ("appeal", "granted", f"{application.number}-A1")
    content = json.loads(row.content)
    assert content["format"] == "subsidy-appeal-decision/2"
    assert content["decided_on"] == "2026-06-15"
    assert content["official"] == {"name": official.username, "position": ""}
    assert content["consequence"]["en"] == "The recovery under the notice is cancelled."
    entry = _issued_entry(row.issued_log_index)
    assert entry["data"]["appeal"] == 9 and entry["data"]["kind"] == "appeal"
    assert entry["data"]["outcome"] == "granted" and "recovery" not in entry["data"]
    assert row.decision_log_index == row.issued_log_index


def test_an_appeal_decision_points_at_the_decision_entry_it_is_given(application):
    official = make_user("official")
    row = _appeal(
        application,
        official,
        appealed="ineligible",
        appealed_number=None,
        outcome="dismissed",
        consequence=standard_consequence("ineligible", "dismissed"),
        decision_index=3,
    )
    assert row.outcome == "dismissed" and row.decision_log_index == 3
    assert row.issued_log_index > 3


def test_a_refused_content_writes_nothing(application):
    official = make_user("official")
    entries = db.session.execute(sa.select(sa.func.count()).select_from(AuditEntry)).scalar_one()
    with pytest.raises(ValueError, match="paid × left ÷ claimed"):
        _notice(application, amount=Decimal("2000.01"))
    with pytest.raises(ValueError, match="reasons"):
        _appeal(application, official, decision_reason=" ")
    assert document_count(application.id, "recovery") == 0
    assert document_count(application.id, "appeal") == 0
    after = db.session.execute(sa.select(sa.func.count()).select_from(AuditEntry)).scalar_one()
    assert after == entries


@pytest.mark.parametrize("kind", ["recovery", "appeal"])
def test_verify_finds_a_notice_and_an_appeal_by_either_hash(application, client, kind):
    row = _notice(application) if kind == "recovery" else _appeal(application, make_user())
    db.session.commit()
    by_file = client.post("/api/v1/documents/verify", json={"sha256": row.pdf_sha256})
    assert by_file.status_code == 200, by_file.json
    assert by_file.json["valid"] is True and by_file.json["kind"] == kind
    assert by_file.json["matched"] == "file"
    assert by_file.json["decision_number"] == row.number
    assert by_file.json["outcome"] == row.outcome
    assert by_file.json["log_index"] == row.issued_log_index
    assert by_file.json["superseded"] is False
    by_content = client.post("/api/v1/documents/verify", json={"sha256": row.content_sha256})
    assert by_content.json["valid"] is True and by_content.json["matched"] == "content"
    page = client.get(f"/verify?sha256={row.content_sha256}")
    assert page.status_code == 200
    assert row.number in page.text and f'data-kind="{kind}"' in page.text
