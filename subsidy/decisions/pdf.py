"""The decision document as a PDF: A4, Kazakh then Russian, the same bytes for the same input.

A pure function of a :class:`~subsidy.decisions.document.DecisionDocument`: no clock, no host
fonts, no randomness. reportlab runs in invariant mode (fixed timestamp and document ID), the
PDF's creation date is the decision's ``issued_at`` and the fonts are the DejaVu Sans files
shipped next to this module (reportlab's built-in fonts have no Cyrillic). So a decision can be
rendered again years later and give the file whose SHA-256 the service stored, as long as the
reportlab and font versions are the same.

Every text that varies (names, reasons, explanations) is a Paragraph in a fixed-width column, so
it wraps (long words are split too). Tables split across pages between rows, the header of the
checks repeated; a text too tall for one page is first cut into continuation rows.
"""

from __future__ import annotations

import threading
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
    APPLICANT_KINDS,
    SNAPSHOT_NAMES,
    date_text,
    money_text,
    quantity_text,
    rate_text,
)
from subsidy.decisions.qr import QrCode

__all__ = ["render_bare_page", "render_decision", "story"]

_lock = threading.Lock()
_marks: dict[str, str] = {}


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
    issued = doc.issued_at.astimezone(styles.ALMATY)

    def first_page(canvas: Canvas, template: SimpleDocTemplate) -> None:
        # Invariant mode stamps 2000-01-01; the decision's own time is the truthful date.
        canvas.setDateFormatter(lambda *_: f"D:{issued:%Y%m%d%H%M%S}+05'00'")
        later_pages(canvas, template)

    def later_pages(canvas: Canvas, template: SimpleDocTemplate) -> None:
        _footer(canvas, doc.number)

    out = BytesIO()
    flowables = story(doc)
    title = f"ШЕШІМ / РЕШЕНИЕ № {doc.number}"
    _template(out, title=title, subject=doc.application_number).build(
        flowables, onFirstPage=first_page, onLaterPages=later_pages
    )
    return out.getvalue()


def render_bare_page(text: str) -> bytes:
    """One short paragraph on an A4 page with the same font: the benchmark's baseline."""
    register_fonts()
    out = BytesIO()
    _template(out, title="bare page", subject="").build([Paragraph(escape(text), styles.BODY)])
    return out.getvalue()


def _template(out: BytesIO, *, title: str, subject: str) -> SimpleDocTemplate:
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


def _footer(canvas: Canvas, number: str) -> None:
    canvas.saveState()
    canvas.setStrokeColor(styles.RULE_LINE)
    canvas.setLineWidth(0.4)
    canvas.line(styles.MARGIN, 16 * mm, A4[0] - styles.MARGIN, 16 * mm)
    canvas.setFont(styles.FONT, 7.5)
    canvas.setFillColor(styles.GREY)
    canvas.drawString(styles.MARGIN, 12 * mm, f"ШЕШІМ / РЕШЕНИЕ № {number}")
    canvas.drawRightString(A4[0] - styles.MARGIN, 12 * mm, f"бет/стр. {canvas.getPageNumber()}")
    canvas.restoreState()


# --- the story -------------------------------------------------------------------------------


def story(doc: DecisionDocument) -> list[Flowable]:
    """The flowables of the decision, top to bottom (public so that tests can measure them)."""
    register_fonts()
    return [
        Paragraph("Шығыс Қазақстан облысы / Восточно-Казахстанская область", styles.REGION),
        Paragraph("ШЕШІМ / РЕШЕНИЕ", styles.TITLE),
        Paragraph(
            "ауыл шаруашылығын субсидиялау туралы / о субсидировании в сельском хозяйстве",
            styles.SUBTITLE,
        ),
        Paragraph(f"№ {_text(doc.number)}", styles.NUMBER),
        _rows(_decision_rows(doc) + _applicant_rows(doc)),
        Spacer(1, 8),
        _outcome(doc),
        Spacer(1, 2),
        _rows(_money_rows(doc)),
        _checks_table(doc),
        _rows(_record_rows(doc), heading="Шешім туралы мәліметтер / Сведения о решении"),
        Spacer(1, 10),
        _verification(doc),
    ]


# (kk label, ru label, the value as paragraph markup)
Row = tuple[str, str, str]


