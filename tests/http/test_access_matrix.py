"""Every route × every role (and anonymous), with its expected answer. A route added without an
entry here fails `test_every_route_is_in_the_matrix`: access is decided, never defaulted.

"ok" means allowed: any answer but 401/403/404 and never a 5xx (the body may still be refused
with 422 — that is validation, not access). Pages send the anonymous to the login form (302)."""

import re

import pytest

from subsidy.appeals import services as appeals
from subsidy.audit.services import create_checkpoint
from subsidy.decisions import services as decisions
from subsidy.decisions.queries import latest_document
from subsidy.extensions import db
from subsidy.payments import services as payments
from tests.factories import (
    PASSWORD,
    bearer,
    give_account,
    make_applicant,
    make_program,
    make_user,
    registry,
    submit,
    tranche,
)
from tests.http._obligations import file_recovery_appeal, recovery_case

ROLES = ("anonymous", "owner", "other", "official", "treasurer", "auditor", "admin")
OK = "ok"
PUBLIC = dict.fromkeys(ROLES, OK)


def _only(allowed: tuple[str, ...], *, anonymous=401, denied=403, other=None) -> dict:
    table = {role: (OK if role in allowed else denied) for role in ROLES}
    table["anonymous"] = anonymous
    if other is not None and "other" not in allowed:
        table["other"] = other
    return table


API_READERS = ("owner", "official", "auditor")
RUN = "<int(max=2147483647):run_id>"
CASE = "<int(max=2147483647):case_id>"
APPEAL = "<int(max=2147483647):appeal_id>"
APP = "<int(max=2147483647):application_id>"
CASE_READERS = ("owner", "official", "treasurer", "auditor")
PAGE = {"anonymous": 302}

