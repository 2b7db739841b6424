"""The recovery notice and the appeal decision: what they state, their hash, their PDF.

The two other letters the service issues besides decisions, and verifiable the same way: a frozen
dataclass of plain values, its canonical content (every field but ``verify_url``, under a format
of its own) hashed for the QR code, and a PDF rendered by a pure function, Kazakh then Russian,
the same bytes for the same input (see :mod:`subsidy.decisions.document` and
:mod:`subsidy.decisions.pdf`, whose pieces lay these out too).

A recovery notice tells a paid applicant that claimed animals left before the ``keep_animals``
obligation ended: which, according to which extract, how much to repay (paid × left ÷ claimed),
by when, and how to appeal. An appeal decision answers an appeal against a rejection, an
ineligible result or a recovery notice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from reportlab.platypus import Flowable, Paragraph, Spacer, Table

from subsidy.audit.canonical import canonical_bytes
from subsidy.decisions import pdf, styles
from subsidy.decisions.document import content_of, verify_link
from subsidy.decisions.labels import COURT, appeal_rule, date_text, grouped, money_text
from subsidy.eligibility.obligations import recovery_amount

__all__ = [
    "APPEALED",
    "APPEAL_OUTCOMES",
    "AppealDecision",
    "RecoveryNotice",
    "canonical_content",
    "canonical_json",
    "content_sha256",
    "render_appeal_decision",
    "render_recovery_notice",
    "standard_consequence",
    "verify_url_for",
]

# 2: ``signature`` (the certificate the file is signed with); the appeal decision's ``official``
# as {"name", "position"} (it was "#<id> — role").
RECOVERY_FORMAT = "subsidy-recovery-notice/2"
APPEAL_FORMAT = "subsidy-appeal-decision/2"
APPEALED = ("rejection", "ineligible", "recovery")
APPEAL_OUTCOMES = ("granted", "dismissed")
# What an obligation asks for, (kk, ru), with its term in months.
OBLIGATIONS = {
    "keep_animals": (
        "Өтінімдегі әр жануар төлемнен кейін {months} ай бойы өтініш берушіде қалуы тиіс.",
        "Каждое заявленное животное остаётся у заявителя {months} мес. после выплаты.",
    ),
}
# (kk, ru) of the letter or result appealed.
APPEALED_NAMES = {
    "rejection": ("субсидия беруден бас тарту туралы шешім", "решение об отказе в субсидии"),
    "ineligible": (
        "өтінімді бағалау нәтижесі: талаптарға сәйкес емес",
        "результат оценки заявки: не соответствует условиям",
    ),
    "recovery": ("субсидияны қайтару туралы хабарлама", "уведомление о возврате субсидии"),
}


@dataclass(frozen=True)
class RecoveryNotice:
    number: str  # "<application number>-R<n>"
    application_number: str
    decision_number: str | None  # the approval the money was paid on
    issued_at: datetime  # aware; printed in Almaty time
    program_code: str
    program_name: dict[str, str]  # {"ru", "kk", "en"}
    applicant_name: str
    applicant_id_number: str
    district_name: dict[str, str]  # {"ru", "kk"}
    paid_amount: Decimal
    paid_on: date
    obligation: str  # "keep_animals"
    months: int
    ends_on: date  # the obligation's last day
    extract_as_of: date  # the animals extract that showed the breach
    snapshot_id: int
    animals: tuple[str, ...]  # the animals gone
    claimed_count: int
    amount: Decimal  # to repay: paid × len(animals) ÷ claimed_count, to the tiyn, half up
    due_on: date  # repay by
    appeal_until: date  # the issue date (Almaty) + 3 months
    verify_url: str  # what the QR code encodes; see verify_url_for()
    # The certificate the file is signed with: {"name", "serial", "issuer"}; None: unsigned.
    signature: dict[str, str] | None = None

    def __post_init__(self) -> None:
        _require_aware(self.issued_at)
        _require_money(self, "paid_amount", "amount")
        if self.obligation not in OBLIGATIONS:
            raise ValueError(f"obligation must be one of {', '.join(OBLIGATIONS)}")
        if self.months <= 0:
            raise ValueError("months must be positive")
        if not self.animals or len(set(self.animals)) != len(self.animals):
            raise ValueError("animals must list the animals gone, each once")
        if self.claimed_count < len(self.animals):
            raise ValueError("claimed_count must be at least the number of animals gone")
        if not 0 < self.amount <= self.paid_amount:
            raise ValueError("amount must be positive and at most paid_amount")
        if self.amount != recovery_amount(self.paid_amount, len(self.animals), self.claimed_count):
            raise ValueError("amount must be paid × left ÷ claimed, to the tiyn, half up")
        if not self.paid_on <= self.extract_as_of <= self.ends_on:
            raise ValueError("the extract must be dated while the obligation ran")


@dataclass(frozen=True)
class AppealDecision:
    number: str  # "<application number>-A<n>"
    application_number: str
    appealed: str  # "rejection" | "ineligible" | "recovery"
    appealed_number: str | None  # the appealed letter's number (None for an ineligible result)
    filed_on: date
    appeal_reason: str
    outcome: str  # "granted" | "dismissed"
    decision_reason: str
    decided_on: date
    issued_at: datetime  # aware; printed in Almaty time
    official: dict[str, str]  # {"name": "Ким Сергей Владимирович", "position": "..." or ""}
    program_code: str
    program_name: dict[str, str]
    applicant_name: str
    applicant_id_number: str
    district_name: dict[str, str]
    consequence: dict[str, str]  # {"ru", "kk", "en"}: what follows; see standard_consequence()
    verify_url: str
    signature: dict[str, str] | None = None  # as RecoveryNotice.signature

    def __post_init__(self) -> None:
        _require_aware(self.issued_at)
        if self.appealed not in APPEALED:
            raise ValueError(f"appealed must be one of {', '.join(APPEALED)}")
        if self.outcome not in APPEAL_OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(APPEAL_OUTCOMES)}")
        if (self.appealed_number is None) != (self.appealed == "ineligible"):
            raise ValueError("appealed_number names the appealed letter (none for ineligible)")
        if not self.appeal_reason.strip() or not self.decision_reason.strip():
            raise ValueError("an appeal decision states the appeal's and its own reasons")
        if not all((self.consequence.get(lang) or "").strip() for lang in ("kk", "ru")):
            raise ValueError("consequence must be stated in Kazakh and Russian")
        if self.decided_on < self.filed_on:
            raise ValueError("an appeal is decided on or after the day it was filed")
        if not (self.official.get("name") or "").strip():
            raise ValueError("an appeal decision names the official who decided it")


Notice = RecoveryNotice | AppealDecision


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None:
        raise ValueError("issued_at must be timezone-aware (UTC)")


def _require_money(doc: Any, *names: str) -> None:
    for name in names:
        value = getattr(doc, name)
        if not (isinstance(value, Decimal) and value.is_finite()):
            raise ValueError(f"{name} must be a finite Decimal")


# --- content and hash ------------------------------------------------------------------------


def canonical_content(doc: Notice) -> dict[str, Any]:
    """Every field but ``verify_url`` as JSON values, under the letter's own format."""
    return content_of(doc, RECOVERY_FORMAT if isinstance(doc, RecoveryNotice) else APPEAL_FORMAT)


