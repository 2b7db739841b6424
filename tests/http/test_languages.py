"""Every page and every error path a person meets, in Kazakh and in Russian, with no English
on it (tests/http/test_languages_checker.py says what counts as English and what not).

Each role opens its pages and makes the refusals it can meet (a bad application form, an
unknown applicant, a bad amount to approve, an empty reason, a bad tranche, a bad repayment, a
bad status report, bad input to /verify and to the proof page, a form without its CSRF token),
and the error pages (403, 404, 405, 500) are rendered. A failure lists every English run found,
by request."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

import pytest

from subsidy.appeals import services as appeals
from subsidy.audit.services import create_checkpoint
from subsidy.decisions import services as decisions
from subsidy.decisions.queries import latest_document
from subsidy.extensions import db
from subsidy.payments import services as payments
from tests.factories import (
    PASSWORD,
    give_account,
    make_applicant,
    make_program,
    make_user,
    registry,
    submit,
    tranche,
)
from tests.http._obligations import recovery_case
from tests.http.test_languages_checker import findings

LANGUAGES = ("kk", "ru")
ROLES = ("anonymous", "farmer", "official", "treasurer", "auditor", "admin")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]*)"')
# The test data's own Latin text: the factories' actor, the bank's BIC give_account sets, the
# demonstration certificate's name for its signer ("... (DEMO)", decisions/pades.py).
DATA = frozenset({"test", "CASPKZKA", "DEMO"})


@dataclass
class Visit:
    method: str
    path: str
    status: int
    data: dict = field(default_factory=dict)
    csrf: bool = True  # send the session's CSRF token with a POST


def _get(path: str, status: int = 200) -> Visit:
    return Visit("GET", path, status)


def _post(path: str, status: int, csrf: bool = True, **data) -> Visit:
    return Visit("POST", path, status, data, csrf)


@pytest.fixture
def world(app):
    program = make_program()
    farm, other, third = (make_applicant("peasant_farm") for _ in range(3))
    registry(
        livestock=[(f.iin_bin, "cattle", 40, 40) for f in (farm, other, third)],
        tax=[(f.iin_bin, "0") for f in (farm, other, third)],
    )
    users = {
        "farmer": make_user("applicant", applicant=farm),
        "official": make_user("official"),
        "treasurer": make_user("treasurer"),
        "auditor": make_user("auditor"),
        "admin": make_user("admin"),
    }
    other_official, other_treasurer = make_user("official"), make_user("treasurer")
    decided = submit(farm, quantity="3", user=users["farmer"])
    decisions.approve_application(application=decided, user=other_official)
    pending = submit(other, quantity="2", user=users["official"])
    rejected = submit(third, quantity="2", user=users["official"])
    decisions.reject_application(application=rejected, user=other_official, reason="нет справки")
    appeal = appeals.file_appeal(
        target=appeals.appealable_application(rejected),
        user=make_user("applicant", applicant=third),
        reason="справка есть",
    )
    give_account(farm)
    tranche(program, "3000.00")
    run = payments.prepare_run(program=program, user=other_treasurer).run
    payments.release_run(run_id=run.id, user=users["treasurer"])
    _, case = recovery_case(farm, official=other_official)
    create_checkpoint()
    db.session.commit()
    return {
        "users": users,
        "decided": decided,
        "pending": pending,
        "rejected": rejected,
        "appeal": appeal.id,
        "run": run.id,
        "case": case["id"],
        "pdf_sha256": latest_document(decided.id).pdf_sha256,
    }


def _visits(role: str, w: dict) -> list[Visit]:
    decided, pending, rejected = w["decided"].id, w["pending"].id, w["rejected"].id
    everyone = [
        _get("/"),
        _get("/transparency"),
        _get("/transparency/queue"),
        _get("/verify"),
        _get(f"/verify?sha256={w['pdf_sha256']}"),
        _get(f"/verify?sha256={'0' * 64}"),
        _get("/verify?sha256=not-a-hash", 422),
        _post("/verify", 422, file=(io.BytesIO(b"not a pdf"), "letter.pdf")),
        _get("/no-such-page", 404),
        _get("/logout", 405),
    ]
    if role == "anonymous":
        return [
            *everyone,
            _get("/login"),
            _post("/login", 401, username="nobody", password="wrong"),
            _get("/applications"),  # to the sign-in form
            _post("/verify", 400, csrf=False),
        ]
    visits = {
        "farmer": [
            _get("/applications"),
            _get("/applications/new"),
            _get(f"/applications/{decided}"),
            _get(f"/applications/{pending}", 404),
            _get("/profile"),
            _get("/recoveries"),
            _get(f"/recoveries/{w['case']}"),
            _get("/appeals"),
            _get("/audit", 403),
            _get("/payments", 403),
            _post("/applications/new", 422, program="TEST-HEADS-2026", quantity="abc", check="1"),
            _post("/applications/new", 422, program="TEST-HEADS-2026", quantity="0", check="1"),
            _post("/applications/new", 200, program="TEST-HEADS-2026", quantity="5", check="1"),
            _post("/profile/bank-account", 422, iban="KZ00", bic="X"),
            _post(f"/applications/{decided}/withdraw", 409),
            _post(f"/recoveries/{w['case']}/appeals", 422, reason=""),
        ],
        "official": [
            _get("/applications"),
            _get("/applications?status=submitted"),
            _get("/applications/new"),
            _get(f"/applications/{decided}"),
            _get(f"/applications/{pending}"),
            _get(f"/applications/{rejected}"),
            _get("/appeals"),
            _get(f"/appeals/{w['appeal']}"),
            _get("/recoveries"),
            _get(f"/recoveries/{w['case']}"),
            _get("/profile", 403),
            _post(
                "/applications/new",
                422,
                program="TEST-HEADS-2026",
                applicant="000000000000",
                quantity="2",
                check="1",
            ),
            _post("/applications/new", 422, program="TEST-HEADS-2026", quantity="2", check="1"),
            _post(f"/applications/{pending}/approve", 422, amount="0"),
            _post(f"/applications/{pending}/approve", 422, amount="abc"),
            _post(f"/applications/{pending}/approve", 422, amount="1" * 40),  # WTForms' Length
            _post(f"/applications/{pending}/approve", 422, amount="999999"),
            _post(f"/applications/{pending}/reject", 422, reason=""),
            _post(f"/applications/{decided}/approve", 409),
            _post(f"/appeals/{w['appeal']}/decide", 422, outcome="", reason=""),
        ],
        "treasurer": [
            _get("/payments"),
            _get(f"/payments/runs/{w['run']}"),
            _get("/recoveries"),
            _get(f"/recoveries/{w['case']}"),
            _get("/applications", 403),
            _post(
                "/payments/tranches",
                422,
                program="TEST-HEADS-2026",
                amount="0",
                released_on="2026-06-01",
            ),
            _post(
                "/payments/tranches",
                422,
                program="TEST-HEADS-2026",
                amount="10",
                released_on="2099-01-01",
            ),
            _post(
                "/payments/tranches",
                409,
                program="TEST-HEADS-2026",
                amount="99999999",
                released_on="2026-06-01",
            ),
            _post("/payments/runs", 409, program="TEST-HEADS-2026"),
            _post(f"/payments/runs/{w['run']}/release", 409),
            _post(
                f"/payments/runs/{w['run']}/status",
                422,
                file=(io.BytesIO(b"<not-a-report/>"), "report.xml"),
            ),
            _post(f"/recoveries/{w['case']}/repayments", 422, amount="0", paid_on="2026-06-01"),
            _post(
                f"/recoveries/{w['case']}/repayments", 409, amount="999999", paid_on="2026-06-01"
            ),
        ],
        "auditor": [
            _get("/audit"),
            _get("/audit?start=0"),
            _get("/audit/proof"),
            _get("/audit/proof?index=0"),
            _get("/audit/proof?index=999999", 422),
            _get("/audit/proof?index=0&tree_size=999999", 422),
            _post("/audit/verify", 200),
            _get("/applications"),
            _get(f"/applications/{decided}"),
            _get("/payments"),
            _get(f"/payments/runs/{w['run']}"),
            _get("/appeals"),
            _get(f"/appeals/{w['appeal']}"),
            _get(f"/recoveries/{w['case']}"),
            _post("/audit/verify", 400, csrf=False),
        ],
        "admin": [_get("/audit"), _get("/applications", 403)],
    }
    return everyone + visits[role]


def _sign_in(client, user, lang: str) -> None:
    page = client.get("/login", headers={"Accept-Language": lang})
    response = client.post(
        "/login",
        data={
            "username": user.username,
            "password": PASSWORD,
            "csrf_token": CSRF.search(page.text).group(1),
        },
        headers={"Accept-Language": lang},
    )
    assert response.status_code == 302


def _open(client, visit: Visit, lang: str, token: str):
    headers = {"Accept-Language": lang}
    if visit.method == "GET":
        return client.get(visit.path, headers=headers, follow_redirects=True)
    data = dict(visit.data)
    if visit.csrf:
        data["csrf_token"] = token
    files = any(isinstance(value, tuple) for value in data.values())
    return client.post(
        visit.path,
        data=data,
        headers=headers,
        follow_redirects=True,
        content_type="multipart/form-data" if files else None,
    )


def _english(response, allowed: frozenset[str]) -> list[str]:
    if response.mimetype != "text/html":
        return [f"answered {response.mimetype}, not a page: {response.text[:120]!r}"]
    return [str(found) for found in findings(response.text, allowed)]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("role", ROLES)
def test_no_english_on_any_page_or_refusal(client, world, role, lang):
    if role != "anonymous":
        _sign_in(client, world["users"][role], lang)
    page = client.get("/verify", headers={"Accept-Language": lang})
    token = CSRF.search(page.text).group(1)
    problems = []
    for visit in _visits(role, world):
        response = _open(client, visit, lang, token)
        where = f"{visit.method} {visit.path}"
        if response.status_code != visit.status:
            problems.append(f"{where}: {response.status_code}, expected {visit.status}")
        if response.mimetype == "text/html" and f'<html lang="{lang}"' not in response.text:
            problems.append(f"{where}: not a page in {lang}")
        problems += [f"{where} → {found}" for found in _english(response, DATA)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_internal_error_page_is_in_the_language(app, client, monkeypatch, lang):
    def broken():
        raise RuntimeError("boom")

    monkeypatch.setitem(app.view_functions, "home.index", broken)
    response = client.get("/", headers={"Accept-Language": lang})
    assert response.status_code == 500
    assert [str(found) for found in findings(response.text, DATA)] == []
