"""Risk flags through the database: computed at submission from the registry and the other
applications, stored with their evidence, shown in the API, recomputed on demand; an approval
with a high flag needs a justification (422 naming it, nothing written), printed in the
decision. A flag never refuses by itself."""

from __future__ import annotations

import json
from datetime import date

import sqlalchemy as sa

from subsidy.applicants.bank import make_iban
from subsidy.applicants.services import set_bank_account, set_head
from subsidy.applications.models import Application, ApplicationFlag, Status
from subsidy.audit.models import AuditEntry
from subsidy.decisions.models import DecisionDocument
from subsidy.extensions import db
from subsidy.registry.services import import_extract
from tests.factories import (
    animals_extract,
    bearer,
    make_applicant,
    make_program,
    make_user,
    new_iin,
    registry,
    submit,
)

BIC = "KCJBKZKX"
IBAN = make_iban("601", "0000000123456")


def _codes(application) -> set[str]:
    rows = db.session.execute(
        sa.select(ApplicationFlag.code).where(ApplicationFlag.application_id == application.id)
    )
    return set(rows.scalars())


def _farms(count: int, heads: int = 20, kind: str = "peasant_farm"):
    farms = [make_applicant(kind) for _ in range(count)]
    registry(livestock=[(farm.iin_bin, "cattle", heads, heads) for farm in farms])
    return farms


def test_shared_bank_account_is_flagged_and_a_distinct_one_is_not(app):
    make_program(budget="1000000.00", threshold="500000.00")
    first, second, third = _farms(3)
    set_bank_account(applicant=first, iban=IBAN, bic=BIC, actor="test")
    set_bank_account(applicant=second, iban=IBAN, bic=BIC, actor="test")
    set_bank_account(applicant=third, iban=make_iban("601", "0000000999999"), bic=BIC, actor="test")
    flagged = submit(second, quantity="5")
    assert "shared_bank_account" in _codes(flagged)
    assert flagged.status is Status.SUBMITTED  # advisory, never a refusal
    assert "shared_bank_account" not in _codes(submit(third, quantity="5"))


def test_same_head_and_a_split_request_are_flagged(app):
    make_program(budget="10000000.00", threshold="15000.00")
    head = new_iin()
    first, second, lone = _farms(3, kind="legal_entity")
    for company in (first, second):
        set_head(applicant=company, head_iin=head, actor="test")
    submit(first, quantity="10")  # 10,000 each, the threshold 15,000
    second_application = submit(second, quantity="10")
    assert {"shared_head", "threshold_splitting"} <= _codes(second_application)
    assert not {"shared_head", "threshold_splitting"} & _codes(submit(lone, quantity="10"))
    (split,) = db.session.execute(
        sa.select(ApplicationFlag).where(
            ApplicationFlag.application_id == second_application.id,
            ApplicationFlag.code == "threshold_splitting",
        )
    ).scalars()
    assert json.loads(split.evidence)["total"] == "20000.00"
    assert head not in split.evidence and head not in split.detail  # no IIN in the evidence


def test_a_member_claiming_its_cooperatives_animal_is_flagged(app):
    criteria = [{"rule": "quantity_within_registry"}, {"rule": "no_double_funding"}]
    make_program("COOP-HEADS-2026", criteria=criteria, budget="10000000.00")
    make_program("MEMBER-HEADS-2026", criteria=criteria, budget="10000000.00")
    member = make_applicant("peasant_farm")
    others = [make_applicant("peasant_farm") for _ in range(4)]
    coop = make_applicant("cooperative", members=[m.iin_bin for m in [member, *others]])
    registry(livestock=[(member.iin_bin, "cattle", 2, 2)])
    animals_extract(
        [
            (member.iin_bin, "KZM0001", "cattle", "F", "2024-01-01", "2025-01-01"),
            (member.iin_bin, "KZM0002", "cattle", "F", "2024-01-01", "2025-01-01"),
        ]
    )
    submit(coop, "COOP-HEADS-2026", quantity=None, animals=["KZM0001"])
    member_application = submit(member, "MEMBER-HEADS-2026", quantity=None, animals=["KZM0001"])
    assert "member_also_applies" in _codes(member_application)
    other_animal = submit(member, "MEMBER-HEADS-2026", quantity=None, animals=["KZM0002"])
    assert "member_also_applies" not in _codes(other_animal)


