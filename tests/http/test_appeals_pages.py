"""The appeal pages through the client: the farmer appeals a rejection from the application
page (the route and its last day, then the appeal and its status), an official who took no
part grants it after a confirmation step and the application is back in review; refusals are
shown translated and write nothing; every POST needs its CSRF token; ru, kk and en render."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from subsidy.appeals import services as appeals
from subsidy.appeals.models import Appeal
from subsidy.extensions import db
from tests.factories import PASSWORD, make_applicant, make_program, make_user, registry
from tests.http._obligations import rejected_application

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
    client.post("/logout", data={"csrf_token": _csrf(client.get("/").text)})


def _post(client, path: str, page: str, **data):
    return client.post(path, data={"csrf_token": _csrf(client.get(page).text), **data})


def _appeals():
    return list(db.session.execute(sa.select(Appeal)).scalars())


@pytest.fixture
def world(app):
    make_program()
    farm, other = make_applicant("peasant_farm"), make_applicant("peasant_farm")
    registry(livestock=[(f.iin_bin, "cattle", 30, 30) for f in (farm, other)])
    rejecter = make_user("official")
    application = rejected_application(farm, official=rejecter)
    return {
        "application": application,
        "page": f"/applications/{application.id}",
        "farmer": make_user("applicant", applicant=farm),
        "stranger": make_user("applicant", applicant=other),
        "rejecter": rejecter,
        "official": make_user("official"),
        "auditor": make_user("auditor"),
    }


def _file(client, world, reason="The veterinary certificate was attached."):
    return _post(
        client,
        f"/applications/{world['application'].id}/appeals",
        world["page"],
        reason=reason,
    )


def test_the_farmer_sees_the_appeal_route_and_its_last_day(client, world):
    _login(client, world["farmer"])
    page = client.get(world["page"])
    last_day = appeals.appealable_application(world["application"]).last_day
    assert page.status_code == 200
    assert 'id="appeal-route"' in page.text and 'id="appeal-form"' in page.text
    assert "You may appeal until" in page.text and str(last_day.year) in page.text
    assert "within 5 working days" in page.text


def test_the_farmer_files_an_appeal_and_sees_it_listed(client, world):
    _login(client, world["farmer"])
    response = _file(client, world)
    assert response.status_code == 302, response.text
    page = client.get(response.headers["Location"])
    assert "Appeal filed" in page.text
    assert 'id="appeal-open"' in page.text and 'id="appeal-form"' not in page.text
    [appeal] = _appeals()
    assert f'data-appeal="{appeal.id}"' in page.text
    listed = client.get("/appeals")
    assert listed.status_code == 200 and world["application"].number in listed.text
    assert "rejection" in listed.text
    mine = client.get(f"/appeals/{appeal.id}")
    assert mine.status_code == 200 and "veterinary certificate" in mine.text
    assert 'id="decide-form"' not in mine.text and 'id="history"' not in mine.text


def test_a_second_appeal_is_refused_translated_and_writes_nothing(client, world):
    _login(client, world["farmer"])
    _file(client, world)
    # The form is no longer offered; a stale one posted again is refused.
    token = _csrf(client.get(world["page"]).text)
    again = client.post(
        f"/applications/{world['application'].id}/appeals",
        data={"csrf_token": token, "reason": "again"},
        headers={"Accept-Language": "ru"},
    )
    assert again.status_code == 409
    assert "Жалоба на это решение уже рассматривается" in again.text
    assert len(_appeals()) == 1


def test_an_appeal_after_the_window_is_refused_and_the_page_says_it_closed(app, client, world):
    _login(client, world["farmer"])
    last_day = appeals.appealable_application(world["application"]).last_day
    token = _csrf(client.get(world["page"]).text)
    app.config["TODAY"] = (last_day + timedelta(days=1)).isoformat()
    try:
        page = client.get(world["page"])
        late = client.post(
            f"/applications/{world['application'].id}/appeals",
            data={"csrf_token": token, "reason": "late"},
        )
    finally:
        app.config["TODAY"] = "2026-06-15"
    assert 'id="appeal-closed"' in page.text and 'id="appeal-form"' not in page.text
    assert late.status_code == 409 and "The time to appeal has passed" in late.text
    assert _appeals() == []


def test_an_empty_reason_is_refused_beside_the_field(client, world):
    _login(client, world["farmer"])
    response = _file(client, world, reason="  ")
    assert response.status_code == 422
    assert 'id="reason-error"' in response.text and "Give the reason" in response.text
    assert _appeals() == []


def test_only_its_applicant_files_and_others_get_404(client, world):
    _login(client, world["stranger"])
    page = client.get("/appeals")
    assert page.status_code == 200
    response = _post(
        client, f"/applications/{world['application'].id}/appeals", "/appeals", reason="x"
    )
    assert response.status_code == 404
    _logout(client)
    _login(client, world["official"])
    response = _post(
        client, f"/applications/{world['application'].id}/appeals", "/appeals", reason="x"
    )
    assert response.status_code == 403
    assert _appeals() == []


def _filed(world):
    target = appeals.appealable_application(world["application"])
    return appeals.file_appeal(target=target, user=world["farmer"], reason="есть справка")


def test_an_official_who_took_no_part_grants_it_after_confirming(client, world):
    appeal = _filed(world)
    _login(client, world["official"])
    listed = client.get("/appeals?status=open")
    assert f'href="/appeals/{appeal.id}"' in listed.text
    page = client.get(f"/appeals/{appeal.id}")
    assert 'id="decide-form"' in page.text and 'id="decide-confirm"' in page.text
    assert "нет справки" in page.text  # the rejection's reason
    assert "есть справка" in page.text  # the applicant's
    response = _post(
        client,
        f"/appeals/{appeal.id}/decide",
        f"/appeals/{appeal.id}",
        outcome="granted",
        reason="The certificate is in the file.",
    )
    assert response.status_code == 302, response.text
    done = client.get(response.headers["Location"])
    assert "back in review" in done.text and 'id="appeal-pdf"' in done.text
    pdf = client.get(f"/appeals/{appeal.id}/decision.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    db.session.refresh(world["application"])
    assert world["application"].status.value == "submitted"
    _logout(client)
    _login(client, world["farmer"])
    mine = client.get(world["page"])
    assert 'id="appeal-form"' not in mine.text and "granted" in mine.text
    assert client.get(f"/appeals/{appeal.id}/decision.pdf").status_code == 200


def test_the_official_who_rejected_is_refused_translated(client, world):
    appeal = _filed(world)
    _login(client, world["rejecter"])
    page = client.get(f"/appeals/{appeal.id}")
    assert 'id="barred"' in page.text and 'id="decide-form"' not in page.text
    response = client.post(
        f"/appeals/{appeal.id}/decide",
        data={"csrf_token": _csrf(page.text), "outcome": "granted", "reason": "x"},
        headers={"Accept-Language": "kk"},
    )
    assert response.status_code == 403
    assert "шағымды басқа қызметкер қарайды" in response.text
    db.session.refresh(appeal)
    assert appeal.status.value == "open"


def test_deciding_without_an_outcome_or_reason_is_refused(client, world):
    appeal = _filed(world)
    _login(client, world["official"])
    no_outcome = _post(client, f"/appeals/{appeal.id}/decide", f"/appeals/{appeal.id}", reason="x")
    assert no_outcome.status_code == 422 and "granted or dismissed" in no_outcome.text
    no_reason = _post(
        client, f"/appeals/{appeal.id}/decide", f"/appeals/{appeal.id}", outcome="dismissed"
    )
    assert no_reason.status_code == 422 and 'id="reason-error"' in no_reason.text
    db.session.refresh(appeal)
    assert appeal.status.value == "open"


def test_a_dismissed_appeal_leaves_the_rejection(client, world):
    appeal = _filed(world)
    _login(client, world["official"])
    response = _post(
        client,
        f"/appeals/{appeal.id}/decide",
        f"/appeals/{appeal.id}",
        outcome="dismissed",
        reason="No certificate.",
    )
    assert response.status_code == 302
    db.session.refresh(world["application"])
    assert world["application"].status.value == "rejected"
    assert "dismissed" in client.get("/appeals?status=dismissed").text


def test_overdue_appeals_are_marked_and_filtered(app, client, world):
    appeal = _filed(world)
    _login(client, world["auditor"])
    assert f'data-appeal="{appeal.id}"' not in client.get("/appeals?overdue=1").text
    app.config["TODAY"] = "2026-06-23"
    try:
        late = client.get("/appeals?overdue=1")
    finally:
        app.config["TODAY"] = "2026-06-15"
    assert f'data-appeal="{appeal.id}"' in late.text and "is-overdue" in late.text
    page = client.get(f"/appeals/{appeal.id}")
    assert 'id="history"' in page.text and 'id="decide-form"' not in page.text


def test_every_post_needs_its_csrf_token(client, world):
    appeal = _filed(world)
    _login(client, world["official"])
    decide = client.post(f"/appeals/{appeal.id}/decide", data={"outcome": "granted", "reason": "x"})
    assert decide.status_code in (400, 422)
    _logout(client)
    _login(client, world["farmer"])
    filing = client.post(f"/applications/{world['application'].id}/appeals", data={"reason": "x"})
    assert filing.status_code in (400, 422)
    db.session.refresh(appeal)
    assert appeal.status.value == "open" and len(_appeals()) == 1


@pytest.mark.parametrize(
    ("language", "title", "status"),
    [
        ("ru", "Жалобы", "на рассмотрении"),
        ("kk", "Шағымдар", "қаралуда"),
        ("en", "Appeals", "open"),
    ],
)
def test_the_pages_render_in_every_language(client, world, language, title, status):
    appeal = _filed(world)
    _login(client, world["official"])
    headers = {"Accept-Language": language}
    listed = client.get(f"/appeals?lang={language}", headers=headers)
    assert listed.status_code == 200 and f"<h1>{title}</h1>" in listed.text
    assert status in listed.text
    assert client.get(f"/appeals/{appeal.id}", headers=headers).status_code == 200
    _logout(client)
    _login(client, world["farmer"])
    page = client.get(world["page"], headers=headers)
    assert page.status_code == 200 and 'id="appeal-open"' in page.text


def test_the_header_links_by_role(client, world):
    for user, appeals_link, recoveries_link in (
        (world["official"], True, True),
        (world["auditor"], True, True),
        (make_user("treasurer"), False, True),
        (world["farmer"], True, False),
    ):
        _login(client, user)
        page = client.get("/").text
        assert ('href="/appeals"' in page) is appeals_link, user.role
        assert ('href="/recoveries"' in page) is recoveries_link, user.role
        _logout(client)
