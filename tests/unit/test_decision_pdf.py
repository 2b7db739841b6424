"""The decision document: its text, QR code, byte-identical output, long texts and rejections.

The parts that need poppler (``pdftoppm``, ``pdftotext``) or zbar (``zbarimg``) are skipped when
the binaries are missing; CI installs them (``poppler-utils``, ``zbar-tools``).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any

import pypdf
import pytest
from PIL import Image
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.lib.pagesizes import A4
from reportlab.platypus import Paragraph, Table

from subsidy.decisions import pdf, styles
from subsidy.decisions.document import (
    DecisionDocument,
    canonical_content,
    content_sha256,
    verify_url_for,
)
from subsidy.decisions.labels import money_text, quantity_text, rate_text
from subsidy.decisions.qr import QrCode
from subsidy.eligibility.facts import Facts, Herd
from subsidy.eligibility.rules import evaluate
from subsidy.programs.definition import load_program_yaml
from subsidy.programs.demo import demo_program_texts

REPO = Path(__file__).resolve().parents[2]
PUBLIC_URL = "https://subsidy.vko.gov.kz"
KAZAKH_LETTERS = "әғқңөұүһі"
# All nine Kazakh-specific letters, lower case, inside ordinary words.
FARM_NAME = "«Бәйтерек-Ағаш» шаруа қожалығы, Қоңыр көл, тұқым түлік, Жиһан Ізгі"
# 120 characters: the longest cooperative names in the register are about this long.
COOPERATIVE_NAME = (
    "Сельскохозяйственный производственный кооператив «Шығыс Өңірі Ақбұлақ Үлбі "
    "Жайылымдары мен Сүт Өнімдерін Өңдейтін Одағы»"
)
POPPLER = shutil.which("pdftoppm") and shutil.which("pdftotext")
ZBAR = shutil.which("zbarimg")
# CI installs both (.ci/run) and sets this, so that a missing tool fails instead of skipping.
if os.environ.get("SUBSIDY_TEST_REQUIRE_TOOLS") and not (POPPLER and ZBAR):
    raise RuntimeError(
        "SUBSIDY_TEST_REQUIRE_TOOLS is set but pdftoppm/pdftotext/zbarimg are missing"
    )
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdftoppm) not installed")
needs_zbar = pytest.mark.skipif(
    not (POPPLER and ZBAR), reason="poppler-utils or zbar-tools (zbarimg) not installed"
)


def dairy_checks() -> tuple[dict[str, Any], ...]:
    """The checks of a real evaluation of the demo dairy program: a farm short of cows."""
    definition = load_program_yaml(demo_program_texts()["dairy-milk-2026.yaml"])
    owner = "880101300018"
    facts = Facts(
        applicant_id=1,
        applicant_kind="peasant_farm",
        member_count=0,
        herds=(Herd("cattle", 42, 40, owner),),
        parcels=(),
        tax_arrears=Decimal("125000.50"),
        other_applications=(),
        snapshots={"land": 4, "livestock": 12, "tax": None},
    )
    evaluation = evaluate(definition, facts, Decimal("200000"), date(2026, 3, 2))
    return tuple(check.to_json() for check in evaluation.checks)


def decision(**changes: Any) -> DecisionDocument:
    definition = load_program_yaml(demo_program_texts()["dairy-milk-2026.yaml"])
    doc = DecisionDocument(
        number="DAIRY-MILK-2026-000042-D",
        application_number="DAIRY-MILK-2026-000042",
        decided_on=date(2026, 3, 3),
        issued_at=datetime(2026, 3, 3, 9, 5, 12, tzinfo=UTC),
        outcome="approved",
        program_code=definition.code,
        program_name=dict(definition.name),
        program_version=1,
        rules_version=definition.rules_version,
        reference=definition.reference,
        applicant_name=FARM_NAME,
        applicant_id_number="880101300018",
        applicant_kind="peasant_farm",
        district_name={"ru": "Глубоковский район", "kk": "Глубокое ауданы"},
        unit="liter",
        quantity=Decimal("273456.5"),
        rate=Decimal("45.00"),
        requested_amount=Decimal("12305542.50"),
        approved_amount=Decimal("12305542.50"),
        reject_reason=None,
        comment=None,
        justification=None,
        checks=dairy_checks(),
        evaluated_on=date(2026, 3, 2),
        snapshots={"land": 4, "livestock": 12, "tax": None},
        officials=("official #3 (first approval)", "official #7"),
        verify_url="",
        appeal_until=date(2026, 6, 3),
    )
    doc = replace(doc, **changes)
    if "verify_url" not in changes:
        doc = replace(doc, verify_url=verify_url_for(PUBLIC_URL, doc))
    return doc


def long_decision() -> DecisionDocument:
    """A cooperative with a 120-character name and 12 checks with long explanations."""
    long_tail = (
        " — по данным реестра на дату оценки, с учётом поголовья всех членов кооператива, "
        "идентифицированных животных и земельных участков, заявленных в заявке"
    )
    checks = tuple(
        {
            "rule": f"{check['rule']}_{number}",
            "passed": number % 5 != 3,
            "detail": {
                "kk": check["detail"]["kk"] + " — тізілім деректері бойынша, кооперативтің "
                "барлық мүшелерінің малы мен жер учаскелерін қоса есептегенде",
                "ru": check["detail"]["ru"] + long_tail,
                "en": check["detail"]["en"],
            },
            "facts_used": check["facts_used"],
        }
        for number, check in enumerate(dairy_checks() * 2)
    )
    return decision(
        applicant_name=COOPERATIVE_NAME,
        applicant_id_number="120340012345",
        applicant_kind="cooperative",
        checks=checks,
        comment="Сумма одобрена в полном объёме; выплата — в порядке очереди бюджета программы.",
    )


def text_of(data: bytes) -> str:
    """The text layer with whitespace (and no-break spaces) collapsed to single spaces."""
    reader = pypdf.PdfReader(BytesIO(data))
    text = " ".join(page.extract_text() for page in reader.pages)
    return " ".join(text.split())


def pages_as_images(data: bytes, tmp_path: Path, dpi: int = 150) -> list[Path]:
    source = tmp_path / "decision.pdf"
    source.write_bytes(data)
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", str(source), str(tmp_path / "page")], check=True
    )
    return sorted(tmp_path.glob("page-*.png"))


# --- what the document says ------------------------------------------------------------------


def test_text_layer_has_number_name_with_kazakh_letters_amount_and_every_check() -> None:
    doc = decision()
    text = text_of(pdf.render_decision(doc))
    assert set(KAZAKH_LETTERS) <= set(FARM_NAME)
    assert FARM_NAME in text
    assert doc.number in text
    assert "12 305 542,50 ₸" in text
    assert "880101300018" in text
    assert "ШЕШІМ / РЕШЕНИЕ" in text and "МАҚҰЛДАНДЫ / ОДОБРЕНО" in text
    for check in doc.checks:
        assert " ".join(check["detail"]["kk"].split()) in text, check["rule"]
        assert " ".join(check["detail"]["ru"].split()) in text, check["rule"]
        assert check["rule"] in text


def test_rate_quantity_officials_number_and_almaty_time_are_printed() -> None:
    doc = decision()
    text = text_of(pdf.render_decision(doc))
    assert "273 456,5 л" in text and "45,00 ₸ / л" in text
    assert "official #3 (first approval)" in text and "official #7" in text
    assert doc.number in text.replace(" ", "")
    # Rendered before its log entry exists: the document_issued entry links the two.
    assert "журнале прозрачности" not in text
    assert "03.03.2026 14:05" in text  # 09:05 UTC
    assert "Глубокое ауданы / Глубоковский район" in text
    assert "бет/стр. 1" in text


def test_document_uses_only_the_shipped_dejavu_fonts() -> None:
    reader = pypdf.PdfReader(BytesIO(pdf.render_decision(decision())))
    for page in reader.pages:
        fonts = {font.get_object()["/BaseFont"] for font in page["/Resources"]["/Font"].values()}
        assert fonts and all(re.fullmatch(r"/[A-Z]{6}\+DejaVuSans(-Bold)?", f) for f in fonts)


def test_shipped_font_has_the_glyphs_used_and_registration_is_idempotent() -> None:
    pdf.register_fonts()
    pdf.register_fonts()
    assert (styles.FONT_DIR / "LICENSE").read_text().count("Bitstream") > 0
    for char in "✓✗₸№«»—" + KAZAKH_LETTERS + KAZAKH_LETTERS.upper():
        assert pdf._has_glyph(char), char
    assert pdf._marks == {"passed": "✓", "failed": "✗", "tenge": "₸"}


def test_pdf_metadata_dates_are_the_issue_time_in_almaty() -> None:
    reader = pypdf.PdfReader(BytesIO(pdf.render_decision(decision())))
    assert reader.metadata["/CreationDate"] == "D:20260303140512+05'00'"
    assert reader.metadata["/Title"] == "ШЕШІМ / РЕШЕНИЕ № DAIRY-MILK-2026-000042-D"


def test_rejected_decision_states_the_reason_and_approves_no_amount() -> None:
    reason = "Задолженность по налогам 125 000,50 ₸ превышает допустимую (0,00 ₸)."
    text = text_of(
        pdf.render_decision(
            decision(outcome="rejected", approved_amount=None, reject_reason=reason)
        )
    )
    assert "БАС ТАРТЫЛДЫ / ОТКАЗАНО" in text and "ОДОБРЕНО" not in text
    assert reason in text
    assert "Одобренная сумма" not in text
    assert "12 305 542,50 ₸" in text  # what was requested


def test_document_refuses_an_approval_without_amount_or_a_rejection_without_reason() -> None:
    with pytest.raises(ValueError, match="approved amount"):
        decision(approved_amount=None)
    with pytest.raises(ValueError, match="reason"):
        decision(outcome="rejected", approved_amount=None, reject_reason="  ")
    with pytest.raises(ValueError, match="reason"):
        decision(outcome="rejected", reject_reason="no")  # an amount on a rejection
    with pytest.raises(ValueError, match="verify_url"):
        pdf.render_decision(decision(verify_url=""))


def test_a_rejection_says_how_and_by_when_to_appeal_through_the_service() -> None:
    doc = decision(outcome="rejected", approved_amount=None, reject_reason="нет справки")
    text = text_of(pdf.render_decision(doc))
    assert "Шағымдану тәртібі / Порядок обжалования" in text
    assert "Решение может быть обжаловано через сервис в управление сельского хозяйства " in text
    assert "в течение трёх месяцев со дня его принятия, до 03.06.2026 включительно" in text
    assert "Административным процедурно-процессуальным кодексом Республики Казахстан" in text
    assert "Жалоба рассматривается в течение 5 рабочих дней." in text
    assert "үш ай ішінде, 03.06.2026 дейін (қоса алғанда)" in text
    assert "Әкімшілік рәсімдік-процестік кодексіне сәйкес сервис арқылы" in text
    assert "5 жұмыс күні ішінде қаралады" in text


def test_an_approval_may_be_appealed_for_its_amount_by_the_same_date() -> None:
    text = text_of(pdf.render_decision(decision()))
    assert "Решение, в том числе одобренная сумма, может быть обжаловано в управление" in text
    assert "до 03.06.2026 включительно" in text and "03.06.2026 дейін (қоса алғанда)" in text
    assert "соның ішінде бекітілген сомаға" in text
    # The service takes appeals of rejections, ineligible results and recovery notices only.
    assert "через сервис" not in text and "сервис арқылы" not in text


def test_a_document_without_an_appeal_date_states_the_three_months() -> None:
    text = text_of(pdf.render_decision(decision(appeal_until=None)))
    assert "в течение трёх месяцев со дня его принятия в соответствии с" in text
    assert "включительно" not in text


def test_markup_characters_in_names_are_printed_not_interpreted() -> None:
    name = 'ТОО "A & B <Агро>" <b>'
    assert name in text_of(pdf.render_decision(decision(applicant_name=name)))


def test_amounts_are_grouped_with_decimal_comma_and_tenge_sign() -> None:
    assert money_text(Decimal("12345678.5")) == "12\xa0345\xa0678,50\xa0₸"
    assert money_text(Decimal("0")) == "0,00\xa0₸"
    assert quantity_text(Decimal("120"), "head") == "120\xa0бас / гол."
    assert quantity_text(Decimal("1520.2500"), "hectare") == "1\xa0520,25\xa0га"
    assert rate_text(Decimal("0.25"), "tenge") == "25\xa0%"


def test_rendering_imports_neither_flask_nor_sqlalchemy() -> None:
    code = (
        "import sys\n"
        "import subsidy.decisions.pdf, subsidy.decisions.document\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# --- the QR code and the hash it carries -----------------------------------------------------


def test_qr_code_is_reportlabs_encoding_of_the_verify_url() -> None:
    doc = decision()
    (code,) = [f for f in _flowables(pdf.story(doc)) if isinstance(f, QrCode)]
    assert code.value == doc.verify_url
    widget = QrCodeWidget(doc.verify_url, barLevel="M")
    widget.qr.make()
    assert code.modules == [[bool(module) for module in row] for row in widget.qr.modules]


@needs_zbar
def test_qr_code_scans_to_the_verify_url(tmp_path: Path) -> None:
    doc = decision()
    scanned = []
    for page in pages_as_images(pdf.render_decision(doc), tmp_path):
        result = subprocess.run(
            ["zbarimg", "--raw", "-q", str(page)], capture_output=True, text=True
        )
        scanned += result.stdout.split()
    assert scanned == [doc.verify_url]
    assert doc.verify_url in text_of(pdf.render_decision(doc)).replace(" ", "")


def test_verify_url_carries_the_content_hash_which_ignores_the_url_itself() -> None:
    doc = decision()
    assert doc.verify_url == f"{PUBLIC_URL}/verify?sha256={content_sha256(doc)}"
    assert content_sha256(replace(doc, verify_url="https://elsewhere/")) == content_sha256(doc)
    assert content_sha256(replace(doc, number=doc.number + "2")) != content_sha256(doc)
    content = canonical_content(doc)
    assert "verify_url" not in content
    assert content["approved_amount"] == "12305542.50"
    assert content["issued_at"] == "2026-03-03T09:05:12Z"
    assert content["checks"] == list(doc.checks)
    assert content["format"] == "subsidy-decision/3"
    assert content["appeal_until"] == "2026-06-03"


# --- byte-identical output -------------------------------------------------------------------


def test_same_input_renders_the_same_bytes_and_different_input_different_bytes() -> None:
    doc = decision()
    first = pdf.render_decision(doc)
    assert pdf.render_decision(doc) == first
    assert pdf.render_decision(decision()) == first
    assert pdf.render_decision(replace(doc, number=doc.number + "2")) != first
    assert pdf.render_decision(decision(applicant_name=FARM_NAME + "!")) != first
    assert pdf.render_bare_page("тест") == pdf.render_bare_page("тест")


def test_another_process_with_another_hash_seed_renders_the_same_bytes() -> None:
    code = (
        "import hashlib, sys\n"
        "sys.path.insert(0, 'tests/unit')\n"
        "from test_decision_pdf import decision\n"
        "from subsidy.decisions.pdf import render_decision\n"
        "print(hashlib.sha256(render_decision(decision())).hexdigest())\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == hashlib.sha256(pdf.render_decision(decision())).hexdigest()


# --- long texts: wrapped, never overlapping or off the page ----------------------------------


def test_long_name_and_twelve_long_checks_fit_their_columns() -> None:
    doc = long_decision()
    assert len(doc.applicant_name) == 120 and len(doc.checks) == 12
    data = pdf.render_decision(doc)  # a flowable too large for a page raises LayoutError
    assert len(pypdf.PdfReader(BytesIO(data)).pages) >= 2
    for flowable in pdf.story(doc):
        width, _ = flowable.wrap(styles.CONTENT_WIDTH, A4[1])
        assert width <= styles.CONTENT_WIDTH + 0.01
        assert _overflowing_lines(flowable) == []
    text = text_of(data)
    assert COOPERATIVE_NAME in text
    for check in doc.checks:
        assert " ".join(check["detail"]["ru"].split()) in text


def test_a_reason_longer_than_a_page_is_split_across_pages() -> None:
    reason = "\n".join(
        f"{n}. Причина отказа, подробно изложенная должностным лицом." for n in range(90)
    )
    doc = long_decision()
    doc = replace(doc, outcome="rejected", approved_amount=None, reject_reason=reason)
    text = text_of(pdf.render_decision(doc))
    assert "0. Причина отказа" in text and "89. Причина отказа" in text


@needs_poppler
def test_long_decision_keeps_every_mark_inside_the_page_margins(tmp_path: Path) -> None:
    data = pdf.render_decision(long_decision())
    layout = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    assert "Сельскохозяйственный производственный кооператив" in layout
    dpi = 50
    side = round((styles.MARGIN - 2 * 2.8346) / 72 * dpi)  # the margin less 2 mm
    for page in pages_as_images(data, tmp_path, dpi):
        image = Image.open(page).convert("L")
        for box in ((0, 0, side, image.height), (image.width - side, 0, image.width, image.height)):
            darkest, _ = image.crop(box).getextrema()
            assert darkest > 200, f"ink in the side margin of {page.name}"


# --- helpers ---------------------------------------------------------------------------------


def _flowables(flowables: list[Any]) -> list[Any]:
    """Every flowable, the contents of table cells and KeepTogether groups included."""
    found = []
    for flowable in flowables:
        found.append(flowable)
        if isinstance(flowable, Table):
            for row in flowable._cellvalues:
                for cell in row:
                    found += _flowables(cell if isinstance(cell, (list, tuple)) else [cell])
        elif hasattr(flowable, "_content"):
            found += _flowables(flowable._content)
    return found


def _overflowing_lines(flowable: Any) -> list[str]:
    """Lines of the paragraphs in ``flowable`` wider than their column (reportlab measures)."""
    problems = []
    if isinstance(flowable, Table):
        flowable.wrap(styles.CONTENT_WIDTH, A4[1])
        spans = getattr(flowable, "_spanRanges", {})  # only tables with SPAN commands have it
        for row_number, row in enumerate(flowable._cellvalues):
            for column, cell in enumerate(row):
                span = spans.get((column, row_number), (column, row_number, column, row_number))
                if span is None:
                    continue  # covered by a spanning cell
                width = sum(flowable._colWidths[span[0] : span[2] + 1])
                for inner in cell if isinstance(cell, (list, tuple)) else [cell]:
                    if isinstance(inner, Paragraph):
                        inner.wrap(width - 2 * styles.PADDING, A4[1])
                        problems += _overflowing_lines(inner)
    elif isinstance(flowable, Paragraph):
        for line in flowable.blPara.lines:
            extra = line[0] if isinstance(line, tuple) else line.extraSpace
            if extra < -0.01:
                problems.append(flowable.getPlainText()[:60])
    elif hasattr(flowable, "_content"):
        for inner in flowable._content:
            problems += _overflowing_lines(inner)
    return problems


def test_a_justification_of_an_approval_despite_a_high_flag_is_printed() -> None:
    doc = decision(justification="Счёт общий с супругой, проверено по документам")
    text = " ".join(text_of(pdf.render_decision(doc)).split())
    assert "Обоснование одобрения при признаке риска" in text
    assert "Счёт общий с супругой" in text
    assert "Обоснование одобрения" not in " ".join(text_of(pdf.render_decision(decision())).split())
