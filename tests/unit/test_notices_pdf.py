"""The recovery notice and the appeal decision: what they say in Kazakh and Russian, their QR
code, byte-identical output and the values they refuse.

As in test_decision_pdf, the parts that need poppler or zbar are skipped without the binaries
(CI installs them and sets SUBSIDY_TEST_REQUIRE_TOOLS, so that there they fail instead).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any

import pypdf
import pytest
from reportlab.platypus import SimpleDocTemplate

from subsidy.decisions.notices import (
    AppealDecision,
    RecoveryNotice,
    canonical_content,
    content_sha256,
    render_appeal_decision,
    render_recovery_notice,
    standard_consequence,
    verify_url_for,
)
from subsidy.decisions.pdf import render_decision
from subsidy.eligibility.obligations import recovery_amount
from tests.unit.test_decision_pdf import (
    FARM_NAME,
    PUBLIC_URL,
    decision,
    needs_poppler,
    needs_zbar,
    pages_as_images,
    text_of,
)

REPO = Path(__file__).resolve().parents[2]
PROGRAM_NAME = {
    "ru": "Приобретение племенных тёлок",
    "kk": "Асыл тұқымды қашарлар сатып алу",
    "en": "Pedigree heifers",
}
DISTRICT = {"ru": "Глубоковский район", "kk": "Глубокое ауданы"}


def animal_ids(count: int) -> tuple[str, ...]:
    return tuple(f"KZ{630000000000 + n}" for n in range(count))


def notice(left: int = 3, claimed: int = 40, **changes: Any) -> RecoveryNotice:
    paid = changes.pop("paid_amount", Decimal("4000000.00"))
    doc = RecoveryNotice(
        number="BEEF-HEIFERS-2026-000007-R1",
        application_number="BEEF-HEIFERS-2026-000007",
        decision_number="BEEF-HEIFERS-2026-000007-D1",
        issued_at=datetime(2026, 9, 1, 4, 30, 5, tzinfo=UTC),
        program_code="BEEF-HEIFERS-2026",
        program_name=PROGRAM_NAME,
        applicant_name=FARM_NAME,
        applicant_id_number="880101300018",
        district_name=DISTRICT,
        paid_amount=paid,
        paid_on=date(2026, 7, 1),
        obligation="keep_animals",
        months=24,
        ends_on=date(2028, 7, 1),
        extract_as_of=date(2026, 8, 30),
        snapshot_id=17,
        animals=animal_ids(left),
        claimed_count=claimed,
        amount=recovery_amount(paid, left, claimed),
        due_on=date(2026, 10, 1),
        appeal_until=date(2026, 12, 1),
        verify_url="",
    )
    doc = replace(doc, **changes)
    if "verify_url" not in changes:
        doc = replace(doc, verify_url=verify_url_for(PUBLIC_URL, doc))
    return doc


def appeal(**changes: Any) -> AppealDecision:
    appealed = changes.get("appealed", "rejection")
    outcome = changes.get("outcome", "granted")
    doc = AppealDecision(
        number="BEEF-HEIFERS-2026-000007-A1",
        application_number="BEEF-HEIFERS-2026-000007",
        appealed=appealed,
        appealed_number=None if appealed == "ineligible" else "BEEF-HEIFERS-2026-000007-D1",
        filed_on=date(2026, 6, 20),
        appeal_reason="Справка о погашении налоговой задолженности от 18.06.2026 приложена.",
        outcome=outcome,
        decision_reason="Задолженность погашена 17.06.2026, что подтверждает выписка КГД.",
        decided_on=date(2026, 6, 25),
        issued_at=datetime(2026, 6, 25, 6, 0, tzinfo=UTC),
        official={
            "name": "Ким Сергей Владимирович",
            "position": "Субсидиялау бөлімінің басшысы / Руководитель отдела субсидирования",
        },
        program_code="BEEF-HEIFERS-2026",
        program_name=PROGRAM_NAME,
        applicant_name=FARM_NAME,
        applicant_id_number="880101300018",
        district_name=DISTRICT,
        consequence=standard_consequence(appealed, outcome),
        verify_url="",
    )
    doc = replace(doc, **{k: v for k, v in changes.items() if k not in ("appealed", "outcome")})
    if "verify_url" not in changes:
        doc = replace(doc, verify_url=verify_url_for(PUBLIC_URL, doc))
    return doc


def layout_text(data: bytes) -> str:
    """pdftotext's reading of the file, whitespace collapsed: a second, independent extractor."""
    out = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    return " ".join(out.stdout.decode().split())


