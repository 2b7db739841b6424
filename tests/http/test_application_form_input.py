"""The application form reads numbers as people type them and refuses the rest with a message in
the page's language; a submission the rules refuse, and a check that fails, say so plainly."""

import re

import pytest

from tests.factories import PASSWORD, make_applicant, make_program, make_user, registry


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


@pytest.fixture
def farmer(app, client):
    make_program("TEST-HEADS-2026", budget="100000.00", threshold="50000.00")
    farm = make_applicant()
    registry(livestock=[(farm.iin_bin, "cattle", 80, 80)], tax=[(farm.iin_bin, "0")])
    user = make_user("applicant", applicant=farm)
    page = client.get("/login")
    data = {"username": user.username, "password": PASSWORD, "csrf_token": _csrf(page.text)}
    assert client.post("/login", data=data).status_code == 302
    return user


def _send(client, button: str, quantity: str):
    page = client.get("/applications/new?lang=ru")
    data = {
        "csrf_token": _csrf(page.text),
        "program": "TEST-HEADS-2026",
        "quantity": quantity,
        button: "1",
    }
    return client.post("/applications/new", data=data)


@pytest.mark.parametrize("quantity", ["1e9", "1E+3", "1_000", "١٢", "12.5.1", "-5", "0x10"])
def test_a_quantity_that_is_no_plain_number_is_refused(client, farmer, quantity):
    response = _send(client, "check", quantity)
    assert response.status_code == 422
    assert "Введите число цифрами" in response.text


def test_an_absurd_quantity_is_refused_before_the_rules_run(client, farmer):
    response = _send(client, "check", "5000000")  # heads: at most 1 000 000
    assert response.status_code == 422
    assert "можно заявить не более 1\u00a0000\u00a0000 гол." in response.text


@pytest.mark.parametrize("quantity", ["12", "1 2", "12,0", "12.0"])
def test_numbers_as_people_type_them_are_read(client, farmer, quantity):
    response = _send(client, "check", quantity)
    assert response.status_code == 200
    assert 'id="preview"' in response.text


def test_a_failed_check_says_nothing_was_submitted_and_shows_no_amount(client, farmer):
    response = _send(client, "check", "500")  # 500 heads claimed, 80 in the registry
    assert response.status_code == 200
    assert 'id="preview-refused"' in response.text
    assert 'id="preview-amount"' not in response.text
    assert "Нажмите" not in response.text.split('id="preview"')[1]


def test_an_ineligible_submission_is_no_success(client, farmer):
    response = _send(client, "submit", "500")
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert 'class="flash warning"' in page.text
    assert "записана как не соответствующая условиям" in page.text
    assert "подана." not in page.text
