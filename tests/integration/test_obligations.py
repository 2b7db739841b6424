"""keep_animals checked on every animals extract: a breach opens one recovery case (pro rata, to
the tiyn), the same extract again opens none, nor does one after the obligation ended;
repayments; appeals of a rejection and of a recovery notice."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from subsidy.appeals import services as appeals
from subsidy.applications.models import Application, Status
from subsidy.audit.models import AuditEntry
from subsidy.decisions import services as decisions
from subsidy.decisions.models import DecisionDocument
from subsidy.errors import Conflict, Forbidden
from subsidy.extensions import db
from subsidy.obligations import queries, services
from subsidy.obligations.models import CaseStatus, RecoveryCase
from subsidy.payments import iso20022
from subsidy.payments import services as payments
from subsidy.registry.services import import_extract
from tests.factories import (
    animals_extract,
    give_account,
    make_applicant,
    make_program,
    make_user,
    registry,
    submit,
    tranche,
)

CODE = "TEST-KEEP-2026"
PAID_ON = date(2026, 6, 15)


def herd(farm, count=10):
    return [
        (farm.iin_bin, f"KZ{farm.iin_bin[-4:]}{n:04d}", "cattle", "F", "2021-03-01", "2025-01-10")
        for n in range(count)
    ]


def later_extract(rows, as_of):
    """An animals extract imported as `subsidy registry import` does (obligations checked)."""
    return import_extract(
        kind="animals",
        rows=[
            {
                "iin_bin": iin,
                "animal_id": animal,
                "species": species,
                "sex": sex,
                "birth_date": date.fromisoformat(born),
                "registered_on": date.fromisoformat(registered),
            }
            for iin, animal, species, sex, born, registered in rows
        ],
        source_name="later.csv",
        source_sha256="1" * 64,
        as_of=as_of,
        actor="test",
    )


def pay(application):
    give_account(application.applicant)
    tranche(application.program, f"{application.approved_amount:.2f}")
    run = payments.prepare_run(program=application.program, user=make_user("treasurer")).run
    payments.release_run(run_id=run.id, user=make_user("treasurer"))
    report = iso20022.StatusReport(
        f"BANK-{run.id}",
        datetime(2026, 6, 15, 6, tzinfo=UTC),
        f"RUN-{run.id}",
        None,
        (iso20022.TransactionStatus(application.number, "ACSC", None, None),),
    )
    payments.apply_status_report(run_id=run.id, data=iso20022.render_pain002(report), actor="t")
    assert application.status is Status.PAID and application.paid_on == PAID_ON


@pytest.fixture
def paid(app):
    """A farm paid 4 000 for four of its ten cows, keep_animals 12 months."""
    make_program(
        CODE,
        criteria=[{"rule": "no_double_funding"}],
        obligations=[{"obligation": "keep_animals", "params": {"months": 12}}],
        recovery_days=30,
    )
    farm = make_applicant("peasant_farm")
    rows = herd(farm)
    animals_extract(rows)
    claimed = [row[1] for row in rows[:4]]
    application = submit(farm, CODE, quantity=None, animals=claimed)
    decisions.approve_application(application=application, user=make_user())
    pay(application)
    return {"application": application, "rows": rows, "claimed": claimed, "farm": farm}


def cases_of(application):
    return list(
        db.session.execute(
            sa.select(RecoveryCase).where(RecoveryCase.application_id == application.id)
        ).scalars()
    )


def test_claimed_animals_gone_open_one_case_pro_rata(paid):
    rows, claimed = paid["rows"], paid["claimed"]
    gone = set(claimed[:3])
    later_extract([row for row in rows if row[1] not in gone], date(2026, 9, 1))
    [case] = cases_of(paid["application"])
    assert json.loads(case.animals) == sorted(gone)
    assert (case.claimed_count, case.paid_amount, case.amount) == (
        4,
        Decimal("4000.00"),
        Decimal("3000.00"),
    )
    assert case.due_on == date(2026, 7, 15)  # 30 days after today (2026-06-15 in tests)
    assert case.status is CaseStatus.OPEN
    notice = db.session.get(DecisionDocument, case.notice_document_id)
    assert (notice.kind, notice.outcome) == ("recovery", "recovery")
    assert notice.pdf.startswith(b"%PDF")
    opened = db.session.execute(
        sa.select(AuditEntry.canonical).where(AuditEntry.action == "recovery_opened")
    ).scalar_one()
    assert json.loads(bytes(opened))["data"]["amount"] == "3000.00"


def test_breaches_are_found_and_rendered_before_the_log_lock_and_logged_after_the_import(
    paid, monkeypatch
):
    """The query over the extract and the notices' PDFs take seconds at scale: every other
    writer waits for the log lock, so they run before it; the cases' entries follow the
    import's (on SQLite the one writer holds the database anyway, and nothing is asserted)."""
    from subsidy.audit.services import holds_log_lock
    from subsidy.decisions import notices_issuing

    rendered_under_lock = []
    prepare = notices_issuing.prepare_recovery_notice

    def watched(**kwargs):
        rendered_under_lock.append(holds_log_lock(db.session))
        return prepare(**kwargs)

    monkeypatch.setattr(services, "prepare_recovery_notice", watched)
    db.session.commit()  # the import begins a transaction of its own, as the command's does
    rows, claimed = paid["rows"], paid["claimed"]
    before = db.session.scalar(sa.select(sa.func.max(AuditEntry.entry_index)))
    later_extract([row for row in rows if row[1] != claimed[0]], date(2026, 9, 1))
    assert rendered_under_lock == [False]
    actions = db.session.execute(
        sa.select(AuditEntry.action)
        .where(AuditEntry.entry_index > before)
        .order_by(AuditEntry.entry_index)
    ).scalars()
    assert list(actions) == ["registry_imported", "recovery_opened", "document_issued"]


