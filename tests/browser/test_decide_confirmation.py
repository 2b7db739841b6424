"""The decide forms need a confirmation step: an official's Approve or Reject and a farmer's
Withdraw each answer with what will be recorded and a second button, at 375 and 1280 px; an
empty reason is refused by the page, in its language; on a phone the two forms stand apart.

A server of its own on a small database built through the services, like the appeal and
treasurer journeys (the shared demo server's applications belong to the other journeys)."""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from tests.browser.conftest import login
from tests.factories import PASSWORD

WIDTHS = (375, 1280)


@pytest.fixture(scope="module")
def deciding(browser, tmp_path_factory):
    """Four submitted applications of 10,000 (one per width for approving, then rejecting), and
    the farmer's own, to withdraw."""
    from flask_migrate import upgrade

    from subsidy import create_app
    from subsidy.extensions import db
    from tests import factories

    folder = tmp_path_factory.mktemp("deciding")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'deciding.db'}",
            "INSTANCE_PATH": folder,
            "SIGNING_KEY_PATH": str(folder / "signing_key.pem"),
            "SECRET_KEY": "browser-deciding",
            "RATELIMIT_ENABLED": False,
            "TODAY": "2026-06-15",
        }
    )
    with app.app_context():
        upgrade()
        factories.make_program(budget="1000000.00", threshold="500000.00")
        farms = [factories.make_applicant() for _ in range(5)]
        factories.registry(livestock=[(f.iin_bin, "cattle", 20, 20) for f in farms])
        applications = [factories.submit(f) for f in farms]
        factories.make_user("official", username="inspektor")
        factories.make_user("applicant", applicant=farms[-1], username="fermer")
        ids = [a.id for a in applications]
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_port}", "ids": ids}
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def at(browser, deciding):
    contexts = []

    def open_page(width: int):
        context = browser.new_context(
            base_url=deciding["url"], viewport={"width": width, "height": 900}
        )
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def _open(page, path: str) -> None:
    """The page, once every request of the one before has been answered: the session cookie is
    refreshed by every response, and the previous page's late favicon answer would otherwise
    bring back the cookie from before ?lang= was remembered (the forms post without it)."""
    page.goto(path)
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("width", WIDTHS)
def test_approve_asks_before_it_approves(at, deciding, width):
    page = at(width)
    login(page, "inspektor", PASSWORD)
    application = deciding["ids"][WIDTHS.index(width)]
    _open(page, f"/applications/{application}?lang=ru")
    page.fill("#approve-form input[name=amount]", "9 500")
    with page.expect_navigation():
        page.click("#approve-form button[type=submit]")
    confirm = page.locator("#confirm")
    assert confirm.is_visible()
    assert "9\u00a0500,00 ₸" in confirm.inner_text()
    assert "подано" in page.locator("#status").inner_text()  # nothing recorded yet
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    with page.expect_navigation():
        page.click("#confirm-form button[type=submit]")
    assert "одобрено" in page.locator("#status").inner_text()
    assert "9\u00a0500,00 ₸" in page.locator("#approved-amount").inner_text()


@pytest.mark.parametrize("width", WIDTHS)
def test_reject_needs_a_reason_and_a_confirmation(at, deciding, width):
    page = at(width)
    login(page, "inspektor", PASSWORD)
    application = deciding["ids"][2 + WIDTHS.index(width)]
    _open(page, f"/applications/{application}?lang=kk")
    with page.expect_navigation():
        page.click("#reject-form button[type=submit]")
    error = page.locator("#reject-form .field-error")
    assert "Бас тарту себебін жазыңыз" in error.inner_text()
    page.fill("#reject-form textarea[name=reason]", "Ветеринарлық анықтама жоқ")
    with page.expect_navigation():
        page.click("#reject-form button[type=submit]")
    assert "Ветеринарлық анықтама жоқ" in page.locator("#confirm").inner_text()
    assert "берілді" in page.locator("#status").inner_text()
    with page.expect_navigation():
        page.click("#confirm-form button[type=submit]")
    assert "қабылданбады" in page.locator("#status").inner_text()


def test_on_a_phone_approve_and_reject_stand_apart(at, deciding):
    page = at(375)
    login(page, "inspektor", PASSWORD)
    _open(page, f"/applications/{deciding['ids'][-1]}?lang=ru")
    approve = page.locator("#approve-form").bounding_box()
    reject = page.locator("#reject-form").bounding_box()
    assert reject["y"] >= approve["y"] + approve["height"] + 8  # a gap, not one run of fields
    label = page.locator("#reject-form label").bounding_box()
    assert label["y"] > approve["y"] + approve["height"]  # the reason is in the reject box


def test_the_farmer_confirms_a_withdrawal(at, deciding):
    page = at(375)
    login(page, "fermer", PASSWORD)
    _open(page, f"/applications/{deciding['ids'][-1]}?lang=en")
    with page.expect_navigation():
        page.click("#withdraw-form button[type=submit]")
    assert page.locator("#confirm").is_visible()
    assert "submitted" in page.locator("#status").inner_text()
    with page.expect_navigation():
        page.click("#confirm-form button[type=submit]")
    assert "withdrawn" in page.locator("#status").inner_text()
