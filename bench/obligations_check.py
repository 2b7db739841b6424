"""The ``keep_animals`` check an animals import runs in its own transaction, at 100,000 paid
applications (each claiming five of its applicant's ten animals, a program version with
``keep_animals: 12 months``) and a 1,000,000-animal extract, against the import alone in the
same run.

The data is written in bulk (COPY on PostgreSQL, as :mod:`bench.scale_data` does; executemany
on SQLite): applicants, ``paid`` applications with ``paid_on`` and ``payment_amount``, their
``animal:<id>`` claims. The program is loaded through the service (its version declares the
obligation). Then, on each database:

1. the import alone: the first extract (0.1 % of the applications each lost two of their five
   cows) through ``import_extract`` on the same app with its after-import listeners removed;
2. the check alone on that snapshot, in the same transaction: the query that finds the claimed
   animals gone (``_missing_animals``), then ``check_obligations`` in full (the query again,
   and one case, one log entry and one recovery notice PDF per breached application);
3. the real path: a second extract (another 0.1 % lost two cows) imported with the listener
   connected, which opens cases only for the newly gone.

``BENCH_OBLIGATIONS_APPLICATIONS`` sets the number of applications (default 100,000; ten
animals each); PostgreSQL runs when ``SUBSIDY_BENCH_POSTGRES_URL`` is set, in the database
``BENCH_OBLIGATIONS_DATABASE`` (default ``subsidy_bench_obligations``) on that server,
recreated and dropped at the end. ``python -m bench.obligations_check`` runs it alone;
``BENCH_EXPLAIN=1`` prints the plan of the check's query.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from bench.audit_db import drop_database, fresh_postgres_database, make_app
from bench.common import Figure, print_table

APPLICATIONS = int(os.environ.get("BENCH_OBLIGATIONS_APPLICATIONS", "100000"))
ANIMALS_EACH, CLAIMED_EACH, GONE_EACH = 10, 5, 2
BREACH_EVERY = 1000  # 0.1 % of the applications breach in each extract
POSTGRES_URL = os.environ.get("SUBSIDY_BENCH_POSTGRES_URL")
DATABASE = os.environ.get("BENCH_OBLIGATIONS_DATABASE", "subsidy_bench_obligations")
EXPLAIN = bool(os.environ.get("BENCH_EXPLAIN"))
CODE = "BENCH-KEEP-2026"
RATE = Decimal("150000.00")
FIRST_AS_OF, SECOND_AS_OF = date(2026, 9, 1), date(2026, 10, 1)
BATCH = 20_000

PROGRAM = f"""
code: {CODE}
name: {{ru: "Бенч: племенной скот", kk: "Бенч: асыл тұқымды мал", en: "Bench: breeding cattle"}}
window: {{opens: 2026-01-01, closes: 2026-12-31}}
applicant_kinds: [peasant_farm]
unit: head
species: cattle
rate: "{RATE}"
max_amount_per_applicant: "150000000.00"
budget: "9000000000000.00"
second_approval_above: "10000000.00"
criteria:
  - {{rule: no_double_funding}}
obligations:
  - {{obligation: keep_animals, params: {{months: 12}}}}