def scanned(data: bytes, tmp_path: Path) -> list[str]:
    found = []
    for page in pages_as_images(data, tmp_path):
        result = subprocess.run(
            ["zbarimg", "--raw", "-q", str(page)], capture_output=True, text=True
        )
        found += result.stdout.split()
    return found


# --- the recovery notice ---------------------------------------------------------------------


def test_notice_states_program_applicant_payment_obligation_extract_and_animals() -> None:
    doc = notice()
    text = text_of(render_recovery_notice(doc))
    assert "ХАБАРЛАМА / УВЕДОМЛЕНИЕ" in text and doc.number in text
    assert "субсидияны қайтару туралы / о возврате субсидии" in text
    assert "BEEF-HEIFERS-2026" in text
    assert PROGRAM_NAME["kk"] in text and PROGRAM_NAME["ru"] in text
    assert FARM_NAME in text and "880101300018" in text
    assert "Глубокое ауданы / Глубоковский район" in text
    assert "Выплаченная сумма" in text and "4 000 000,00 ₸" in text
    assert "01.07.2026" in text and "№ BEEF-HEIFERS-2026-000007-D1" in text
    assert "24 ай бойы" in text and "24 мес. после выплаты" in text
    assert "01.07.2026 — 01.07.2028" in text
    assert "#17" in text and "30.08.2026" in text
    assert "3 / 40" in text
    for animal in doc.animals:
        assert animal in text


def test_notice_states_the_amount_how_it_is_computed_the_due_date_and_where_to_pay() -> None:
    text = text_of(render_recovery_notice(notice()))
    # 4 000 000 × 3 ÷ 40 = 300 000
    assert "ҚАЙТАРУҒА / К ВОЗВРАТУ: 300 000,00 ₸" in text
    assert "4 000 000,00 ₸ × 3 ÷ 40 = 300 000,00 ₸" in text
    assert "выплата × выбыло ÷ заявлено" in text and "төленген сома × шыққан ÷ өтінімде" in text
    assert "01.10.2026 дейін (қоса алғанда) / до 01.10.2026 включительно" in text
    assert "На счёт, указанный управлением сельского хозяйства области" in text
    assert "ауыл шаруашылығы басқармасы көрсеткен шотқа" in text


def test_notice_says_how_and_by_when_to_appeal_in_both_languages() -> None:
    text = text_of(render_recovery_notice(notice()))
    assert "Уведомление может быть обжаловано через сервис в управление сельского " in text
    assert "до 01.12.2026 включительно" in text
    assert "Административным процедурно-процессуальным кодексом Республики Казахстан" in text
    assert "в течение 5 рабочих дней" in text
    assert "Хабарламаға хабарлама берілген күннен бастап үш ай ішінде" in text
    assert "01.12.2026 дейін (қоса алғанда)" in text
    assert "Әкімшілік рәсімдік-процестік кодексіне сәйкес сервис арқылы" in text
    assert "5 жұмыс күні ішінде қаралады" in text


def test_rounding_is_half_up_to_the_tiyn() -> None:
    doc = notice(left=1, claimed=3, paid_amount=Decimal("100.00"))
    assert doc.amount == Decimal("33.33")
    doc = notice(left=1, claimed=8, paid_amount=Decimal("0.20"))  # 0.025 -> 0.03
    assert doc.amount == Decimal("0.03")
    assert "0,20 ₸ × 1 ÷ 8 = 0,03 ₸" in text_of(render_recovery_notice(doc))


def test_a_notice_of_many_animals_lists_every_one_across_pages() -> None:
    doc = notice(left=600, claimed=800)
    data = render_recovery_notice(doc)
    assert len(pypdf.PdfReader(BytesIO(data)).pages) >= 3
    text = text_of(data)
    assert all(animal in text for animal in doc.animals)
    assert "600 / 800" in text


@needs_poppler
def test_pdftotext_reads_the_same_facts_in_kazakh_and_russian() -> None:
    text = layout_text(render_recovery_notice(notice()))
    assert FARM_NAME in text
    assert "Сумма к возврату" in text and "Қайтарылатын сома" in text
    assert "KZ630000000002" in text


@needs_zbar
def test_notice_qr_code_scans_to_its_verify_url(tmp_path: Path) -> None:
    doc = notice()
    assert scanned(render_recovery_notice(doc), tmp_path) == [doc.verify_url]


