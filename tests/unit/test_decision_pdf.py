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
import segno
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.platypus import Paragraph, Table

from subsidy.decisions import pdf, styles
from subsidy.decisions.document import (
    DecisionDocument,
    canonical_content,
    content_sha256,
    verify_url_for,
)
from subsidy.decisions.labels import (
    AKIMAT_BASIS,
    RULE_TITLES,
    RULES_BASIS,
    money_text,
    quantity_text,
    rate_text,
)
from subsidy.decisions.qr import QrCode
from subsidy.eligibility.facts import Facts, Herd
from subsidy.eligibility.rules import RULES, evaluate
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
SIGNATURE = {
    "name": "ГУ «Управление сельского хозяйства Восточно-Казахстанской области» (DEMO)",
    "serial": "1DEBEFEB020C6D70B791AC05BF257125EDFBE59F",
    "issuer": "Демо УЦ сервиса субсидий (DEMO)",
}
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
        officials=(
            {
                "role": "first_approval",
                "name": "Серикова Айгерим Болатовна",
                "position": "Субсидиялау бөлімінің бас маманы / Главный специалист отдела "
                "субсидирования",
            },
            {"role": "decision", "name": "Ким Сергей Владимирович", "position": ""},
        ),
        verify_url="",
        appeal_until=date(2026, 6, 3),
        signature=SIGNATURE,
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
            "rule": check["rule"],
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
        kk, ru = RULE_TITLES[check["rule"]]
        assert f"{kk} / {ru}" in text, check["rule"]


def test_no_internal_rule_id_is_printed() -> None:
    """A farmer reads the rule's title, never the program file's word for it."""
    doc = long_decision()
    words = set(re.findall(r"[a-z]+(?:_[a-z]+)+", text_of(pdf.render_decision(doc))))
    assert words == set()
    for check in doc.checks:
        assert check["rule"] not in text_of(pdf.render_decision(doc))
    unknown = decision(checks=({"rule": "new_rule_x", "passed": True, "detail": {}},))
    text = text_of(pdf.render_decision(unknown))
    assert "new_rule_x" not in text and "Сәйкестік шарты / Условие соответствия" in text


def test_every_rule_of_the_catalogue_has_a_title_in_kazakh_and_russian() -> None:
    assert set(RULE_TITLES) == set(RULES)
    assert all(kk.strip() and ru.strip() for kk, ru in RULE_TITLES.values())


def test_rate_quantity_officials_number_and_almaty_time_are_printed() -> None:
    doc = decision()
    text = text_of(pdf.render_decision(doc))
    assert "273 456,5 л" in text and "45,00 ₸ / л" in text
    assert "Серикова Айгерим Болатовна" in text and "Ким Сергей Владимирович" in text
    assert "Главный специалист отдела субсидирования" in text
    assert "бірінші келісім / первое одобрение" in text and "шешім / решение" in text
    assert "#3" not in text and "#7" not in text
    assert doc.number in text.replace(" ", "")
    # Rendered before its log entry exists: the document_issued entry links the two.
    assert "журнале прозрачности" not in text
    assert "03.03.2026 14:05" in text  # 09:05 UTC
    assert "Глубокое ауданы / Глубоковский район" in text
    pages = len(pypdf.PdfReader(BytesIO(pdf.render_decision(doc))).pages)
    for page in range(1, pages + 1):
        assert f"бет {page} / {pages} — стр. {page} из {pages}" in text


def test_the_signer_is_printed_beside_the_qr_code() -> None:
    text = text_of(pdf.render_decision(decision()))
    assert "Электрондық цифрлық қолтаңба / Электронная цифровая подпись" in text
    assert SIGNATURE["name"] in text and SIGNATURE["serial"] in text
    assert "Электронная цифровая подпись" not in text_of(
        pdf.render_decision(decision(signature=None))
    )


def test_the_legal_basis_names_the_rules_and_the_akimat_and_no_demo_values() -> None:
    text = text_of(pdf.render_decision(decision()))
    assert "утв. приказом Министра сельского хозяйства РК" in text
    assert AKIMAT_BASIS[0] in text and AKIMAT_BASIS[1] in text
    assert "демонстрац" not in text.lower() and "demo value" not in text.lower()
    bare = text_of(pdf.render_decision(decision(reference=None)))
    assert RULES_BASIS[1] in bare and AKIMAT_BASIS[1] in bare


def _checks_by_page(data: bytes) -> list[list[int]]:
    """The check numbers each page shows in the checks table (pdftotext's reading order)."""
    reader = pypdf.PdfReader(BytesIO(data))
    found = []
    for page in reader.pages:
        numbers = re.findall(r"^(\d+)\s*[✓✗]", page.extract_text(), flags=re.MULTILINE)
        found.append([int(number) for number in numbers])
    return found


def test_a_long_checks_table_continues_across_pages_with_its_header() -> None:
    doc = replace(long_decision(), checks=long_decision().checks * 2)  # 24 checks
    data = pdf.render_decision(doc)
    pages = _checks_by_page(data)
    numbers = [n for page in pages for n in page]
    assert numbers == list(range(1, 25))  # every check, in order, once
    with_checks = [page for page in pages if page]
    assert len(with_checks) >= 2
    # Every page the table is on has at least two of its rows and the column header.
    assert all(len(page) >= 2 for page in with_checks)
    reader = pypdf.PdfReader(BytesIO(data))
    for index, page in enumerate(pages):
        if page:
            assert "Проверка и пояснение" in reader.pages[index].extract_text()


def test_the_checks_table_never_starts_with_a_single_row_at_the_foot_of_a_page() -> None:
    # A longer legal basis pushes the table down page 1 a line or two at a time: wherever it
    # starts, page 1 holds none of its rows or at least KEEP_CHECKS of them.
    short = tuple(
        {"rule": check["rule"], "passed": True, "detail": {"kk": "Иә", "ru": "Да"}}
        for check in dairy_checks()
    )
    seen = set()
    for extra in range(12):
        reference = {"kk": "Негіз. " * 12 * extra or "Негіз.", "ru": "Основание.", "en": "x"}
        doc = decision(reference=reference, checks=short)
        first_page = _checks_by_page(pdf.render_decision(doc))[0]
        assert first_page == [] or len(first_page) >= pdf.KEEP_CHECKS, extra
        seen.add(len(first_page))
    assert 0 in seen and max(seen) >= pdf.KEEP_CHECKS  # both cases were met


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


def test_qr_code_is_segnos_encoding_of_the_verify_url() -> None:
    doc = decision()
    (code,) = [f for f in _flowables(pdf.story(doc)) if isinstance(f, QrCode)]
    assert code.value == doc.verify_url
    expected = segno.make(doc.verify_url, error="m", micro=False)
    assert expected.error in ("M", "Q", "H")  # at least M, higher when the size allows
    assert code.modules == [[bool(module) for module in row] for row in expected.matrix]


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
    assert content["format"] == "subsidy-decision/4"
    assert content["officials"][0]["name"] == "Серикова Айгерим Болатовна"
    assert content["signature"] == SIGNATURE
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
