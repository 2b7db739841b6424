"""The decision document as a PDF: A4, Kazakh then Russian, the same bytes for the same input.

A pure function of a :class:`~subsidy.decisions.document.DecisionDocument`: no clock, no host
fonts, no randomness. reportlab runs in invariant mode (fixed timestamp and document ID), the
PDF's creation date is the decision's ``issued_at`` and the fonts are the DejaVu Sans files
shipped next to this module (reportlab's built-in fonts have no Cyrillic). So a decision can be
rendered again years later and give the file whose SHA-256 the service stored, as long as the
reportlab and font versions are the same.

Every text that varies (names, reasons, explanations) is a Paragraph in a fixed-width column, so
it wraps (long words are split too). Tables split across pages between rows, the header of the
checks repeated, never leaving a heading with a single row; a text too tall for one page is first
cut into continuation rows. Every page is numbered "бет N / M — стр. N из M": the pages are kept
until the last one is laid out (:class:`_NumberedCanvas`), then each footer is drawn.

The PDF leaves here unsigned; :mod:`subsidy.decisions.pades` adds the agency's signature as an
incremental update, so the signed file begins with exactly these bytes.

The public pieces below (``build``, ``heading``, ``rows_table``, ``grid``, ``verdict``,
``appeal_table``, ``verification``, ``text``, ...) lay out the service's other letters too, the
recovery notice and the appeal decision (:mod:`subsidy.decisions.notices`), so that all of its
documents look alike.
"""

from __future__ import annotations

import threading
from datetime import datetime
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table

from subsidy.decisions import styles
from subsidy.decisions.document import DecisionDocument
from subsidy.decisions.labels import (
    AKIMAT_BASIS,
    APPLICANT_KINDS,
    OFFICIAL_ROLE_NAMES,
    RULES_BASIS,
    SNAPSHOT_NAMES,
    appeal_rule,
    date_text,
    money_text,
    quantity_text,
    rate_text,
    rule_title,
)
from subsidy.decisions.qr import QrCode

__all__ = [
    "Row",
    "appeal_table",
    "applicant_rows",
    "build",
    "grid",
    "heading",
    "issued_text",
    "label",
    "legal_basis",
    "lines",
    "mark",
    "official_lines",
    "pieces",
    "program_value",
    "register_fonts",
    "render_bare_page",
    "render_decision",
    "rows_table",
    "signature_lines",
    "story",
    "text",
    "verdict",
    "verification",
]

_lock = threading.Lock()
_marks: dict[str, str] = {}
# reportlab subsets a TrueType font through state shared by every document that uses it (the
# face's read position among it): two threads building PDFs at once can corrupt each other's
# subset (a KeyError in makeSubset). One build at a time; they hold the GIL anyway.
_building = threading.Lock()


def register_fonts() -> None:
    """Register the shipped DejaVu Sans once per process; later calls do nothing."""
    with _lock:
        if _marks:
            return
        pdfmetrics.registerFont(TTFont(styles.FONT, styles.FONT_DIR / "DejaVuSans.ttf"))
        pdfmetrics.registerFont(TTFont(styles.FONT_BOLD, styles.FONT_DIR / "DejaVuSans-Bold.ttf"))
        pdfmetrics.registerFontFamily(
            styles.FONT,
            normal=styles.FONT,
            bold=styles.FONT_BOLD,
            italic=styles.FONT,
            boldItalic=styles.FONT_BOLD,
        )
        # The shipped fonts have these glyphs; the fallbacks keep a swapped font legible.
        for name, char, fallback in (
            ("passed", "✓", "+"),
            ("failed", "✗", "−"),
            ("tenge", "₸", "тг"),
        ):
            _marks[name] = char if _has_glyph(char) else fallback


def mark(name: str) -> str:
    """The "passed", "failed" or "tenge" sign the fonts can draw (see register_fonts)."""
    register_fonts()
    return _marks[name]


def _has_glyph(char: str) -> bool:
    return all(
        # types-reportlab's Font lacks .face, which Font.__init__ and TTFont.__init__ set.
        ord(char) in pdfmetrics.getFont(f).face.charWidths  # type: ignore[attr-defined]
        for f in (styles.FONT, styles.FONT_BOLD)
    )


def render_decision(doc: DecisionDocument) -> bytes:
    """The decision as PDF bytes, identical for identical ``doc``."""
    if not doc.verify_url:
        raise ValueError("verify_url is required: the QR code encodes it")
    title = f"ШЕШІМ / РЕШЕНИЕ № {doc.number}"
    return build(story(doc), title=title, subject=doc.application_number, issued_at=doc.issued_at)


