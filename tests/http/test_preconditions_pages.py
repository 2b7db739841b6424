"""The pages decide on what they showed (issue 19): the approve and reject forms, the appeal's
decision and a payment run's release and cancellation carry the version of the record the
page was rendered with (a hidden field, through the confirmation step); when the record changed
meanwhile the page is shown again with a translated message saying what changed, and nothing
is recorded."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from subsidy.appeals import services as appeals
from subsidy.applications.models import Status
from subsidy.audit.models import AuditEntry
from subsidy.decisions import services as decisions
from subsidy.extensions import db
from subsidy.payments import services as payments
from subsidy.payments.models import PaymentRun
from tests.factories import (
    PASSWORD,
    approved,
    give_account,
    make_applicant,
    make_program,
    make_user,
    registry,
    submit,
    tranche,
)
from tests.http._forms import application_status, confirm_fields
from tests.http._obligations import rejected_application

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _csrf(html: str) -> str:
    return CSRF.search(html).group(1)


def _version(html: str, form_id: str) -> str:
    form = html[html.index(f'id="{form_id}"') :]
    form = form[: form.index("</form>")]
    return re.search(r'name="version" type="hidden" value="([0-9a-f]{32})"', form).group(1)


def _sign_in(client, user) -> None:
    page = client.get("/login")
    data = {"username": user.username, "password": PASSWORD, "csrf_token": _csrf(page.text)}
    assert client.post("/login", data=data).status_code == 302


def _log_size() -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(AuditEntry)).scalar_one()


@pytest.fixture
def large(app):
    """A submitted application of 60 000, above the 50 000 threshold: two officials approve."""
    make_program(budget="1000000.00", threshold="50000.00")
    farm = make_applicant()
    registry(livestock=[(farm.iin_bin, "cattle", 80, 80)], tax=[(farm.iin_bin, "0")])
    return submit(farm, quantity="60")


def test_the_forms_carry_the_version_the_api_serves_as_etag(client, large):
    from tests.factories import bearer

    official = make_user()
    _sign_in(client, official)
    page = client.get(f"/applications/{large.id}")
    etag = client.get(f"/api/v1/applications/{large.id}", headers=bearer(official)).headers["ETag"]
    assert _version(page.text, "approve-form") == _version(page.text, "reject-form")
    assert f'"{_version(page.text, "approve-form")}"' == etag


def test_a_first_approval_given_meanwhile_is_said_and_nothing_is_recorded(client, large):
    """The race of the attack: the page was opened, another official gave the first approval,
    and this official's approval would have been the final one without having seen it."""
    official = make_user()
    _sign_in(client, official)
    page = client.get(f"/applications/{large.id}?lang=ru")
    data = {"csrf_token": _csrf(page.text), "version": _version(page.text, "approve-form")}
    asked = client.post(f"/applications/{large.id}/approve", data=data)
    assert asked.status_code == 200 and 'id="confirm"' in asked.text
    carried = confirm_fields(asked.text)
    assert carried["version"] == data["version"] and carried["confirmed"] == "1"
    decisions.approve_application(application=large, user=make_user())  # another official
    size = _log_size()
    confirmed = client.post(f"/applications/{large.id}/approve", data=carried)
    assert confirmed.status_code == 409
    assert "другое должностное лицо дало первое одобрение" in confirmed.text
    assert 'id="action-error"' in confirmed.text and 'id="confirm"' not in confirmed.text
    assert application_status(large.id) is Status.AWAITING_SECOND_APPROVAL and _log_size() == size
    # The page now shows the first approval and its forms carry the version it shows.
    fresh = _version(confirmed.text, "approve-form")
    assert fresh != data["version"]
    again = client.post(
        f"/applications/{large.id}/approve",
        data={"csrf_token": _csrf(confirmed.text), "version": fresh, "confirmed": "1"},
    )
    assert again.status_code == 302 and application_status(large.id) is Status.APPROVED


