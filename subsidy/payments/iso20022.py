"""ISO 20022 bank messages for paying subsidies: pain.001 out, pain.002 back.

A payment run leaves as one ``pain.001.001.09`` credit-transfer initiation (one payment
information block, one transaction per application, ``EndToEndId`` = the application number);
the bank answers with ``pain.002.001.10`` status reports naming each ``OrgnlEndToEndId`` and its
status. The two versions are of one generation (2019): their schemas share the component types
(``PartyIdentification135``, ``BranchAndFinancialInstitutionIdentification6``, ...).

The module is pure (no Flask, no database) so the same code renders what the service stores and
what the tests validate against ISO's schema. Rules it keeps so the output always validates:

* every text is checked against its schema type: ``Max35Text`` ids, ``Max140Text`` names, 1
  character at least; the creditor's name and the remittance text are the only ones truncated
  to 140 characters (they are prose written by people, never matched by a machine), anything
  else too long is refused, since a shortened id could no longer be reconciled;
* money is ``Decimal`` with at most 2 places; the schema allows 18 digits in all, so amounts and
  the control sum must stay below 10**16;
* characters XML 1.0 cannot carry (control characters) are refused rather than dropped.

The parser of status reports reads documents from outside, so it refuses a DTD of any kind
(no entity expansion, no network, no external files) and bounds the document's size and the
number of transactions before anything is kept.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal, localcontext

from lxml import etree

PAIN001_NS = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
PAIN002_NS = "urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"
PAIN001_NAME = "pain.001.001.09"
PAID_STATUSES = frozenset({"ACSC", "ACCC"})
RETURNED_STATUSES = frozenset({"RJCT"})

CURRENCY = "KZT"
MAX_TRANSACTIONS = 100_000
# Above 100,000 transactions of about 1 KB each: refused before parsing, so that a document
# too big to hold is never built in memory.
MAX_DOCUMENT_BYTES = 128 * 1024 * 1024
# DecimalNumber and ActiveOrHistoricCurrencyAndAmount: totalDigits 18; with 2 places, < 10**16.
AMOUNT_LIMIT = Decimal(10) ** 16
CENT = Decimal("0.01")

# The schema's patterns (IBAN2007Identifier, BICFIDec2014Identifier), the BIN's 12 digits and
# the external status codes (Max4Text in the schema, 4 capital letters in ISO's code lists).
_PATTERNS = {
    "iban": (
        re.compile(r"[A-Z]{2}[0-9]{2}[a-zA-Z0-9]{1,30}"),
        "an IBAN: 2 capitals, 2 digits, 1-30 more",
    ),
    "bic": (
        re.compile(r"[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?"),
        "a BIC: 8 or 11 capitals/digits",
    ),
    "bin": (re.compile(r"[0-9]{12}"), "a BIN of 12 digits"),
    "code": (re.compile(r"[A-Z0-9]{1,4}"), "a code of 1 to 4 capital letters or digits"),
}
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# xs:dateTime, with the 4-digit years Python's datetime can hold.
_DATE_TIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})?"
)


class Iso20022Error(ValueError):
    """A document that is refused; ``field`` names the element path (e.g.
    ``"TxInfAndSts[3]/OrgnlEndToEndId"``, 1-based in document order, or ``"file"``) when parsing,
    the attribute (e.g. ``"transfers[0].amount"``, 0-based) when rendering; ``message`` says why
    in English."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Party:
    """The debtor: the akimat office that pays."""

    name: str
    bin: str
    iban: str
    bic: str


@dataclass(frozen=True)
class Transfer:
    end_to_end_id: str
    amount: Decimal
    creditor_name: str
    creditor_iban: str
    creditor_bic: str
    remittance: str


@dataclass(frozen=True)
class CreditTransfer:
    """One payment run; the initiating party is the debtor."""

    message_id: str
    created_at: datetime
    execution_date: date
    debtor: Party
    transfers: tuple[Transfer, ...]