def canonical_json(doc: Notice) -> bytes:
    """RFC 8785 bytes of :func:`canonical_content`: what the service stores and hashes."""
    return canonical_bytes(canonical_content(doc))


def content_sha256(doc: Notice) -> str:
    return hashlib.sha256(canonical_json(doc)).hexdigest()


def verify_url_for(public_url: str, doc: Notice) -> str:
    """``<public url>/verify?sha256=<content hash>``; ``doc.verify_url`` itself is ignored."""
    return verify_link(public_url, content_sha256(doc))


def standard_consequence(appealed: str, outcome: str) -> dict[str, str]:
    """What follows an appeal decision, {"kk", "ru", "en"}, as the service carries it out."""
    if outcome == "dismissed":
        return {
            "kk": "Шағым жасалған шешім күшінде қалады; ештеңе өзгермейді.",
            "ru": "Обжалуемое решение остаётся в силе; ничего не меняется.",
            "en": "The appealed decision stands; nothing changes.",
        }
    if appealed == "recovery":
        return {
            "kk": "Хабарлама бойынша субсидияны қайтару талабы жойылады.",
            "ru": "Требование о возврате субсидии по уведомлению отменяется.",
            "en": "The recovery under the notice is cancelled.",
        }
    return {
        "kk": "Өтінім шешім күнгі тізілім деректері бойынша қайта бағаланады; талаптарға сәйкес "
        "келсе, кезектегі бұрынғы орнын сақтай отырып, «берілді» мәртебесіне қайтарылады.",
        "ru": "Заявка оценивается заново по данным реестров на день решения; если она "
        "соответствует условиям, она возвращается в статус «подана» с прежним местом в очереди.",
        "en": "The application is evaluated again with the registry data of the decision's day; "
        "if eligible, it returns to submitted with its original place in the queue.",
    }


