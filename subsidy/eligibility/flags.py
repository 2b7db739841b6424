"""Risk flags: advisory evidence for the official, in the spirit of the EU's Arachne — never a
refusal by themselves.

Pure: a function of :class:`RiskFacts` (gathered from the database by
``subsidy.applications.flags``). Each flag has a code, a severity, an explanation in ru/kk/en and
its evidence: ids and amounts only (application numbers, applicant ids, animal ids, cadastral
numbers), never a person's name or IIN.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from subsidy.eligibility.texts import Texts, money, shown, species_names

SEVERITIES = ("high", "medium", "low")
CODES = (
    "shared_bank_account",
    "shared_head",
    "threshold_splitting",
    "member_also_applies",
    "herd_spike",
    "bank_account_changed",
    "concentration",
)
HERD_SPIKE_DAYS = 90
HERD_SPIKE_GROWTH = Decimal("1.5")  # more than half again
ACCOUNT_CHANGE_DAYS = 30
CONCENTRATION_SHARE = Decimal("0.10")


@dataclass(frozen=True)
class Flag:
    code: str
    severity: str  # high | medium | low
    detail: Texts
    evidence: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "detail": dict(self.detail),
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class Request:
    """A live application of the program by a related applicant."""

    number: str
    applicant_id: int
    amount: Decimal


@dataclass(frozen=True)
class Overlap:
    """A live application of a cooperative or of its member claiming the same things."""

    number: str
    applicant_id: int
    animals: tuple[str, ...] = ()
    parcels: tuple[str, ...] = ()


@dataclass(frozen=True)
class HerdChange:
    species: str
    before: int  # identified heads in the registry about 90 days before
    before_on: date
    now: int
    now_on: date


@dataclass(frozen=True)
class RiskFacts:
    """What the flags look at, for one application on one day."""

    on_date: date
    applicant_id: int
    amount: Decimal  # requested (or proposed) amount of this application
    threshold: Decimal  # the program's second_approval_above
    budget: Decimal
    # Other applicants whose bank account is this applicant's (ids).
    shared_account_with: tuple[int, ...] = ()
    # Live applications in the program of other applicants with the same head.
    same_head: tuple[Request, ...] = ()
    # Live applications in the program of related applicants: same head, same account, a
    # cooperative and its members.
    related: tuple[Request, ...] = ()
    # Live applications of the applicant's cooperatives or members claiming what it claims.
    overlaps: tuple[Overlap, ...] = ()
    herds: tuple[HerdChange, ...] = ()
    account_changed_on: date | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def compute_flags(facts: RiskFacts) -> tuple[Flag, ...]:
    found = [
        _shared_bank_account(facts),
        _shared_head(facts),
        _threshold_splitting(facts),
        _member_also_applies(facts),
        _herd_spike(facts),
        _bank_account_changed(facts),
        _concentration(facts),
    ]
    return tuple(flag for flag in found if flag is not None)


def max_severity(flags: tuple[Flag, ...] | list[Flag]) -> str | None:
    for severity in SEVERITIES:
        if any(flag.severity == severity for flag in flags):
            return severity
    return None


def _shared_bank_account(facts: RiskFacts) -> Flag | None:
    if not facts.shared_account_with:
        return None
    count = len(facts.shared_account_with)
    return Flag(
        "shared_bank_account",
        "high",
        {
            "ru": f"Банковский счёт заявителя указан ещё у {count} заявител"
            f"{'я' if count == 1 else 'ей'}: деньги могут уйти одному лицу",
            "kk": f"Өтініш берушінің банк шоты тағы {count} өтініш берушіде көрсетілген: "
            "ақша бір тұлғаға кетуі мүмкін",
            "en": f"The applicant's bank account is also that of {count} other applicant"
            f"{'' if count == 1 else 's'}: the money may go to one party",
        },
        {"applicants": sorted(facts.shared_account_with)},
    )


def _shared_head(facts: RiskFacts) -> Flag | None:
    if not facts.same_head:
        return None
    numbers = sorted(request.number for request in facts.same_head)
    listed = ", ".join(numbers)
    return Flag(
        "shared_head",
        "medium",
        {
            "ru": f"Тот же руководитель у других заявителей программы: {listed}",
            "kk": f"Бағдарламаның басқа өтініш берушілерінің басшысы да сол: {listed}",
            "en": f"Other applicants of the program have the same head: {listed}",
        },
        {
            "applications": numbers,
            "applicants": sorted({request.applicant_id for request in facts.same_head}),
        },
    )


def _threshold_splitting(facts: RiskFacts) -> Flag | None:
    """Related applicants' requests each at or under the second-approval threshold, together
    over it: one request split to escape the second official."""
    if facts.amount > facts.threshold:
        return None
    under = [r for r in facts.related if r.amount <= facts.threshold]
    if not under:
        return None
    total = facts.amount + sum((r.amount for r in under), Decimal(0))
    if total <= facts.threshold:
        return None
    numbers = sorted(r.number for r in under)
    listed = ", ".join(numbers)
    limit, together = shown(facts.threshold, money), shown(total, money)
    return Flag(
        "threshold_splitting",
        "high",
        {
            "ru": f"Эта заявка и заявки связанных лиц ({listed}) каждая не выше порога второго "
            f"одобрения {limit['ru']} ₸, а вместе {together['ru']} ₸",
            "kk": f"Осы өтінім мен байланысты тұлғалардың өтінімдері ({listed}) әрқайсысы "
            f"екінші келісім шегінен {limit['kk']} ₸ аспайды, бірақ бірге "
            f"{together['kk']} ₸",
            "en": f"This and related applicants' requests ({listed}) are each within the "
            f"second-approval threshold of {limit['en']} KZT, together "
            f"{together['en']} KZT",
        },
        {"applications": numbers, "total": money(total), "threshold": money(facts.threshold)},
    )


def _member_also_applies(facts: RiskFacts) -> Flag | None:
    overlapping = [o for o in facts.overlaps if o.animals or o.parcels]
    if not overlapping:
        return None
    numbers = sorted(o.number for o in overlapping)
    animals = sorted({a for o in overlapping for a in o.animals})
    parcels = sorted({p for o in overlapping for p in o.parcels})
    what = ", ".join([*animals, *parcels])
    listed = ", ".join(numbers)
    return Flag(
        "member_also_applies",
        "high",
        {
            "ru": f"Кооператив и его член заявляют одно и то же ({what}): заявки {listed}",
            "kk": f"Кооператив пен оның мүшесі бір нәрсені мәлімдейді ({what}): {listed} "
            "өтінімдері",
            "en": f"A cooperative and its member claim the same ({what}): applications {listed}",
        },
        {"applications": numbers, "animals": animals, "parcels": parcels},
    )


def _herd_spike(facts: RiskFacts) -> Flag | None:
    spikes = [h for h in facts.herds if h.now > h.before * HERD_SPIKE_GROWTH and h.now > 0]
    if not spikes:
        return None
    ru, kk, en = [], [], []
    for h in spikes:
        ru_name, kk_name, en_name = species_names(h.species)
        ru.append(
            f"{ru_name}: {h.before} на {h.before_on:%d.%m.%Y}, {h.now} на {h.now_on:%d.%m.%Y}"
        )
        kk.append(f"{kk_name}: {h.before_on:%d.%m.%Y} — {h.before}, {h.now_on:%d.%m.%Y} — {h.now}")
        en.append(
            f"{en_name}: {h.before} on {h.before_on.isoformat()}, {h.now} on {h.now_on.isoformat()}"
        )
    return Flag(
        "herd_spike",
        "medium",
        {
            "ru": "Идентифицированное поголовье выросло более чем наполовину за "
            f"{HERD_SPIKE_DAYS} дней до заявки — " + "; ".join(ru),
            "kk": f"Бірдейлендірілген мал басы өтінімге дейінгі {HERD_SPIKE_DAYS} күнде "
            "жартысынан астам өсті — " + "; ".join(kk),
            "en": f"Identified heads grew by more than half within {HERD_SPIKE_DAYS} days "
            "before the application — " + "; ".join(en),
        },
        {
            "herds": [
                {
                    "species": h.species,
                    "before": h.before,
                    "before_on": h.before_on.isoformat(),
                    "now": h.now,
                    "now_on": h.now_on.isoformat(),
                }
                for h in spikes
            ]
        },
    )


def _bank_account_changed(facts: RiskFacts) -> Flag | None:
    changed = facts.account_changed_on
    if changed is None or (facts.on_date - changed).days > ACCOUNT_CHANGE_DAYS:
        return None
    days = max(0, (facts.on_date - changed).days)  # a change later today counts as today
    return Flag(
        "bank_account_changed",
        "medium",
        {
            "ru": f"Банковский счёт изменён {changed:%d.%m.%Y}, за {days} дн. "
            f"(менее {ACCOUNT_CHANGE_DAYS})",
            "kk": f"Банк шоты {changed:%d.%m.%Y} өзгертілді, {days} күн бұрын "
            f"({ACCOUNT_CHANGE_DAYS} күннен аз)",
            "en": f"The bank account was changed on {changed.isoformat()}, {days} days before "
            f"(less than {ACCOUNT_CHANGE_DAYS})",
        },
        {"changed_on": changed.isoformat(), "days": days},
    )


def _concentration(facts: RiskFacts) -> Flag | None:
    if facts.budget <= 0:
        return None
    total = facts.amount + sum((r.amount for r in facts.related), Decimal(0))
    if total <= facts.budget * CONCENTRATION_SHARE:
        return None
    share = (total / facts.budget * 100).quantize(Decimal("0.1"))
    numbers = sorted(r.number for r in facts.related)
    return Flag(
        "concentration",
        "low",
        {
            "ru": f"Заявитель и связанные лица просят {money(total)} ₸ — {share} % бюджета "
            "программы (более 10 %)",
            "kk": f"Өтініш беруші мен байланысты тұлғалар {money(total)} ₸ сұрайды — "
            f"бағдарлама бюджетінің {share} % (10 %-дан астам)",
            "en": f"The applicant and related parties request {money(total)} KZT — {share}% of "
            "the program's budget (more than 10%)",
        },
        {"applications": numbers, "total": money(total), "share_percent": str(share)},
    )