@dataclass(frozen=True)
class TransactionStatus:
    end_to_end_id: str
    status: str
    reason: str | None
    accepted_at: datetime | None


@dataclass(frozen=True)
class StatusReport:
    message_id: str
    created_at: datetime
    original_message_id: str | None
    group_status: str | None
    transactions: tuple[TransactionStatus, ...]


# --- rendering -------------------------------------------------------------------------------


def _text(value: object, field: str, limit: int, truncate: bool = False) -> str:
    """``value`` as a valid MaxNNText: a non-blank string of XML characters, at most ``limit``."""
    if not isinstance(value, str):
        raise Iso20022Error(field, "must be a string")
    if not value.strip():
        raise Iso20022Error(field, "must not be empty")
    if _NOT_XML.search(value):
        raise Iso20022Error(field, "contains a character XML cannot carry (a control character)")
    if len(value) > limit:
        if not truncate:
            raise Iso20022Error(field, f"must be at most {limit} characters, got {len(value)}")
        value = value[:limit]
    return value


def _matching(value: object, field: str, kind: str) -> str:
    pattern, what = _PATTERNS[kind]
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise Iso20022Error(field, f"must be {what}, got {value!r}")
    return value


def _amount(value: object, field: str) -> str:
    """``value`` written with exactly 2 places; refused unless 0 < value < 10**16, in cents."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise Iso20022Error(field, "must be a finite decimal.Decimal")
    if value <= 0:
        raise Iso20022Error(field, f"must be more than 0, got {value}")
    if value >= AMOUNT_LIMIT:
        raise Iso20022Error(field, f"must be less than 10**16 (18 digits in all), got {value}")
    with localcontext(prec=40):
        cents = value.quantize(CENT)
    if value != cents:
        raise Iso20022Error(field, f"must have at most 2 decimal places, got {value}")
    return f"{value:.2f}"


def _date_time(value: object, field: str) -> str:
    """An aware ``datetime`` in UTC to the second: ``2026-03-01T09:30:00+00:00``."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise Iso20022Error(field, "must be a timezone-aware datetime")
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def _add(parent: etree._Element, path: str, text: str | None = None) -> etree._Element:
    """Append the chain of elements ``path`` ("A/B/C") under ``parent``; ``text`` in the last."""
    element = parent
    namespace = etree.QName(parent).namespace
    for name in path.split("/"):
        element = etree.SubElement(element, f"{{{namespace}}}{name}")
    if text is not None:
        element.text = text
    return element


def _party(parent: etree._Element, name: str, bin_: str) -> None:
    _add(parent, "Nm", name)
    _add(parent, "Id/OrgId/Othr/Id", bin_)


def _serialize(root: etree._Element) -> bytes:
    body: bytes = etree.tostring(root, encoding="UTF-8", xml_declaration=False, pretty_print=True)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body


