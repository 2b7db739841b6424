"""The treasurer's pages (/payments) through the client: who sees what in every language, the
whole flow from a tranche to the farmer's paid application, refusals that write nothing, and
CSRF on every POST."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from subsidy.applications.models import Application, Status
from subsidy.audit.models import AuditEntry
from subsidy.extensions import db
from subsidy.payments import iso20022, services
from subsidy.payments.models import Payment, PaymentRun, Tranche
from tests.factories import (
    PASSWORD,
    approved,
    give_account,
    make_applicant,
    make_program,
    make_user,
    registry,
    tranche,
)

PROGRAM = "TEST-HEADS-2026"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]*)"')


def _csrf(html: str) -> str:
    return CSRF.search(html).group(1)


def _login(client, user) -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": user.username, "password": PASSWORD, "csrf_token": _csrf(page.text)},
    )
    assert response.status_code == 302


def _logout(client) -> None:
    page = client.get("/")
    client.post("/logout", data={"csrf_token": _csrf(page.text)})


def _post(client, path: str, page: str = "/payments", **data):
    token = _csrf(client.get(page).text)
    return client.post(path, data={"csrf_token": token, **data})


@pytest.fixture
def world(app):
    """Three approved applications of 10,000 in queue order: the first without a bank account
    (a run passes it over), then the farmer's, then another."""
    program = make_program(PROGRAM, budget="100000.00", threshold="50000.00")
    nobank, farm, other = (make_applicant() for _ in range(3))
    registry(livestock=[(f.iin_bin, "cattle", 20, 20) for f in (nobank, farm, other)])
    give_account(farm)
    give_account(other)
    applications = [approved(f) for f in (nobank, farm, other)]
    return {
        "program": program,
        "nobank": applications[0],
        "mine": applications[1],
        "other": applications[2],
        "farmer": make_user("applicant", applicant=farm),
        "treasurer": make_user("treasurer"),
        "treasurer2": make_user("treasurer"),
        "auditor": make_user("auditor"),
        "official": make_user("official"),
    }


def _released_run(world, amount="15000.00"):
    tranche(world["program"], amount, treasurer=world["treasurer"])
    run = services.prepare_run(program=world["program"], user=world["treasurer"]).run
    services.release_run(run_id=run.id, user=world["treasurer2"])
    return run


def _report(run_id: int, statuses: dict[str, tuple[str, str | None]], message="BANK-1") -> bytes:
    return iso20022.render_pain002(
        iso20022.StatusReport(
            message_id=message,
            created_at=datetime(2026, 6, 16, 9, 30, tzinfo=UTC),
            original_message_id=f"RUN-{run_id}",
            group_status=None,
            transactions=tuple(
                iso20022.TransactionStatus(number, status, reason, None)
                for number, (status, reason) in statuses.items()
            ),
        )
    )