def test_a_herd_grown_by_more_than_half_in_90_days_is_flagged(app):
    make_program(budget="10000000.00")
    spiking, steady = make_applicant("peasant_farm"), make_applicant("peasant_farm")
    for as_of, spike in ((date(2026, 3, 1), 10), (date(2026, 6, 1), 16)):
        rows = [
            {
                "iin_bin": spiking.iin_bin,
                "species": "cattle",
                "heads": spike,
                "identified_heads": spike,
            },
            {"iin_bin": steady.iin_bin, "species": "cattle", "heads": 10, "identified_heads": 10},
        ]
        import_extract(
            kind="livestock",
            rows=rows,
            source_name="l.csv",
            source_sha256="0" * 64,
            as_of=as_of,
            actor="test",
        )
    assert "herd_spike" in _codes(submit(spiking, quantity="5"))
    assert "herd_spike" not in _codes(submit(steady, quantity="5"))


def test_a_bank_account_changed_within_30_days_and_a_large_share_are_flagged(app):
    make_program(budget="50000.00")
    farm, other = _farms(2)
    set_bank_account(applicant=farm, iban=IBAN, bic=BIC, actor="test")
    application = submit(farm, quantity="6")  # 6,000 of 50,000: 12 %
    assert {"bank_account_changed", "concentration"} <= _codes(application)
    assert not {"bank_account_changed", "concentration"} & _codes(submit(other, quantity="5"))


def test_flags_are_in_the_api_and_an_official_can_compute_them_again(client, app):
    make_program(budget="1000000.00")
    first, second = _farms(2)
    application = submit(second, quantity="5")
    official = make_user("official")
    view = client.get(f"/api/v1/applications/{application.id}", headers=bearer(official)).json
    assert view["flags"] == [] and view["flags_computed_at"]
    set_bank_account(applicant=first, iban=IBAN, bic=BIC, actor="test")
    set_bank_account(applicant=second, iban=IBAN, bic=BIC, actor="test")
    again = client.post(f"/api/v1/applications/{application.id}/flags", headers=bearer(official))
    assert again.status_code == 200
    assert {f["code"] for f in again.json["flags"]} >= {"shared_bank_account"}
    (shared,) = [f for f in again.json["flags"] if f["code"] == "shared_bank_account"]
    assert shared["severity"] == "high" and set(shared["detail"]) == {"ru", "kk", "en"}
    assert shared["evidence"] == {"applicants": [first.id]}
    last = db.session.execute(
        sa.select(AuditEntry).order_by(AuditEntry.entry_index.desc()).limit(1)
    ).scalar_one()
    assert last.action == "flags_computed" and IBAN not in bytes(last.canonical).decode()
    listed = client.get("/api/v1/applications?flag=shared_bank_account", headers=bearer(official))
    assert [item["id"] for item in listed.json["items"]] == [application.id]
    risky = client.get("/api/v1/applications?sort=risk", headers=bearer(official)).json["items"]
    assert risky[0]["id"] == application.id


def test_approving_with_a_high_flag_needs_a_justification_which_the_decision_prints(client, app):
    make_program(budget="1000000.00")
    first, second = _farms(2)
    set_bank_account(applicant=first, iban=IBAN, bic=BIC, actor="test")
    set_bank_account(applicant=second, iban=IBAN, bic=BIC, actor="test")
    application = submit(second, quantity="5")
    headers = bearer(make_user("official"))
    size = db.session.execute(sa.select(sa.func.count()).select_from(AuditEntry)).scalar()
    url = f"/api/v1/applications/{application.id}/approve"
    refused = client.post(url, json={}, headers=headers)
    assert refused.status_code == 422 and "justification" in refused.json["errors"]
    assert db.session.execute(sa.select(sa.func.count()).select_from(AuditEntry)).scalar() == size
    assert db.session.get(Application, application.id).status is Status.SUBMITTED
    why = "Супруги ведут одно хозяйство, счёт общий; проверено по справке"
    approved = client.post(url, json={"justification": why}, headers=headers)
    assert approved.status_code == 200, approved.json
    assert approved.json["decision"]["justification"] == why
    document = db.session.execute(
        sa.select(DecisionDocument).where(DecisionDocument.application_id == application.id)
    ).scalar_one()
    assert json.loads(document.content)["justification"] == why
    entry = db.session.execute(
        sa.select(AuditEntry).where(AuditEntry.action == "application_approved")
    ).scalar_one()
    data = json.loads(entry.canonical)["data"]
    assert data["high_flags"] == ["shared_bank_account"] and len(data["justification_sha256"]) == 64
    assert why not in bytes(entry.canonical).decode()


def test_an_application_without_a_high_flag_is_approved_without_justification(client, app):
    make_program(budget="1000000.00")
    (farm,) = _farms(1)
    application = submit(farm, quantity="5")
    official = make_user("official")
    response = client.post(
        f"/api/v1/applications/{application.id}/approve", json={}, headers=bearer(official)
    )
    assert response.status_code == 200 and response.json["decision"]["justification"] is None
