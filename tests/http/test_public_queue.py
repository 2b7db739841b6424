"""The public waiting list: a program's applications awaiting money in payment order, open
without login, with natural persons masked."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from subsidy.decisions import services as decisions
from subsidy.extensions import db
from subsidy.payments import iso20022
from subsidy.payments import services as payments
from tests.factories import (
    approved,
    give_account,
    make_applicant,
    make_program,
    make_user,
    registry,
    submit,
    tranche,
)

PERSON = "Иванова Ольга Петровна"
COMPANY = "ТОО «Шығыс Агро»"


def bank_report(run, statuses: dict[str, tuple[str, str | None]]) -> bytes:
    """The bank's pain.002 for ``run``: application number -> (TxSts, reason)."""
    return iso20022.render_pain002(
        iso20022.StatusReport(
            message_id=f"BANK-{run.id}-{len(statuses)}",
            created_at=datetime(2026, 6, 20, 10, 0, tzinfo=UTC),
            original_message_id=f"RUN-{run.id}",
            group_status=None,
            transactions=tuple(
                iso20022.TransactionStatus(number, status, reason, None)
                for number, (status, reason) in statuses.items()
            ),
        )
    )


@pytest.fixture
def queue(app):
    """Four approved applications (10,000 each) and a waitlisted one (20,000) in a 50,000
    program; 20,000 released and paid out in one run: the first paid, the second returned."""
    program = make_program(budget="50000.00", threshold="50000.00")
    paid_farm = make_applicant("peasant_farm")
    company = make_applicant("legal_entity", name=COMPANY)
    person = make_applicant("individual", name=PERSON)
    farm = make_applicant("peasant_farm")
    late = make_applicant("peasant_farm")
    everyone = [paid_farm, company, person, farm, late]
    registry(livestock=[(a.iin_bin, "cattle", 30, 30) for a in everyone])
    first, second, third, fourth = (approved(a) for a in (paid_farm, company, person, farm))
    fifth = submit(late, quantity="20")
    assert decisions.approve_application(application=fifth, user=make_user()).waitlisted
    for applicant in (paid_farm, company, person):
        give_account(applicant)
    tranche(program, "20000.00")
    run = payments.prepare_run(program=program, user=make_user("treasurer")).run
    db.session.commit()
    return {
        "program": program,
        "run": run,
        "applications": [first, second, third, fourth, fifth],
        "applicants": everyone,
    }


def pay_out(queue) -> None:
    """Release the run; the bank pays the first and returns the second (closed account)."""
    run = queue["run"]
    payments.release_run(run_id=run.id, user=make_user("treasurer"))
    first, second = queue["applications"][:2]
    report = bank_report(run, {first.number: ("ACSC", None), second.number: ("RJCT", "AC04")})
    payments.apply_status_report(run_id=run.id, data=report, actor="test")
    db.session.commit()


def entries(client, query: str = "") -> dict:
    answer = client.get(f"/api/v1/transparency/queue?program=TEST-HEADS-2026{query}")
    assert answer.status_code == 200, answer.json
    return answer.json


def test_the_queue_lists_approved_and_waitlisted_applications_in_submission_order(client, queue):
    page = entries(client)
    numbers = [a.number for a in queue["applications"]]
    assert [item["number"] for item in page["items"]] == numbers
    assert [item["position"] for item in page["items"]] == [1, 2, 3, 4, 5]
    assert [item["status"] for item in page["items"]] == [
        "scheduled",
        "scheduled",
        "approved",
        "approved",
        "waitlisted",
    ]
    assert [item["amount"] for item in page["items"]] == ["10000.00"] * 4 + ["20000.00"]
    assert page["next"] is None
    assert page["summary"] == {
        "program": "TEST-HEADS-2026",
        "budget": "50000.00",
        "committed": "40000.00",
        "released": "20000.00",
        "scheduled": "20000.00",
        "paid": "0.00",
        "arrears": "40000.00",
        "waiting": 5,
    }
    submitted = datetime.fromisoformat(page["items"][0]["submitted_at"])
    assert submitted.tzinfo is not None


def test_paid_ones_leave_the_queue_and_a_returned_one_keeps_its_place(client, queue):
    pay_out(queue)
    page = entries(client)
    _, second, third, fourth, fifth = queue["applications"]
    assert [(item["position"], item["number"], item["status"]) for item in page["items"]] == [
        (1, second.number, "returned"),
        (2, third.number, "approved"),
        (3, fourth.number, "approved"),
        (4, fifth.number, "waitlisted"),
    ]
    summary = page["summary"]
    assert (summary["paid"], summary["arrears"], summary["waiting"]) == ("10000.00", "30000.00", 4)
    assert (summary["released"], summary["scheduled"]) == ("20000.00", "0.00")


def test_positions_run_on_across_pages(client, queue):
    pay_out(queue)
    everything = entries(client)["items"]
    first = entries(client, "&limit=3")
    assert [item["position"] for item in first["items"]] == [1, 2, 3]
    second = entries(client, f"&limit=3&cursor={first['next']}")
    assert [item["position"] for item in second["items"]] == [4]
    assert second["next"] is None
    assert first["items"] + second["items"] == everything
    # A cursor from before a payment still places the rest right: the paid one counted no more.
    early = entries(client, "&limit=1&cursor=0")
    assert early["items"] == everything[:1]