MATRIX = {
    # --- JSON API -----------------------------------------------------------------------
    ("GET", "/api/v1/openapi.json"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("POST", "/api/v1/auth/token"): PUBLIC,
    ("GET", "/api/v1/auth/me"): _only(
        ("owner", "other", "official", "treasurer", "auditor", "admin")
    ),
    ("GET", "/api/v1/auth/tokens"): _only(
        ("owner", "other", "official", "treasurer", "auditor", "admin")
    ),
    ("DELETE", "/api/v1/auth/token"): _only(
        ("owner", "other", "official", "treasurer", "auditor", "admin")
    ),
    ("GET", "/api/v1/districts"): PUBLIC,
    ("POST", "/api/v1/applicants"): _only(("official", "admin")),
    ("GET", "/api/v1/applicants/<string:iin_bin>"): _only(
        ("owner", "official", "auditor", "admin")
    ),
    ("PUT", "/api/v1/applicants/<string:iin_bin>/bank-account"): _only(("owner", "official")),
    ("GET", "/api/v1/programs"): PUBLIC,
    ("GET", "/api/v1/programs/<string:code>"): PUBLIC,
    ("POST", "/api/v1/applications"): _only(("owner", "official")),
    ("POST", "/api/v1/applications/preview"): _only(("owner", "official")),
    ("GET", "/api/v1/applications"): _only(("owner", "other", "official", "auditor")),
    ("GET", "/api/v1/applications/<int(max=2147483647):application_id>"): _only(
        API_READERS, other=404
    ),
    ("GET", "/api/v1/applications/<int(max=2147483647):application_id>/decision.pdf"): _only(
        API_READERS, other=404
    ),
    (
        "GET",
        "/api/v1/applications/<int(max=2147483647):application_id>/decision.tlog-proof",
    ): _only(API_READERS, other=404),
    ("POST", "/api/v1/applications/<int(max=2147483647):application_id>/approve"): _only(
        ("official",)
    ),
    ("POST", "/api/v1/applications/<int(max=2147483647):application_id>/reject"): _only(
        ("official",)
    ),
    ("POST", "/api/v1/applications/<int(max=2147483647):application_id>/withdraw"): _only(
        ("owner",), other=404
    ),
    ("POST", "/api/v1/applications/<int(max=2147483647):application_id>/flags"): _only(
        ("official",)
    ),
    ("POST", "/api/v1/documents/verify"): PUBLIC,
    ("POST", "/api/v1/programs/<string:code>/tranches"): _only(("treasurer",)),
    ("GET", "/api/v1/programs/<string:code>/tranches"): _only(("treasurer", "auditor")),
    ("POST", "/api/v1/payment-runs"): _only(("treasurer",)),
    ("GET", "/api/v1/payment-runs"): _only(("treasurer", "auditor")),
    ("GET", f"/api/v1/payment-runs/{RUN}"): _only(("treasurer", "auditor")),
    ("POST", f"/api/v1/payment-runs/{RUN}/release"): _only(("treasurer",)),
    ("POST", f"/api/v1/payment-runs/{RUN}/cancel"): _only(("treasurer",)),
    ("GET", f"/api/v1/payment-runs/{RUN}/pain.001.xml"): _only(("treasurer", "auditor")),
    ("POST", f"/api/v1/payment-runs/{RUN}/status"): _only(("treasurer",)),
    ("GET", "/api/v1/recoveries"): _only(("owner", "other", "official", "treasurer", "auditor")),
    ("GET", f"/api/v1/recoveries/{CASE}"): _only(CASE_READERS, other=404),
    ("GET", f"/api/v1/recoveries/{CASE}/notice.pdf"): _only(CASE_READERS, other=404),
    ("POST", f"/api/v1/recoveries/{CASE}/repayments"): _only(("treasurer",)),
    ("POST", f"/api/v1/recoveries/{CASE}/appeals"): _only(("owner",), other=404),
    ("POST", f"/api/v1/applications/{APP}/appeals"): _only(("owner",), other=404),
    ("GET", "/api/v1/appeals"): _only(("owner", "other", "official", "auditor")),
    ("GET", f"/api/v1/appeals/{APPEAL}"): _only(API_READERS, other=404),
    ("POST", f"/api/v1/appeals/{APPEAL}/decide"): _only(("official",)),
    ("GET", f"/api/v1/appeals/{APPEAL}/decision.pdf"): _only(API_READERS, other=404),
    ("GET", "/api/v1/transparency/decisions"): PUBLIC,
    ("GET", "/api/v1/transparency/summary"): PUBLIC,
    ("GET", "/api/v1/transparency/queue"): PUBLIC,
    ("GET", "/api/v1/transparency/cooperatives"): PUBLIC,
    ("GET", "/api/v1/audit/entries"): _only(("auditor", "admin")),
    ("GET", "/api/v1/audit/tree-head"): PUBLIC,
    ("GET", "/api/v1/audit/checkpoints/latest"): PUBLIC,
    ("GET", "/api/v1/audit/public-key"): PUBLIC,
    ("GET", "/api/v1/audit/proofs/inclusion"): PUBLIC,
    ("GET", "/api/v1/audit/proofs/consistency"): PUBLIC,
    ("GET", "/api/v1/audit/entries/by-id"): PUBLIC,
    # --- the log as tlog-tiles --------------------------------------------------------------
    ("GET", "/log/checkpoint"): PUBLIC,
    ("GET", "/log/vkey"): PUBLIC,
    ("GET", "/log/tile/<path:rest>"): PUBLIC,
    # --- pages ---------------------------------------------------------------------------
    ("GET", "/"): PUBLIC,
    ("GET", "/favicon.ico"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("GET", "/verify"): PUBLIC,
    ("POST", "/verify"): PUBLIC,
    ("GET", "/transparency"): PUBLIC,
    ("GET", "/transparency/decisions.csv"): PUBLIC,
    ("GET", "/transparency/decisions.xlsx"): PUBLIC,
    ("GET", "/transparency/decisions.json"): PUBLIC,
    ("GET", "/transparency/queue"): PUBLIC,
    ("GET", "/applications"): _only(("owner", "other", "official", "auditor"), anonymous=302),
    ("GET", "/applications/new"): _only(("owner", "other", "official"), anonymous=302),
    ("POST", "/applications/new"): _only(("owner", "other", "official"), anonymous=302),
    ("GET", "/applicants/search"): _only(("official",), anonymous=302),
    ("GET", "/applications/<int(max=2147483647):application_id>"): _only(
        API_READERS, anonymous=302, other=404
    ),
    ("GET", "/applications/<int(max=2147483647):application_id>/decision.pdf"): _only(
        API_READERS, anonymous=302, other=404
    ),
    ("GET", "/applications/<int(max=2147483647):application_id>/decision.tlog-proof"): _only(
        API_READERS, anonymous=302, other=404
    ),
    ("GET", "/verify/<sha256>.tlog-proof"): PUBLIC,
    ("GET", "/verify/document-ca.pem"): PUBLIC,
    ("POST", "/applications/<int(max=2147483647):application_id>/approve"): _only(
        ("official",), anonymous=302
    ),
    ("POST", "/applications/<int(max=2147483647):application_id>/reject"): _only(
        ("official",), anonymous=302
    ),
    ("POST", "/applications/<int(max=2147483647):application_id>/withdraw"): _only(
        ("owner",), anonymous=302, other=404
    ),
    ("POST", "/applications/<int(max=2147483647):application_id>/flags"): _only(
        ("official",), anonymous=302
    ),
    ("GET", "/profile"): _only(("owner", "other"), anonymous=302),
    ("POST", "/profile/bank-account"): _only(("owner", "other"), anonymous=302),
    ("GET", "/audit"): _only(("auditor", "admin"), anonymous=302),
    ("POST", "/audit/verify"): _only(("auditor", "admin"), anonymous=302),
    ("GET", "/audit/export.jsonl"): _only(("auditor", "admin"), anonymous=302),
    ("GET", "/audit/proof"): _only(("auditor", "admin"), anonymous=302),
    ("GET", "/payments"): _only(("treasurer", "auditor"), anonymous=302),
    ("POST", "/payments/tranches"): _only(("treasurer",), anonymous=302),
    ("POST", "/payments/runs"): _only(("treasurer",), anonymous=302),
    ("GET", f"/payments/runs/{RUN}"): _only(("treasurer", "auditor"), anonymous=302),
    ("POST", f"/payments/runs/{RUN}/release"): _only(("treasurer",), anonymous=302),
    ("POST", f"/payments/runs/{RUN}/cancel"): _only(("treasurer",), anonymous=302),
    ("GET", f"/payments/runs/{RUN}/pain.001.xml"): _only(("treasurer", "auditor"), anonymous=302),
    ("POST", f"/payments/runs/{RUN}/status"): _only(("treasurer",), anonymous=302),
    ("GET", "/recoveries"): _only(
        ("owner", "other", "official", "treasurer", "auditor"), anonymous=302
    ),
    ("GET", f"/recoveries/{CASE}"): _only(CASE_READERS, anonymous=302, other=404),
    ("GET", f"/recoveries/{CASE}/notice.pdf"): _only(CASE_READERS, anonymous=302, other=404),
    ("POST", f"/recoveries/{CASE}/repayments"): _only(("treasurer",), anonymous=302),
    ("POST", f"/recoveries/{CASE}/appeals"): _only(("owner",), anonymous=302, other=404),
    ("POST", f"/applications/{APP}/appeals"): _only(("owner",), anonymous=302, other=404),
    ("GET", "/appeals"): _only(("owner", "other", "official", "auditor"), anonymous=302),
    ("GET", f"/appeals/{APPEAL}"): _only(API_READERS, anonymous=302, other=404),
    ("POST", f"/appeals/{APPEAL}/decide"): _only(("official",), anonymous=302),
    ("GET", f"/appeals/{APPEAL}/decision.pdf"): _only(API_READERS, anonymous=302, other=404),
}
FRAMEWORK = {("GET", "/static/<path:filename>")}


def _routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, rule.rule


def test_every_route_is_in_the_matrix(app):
    missing = sorted(set(_routes(app)) - set(MATRIX) - FRAMEWORK)
    stale = sorted(set(MATRIX) - set(_routes(app)))
    assert missing == [], f"routes without an access entry: {missing}"
    assert stale == [], f"entries for routes that no longer exist: {stale}"


def _needs_obligations(request) -> bool:
    """Only the recovery and appeal routes need a paid case and its appeal (a second program,
    a payment, two PDFs): the others skip building them."""
    callspec = getattr(request.node, "callspec", None)
    rule = callspec.params.get("rule", "") if callspec else ""
    return "recover" in rule or "appeal" in rule


@pytest.fixture
def world(app, request):
    make_program()
    owner_farm, other_farm = make_applicant("peasant_farm"), make_applicant("peasant_farm")
    registry(livestock=[(f.iin_bin, "cattle", 40, 40) for f in (owner_farm, other_farm)])
    users = {
        "owner": make_user("applicant", applicant=owner_farm),
        "other": make_user("applicant", applicant=other_farm),
        "official": make_user("official"),
        "auditor": make_user("auditor"),
        "treasurer": make_user("treasurer"),
        "admin": make_user("admin"),
    }
    decided = submit(owner_farm, quantity="3", user=users["owner"])
    decisions.approve_application(application=decided, user=make_user("official"))
    pending = submit(owner_farm, quantity="2", user=users["official"])
    # A released payment run of the decided application (prepared by another treasurer).
    give_account(owner_farm)
    tranche(decided.program, "3000.00")
    run = payments.prepare_run(program=decided.program, user=make_user("treasurer")).run
    payments.release_run(run_id=run.id, user=users["treasurer"])
    # A recovery case of the owner's (paid, two of the claimed cows gone) and its appeal,
    # dismissed by an official other than the one under test (who may still decide appeals).
    case_id = appeal_id = 0
    if _needs_obligations(request):
        _, case = recovery_case(owner_farm)
        appeal = file_recovery_appeal(case["id"], users["owner"])
        appeals.decide_appeal(
            appeal_id=appeal.id, user=make_user("official"), outcome="dismissed", reason="no"
        )
        case_id, appeal_id = case["id"], appeal.id
    create_checkpoint()
    db.session.commit()
    return {
        "users": users,
        "farm": owner_farm,
        "decided": decided,
        "pending": pending,
        "run": run,
        "case": case_id,
        "appeal": appeal_id,
    }


def _url(rule: str, world) -> str:
    decision = rule.endswith(("decision.pdf", "decision.tlog-proof"))
    application = world["decided"] if decision else world["pending"]
    url = re.sub(r"<int\([^>]*\):application_id>", str(application.id), rule)
    url = url.replace("<string:iin_bin>", world["farm"].iin_bin)
    url = url.replace("<string:code>", "TEST-HEADS-2026")
    if "<sha256>" in url:
        url = url.replace("<sha256>", latest_document(world["decided"].id).pdf_sha256)
    url = url.replace(RUN, str(world["run"].id))
    url = url.replace(CASE, str(world["case"])).replace(APPEAL, str(world["appeal"]))
    url = url.replace("<path:rest>", "0/000.p/1")  # the first leaf hash: any log has it
    queries = {
        "/api/v1/audit/proofs/inclusion": "?index=0&tree_size=1",
        "/api/v1/audit/proofs/consistency": "?first=1&second=2",
        "/audit/proof": "?index=0",
    }
    return url + queries.get(url, "")


ACCOUNT = {"iban": "KZ86125KZT5004100100", "bic": "KCJBKZKX"}


def _body(method: str, rule: str, world) -> dict:
    if method not in ("POST", "PUT"):
        return {}
    farm = world["farm"].iin_bin
    bodies = {
        "/api/v1/auth/token": {
            "json": {"username": world["users"]["official"].username, "password": PASSWORD}
        },
        "/api/v1/applicants": {
            "json": {
                "kind": "individual",
                "iin_bin": "061211600012",
                "name": "Тест",
                "district": "634000000",
            }
        },
        "/api/v1/applications": {
            "json": {"program": "TEST-HEADS-2026", "applicant": farm, "quantity": "1"}
        },
        "/api/v1/applications/preview": {
            "json": {"program": "TEST-HEADS-2026", "applicant": farm, "quantity": "1"}
        },
        "/api/v1/documents/verify": {"json": {"sha256": "0" * 64}},
        "/api/v1/programs/<string:code>/tranches": {
            "json": {"amount": "1.00", "released_on": "2026-06-01"}
        },
        "/api/v1/payment-runs": {"json": {"program": "TEST-HEADS-2026"}},
        f"/api/v1/payment-runs/{RUN}/status": {
            "data": b"<x/>",
            "headers": {"Content-Type": "application/xml"},
        },
        "/api/v1/applicants/<string:iin_bin>/bank-account": {"json": ACCOUNT},
        "/profile/bank-account": {"data": ACCOUNT},
        f"/api/v1/recoveries/{CASE}/repayments": {
            "json": {"amount": "1.00", "paid_on": "2026-06-01"}
        },
        f"/recoveries/{CASE}/repayments": {"data": {"amount": "1.00", "paid_on": "2026-06-01"}},
        f"/api/v1/appeals/{APPEAL}/decide": {"json": {"outcome": "granted", "reason": "ok"}},
        f"/appeals/{APPEAL}/decide": {"data": {"outcome": "granted", "reason": "ok"}},
        f"/api/v1/recoveries/{CASE}/appeals": {"json": {"reason": "again"}},
        f"/recoveries/{CASE}/appeals": {"data": {"reason": "again"}},
        f"/api/v1/applications/{APP}/appeals": {"json": {"reason": "again"}},
        f"/applications/{APP}/appeals": {"data": {"reason": "again"}},
        "/login": {"data": {"username": world["users"]["official"].username, "password": PASSWORD}},
        "/applications/new": {
            "data": {"program": "TEST-HEADS-2026", "quantity": "1", "applicant": farm, "check": "1"}
        },
    }
    for suffix, body in (("/approve", {}), ("/reject", {"reason": "test"}), ("/withdraw", {})):
        if rule.endswith(suffix):
            return {"json": body} if rule.startswith("/api/") else {"data": body}
    return bodies.get(rule, {"data": {}} if not rule.startswith("/api/") else {"json": {}})


def _sign_in(client, user) -> None:
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "rule"), sorted(MATRIX))
def test_access(client, app, world, method, rule, role):
    expected = MATRIX[(method, rule)][role]
    app.config["WTF_CSRF_ENABLED"] = False  # access, not CSRF, is under test here
    try:
        headers = {}
        if role != "anonymous":
            if rule.startswith("/api/"):
                headers = bearer(world["users"][role])
            else:
                _sign_in(client, world["users"][role])
        body = dict(_body(method, rule, world))
        headers.update(body.pop("headers", {}))
        response = client.open(_url(rule, world), method=method, headers=headers, **body)
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    status = response.status_code
    assert status < 500, (role, method, rule, status)
    if expected == OK:
        assert status not in (401, 403, 404), (role, method, rule, status)
        assert not (status == 302 and "/login" in response.headers.get("Location", "")), rule
    else:
        assert status == expected, (role, method, rule, status)
