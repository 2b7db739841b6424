"""Decision documents rendered per second against a bare one-paragraph page, in one run.

Both go through the same reportlab set-up (A4, the shipped DejaVu Sans, invariant mode,
compression), so the ratio is the cost of the decision's own content: about 60 paragraphs in
tables, two fonts embedded, the QR code and two to four pages. Two decisions are timed: a typical
one (the demo dairy program's six checks, a farm) and a long one (a 120-character cooperative
name, twelve checks with long explanations). Functions alternate and the best of ``RUNS`` counts.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

from bench.common import Figure, interleaved
from subsidy.decisions.document import DecisionDocument, verify_url_for
from subsidy.decisions.pdf import render_bare_page, render_decision
from subsidy.eligibility.facts import Facts, Herd
from subsidy.eligibility.rules import evaluate
from subsidy.programs.definition import load_program_yaml
from subsidy.programs.demo import demo_program_texts

RUNS = int(os.environ.get("BENCH_DECISION_RUNS", "30"))
GOAL = "≥ 0.5× the bare page's rate"
BARE_TEXT = "Сүт өндіру құнын арзандатуды субсидиялау / Субсидирование производства молока"
COOPERATIVE = (
    "Сельскохозяйственный производственный кооператив «Шығыс Өңірі Ақбұлақ Үлбі "
    "Жайылымдары мен Сүт Өнімдерін Өңдейтін Одағы»"
)


def sample_decision(long: bool = False) -> DecisionDocument:
    """An approved decision of the demo dairy program, with checks from a real evaluation."""
    definition = load_program_yaml(demo_program_texts()["dairy-milk-2026.yaml"])
    members = ("120340012345", "880101300018", "900202400027")
    facts = Facts(
        applicant_id=1,
        applicant_kind="cooperative",
        member_count=len(members),
        herds=tuple(Herd("cattle", 60, 60, member) for member in members),
        parcels=(),
        tax_arrears=None,
        other_applications=(),
        snapshots={"land": 4, "livestock": 12, "tax": 7},
    )
    evaluation = evaluate(definition, facts, Decimal("1000000"), date(2026, 3, 2))
    checks = tuple(check.to_json() for check in evaluation.checks)
    if long:
        checks = tuple(_lengthened(check, number) for number, check in enumerate(checks * 2))
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
        applicant_name=COOPERATIVE if long else "«Бәйтерек» шаруа қожалығы",
        applicant_id_number=members[0],
        applicant_kind="cooperative" if long else "peasant_farm",
        district_name={"kk": "Ұлан ауданы", "ru": "Уланский район"},
        unit=definition.unit,
        quantity=evaluation.quantity,
        rate=evaluation.rate,
        requested_amount=evaluation.amount,
        approved_amount=evaluation.amount,
        reject_reason=None,
        comment=None,
        justification=None,
        checks=checks,
        evaluated_on=evaluation.on_date,
        snapshots=evaluation.snapshots,
        officials=("official #3 (first approval)", "official #7"),
        verify_url="",
    )
    return replace(doc, verify_url=verify_url_for("https://subsidy.vko.gov.kz", doc))


def _lengthened(check: dict, number: int) -> dict:
    tail = {
        "kk": " — тізілім деректері бойынша, кооператив мүшелерінің малын қоса есептегенде",
        "ru": " — по данным реестра на дату оценки, с учётом поголовья всех членов кооператива",
    }
    detail = {lang: text + tail.get(lang, "") for lang, text in check["detail"].items()}
    return {**check, "rule": f"{check['rule']}_{number}", "detail": detail}


def run() -> list[Figure]:
    typical, long = sample_decision(), sample_decision(long=True)
    render_bare_page(BARE_TEXT)  # fonts registered and modules warm before any timing
    times = interleaved(
        RUNS,
        bare=lambda: render_bare_page(BARE_TEXT),
        typical=lambda: render_decision(typical),
        long=lambda: render_decision(long),
    )
    bare_rate = 1 / times["bare"]
    return [
        Figure(
            f"decision PDFs per second, {label}",
            1 / times[name],
            bare_rate,
            "/s",
            GOAL,
            better="higher",
        )
        for name, label in (("typical", "6 checks"), ("long", "12 long checks"))
    ]


if __name__ == "__main__":
    from bench.common import print_table

    print_table(run())
