"""Issuing the decision document, in the same transaction as the decision it records."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import date

from flask import current_app

from subsidy.applications.models import Application, Status
from subsidy.audit.services import append_entry
from subsidy.clock import today
from subsidy.db import utcnow
from subsidy.decisions import document as doc_module
from subsidy.decisions.models import DecisionDocument
from subsidy.decisions.pdf import render_decision
from subsidy.decisions.queries import documents_of
from subsidy.extensions import db
from subsidy.programs.services import definition_of


def _officials(application: Application) -> tuple[str, ...]:
    names = []
    if application.first_approver_id and application.first_approver_id != application.decided_by_id:
        names.append(f"#{application.first_approver_id} — бірінші келісім / первое одобрение")
    names.append(f"#{application.decided_by_id} — шешім / решение")
    return tuple(names)


def document_for(application: Application, decision_index: int, number: str):
    """The plain values the PDF states (pure data; see subsidy.decisions.document)."""
    definition = definition_of(application.program_version)
    evaluation = json.loads(application.evaluation)
    applicant = application.applicant
    outcome = "approved" if application.status is Status.APPROVED else "rejected"
    return doc_module.DecisionDocument(
        number=number,
        application_number=application.number,
        decided_on=today(),
        issued_at=utcnow(),
        outcome=outcome,
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
        approved_amount=application.approved_amount if outcome == "approved" else None,
        reject_reason=application.reject_reason,
        comment=application.decision_comment,
        checks=tuple(evaluation["checks"]),
        evaluated_on=date.fromisoformat(evaluation["on_date"]),
        snapshots=evaluation.get("snapshots", {}),
        officials=_officials(application),
        log_index=decision_index,
        verify_url="",
    )


def issue_decision_document(*, application: Application, decision_index: int, actor: str):
    """Render the PDF once, store its bytes and hashes, and log its hash — or nothing at all."""
    number = f"{application.number}-D{len(documents_of(application.id)) + 1}"
    content = document_for(application, decision_index, number)
    public_url = current_app.config["PUBLIC_URL"]
    content = dataclasses.replace(
        content, verify_url=doc_module.verify_url_for(public_url, content)
    )
    content_hash = doc_module.content_sha256(content)
    pdf = render_decision(content)
    pdf_hash = hashlib.sha256(pdf).hexdigest()
    entry = append_entry(
        actor=actor,
        action="document_issued",
        subject=f"application:{application.id}",
        data={
            "document": number,
            "outcome": content.outcome,
            "pdf_sha256": pdf_hash,
            "content_sha256": content_hash,
            "decision_index": decision_index,
        },
    )
    row = DecisionDocument(
        application_id=application.id,
        number=number,
        outcome=content.outcome,
        content_sha256=content_hash,
        content=doc_module.canonical_json(content).decode("utf-8"),
        pdf_sha256=pdf_hash,
        pdf=pdf,
        decision_log_index=decision_index,
        issued_log_index=entry["index"],
        issued_at=content.issued_at,
    )
    db.session.add(row)
    db.session.flush()
    return row