def test_the_same_extract_again_opens_no_case(paid):
    rows, claimed = paid["rows"], paid["claimed"]
    kept = [row for row in rows if row[1] != claimed[0]]
    later_extract(kept, date(2026, 9, 1))
    later_extract(kept, date(2026, 9, 1))
    assert len(cases_of(paid["application"])) == 1


def test_an_animal_sold_to_another_farm_has_left(paid):
    rows, claimed = paid["rows"], paid["claimed"]
    other = make_applicant("peasant_farm")
    moved = [(other.iin_bin, *row[1:]) if row[1] == claimed[1] else row for row in rows]
    later_extract(moved, date(2026, 9, 1))
    [case] = cases_of(paid["application"])
    assert json.loads(case.animals) == [claimed[1]]
    assert case.amount == Decimal("1000.00")


def test_a_later_breach_opens_a_case_for_the_newly_gone_only(paid):
    rows, claimed = paid["rows"], paid["claimed"]
    later_extract([row for row in rows if row[1] != claimed[0]], date(2026, 9, 1))
    gone = {claimed[0], claimed[1]}
    later_extract([row for row in rows if row[1] not in gone], date(2026, 10, 1))
    cases = cases_of(paid["application"])
    assert [json.loads(c.animals) for c in cases] == [[claimed[0]], [claimed[1]]]
    assert sum(c.amount for c in cases) <= paid["application"].payment_amount


def test_an_extract_after_the_obligation_ended_opens_none(paid):
    rows, claimed = paid["rows"], paid["claimed"]
    later_extract([row for row in rows if row[1] != claimed[0]], date(2027, 6, 16))
    assert cases_of(paid["application"]) == []


def test_an_extract_within_the_last_day_still_counts(paid):
    rows, claimed = paid["rows"], paid["claimed"]
    later_extract([row for row in rows if row[1] != claimed[0]], date(2027, 6, 15))
    assert len(cases_of(paid["application"])) == 1


def _case(paid):
    rows, claimed = paid["rows"], paid["claimed"]
    later_extract([row for row in rows if row[1] not in claimed[:2]], date(2026, 9, 1))
    return cases_of(paid["application"])[0]


def test_repayments_close_the_case_and_more_than_owed_is_refused(paid):
    case = _case(paid)  # 2 000.00
    treasurer = make_user("treasurer")
    with pytest.raises(Forbidden):
        services.record_repayment(
            case_id=case.id, amount=Decimal("1.00"), paid_on=PAID_ON, user=make_user()
        )
    services.record_repayment(
        case_id=case.id, amount=Decimal("500.00"), paid_on=PAID_ON, user=treasurer
    )
    assert case.status is CaseStatus.OPEN and case.repaid_amount == Decimal("500.00")
    with pytest.raises(Conflict):
        services.record_repayment(
            case_id=case.id, amount=Decimal("1500.01"), paid_on=PAID_ON, user=treasurer
        )
    services.record_repayment(
        case_id=case.id, amount=Decimal("1500.00"), paid_on=PAID_ON, user=treasurer
    )
    assert case.status is CaseStatus.REPAID and case.closed_at is not None


def test_a_case_past_its_due_date_is_listed_as_overdue(app, paid):
    case = _case(paid)
    official = make_user()
    assert [c["id"] for c in queries.list_cases(user=official, status="overdue")] == []
    app.config["TODAY"] = "2026-07-16"
    try:
        assert [c["id"] for c in queries.list_cases(user=official, status="overdue")] == [case.id]
        assert queries.case_view(case)["status"] == "overdue"
    finally:
        app.config["TODAY"] = "2026-06-15"


def test_a_granted_appeal_cancels_the_recovery(paid):
    case = _case(paid)
    farmer = make_user("applicant", applicant=paid["farm"])
    appeal = appeals.file_appeal(
        target=appeals.appealable_recovery(case), user=farmer, reason="the cows were stolen"
    )
    assert appeal.due_on == date(2026, 6, 22)  # five working days
    appeals.decide_appeal(appeal_id=appeal.id, user=make_user(), outcome="granted", reason="ok")
    assert case.status is CaseStatus.CANCELLED
    document = db.session.get(DecisionDocument, appeal.document_id)
    assert (document.kind, document.outcome) == ("appeal", "granted")