# --- the recovery notice ---------------------------------------------------------------------

NOTICE_TITLE = "ХАБАРЛАМА / УВЕДОМЛЕНИЕ"
ANIMAL_COLUMNS = 5


def render_recovery_notice(doc: RecoveryNotice) -> bytes:
    """The notice as PDF bytes, identical for identical ``doc``."""
    if not doc.verify_url:
        raise ValueError("verify_url is required: the QR code encodes it")
    return pdf.build(
        recovery_story(doc),
        title=f"{NOTICE_TITLE} № {doc.number}",
        subject=doc.application_number,
        issued_at=doc.issued_at,
    )


def recovery_story(doc: RecoveryNotice) -> list[Flowable]:
    pdf.register_fonts()
    tenge = pdf.mark("tenge")
    return [
        *pdf.heading(NOTICE_TITLE, "субсидияны қайтару туралы / о возврате субсидии", doc.number),
        pdf.rows_table(_letter_rows(doc) + pdf.applicant_rows(doc)),
        pdf.rows_table(_payment_rows(doc, tenge), heading="Төлем / Выплата"),
        pdf.rows_table(_obligation_rows(doc), heading="Міндеттеме / Обязательство"),
        _animals_table(doc),
        Spacer(1, 8),
        pdf.verdict(f"ҚАЙТАРУҒА / К ВОЗВРАТУ: {money_text(doc.amount, tenge)}", False),
        Spacer(1, 2),
        pdf.rows_table(_repayment_rows(doc, tenge)),
        pdf.appeal_table(appeal_rule("notice", doc.appeal_until, through_service=True)),
        Spacer(1, 10),
        pdf.verification(
            doc.verify_url,
            "Хабарламаның түпнұсқалығын тексеру үшін QR-кодты сканерлеңіз немесе төмендегі "
            "сілтемені ашыңыз.",
            "Для проверки подлинности уведомления отсканируйте QR-код или откройте ссылку ниже.",
            doc.signature,
        ),
    ]


def _letter_rows(doc: Notice) -> list[pdf.Row]:
    rows: list[pdf.Row] = []
    if isinstance(doc, AppealDecision):
        rows.append(("Шешім күні", "Дата решения", pdf.text(date_text(doc.decided_on))))
    return [
        *rows,
        ("Берілген уақыты", "Время выдачи", pdf.text(pdf.issued_text(doc.issued_at))),
        ("Өтінім нөмірі", "Номер заявки", pdf.text(doc.application_number)),
        ("Бағдарлама", "Программа", pdf.program_value(doc.program_code, doc.program_name)),
    ]