def build(flowables: list[Flowable], *, title: str, subject: str, issued_at: datetime) -> bytes:
    """Any of the service's documents as PDF bytes: ``title`` in the metadata and the footer of
    every page, the PDF's dates ``issued_at`` in Almaty time, nothing else that varies."""
    issued = issued_at.astimezone(styles.ALMATY)

    def first_page(canvas: Canvas, template: SimpleDocTemplate) -> None:
        # Invariant mode stamps 2000-01-01; the document's own time is the truthful date.
        canvas.setDateFormatter(lambda *_: f"D:{issued:%Y%m%d%H%M%S}+05'00'")

    def numbered(*args: Any, **kwargs: Any) -> _NumberedCanvas:
        return _NumberedCanvas(title, *args, **kwargs)

    out = BytesIO()
    with _building:
        template(out, title=title, subject=subject).build(
            flowables, onFirstPage=first_page, canvasmaker=numbered
        )
    return out.getvalue()


class _NumberedCanvas(Canvas):
    """Keeps every page until the document ends, then draws each footer with the total."""

    def __init__(self, title: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._title = title
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()  # type: ignore[attr-defined]  # reportlab's, missing from its stubs

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            footer(self, self._title, self.getPageNumber(), total)
            super().showPage()
        super().save()


def render_bare_page(text: str) -> bytes:
    """One short paragraph on an A4 page with the same font: the benchmark's baseline."""
    register_fonts()
    out = BytesIO()
    with _building:
        template(out, title="bare page", subject="").build([Paragraph(escape(text), styles.BODY)])
    return out.getvalue()


def template(out: BytesIO, *, title: str, subject: str) -> SimpleDocTemplate:
    return SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=styles.MARGIN,
        rightMargin=styles.MARGIN,
        topMargin=16 * mm,
        bottomMargin=20 * mm,
        title=title,
        author="Шығыс Қазақстан облысы / Восточно-Казахстанская область",
        subject=subject,
        creator="subsidy",
        lang="kk-KZ",
        initialFontName=styles.FONT,  # not Helvetica: see styles.CELL_FONT
        initialFontSize=9,
        invariant=1,
        pageCompression=1,
    )


def footer(canvas: Canvas, title: str, page: int, pages: int) -> None:
    canvas.saveState()
    canvas.setStrokeColor(styles.RULE_LINE)
    canvas.setLineWidth(0.4)
    canvas.line(styles.MARGIN, 16 * mm, A4[0] - styles.MARGIN, 16 * mm)
    canvas.setFont(styles.FONT, 7.5)
    canvas.setFillColor(styles.GREY)
    canvas.drawString(styles.MARGIN, 12 * mm, title)
    canvas.drawRightString(A4[0] - styles.MARGIN, 12 * mm, page_text(page, pages))
    canvas.restoreState()


def page_text(page: int, pages: int) -> str:
    return f"бет {page} / {pages} — стр. {page} из {pages}"


# --- the story -------------------------------------------------------------------------------


def story(doc: DecisionDocument) -> list[Flowable]:
    """The flowables of the decision, top to bottom (public so that tests can measure them)."""
    register_fonts()
    approved = doc.outcome == "approved"
    return [
        *heading(
            "ШЕШІМ / РЕШЕНИЕ",
            "ауыл шаруашылығын субсидиялау туралы / о субсидировании в сельском хозяйстве",
            doc.number,
        ),
        rows_table(_decision_rows(doc) + applicant_rows(doc)),
        Spacer(1, 8),
        verdict("МАҚҰЛДАНДЫ / ОДОБРЕНО" if approved else "БАС ТАРТЫЛДЫ / ОТКАЗАНО", approved),
        Spacer(1, 2),
        rows_table(_money_rows(doc)),
        _checks_table(doc),
        rows_table(_record_rows(doc), heading="Шешім туралы мәліметтер / Сведения о решении"),
        appeal_table(
            appeal_rule(
                "approval" if approved else "rejection",
                doc.appeal_until,
                through_service=not approved,
            )
        ),
        Spacer(1, 10),
        verification(
            doc.verify_url,
            "Шешімнің түпнұсқалығын тексеру үшін QR-кодты сканерлеңіз немесе төмендегі "
            "сілтемені ашыңыз.",
            "Для проверки подлинности решения отсканируйте QR-код или откройте ссылку ниже.",
            doc.signature,
        ),
    ]


