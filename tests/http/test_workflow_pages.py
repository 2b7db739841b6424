"""The farmer's and the official's pages: access, the preview-then-submit form, decisions
through the forms, and CSRF on every POST."""

import re

import pytest
import sqlalchemy as sa

from subsidy.applications.models import Application, Status
from subsidy.extensions import db
from tests.factories import PASSWORD, make_applicant, make_program, make_user, registry, submit

HIDDEN = r'name="{}" type="hidden" value="([^"]*)"'


def _hidden(html: str, name: str) -> str:
    found = re.search(HIDDEN.format(name), html) or re.search(
        rf'type="hidden" name="{name}" value="([^"]*)"', html
    )
    return found.group(1)


def _login(client, user) -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={
            "username": user.username,
            "password": PASSWORD,
            "csrf_token": _hidden(page.text, "csrf_token"),
        },
    )
    assert response.status_code == 302


@pytest.fixture
def world(app):
    make_program("TEST-HEADS-2026", budget="100000.00", threshold="50000.00")
    farm = make_applicant()
    other = make_applicant()
    registry(
        livestock=[(f.iin_bin, "cattle", 80, 80) for f in (farm, other)],
        tax=[(farm.iin_bin, "0")],
    )
    return {
        "farm": farm,
        "other": other,
        "farmer": make_user("applicant", applicant=farm),
        "stranger": make_user("applicant", applicant=other),
        "official": make_user("official"),
        "official2": make_user("official"),
        "auditor": make_user("auditor"),
        "admin": make_user("admin"),
    }


def _count() -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(Application)).scalar_one()


def _reload(application_id: int) -> Application:
    db.session.expire_all()
    return db.session.get(Application, application_id)