def render_pain001(document: CreditTransfer) -> bytes:
    """The run as a pain.001.001.09 document: UTF-8 with its declaration, deterministic (the
    same input gives the same bytes, so a stored document can be re-rendered and compared).

    Refuses (Iso20022Error) what the schema would refuse, and also an ``end_to_end_id`` given
    twice: the bank's status report names transactions by it alone.
    """
    message_id = _text(document.message_id, "message_id", 35)
    created_at = _date_time(document.created_at, "created_at")
    if not isinstance(document.execution_date, date) or isinstance(
        document.execution_date, datetime
    ):
        raise Iso20022Error("execution_date", "must be a datetime.date")
    debtor = document.debtor
    debtor_name = _text(debtor.name, "debtor.name", 140)
    debtor_bin = _matching(debtor.bin, "debtor.bin", "bin")
    debtor_iban = _matching(debtor.iban, "debtor.iban", "iban")
    debtor_bic = _matching(debtor.bic, "debtor.bic", "bic")
    if not isinstance(document.transfers, tuple) or not document.transfers:
        raise Iso20022Error("transfers", "must be a non-empty tuple of Transfer")

    rows = []
    for index, transfer in enumerate(document.transfers):
        at = f"transfers[{index}]"
        rows.append(
            (
                _text(transfer.end_to_end_id, f"{at}.end_to_end_id", 35),
                _amount(transfer.amount, f"{at}.amount"),
                _text(transfer.creditor_name, f"{at}.creditor_name", 140, truncate=True),
                _matching(transfer.creditor_iban, f"{at}.creditor_iban", "iban"),
                _matching(transfer.creditor_bic, f"{at}.creditor_bic", "bic"),
                _text(transfer.remittance, f"{at}.remittance", 140, truncate=True),
            )
        )
    seen: set[str] = set()
    for index, row in enumerate(rows):
        if row[0] in seen:
            raise Iso20022Error(f"transfers[{index}].end_to_end_id", f"{row[0]!r} appears twice")
        seen.add(row[0])
    with localcontext(prec=40):  # whatever the caller's context, 100,000 amounts add up exactly
        total = sum((transfer.amount for transfer in document.transfers), Decimal(0))
    if total >= AMOUNT_LIMIT:
        raise Iso20022Error("transfers", f"the control sum {total} exceeds 18 digits")
    count, control_sum = str(len(rows)), f"{total:.2f}"

    root = etree.Element(f"{{{PAIN001_NS}}}Document", nsmap={None: PAIN001_NS})
    initiation = _add(root, "CstmrCdtTrfInitn")
    header = _add(initiation, "GrpHdr")
    _add(header, "MsgId", message_id)
    _add(header, "CreDtTm", created_at)
    _add(header, "NbOfTxs", count)
    _add(header, "CtrlSum", control_sum)
    _party(_add(header, "InitgPty"), debtor_name, debtor_bin)

    payment = _add(initiation, "PmtInf")
    _add(payment, "PmtInfId", message_id)
    _add(payment, "PmtMtd", "TRF")
    _add(payment, "NbOfTxs", count)
    _add(payment, "CtrlSum", control_sum)
    _add(payment, "ReqdExctnDt/Dt", document.execution_date.isoformat())
    _party(_add(payment, "Dbtr"), debtor_name, debtor_bin)
    _add(payment, "DbtrAcct/Id/IBAN", debtor_iban)
    _add(payment, "DbtrAgt/FinInstnId/BICFI", debtor_bic)
    for end_to_end_id, amount, name, iban, bic, remittance in rows:
        transaction = _add(payment, "CdtTrfTxInf")
        _add(transaction, "PmtId/EndToEndId", end_to_end_id)
        _add(transaction, "Amt/InstdAmt", amount).set("Ccy", CURRENCY)
        _add(transaction, "CdtrAgt/FinInstnId/BICFI", bic)
        _add(transaction, "Cdtr/Nm", name)
        _add(transaction, "CdtrAcct/Id/IBAN", iban)
        _add(transaction, "RmtInf/Ustrd", remittance)
    return _serialize(root)