def _decision_rows(doc: DecisionDocument) -> list[Row]:
    issued = doc.issued_at.astimezone(styles.ALMATY)
    version = f"нұсқа / версия {doc.program_version}; ережелер / правила {doc.rules_version}"
    program = _lines(doc.program_name.get("kk", ""), doc.program_name.get("ru", ""))
    issued_text = f"{date_text(issued)} {issued:%H:%M} (Алматы уақыты / время Алматы, UTC+5)"
    return [
        ("Шешім күні", "Дата решения", _text(date_text(doc.decided_on))),
        ("Берілген уақыты", "Время выдачи", _text(issued_text)),
        ("Өтінім нөмірі", "Номер заявки", _text(doc.application_number)),
        (
            "Бағдарлама",
            "Программа",
            f"<b>{_text(doc.program_code)}</b><br/>{program}"
            f'<br/><font size="7.5" color="#555555">{_text(version)}</font>',
        ),
        ("Құқықтық негіз", "Правовое основание", _reference(doc.reference)),
    ]


def _applicant_rows(doc: DecisionDocument) -> list[Row]:
    kind = APPLICANT_KINDS.get(doc.applicant_kind, (doc.applicant_kind, doc.applicant_kind))
    district = f"{doc.district_name.get('kk', '')} / {doc.district_name.get('ru', '')}"
    return [
        ("Өтініш беруші", "Заявитель", f"<b>{_text(doc.applicant_name)}</b>"),
        ("ЖСН/БСН", "ИИН/БИН", _text(doc.applicant_id_number)),
        ("Өтініш беруші түрі", "Вид заявителя", _text(f"{kind[0]} / {kind[1]}")),
        ("Аудан", "Район", _text(district)),
    ]


def _money_rows(doc: DecisionDocument) -> list[Row]:
    tenge = _marks["tenge"]
    rows: list[Row] = [
        ("Саны", "Количество", _text(quantity_text(doc.quantity, doc.unit, tenge))),
        ("Мөлшерлеме", "Ставка", _text(rate_text(doc.rate, doc.unit, tenge))),
        ("Сұралған сома", "Запрошенная сумма", _text(money_text(doc.requested_amount, tenge))),
    ]
    if doc.approved_amount is not None:
        amount = money_text(doc.approved_amount, tenge)
        rows.append(("Бекітілген сома", "Одобренная сумма", f"<b>{_text(amount)}</b>"))
    else:
        rows.append(("Бас тарту себебі", "Причина отказа", f"<b>{_text(doc.reason)}</b>"))
    if doc.comment and doc.comment.strip():
        rows.append(("Түсініктеме", "Комментарий", _text(doc.comment.strip())))
    if doc.justification and doc.justification.strip():
        rows.append(
            (
                "Тәуекел белгісіне қарамастан мақұлдау негіздемесі",
                "Обоснование одобрения при признаке риска",
                _text(doc.justification.strip()),
            )
        )
    return rows


def _record_rows(doc: DecisionDocument) -> list[Row]:
    return [
        (
            "Шешім қабылдаған лауазымды тұлғалар",
            "Должностные лица, принявшие решение",
            _lines(*doc.officials) or "—",
        ),
    ]


def _rows(rows: list[Row], heading: str | None = None) -> Table:
    value_width = styles.CONTENT_WIDTH - styles.LABEL_WIDTH
    data: list[list[Any]] = []
    for kk, ru, value in rows:
        label: Any = Paragraph(_label(kk, ru), styles.LABEL)
        for piece in _pieces(Paragraph(value, styles.BODY), value_width):
            data.append([label, piece])
            label = ""
    headings = [Paragraph(heading, styles.HEADING)] if heading else []
    return _grid(headings, data, [styles.LABEL_WIDTH, value_width])


def _grid(
    headings: list[Paragraph], data: list[list[Any]], widths: list[float], header: bool = False
) -> Table:
    """Rows under full-width headings that stay with the first row (and the column header,
    repeated on every page, if ``header``): a heading never ends a page."""
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
        first_row = min(top + header, top + len(data) - 1)
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


def _pieces(paragraph: Flowable, column: float) -> list[Flowable]:
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


