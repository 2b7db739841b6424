"""Issuing recovery notices and appeal decisions: rendered, logged and stored like decisions.

The callers (the recovery of a breached obligation, the decision on an appeal) hold what the
letter states; here it becomes content (:mod:`subsidy.decisions.notices`), a rendered PDF (a
recovery notice is prepared before the import takes the log lock, then stored under it), a
``document_issued`` entry with both hashes, and a
``DecisionDocument`` row of kind ``recovery`` or ``appeal`` that ``/verify`` finds by either hash.
A notice has no decision entry of its own: its row points at its issue entry.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import TypeVar

from subsidy.accounts.queries import officials as official_names
from subsidy.applications.models import Application
from subsidy.audit.actions import Action
from subsidy.audit.services import append_entry
from subsidy.clock import today
from subsidy.db import utcnow
from subsidy.decisions import notices
from subsidy.decisions.issuing import public_url
from subsidy.decisions.labels import APPEAL_MONTHS
from subsidy.decisions.models import DecisionDocument
from subsidy.decisions.queries import document_count, newest_document
from subsidy.decisions.signing import sign, signer_identity
from subsidy.eligibility.obligations import add_months
from subsidy.extensions import db
from subsidy.programs.queries import definition_of

N = TypeVar("N", notices.RecoveryNotice, notices.AppealDecision)


@dataclasses.dataclass(frozen=True)
class PreparedNotice:
    """A letter's content and its rendered, signed PDF, made before the log lock is taken."""

    content: notices.Notice
    pdf: bytes


def prepare_recovery_notice(
    *,
    application: Application,
    obligation: str,
    months: int,
    ends_on: date,
    extract_as_of: date,
    snapshot_id: int,
    animals: Iterable[str],
    claimed_count: int,
    paid_amount: Decimal,
    paid_on: date,
    amount: Decimal,
    due_on: date,
) -> PreparedNotice:
    """The notice asking ``amount`` back, rendered. Its number counts the application's earlier
    notices: only an animals import issues them, and imports of a kind run one at a time."""
    approval = newest_document(application.id, "decision")
    content = notices.RecoveryNotice(
        number=f"{application.number}-R{document_count(application.id, 'recovery') + 1}",
        application_number=application.number,
        decision_number=approval.number if approval and approval.outcome == "approved" else None,
        issued_at=utcnow(),
        **_parties(application),
        paid_amount=paid_amount,
        paid_on=paid_on,
        obligation=obligation,
        months=months,
        ends_on=ends_on,
        extract_as_of=extract_as_of,
        snapshot_id=snapshot_id,
        animals=tuple(animals),
        claimed_count=claimed_count,
        amount=amount,
        due_on=due_on,
        appeal_until=add_months(today(), APPEAL_MONTHS),
        verify_url="",
        signature=signer_identity(),
    )
    content = _with_verify_url(content)
    return PreparedNotice(content, sign(notices.render_recovery_notice(content)))


def store_recovery_notice(
    *, application: Application, notice: PreparedNotice, case_id: int, actor: str
) -> DecisionDocument:
    """Store and log the prepared notice of recovery case ``case_id``."""
    return _issue(
        application,
        notice.content,
        notice.pdf,
        kind="recovery",
        outcome="recovery",
        link={"recovery": case_id},
        decision_index=None,
        actor=actor,
    )


def issue_appeal_decision(
    *,
    application: Application,
    appeal_id: int,
    appealed: str,
    appealed_number: str | None,
    filed_on: date,
    appeal_reason: str,
    outcome: str,
    decision_reason: str,
    official_id: int,
    consequence: dict[str, str],
    actor: str,
    decision_index: int | None = None,
) -> DecisionDocument:
    """Store and log the decision on appeal ``appeal_id``. ``decision_index``: the log entry of
    the decision (appeal_granted / appeal_dismissed), if the caller appended one; the row
    points at the ``document_issued`` entry otherwise.

    Rendered and signed here, under the caller's log lock (~60 ms): what the letter says follows
    from the decision just made (an application evaluated again, a recovery cancelled), and
    appeals are rare next to decisions."""
    official = official_names([official_id]).get(
        official_id, {"name": f"#{official_id}", "position": ""}
    )
    content = notices.AppealDecision(
        number=f"{application.number}-A{document_count(application.id, 'appeal') + 1}",
        application_number=application.number,
        appealed=appealed,
        appealed_number=appealed_number,
        filed_on=filed_on,
        appeal_reason=appeal_reason,
        outcome=outcome,
        decision_reason=decision_reason,
        decided_on=today(),
        issued_at=utcnow(),
        official=official,
        **_parties(application),
        consequence=dict(consequence),
        verify_url="",
        signature=signer_identity(),
    )
    content = _with_verify_url(content)
    return _issue(
        application,
        content,
        sign(notices.render_appeal_decision(content)),
        kind="appeal",
        outcome=outcome,
        link={"appeal": appeal_id},
        decision_index=decision_index,
        actor=actor,
    )


def _parties(application: Application) -> dict[str, object]:
    """The program and the applicant, as every letter names them."""
    applicant = application.applicant
    return {
        "program_code": application.program.code,
        "program_name": dict(definition_of(application.program_version).name),
        "applicant_name": applicant.name,
        "applicant_id_number": applicant.iin_bin,
        "district_name": {"ru": applicant.district.name_ru, "kk": applicant.district.name_kk},
    }


def _with_verify_url(content: N) -> N:
    return dataclasses.replace(content, verify_url=notices.verify_url_for(public_url(), content))


def _issue(
    application: Application,
    content: notices.Notice,
    pdf: bytes,
    *,
    kind: str,
    outcome: str,
    link: dict[str, int],
    decision_index: int | None,
    actor: str,
) -> DecisionDocument:
    content_sha256 = notices.content_sha256(content)
    pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    entry = append_entry(
        actor=actor,
        action=Action.DOCUMENT_ISSUED,
        subject=f"application:{application.id}",
        data={
            "document": content.number,
            "kind": kind,
            "outcome": outcome,
            "pdf_sha256": pdf_sha256,
            "content_sha256": content_sha256,
            **link,
        },
    )
    row = DecisionDocument(
        application_id=application.id,
        number=content.number,
        kind=kind,
        outcome=outcome,
        content_sha256=content_sha256,
        content=notices.canonical_json(content).decode("utf-8"),
        pdf_sha256=pdf_sha256,
        pdf=pdf,
        decision_log_index=entry["index"] if decision_index is None else decision_index,
        issued_log_index=entry["index"],
        issued_at=content.issued_at,
    )
    db.session.add(row)
    db.session.flush()
    return row