def render_pain002(report: StatusReport) -> bytes:
    """A minimal pain.002.001.10 such as a bank sends back, for tests and the demo bank.

    It writes what it is given, duplicates included, so tests can make documents that
    ``parse_pain002`` refuses; only what the schema forbids is refused. Element order is the
    schema's: OrgnlEndToEndId, TxSts, StsRsnInf, then AccptncDtTm.
    """
    original = report.original_message_id
    if original is None:
        raise Iso20022Error("original_message_id", "OrgnlMsgId is required by the schema")
    root = etree.Element(f"{{{PAIN002_NS}}}Document", nsmap={None: PAIN002_NS})
    status_report = _add(root, "CstmrPmtStsRpt")
    header = _add(status_report, "GrpHdr")
    _add(header, "MsgId", _text(report.message_id, "message_id", 35))
    _add(header, "CreDtTm", _date_time(report.created_at, "created_at"))
    group = _add(status_report, "OrgnlGrpInfAndSts")
    _add(group, "OrgnlMsgId", _text(original, "original_message_id", 35))
    _add(group, "OrgnlMsgNmId", PAIN001_NAME)
    if report.group_status is not None:
        _add(group, "GrpSts", _matching(report.group_status, "group_status", "code"))
    if report.transactions:
        payment = _add(status_report, "OrgnlPmtInfAndSts")
        _add(payment, "OrgnlPmtInfId", original)
        for index, tx in enumerate(report.transactions):
            at = f"transactions[{index}]"
            element = _add(payment, "TxInfAndSts")
            _add(element, "OrgnlEndToEndId", _text(tx.end_to_end_id, f"{at}.end_to_end_id", 35))
            _add(element, "TxSts", _matching(tx.status, f"{at}.status", "code"))
            if tx.reason is not None:
                reason = _text(tx.reason, f"{at}.reason", 35)
                # ExternalStatusReason1Code is 1-4 characters; a longer reason is proprietary.
                _add(
                    element,
                    "StsRsnInf/Rsn/Cd" if len(reason) <= 4 else "StsRsnInf/Rsn/Prtry",
                    reason,
                )
            if tx.accepted_at is not None:
                _add(element, "AccptncDtTm", _date_time(tx.accepted_at, f"{at}.accepted_at"))
    return _serialize(root)


# --- parsing ---------------------------------------------------------------------------------


@functools.cache
def _clark(path: str) -> str:
    """``A/B`` in pain.002's namespace, ``{urn:...}A/{urn:...}B``: spelt out, lxml finds
    an element faster than with a prefix map."""
    return "/".join(f"{{{PAIN002_NS}}}{name}" for name in path.split("/"))


def _stripped(element: etree._Element | None) -> str | None:
    """The element's text without surrounding whitespace; None if absent or blank."""
    if element is None or element.text is None or not element.text.strip():
        return None
    return str(element.text).strip()


def _found(parent: etree._Element, path: str) -> str | None:
    return _stripped(parent.find(_clark(path)))


def _required(value: str | None, field: str, limit: int) -> str:
    if value is None:
        raise Iso20022Error(field, "is missing")
    if len(value) > limit:
        raise Iso20022Error(field, f"must be at most {limit} characters, got {len(value)}")
    return value


_TX_CHILDREN = {
    f"{{{PAIN002_NS}}}{name}": name
    for name in ("OrgnlEndToEndId", "TxSts", "StsRsnInf", "AccptncDtTm")
}


def _transaction(element: etree._Element, at: str) -> TransactionStatus:
    """One TxInfAndSts. Its children are read in one pass: a ``find`` per field made 100,000
    transactions take seconds."""
    children: dict[str, etree._Element] = {}
    for child in element:
        name = _TX_CHILDREN.get(str(child.tag))
        if name is not None:
            children.setdefault(name, child)
    end_to_end_id = _required(
        _stripped(children.get("OrgnlEndToEndId")), f"{at}/OrgnlEndToEndId", 35
    )
    status = _required(_stripped(children.get("TxSts")), f"{at}/TxSts", 4)
    _matching(status, f"{at}/TxSts", "code")
    reason = None
    if (why := children.get("StsRsnInf")) is not None:
        reason = _found(why, "Rsn/Cd") or _found(why, "Rsn/Prtry")
        if reason is not None and len(reason) > 35:
            raise Iso20022Error(f"{at}/StsRsnInf/Rsn", "must be at most 35 characters")
    accepted = _stripped(children.get("AccptncDtTm"))
    accepted_at = None if accepted is None else _parse_date_time(accepted, f"{at}/AccptncDtTm")
    return TransactionStatus(end_to_end_id, status, reason, accepted_at)


