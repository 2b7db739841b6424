"""Treasurer A records a tranche and prepares a payment run; treasurer B releases it, downloads
its pain.001 and uploads the bank's pain.002 saying the first payment was credited; the farmer
sees the application paid, and the public waiting list no longer lists it.

A server of its own on a small database built through the services (the shared demo server
already pays the demo farmer), checked for horizontal overflow at 1280 and 375 px like the
other journeys; with SUBSIDY_SCREENSHOTS=<folder> the pages are saved there."""

from __future__ import annotations

import hashlib
import re
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.browser.conftest import login
from tests.browser.test_farmer_official_journey import look

PROGRAM = "TEST-HEADS-2026"


@pytest.fixture(scope="module")
def treasury(browser, tmp_path_factory):
    """The app on a database of its own: three approved applications of 10,000 in queue order,
    the first without a bank account, then the farmer's, then another farm's."""
    from flask_migrate import upgrade

    from subsidy import create_app
    from subsidy.extensions import db
    from tests import factories

    folder = tmp_path_factory.mktemp("treasury")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'treasury.db'}",
            "INSTANCE_PATH": folder,
            "SIGNING_KEY_PATH": str(folder / "signing_key.pem"),
            "SECRET_KEY": "browser-treasury",
            "RATELIMIT_ENABLED": False,
            "TODAY": "2026-06-15",
        }
    )
    with app.app_context():
        upgrade()
        factories.make_program(PROGRAM, budget="100000.00", threshold="50000.00")
        nobank, farm, other = (factories.make_applicant() for _ in range(3))
        factories.registry(livestock=[(f.iin_bin, "cattle", 20, 20) for f in (nobank, farm, other)])
        factories.give_account(farm)
        factories.give_account(other)
        applications = [factories.approved(f) for f in (nobank, farm, other)]
        for username, role, applicant in (
            ("kassa-a", "treasurer", None),
            ("kassa-b", "treasurer", None),
            ("fermer", "applicant", farm),
        ):
            factories.make_user(role, applicant=applicant, username=username)
        numbers = [a.number for a in applications]
        mine_id = applications[1].id
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {
        "url": f"http://127.0.0.1:{server.server_port}",
        "nobank": numbers[0],
        "mine": numbers[1],
        "other": numbers[2],
        "mine_id": mine_id,
        "folder": folder,
    }
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def violations():
    """What the browser reports against the Content-Security-Policy (no inline script or style)."""
    return []


@pytest.fixture
def open_page(browser, treasury, violations):
    contexts = []

    def make(username: str | None = None):
        context = browser.new_context(
            base_url=treasury["url"], viewport={"width": 1280, "height": 900}, accept_downloads=True
        )
        contexts.append(context)
        page = context.new_page()
        page.on(
            "console",
            lambda message: (
                violations.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        if username:
            from tests.factories import PASSWORD

            login(page, username, PASSWORD)
        return page

    yield make
    for context in contexts:
        context.close()


def _fits_a_phone(page, name: str) -> None:
    page.set_viewport_size({"width": 375, "height": 900})
    width = page.evaluate("document.documentElement.scrollWidth")
    page.set_viewport_size({"width": 1280, "height": 900})
    assert width <= 375, f"{name} overflows at 375px ({width}px wide)"


def _status_report(run_id: int, number: str) -> bytes:
    from subsidy.payments import iso20022

    return iso20022.render_pain002(
        iso20022.StatusReport(
            message_id=f"BANK-{run_id}-1",
            created_at=datetime(2026, 6, 15, 10, 0, tzinfo=UTC),
            original_message_id=f"RUN-{run_id}",
            group_status=None,
            transactions=(iso20022.TransactionStatus(number, "ACSC", None, None),),
        )
    )


def test_two_treasurers_pay_the_queue_and_the_farmer_sees_it_paid(treasury, open_page, violations):
    card = f"#program-{PROGRAM}"
    first = open_page("kassa-a")
    first.goto("/payments?lang=en")
    first.fill(f"#amount-{PROGRAM}", "15 000")
    first.fill(f"#reference-{PROGRAM}", "KAZNA-2026-001")
    first.click(f"{card} .tranche-form button[type=submit]")
    first.wait_for_load_state()
    assert "Tranche of 15,000.00 ₸ recorded" in first.locator(".flash").inner_text()
    assert "15,000.00" in first.locator(f"{card} dd.available").inner_text()
    first.click(f"{card} .prepare-form button[type=submit]")
    first.wait_for_url(re.compile(r"/payments/runs/\d+$"))
    run_url = first.url
    run_id = int(run_url.rsplit("/", 1)[1])
    assert first.locator("#four-eyes").is_visible()
    assert first.locator("#release-form").count() == 0
    assert first.locator("#items tbody tr").count() == 1
    assert first.locator("#skipped").inner_text().count(treasury["nobank"]) == 1
    assert treasury["other"] in first.locator("#waiting").inner_text()
    look(first, "treasurer-run-prepared")

    second = open_page("kassa-b")
    second.goto(run_url + "?lang=en")
    second.click("#release summary")  # the confirmation opens; nothing is sent yet
    assert second.locator("#release-form").is_visible()
    second.click("#release-form button[type=submit]")
    second.wait_for_load_state()
    assert "released" in second.locator("#run-status").inner_text()
    with second.expect_download() as download:
        second.click("#download")
    document = Path(download.value.path()).read_bytes()
    sha256 = second.locator("#document-sha256").inner_text().strip()
    assert hashlib.sha256(document).hexdigest() == sha256
    assert f"<MsgId>RUN-{run_id}</MsgId>".encode() in document

    number = second.locator("#items tbody tr").first.get_attribute("data-number")
    assert number == treasury["mine"]
    report = treasury["folder"] / "pain.002.xml"
    report.write_bytes(_status_report(run_id, number))
    second.set_input_files("#report-form input[type=file]", str(report))
    second.click("#report-form button[type=submit]")
    second.wait_for_load_state()
    assert "1 paid, 0 returned, 0 pending" in second.locator(".flash").inner_text()
    assert second.locator("#reconciliation .balanced").is_visible()
    look(second, "treasurer-run-paid")
    second.goto("/payments?lang=en")
    assert second.locator("#runs tbody tr").count() == 1
    look(second, "treasurer-payments")
    for path in ("/payments?lang=kk", f"{run_url}?lang=kk", "/payments?lang=ru"):
        second.goto(path)  # the longest words: Kazakh and Russian fit a phone too
        _fits_a_phone(second, path)

    farmer = open_page("fermer")
    farmer.goto(f"/applications/{treasury['mine_id']}?lang=en")
    assert "paid" in farmer.locator("#status").inner_text()
    assert "paid 10,000.00 ₸ on Jun 15, 2026" in farmer.locator("#payment-status").inner_text()
    look(farmer, "farmer-paid")

    public = open_page()
    response = public.goto(f"/transparency/queue?program={PROGRAM}&lang=en")
    assert response.status == 200
    waiting = public.locator("main").inner_text()
    assert treasury["other"] in waiting and treasury["mine"] not in waiting
    assert violations == []