def test_a_stale_form_is_answered_before_the_confirmation(client, large):
    official = make_user()
    _sign_in(client, official)
    page = client.get(f"/applications/{large.id}?lang=kk")
    version = _version(page.text, "reject-form")
    decisions.reject_application(application=large, user=make_user(), reason="no")
    size = _log_size()
    asked = client.post(
        f"/applications/{large.id}/reject",
        data={"csrf_token": _csrf(page.text), "version": version, "reason": "тағы"},
    )
    assert asked.status_code == 409 and 'id="confirm"' not in asked.text
    assert "бет ашық тұрғанда ол бойынша шешім қабылданды" in asked.text
    assert _log_size() == size


def test_flags_computed_again_meanwhile_stop_a_rejection(client, large):
    from subsidy.applications import flags

    official = make_user()
    _sign_in(client, official)
    page = client.get(f"/applications/{large.id}?lang=ru")
    data = {
        "csrf_token": _csrf(page.text),
        "version": _version(page.text, "reject-form"),
        "reason": "нет справки",
    }
    carried = confirm_fields(client.post(f"/applications/{large.id}/reject", data=data).text)
    flags.recompute_flags(application=large, actor="test")
    confirmed = client.post(f"/applications/{large.id}/reject", data=carried)
    assert confirmed.status_code == 409
    assert "Заявка изменилась, пока страница была открыта" in confirmed.text
    assert application_status(large.id) is Status.SUBMITTED


# --- appeals ---------------------------------------------------------------------------------


def test_an_appeal_decided_meanwhile_is_said_and_the_second_decision_is_not_recorded(client):
    make_program()
    farm = make_applicant("peasant_farm")
    registry(livestock=[(farm.iin_bin, "cattle", 30, 30)])
    application = rejected_application(farm, official=make_user())
    target = appeals.appealable_application(application)
    farmer = make_user("applicant", applicant=farm)
    appeal = appeals.file_appeal(target=target, user=farmer, reason="the certificate")
    official = make_user()
    _sign_in(client, official)
    page = client.get(f"/appeals/{appeal.id}?lang=ru")
    version = _version(page.text, "decide-form")
    appeals.decide_appeal(appeal_id=appeal.id, user=make_user(), outcome="dismissed", reason="x")
    size = _log_size()
    decided = client.post(
        f"/appeals/{appeal.id}/decide",
        data={
            "csrf_token": _csrf(page.text),
            "version": version,
            "outcome": "granted",
            "reason": "новые документы",
        },
    )
    assert decided.status_code == 409
    assert "Жалоба изменилась, пока страница была открыта" in decided.text
    assert _log_size() == size


# --- payment runs ----------------------------------------------------------------------------


@pytest.fixture
def prepared(app):
    program = make_program(budget="100000.00", threshold="50000.00")
    farm = make_applicant()
    registry(livestock=[(farm.iin_bin, "cattle", 20, 20)])
    give_account(farm)
    approved(farm)
    preparer = make_user("treasurer")
    tranche(program, "50000.00", treasurer=preparer)
    return payments.prepare_run(program=program, user=preparer).run


@pytest.mark.parametrize("action", ["release", "cancel"])
def test_a_run_changed_meanwhile_is_said_and_nothing_is_recorded(client, prepared, action):
    _sign_in(client, make_user("treasurer"))
    page = client.get(f"/payments/runs/{prepared.id}?lang=kk")
    version = _version(page.text, f"{action}-form")
    payments.cancel_run(run_id=prepared.id, user=make_user("treasurer"))
    size = _log_size()
    answer = client.post(
        f"/payments/runs/{prepared.id}/{action}",
        data={"csrf_token": _csrf(page.text), "version": version},
    )
    assert answer.status_code == 409
    assert "Бет ашық тұрғанда төлем тізілімі өзгерді" in answer.text
    assert _log_size() == size


def test_a_run_is_released_with_the_version_its_page_showed(client, prepared):
    _sign_in(client, make_user("treasurer"))
    page = client.get(f"/payments/runs/{prepared.id}")
    answer = client.post(
        f"/payments/runs/{prepared.id}/release",
        data={"csrf_token": _csrf(page.text), "version": _version(page.text, "release-form")},
    )
    assert answer.status_code == 302
    db.session.expire_all()
    assert db.session.get(PaymentRun, prepared.id).status.value == "released"