def _parse_date_time(text: str, field: str) -> datetime:
    """xs:dateTime read strictly (``datetime.fromisoformat`` also takes forms XML does not);
    fractions of a second past microseconds are cut; a value without offset is taken as UTC."""
    match = _DATE_TIME.fullmatch(text)
    if match is None:
        raise Iso20022Error(field, f"is not an ISO 8601 date-time: {text!r}")
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    fraction, offset = match.group(7), match.group(8)
    tz = UTC
    if offset is not None and offset != "Z":
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        if hours > 14 or minutes > 59 or (hours == 14 and minutes):
            raise Iso20022Error(field, f"has an offset out of range: {text!r}")
        sign = -1 if offset[0] == "-" else 1
        tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        value = datetime(year, month, day, hour, minute, second, micro, tzinfo=tz)
    except ValueError as error:
        raise Iso20022Error(field, f"is not a valid date-time: {text!r} ({error})") from None
    return value.astimezone(UTC)


def _parse_document(data: object) -> etree._Element:
    if not isinstance(data, bytes):
        raise Iso20022Error("file", "must be bytes")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise Iso20022Error("file", f"is larger than {MAX_DOCUMENT_BYTES} bytes")
    # A new parser per call: lxml parsers keep state and are not to be shared between threads.
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise Iso20022Error("file", f"is not well-formed XML: {error}") from None
    if root.getroottree().docinfo.doctype:
        raise Iso20022Error("file", "has a DOCTYPE: DTDs are not accepted")
    return root


def parse_pain002(data: bytes) -> StatusReport:
    """The status report in ``data``, a pain.002.001.10 document; Iso20022Error if refused.

    Transactions come in document order across all OrgnlPmtInfAndSts blocks; an id reported
    twice with the same status is kept twice, with different statuses the report is refused
    (which of the two would be true cannot be told).
    """
    root = _parse_document(data)
    if root.tag != f"{{{PAIN002_NS}}}Document":
        got = etree.QName(root).text
        raise Iso20022Error("Document", f"must be {{{PAIN002_NS}}}Document, got {got}")
    report = root.find(_clark("CstmrPmtStsRpt"))
    if report is None:
        raise Iso20022Error("Document", "has no CstmrPmtStsRpt")
    message_id = _required(_found(report, "GrpHdr/MsgId"), "GrpHdr/MsgId", 35)
    created = _required(_found(report, "GrpHdr/CreDtTm"), "GrpHdr/CreDtTm", 64)
    created_at = _parse_date_time(created, "GrpHdr/CreDtTm")
    original_message_id = _found(report, "OrgnlGrpInfAndSts/OrgnlMsgId")
    group_status = _found(report, "OrgnlGrpInfAndSts/GrpSts")
    if group_status is not None:
        _matching(group_status, "OrgnlGrpInfAndSts/GrpSts", "code")

    elements: list[etree._Element] = []
    for element in report.iterfind(_clark("OrgnlPmtInfAndSts/TxInfAndSts")):
        if len(elements) == MAX_TRANSACTIONS:
            raise Iso20022Error("TxInfAndSts", f"more than {MAX_TRANSACTIONS} transactions")
        elements.append(element)

    transactions = []
    statuses: dict[str, tuple[int, str]] = {}
    for number, element in enumerate(elements, start=1):
        at = f"TxInfAndSts[{number}]"
        transaction = _transaction(element, at)
        earlier = statuses.setdefault(transaction.end_to_end_id, (number, transaction.status))
        if earlier[1] != transaction.status:
            raise Iso20022Error(
                f"{at}/OrgnlEndToEndId",
                f"{transaction.end_to_end_id!r} has status {transaction.status} here and "
                f"{earlier[1]} in TxInfAndSts[{earlier[0]}]",
            )
        transactions.append(transaction)
    return StatusReport(
        message_id=message_id,
        created_at=created_at,
        original_message_id=original_message_id,
        group_status=group_status,
        transactions=tuple(transactions),
    )
