"""A payment run of 10,000 payments: prepared, then released (its pain.001.001.09 rendered,
stored and logged), in-process on SQLite and, when ``SUBSIDY_BENCH_POSTGRES_URL`` is set, on
PostgreSQL.

The data, bulk-loaded without the services (so without log entries or decision documents: the
remittance text then names the program and the application only): ``BENCH_PAYMENTS_COUNT``
(10,000) applicants with a valid IBAN (``make_iban``) and BIC, each with one approved
application of 1-300 heads of one program loaded by ``load_program``; the program's committed
amount set to their sum and one tranche releasing exactly that, so one run takes them all.
Applicants and applications go in by COPY on PostgreSQL (``bench.scale_data._copy``, with its
``APPLICATION_COLUMNS``) and by Core ``executemany`` on SQLite.

Each round, in a transaction rolled back at its end (so every round starts from the same
queue): ``prepare_run`` (the queue read, each application's risk flags computed and stored
again, 10,000 payments, skip rows and log entries), then ``release_run`` by a second treasurer
(accounts checked unchanged, the document rendered, stored, its SHA-256 logged), each timed
alone and flushed, not committed; the best of ``BENCH_PAYMENTS_ROUNDS`` rounds counts (1 by
default: preparing 10,000 takes many minutes, most of them in ``store_flags``).

Baseline, measured in the same run over the same 10,000 rows held in memory: the same
pain.001 elements built with lxml alone (``SubElement`` and ``text``, no checks, no database)
and serialised with ``etree.tostring``. ``render_pain001`` over the same rows (our renderer
alone, its checks included) is shown against it too. Ratios are ours / bare. The stored
document, its re-rendering and the bare one are the same bytes (checked and printed).

``BENCH_PAYMENTS_PROFILE=1`` also runs one more prepare under cProfile and prints where the
time goes. ``python -m bench.payment_run`` runs it alone (``make bench`` runs it after the rest).
The PostgreSQL database is ``BENCH_PAYMENTS_DATABASE`` (default ``subsidy_bench_payments``) on
the server of ``SUBSIDY_BENCH_POSTGRES_URL``, recreated and dropped at the end.
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from lxml import etree

from bench.audit_db import drop_database, fresh_postgres_database, make_app
from bench.common import Figure, print_table
from bench.scale_data import APPLICATION_COLUMNS, _copy

POSTGRES_URL = os.environ.get("SUBSIDY_BENCH_POSTGRES_URL")
DATABASE = os.environ.get("BENCH_PAYMENTS_DATABASE", "subsidy_bench_payments")
COUNT = int(os.environ.get("BENCH_PAYMENTS_COUNT", "10000"))
ROUNDS = int(os.environ.get("BENCH_PAYMENTS_ROUNDS", "1"))
PROFILE = os.environ.get("BENCH_PAYMENTS_PROFILE") == "1"
CODE = "PAY-HEADS-2026"
RATE = Decimal("1000.00")
BANKS = (("601", "HSBKKZKX"), ("722", "CASPKZKA"), ("856", "KCJBKZKX"), ("965", "IRTYKZKA"))
APPLICANT_COLUMNS = ("id", "iin_bin", "kind", "name", "district_code", "created_at", "iban", "bic")
PAIN001 = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"


# --- data --------------------------------------------------------------------------------------


def _identities(count: int):
    """``count`` distinct valid IINs (peasant farms) and BINs (legal entities)."""
    from subsidy.applicants.ids import make_bin, make_iin

    seen: set[str] = set()
    serial = 0
    while len(seen) < count:
        serial += 1
        if serial % 3 == 0:
            number = make_bin(2010 + serial % 14, 1 + serial % 12, 4, 0, serial % 100_000)
            kind = "legal_entity"
        else:
            birth = date(1950 + serial % 50, 1 + serial % 12, 1 + serial % 28)
            number, kind = make_iin(birth, bool(serial % 2), serial % 10_000), "peasant_farm"
        if number is None or number in seen:
            continue
        seen.add(number)
        yield number, kind


def _bulk(dialect: str, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    from subsidy.extensions import db

    if dialect == "postgresql":
        _copy(table, columns, rows)
        return
    from subsidy.db import Base

    target = Base.metadata.tables[table]  # Core executemany, values through the column types
    for start in range(0, len(rows), 5000):
        db.session.execute(
            sa.insert(target),
            [dict(zip(columns, row, strict=True)) for row in rows[start : start + 5000]],
        )
    db.session.commit()


def load(app) -> dict:
    """The program, two treasurers, COUNT applicants with accounts and approved applications,
    and one tranche releasing what they were approved."""
    from subsidy.accounts.services import create_user
    from subsidy.applicants.bank import make_iban
    from subsidy.districts.models import District
    from subsidy.extensions import db
    from subsidy.payments.services import release_tranche
    from subsidy.programs.models import Program
    from subsidy.programs.services import load_program
    from tests.factories import program_definition

    stats: dict = {}
    with app.app_context():
        began = time.perf_counter()
        dialect = db.engine.dialect.name
        districts = sorted(db.session.execute(sa.select(District.code)).scalars())
        official = create_user(
            username="official_pay", password="bench payments pw", role="official", actor="bench"
        )
        treasurers = [
            create_user(
                username=f"treasurer_pay{n}",
                password="bench payments pw",
                role="treasurer",
                actor="bench",
            )
            for n in (1, 2)
        ]
        quantities = [1 + (n * 37) % 300 for n in range(COUNT)]
        total = sum((q * RATE for q in quantities), Decimal(0))
        version, _ = load_program(
            definition=program_definition(
                CODE, rate=str(RATE), budget=f"{total:.2f}", threshold=f"{300 * RATE:.2f}"
            ),
            actor="bench",
        )
        db.session.commit()
        program_id, version_id, rules_version = (
            version.program_id,
            version.id,
            version.rules_version,
        )
        created = datetime(2026, 1, 10, 9, tzinfo=UTC)
        applicants = []
        for n, (number, kind) in enumerate(_identities(COUNT), start=1):
            bank, bic = BANKS[n % len(BANKS)]
            name = f"КХ «Бенч {n}»" if kind == "peasant_farm" else f"ТОО «Бенч Агро {n}»"
            applicants.append(
                (
                    n,
                    number,
                    kind,
                    name,
                    districts[n % len(districts)],
                    created,
                    make_iban(bank, f"{n:013d}"),
                    bic,
                )
            )
        evaluation = json.dumps(
            {"eligible": True, "rules_version": rules_version, "checks": [], "snapshots": {}},
            separators=(",", ":"),
            sort_keys=True,
        )
        submitted = date(2026, 2, 2)
        decided = datetime(2026, 3, 20, 9, tzinfo=UTC)
        applications = []
        for n, quantity in enumerate(quantities, start=1):
            amount = quantity * RATE
            at = datetime.combine(submitted, datetime.min.time(), UTC) + timedelta(seconds=n)
            applications.append(
                (
                    n,
                    f"{CODE}-{n:06d}",
                    program_id,
                    version_id,
                    n,
                    official.id,
                    "approved",
                    Decimal(quantity),
                    RATE,
                    amount,
                    rules_version,
                    evaluation,
                    submitted,
                    at,
                    submitted + timedelta(days=30),
                    amount,
                    None,
                    None,
                    amount,
                    official.id,
                    decided,
                    None,
                    None,
                    None,
                )
            )
        db.session.commit()
        _bulk(dialect, "applicants", APPLICANT_COLUMNS, applicants)
        _bulk(dialect, "applications", APPLICATION_COLUMNS, applications)
        if dialect == "postgresql":
            with db.engine.connect() as conn:
                for table in ("applicants", "applications"):
                    conn.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                        f" (SELECT max(id) FROM {table}))"
                    )
                conn.commit()
        db.session.execute(
            sa.update(Program).where(Program.id == program_id).values(committed_amount=total)
        )
        db.session.commit()
        program = db.session.get(Program, program_id)
        release_tranche(
            program=program, amount=total, released_on=date(2026, 6, 1), user=treasurers[0]
        )
        db.session.commit()
        if dialect == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        else:
            with db.engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE")
                conn.commit()
        stats = {
            "applications": len(applications),
            "total": f"{total:.2f}",
            "loaded in s": round(time.perf_counter() - began, 1),
            "program": program_id,
            "treasurers": [t.id for t in treasurers],
        }
        db.session.remove()
    return stats


# --- the baseline -------------------------------------------------------------------------------


def bare_document(message_id: str, created: str, day: str, debtor, rows: list[tuple]) -> bytes:
    """The same pain.001 elements with lxml alone: no checks, no database."""
    ns = f"{{{PAIN001}}}"
    sub = etree.SubElement
    root = etree.Element(f"{ns}Document", nsmap={None: PAIN001})
    initiation = sub(root, f"{ns}CstmrCdtTrfInitn")
    total = f"{sum((row[1] for row in rows), Decimal(0)):.2f}"

    def text(parent, name, value):
        element = sub(parent, f"{ns}{name}")
        element.text = value
        return element

    def party(parent, tag):
        element = sub(parent, f"{ns}{tag}")
        text(element, "Nm", debtor.name)
        other = sub(sub(sub(element, f"{ns}Id"), f"{ns}OrgId"), f"{ns}Othr")
        text(other, "Id", debtor.bin)

    header = sub(initiation, f"{ns}GrpHdr")
    text(header, "MsgId", message_id)
    text(header, "CreDtTm", created)
    text(header, "NbOfTxs", str(len(rows)))
    text(header, "CtrlSum", total)
    party(header, "InitgPty")
    payment = sub(initiation, f"{ns}PmtInf")
    text(payment, "PmtInfId", message_id)
    text(payment, "PmtMtd", "TRF")
    text(payment, "NbOfTxs", str(len(rows)))
    text(payment, "CtrlSum", total)
    text(sub(payment, f"{ns}ReqdExctnDt"), "Dt", day)
    party(payment, "Dbtr")
    text(sub(sub(payment, f"{ns}DbtrAcct"), f"{ns}Id"), "IBAN", debtor.iban)
    text(sub(sub(payment, f"{ns}DbtrAgt"), f"{ns}FinInstnId"), "BICFI", debtor.bic)
    for end_to_end_id, amount, name, iban, bic, remittance in rows:
        transaction = sub(payment, f"{ns}CdtTrfTxInf")
        text(sub(transaction, f"{ns}PmtId"), "EndToEndId", end_to_end_id)
        text(sub(transaction, f"{ns}Amt"), "InstdAmt", f"{amount:.2f}").set("Ccy", "KZT")
        text(sub(sub(transaction, f"{ns}CdtrAgt"), f"{ns}FinInstnId"), "BICFI", bic)
        text(sub(transaction, f"{ns}Cdtr"), "Nm", name)
        text(sub(sub(transaction, f"{ns}CdtrAcct"), f"{ns}Id"), "IBAN", iban)
        text(sub(transaction, f"{ns}RmtInf"), "Ustrd", remittance)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(
        root, encoding="UTF-8", xml_declaration=False, pretty_print=True
    )


# --- measuring ---------------------------------------------------------------------------------


def _profile(func) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    func()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(28)
    return out.getvalue()


def measure(app, stats: dict) -> dict:
    from subsidy.accounts.models import User
    from subsidy.extensions import db
    from subsidy.payments import iso20022, services
    from subsidy.programs.models import Program

    prepare_times, release_times, statements = [], [], []
    document = b""
    rows: list[tuple] = []
    counter = {"n": 0}

    def count(*_args, **_kwargs):
        counter["n"] += 1

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", count)
        first, second = (db.session.get(User, id_) for id_ in stats["treasurers"])
        for _ in range(ROUNDS):
            program = db.session.get(Program, stats["program"])
            counter["n"] = 0
            began = time.perf_counter()
            preparation = services.prepare_run(program=program, user=first)
            db.session.flush()
            prepare_times.append(time.perf_counter() - began)
            statements.append(counter["n"])
            run = preparation.run
            assert run.item_count == COUNT, run.item_count
            began = time.perf_counter()
            services.release_run(run_id=run.id, user=second)
            db.session.flush()
            release_times.append(time.perf_counter() - began)
            document = bytes(run.document)
            rows = [
                (
                    p.end_to_end_id,
                    p.amount,
                    p.creditor_name,
                    p.creditor_iban,
                    p.creditor_bic,
                    p.remittance,
                )
                for p in run.payments
            ]
            created, day, message_id = run.released_at, run.execution_date, f"RUN-{run.id}"
            db.session.rollback()
            db.session.expunge_all()
        sa.event.remove(db.engine, "before_cursor_execute", count)
        profile = None
        if PROFILE:
            program = db.session.get(Program, stats["program"])
            user = db.session.get(User, stats["treasurers"][0])
            profile = _profile(lambda: services.prepare_run(program=program, user=user))
            db.session.rollback()
        debtor = services.payer()
        transfers = tuple(iso20022.Transfer(*row) for row in rows)
        credit = iso20022.CreditTransfer(message_id, created, day, debtor, transfers)
        created_text = created.astimezone(UTC).replace(microsecond=0).isoformat()
        render_times, bare_times = [], []
        bare = rendered = b""
        for _ in range(ROUNDS):
            began = time.perf_counter()
            rendered = iso20022.render_pain001(credit)
            render_times.append(time.perf_counter() - began)
            began = time.perf_counter()
            bare = bare_document(message_id, created_text, day.isoformat(), debtor, rows)
            bare_times.append(time.perf_counter() - began)
        db.session.remove()
    return {
        "prepare": min(prepare_times),
        "release": min(release_times),
        "render": min(render_times),
        "bare": min(bare_times),
        "document bytes": len(document),
        "bare bytes": len(bare),
        # The baseline builds the very document: the stored bytes, re-rendered and bare.
        "identical": document == rendered == bare,
        "statements in prepare": min(statements),
        "profile": profile,
    }


def figures(label: str, results: dict) -> list[Figure]:
    n = f"{COUNT:,}"
    bare = results["bare"] * 1000
    return [
        Figure(
            f"payment run of {n}: prepare ({label})",
            results["prepare"] * 1000,
            bare,
            "ms",
            "(vs the same pain.001 built with bare lxml)",
        ),
        Figure(
            f"payment run of {n}: release ({label})",
            results["release"] * 1000,
            bare,
            "ms",
            "(render, store, log vs bare lxml)",
        ),
        Figure(
            f"payment run of {n}: render_pain001 alone ({label})",
            results["render"] * 1000,
            bare,
            "ms",
            "(our renderer vs bare lxml)",
        ),
        Figure(
            f"payment run of {n}: document size ({label})",
            results["document bytes"] / 1024,
            results["bare bytes"] / 1024,
            "KB",
            "(the same bytes expected: 1.00x)",
        ),
    ]


def one(label: str, url: str, folder: Path) -> list[Figure]:
    app = make_app(url, folder)
    stats = load(app)
    print(
        f"payments data ({label}): {stats['applications']} approved, total {stats['total']},"
        f" loaded in {stats['loaded in s']} s"
    )
    results = measure(app, stats)
    with app.app_context():
        from subsidy.extensions import db

        db.engine.dispose()
    print(
        f"payments ({label}): prepare {results['prepare']:.2f} s"
        f" ({results['statements in prepare']} statements,"
        f" {results['statements in prepare'] / COUNT:.1f} per payment),"
        f" release {results['release']:.2f} s, render_pain001 {results['render']:.2f} s,"
        f" bare lxml {results['bare']:.2f} s; document {results['document bytes']:,} bytes"
        f" (bare {results['bare bytes']:,}); stored, re-rendered and bare bytes identical:"
        f" {'yes' if results['identical'] else 'NO'}"
    )
    if results["profile"]:
        print(f"payments profile ({label}), one prepare_run, by cumulative time:")
        print(results["profile"])
    return figures(label, results)


def run() -> list[Figure]:
    result: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="bench-payments-") as tmp:
        folder = Path(tmp)
        (folder / "sqlite").mkdir()
        result += one("SQLite", f"sqlite:///{folder / 'payments.db'}", folder / "sqlite")
        if POSTGRES_URL:
            url = fresh_postgres_database(POSTGRES_URL, DATABASE)
            try:
                (folder / "postgresql").mkdir()
                result += one("PostgreSQL", url, folder / "postgresql")
            finally:
                drop_database(POSTGRES_URL, DATABASE)
    return result


if __name__ == "__main__":
    print_table(run())