"""


def farms(count: int) -> list[str]:
    """``count`` distinct valid IINs."""
    from subsidy.applicants.ids import make_iin

    found: dict[str, None] = {}
    serial = 0
    while len(found) < count:
        birth = date(1950 + serial % 50, 1 + serial // 50 % 12, 1 + serial // 600 % 28)
        iin = make_iin(birth, bool(serial % 2), serial // 16_800 % 9999 + 1)
        serial += 1
        if iin is not None:
            found[iin] = None
    return list(found)


def animal(applicant: int, k: int) -> str:
    return f"KZ{applicant * ANIMALS_EACH + k:012d}"


def gone_in(extract: int, applicant: int) -> bool:
    """Applicants whose claimed cows 0 and 1 are missing from extract 1 (and 2), or from 2."""
    if applicant % BREACH_EVERY == 0:
        return True
    return extract == 2 and applicant % BREACH_EVERY == BREACH_EVERY // 2


def write_extract(path: Path, iins: list[str], extract: int) -> int:
    rows = 0
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("iin_bin,animal_id,species,sex,birth_date,registered_on\n")
        for n, iin in enumerate(iins):
            breached = gone_in(extract, n)
            for k in range(ANIMALS_EACH):
                if breached and k < GONE_EACH:
                    continue
                out.write(f"{iin},{animal(n, k)},cattle,F,2021-03-01,2025-01-10\n")
                rows += 1
    return rows


# --- the data --------------------------------------------------------------------------------


def _insert(table, columns: tuple[str, ...], rows) -> int:
    """COPY on PostgreSQL (bench.scale_data._copy), batched executemany on SQLite."""
    from bench.scale_data import _copy
    from subsidy.extensions import db

    if db.engine.dialect.name == "postgresql":
        return _copy(table.name, columns, rows)
    written, batch = 0, []
    for row in rows:
        batch.append(dict(zip(columns, row, strict=True)))
        if len(batch) == BATCH:
            db.session.execute(sa.insert(table), batch)
            written, batch = written + len(batch), []
    if batch:
        db.session.execute(sa.insert(table), batch)
        written += len(batch)
    db.session.commit()
    return written


def load_data(iins: list[str]) -> dict:
    from subsidy.accounts.models import User
    from subsidy.accounts.services import create_user
    from subsidy.applicants.models import Applicant
    from subsidy.applications.models import Application, ApplicationClaim
    from subsidy.districts.models import District
    from subsidy.extensions import db
    from subsidy.programs.services import load_program
    from subsidy.programs.testcases import load_program_file

    loaded = load_program_file(PROGRAM)
    version, _ = load_program(definition=loaded.definition, tests=loaded.tests, actor="bench")
    create_user(
        username="bench-official", password="bench-official-2026", role="official", actor="bench"
    )
    db.session.commit()
    official = db.session.execute(
        sa.select(User.id).where(User.username == "bench-official")
    ).scalar_one()
    district = db.session.execute(sa.select(District.code).limit(1)).scalar_one()
    moment = datetime(2026, 1, 5, 9, tzinfo=UTC)
    _insert(
        Applicant.__table__,
        ("id", "iin_bin", "kind", "name", "district_code", "created_at"),
        (
            (n + 1, iin, "peasant_farm", f"Бенч Шаруа {n}", district, moment)
            for n, iin in enumerate(iins)
        ),
    )
    amount = RATE * CLAIMED_EACH
    evaluation = json.dumps({"eligible": True, "rules_version": version.rules_version})
    first_paid = date(2026, 1, 10)

    def applications():
        for n in range(len(iins)):
            paid_on = first_paid + timedelta(days=n * 230 // len(iins))  # to 2026-08-28
            submitted = date(2026, 1, 5)
            yield (
                n + 1,
                f"{CODE}-{n + 1:07d}",
                version.program_id,
                version.id,
                n + 1,
                official,
                "paid",
                Decimal(CLAIMED_EACH),
                RATE,
                amount,
                version.rules_version,
                evaluation,
                submitted,
                moment,
                submitted + timedelta(days=14),
                amount,
                official,
                moment,
                "paid",
                amount,
                paid_on,
            )

    _insert(
        Application.__table__,
        (
            "id",
            "number",
            "program_id",
            "program_version_id",
            "applicant_id",
            "submitted_by_id",
            "status",
            "quantity",
            "rate",
            "requested_amount",
            "rules_version",
            "evaluation",
            "submitted_on",
            "submitted_at",
            "decision_due_on",
            "approved_amount",
            "decided_by_id",
            "decided_at",
            "payment_status",
            "payment_amount",
            "paid_on",
        ),
        applications(),
    )
    _insert(
        ApplicationClaim.__table__,
        ("application_id", "claim_key", "program_id", "funding_group", "period"),
        (
            (n + 1, f"animal:{animal(n, k)}", version.program_id, CODE, "lifetime")
            for n in range(len(iins))
            for k in range(CLAIMED_EACH)
        ),
    )
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.exec_driver_sql(
                "SELECT setval('applicants_id_seq', (SELECT max(id) FROM applicants))"
            )
            conn.exec_driver_sql(
                "SELECT setval('applications_id_seq', (SELECT max(id) FROM applications))"
            )
            conn.exec_driver_sql("ANALYZE")
    else:
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
    return {"version": version.id}


# --- the measures ----------------------------------------------------------------------------


def _import(app, path: Path, as_of: date, listeners: bool):
    from subsidy.registry.extracts import iter_extract
    from subsidy.registry.services import _AFTER_IMPORT, import_extract

    saved = app.extensions.get(_AFTER_IMPORT, [])
    if not listeners:
        app.extensions[_AFTER_IMPORT] = []
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            start = time.perf_counter()
            snapshot = import_extract(
                kind="animals",
                rows=iter_extract("animals", handle),
                source_name=path.name,
                source_sha256=f"{as_of.toordinal():064d}",
                as_of=as_of,
                actor="bench",
            )
            seconds = time.perf_counter() - start
    finally:
        app.extensions[_AFTER_IMPORT] = saved
    return snapshot, seconds


def _explain(snapshot, versions) -> None:
    """The plan of the check's query (the one per program version), as the database shows it."""
    from subsidy.extensions import db
    from subsidy.obligations import services

    captured: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if "application_claims" in statement and "registry_animals" in statement:
            captured.append((statement, parameters))

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        services._missing_animals(snapshot, versions)
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    statement, parameters = captured[0]
    postgres = engine.dialect.name == "postgresql"
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
    rows = db.session.connection().exec_driver_sql(prefix + statement, parameters).all()
    print(f"--- the check's query plan ({engine.dialect.name}) ---")
    for row in rows:
        print("  " + " | ".join(str(value) for value in row))


