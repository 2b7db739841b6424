"""The farmer appeals a rejected application from its page (the route and the last day shown),
an official who took no part in the rejection grants it on /appeals after a confirmation step,
and the farmer sees the application back in review; the official who rejected it may not decide.
The recovery pages are visited too (a case of the farmer's other, paid application).

A server of its own on a small database built through the services, checked for horizontal
overflow at 1280 and 375 px like the other journeys; with SUBSIDY_SCREENSHOTS=<folder> the pages
are saved there."""

from __future__ import annotations

import re
import threading

import pytest
from werkzeug.serving import make_server

from tests.browser.conftest import login
from tests.browser.test_farmer_official_journey import look


@pytest.fixture(scope="module")
def appeals_server(browser, tmp_path_factory):
    """A rejected application of the farmer's (rejected by inspektor-a), and a recovery case
    of a paid one whose claimed cows partly left."""
    from flask_migrate import upgrade

    from subsidy import create_app
    from subsidy.extensions import db
    from tests import factories
    from tests.http._obligations import recovery_case, rejected_application

    folder = tmp_path_factory.mktemp("appeals")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'appeals.db'}",
            "INSTANCE_PATH": folder,
            "SIGNING_KEY_PATH": str(folder / "signing_key.pem"),
            "SECRET_KEY": "browser-appeals",
            "RATELIMIT_ENABLED": False,
            "TODAY": "2026-06-15",
        }
    )
    with app.app_context():
        upgrade()
        factories.make_program()
        farm = factories.make_applicant("peasant_farm")
        factories.registry(livestock=[(farm.iin_bin, "cattle", 30, 30)])
        rejecter = factories.make_user("official", username="inspektor-a")
        factories.make_user("official", username="inspektor-b")
        factories.make_user("treasurer", username="kassa")
        factories.make_user("applicant", applicant=farm, username="fermer")
        rejected = rejected_application(farm, official=rejecter)
        _, case = recovery_case(farm)
        ids = {"rejected": rejected.id, "number": rejected.number, "case": case["id"]}
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_port}", **ids}
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def violations():
    return []


@pytest.fixture
def open_page(browser, appeals_server, violations):
    contexts = []

    def make(username: str):
        from tests.factories import PASSWORD

        context = browser.new_context(
            base_url=appeals_server["url"], viewport={"width": 1280, "height": 900}
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


def test_the_farmer_appeals_and_another_official_grants_it(appeals_server, open_page, violations):
    application = f"/applications/{appeals_server['rejected']}"
    farmer = open_page("fermer")
    farmer.goto(f"{application}?lang=en")
    assert "rejected" in farmer.locator("#status").inner_text()
    route = farmer.locator("#appeal-route").inner_text()
    assert "You may appeal until" in route and "within 5 working days" in route
    farmer.fill("#appeal-form textarea[name=reason]", "The veterinary certificate was attached.")
    farmer.click("#appeal-form button[type=submit]")
    farmer.wait_for_load_state()
    assert "Appeal filed" in farmer.locator(".flash").inner_text()
    assert farmer.locator("#appeal-open").is_visible()
    assert farmer.locator("#appeals .appeals-of tbody tr").count() == 1
    look(farmer, "farmer-appeal-filed")

    rejecter = open_page("inspektor-a")
    rejecter.goto("/appeals?lang=en")
    rejecter.get_by_role("link", name=re.compile(r"^Appeal \d+$")).first.click()
    rejecter.wait_for_url(re.compile(r"/appeals/\d+$"))
    assert rejecter.locator("#barred").is_visible()
    assert rejecter.locator("#decide-form").count() == 0

    official = open_page("inspektor-b")
    official.goto("/appeals?lang=en")
    row = official.locator("#appeals tbody tr").first
    assert appeals_server["number"] in row.inner_text() and "open" in row.inner_text()
    look(official, "appeals")
    row.get_by_role("link", name=re.compile(r"^Appeal \d+$")).click()
    official.wait_for_url(re.compile(r"/appeals/\d+$"))
    assert "veterinary certificate" in official.locator("#appeal-reason").inner_text()
    assert "нет справки" in official.locator("#rejection-reason").inner_text()
    official.check("#decide-form input[value=granted]")
    official.fill("#decide-form textarea[name=reason]", "The certificate is in the file.")
    assert not official.locator("#decide-confirm button[type=submit]").is_visible()
    look(official, "appeal-decide")
    official.click("#decide-confirm summary")  # the confirmation opens; nothing is sent yet
    official.click("#decide-confirm button[type=submit]")
    official.wait_for_load_state()
    assert "back in review" in official.locator(".flash").inner_text()
    assert "granted" in official.locator("#appeal-status").inner_text()
    assert official.locator("#appeal-pdf").is_visible()
    look(official, "appeal-granted")
    for path in ("/appeals?lang=kk", official.url + "?lang=ru"):
        official.goto(path)
        _fits_a_phone(official, path)

    farmer.goto(f"{application}?lang=en")
    assert "submitted" in farmer.locator("#status").inner_text()
    assert farmer.locator("#appeal-form").count() == 0
    assert "granted" in farmer.locator("#appeals").inner_text()
    assert violations == []


def test_the_recovery_pages(appeals_server, open_page, violations):
    case = f"/recoveries/{appeals_server['case']}"
    treasurer = open_page("kassa")
    treasurer.goto("/recoveries?lang=en")
    assert treasurer.locator("#recoveries tbody tr").count() == 1
    look(treasurer, "recoveries")
    treasurer.goto(f"{case}?lang=en")
    assert "2,000.00" in treasurer.locator("#case-amount").inner_text()
    treasurer.fill("#repayment-form input[name=amount]", "500")
    with treasurer.expect_navigation():
        treasurer.click("#repayment-form button[type=submit]")
    assert "500.00" in treasurer.locator("#confirm").inner_text()  # asked before recording
    with treasurer.expect_navigation():
        treasurer.click("#confirm-form button[type=submit]")
    assert "Repayment of 500.00 ₸ recorded" in treasurer.locator(".flash").inner_text()
    assert "1,500.00" in treasurer.locator("#owed-amount").inner_text()
    look(treasurer, "recovery-case")
    for path in ("/recoveries?lang=kk", f"{case}?lang=ru"):
        treasurer.goto(path)
        _fits_a_phone(treasurer, path)

    farmer = open_page("fermer")
    farmer.goto(f"{case}?lang=kk")
    assert farmer.locator("#appeal-form").is_visible()
    assert farmer.locator("#repayment-form").count() == 0
    _fits_a_phone(farmer, f"{case}?lang=kk")
    assert violations == []
