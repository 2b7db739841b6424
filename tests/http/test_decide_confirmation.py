"""Nothing is decided by one tap: approve, reject and withdraw first answer with a confirmation
that states what will be recorded, and act only on the confirmation's own POST; a refusal (an
empty reason, an amount above the request, an application already decided) shows at once, in
the page's language."""

import re

import pytest

from subsidy.applications.models import Status
from tests.factories import PASSWORD, make_applicant, make_program, make_user, registry, submit
from tests.http._forms import application_status, confirm_fields


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


@pytest.fixture
def world(app):
    make_program("TEST-HEADS-2026", budget="100000.00", threshold="50000.00")
    farm = make_applicant()
    registry(livestock=[(farm.iin_bin, "cattle", 80, 80)], tax=[(farm.iin_bin, "0")])
    return {"farm": farm, "farmer": make_user("applicant", applicant=farm)}


def _sign_in(client, user) -> None:
    page = client.get("/login")
    data = {"username": user.username, "password": PASSWORD, "csrf_token": _csrf(page.text)}
    assert client.post("/login", data=data).status_code == 302


def _post(client, application, action: str, **data):
    page = client.get(f"/applications/{application.id}?lang=ru")
    data = {"csrf_token": _csrf(page.text), **data}
    return client.post(f"/applications/{application.id}/{action}", data=data)


def test_approve_asks_first_then_approves_what_it_stated(client, world):
    application = submit(world["farm"], quantity="10")
    _sign_in(client, make_user("official"))
    asked = _post(client, application, "approve", amount="9 000", comment="проверено")
    assert asked.status_code == 200
    assert 'id="confirm"' in asked.text and 'id="approve-form"' not in asked.text
    assert "9\u00a0000,00 ₸" in asked.text and "проверено" in asked.text
    assert application_status(application.id) is Status.SUBMITTED
    carried = confirm_fields(asked.text)
    assert carried["amount"] == "9 000" and carried["confirmed"] == "1"
    done = client.post(f"/applications/{application.id}/approve", data=carried)
    assert done.status_code == 302
    assert application_status(application.id) is Status.APPROVED


def test_a_first_approval_says_a_second_official_follows(client, world):
    application = submit(world["farm"], quantity="60")  # 60 000 > the 50 000 threshold
    _sign_in(client, make_user("official"))
    asked = _post(client, application, "approve")
    assert "Дать первое одобрение" in asked.text and "50\u00a0000,00 ₸" in asked.text
    assert application_status(application.id) is Status.SUBMITTED


def test_approve_refusals_show_before_any_confirmation(client, world):
    application = submit(world["farm"], quantity="10")
    _sign_in(client, make_user("official"))
    too_much = _post(client, application, "approve", amount="999999")
    assert too_much.status_code == 422 and 'id="confirm"' not in too_much.text
    exponent = _post(client, application, "approve", amount="1e3")
    assert exponent.status_code == 422
    assert "без экспоненты" in exponent.text
    assert application_status(application.id) is Status.SUBMITTED


def test_an_empty_reason_is_refused_in_the_pages_language(client, world):
    application = submit(world["farm"], quantity="10")
    _sign_in(client, make_user("official"))
    empty = _post(client, application, "reject", reason="   ")
    assert empty.status_code == 422
    assert "Укажите причину отказа" in empty.text
    form = empty.text[empty.text.index('id="reject-form"') :]
    assert form.index("novalidate") < form.index(">")  # the page's message, not the browser's
    asked = _post(client, application, "reject", reason="нет справки")
    assert asked.status_code == 200 and "Отклонить заявку" in asked.text
    assert application_status(application.id) is Status.SUBMITTED
    done = client.post(f"/applications/{application.id}/reject", data=confirm_fields(asked.text))
    assert done.status_code == 302
    assert application_status(application.id) is Status.REJECTED


def test_an_application_already_decided_is_refused_at_once(client, world):
    application = submit(world["farm"], quantity="10")
    _sign_in(client, make_user("official"))
    asked = _post(client, application, "reject", reason="нет справки")
    client.post(f"/applications/{application.id}/reject", data=confirm_fields(asked.text))
    again = _post(client, application, "approve")
    assert again.status_code == 409 and 'id="confirm"' not in again.text


def test_withdraw_asks_first(client, world):
    application = submit(world["farm"], quantity="10")
    _sign_in(client, world["farmer"])
    asked = _post(client, application, "withdraw")
    assert asked.status_code == 200 and "Отозвать заявку" in asked.text
    assert 'id="withdraw-form"' not in asked.text
    assert application_status(application.id) is Status.SUBMITTED
    done = client.post(f"/applications/{application.id}/withdraw", data=confirm_fields(asked.text))
    assert done.status_code == 302
    assert application_status(application.id) is Status.WITHDRAWN