def test_notice_content_has_its_own_format_and_hash() -> None:
    doc = notice()
    content = canonical_content(doc)
    assert content["format"] == "subsidy-recovery-notice/2"
    assert "verify_url" not in content
    assert content["amount"] == "300000.00" and content["paid_amount"] == "4000000.00"
    assert content["animals"] == list(doc.animals) and content["claimed_count"] == 40
    assert content["issued_at"] == "2026-09-01T04:30:05Z"
    assert doc.verify_url == f"{PUBLIC_URL}/verify?sha256={content_sha256(doc)}"
    assert content_sha256(replace(doc, verify_url="x")) == content_sha256(doc)
    assert content_sha256(replace(doc, due_on=date(2026, 10, 2))) != content_sha256(doc)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"issued_at": datetime(2026, 9, 1, 9, 0)}, "timezone-aware"),
        ({"paid_amount": Decimal("NaN")}, "finite"),
        ({"amount": Decimal("300000.01")}, "paid × left ÷ claimed"),
        ({"amount": Decimal("5000000.00")}, "at most paid_amount"),
        ({"animals": ()}, "animals"),
        ({"animals": ("KZ1", "KZ1", "KZ2")}, "each once"),
        ({"claimed_count": 2}, "at least"),
        ({"obligation": "keep_land"}, "obligation"),
        ({"months": 0}, "months"),
        ({"extract_as_of": date(2026, 6, 30)}, "while the obligation ran"),
        ({"extract_as_of": date(2028, 7, 2)}, "while the obligation ran"),
    ],
)
def test_notice_refuses_values_that_do_not_add_up(changes: dict[str, Any], message: str) -> None:
    base = notice()
    with pytest.raises(ValueError, match=message):
        replace(base, **changes)


def test_notice_without_verify_url_is_not_rendered() -> None:
    with pytest.raises(ValueError, match="verify_url"):
        render_recovery_notice(notice(verify_url=""))


# --- the appeal decision ---------------------------------------------------------------------


def test_appeal_decision_states_what_was_appealed_when_why_and_the_outcome() -> None:
    doc = appeal()
    text = text_of(render_appeal_decision(doc))
    assert "ШАҒЫМ БОЙЫНША ШЕШІМ / РЕШЕНИЕ ПО ЖАЛОБЕ" in text and doc.number in text
    assert "субсидия беруден бас тарту туралы шешім / решение об отказе в субсидии" in text
    assert "№ BEEF-HEIFERS-2026-000007-D1" in text
    assert "20.06.2026" in text and "25.06.2026" in text
    assert doc.appeal_reason in text and doc.decision_reason in text
    assert "ШАҒЫМ ҚАНАҒАТТАНДЫРЫЛДЫ / ЖАЛОБА УДОВЛЕТВОРЕНА" in text
    assert "Ким Сергей Владимирович" in text and "Руководитель отдела субсидирования" in text
    assert FARM_NAME in text and "880101300018" in text and PROGRAM_NAME["kk"] in text
    assert "возвращается в статус «подана» с прежним местом в очереди" in text
    assert "кезектегі бұрынғы орнын сақтай отырып" in text


def test_appeal_decision_may_be_challenged_in_court_under_the_procedure_code() -> None:
    text = text_of(render_appeal_decision(appeal()))
    assert "может быть обжаловано в суд" in text
    assert "Административным процедурно-процессуальным кодексом Республики Казахстан" in text
    assert "сотқа шағым жасалуы мүмкін" in text


def test_a_dismissed_appeal_of_a_recovery_and_a_granted_one() -> None:
    dismissed = text_of(render_appeal_decision(appeal(appealed="recovery", outcome="dismissed")))
    assert "ЖАЛОБА ОСТАВЛЕНА БЕЗ УДОВЛЕТВОРЕНИЯ" in dismissed
    assert "ЖАЛОБА УДОВЛЕТВОРЕНА" not in dismissed
    assert "уведомление о возврате субсидии" in dismissed
    assert "Обжалуемое решение остаётся в силе; ничего не меняется." in dismissed
    granted = text_of(render_appeal_decision(appeal(appealed="recovery")))
    assert "Требование о возврате субсидии по уведомлению отменяется." in granted


def test_an_appeal_of_an_ineligible_result_names_no_letter() -> None:
    doc = appeal(appealed="ineligible")
    assert doc.appealed_number is None
    text = text_of(render_appeal_decision(doc))
    assert "результат оценки заявки: не соответствует условиям" in text
    assert "D1" not in text.replace(doc.number, "")