def measure(url: str, folder: Path, iins: list[str], extracts: tuple[Path, Path]) -> dict:
    from subsidy.extensions import db
    from subsidy.obligations import services
    from subsidy.obligations.models import RecoveryCase

    folder.mkdir(parents=True, exist_ok=True)
    app = make_app(url, folder)
    app.config["TODAY"] = SECOND_AS_OF.isoformat()
    result: dict = {}
    with app.app_context():
        start = time.perf_counter()
        load_data(iins)
        result["load"] = time.perf_counter() - start
        snapshot, result["import"] = _import(app, extracts[0], FIRST_AS_OF, listeners=False)
        start = time.perf_counter()
        versions = services._keep_animals_versions()
        missing = services._missing_animals(snapshot, versions)
        result["query"] = time.perf_counter() - start
        result["missing"] = sum(len(ids) for ids in missing.values())
        if EXPLAIN:
            _explain(snapshot, versions)
        start = time.perf_counter()
        opened = services.check_obligations(snapshot=snapshot, actor="bench")
        result["check"] = time.perf_counter() - start
        result["opened"] = len(opened)
        db.session.commit()
        _, result["full"] = _import(app, extracts[1], SECOND_AS_OF, listeners=True)
        db.session.commit()
        result["cases"] = db.session.execute(
            sa.select(sa.func.count()).select_from(RecoveryCase)
        ).scalar_one()
        db.session.remove()
        db.engine.dispose()
    print(f"obligations check: {url.split(':')[0]}: {result}", flush=True)
    return result


def run() -> list[Figure]:
    iins = farms(APPLICATIONS)
    breached = len([n for n in range(APPLICATIONS) if n % BREACH_EVERY == 0])
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-obligations-") as tmp:
        folder = Path(tmp)
        extracts = (folder / "animals-1.csv", folder / "animals-2.csv")
        write_extract(extracts[0], iins, 1)
        write_extract(extracts[1], iins, 2)
        results["SQLite"] = measure(
            f"sqlite:///{folder / 'o.db'}", folder / "sqlite", iins, extracts
        )
        if POSTGRES_URL:
            url = fresh_postgres_database(POSTGRES_URL, DATABASE)
            try:
                results["PostgreSQL"] = measure(url, folder / "pg", iins, extracts)
            finally:
                drop_database(POSTGRES_URL, DATABASE)
    figures = []
    animals = f"{APPLICATIONS * ANIMALS_EACH:,}"
    for name, r in results.items():
        expected = (breached, breached * GONE_EACH, breached * 2)
        if (r["opened"], r["missing"], r["cases"]) != expected:
            raise RuntimeError(f"{name}: opened {r['opened']}, missing {r['missing']}, {r}")
        print(
            f"obligations check: {name}: data {r['load']:.1f} s; import alone {r['import']:.2f} s; "
            f"query {r['query']:.2f} s ({r['missing']} animals gone); check {r['check']:.2f} s "
            f"({r['opened']} cases, {(r['check'] - r['query']) / r['opened'] * 1000:.0f} ms each "
            f"beyond the query); import with the check {r['full']:.2f} s "
            f"({r['cases']} cases in all)"
        )
        apps = f"{APPLICATIONS:,} paid"
        figures += [
            Figure(
                f"keep_animals query, {apps}, {animals} animals, {name} (s)",
                r["query"],
                r["import"],
                "s",
                "(vs the import alone)",
            ),
            Figure(
                f"obligation check, {r['opened']} cases opened, {name} (s)",
                r["check"],
                r["import"],
                "s",
                "(vs the import alone)",
            ),
            Figure(
                f"animals import with the check, {name} (s)",
                r["full"],
                r["import"],
                "s",
                "(vs the import alone)",
            ),
        ]
    return figures


if __name__ == "__main__":
    print_table(run())
