"""Issuing the decision document, in the same transaction as the decision it records.

Rendering a PDF takes 30-40 ms and signing it another ~25 ms, and every writer in the service
waits while one holds the log lock. So a decision's document is drafted, rendered and signed
*before* the lock (:func:`draft`), from what the decision will be, and under the lock the content
is built again from the decision as made — a cheap dataclass — and compared: the same content
reuses the signed bytes; anything that changed in between (another official's decision, a new
day) renders and signs again. The content depends only on the decision and the application,
never on the log (the document does not print its log index; the ``document_issued`` entry
records both), so the comparison usually holds.

The stored file is the signed one, and ``pdf_sha256`` (logged) is its hash. A signature carries
its own signing time, so two signings of the same PDF differ; the rendering itself does not: the
signed file begins with the bytes :func:`~subsidy.decisions.pdf.render_decision` gives for its
content, which is what ``content_sha256`` (the QR code's hash) stands for.

The QR code links to ``SUBSIDY_PUBLIC_URL``; unset, to the address the request issuing the
document was served on (:func:`public_url`), so that a service on another port or host than the
default prints codes that lead back to it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app, has_request_context, request

from subsidy.accounts.queries import officials as official_names
from subsidy.applications.models import Application
from subsidy.audit.actions import Action
from subsidy.audit.services import append_entry
from subsidy.decisions import document as doc_module
from subsidy.decisions.labels import APPEAL_MONTHS
from subsidy.decisions.models import DecisionDocument
from subsidy.decisions.pdf import render_decision
from subsidy.decisions.queries import document_count
from subsidy.decisions.signing import sign, signer_identity
from subsidy.eligibility.obligations import add_months
from subsidy.extensions import db
from subsidy.programs.queries import definition_of


@dataclass(frozen=True)
class Decision:
    """What a decision states beyond the application itself."""

    outcome: str  # "approved" | "rejected"
    decided_by_id: int
    decided_on: date  # the service's day (subsidy.clock.today)
    issued_at: datetime  # when the official decided (UTC)
    first_approver_id: int | None = None
    approved_amount: object = None  # Decimal for an approval
    reject_reason: str | None = None
    comment: str | None = None
    justification: str | None = None  # why approved despite a high risk flag


@dataclass(frozen=True)
class Rendered:
    """A document's content and its PDF, ready to be stored."""

    content: doc_module.DecisionDocument
    content_sha256: str
    pdf: bytes
    pdf_sha256: str


def public_url() -> str:
    """Where the QR codes of the documents issued now lead: ``SUBSIDY_PUBLIC_URL`` if set, else
    the address this request was served on (scheme, host and port, as the proxies the service
    trusts report them), else — the CLI, the demo — the configured default."""
    config = current_app.config
    if config.get("PUBLIC_URL_CONFIGURED") or not has_request_context():
        return config["PUBLIC_URL"]
    return request.host_url.rstrip("/")


def _officials(decision: Decision) -> tuple[dict[str, str], ...]:
    """Who decided, named as their accounts say (the username when no name is set)."""
    roles = []
    first = decision.first_approver_id
    if first and first != decision.decided_by_id:
        roles.append(("first_approval", first))
    roles.append(("decision", decision.decided_by_id))
    names = official_names(user_id for _, user_id in roles)
    return tuple(
        {"role": role, **names.get(user_id, {"name": f"#{user_id}", "position": ""})}
        for role, user_id in roles
    )


def document_for(application: Application, decision: Decision, number: str):
    """The plain values the PDF states (pure data; see subsidy.decisions.document)."""
    definition = definition_of(application.program_version)
    evaluation = json.loads(application.evaluation)
    applicant = application.applicant
    content = doc_module.DecisionDocument(
        number=number,
        application_number=application.number,
        decided_on=decision.decided_on,
        issued_at=decision.issued_at,
        outcome=decision.outcome,
        program_code=application.program.code,
        program_name=dict(definition.name),
        program_version=application.program_version.version,
        rules_version=application.rules_version,
        reference=definition.reference,
        applicant_name=applicant.name,
        applicant_id_number=applicant.iin_bin,
        applicant_kind=applicant.kind.value,
        district_name={"ru": applicant.district.name_ru, "kk": applicant.district.name_kk},
        unit=application.program_version.unit,
        quantity=application.quantity,
        rate=application.rate,
        requested_amount=application.requested_amount,
        approved_amount=decision.approved_amount if decision.outcome == "approved" else None,
        reject_reason=decision.reject_reason,
        comment=decision.comment,
        justification=decision.justification,
        checks=tuple(evaluation["checks"]),
        evaluated_on=date.fromisoformat(evaluation["on_date"]),
        snapshots=evaluation.get("snapshots", {}),
        officials=_officials(decision),
        verify_url="",
        appeal_until=add_months(decision.decided_on, APPEAL_MONTHS),
        signature=signer_identity(),
    )
    return dataclasses.replace(content, verify_url=doc_module.verify_url_for(public_url(), content))


def render(content: doc_module.DecisionDocument) -> Rendered:
    """The content rendered and signed by the agency."""
    pdf = sign(render_decision(content))
    return Rendered(
        content, doc_module.content_sha256(content), pdf, hashlib.sha256(pdf).hexdigest()
    )


def draft(application: Application, decision: Decision) -> Rendered:
    """The document the decision will have, rendered and signed before the log lock."""
    number = _next_number(application)
    return render(document_for(application, decision, number))


def _next_number(application: Application) -> str:
    return f"{application.number}-D{document_count(application.id) + 1}"


def issue_decision_document(
    *,
    application: Application,
    decision: Decision,
    decision_index: int,
    actor: str,
    drafted: Rendered | None = None,
) -> DecisionDocument:
    """Store the document of ``decision`` (just made, under the log lock) and log its hash — or
    nothing at all. ``drafted`` is used when it states exactly this decision."""
    content = document_for(application, decision, _next_number(application))
    rendered = drafted if drafted is not None and drafted.content == content else render(content)
    entry = append_entry(
        actor=actor,
        action=Action.DOCUMENT_ISSUED,
        subject=f"application:{application.id}",
        data={
            "document": content.number,
            "outcome": content.outcome,
            "pdf_sha256": rendered.pdf_sha256,
            "content_sha256": rendered.content_sha256,
            "decision_index": decision_index,
        },
    )
    row = DecisionDocument(
        application_id=application.id,
        number=content.number,
        outcome=content.outcome,
        content_sha256=rendered.content_sha256,
        content=doc_module.canonical_json(content).decode("utf-8"),
        pdf_sha256=rendered.pdf_sha256,
        pdf=rendered.pdf,
        decision_log_index=decision_index,
        issued_log_index=entry["index"],
        issued_at=content.issued_at,
    )
    db.session.add(row)
    db.session.flush()
    return row