@needs_zbar
def test_appeal_qr_code_scans_to_its_verify_url(tmp_path: Path) -> None:
    doc = appeal()
    assert scanned(render_appeal_decision(doc), tmp_path) == [doc.verify_url]


@needs_poppler
def test_pdftotext_reads_the_appeal_decision() -> None:
    text = layout_text(render_appeal_decision(appeal()))
    assert "ЖАЛОБА УДОВЛЕТВОРЕНА" in text and "Доводы заявителя" in text


def test_appeal_content_has_its_own_format() -> None:
    doc = appeal()
    content = canonical_content(doc)
    assert content["format"] == "subsidy-appeal-decision/2"
    assert content["consequence"] == doc.consequence and "verify_url" not in content
    assert content_sha256(doc) != content_sha256(replace(doc, outcome="dismissed"))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"issued_at": datetime(2026, 6, 25, 11, 0)}, "timezone-aware"),
        ({"outcome": "approved"}, "outcome"),
        ({"appealed": "approval"}, "appealed"),
        ({"appealed_number": None}, "appealed_number"),
        ({"appeal_reason": "  "}, "reasons"),
        ({"decision_reason": ""}, "reasons"),
        ({"consequence": {"en": "nothing"}}, "consequence"),
        ({"decided_on": date(2026, 6, 19)}, "on or after"),
    ],
)
def test_appeal_decision_refuses_incomplete_values(changes: dict[str, Any], message: str) -> None:
    base = appeal()
    with pytest.raises(ValueError, match=message):
        replace(base, **changes)


def test_an_ineligible_result_has_no_number_to_name() -> None:
    with pytest.raises(ValueError, match="appealed_number"):
        replace(appeal(appealed="ineligible"), appealed_number="X-D1")


# --- byte-identical output -------------------------------------------------------------------


def test_same_input_renders_the_same_bytes() -> None:
    first_notice, first_appeal = render_recovery_notice(notice()), render_appeal_decision(appeal())
    assert render_recovery_notice(notice()) == first_notice
    assert render_appeal_decision(appeal()) == first_appeal
    assert render_recovery_notice(notice(due_on=date(2026, 10, 2))) != first_notice
    assert render_appeal_decision(appeal(outcome="dismissed")) != first_appeal
    reader = pypdf.PdfReader(BytesIO(first_notice))
    assert reader.metadata["/CreationDate"] == "D:20260901093005+05'00'"
    assert reader.metadata["/Title"] == "ХАБАРЛАМА / УВЕДОМЛЕНИЕ № BEEF-HEIFERS-2026-000007-R1"


def test_another_process_with_another_hash_seed_renders_the_same_bytes() -> None:
    code = (
        "import hashlib\n"
        "from tests.unit.test_notices_pdf import appeal, notice\n"
        "from subsidy.decisions.notices import render_appeal_decision, render_recovery_notice\n"
        "print(hashlib.sha256(render_recovery_notice(notice())).hexdigest())\n"
        "print(hashlib.sha256(render_appeal_decision(appeal())).hexdigest())\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "4242"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        hashlib.sha256(render_recovery_notice(notice())).hexdigest(),
        hashlib.sha256(render_appeal_decision(appeal())).hexdigest(),
    ]


def test_no_two_documents_are_built_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """reportlab subsets a font through state every document shares: two threads building at
    once (drafts are rendered before the log lock, so requests do) could corrupt a subset or
    raise in makeSubset (seen as a KeyError once in some hundred concurrent renders). So
    pdf.build lets one document at a time through; the bytes stay those of a lone render."""
    build = SimpleDocTemplate.build
    inside, most = [0], [0]
    counting = threading.Lock()

    def watched_build(self: SimpleDocTemplate, *args: Any, **kwargs: Any) -> None:
        with counting:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        time.sleep(0.02)  # long enough for another thread to try
        try:
            build(self, *args, **kwargs)
        finally:
            with counting:
                inside[0] -= 1

    jobs: list[Callable[[], bytes]] = [
        lambda: render_recovery_notice(notice()),
        lambda: render_appeal_decision(appeal()),
        lambda: render_decision(decision()),
    ]
    expected = [job() for job in jobs]
    monkeypatch.setattr(SimpleDocTemplate, "build", watched_build)
    results: list[bytes | None] = [None] * len(jobs)

    def run(number: int) -> None:
        results[number] = jobs[number]()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == [1]
    assert results == expected