def heading(title: str, subtitle: str, number: str) -> list[Flowable]:
    """The region, the kind of document (kk / ru), what it is about, its number."""
    return [
        Paragraph("Шығыс Қазақстан облысы / Восточно-Казахстанская область", styles.REGION),
        Paragraph(text(title), styles.TITLE),
        Paragraph(text(subtitle), styles.SUBTITLE),
        Paragraph(f"№ {text(number)}", styles.NUMBER),
    ]


# (kk label, ru label, the value as paragraph markup)
Row = tuple[str, str, str]


def _decision_rows(doc: DecisionDocument) -> list[Row]:
    version = f"нұсқа / версия {doc.program_version}; ережелер / правила {doc.rules_version}"
    return [
        ("Шешім күні", "Дата решения", text(date_text(doc.decided_on))),
        ("Берілген уақыты", "Время выдачи", text(issued_text(doc.issued_at))),
        ("Өтінім нөмірі", "Номер заявки", text(doc.application_number)),
        ("Бағдарлама", "Программа", program_value(doc.program_code, doc.program_name, version)),
        ("Құқықтық негіз", "Правовое основание", legal_basis(doc.reference)),
    ]


def applicant_rows(doc: Any) -> list[Row]:
    """Name, IIN/BIN, kind (if the document has one) and district of ``doc``'s applicant."""
    district = f"{doc.district_name.get('kk', '')} / {doc.district_name.get('ru', '')}"
    rows: list[Row] = [
        ("Өтініш беруші", "Заявитель", f"<b>{text(doc.applicant_name)}</b>"),
        ("ЖСН/БСН", "ИИН/БИН", text(doc.applicant_id_number)),
    ]
    applicant_kind = getattr(doc, "applicant_kind", None)
    if applicant_kind is not None:
        kind = APPLICANT_KINDS.get(applicant_kind, (applicant_kind, applicant_kind))
        rows.append(("Өтініш беруші түрі", "Вид заявителя", text(f"{kind[0]} / {kind[1]}")))
    rows.append(("Аудан", "Район", text(district)))
    return rows


def program_value(code: str, name: dict[str, str], note: str | None = None) -> str:
    """The program's code in bold, its Kazakh and Russian names, and a grey ``note``."""
    value = f"<b>{text(code)}</b><br/>{lines(name.get('kk', ''), name.get('ru', ''))}"
    if note:
        value += f'<br/><font size="7.5" color="#555555">{text(note)}</font>'
    return value


def issued_text(issued_at: datetime) -> str:
    issued = issued_at.astimezone(styles.ALMATY)
    return f"{date_text(issued)} {issued:%H:%M} (Алматы уақыты / время Алматы, UTC+5)"


def _money_rows(doc: DecisionDocument) -> list[Row]:
    tenge = _marks["tenge"]
    rows: list[Row] = [
        ("Саны", "Количество", text(quantity_text(doc.quantity, doc.unit, tenge))),
        ("Мөлшерлеме", "Ставка", text(rate_text(doc.rate, doc.unit, tenge))),
        ("Сұралған сома", "Запрошенная сумма", text(money_text(doc.requested_amount, tenge))),
    ]
    if doc.approved_amount is not None:
        amount = money_text(doc.approved_amount, tenge)
        rows.append(("Бекітілген сома", "Одобренная сумма", f"<b>{text(amount)}</b>"))
    else:
        rows.append(("Бас тарту себебі", "Причина отказа", f"<b>{text(doc.reason)}</b>"))
    if doc.comment and doc.comment.strip():
        rows.append(("Түсініктеме", "Комментарий", text(doc.comment.strip())))
    if doc.justification and doc.justification.strip():
        rows.append(
            (
                "Тәуекел белгісіне қарамастан мақұлдау негіздемесі",
                "Обоснование одобрения при признаке риска",
                text(doc.justification.strip()),
            )
        )
    return rows


def _record_rows(doc: DecisionDocument) -> list[Row]:
    rows: list[Row] = [
        (
            "Шешім қабылдаған лауазымды тұлғалар",
            "Должностные лица, принявшие решение",
            "<br/>".join(official_lines(official) for official in doc.officials) or "—",
        ),
    ]
    return rows


def official_lines(official: dict[str, str]) -> str:
    """The official's name in bold, their position, and (for a decision) what they did."""
    value = f"<b>{text(official.get('name', ''))}</b>"
    if official.get("position"):
        value += f"<br/>{text(official['position'])}"
    role = OFFICIAL_ROLE_NAMES.get(official.get("role", ""))
    if role:
        value += f'<br/><font size="7.5" color="#555555">{text(" / ".join(role))}</font>'
    return value