@pytest.mark.parametrize(
    "path", ["/applications", "/applications/new", "/applications/1", "/profile"]
)
def test_anonymous_is_sent_to_the_login_form(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize(
    ("role", "path", "status"),
    [
        ("farmer", "/applications", 200),
        ("official", "/applications", 200),
        ("auditor", "/applications", 200),
        ("admin", "/applications", 403),
        ("farmer", "/applications/new", 200),
        ("official", "/applications/new", 200),
        ("auditor", "/applications/new", 403),
        ("farmer", "/profile", 200),
        ("official", "/profile", 403),
    ],
)
def test_pages_answer_for_their_roles(client, world, role, path, status):
    _login(client, world[role])
    assert client.get(path).status_code == status


def test_the_farmer_sees_only_its_own_applications(client, world):
    mine = submit(world["farm"], quantity="10")
    theirs = submit(world["other"], quantity="10")
    _login(client, world["farmer"])
    listing = client.get("/applications")
    assert mine.number in listing.text and theirs.number not in listing.text
    assert client.get(f"/applications/{mine.id}").status_code == 200
    assert client.get(f"/applications/{theirs.id}").status_code == 404
    assert client.get(f"/applications/{theirs.id}/decision.pdf").status_code == 404


def test_the_queue_filters_and_pages(client, world):
    first = submit(world["farm"], quantity="10")
    second = submit(world["other"], quantity="10")
    _login(client, world["official"])
    page = client.get("/applications")
    assert page.text.index(first.number) < page.text.index(second.number)
    assert "<meter" in page.text
    district = world["farm"].district_code
    matching = client.get(
        f"/applications?program=TEST-HEADS-2026&district={district}&status=submitted"
    )
    assert first.number in matching.text and second.number in matching.text
    assert first.number not in client.get("/applications?status=approved").text
    assert first.number not in client.get("/applications?district=none").text
    overdue = client.get("/applications?overdue=1")
    assert overdue.status_code == 200 and first.number not in overdue.text
    after = client.get(f"/applications?cursor={first.id}")
    assert first.number not in after.text and second.number in after.text


def test_the_form_previews_then_submits_one_application(client, world):
    _login(client, world["farmer"])
    form = client.get("/applications/new")
    data = {
        "csrf_token": _hidden(form.text, "csrf_token"),
        "idempotency_key": _hidden(form.text, "idempotency_key"),
        "program": "TEST-HEADS-2026",
        "quantity": "12",
    }
    before = _count()
    preview = client.post("/applications/new", data={**data, "check": "Check"})
    assert preview.status_code == 200
    assert 'class="check passed"' in preview.text
    assert re.search(r"12\W?000[.,]00", preview.text)
    assert _count() == before
    first = client.post("/applications/new", data={**data, "submit": "Submit"})
    assert first.status_code == 302
    again = client.post("/applications/new", data={**data, "submit": "Submit"})
    assert again.headers["Location"] == first.headers["Location"]
    assert _count() == before + 1
    page = client.get(first.headers["Location"])
    assert "submitted" in page.text


def test_a_refused_submission_shows_the_error_and_writes_nothing(client, world):
    _login(client, world["official"])
    form = client.get("/applications/new")
    before = _count()
    response = client.post(
        "/applications/new",
        data={
            "csrf_token": _hidden(form.text, "csrf_token"),
            "idempotency_key": _hidden(form.text, "idempotency_key"),
            "program": "TEST-HEADS-2026",
            "applicant": "000000000000",
            "quantity": "1.5",
            "submit": "Submit",
        },
    )
    assert response.status_code == 422
    assert 'class="field-error"' in response.text
    assert _count() == before


def test_a_farmer_may_not_apply_for_another(client, world):
    _login(client, world["farmer"])
    form = client.get("/applications/new")
    # The farmer's applicant is fixed: a typed IIN/BIN is ignored, so this applies for its own.
    response = client.post(
        "/applications/new",
        data={
            "csrf_token": _hidden(form.text, "csrf_token"),
            "idempotency_key": _hidden(form.text, "idempotency_key"),
            "program": "TEST-HEADS-2026",
            "applicant": world["other"].iin_bin,
            "quantity": "5",
            "submit": "Submit",
        },
    )
    assert response.status_code == 302
    created = db.session.execute(sa.select(Application).order_by(Application.id.desc())).scalar()
    assert created.applicant_id == world["farm"].id


def _post(client, path, **data):
    """A decision's form as its confirmation sends it again (``confirmed=1``)."""
    page = client.get(path.rsplit("/", 1)[0])
    data = {"csrf_token": _hidden(page.text, "csrf_token"), "confirmed": "1", **data}
    return client.post(path, data=data)


def test_an_official_approves_through_the_form_and_the_farmer_gets_the_pdf(client, world):
    application = submit(world["farm"], quantity="10")
    _login(client, world["official"])
    response = _post(client, f"/applications/{application.id}/approve", amount="9000", comment="")
    assert response.status_code == 302
    assert _reload(application.id).status is Status.APPROVED
    assert _reload(application.id).approved_amount == 9000
    page = client.get(f"/applications/{application.id}")
    assert "decision.pdf" in page.text and "history" in page.text
    client.post("/logout", data={"csrf_token": _hidden(page.text, "csrf_token")})
    _login(client, world["farmer"])
    pdf = client.get(f"/applications/{application.id}/decision.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")


def test_a_large_amount_needs_a_second_official(client, world):
    application = submit(world["farm"], quantity="60")  # 60 000 > 50 000
    _login(client, world["official"])
    path = f"/applications/{application.id}/approve"
    assert _post(client, path).status_code == 302
    assert _reload(application.id).status is Status.AWAITING_SECOND_APPROVAL
    page = client.get(f"/applications/{application.id}")
    assert 'id="second-approval"' in page.text and 'id="approve-form"' not in page.text
    twice = _post(client, path)
    assert twice.status_code == 409
    assert 'id="action-error"' in twice.text
    assert _reload(application.id).status is Status.AWAITING_SECOND_APPROVAL


def test_budget_exhausted_waitlists_and_answers_409(client, world):
    make_program("TEST-SMALL-2026", budget="15000.00", threshold="50000.00")
    first = submit(world["other"], "TEST-SMALL-2026", quantity="10")
    application = submit(world["farm"], "TEST-SMALL-2026", quantity="10")
    _login(client, world["official"])
    assert _post(client, f"/applications/{first.id}/approve").status_code == 302
    response = _post(client, f"/applications/{application.id}/approve")
    assert response.status_code == 409
    assert 'id="action-error"' in response.text and 'id="queue-position"' in response.text
    assert _reload(application.id).status is Status.WAITLISTED


def test_an_official_rejects_with_a_reason(client, world):
    application = submit(world["farm"], quantity="10")
    _login(client, world["official"])
    path = f"/applications/{application.id}/reject"
    missing = _post(client, path, reason="  ")
    assert missing.status_code == 422
    assert _reload(application.id).status is Status.SUBMITTED
    assert _post(client, path, reason="herd not verified").status_code == 302
    assert _reload(application.id).status is Status.REJECTED


def test_the_farmer_withdraws(client, world):
    application = submit(world["farm"], quantity="10")
    _login(client, world["farmer"])
    assert _post(client, f"/applications/{application.id}/withdraw").status_code == 302
    assert _reload(application.id).status is Status.WITHDRAWN


def test_the_wrong_role_may_not_decide(client, world):
    application = submit(world["farm"], quantity="10")
    _login(client, world["auditor"])
    page = client.get(f"/applications/{application.id}")
    assert page.status_code == 200 and 'id="approve-form"' not in page.text
    assert _post(client, f"/applications/{application.id}/approve").status_code == 403
    assert _reload(application.id).status is Status.SUBMITTED


@pytest.mark.parametrize("action", ["approve", "reject", "withdraw", "new"])
def test_every_post_needs_its_csrf_token(client, world, action):
    application = submit(world["farm"], quantity="10")
    user = world["farmer"] if action in ("withdraw", "new") else world["official"]
    _login(client, user)
    before = _count()
    path = "/applications/new" if action == "new" else f"/applications/{application.id}/{action}"
    data = {"reason": "x", "program": "TEST-HEADS-2026", "quantity": "3", "submit": "Submit"}
    assert client.post(path, data=data).status_code == 400
    assert _reload(application.id).status is Status.SUBMITTED
    assert _count() == before


def test_the_profile_shows_the_registry_facts(client, world):
    _login(client, world["farmer"])
    page = client.get("/profile")
    assert world["farm"].name in page.text and world["farm"].iin_bin in page.text
    assert 'id="tax-arrears"' in page.text and ">80<" in page.text


@pytest.mark.parametrize("cursor", ["²", "¹", "-1", "99999999999999999999"])
def test_odd_queue_cursors_do_not_crash(client, app, cursor):
    _login(client, make_user("official"))
    assert client.get(f"/applications?cursor={cursor}").status_code == 200


def test_the_farmer_lists_its_animals_and_sees_them_claimed(client, world):
    from tests.factories import animals_extract

    farm = world["farm"]
    animals_extract(
        [(farm.iin_bin, f"KZF{n:04d}", "cattle", "F", "2024-01-01", "2025-01-01") for n in range(3)]
        + [(world["other"].iin_bin, "KZX0001", "cattle", "F", "2024-01-01", "2025-01-01")]
    )
    _login(client, world["farmer"])
    form = client.get("/applications/new")
    data = {
        "csrf_token": _hidden(form.text, "csrf_token"),
        "idempotency_key": _hidden(form.text, "idempotency_key"),
        "program": "TEST-HEADS-2026",
        "quantity": "2",
        "submit": "Submit",
    }
    before = _count()
    foreign = client.post("/applications/new", data={**data, "animals": "KZF0000, KZX0001"})
    assert foreign.status_code == 422 and "KZX0001" in foreign.text
    assert _count() == before
    done = client.post("/applications/new", data={**data, "animals": "KZF0002 KZF0000"})
    assert done.status_code == 302
    page = client.get(done.headers["Location"])
    assert 'id="claimed-animals"' in page.text and "KZF0000, KZF0002" in page.text