# --- appeals of a rejection -------------------------------------------------------------------


@pytest.fixture
def rejected(app):
    make_program(criteria=[{"rule": "no_double_funding"}])
    farms = [make_applicant("peasant_farm") for _ in range(4)]
    registry(livestock=[(farm.iin_bin, "cattle", 30, 30) for farm in farms])
    before, middle, after = (submit(farm, quantity="5") for farm in farms[:3])
    official = make_user()
    decisions.reject_application(application=middle, user=official, reason="нет справки")
    farmer = make_user("applicant", applicant=farms[1])
    return {
        "before": before,
        "middle": middle,
        "after": after,
        "official": official,
        "farmer": farmer,
        "spare": farms[3],
    }


def test_the_window_ends_on_the_day_the_letter_states(paid, rejected):
    """The service and the paper agree by construction: the last day is the one the letter
    states, even when the service's day (pinned here) is not the day of the issue's clock."""
    from subsidy.decisions.queries import latest_document

    letter = latest_document(rejected["middle"].id)
    stated = date.fromisoformat(json.loads(letter.content)["appeal_until"])
    assert appeals.appealable_application(rejected["middle"]).last_day == stated
    case = _case(paid)
    notice = db.session.get(DecisionDocument, case.notice_document_id)
    stated = date.fromisoformat(json.loads(notice.content)["appeal_until"])
    assert appeals.appealable_recovery(case).last_day == stated == date(2026, 9, 15)


def test_a_granted_appeal_returns_the_application_to_its_place_in_the_queue(rejected):
    middle = rejected["middle"]
    appeal = appeals.file_appeal(
        target=appeals.appealable_application(middle), user=rejected["farmer"], reason="есть"
    )
    with pytest.raises(Forbidden):  # the official who rejected it
        appeals.decide_appeal(
            appeal_id=appeal.id, user=rejected["official"], outcome="granted", reason="x"
        )
    decided = appeals.decide_appeal(
        appeal_id=appeal.id, user=make_user(), outcome="granted", reason="справка есть"
    )
    assert decided.reopened and middle.status is Status.SUBMITTED
    assert middle.reject_reason is None and middle.decided_by_id is None
    queue = db.session.execute(
        sa.select(Application.id)
        .where(Application.status == Status.SUBMITTED)
        .order_by(Application.id)
    ).scalars()
    assert list(queue) == [rejected["before"].id, middle.id, rejected["after"].id]


def test_a_dismissed_appeal_changes_nothing_but_issues_its_decision(rejected):
    middle = rejected["middle"]
    appeal = appeals.file_appeal(
        target=appeals.appealable_application(middle), user=rejected["farmer"], reason="есть"
    )
    appeals.decide_appeal(appeal_id=appeal.id, user=make_user(), outcome="dismissed", reason="нет")
    assert middle.status is Status.REJECTED
    document = db.session.get(DecisionDocument, appeal.document_id)
    assert (document.kind, document.outcome) == ("appeal", "dismissed")


def test_one_open_appeal_per_decision(rejected):
    middle = rejected["middle"]
    target = appeals.appealable_application(middle)
    appeals.file_appeal(target=target, user=rejected["farmer"], reason="one")
    with pytest.raises(Conflict):
        appeals.file_appeal(target=target, user=rejected["farmer"], reason="two")


def test_an_appeal_after_three_months_is_refused(app, rejected):
    target = appeals.appealable_application(rejected["middle"])
    app.config["TODAY"] = target.last_day.isoformat()
    try:
        appeals.file_appeal(target=target, user=rejected["farmer"], reason="on the last day")
    finally:
        app.config["TODAY"] = "2026-06-15"
    other = rejected["spare"]
    late = submit(other, quantity="5")
    decisions.reject_application(application=late, user=make_user(), reason="нет")
    target = appeals.appealable_application(late)
    app.config["TODAY"] = date.fromordinal(target.last_day.toordinal() + 1).isoformat()
    try:
        with pytest.raises(Conflict) as refused:
            appeals.file_appeal(
                target=target, user=make_user("applicant", applicant=other), reason="late"
            )
    finally:
        app.config["TODAY"] = "2026-06-15"
    assert refused.value.code == "appeal_window_closed"


def test_only_the_applicant_appeals(rejected):
    target = appeals.appealable_application(rejected["middle"])
    with pytest.raises(Forbidden):
        appeals.file_appeal(target=target, user=make_user(), reason="x")


def test_after_a_granted_appeal_the_next_extract_does_not_open_the_case_again(paid):
    case = _case(paid)
    farmer = make_user("applicant", applicant=paid["farm"])
    appeal = appeals.file_appeal(
        target=appeals.appealable_recovery(case), user=farmer, reason="the cows were stolen"
    )
    appeals.decide_appeal(appeal_id=appeal.id, user=make_user(), outcome="granted", reason="ok")
    rows, claimed = paid["rows"], paid["claimed"]
    later_extract([row for row in rows if row[1] not in claimed[:2]], date(2026, 10, 1))
    assert [c.status for c in cases_of(paid["application"])] == [CaseStatus.CANCELLED]