def signature_lines(signature: dict[str, str]) -> str:
    """Who signs the file electronically, as its certificate names them."""
    certificate = (
        f"сертификат № {signature.get('serial', '')}; "
        f"куәландырушы орталық / удостоверяющий центр: {signature.get('issuer', '')}"
    )
    return (
        "<b>Электрондық цифрлық қолтаңба / Электронная цифровая подпись</b><br/>"
        f"{text(signature.get('name', ''))}"
        f'<br/><font size="7.5" color="#555555">{text(certificate)}</font>'
    )


def rows_table(rows: list[Row], heading: str | None = None) -> Table:
    value_width = styles.CONTENT_WIDTH - styles.LABEL_WIDTH
    data: list[list[Any]] = []
    for kk, ru, value in rows:
        cell: Any = Paragraph(label(kk, ru), styles.LABEL)
        for piece in pieces(Paragraph(value, styles.BODY), value_width):
            data.append([cell, piece])
            cell = ""
    headings = [Paragraph(heading, styles.HEADING)] if heading else []
    return grid(headings, data, [styles.LABEL_WIDTH, value_width])


def grid(
    headings: list[Paragraph],
    data: list[list[Any]],
    widths: list[float],
    header: bool = False,
    keep: int = 1,
) -> Table:
    """Rows under full-width headings that stay with the first ``keep`` rows (and the column
    header, repeated on every page, if ``header``): a heading never ends a page."""
    top = len(headings)
    table = Table(
        [[heading] + [""] * (len(widths) - 1) for heading in headings] + data,
        colWidths=widths,
        repeatRows=(top,) if header else 0,
        hAlign="LEFT",
    )
    commands: list[styles.TableCommand] = [
        *styles.GRID,
        ("LINEBELOW", (0, top), (-1, -1), 0.4, styles.RULE_LINE),
    ]
    if top:
        first_row = min(top + header + max(keep, 1) - 1, top + len(data) - 1)
        commands += [("SPAN", (0, row), (-1, row)) for row in range(top)]
        commands += [
            ("LEFTPADDING", (0, 0), (-1, top - 1), 0),
            ("TOPPADDING", (0, 0), (-1, 0), 10),
            ("NOSPLIT", (0, 0), (-1, first_row)),
        ]
    if header:
        commands.append(("LINEBELOW", (0, top), (-1, top), 0.8, styles.GREY))
    table.setStyle(commands)
    return table


def pieces(paragraph: Flowable, column: float) -> list[Flowable]:
    """The paragraph cut into parts of at most MAX_ROW_HEIGHT: one part for all normal texts."""
    width = column - 2 * styles.PADDING
    pieces: list[Flowable] = []
    while paragraph.wrap(width, styles.MAX_ROW_HEIGHT)[1] > styles.MAX_ROW_HEIGHT:
        parts = paragraph.split(width, styles.MAX_ROW_HEIGHT)
        if len(parts) != 2:
            break  # cannot be cut (one line taller than a page): let reportlab refuse it
        pieces.append(parts[0])
        paragraph = parts[1]
    return [*pieces, paragraph]