def test_natural_persons_are_masked_and_companies_shown(client, queue):
    pay_out(queue)
    items = entries(client)["items"]
    by_number = {item["number"]: item["applicant"] for item in items}
    company, person = (by_number[a.number] for a in queue["applications"][1:3])
    assert company == {
        "kind": "legal_entity",
        "name": COMPANY,
        "iin_bin": queue["applicants"][1].iin_bin,
        "masked": False,
    }
    assert person == {"kind": "individual", "name": "И. О. П.", "iin_bin": None, "masked": True}
    raw = client.get("/api/v1/transparency/queue?program=TEST-HEADS-2026").get_data(as_text=True)
    page = client.get("/transparency/queue?program=TEST-HEADS-2026").get_data(as_text=True)
    for body in (raw, page):
        assert PERSON not in body and "Иванова" not in body
        for applicant in queue["applicants"]:
            if applicant.kind.value != "legal_entity":
                assert applicant.iin_bin not in body


@pytest.mark.parametrize(
    "query", ["", "?program=", "?program=NO-SUCH-2026", "?program=TEST-HEADS-2026&limit=0"]
)
def test_a_missing_or_unknown_program_is_refused_naming_the_field(client, queue, query):
    answer = client.get(f"/api/v1/transparency/queue{query}")
    assert answer.status_code == 422
    field = "limit" if "limit" in query else "program"
    assert field in answer.json["errors"]


def test_the_queue_page_shows_the_list_and_the_money_line(client, queue):
    pay_out(queue)
    page = client.get("/transparency/queue?program=TEST-HEADS-2026&lang=en")
    assert page.status_code == 200
    text = page.text
    assert "<title>Waiting list ·" in text
    assert "Program TEST-HEADS-2026" in text
    for amount in ("50,000.00 ₸", "20,000.00 ₸", "10,000.00 ₸", "30,000.00 ₸"):
        assert amount in text  # budget, released, paid, arrears
    assert "returned by the bank, waiting again" in text
    assert "approved, awaiting payment" in text and ">waitlisted<" in text
    table = text.split("<table")[1]
    numbers = [a.number for a in queue["applications"][1:]]
    assert [table.index(number) for number in numbers] == sorted(
        table.index(number) for number in numbers
    )
    assert queue["applications"][0].number not in table  # paid: no longer waiting
    assert COMPANY in table and "И. О. П." in table


def test_the_queue_page_defaults_to_the_first_program_and_survives_an_unknown_one(client, queue):
    make_program("TEST-ZZZ-2026")
    db.session.commit()
    default = client.get("/transparency/queue?lang=en").text
    assert queue["applications"][0].number in default
    unknown = client.get("/transparency/queue?program=NOPE&lang=en")
    assert unknown.status_code == 200 and "Unknown value" in unknown.text
    assert queue["applications"][0].number in unknown.text
    other = client.get("/transparency/queue?program=TEST-ZZZ-2026&lang=en").text
    assert "Nobody is waiting for money in this program." in other


def test_the_queue_page_pages_on(client, queue, monkeypatch):
    from subsidy.web import public

    monkeypatch.setattr(public, "PAGE_SIZE", 2)
    first = client.get("/transparency/queue?program=TEST-HEADS-2026&lang=en").text
    assert "Next page" in first and "First page" not in first
    cursor = queue["applications"][1].id
    assert f"cursor={cursor}" in first
    second = client.get(f"/transparency/queue?program=TEST-HEADS-2026&cursor={cursor}&lang=en")
    table = second.text.split("<table")[1]
    assert queue["applications"][2].number in table
    assert queue["applications"][1].number not in table
    assert '<td class="num">3</td>' in table and "First page" in second.text


@pytest.mark.parametrize(
    ("language", "title", "status"),
    [
        ("ru", "Лист ожидания", "одобрено, ожидает выплаты"),
        ("kk", "Күту парағы", "мақұлданды, төлемді күтуде"),
        ("en", "Waiting list", "approved, awaiting payment"),
    ],
)
def test_the_queue_page_speaks_three_languages(client, queue, language, title, status):
    page = client.get(f"/transparency/queue?program=TEST-HEADS-2026&lang={language}")
    assert page.status_code == 200
    assert f"<h1>{title}</h1>" in page.text and status in page.text


def test_the_register_links_to_the_queue(client, queue):
    page = client.get("/transparency?lang=en").text
    assert 'href="/transparency/queue"' in page


def _statements(app, path: str, client) -> int:
    sent = []

    def remember(conn, cursor, statement, *args):
        sent.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", remember)
    try:
        assert client.get(path).status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", remember)
    return len([s for s in sent if not s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE"))])


def test_the_queue_page_does_not_query_once_per_row(app, client, queue):
    path = "/transparency/queue?program=TEST-HEADS-2026"
    client.get(path)  # the register's totals (the program choices) kept from here on
    few = _statements(app, path, client)
    more = [make_applicant("peasant_farm") for _ in range(6)]
    registry(livestock=[(a.iin_bin, "cattle", 30, 30) for a in more])
    official = make_user()
    for applicant in more:  # beyond the budget: waitlisted behind the others
        application = submit(applicant, quantity="20")
        assert decisions.approve_application(application=application, user=official).waitlisted
    db.session.commit()
    assert entries(client)["summary"]["waiting"] == 11
    assert _statements(app, path, client) == few
