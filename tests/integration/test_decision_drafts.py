"""The decision document is rendered before the log lock and only stored under it; a decision
that changed in between is rendered again, so the stored PDF always states the decision made."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

import pytest
import sqlalchemy as sa

from subsidy.decisions import issuing
from subsidy.decisions import services as decisions
from subsidy.decisions.models import DecisionDocument
from subsidy.decisions.queries import document_count, latest_document
from subsidy.extensions import db
from tests.factories import make_applicant, make_program, make_user, registry, submit


@pytest.fixture
def events(monkeypatch):
    """The order of PDF renderings, signatures and taking the log lock in decisions.services
    ("render" stands for rendering and signing: every rendering is signed right after)."""
    seen: list[str] = []
    render, sign, lock = issuing.render_decision, issuing.sign, decisions.lock_log

    def rendering(content):
        seen.append("render")
        return render(content)

    def signing(pdf):
        assert seen[-1] == "render", seen  # each rendering signed once, right after it
        return sign(pdf)

    def locking(session):
        seen.append("lock")
        lock(session)

    monkeypatch.setattr(issuing, "render_decision", rendering)
    monkeypatch.setattr(issuing, "sign", signing)
    monkeypatch.setattr(decisions, "lock_log", locking)
    return seen


def _application(quantity="10"):
    make_program()
    farm = make_applicant("peasant_farm")
    registry(livestock=[(farm.iin_bin, "cattle", 20, 20)])
    return submit(farm, quantity=quantity)


def _stored_states_the_decision(application, row: DecisionDocument) -> dict:
    content = json.loads(row.content)
    assert hashlib.sha256(row.pdf).hexdigest() == row.pdf_sha256
    assert content["application_number"] == application.number
    return content


def test_an_approval_renders_and_signs_its_document_once_and_before_the_log_lock(app, events):
    application = _application()
    official = make_user("official")
    approval = decisions.approve_application(application=application, user=official)
    assert approval.outcome is decisions.Outcome.APPROVED
    assert events == ["render", "lock"]
    content = _stored_states_the_decision(application, latest_document(application.id))
    assert content["outcome"] == "approved" and content["approved_amount"] == "10000.00"
    assert content["officials"] == [{"role": "decision", "name": official.username, "position": ""}]


def test_the_officials_are_named_with_their_positions_in_the_order_they_decided(app):
    make_program(threshold="5000.00")
    farm = make_applicant("peasant_farm")
    registry(livestock=[(farm.iin_bin, "cattle", 20, 20)])
    application = submit(farm, quantity="10")  # 10,000: two officials
    first = make_user(
        full_name="Серикова Айгерим Болатовна",
        position="Бас маман / Главный специалист",
    )
    second = make_user(full_name="Ким Сергей Владимирович")
    decisions.approve_application(application=application, user=first)
    decisions.approve_application(application=application, user=second)
    content = json.loads(latest_document(application.id).content)
    assert content["officials"] == [
        {
            "role": "first_approval",
            "name": "Серикова Айгерим Болатовна",
            "position": "Бас маман / Главный специалист",
        },
        {"role": "decision", "name": "Ким Сергей Владимирович", "position": ""},
    ]


def test_a_rejection_renders_its_document_once_and_before_the_log_lock(app, events):
    application = _application()
    decisions.reject_application(
        application=application, user=make_user("official"), reason="нет справки"
    )
    assert events == ["render", "lock"]
    content = _stored_states_the_decision(application, latest_document(application.id))
    assert content["outcome"] == "rejected" and content["reject_reason"] == "нет справки"
    # Decided on the service's day (TODAY, 2026-06-15): appealable for three months.
    assert content["format"] == "subsidy-decision/4"
    assert content["decided_on"] == "2026-06-15" and content["appeal_until"] == "2026-09-15"


def test_a_change_between_the_draft_and_the_lock_renders_the_decision_as_made(
    app, events, monkeypatch
):
    application = _application()
    lock = decisions.lock_log

    def someone_renames_the_applicant_meanwhile(session):
        application.applicant.name = "КХ «Переименованное»"
        lock(session)

    monkeypatch.setattr(decisions, "lock_log", someone_renames_the_applicant_meanwhile)
    decisions.approve_application(application=application, user=make_user("official"))
    assert events == ["render", "lock", "render"]  # the draft, then the decision as made
    row = latest_document(application.id)
    content = _stored_states_the_decision(application, row)
    assert content["applicant_name"] == "КХ «Переименованное»"
    # The stored file is the rendering of its content, signed: signed again it differs (the
    # signing time), but its first revision is byte for byte the same rendering.
    again = issuing.render_decision(issuing.doc_module.DecisionDocument(**_fields(content, row)))
    assert row.pdf.startswith(again) and len(row.pdf) > len(again)


def _fields(content: dict, row: DecisionDocument) -> dict:
    """The stored canonical content back as the dataclass's values (to render it again)."""
    from datetime import date, datetime

    values = {k: v for k, v in content.items() if k != "format"}
    for name in ("decided_on", "evaluated_on", "appeal_until"):
        values[name] = date.fromisoformat(values[name])
    values["issued_at"] = datetime.fromisoformat(values["issued_at"].replace("Z", "+00:00"))
    for name in ("quantity", "rate", "requested_amount", "approved_amount"):
        if values[name] is not None:
            values[name] = Decimal(values[name].replace(" ", ""))
    values["checks"] = tuple(values["checks"])
    values["officials"] = tuple(values["officials"])
    values["verify_url"] = f"http://subsidy.test/verify?sha256={row.content_sha256}"
    assert values["signature"]["name"].startswith("ГУ «Управление сельского хозяйства")
    return values


def test_no_draft_when_the_budget_will_not_cover_the_approval(app, events):
    make_program(budget="15000.00")
    farms = [make_applicant("peasant_farm") for _ in range(2)]
    registry(livestock=[(farm.iin_bin, "cattle", 20, 20) for farm in farms])
    first, second = (submit(farm, quantity="10") for farm in farms)  # 10,000 each
    official = make_user("official")
    decisions.approve_application(application=first, user=official)
    events.clear()
    approval = decisions.approve_application(application=second, user=official)
    assert approval.waitlisted and approval.queue_position == 1
    assert approval.remaining == Decimal("5000.00")
    assert events == ["lock"] and document_count(second.id) == 0


def test_finding_the_latest_document_reads_no_pdf_bytes(app):
    application = _application()
    decisions.approve_application(application=application, user=make_user("official"))
    db.session.expunge_all()
    document = latest_document(application.id)
    assert "pdf" in sa.inspect(document).unloaded
    assert document_count(application.id) == 1
    assert document.pdf.startswith(b"%PDF-")  # loaded when it is served