def verdict(words: str, yes: bool) -> Table:
    """The outcome in a box across the page: green for yes, red for no."""
    table = Table(
        [[Paragraph(text(words), styles.VERDICT[yes])]],
        colWidths=[styles.CONTENT_WIDTH],
        hAlign="LEFT",
    )
    table.setStyle(
        [
            styles.CELL_FONT,
            ("BOX", (0, 0), (-1, -1), 1, styles.PASSED if yes else styles.FAILED),
            ("TOPPADDING", (0, 0), (-1, -1), 5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
        ]
    )
    return table


def appeal_table(rule: tuple[str, str]) -> Table:
    """How and by when to appeal, Kazakh above Russian (see labels.appeal_rule)."""
    return rows_table(
        [("Шағымдану", "Обжалование", lines(*rule))],
        heading="Шағымдану тәртібі / Порядок обжалования",
    )


def _evaluation_line(doc: DecisionDocument) -> str:
    snapshots = "; ".join(
        f"{SNAPSHOT_NAMES.get(kind, kind)} {'—' if ident is None else f'#{ident}'}"
        for kind, ident in sorted(doc.snapshots.items())
    )
    return text(
        f"Бағалау күні / дата оценки: {date_text(doc.evaluated_on)}. "
        f"Тізілім үзінділері / срезы реестров: {snapshots or '—'}."
    )


# The checks' heading and column header stay with this many checks (at most this tall): the
# table never begins at the foot of a page with a single row.
KEEP_CHECKS = 3
KEEP_HEIGHT = 320


def _checks_table(doc: DecisionDocument) -> Table:
    widths = [9 * mm, 18 * mm, styles.CONTENT_WIDTH - 27 * mm]
    data: list[list[Any]] = [
        [
            Paragraph("№", styles.LABEL),
            Paragraph("Нәтиже / Итог", styles.LABEL),
            Paragraph("Тексеру және түсіндірме / Проверка и пояснение", styles.LABEL),
        ]
    ]
    kept, height = 0, 0.0
    for position, check in enumerate(doc.checks, start=1):
        detail = check.get("detail") or {}
        passed = bool(check.get("passed"))
        title_kk, title_ru = rule_title(str(check.get("rule", "")))
        explanation = lines(detail.get("kk") or "", detail.get("ru") or detail.get("en") or "")
        paragraph = Paragraph(
            f"<b>{text(title_kk)} / {text(title_ru)}</b><br/>{explanation}", styles.BODY
        )
        number: Any = Paragraph(str(position), styles.BODY)
        mark: Any = Paragraph(_marks["passed" if passed else "failed"], styles.VERDICT[passed])
        parts = pieces(paragraph, widths[2])
        if position <= KEEP_CHECKS:
            height += sum(_row_height(part, widths[2]) for part in parts)
            if height <= KEEP_HEIGHT or position == 1:
                kept += len(parts)
        for piece in parts:
            data.append([number, mark, piece])
            number = mark = ""
    if len(data) == 1:
        data.append(["", "", Paragraph("—", styles.BODY)])
    headings = [
        Paragraph("Сәйкестік тексерулері / Проверки соответствия", styles.HEADING),
        Paragraph(_evaluation_line(doc), styles.INTRO),
    ]
    return grid(headings, data, widths, header=True, keep=max(kept, 1))


def _row_height(piece: Flowable, column: float) -> float:
    return piece.wrap(column - 2 * styles.PADDING, styles.MAX_ROW_HEIGHT)[1] + 7


def verification(
    url: str, note_kk: str, note_ru: str, signature: dict[str, str] | None = None
) -> Table:
    """The QR code of ``url`` beside how to use it and who signed the file, the URL itself
    printed under both: the letter's stamp."""
    note = lines(note_kk, note_ru)
    title = "<b>Түпнұсқалығын тексеру / Проверка подлинности</b>"
    signed = f"<br/><br/>{signature_lines(signature)}" if signature else ""
    table = Table(
        [
            [
                QrCode(url, styles.QR_SIZE),
                Paragraph(f"{title}<br/>{note}{signed}", styles.BODY),
            ],
            [Paragraph(text(url), styles.SMALL), ""],
        ],
        colWidths=[styles.QR_SIZE + 6 * mm, styles.CONTENT_WIDTH - styles.QR_SIZE - 6 * mm],
        splitByRow=0,  # the code and its URL stay on one page
        hAlign="LEFT",
    )
    table.setStyle(
        [
            ("SPAN", (0, 1), (1, 1)),
            styles.CELL_FONT,
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ("TOPPADDING", (0, 1), (-1, 1), 2),
        ]
    )
    return table


# --- text ------------------------------------------------------------------------------------


def text(value: str) -> str:
    """Paragraph markup of plain text: escaped, its line breaks kept."""
    return "<br/>".join(escape(line) for line in value.splitlines())


def label(kk: str, ru: str) -> str:
    """ "kk / ru" on one line if it fits the label column, else Kazakh above Russian."""
    one_line = f"{kk} / {ru}"
    width = stringWidth(one_line, styles.FONT, styles.LABEL.fontSize)
    return text(one_line) if width <= styles.LABEL_WIDTH - 6 else f"{text(kk)} /<br/>{text(ru)}"


def lines(*values: str) -> str:
    return "<br/>".join(text(value) for value in values if value)


def legal_basis(reference: str | dict[str, str] | None) -> str:
    """The program's legal basis (Kazakh above Russian), then the akimat's resolution; the
    Minister's Rules stand in for a program that names none."""
    if isinstance(reference, dict) and (reference.get("kk") or reference.get("ru")):
        kk, ru = reference.get("kk", ""), reference.get("ru", "")
    elif isinstance(reference, dict) and reference.get("en"):
        kk = ru = reference["en"]
    elif isinstance(reference, str) and reference.strip():
        kk = ru = reference
    else:
        kk, ru = RULES_BASIS
    if kk == ru:
        return lines(kk, *AKIMAT_BASIS)
    return lines(f"{kk} {AKIMAT_BASIS[0]}", f"{ru} {AKIMAT_BASIS[1]}")