def _payment_rows(doc: RecoveryNotice, tenge: str) -> list[pdf.Row]:
    return [
        ("Төленген сома", "Выплаченная сумма", pdf.text(money_text(doc.paid_amount, tenge))),
        ("Төлем күні", "Дата выплаты", pdf.text(date_text(doc.paid_on))),
        ("Шешім", "Решение", pdf.text(f"№ {doc.decision_number}" if doc.decision_number else "—")),
    ]


def _obligation_rows(doc: RecoveryNotice) -> list[pdf.Row]:
    kk, ru = (line.format(months=doc.months) for line in OBLIGATIONS[doc.obligation])
    term = f"{date_text(doc.paid_on)} — {date_text(doc.ends_on)}"
    extract = (
        f"жануарларды бірдейлендіру / идентификация животных #{doc.snapshot_id}, "
        f"{date_text(doc.extract_as_of)} жағдай бойынша / по состоянию на "
        f"{date_text(doc.extract_as_of)}"
    )
    left = f"{len(doc.animals)} / {doc.claimed_count}"
    return [
        ("Міндеттеме", "Обязательство", pdf.lines(kk, ru)),
        ("Міндеттеме мерзімі", "Срок обязательства", pdf.text(term)),
        ("Тізілім үзіндісі", "Выписка из реестра", pdf.text(extract)),
        ("Шыққан / өтінімде", "Выбыло / заявлено", f"<b>{pdf.text(left)}</b>"),
    ]


def _animals_table(doc: RecoveryNotice) -> Table:
    """Every animal gone, by its identification number, in a compact grid of columns."""
    width = styles.CONTENT_WIDTH / ANIMAL_COLUMNS
    cells: list[Any] = [Paragraph(pdf.text(animal), styles.SMALL) for animal in doc.animals]
    cells += [""] * (-len(cells) % ANIMAL_COLUMNS)
    data: list[list[Any]] = [
        cells[start : start + ANIMAL_COLUMNS] for start in range(0, len(cells), ANIMAL_COLUMNS)
    ]
    intro = pdf.lines(
        f"{date_text(doc.extract_as_of)} жағдай бойынша үзінді төмендегі жануарлардың "
        "міндеттеме мерзімі аяқталғанға дейін өтініш берушіден шыққанын көрсетті.",
        f"Выписка по состоянию на {date_text(doc.extract_as_of)} показала, что животные ниже "
        "выбыли у заявителя до окончания срока обязательства.",
    )
    headings = [
        Paragraph("Шыққан жануарлар / Выбывшие животные", styles.HEADING),
        Paragraph(intro, styles.INTRO),
    ]
    return pdf.grid(headings, data, [width] * ANIMAL_COLUMNS)


def _repayment_rows(doc: RecoveryNotice, tenge: str) -> list[pdf.Row]:
    paid = money_text(doc.paid_amount, tenge)
    amount = money_text(doc.amount, tenge)
    formula = f"{paid} × {grouped(str(len(doc.animals)))} ÷ {grouped(str(doc.claimed_count))}"
    due = date_text(doc.due_on)
    return [
        ("Қайтарылатын сома", "Сумма к возврату", f"<b>{pdf.text(amount)}</b>"),
        (
            "Есептеу",
            "Расчёт",
            pdf.lines(
                f"{formula} = {amount}",
                "төленген сома × шыққан ÷ өтінімде, тиынға дейін, жартысы жоғары қарай / "
                "выплата × выбыло ÷ заявлено, до тиына, половина вверх",
            ),
        ),
        (
            "Қайтару мерзімі",
            "Срок возврата",
            f"<b>{pdf.text(f'{due} дейін (қоса алғанда) / до {due} включительно')}</b>",
        ),
        (
            "Қайда төлеу",
            "Куда платить",
            pdf.lines(
                "Облыстың ауыл шаруашылығы басқармасы көрсеткен шотқа; төлемнің мақсатында "
                "хабарлама нөмірін көрсетіңіз.",
                "На счёт, указанный управлением сельского хозяйства области; в назначении "
                "платежа укажите номер уведомления.",
            ),
        ),
        (
            "Мерзімінде қайтарылмаса",
            "Если не возвращено в срок",
            pdf.lines(
                "Сома заңнамада белгіленген тәртіппен өндіріп алынады.",
                "Сумма взыскивается в порядке, установленном законодательством.",
            ),
        ),
    ]


