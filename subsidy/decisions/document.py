"""What a decision document says, as plain values, and the hash its QR code carries.

The QR code of a decision links to ``<public url>/verify?sha256=<hash>``. The hash cannot be the
PDF file's own SHA-256: the QR code is drawn inside the file, so the file's hash would depend on
itself. Instead the QR code carries :func:`content_sha256`, the SHA-256 of the RFC 8785 canonical
JSON of every field of the document *except* ``verify_url`` (which holds that very hash). The
service stores both this content hash and the PDF file's hash with the issued document, and the
verify page accepts either: the QR code (or the URL printed under it) gives the content hash, and
a downloaded file can be checked with ``sha256sum``.

The content hash is also the more durable of the two. Rendering is byte-identical for the same
input, so the file hash is a function of the content too, but only for one version of reportlab
and of the fonts; the content hash stays the same if a copy is ever rendered again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from subsidy.audit.canonical import canonical_bytes
from subsidy.eligibility import texts
from subsidy.eligibility.params import decimal_text

OUTCOMES = ("approved", "rejected")
# Bumped whenever a field is added to or removed from the canonical content.
# 2: without the log index, so that a document can be rendered before its entry is appended
# (the ``document_issued`` entry links the document and the decision's entry).
# 3: ``appeal_until``, the last day to appeal (documents of format 2 stay valid: they are stored
# bytes, never rendered again).
# 4: ``officials`` as {"role", "name", "position"} (they were "#<id> — role" texts) and
# ``signature``, the certificate that signs the file, as the letter prints it.
CONTENT_FORMAT = "subsidy-decision/4"
OFFICIAL_ROLES = ("first_approval", "decision")


@dataclass(frozen=True)
class DecisionDocument:
    number: str  # e.g. "DAIRY-MILK-2026-000042-D"
    application_number: str
    decided_on: date
    issued_at: datetime  # UTC; printed in Almaty time
    outcome: str  # "approved" | "rejected"
    program_code: str
    program_name: dict[str, str]  # {"ru", "kk", "en"}
    program_version: int
    rules_version: str
    reference: str | dict[str, str] | None  # the legal basis, {"ru", "kk", "en"} or one text
    applicant_name: str
    applicant_id_number: str  # IIN or BIN, printed in full on the applicant's own decision
    applicant_kind: str
    district_name: dict[str, str]  # {"ru", "kk"}
    unit: str  # "liter" | "head" | "hectare" | "tenge"
    quantity: Decimal
    rate: Decimal
    requested_amount: Decimal
    approved_amount: Decimal | None
    reject_reason: str | None
    comment: str | None
    justification: str | None  # why approved despite a high risk flag
    checks: tuple[dict[str, Any], ...]  # CheckResult.to_json() of the evaluation, in order
    evaluated_on: date
    snapshots: dict[str, int | None]  # registry snapshot ids the evaluation used
    # Who decided, in order: {"role": "first_approval" | "decision", "name": "Серикова Айгерим
    # Болатовна", "position": "Бас маман / Главный специалист" or ""}.
    officials: tuple[dict[str, str], ...]
    verify_url: str  # what the QR code encodes; see verify_url_for()
    # The last day to appeal: the decided date + 3 months. None prints the rule without a date.
    appeal_until: date | None = None
    # The certificate the file is signed with: {"name", "serial", "issuer"}; None: unsigned.
    signature: dict[str, str] | None = None

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
        if self.issued_at.tzinfo is None:
            raise ValueError("issued_at must be timezone-aware (UTC)")
        for name in ("quantity", "rate", "requested_amount", "approved_amount"):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, Decimal) and value.is_finite()):
                raise ValueError(f"{name} must be a finite Decimal")
        if self.outcome == "approved" and self.approved_amount is None:
            raise ValueError("an approval states the approved amount")
        if self.outcome == "rejected" and (self.approved_amount is not None or not self.reason):
            raise ValueError("a rejection states a reason and approves no amount")
        for official in self.officials:
            if official.get("role") not in OFFICIAL_ROLES or not official.get("name"):
                raise ValueError(f"an official is a role ({', '.join(OFFICIAL_ROLES)}) and a name")

    @property
    def reason(self) -> str:
        return (self.reject_reason or "").strip()


def content_of(doc: Any, content_format: str) -> dict[str, Any]:
    """Every field of the dataclass ``doc`` but ``verify_url`` as JSON values (decimals and
    dates as fixed texts), under ``format``: the content of any document the service issues."""
    content: dict[str, Any] = {"format": content_format}
    for field in fields(doc):
        if field.name != "verify_url":
            content[field.name] = _json_value(field.name, getattr(doc, field.name))
    return content


def canonical_content(doc: DecisionDocument) -> dict[str, Any]:
    return content_of(doc, CONTENT_FORMAT)


def canonical_json(doc: DecisionDocument) -> bytes:
    """RFC 8785 bytes of :func:`canonical_content`: what the service stores and hashes."""
    return canonical_bytes(canonical_content(doc))


def content_sha256(doc: DecisionDocument) -> str:
    """Hex SHA-256 of the canonical JSON: what the QR code's verify URL carries."""
    return hashlib.sha256(canonical_json(doc)).hexdigest()


def verify_url_for(public_url: str, doc: DecisionDocument) -> str:
    """``<public url>/verify?sha256=<content hash>``; ``doc.verify_url`` itself is ignored."""
    return verify_link(public_url, content_sha256(doc))


def verify_link(public_url: str, sha256: str) -> str:
    return f"{public_url.rstrip('/')}/verify?sha256={sha256}"


def _json_value(name: str, value: Any) -> Any:
    if isinstance(value, Decimal):
        if name == "rate":
            return decimal_text(value)
        if name == "quantity":
            return texts.number(value)
        return texts.money(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value
