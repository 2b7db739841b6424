"""The payments API through the test client: tranches, runs in queue order, four eyes on the
release, the stored pain.001 document read back by independent software (pyiso20022 + xsdata,
and libxml2 against ISO's schema), the bank's pain.002 reports, and what applications and
programs show afterwards. Every success body is validated against the service's own OpenAPI
description (schemathesis), as the fuzz test does for generated requests."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
import schemathesis
import sqlalchemy as sa
from lxml import etree
from pyiso20022.pain import pain_001_001_09 as pain001
from xsdata.formats.dataclass.parsers import XmlParser
from xsdata.formats.dataclass.parsers.config import ParserConfig

from subsidy.applications.models import Application
from subsidy.audit.models import AuditEntry
from subsidy.decisions.queries import latest_document_numbers
from subsidy.extensions import db
from subsidy.payments import iso20022
from subsidy.payments.models import Payment, PaymentStatus
from subsidy.programs.models import Program
from tests.factories import (
    approved,
    bearer,
    give_account,
    make_applicant,
    make_program,
    make_user,
    registry,
)

CODE = "TEST-HEADS-2026"
TRANCHES = f"/api/v1/programs/{CODE}/tranches"
RUNS = "/api/v1/payment-runs"
XSD = etree.XMLSchema(
    etree.parse(Path(__file__).parents[1] / "data" / "iso20022" / "pain.001.001.09.xsd")
)
STRICT = XmlParser(
    config=ParserConfig(
        fail_on_unknown_properties=True,
        fail_on_unknown_attributes=True,
        fail_on_converter_warnings=True,
    )
)
NEW_PATHS = (
    "/api/v1/programs/{code}/tranches",
    "/api/v1/payment-runs",
    "/api/v1/payment-runs/{run_id}",
    "/api/v1/payment-runs/{run_id}/release",
    "/api/v1/payment-runs/{run_id}/pain.001.xml",
    "/api/v1/payment-runs/{run_id}/status",
)


@pytest.fixture
def world(app, client):
    """A program of 100,000 with five approved applications of 10,000 each in queue order; the
    first applicant has no bank account; two treasurers, an official, an auditor."""
    program = make_program(budget="100000.00", threshold="50000.00")
    farms = [make_applicant() for _ in range(5)]
    registry(livestock=[(farm.iin_bin, "cattle", 20, 20) for farm in farms])
    for farm in farms[1:]:
        give_account(farm)
    applications = [approved(farm) for farm in farms]
    treasurer, treasurer2 = make_user("treasurer"), make_user("treasurer")
    farmer = make_user("applicant", applicant=farms[2])
    spec = client.get("/api/v1/openapi.json").json
    return SimpleNamespace(
        program=program,
        farms=farms,
        applications=applications,
        treasurer=bearer(treasurer),
        treasurer2=bearer(treasurer2),
        treasurer_id=treasurer.id,
        official=bearer(make_user("official")),
        auditor=bearer(make_user("auditor")),
        farmer=bearer(farmer),
        openapi=schemathesis.openapi.from_dict(spec),
        spec=spec,
    )


def documented(world, method: str, path: str, response) -> None:
    """The response is one the OpenAPI description documents (status, content type, body)."""
    world.openapi[path][method].validate_response(response)


def log_size() -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(AuditEntry)).scalar_one()


def entries(action: str) -> list[dict]:
    rows = db.session.execute(
        sa.select(AuditEntry.canonical)
        .where(AuditEntry.action == action)
        .order_by(AuditEntry.entry_index)
    ).scalars()
    return [json.loads(bytes(canonical)) for canonical in rows]


def money() -> tuple[Decimal, Decimal, Decimal]:
    """(released, scheduled, paid) of the program, read from its row (not the identity map)."""
    return tuple(
        db.session.execute(
            sa.select(Program.released_amount, Program.scheduled_amount, Program.paid_amount)
        ).one()
    )


def payments_of(run_id: int) -> list[Payment]:
    db.session.expire_all()
    return list(
        db.session.execute(
            sa.select(Payment).where(Payment.run_id == run_id).order_by(Payment.position)
        ).scalars()
    )


def add_tranche(client, world, amount: str, released_on: str = "2026-06-01"):
    response = client.post(
        TRANCHES, json={"amount": amount, "released_on": released_on}, headers=world.treasurer
    )
    assert response.status_code == 201, response.json
    return response


def prepare(client, world, headers=None):
    return client.post(RUNS, json={"program": CODE}, headers=headers or world.treasurer)


def released_run(client, world, amount: str = "40000.00") -> dict:
    add_tranche(client, world, amount)
    run = prepare(client, world)
    assert run.status_code == 201, run.json
    released = client.post(f"{RUNS}/{run.json['id']}/release", headers=world.treasurer2)
    assert released.status_code == 200, released.json
    return released.json


def status_report(run_id: int, statuses: dict, message_id: str | None = None) -> bytes:
    """A bank's pain.002.001.10 for the run: ``statuses`` maps end-to-end ids to (TxSts,
    reason)."""
    return iso20022.render_pain002(
        iso20022.StatusReport(
            message_id=message_id or f"BANK-{run_id}-{len(statuses)}",
            created_at=datetime(2026, 6, 16, 10, 0, tzinfo=UTC),
            original_message_id=f"RUN-{run_id}",
            group_status=None,
            transactions=tuple(
                iso20022.TransactionStatus(number, status, reason, None)
                for number, (status, reason) in statuses.items()
            ),
        )
    )


def post_report(client, world, run_id: int, data: bytes, content_type="application/xml"):
    return client.post(
        f"{RUNS}/{run_id}/status", data=data, content_type=content_type, headers=world.treasurer
    )


# --- the description ---------------------------------------------------------------------------


def test_the_openapi_description_has_the_payment_paths(client, world):
    paths = world.spec["paths"]
    for path in NEW_PATHS:
        assert path in paths, path
    assert "post" in paths["/api/v1/programs/{code}/tranches"]
    assert {"get", "post"} <= set(paths["/api/v1/payment-runs"])
    document = paths["/api/v1/payment-runs/{run_id}/pain.001.xml"]["get"]
    assert "application/xml" in document["responses"]["200"]["content"]
    report = paths["/api/v1/payment-runs/{run_id}/status"]["post"]
    assert "application/xml" in report["requestBody"]["content"]
    program = world.spec["components"]["schemas"]["Program"]["properties"]
    assert {"released", "scheduled", "paid"} <= set(program)


# --- tranches --------------------------------------------------------------------------------


def test_a_tranche_is_201_with_the_programs_money(client, world):
    response = add_tranche(client, world, "25000.00")
    documented(world, "POST", "/api/v1/programs/{code}/tranches", response)
    body = response.json
    assert body["tranche"]["amount"] == "25000.00"
    assert body["tranche"]["released_on"] == "2026-06-01"
    assert body["tranche"]["program"] == CODE
    assert body["money"] == {
        "budget": "100000.00",
        "committed": "50000.00",
        "released": "25000.00",
        "scheduled": "0.00",
        "paid": "0.00",
        "remaining": "50000.00",
        "available": "25000.00",
        "arrears": "50000.00",
    }
    [entry] = entries("tranche_released")
    assert entry["data"]["amount"] == "25000.00"
    assert entry["data"]["program_released"] == "25000.00"


def test_a_tranche_over_the_budget_is_409_and_writes_nothing(client, world):
    add_tranche(client, world, "90000.00")
    size = log_size()
    response = client.post(
        TRANCHES, json={"amount": "10000.01", "released_on": "2026-06-01"}, headers=world.treasurer
    )
    assert response.status_code == 409, response.json
    documented(world, "POST", "/api/v1/programs/{code}/tranches", response)
    assert "amount" in response.json["errors"]
    assert "10000.00" in response.json["errors"]["amount"][0]
    assert log_size() == size
    assert money()[0] == Decimal("90000.00")
    add_tranche(client, world, "10000.00")  # exactly the budget is fine
    assert money()[0] == Decimal("100000.00")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"amount": "abc", "released_on": "2026-06-01"}, "amount"),
        ({"amount": "0", "released_on": "2026-06-01"}, "amount"),
        ({"amount": "0.00", "released_on": "2026-06-01"}, "amount"),
        ({"amount": "-5.00", "released_on": "2026-06-01"}, "amount"),
        ({"amount": "1.234", "released_on": "2026-06-01"}, "amount"),
        ({"amount": 1000, "released_on": "2026-06-01"}, "amount"),
        ({"amount": 1000.5, "released_on": "2026-06-01"}, "amount"),
        ({"released_on": "2026-06-01"}, "amount"),
        ({"amount": "1000.00", "released_on": "2026-06-16"}, "released_on"),  # after "today"
        ({"amount": "1000.00", "released_on": "1 June"}, "released_on"),
        ({"amount": "1000.00"}, "released_on"),
        ({"amount": "1000.00", "released_on": "2026-06-01", "reference": "x" * 121}, "reference"),
    ],
)
def test_a_bad_tranche_is_422_naming_the_field(client, world, payload, field):
    size = log_size()
    response = client.post(TRANCHES, json=payload, headers=world.treasurer)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"], response.json
    assert log_size() == size
    assert money()[0] == 0


def test_only_a_treasurer_records_a_tranche(client, world):
    payload = {"amount": "1000.00", "released_on": "2026-06-01"}
    for headers in (world.official, world.auditor, world.farmer):
        assert client.post(TRANCHES, json=payload, headers=headers).status_code == 403
    assert client.post(TRANCHES, json=payload).status_code == 401
    assert money()[0] == 0
    unknown = client.post(
        "/api/v1/programs/NOPE-2026/tranches", json=payload, headers=world.treasurer
    )
    assert unknown.status_code == 404


# --- preparing -------------------------------------------------------------------------------


def test_a_run_takes_the_queue_in_order_and_skips_the_applicant_without_an_account(client, world):
    add_tranche(client, world, "25000.00")
    response = prepare(client, world)
    assert response.status_code == 201, response.json
    documented(world, "POST", "/api/v1/payment-runs", response)
    run = response.json
    apps = world.applications
    assert run["status"] == "prepared"
    assert run["program"] == CODE
    assert run["total_amount"] == "20000.00"
    assert run["item_count"] == 2
    assert run["sha256"] is None
    assert [(i["application"], i["number"], i["amount"]) for i in run["items"]] == [
        (apps[1].id, apps[1].number, "10000.00"),
        (apps[2].id, apps[2].number, "10000.00"),
    ]
    assert all(item["status"] == "scheduled" for item in run["items"])
    assert [i["position"] for i in run["items"]] == [1, 2]
    # The IBAN is masked in the API.
    assert all("…" in item["iban"] and len(item["iban"]) == 9 for item in run["items"])
    assert [(s["application"], s["reason"]) for s in run["skipped"]] == [
        (apps[0].id, "no_bank_account")
    ]
    assert run["waiting"]["application"] == apps[3].id
    assert run["waiting"]["amount"] == "10000.00"
    assert run["waiting"]["available"] == "5000.00"
    assert run["reconciliation"]["balanced"] is True
    assert run["reconciliation"]["pending"] == {"count": 2, "amount": "20000.00"}
    assert money() == (Decimal("25000.00"), Decimal("20000.00"), Decimal("0.00"))
    # The skipped one keeps its place: given an account, the next run pays it first.
    give_account(world.farms[0])
    add_tranche(client, world, "5000.00")
    second = prepare(client, world)
    assert second.status_code == 201, second.json
    assert [i["application"] for i in second.json["items"]] == [apps[0].id]
    assert second.json["skipped"] == []
    assert second.json["waiting"]["application"] == apps[3].id


def test_nothing_to_pay_is_409_and_writes_nothing(client, world):
    size = log_size()
    response = prepare(client, world)
    assert response.status_code == 409, response.json
    assert response.json["code"] == "nothing_to_pay"
    documented(world, "POST", "/api/v1/payment-runs", response)
    add_tranche(client, world, "9999.99")  # less than the first in the queue
    size = log_size()
    again = prepare(client, world)
    assert again.status_code == 409 and again.json["code"] == "nothing_to_pay"
    assert log_size() == size
    assert client.get(RUNS, headers=world.treasurer).json["items"] == []


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"program": "NOPE-2026"}, "program"), ({}, "program"), ({"program": ""}, "program")],
)
def test_a_run_of_an_unknown_program_is_422_naming_program(client, world, payload, field):
    response = client.post(RUNS, json=payload, headers=world.treasurer)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]


def test_only_a_treasurer_prepares_and_releases(client, world):
    add_tranche(client, world, "20000.00")
    for headers in (world.official, world.auditor, world.farmer):
        assert prepare(client, world, headers).status_code == 403
    assert client.post(RUNS, json={"program": CODE}).status_code == 401
    run = prepare(client, world).json
    for headers in (world.official, world.auditor, world.farmer):
        assert client.post(f"{RUNS}/{run['id']}/release", headers=headers).status_code == 403


def test_runs_are_listed_and_read(client, world):
    add_tranche(client, world, "20000.00")
    prepared = prepare(client, world).json
    listed = client.get(RUNS, headers=world.auditor)
    assert listed.status_code == 200
    documented(world, "GET", "/api/v1/payment-runs", listed)
    assert [run["id"] for run in listed.json["items"]] == [prepared["id"]]
    assert listed.json["next"] is None
    summary = listed.json["items"][0]
    assert "items" not in summary
    assert summary["total_amount"] == "20000.00" and summary["status"] == "prepared"
    filtered = client.get(f"{RUNS}?program={CODE}", headers=world.treasurer)
    assert [run["id"] for run in filtered.json["items"]] == [prepared["id"]]
    assert client.get(f"{RUNS}?program=NOPE", headers=world.treasurer).status_code == 422
    read = client.get(f"{RUNS}/{prepared['id']}", headers=world.treasurer2)
    assert read.status_code == 200
    documented(world, "GET", "/api/v1/payment-runs/{run_id}", read)
    assert read.json["items"] == prepared["items"]
    assert read.json["skipped"] == prepared["skipped"]
    assert {k: v for k, v in read.json.items() if k != "waiting"} == {
        k: v for k, v in prepared.items() if k != "waiting"
    }
    assert client.get(f"{RUNS}/{prepared['id']}", headers=world.official).status_code == 403
    assert client.get(f"{RUNS}/{prepared['id'] + 1000}", headers=world.auditor).status_code == 404


# --- releasing and the document --------------------------------------------------------------


def test_the_release_needs_another_treasurer_and_happens_once(client, world):
    add_tranche(client, world, "40000.00")
    run = prepare(client, world).json
    url = f"{RUNS}/{run['id']}/release"
    same = client.post(url, headers=world.treasurer)
    assert same.status_code == 403, same.json
    assert client.get(f"{RUNS}/{run['id']}/pain.001.xml", headers=world.auditor).status_code == 404
    released = client.post(url, headers=world.treasurer2)
    assert released.status_code == 200, released.json
    documented(world, "POST", "/api/v1/payment-runs/{run_id}/release", released)
    assert released.json["status"] == "released"
    sha256 = released.json["sha256"]
    assert len(sha256) == 64 and int(sha256, 16) >= 0
    assert released.json["released_by_id"] != released.json["prepared_by_id"]
    size = log_size()
    twice = client.post(url, headers=world.treasurer2)
    assert twice.status_code == 409, twice.json
    assert log_size() == size
    assert client.get(f"{RUNS}/{run['id']}", headers=world.auditor).json["sha256"] == sha256


def test_the_document_is_served_as_stored_and_its_hash_is_in_the_log(client, world):
    run = released_run(client, world)
    url = f"{RUNS}/{run['id']}/pain.001.xml"
    first = client.get(url, headers=world.treasurer)
    assert first.status_code == 200
    documented(world, "GET", "/api/v1/payment-runs/{run_id}/pain.001.xml", first)
    assert first.mimetype == "application/xml"
    second = client.get(url, headers=world.auditor)
    assert second.status_code == 200
    assert first.data == second.data
    digest = hashlib.sha256(first.data).hexdigest()
    assert digest == run["sha256"] == first.headers["X-Content-SHA256"]
    [entry] = entries("payment_run_released")
    assert entry["subject"] == f"payment_run:{run['id']}"
    assert entry["data"]["sha256"] == digest
    assert entry["data"]["format"] == "pain.001.001.09"
    assert entry["data"]["items"] == 4 and entry["data"]["total"] == "40000.00"
    assert client.get(url, headers=world.official).status_code == 403
    assert client.get(url, headers=world.farmer).status_code == 403


def test_the_document_read_by_independent_software_matches_the_payments(app, client, world):
    run = released_run(client, world)
    data = client.get(f"{RUNS}/{run['id']}/pain.001.xml", headers=world.auditor).data
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = etree.fromstring(data)
    assert XSD.validate(root), XSD.error_log

    rows = payments_of(run["id"])
    assert [p.application_id for p in rows] == [a.id for a in world.applications[1:5]]
    parsed = STRICT.from_bytes(data, pain001.Document)
    header = parsed.cstmr_cdt_trf_initn.grp_hdr
    total = sum((p.amount for p in rows), Decimal(0))
    assert header.msg_id == f"RUN-{run['id']}"
    assert header.nb_of_txs == str(len(rows)) == "4"
    assert header.ctrl_sum == total == Decimal("40000.00")
    assert header.initg_pty.nm == app.config["PAYER_NAME"]
    [block] = parsed.cstmr_cdt_trf_initn.pmt_inf
    assert (block.nb_of_txs, block.ctrl_sum) == (header.nb_of_txs, header.ctrl_sum)
    assert block.dbtr.nm == app.config["PAYER_NAME"]
    assert block.dbtr.id.org_id.othr[0].id == app.config["PAYER_BIN"]
    assert block.dbtr_acct.id.iban == app.config["PAYER_IBAN"]
    assert block.dbtr_agt.fin_instn_id.bicfi == app.config["PAYER_BIC"]
    assert len(block.cdt_trf_tx_inf) == len(rows)
    for transaction, payment in zip(block.cdt_trf_tx_inf, rows, strict=True):
        application = db.session.get(Application, payment.application_id)
        assert transaction.pmt_id.end_to_end_id == payment.end_to_end_id == application.number
        assert transaction.amt.instd_amt.value == payment.amount == application.approved_amount
        assert transaction.amt.instd_amt.ccy == "KZT"
        assert transaction.cdtr_acct.id.iban == payment.creditor_iban == application.applicant.iban
        assert transaction.cdtr_agt.fin_instn_id.bicfi == payment.creditor_bic
        assert transaction.cdtr.nm == payment.creditor_name == application.applicant.name
        [remittance] = transaction.rmt_inf.ustrd
        assert remittance == payment.remittance
        assert CODE in remittance and application.number in remittance
        # Every approval here issued its decision document: the remittance names it.
        decision = latest_document_numbers([application.id])[application.id]
        assert f"решение № {decision}" in remittance


# --- the bank's status reports ---------------------------------------------------------------


def test_a_status_report_needs_xml(client, world):
    run = released_run(client, world)
    number = world.applications[1].number
    data = status_report(run["id"], {number: ("ACSC", None)})
    size = log_size()
    for content_type in ("application/json", "text/plain", "application/octet-stream"):
        response = post_report(client, world, run["id"], data, content_type)
        assert response.status_code == 422, response.json
        assert "Content-Type" in response.json["errors"]
    as_json = client.post(
        f"{RUNS}/{run['id']}/status", json={"report": "x"}, headers=world.treasurer
    )
    assert as_json.status_code == 422
    assert log_size() == size
    assert money()[2] == 0
    broken = post_report(client, world, run["id"], b"<Document>")
    assert broken.status_code == 422 and "file" in broken.json["errors"]
    text_xml = post_report(client, world, run["id"], data, "text/xml")
    assert text_xml.status_code == 200 and text_xml.json["applied"] is True


def test_an_unknown_end_to_end_id_is_422_naming_it_and_nothing_is_written(client, world):
    run = released_run(client, world)
    apps = world.applications
    data = status_report(
        run["id"],
        {apps[1].number: ("ACSC", None), "NOT-IN-RUN-000001": ("ACSC", None)},
    )
    size, before = log_size(), money()
    response = post_report(client, world, run["id"], data)
    assert response.status_code == 422, response.json
    assert "TxInfAndSts[2]/OrgnlEndToEndId" in response.json["errors"]
    assert "NOT-IN-RUN-000001" in response.json["message"]
    assert log_size() == size
    assert money() == before == (Decimal("40000.00"), Decimal("40000.00"), Decimal("0.00"))
    assert {p.status for p in payments_of(run["id"])} == {PaymentStatus.SCHEDULED}
    read = client.get(f"{RUNS}/{run['id']}", headers=world.auditor).json
    assert read["reports"] == []
    shown = client.get(f"/api/v1/applications/{apps[1].id}", headers=world.official).json
    assert shown["status"] == "approved" and shown["payment"]["status"] == "scheduled"


def test_a_report_pays_and_the_same_report_twice_changes_nothing(client, world):
    run = released_run(client, world)
    apps = world.applications
    data = status_report(
        run["id"], {apps[1].number: ("ACSC", None), apps[2].number: ("PDNG", None)}
    )
    first = post_report(client, world, run["id"], data)
    assert first.status_code == 200, first.json
    documented(world, "POST", "/api/v1/payment-runs/{run_id}/status", first)
    assert first.json["applied"] is True
    assert (first.json["paid"], first.json["returned"], first.json["pending"]) == (1, 0, 3)
    assert first.json["run"]["reconciliation"]["paid"] == {"count": 1, "amount": "10000.00"}
    assert first.json["run"]["reconciliation"]["balanced"] is True
    [report] = first.json["run"]["reports"]
    assert report["sha256"] == hashlib.sha256(data).hexdigest()
    size, after = log_size(), money()
    assert after == (Decimal("40000.00"), Decimal("30000.00"), Decimal("10000.00"))
    again = post_report(client, world, run["id"], data)
    assert again.status_code == 200, again.json
    documented(world, "POST", "/api/v1/payment-runs/{run_id}/status", again)
    assert again.json["applied"] is False
    assert (again.json["paid"], again.json["returned"]) == (0, 0)
    assert log_size() == size
    assert money() == after
    assert len(again.json["run"]["reports"]) == 1

    shown = client.get(f"/api/v1/applications/{apps[1].id}", headers=world.official)
    assert shown.status_code == 200
    documented(world, "GET", "/api/v1/applications/{application_id}", shown)
    assert shown.json["status"] == "paid"
    assert shown.json["payment"] == {
        "status": "paid",
        "run": run["id"],
        "amount": "10000.00",
        "paid_on": "2026-06-16",  # CreDtTm 10:00 UTC, a day in Kazakhstan
        "reason": None,
    }
    # The farmer sees its own application's payment too (pending: still scheduled).
    own = client.get(f"/api/v1/applications/{apps[2].id}", headers=world.farmer).json
    assert own["status"] == "approved"
    assert own["payment"] == {
        "status": "scheduled",
        "run": run["id"],
        "amount": "10000.00",
        "paid_on": None,
        "reason": None,
    }


def test_a_returned_payment_shows_its_reason_and_is_paid_first_in_the_next_run(client, world):
    run = released_run(client, world, "30000.00")
    apps = world.applications
    data = status_report(
        run["id"],
        {
            apps[1].number: ("RJCT", "AM05"),
            apps[2].number: ("ACSC", None),
            apps[3].number: ("ACCC", None),
        },
    )
    response = post_report(client, world, run["id"], data)
    assert response.status_code == 200, response.json
    assert (response.json["paid"], response.json["returned"], response.json["pending"]) == (2, 1, 0)
    shown = client.get(f"/api/v1/applications/{apps[1].id}", headers=world.official).json
    assert shown["status"] == "approved"
    assert shown["payment"] == {
        "status": "returned",
        "run": run["id"],
        "amount": "10000.00",
        "paid_on": None,
        "reason": "AM05",
    }
    assert money() == (Decimal("30000.00"), Decimal("0.00"), Decimal("20000.00"))
    # The returned 10,000 is available again: the next run pays the returned one first, then
    # the next in the queue with a new tranche.
    add_tranche(client, world, "10000.00")
    again = prepare(client, world)
    assert again.status_code == 201, again.json
    assert [i["application"] for i in again.json["items"]] == [apps[1].id, apps[4].id]
    assert [s["application"] for s in again.json["skipped"]] == [apps[0].id]


def test_programs_show_released_scheduled_and_paid(client, world):
    run = released_run(client, world)
    apps = world.applications
    post_report(
        client, world, run["id"], status_report(run["id"], {apps[1].number: ("ACSC", None)})
    )
    listed = client.get("/api/v1/programs")
    assert listed.status_code == 200
    documented(world, "GET", "/api/v1/programs", listed)
    [program] = [p for p in listed.json if p["code"] == CODE]
    assert program["budget"] == "100000.00"
    assert program["committed"] == "50000.00"
    assert program["remaining"] == "50000.00"
    assert program["released"] == "40000.00"
    assert program["scheduled"] == "30000.00"
    assert program["paid"] == "10000.00"
    one = client.get(f"/api/v1/programs/{CODE}").json
    assert (one["released"], one["scheduled"], one["paid"]) == ("40000.00", "30000.00", "10000.00")


def test_a_cancelled_run_puts_its_applications_back(client, world):
    add_tranche(client, world, "20000.00")
    run = prepare(client, world).json
    cancelled = client.post(f"{RUNS}/{run['id']}/cancel", headers=world.treasurer)
    assert cancelled.status_code == 200, cancelled.json
    assert cancelled.json["status"] == "cancelled"
    assert money()[1] == 0
    shown = client.get(f"/api/v1/applications/{world.applications[1].id}", headers=world.official)
    assert shown.json["payment"] is None
    again = prepare(client, world).json
    assert [i["application"] for i in again["items"]] == [a.id for a in world.applications[1:3]]
    assert client.post(f"{RUNS}/{run['id']}/release", headers=world.treasurer2).status_code == 409