# --- the appeal decision ---------------------------------------------------------------------

APPEAL_TITLE = "ШАҒЫМ БОЙЫНША ШЕШІМ / РЕШЕНИЕ ПО ЖАЛОБЕ"


def render_appeal_decision(doc: AppealDecision) -> bytes:
    """The appeal decision as PDF bytes, identical for identical ``doc``."""
    if not doc.verify_url:
        raise ValueError("verify_url is required: the QR code encodes it")
    return pdf.build(
        appeal_story(doc),
        title=f"{APPEAL_TITLE} № {doc.number}",
        subject=doc.application_number,
        issued_at=doc.issued_at,
    )


def appeal_story(doc: AppealDecision) -> list[Flowable]:
    pdf.register_fonts()
    granted = doc.outcome == "granted"
    outcome = (
        "ШАҒЫМ ҚАНАҒАТТАНДЫРЫЛДЫ / ЖАЛОБА УДОВЛЕТВОРЕНА"
        if granted
        else "ШАҒЫМ ҚАНАҒАТТАНДЫРУСЫЗ ҚАЛДЫРЫЛДЫ / ЖАЛОБА ОСТАВЛЕНА БЕЗ УДОВЛЕТВОРЕНИЯ"
    )
    return [
        *pdf.heading(
            APPEAL_TITLE,
            "ауыл шаруашылығын субсидиялау / субсидирование в сельском хозяйстве",
            doc.number,
        ),
        pdf.rows_table(_letter_rows(doc) + pdf.applicant_rows(doc)),
        pdf.rows_table(_appeal_rows(doc), heading="Шағым / Жалоба"),
        Spacer(1, 8),
        pdf.verdict(outcome, granted),
        Spacer(1, 2),
        pdf.rows_table(
            [
                ("Шешімнің уәждері", "Мотивы решения", pdf.text(doc.decision_reason.strip())),
                (
                    "Салдары",
                    "Последствия",
                    pdf.lines(doc.consequence["kk"].strip(), doc.consequence["ru"].strip()),
                ),
            ]
        ),
        pdf.rows_table(
            [
                (
                    "Шешім қабылдаған лауазымды тұлға",
                    "Должностное лицо, принявшее решение",
                    pdf.official_lines(doc.official),
                ),
            ],
            heading="Шешім туралы мәліметтер / Сведения о решении",
        ),
        pdf.appeal_table(COURT),
        Spacer(1, 10),
        pdf.verification(
            doc.verify_url,
            "Шешімнің түпнұсқалығын тексеру үшін QR-кодты сканерлеңіз немесе төмендегі "
            "сілтемені ашыңыз.",
            "Для проверки подлинности решения отсканируйте QR-код или откройте ссылку ниже.",
            doc.signature,
        ),
    ]


def _appeal_rows(doc: AppealDecision) -> list[pdf.Row]:
    kk, ru = APPEALED_NAMES[doc.appealed]
    appealed = f"{kk} / {ru}" + (f", № {doc.appealed_number}" if doc.appealed_number else "")
    return [
        ("Шағым жасалған", "Обжаловано", pdf.text(appealed)),
        ("Шағым берілген күн", "Дата подачи жалобы", pdf.text(date_text(doc.filed_on))),
        ("Өтініш берушінің дәлелдері", "Доводы заявителя", pdf.text(doc.appeal_reason.strip())),
    ]