def _upload(client, run_id: int, data: bytes, name="pain.002.xml"):
    page = client.get(f"/payments/runs/{run_id}")
    return client.post(
        f"/payments/runs/{run_id}/status",
        data={"csrf_token": _csrf(page.text), "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _log_size() -> int:
    return db.session.execute(sa.select(sa.func.count(AuditEntry.entry_index))).scalar_one()


def _count(model) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def _reload(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


# --- who sees what ---------------------------------------------------------------------------

TITLES = {"ru": "Выплаты", "kk": "Төлемдер", "en": "Payments"}


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
@pytest.mark.parametrize("role", ["treasurer", "auditor"])
def test_the_pages_render_for_treasurers_and_auditors_in_every_language(client, world, role, lang):
    run = _released_run(world)
    _login(client, world[role])
    index = client.get(f"/payments?lang={lang}")
    assert index.status_code == 200
    assert f'<html lang="{lang}">' in index.text and TITLES[lang] in index.text
    assert PROGRAM in index.text and f"RUN-{run.id}" in index.text
    assert 'href="/payments"' in index.text  # the header's link
    page = client.get(f"/payments/runs/{run.id}?lang={lang}")
    assert page.status_code == 200
    assert world["mine"].number in page.text and run.document_sha256 in page.text


def test_the_auditor_reads_but_sees_no_forms(client, world):
    run = _released_run(world)
    tranche(world["program"], "10000.00", treasurer=world["treasurer"])
    prepared = services.prepare_run(program=world["program"], user=world["treasurer"]).run
    _login(client, world["auditor"])
    index = client.get("/payments?lang=en").text
    assert "tranche-form" not in index and "prepare-form" not in index
    released = client.get(f"/payments/runs/{run.id}?lang=en").text
    assert 'id="download"' in released and 'id="report-form"' not in released
    waiting = client.get(f"/payments/runs/{prepared.id}?lang=en").text
    assert 'id="release-form"' not in waiting and 'id="cancel-form"' not in waiting
    # The auditor may open the applications, so their numbers are links.
    assert f'href="/applications/{world["other"].id}"' in waiting
    document = client.get(f"/payments/runs/{run.id}/pain.001.xml")
    assert document.status_code == 200
    before = _count(Tranche)
    refused = _post(client, "/payments/tranches", program=PROGRAM, amount="1", released_on="")
    assert refused.status_code == 403 and _count(Tranche) == before


def test_other_roles_may_not_open_the_pages(client, world):
    assert client.get("/payments").status_code == 302  # anonymous: the login form
    for role in ("farmer", "official"):
        _login(client, world[role])
        assert client.get("/payments").status_code == 403
        assert 'href="/payments"' not in client.get("/").text
        _logout(client)


# --- the whole flow --------------------------------------------------------------------------


def test_tranche_prepare_release_download_report_and_the_farmer_sees_paid(client, world):
    mine = world["mine"]
    _login(client, world["treasurer"])
    recorded = _post(
        client,
        "/payments/tranches",
        program=PROGRAM,
        amount="15 000,00",
        released_on="2026-06-01",
        reference="KAZNA-42",
    )
    assert recorded.status_code == 302
    index = client.get("/payments?lang=en").text
    assert "KAZNA-42" in index and "15,000.00" in index

    prepared = _post(client, "/payments/runs", program=PROGRAM)
    assert prepared.status_code == 302
    run_url = prepared.headers["Location"]
    run_id = int(run_url.rsplit("/", 1)[1])
    page = client.get(run_url + "?lang=en").text
    assert mine.number in page and "KZ" in page and "…" in page  # the masked IBAN
    assert "no valid bank account" in page and world["nobank"].number in page
    assert world["other"].number in page  # the flash and the notice: the money ran out there
    assert 'id="four-eyes"' in page and 'id="release-form"' not in page
    # The treasurer who prepared it may not release it: 403, still prepared.
    own = _post(client, f"{run_url}/release", page=run_url)
    assert own.status_code == 403 and 'id="run-error"' in own.text
    assert _reload(PaymentRun, run_id).status.value == "prepared"
    _logout(client)

    _login(client, world["treasurer2"])
    page = client.get(run_url + "?lang=en").text
    assert 'id="release-form"' in page and "<details" in page  # asked to confirm
    assert _post(client, f"{run_url}/release", page=run_url).status_code == 302
    released = client.get(run_url + "?lang=en").text
    assert 'id="download"' in released and 'id="report-form"' in released

    document = client.get(f"{run_url}/pain.001.xml")
    assert document.status_code == 200 and document.mimetype == "application/xml"
    assert "attachment" in document.headers["Content-Disposition"]
    digest = hashlib.sha256(document.data).hexdigest()
    assert digest in released and f"<MsgId>RUN-{run_id}</MsgId>".encode() in document.data
    assert mine.number.encode() in document.data

    report = _report(run_id, {mine.number: ("ACSC", None)})
    applied = _upload(client, run_id, report)
    assert applied.status_code == 302
    page = client.get(run_url + "?lang=en").text
    assert "1 paid, 0 returned, 0 pending" in page and 'class="badge ok balanced"' in page
    again = _upload(client, run_id, report)
    assert again.status_code == 302
    assert "applied before: nothing changed" in client.get(run_url + "?lang=en").text
    assert _reload(Application, mine.id).status is Status.PAID
    _logout(client)

    _login(client, world["farmer"])
    application = client.get(f"/applications/{mine.id}?lang=en").text
    assert 'id="payment-status"' in application
    assert "paid 10,000.00 ₸ on Jun 16, 2026" in application
    listing = client.get("/applications?lang=en").text
    assert "paid 10,000.00 ₸" in listing


def test_the_farmer_sees_a_scheduled_and_a_returned_payment(client, world):
    run = _released_run(world)
    mine = world["mine"]
    _login(client, world["farmer"])
    assert f"scheduled in payment run {run.id}" in client.get(f"/applications/{mine.id}").text
    services.apply_status_report(
        run_id=run.id, data=_report(run.id, {mine.number: ("RJCT", "AC04")}), actor="test"
    )
    db.session.commit()
    page = client.get(f"/applications/{mine.id}?lang=en").text
    assert "returned by the bank: AC04 (closed account)" in page
    assert "Check the bank account in your profile." in page
    ru = client.get(f"/applications/{mine.id}?lang=ru").text
    assert "AC04 (счёт закрыт)" in ru


def test_a_treasurer_cancels_a_prepared_run(client, world):
    tranche(world["program"], "15000.00", treasurer=world["treasurer"])
    run = services.prepare_run(program=world["program"], user=world["treasurer"]).run
    db.session.commit()
    _login(client, world["treasurer"])
    url = f"/payments/runs/{run.id}"
    assert 'id="cancel-form"' in client.get(url).text
    assert _post(client, f"{url}/cancel", page=url).status_code == 302
    assert _reload(PaymentRun, run.id).status.value == "cancelled"
    assert _reload(Application, world["mine"].id).payment_status is None
    assert client.get(f"{url}/pain.001.xml").status_code == 404


# --- refusals --------------------------------------------------------------------------------


def test_nothing_to_pay_is_shown_and_nothing_written(client, world):
    _login(client, world["treasurer"])
    before = _log_size()
    refused = _post(client, "/payments/runs", program=PROGRAM)
    assert refused.status_code == 409
    assert 'id="payments-error"' in refused.text and "record a tranche first" in refused.text
    assert _count(PaymentRun) == 0 and _log_size() == before


def test_a_tranche_over_the_budget_is_refused(client, world):
    _login(client, world["treasurer"])
    before = _log_size()
    refused = _post(
        client, "/payments/tranches", program=PROGRAM, amount="100000.01", released_on="2026-06-01"
    )
    assert refused.status_code == 409
    assert "at most 100,000.00 ₸ more" in refused.text
    assert _count(Tranche) == 0 and _log_size() == before


@pytest.mark.parametrize(
    ("fields", "shown"),
    [
        ({"amount": "ten", "released_on": "2026-06-01"}, "Enter an amount greater than 0."),
        ({"amount": "-5", "released_on": "2026-06-01"}, "Enter an amount greater than 0."),
        ({"amount": "1.001", "released_on": "2026-06-01"}, "At most 2 decimal places"),
        ({"amount": "100", "released_on": "01.06.2026"}, "Enter a date (YYYY-MM-DD)."),
        ({"amount": "100", "released_on": "2026-06-16"}, "must not be in the future"),
        ({"amount": "100", "released_on": "2026-06-01", "reference": "x" * 121}, "At most 120"),
        ({"program": "NO-SUCH", "amount": "100", "released_on": "2026-06-01"}, "Choose a program"),
    ],
)
def test_a_tranche_with_a_wrong_field_is_refused_next_to_it(client, world, fields, shown):
    _login(client, world["treasurer"])
    before = _log_size()
    refused = _post(client, "/payments/tranches", **{"program": PROGRAM, **fields})
    assert refused.status_code == 422
    assert shown in refused.text
    assert _count(Tranche) == 0 and _log_size() == before


def test_a_status_report_naming_another_payment_is_refused(client, world):
    run = _released_run(world)
    db.session.commit()
    _login(client, world["treasurer"])
    before = _log_size()
    foreign = _upload(client, run.id, _report(run.id, {"NOT-IN-RUN": ("ACSC", None)}))
    assert foreign.status_code == 422
    assert "OrgnlEndToEndId" in foreign.text and "NOT-IN-RUN" in foreign.text
    garbage = _upload(client, run.id, b"not xml at all")
    assert garbage.status_code == 422 and 'id="run-error"' in garbage.text
    missing = _post(client, f"/payments/runs/{run.id}/status", page=f"/payments/runs/{run.id}")
    assert missing.status_code == 422 and "Choose the status report file." in missing.text
    assert _log_size() == before
    payment = db.session.execute(sa.select(Payment).where(Payment.run_id == run.id)).scalar_one()
    assert _reload(Payment, payment.id).status.value == "scheduled"


def test_an_unknown_run_is_not_found(client, world):
    _login(client, world["treasurer"])
    assert client.get("/payments/runs/999999").status_code == 404
    assert client.get("/payments/runs/999999/pain.001.xml").status_code == 404
    assert _post(client, "/payments/runs/999999/release").status_code == 404


# --- CSRF ------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["tranches", "runs", "release", "cancel", "status"])
def test_every_post_needs_its_csrf_token(client, world, action):
    tranche(world["program"], "15000.00", treasurer=world["treasurer"])
    prepared = services.prepare_run(program=world["program"], user=world["treasurer"]).run
    db.session.commit()
    _login(client, world["treasurer2"])
    before = _log_size()
    path = {
        "tranches": "/payments/tranches",
        "runs": "/payments/runs",
        "release": f"/payments/runs/{prepared.id}/release",
        "cancel": f"/payments/runs/{prepared.id}/cancel",
        "status": f"/payments/runs/{prepared.id}/status",
    }[action]
    data = {"program": PROGRAM, "amount": "100", "released_on": "2026-06-01"}
    assert client.post(path, data=data).status_code == 400
    assert _log_size() == before
    assert _reload(PaymentRun, prepared.id).status.value == "prepared"
