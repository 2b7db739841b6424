"""ISO 20022 payment messages (subsidy.payments.iso20022), checked with independent software.

* Every pain.001 the module writes is validated by libxml2 against ISO's own schema,
  ``tests/data/iso20022/pain.001.001.09.xsd`` (copied unchanged, see the README there), and read
  back by xsdata into pyiso20022's classes, which are generated from ISO's schemas.
* The pain.002 status reports read are written by pyiso20022's classes and xsdata's serializer,
  and the module's own pain.002 writer is read back by xsdata in strict mode.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from pyiso20022.pain import pain_001_001_09 as pain001
from pyiso20022.pain import pain_002_001_10 as pain002
from xsdata.formats.dataclass.parsers import XmlParser
from xsdata.formats.dataclass.parsers.config import ParserConfig
from xsdata.formats.dataclass.serializers import XmlSerializer
from xsdata.models.datatype import XmlDateTime

from subsidy.applicants.bank import make_iban
from subsidy.payments import iso20022
from subsidy.payments.iso20022 import (
    PAID_STATUSES,
    PAIN001_NS,
    PAIN002_NS,
    RETURNED_STATUSES,
    CreditTransfer,
    Iso20022Error,
    Party,
    StatusReport,
    TransactionStatus,
    Transfer,
    parse_pain002,
    render_pain001,
    render_pain002,
)

SCHEMA = etree.XMLSchema(
    etree.parse(Path(__file__).parents[1] / "data" / "iso20022" / "pain.001.001.09.xsd")
)
# Strict: an element or attribute the generated classes do not know is an error.
STRICT = XmlParser(
    config=ParserConfig(
        fail_on_unknown_properties=True,
        fail_on_unknown_attributes=True,
        fail_on_converter_warnings=True,
    )
)
ALMATY = timezone(timedelta(hours=5))
DEBTOR = Party(
    name="ГУ «Управление сельского хозяйства Восточно-Казахстанской области»",
    bin="940140000385",
    iban=make_iban("070", "KZT0000000001"),
    bic="KKMFKZ2A",
)


def _transfer(number: int, amount: str = "150000.00", **changes: object) -> Transfer:
    transfer = Transfer(
        end_to_end_id=f"DAIRY-MILK-2026-{number:06d}",
        amount=Decimal(amount),
        creditor_name=f"КХ «Береке-{number}»",
        creditor_iban=make_iban("601", f"{number:013d}"),
        creditor_bic="HSBKKZKX",
        remittance=f"Субсидия по решению D-{number}, программа «Молоко 2026»",
    )
    return replace(transfer, **changes)  # type: ignore[arg-type]


def _run(*transfers: Transfer, **changes: object) -> CreditTransfer:
    document = CreditTransfer(
        message_id="RUN-7",
        created_at=datetime(2026, 6, 15, 14, 30, 5, 123456, tzinfo=ALMATY),
        execution_date=date(2026, 6, 16),
        debtor=DEBTOR,
        transfers=transfers or (_transfer(1),),
    )
    return replace(document, **changes)  # type: ignore[arg-type]


def _valid(xml: bytes) -> etree._Element:
    root = etree.fromstring(xml)
    assert SCHEMA.validate(root), SCHEMA.error_log
    return root


# --- pain.001 ---------------------------------------------------------------------------------

CASES = {
    "one transfer": _run(_transfer(42)),
    "many transfers": _run(*(_transfer(n, f"{n}.{n % 100:02d}") for n in range(1, 251))),
    "Cyrillic and Kazakh names": _run(
        _transfer(1, creditor_name="ШҚ «Әйгерім» Өскемен, Ұлан ауданы, Қазақстан")
    ),
    "smallest amount": _run(_transfer(1, "0.01")),
    "large amount": _run(_transfer(1, "99999999999.99")),
    "whole tenge": _run(_transfer(1, "5E+3")),
    "long texts truncated": _run(_transfer(1, creditor_name="Я" * 300, remittance="Ж" * 141)),
}


@pytest.mark.parametrize("document", CASES.values(), ids=CASES.keys())
def test_rendered_document_validates_against_the_iso_schema(document: CreditTransfer) -> None:
    xml = render_pain001(document)
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    root = _valid(xml)
    assert root.tag == f"{{{PAIN001_NS}}}Document"


def test_long_creditor_name_and_remittance_are_cut_to_140_characters() -> None:
    root = _valid(render_pain001(CASES["long texts truncated"]))
    ns = {"p": PAIN001_NS}
    assert root.findtext(".//p:Cdtr/p:Nm", namespaces=ns) == "Я" * 140
    assert root.findtext(".//p:RmtInf/p:Ustrd", namespaces=ns) == "Ж" * 140


def test_an_independent_reader_finds_what_was_written() -> None:
    document = _run(
        _transfer(1, "0.01"),
        _transfer(2, "99999999999.99"),
        _transfer(3, "1234.5", creditor_bic="CASPKZKAXXX"),
    )
    parsed = STRICT.from_bytes(render_pain001(document), pain001.Document)
    header = parsed.cstmr_cdt_trf_initn.grp_hdr
    assert header.msg_id == "RUN-7"
    assert header.nb_of_txs == "3"
    assert header.ctrl_sum == Decimal("100000001234.50")
    assert header.cre_dt_tm.to_datetime() == datetime(2026, 6, 15, 9, 30, 5, tzinfo=UTC)
    assert header.initg_pty.nm == DEBTOR.name
    assert header.initg_pty.id.org_id.othr[0].id == DEBTOR.bin
    [payment] = parsed.cstmr_cdt_trf_initn.pmt_inf
    assert payment.pmt_inf_id == "RUN-7"
    assert payment.pmt_mtd.value == "TRF"
    assert (payment.nb_of_txs, payment.ctrl_sum) == ("3", header.ctrl_sum)
    assert payment.reqd_exctn_dt.dt.to_date() == date(2026, 6, 16)
    assert payment.dbtr.nm == DEBTOR.name
    assert payment.dbtr.id.org_id.othr[0].id == DEBTOR.bin
    assert payment.dbtr_acct.id.iban == DEBTOR.iban
    assert payment.dbtr_agt.fin_instn_id.bicfi == DEBTOR.bic
    assert len(payment.cdt_trf_tx_inf) == 3
    for transaction, transfer in zip(payment.cdt_trf_tx_inf, document.transfers, strict=True):
        assert transaction.pmt_id.end_to_end_id == transfer.end_to_end_id
        assert transaction.amt.instd_amt.value == transfer.amount
        assert transaction.amt.instd_amt.ccy == "KZT"
        assert transaction.cdtr_acct.id.iban == transfer.creditor_iban
        assert transaction.cdtr_agt.fin_instn_id.bicfi == transfer.creditor_bic
        assert transaction.cdtr.nm == transfer.creditor_name
        assert transaction.rmt_inf.ustrd == [transfer.remittance]


def test_amounts_are_written_with_two_places_and_times_in_utc_to_the_second() -> None:
    xml = render_pain001(_run(_transfer(1, "5E+3"), _transfer(2, "0.1")))
    assert b'<InstdAmt Ccy="KZT">5000.00</InstdAmt>' in xml
    assert b'<InstdAmt Ccy="KZT">0.10</InstdAmt>' in xml
    assert b"<CtrlSum>5000.10</CtrlSum>" in xml
    assert b"<CreDtTm>2026-06-15T09:30:05+00:00</CreDtTm>" in xml


def test_same_input_gives_the_same_bytes() -> None:
    document = CASES["many transfers"]
    rebuilt = replace(document, transfers=tuple(replace(t) for t in document.transfers))
    assert render_pain001(document) == render_pain001(rebuilt)


REFUSED = {
    "message id over 35": (_run(message_id="RUN-" + "9" * 32), "message_id"),
    "naive created_at": (_run(created_at=datetime(2026, 6, 15, 9, 0)), "created_at"),
    "datetime as execution date": (
        _run(execution_date=datetime(2026, 6, 16, tzinfo=UTC)),
        "execution_date",
    ),
    "no transfers": (_run(transfers=()), "transfers"),
    "debtor name over 140": (_run(debtor=replace(DEBTOR, name="А" * 141)), "debtor.name"),
    "debtor BIN not 12 digits": (_run(debtor=replace(DEBTOR, bin="94014000038")), "debtor.bin"),
    "debtor IBAN lower case": (
        _run(debtor=replace(DEBTOR, iban=DEBTOR.iban.lower())),
        "debtor.iban",
    ),
    "end-to-end id over 35": (
        _run(_transfer(1), _transfer(2, end_to_end_id="X" * 36)),
        "transfers[1].end_to_end_id",
    ),
    "same end-to-end id twice": (
        _run(_transfer(1), _transfer(2), _transfer(1)),
        "transfers[2].end_to_end_id",
    ),
    "float amount": (_run(replace(_transfer(1), amount=150.5)), "transfers[0].amount"),  # type: ignore[arg-type]
    "int amount": (_run(replace(_transfer(1), amount=150)), "transfers[0].amount"),  # type: ignore[arg-type]
    "zero amount": (_run(_transfer(1, "0.00")), "transfers[0].amount"),
    "negative amount": (_run(_transfer(1, "-5")), "transfers[0].amount"),
    "three places": (_run(_transfer(1, "10.005")), "transfers[0].amount"),
    "19 digits": (_run(_transfer(1, "10000000000000000.00")), "transfers[0].amount"),
    "not a number": (_run(_transfer(1, "NaN")), "transfers[0].amount"),
    "control sum over 18 digits": (
        _run(_transfer(1, "9999999999999999.99"), _transfer(2, "0.01")),
        "transfers",
    ),
    "BIC of 9 characters": (
        _run(_transfer(1, creditor_bic="HSBKKZKXX")),
        "transfers[0].creditor_bic",
    ),
    "blank creditor name": (_run(_transfer(1, creditor_name="  ")), "transfers[0].creditor_name"),
    "control character": (_run(_transfer(1, remittance="a\x00b")), "transfers[0].remittance"),
}


@pytest.mark.parametrize(("document", "field"), REFUSED.values(), ids=REFUSED.keys())
def test_what_the_schema_would_refuse_is_refused(document: CreditTransfer, field: str) -> None:
    with pytest.raises(Iso20022Error) as caught:
        render_pain001(document)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")


names = st.text(
    alphabet=st.sampled_from("АӘБВГҒДЕЁЖЗИЙКҚЛМНҢОӨПРСТУҰҮФХҺЦЧШЩЪЫІЬЭЮЯаәбқғңөұүһі «»-.,&'\"<>"),
    min_size=1,
    max_size=200,
).filter(str.strip)
transfers = st.builds(
    Transfer,
    end_to_end_id=st.from_regex(r"[A-Z]{3,8}-[A-Z]{2,6}-20[0-9]{2}-[0-9]{6}", fullmatch=True),
    amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999999.99"), places=2),
    creditor_name=names,
    creditor_iban=st.builds(
        make_iban,
        st.from_regex(r"[0-9]{3}", fullmatch=True),
        st.from_regex(r"[0-9A-Z]{13}", fullmatch=True),
    ),
    creditor_bic=st.sampled_from(["HSBKKZKX", "KCJBKZKX", "CASPKZKA", "HCSKKZKA", "KINCKZKA"]),
    remittance=names,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(transfers, min_size=1, max_size=30, unique_by=lambda t: t.end_to_end_id))
def test_any_run_validates_and_its_totals_add_up(generated: list[Transfer]) -> None:
    root = _valid(render_pain001(_run(*generated)))
    ns = {"p": PAIN001_NS}
    total = sum((t.amount for t in generated), Decimal(0))
    for block in ("p:CstmrCdtTrfInitn/p:GrpHdr", "p:CstmrCdtTrfInitn/p:PmtInf"):
        assert Decimal(str(root.findtext(f"{block}/p:CtrlSum", namespaces=ns))) == total
        assert root.findtext(f"{block}/p:NbOfTxs", namespaces=ns) == str(len(generated))
    amounts = root.findall(".//p:InstdAmt", namespaces=ns)
    assert [Decimal(str(a.text)) for a in amounts] == [t.amount for t in generated]


# --- pain.002 ---------------------------------------------------------------------------------


def _bank_report(*blocks: list[pain002.PaymentTransaction105]) -> bytes:
    """A status report written by pyiso20022's classes and xsdata, as a bank's software would."""
    document = pain002.Document(
        cstmr_pmt_sts_rpt=pain002.CustomerPaymentStatusReportV10(
            grp_hdr=pain002.GroupHeader86(
                msg_id="HSBK-STS-0001",
                cre_dt_tm=XmlDateTime.from_string("2026-06-17T10:15:00+05:00"),
            ),
            orgnl_grp_inf_and_sts=pain002.OriginalGroupHeader17(
                orgnl_msg_id="RUN-7", orgnl_msg_nm_id="pain.001.001.09", grp_sts="PART"
            ),
            orgnl_pmt_inf_and_sts=[
                pain002.OriginalPaymentInstruction32(
                    orgnl_pmt_inf_id=f"RUN-7-{index}", tx_inf_and_sts=transactions
                )
                for index, transactions in enumerate(blocks)
            ],
        )
    )
    return XmlSerializer().render(document).encode()


def _tx(end_to_end_id: str, status: str, **more: object) -> pain002.PaymentTransaction105:
    return pain002.PaymentTransaction105(orgnl_end_to_end_id=end_to_end_id, tx_sts=status, **more)


def test_reads_a_report_written_by_independent_software() -> None:
    data = _bank_report(
        [
            _tx(
                "DAIRY-MILK-2026-000001",
                "ACSC",
                accptnc_dt_tm=XmlDateTime.from_string("2026-06-17T09:00:00.250+05:00"),
            ),
            _tx(
                "DAIRY-MILK-2026-000002",
                "RJCT",
                sts_rsn_inf=[
                    pain002.StatusReasonInformation12(rsn=pain002.StatusReason6Choice(cd="AC04"))
                ],
            ),
        ],
        [
            _tx("DAIRY-MILK-2026-000003", "PDNG"),
            _tx(
                "DAIRY-MILK-2026-000004",
                "RJCT",
                sts_rsn_inf=[
                    pain002.StatusReasonInformation12(
                        rsn=pain002.StatusReason6Choice(prtry="ACCOUNT-BLOCKED")
                    )
                ],
            ),
            _tx(
                "DAIRY-MILK-2026-000005",
                "ACCC",
                accptnc_dt_tm=XmlDateTime.from_string("2026-06-17T04:00:00"),
            ),
        ],
    )
    report = parse_pain002(data)
    assert report.message_id == "HSBK-STS-0001"
    assert report.created_at == datetime(2026, 6, 17, 5, 15, tzinfo=UTC)
    assert report.created_at.utcoffset() == timedelta(0)
    assert report.original_message_id == "RUN-7"
    assert report.group_status == "PART"
    assert report.transactions == (
        TransactionStatus(
            "DAIRY-MILK-2026-000001",
            "ACSC",
            None,
            datetime(2026, 6, 17, 4, 0, 0, 250000, tzinfo=UTC),
        ),
        TransactionStatus("DAIRY-MILK-2026-000002", "RJCT", "AC04", None),
        TransactionStatus("DAIRY-MILK-2026-000003", "PDNG", None, None),
        TransactionStatus("DAIRY-MILK-2026-000004", "RJCT", "ACCOUNT-BLOCKED", None),
        # No offset: taken as UTC.
        TransactionStatus(
            "DAIRY-MILK-2026-000005", "ACCC", None, datetime(2026, 6, 17, 4, tzinfo=UTC)
        ),
    )
    paid = [t.end_to_end_id[-1] for t in report.transactions if t.status in PAID_STATUSES]
    returned = [t.end_to_end_id[-1] for t in report.transactions if t.status in RETURNED_STATUSES]
    assert (paid, returned) == (["1", "5"], ["2", "4"])


REPORT = StatusReport(
    message_id="HSBK-STS-0002",
    created_at=datetime(2026, 6, 17, 10, 15, tzinfo=ALMATY),
    original_message_id="RUN-7",
    group_status="ACSP",
    transactions=(
        TransactionStatus(
            "DAIRY-MILK-2026-000001", "ACSC", None, datetime(2026, 6, 17, 4, tzinfo=UTC)
        ),
        TransactionStatus("DAIRY-MILK-2026-000002", "RJCT", "AC04", None),
        TransactionStatus("DAIRY-MILK-2026-000003", "RJCT", "NOT-A-4-LETTER-CODE", None),
        TransactionStatus("DAIRY-MILK-2026-000004", "PDNG", None, None),
    ),
)


def test_written_report_is_valid_for_classes_generated_from_the_schema() -> None:
    data = render_pain002(REPORT)
    parsed = STRICT.from_bytes(data, pain002.Document)
    report = parsed.cstmr_pmt_sts_rpt
    assert report.grp_hdr.msg_id == "HSBK-STS-0002"
    assert report.grp_hdr.cre_dt_tm.to_datetime() == datetime(2026, 6, 17, 5, 15, tzinfo=UTC)
    assert report.orgnl_grp_inf_and_sts.orgnl_msg_id == "RUN-7"
    assert report.orgnl_grp_inf_and_sts.orgnl_msg_nm_id == "pain.001.001.09"
    assert report.orgnl_grp_inf_and_sts.grp_sts == "ACSP"
    [block] = report.orgnl_pmt_inf_and_sts
    assert block.orgnl_pmt_inf_id == "RUN-7"
    assert [(t.orgnl_end_to_end_id, t.tx_sts) for t in block.tx_inf_and_sts] == [
        (t.end_to_end_id, t.status) for t in REPORT.transactions
    ]
    assert block.tx_inf_and_sts[0].accptnc_dt_tm.to_datetime() == datetime(
        2026, 6, 17, 4, tzinfo=UTC
    )
    assert block.tx_inf_and_sts[1].sts_rsn_inf[0].rsn.cd == "AC04"
    assert block.tx_inf_and_sts[2].sts_rsn_inf[0].rsn.prtry == "NOT-A-4-LETTER-CODE"


def test_written_report_reads_back_the_same() -> None:
    assert parse_pain002(render_pain002(REPORT)) == replace(
        REPORT, created_at=REPORT.created_at.astimezone(UTC)
    )
    assert render_pain002(REPORT) == render_pain002(replace(REPORT))


def test_an_id_reported_twice_with_one_status_is_kept_twice() -> None:
    again = TransactionStatus("DAIRY-MILK-2026-000004", "PDNG", None, None)
    report = parse_pain002(
        render_pain002(replace(REPORT, transactions=(*REPORT.transactions, again)))
    )
    assert report.transactions[-2:] == (again, again)


def _pain002(body: str, header: str | None = None, ns: str = PAIN002_NS) -> bytes:
    if header is None:
        header = "<MsgId>B-1</MsgId><CreDtTm>2026-06-17T10:15:00Z</CreDtTm>"
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="{ns}"><CstmrPmtStsRpt>'
        f"<GrpHdr>{header}</GrpHdr>"
        "<OrgnlGrpInfAndSts><OrgnlMsgId>RUN-7</OrgnlMsgId>"
        "<OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId></OrgnlGrpInfAndSts>"
        f"<OrgnlPmtInfAndSts><OrgnlPmtInfId>RUN-7</OrgnlPmtInfId>{body}</OrgnlPmtInfAndSts>"
        "</CstmrPmtStsRpt></Document>"
    ).encode()


def _tx_xml(end_to_end_id: str, status: str, extra: str = "") -> str:
    return (
        f"<TxInfAndSts><OrgnlEndToEndId>{end_to_end_id}</OrgnlEndToEndId>"
        f"<TxSts>{status}</TxSts>{extra}</TxInfAndSts>"
    )


OK = _tx_xml("A-1", "ACSC")


def _billion_laughs() -> bytes:
    """Ten levels of entities each ten times the one before: 10**9 "lol"s if expanded."""
    entities = ['<!ENTITY lol0 "lol">']
    entities += [f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)]
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE Document [\n'
        + "\n".join(entities)
        + f']>\n<Document xmlns="{PAIN002_NS}"><CstmrPmtStsRpt>&lol9;</CstmrPmtStsRpt></Document>'
    ).encode()


BILLION_LAUGHS = _billion_laughs()
EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE Document [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    + f'<Document xmlns="{PAIN002_NS}"><CstmrPmtStsRpt>&x;</CstmrPmtStsRpt></Document>'.encode()
)
MALFORMED = {
    "not XML": (b"MsgId,TxSts\nB-1,ACSC\n", "file"),
    "empty": (b"", "file"),
    "truncated": (_pain002(OK)[:-20], "file"),
    "text, not bytes": (_pain002(OK).decode(), "file"),
    "billion laughs": (BILLION_LAUGHS, "file"),
    "external entity": (EXTERNAL_ENTITY, "file"),
    "older version pain.002.001.03": (
        _pain002(OK, ns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"),
        "Document",
    ),
    "a pain.001 instead": (render_pain001(_run()), "Document"),
    "no namespace": (b"<Document><CstmrPmtStsRpt/></Document>", "Document"),
    "no CstmrPmtStsRpt": (f'<Document xmlns="{PAIN002_NS}"/>'.encode(), "Document"),
    "no MsgId": (_pain002(OK, "<CreDtTm>2026-06-17T10:15:00Z</CreDtTm>"), "GrpHdr/MsgId"),
    "blank MsgId": (
        _pain002(OK, "<MsgId> </MsgId><CreDtTm>2026-06-17T10:15:00Z</CreDtTm>"),
        "GrpHdr/MsgId",
    ),
    "no CreDtTm": (_pain002(OK, "<MsgId>B-1</MsgId>"), "GrpHdr/CreDtTm"),
    "CreDtTm a date": (
        _pain002(OK, "<MsgId>B-1</MsgId><CreDtTm>2026-06-17</CreDtTm>"),
        "GrpHdr/CreDtTm",
    ),
    "CreDtTm 30 February": (
        _pain002(OK, "<MsgId>B-1</MsgId><CreDtTm>2026-02-30T10:00:00Z</CreDtTm>"),
        "GrpHdr/CreDtTm",
    ),
    "CreDtTm with a space": (
        _pain002(OK, "<MsgId>B-1</MsgId><CreDtTm>2026-06-17 10:15:00</CreDtTm>"),
        "GrpHdr/CreDtTm",
    ),
    "offset beyond 14 hours": (
        _pain002(OK, "<MsgId>B-1</MsgId><CreDtTm>2026-06-17T10:15:00+15:00</CreDtTm>"),
        "GrpHdr/CreDtTm",
    ),
    "missing OrgnlEndToEndId": (
        _pain002(OK + OK.replace("A-1", "A-2") + "<TxInfAndSts><TxSts>RJCT</TxSts></TxInfAndSts>"),
        "TxInfAndSts[3]/OrgnlEndToEndId",
    ),
    "missing TxSts": (
        _pain002(OK + "<TxInfAndSts><OrgnlEndToEndId>A-2</OrgnlEndToEndId></TxInfAndSts>"),
        "TxInfAndSts[2]/TxSts",
    ),
    "TxSts too long": (_pain002(_tx_xml("A-1", "ACSCX")), "TxInfAndSts[1]/TxSts"),
    "OrgnlEndToEndId over 35": (
        _pain002(_tx_xml("A" * 36, "ACSC")),
        "TxInfAndSts[1]/OrgnlEndToEndId",
    ),
    "same id, paid and returned": (
        _pain002(OK + _tx_xml("B-1", "PDNG") + _tx_xml("A-1", "RJCT")),
        "TxInfAndSts[3]/OrgnlEndToEndId",
    ),
    "bad AccptncDtTm": (
        _pain002(_tx_xml("A-1", "ACSC", "<AccptncDtTm>yesterday</AccptncDtTm>")),
        "TxInfAndSts[1]/AccptncDtTm",
    ),
}


@pytest.mark.parametrize(("data", "field"), MALFORMED.values(), ids=MALFORMED.keys())
def test_refused_reports_name_the_field(data: bytes, field: str) -> None:
    started = time.perf_counter()
    with pytest.raises(Iso20022Error) as caught:
        parse_pain002(data)
    assert time.perf_counter() - started < 1
    assert caught.value.field == field, caught.value
    assert caught.value.message


def test_doctype_is_refused_even_without_entities() -> None:
    data = _pain002(OK).replace(b"?>", b"?><!DOCTYPE Document>", 1)
    with pytest.raises(Iso20022Error, match="DTD"):
        parse_pain002(data)


def test_duplicate_with_conflicting_status_says_where_the_first_was() -> None:
    with pytest.raises(Iso20022Error) as caught:
        parse_pain002(_pain002(OK + _tx_xml("A-1", "RJCT")))
    assert "TxInfAndSts[1]" in caught.value.message


def test_comments_and_whitespace_around_values_are_ignored() -> None:
    data = _pain002(
        "<TxInfAndSts><!-- x --><OrgnlEndToEndId>\n  A-1 <!-- y --></OrgnlEndToEndId>"
        "<TxSts>ACSC</TxSts></TxInfAndSts>"
    )
    [transaction] = parse_pain002(data).transactions
    assert transaction.end_to_end_id == "A-1"


def test_more_than_100000_transactions_are_refused() -> None:
    assert iso20022.MAX_TRANSACTIONS == 100_000
    tx = _tx_xml("A-{}", "ACSC")
    at_limit = _pain002("".join(tx.format(n) for n in range(100_000)))
    assert len(parse_pain002(at_limit).transactions) == 100_000
    with pytest.raises(Iso20022Error) as caught:
        parse_pain002(_pain002("".join(tx.format(n) for n in range(100_001))))
    assert caught.value.field == "TxInfAndSts"


def test_a_document_too_large_is_refused_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(iso20022, "MAX_DOCUMENT_BYTES", 1000)
    with pytest.raises(Iso20022Error) as caught:
        parse_pain002(_pain002(OK * 20))
    assert caught.value.field == "file"


def test_render_pain002_refuses_what_the_schema_would() -> None:
    with pytest.raises(Iso20022Error) as caught:
        render_pain002(replace(REPORT, original_message_id=None))
    assert caught.value.field == "original_message_id"
    bad = TransactionStatus("A-1", "ACSC", None, datetime(2026, 6, 17, 4))  # naive
    with pytest.raises(Iso20022Error) as caught:
        render_pain002(replace(REPORT, transactions=(bad,)))
    assert caught.value.field == "transactions[0].accepted_at"


@settings(max_examples=100, deadline=None)
@given(
    name=st.text(max_size=300), remittance=st.text(max_size=300), end_to_end_id=st.text(max_size=40)
)
def test_any_text_is_refused_with_a_reason_or_validates(
    name: str, remittance: str, end_to_end_id: str
) -> None:
    transfer = _transfer(1, creditor_name=name, remittance=remittance, end_to_end_id=end_to_end_id)
    try:
        xml = render_pain001(_run(transfer))
    except Iso20022Error as error:
        assert error.field.startswith("transfers[0].")
    else:
        _valid(xml)