def _outcome(doc: DecisionDocument) -> Table:
    approved = doc.outcome == "approved"
    text = "МАҚҰЛДАНДЫ / ОДОБРЕНО" if approved else "БАС ТАРТЫЛДЫ / ОТКАЗАНО"
    color = styles.PASSED if approved else styles.FAILED
    table = Table(
        [[Paragraph(text, styles.VERDICT[approved])]],
        colWidths=[styles.CONTENT_WIDTH],
        hAlign="LEFT",
    )
    table.setStyle(
        [
            styles.CELL_FONT,
            ("BOX", (0, 0), (-1, -1), 1, color),
            ("TOPPADDING", (0, 0), (-1, -1), 5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
        ]
    )
    return table


def _evaluation_line(doc: DecisionDocument) -> str:
    snapshots = "; ".join(
        f"{SNAPSHOT_NAMES.get(kind, kind)} {'—' if ident is None else f'#{ident}'}"
        for kind, ident in sorted(doc.snapshots.items())
    )
    return _text(
        f"Бағалау күні / дата оценки: {date_text(doc.evaluated_on)}. "
        f"Тізілім үзінділері / срезы реестров: {snapshots or '—'}."
    )


def _checks_table(doc: DecisionDocument) -> Table:
    widths = [9 * mm, 18 * mm, styles.CONTENT_WIDTH - 27 * mm]
    data: list[list[Any]] = [
        [
            Paragraph("№", styles.LABEL),
            Paragraph("Нәтиже / Итог", styles.LABEL),
            Paragraph("Түсіндірме / Пояснение", styles.LABEL),
        ]
    ]
    for position, check in enumerate(doc.checks, start=1):
        detail = check.get("detail") or {}
        passed = bool(check.get("passed"))
        explanation = _lines(detail.get("kk") or "", detail.get("ru") or detail.get("en") or "")
        rule = _text(str(check.get("rule", "")))
        text = Paragraph(
            f'{explanation}<br/><font size="7.5" color="#555555">{rule}</font>', styles.BODY
        )
        number: Any = Paragraph(str(position), styles.BODY)
        mark: Any = Paragraph(_marks["passed" if passed else "failed"], styles.VERDICT[passed])
        for piece in _pieces(text, widths[2]):
            data.append([number, mark, piece])
            number = mark = ""
    if len(data) == 1:
        data.append(["", "", Paragraph("—", styles.BODY)])
    headings = [
        Paragraph("Сәйкестік тексерулері / Проверки соответствия", styles.HEADING),
        Paragraph(_evaluation_line(doc), styles.INTRO),
    ]
    return _grid(headings, data, widths, header=True)


def _verification(doc: DecisionDocument) -> Table:
    note = _lines(
        "Шешімнің түпнұсқалығын тексеру үшін QR-кодты сканерлеңіз немесе төмендегі "
        "сілтемені ашыңыз.",
        "Для проверки подлинности решения отсканируйте QR-код или откройте ссылку ниже.",
    )
    heading = "<b>Түпнұсқалығын тексеру / Проверка подлинности</b>"
    table = Table(
        [
            [
                QrCode(doc.verify_url, styles.QR_SIZE),
                Paragraph(f"{heading}<br/>{note}", styles.BODY),
            ],
            [Paragraph(_text(doc.verify_url), styles.SMALL), ""],
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


def _text(value: str) -> str:
    """Paragraph markup of plain text: escaped, its line breaks kept."""
    return "<br/>".join(escape(line) for line in value.splitlines())


def _label(kk: str, ru: str) -> str:
    """ "kk / ru" on one line if it fits the label column, else Kazakh above Russian."""
    one_line = f"{kk} / {ru}"
    width = stringWidth(one_line, styles.FONT, styles.LABEL.fontSize)
    return _text(one_line) if width <= styles.LABEL_WIDTH - 6 else f"{_text(kk)} /<br/>{_text(ru)}"


def _lines(*values: str) -> str:
    return "<br/>".join(_text(value) for value in values if value)


def _reference(reference: str | dict[str, str] | None) -> str:
    if isinstance(reference, dict):
        return _lines(reference.get("kk", ""), reference.get("ru", "")) or _text(
            reference.get("en", "")
        )
    return _text(reference or "") or "—"
