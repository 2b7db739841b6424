"""Finding and verifying issued decision documents."""

from __future__ import annotations

import json
import re

import sqlalchemy as sa

from subsidy.applicants.disclosure import public_applicant
from subsidy.audit.queries import checkpoints_page
from subsidy.audit.services import log_size
from subsidy.decisions.models import DecisionDocument
from subsidy.errors import ValidationFailed
from subsidy.extensions import db

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


def parse_sha256(value: str | None, field: str = "sha256") -> str:
    value = (value or "").strip().lower()
    if not SHA256_RE.match(value):
        raise ValidationFailed.field(field, "must be 64 hexadecimal digits")
    return value


def document_count(application_id: int, kind: str = "decision") -> int:
    return db.session.execute(
        sa.select(sa.func.count())
        .select_from(DecisionDocument)
        .where(DecisionDocument.application_id == application_id, DecisionDocument.kind == kind)
    ).scalar_one()


def latest_document(application_id: int) -> DecisionDocument | None:
    """The newest decision document of the application (not an appeal decision or a recovery
    notice), its PDF bytes not read (deferred)."""
    return db.session.execute(
        sa.select(DecisionDocument)
        .where(
            DecisionDocument.application_id == application_id, DecisionDocument.kind == "decision"
        )
        .order_by(DecisionDocument.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def latest_document_numbers(application_ids: list[int]) -> dict[int, str]:
    """The number of each application's newest decision document, in one query."""
    if not application_ids:
        return {}
    newest = (
        sa.select(sa.func.max(DecisionDocument.id))
        .where(
            DecisionDocument.application_id.in_(application_ids),
            DecisionDocument.kind == "decision",
        )
        .group_by(DecisionDocument.application_id)
    )
    rows = db.session.execute(
        sa.select(DecisionDocument.application_id, DecisionDocument.number).where(
            DecisionDocument.id.in_(newest)
        )
    )
    return dict(rows.all())


def newest_document(application_id: int, kind: str) -> DecisionDocument | None:
    """The newest document of one kind (decision, appeal, recovery) of the application."""
    return db.session.execute(
        sa.select(DecisionDocument)
        .where(DecisionDocument.application_id == application_id, DecisionDocument.kind == kind)
        .order_by(DecisionDocument.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def find_document(sha256: str) -> DecisionDocument | None:
    """By the PDF file's hash, or by the content hash that the document's QR code carries."""
    return db.session.execute(
        sa.select(DecisionDocument).where(
            sa.or_(DecisionDocument.pdf_sha256 == sha256, DecisionDocument.content_sha256 == sha256)
        )
    ).scalar_one_or_none()


# The amount a document states, by kind and outcome: (its key in the content, what it is).
_STATED_AMOUNT = {
    ("decision", "approved"): ("approved_amount", "approved"),
    ("decision", "rejected"): ("requested_amount", "requested"),
    ("recovery", "recovery"): ("amount", "to_repay"),
}


def _stated_amount(document: DecisionDocument) -> tuple[str | None, str | None]:
    """(the amount the letter states, what it is), so that a paper copy can be matched."""
    key, kind = _STATED_AMOUNT.get((document.kind, document.outcome), (None, None))
    if key is None:
        return None, None
    return json.loads(document.content).get(key), kind


def _covering_tree_size(index: int) -> int:
    """The size of the newest signed checkpoint if it holds entry ``index``, else the log's."""
    newest = checkpoints_page(limit=1)
    if newest and newest[0]["tree_size"] > index:
        return newest[0]["tree_size"]
    return log_size(db.session)


def verification(sha256: str) -> dict:
    document = find_document(sha256)
    if document is None:
        return {"valid": False, "sha256": sha256}
    application = document.application
    latest = newest_document(application.id, document.kind)
    amount, amount_kind = _stated_amount(document)
    index = document.issued_log_index
    proof_size = _covering_tree_size(index)
    return {
        "valid": True,
        "kind": document.kind,
        "sha256": sha256,
        "matched": "file" if document.pdf_sha256 == sha256 else "content",
        "decision_number": document.number,
        "application_number": application.number,
        "outcome": document.outcome,
        "status": application.status.value,
        "superseded": latest is not None and latest.id != document.id,
        "issued_at": document.issued_at,
        "pdf_sha256": document.pdf_sha256,
        "content_sha256": document.content_sha256,
        # As the register shows it: a natural person by initials, a company in full.
        "applicant": public_applicant(application.applicant),
        "amount": amount,
        "amount_kind": amount_kind,
        "log_index": index,  # the document_issued entry (it logs both hashes)
        "decision_log_index": document.decision_log_index,  # the decision the document states
        "inclusion_proof": (f"/api/v1/audit/proofs/inclusion?index={index}&tree_size={proof_size}"),
    }
