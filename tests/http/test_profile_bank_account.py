"""The farmer's profile page: its bank account shown masked, and the form that sets or changes it
(CSRF, field errors next to the field in the reader's language, nothing written on refusal)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from subsidy.applicants import services
from subsidy.audit.models import AuditEntry
from subsidy.extensions import db
from tests.factories import PASSWORD, first_district, make_applicant, make_user, new_bin, new_iin

IBAN = "KZ86125KZT5004100100"
BIC = "KCJBKZKX"
CSRF = r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]*)"'


def _csrf(html: str) -> str:
    found = re.search(CSRF, html) or re.search(r'name="csrf_token"[^>]*value="([^"]*)"', html)
    return found.group(1)


def _login(client, user, lang: str = "en") -> None:
    page = client.get(f"/login?lang={lang}")  # the pages' language, kept in the session
    response = client.post(
        "/login",
        data={"username": user.username, "password": PASSWORD, "csrf_token": _csrf(page.text)},
    )
    assert response.status_code == 302


def _size() -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(AuditEntry)).scalar_one()


@pytest.fixture
def farm(app):
    return make_applicant("peasant_farm")


@pytest.fixture
def farmer(farm):
    return make_user("applicant", applicant=farm)


def _post(client, **data):
    page = client.get("/profile")
    return client.post("/profile/bank-account", data={"csrf_token": _csrf(page.text), **data})


def test_the_profile_offers_the_form_when_there_is_no_account(client, farmer):
    _login(client, farmer)
    page = client.get("/profile")
    assert page.status_code == 200
    assert 'id="bank-none"' in page.text and 'action="/profile/bank-account"' in page.text
    assert 'name="iban"' in page.text and 'name="bic"' in page.text


def test_the_farmer_saves_an_account_and_sees_it_masked(client, farm, farmer):
    _login(client, farmer)
    size = _size()
    response = _post(client, iban="kz86 125k zt50 0410 0100", bic="kcjbkzkx")
    assert response.status_code == 302 and response.headers["Location"].endswith("/profile")
    db.session.expire_all()
    assert (farm.iban, farm.bic) == (IBAN, BIC)
    assert _size() == size + 1
    page = client.get("/profile")
    assert "KZ86 **** **** **** 0100" in page.text and IBAN not in page.text
    assert BIC in page.text and "Bank account saved." in page.text
    # The same account again changes nothing.
    again = _post(client, iban=IBAN, bic=BIC)
    assert again.status_code == 302 and _size() == size + 1
    assert "The bank account is unchanged." in client.get("/profile").text


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"iban": "KZ87125KZT5004100100", "bic": BIC}, "iban", "check digits do not match"),
        ({"iban": "DE89370400440532013000", "bic": BIC}, "iban", "starts with KZ"),
        ({"iban": "KZ86125KZT50041001", "bic": BIC}, "iban", "20 characters"),
        ({"iban": "", "bic": BIC}, "iban", "Enter the IBAN."),
        ({"iban": IBAN, "bic": "KCJBKZ"}, "bic", "8 or 11 characters"),
        ({"iban": IBAN, "bic": "DEUTDEFF"}, "bic", "KZ in the 5th and 6th place"),
        ({"iban": IBAN, "bic": ""}, "bic", "Enter the BIC."),
    ],
)
def test_a_wrong_account_is_shown_next_to_its_field(client, farm, farmer, data, field, message):
    _login(client, farmer)
    size = _size()
    response = _post(client, **data)
    assert response.status_code == 422
    error = re.search(rf'class="field-error" id="{field}-error">([^<]*)<', response.text)
    assert error is not None and message in error.group(1)
    db.session.expire_all()
    assert farm.iban is None and _size() == size


@pytest.mark.parametrize(
    ("lang", "title", "message"),
    [
        ("ru", "Банковский счёт для субсидий", "Контрольные цифры не сходятся"),
        ("kk", "Субсидияларға арналған банк шоты", "Бақылау цифрлары сәйкес келмейді"),
    ],
)
def test_the_page_and_its_errors_are_translated(client, farmer, lang, title, message):
    _login(client, farmer, lang)
    response = _post(client, iban="KZ87125KZT5004100100", bic=BIC)
    assert response.status_code == 422
    assert title in response.text and message in response.text


def test_the_form_needs_its_csrf_token(client, farm, farmer):
    _login(client, farmer)
    response = client.post("/profile/bank-account", data={"iban": IBAN, "bic": BIC})
    assert response.status_code in (400, 422)
    db.session.expire_all()
    assert farm.iban is None


def test_only_a_farmer_posts_the_form(client, app):
    _login(client, make_user("official"))
    page = client.get("/applications")
    response = client.post(
        "/profile/bank-account", data={"csrf_token": _csrf(page.text), "iban": IBAN, "bic": BIC}
    )
    assert response.status_code == 403


def test_the_profile_shows_the_head_and_an_existing_account(client):
    head = new_iin()
    company = services.create_applicant(
        kind="legal_entity",
        iin_bin=new_bin(),
        name="ТОО «Тест»",
        district=first_district(),
        head_iin=head,
        iban=IBAN,
        bic=BIC,
        actor="test",
    )
    _login(client, make_user("applicant", applicant=company))
    page = client.get("/profile")
    assert f'id="head-iin">{head}<' in page.text
    assert "KZ86 **** **** **** 0100" in page.text and "Change the account" in page.text


def test_both_fields_wrong_show_both_errors(client, farm, farmer):
    _login(client, farmer)
    response = _post(client, iban="KZ86", bic="KZ")
    assert response.status_code == 422
    assert 'id="iban-error">A Kazakh IBAN has 20 characters.<' in response.text
    assert 'id="bic-error">A BIC has 8 or 11 characters.<' in response.text
