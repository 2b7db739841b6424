"""How long one request holds the log lock, in-process on PostgreSQL with nobody else writing:
a submission, a final approval (which issues a decision PDF) and a rejection (which issues one
too). Every other writer of the service waits for that span, so it caps write throughput.

Measured at the SQL level, so that it holds whichever module calls ``lock_log``: a
``before_cursor_execute`` listener notes the first ``pg_advisory_xact_lock`` statement of the
transaction, and a wrapper of the engine dialect's ``do_commit`` notes when the DBAPI commit has
returned (the lock is released by that commit). "Whole" is the test client's ``post`` call.
Decision PDFs rendered while the lock is held are counted by wrapping ``render_decision`` in every
``subsidy`` module that imported it by name.

Each round submits two applications, approves the first and rejects the second (kinds interleave
so drift hits all alike); the first ``BENCH_LOCK_WARMUP`` rounds warm the caches, the next
``BENCH_LOCK_SAMPLES`` count, and each figure is a median. One official decides (amounts are under
``second_approval_above`` and the budget covers them all).

``python -m bench.lock_hold [--json FILE] [--against FILE]`` prints the table; ``--json`` keeps
the medians, ``--against`` prints them against those of an earlier run (before/after a change).
Everything runs in a database of its own (``BENCH_LOCK_DATABASE``, default
``subsidy_bench_lock``) on the server of ``SUBSIDY_BENCH_POSTGRES_URL``, dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import event

from bench.audit_db import drop_database, fresh_postgres_database, make_app
from bench.common import Figure
from bench.rush import _program, new_iins

POSTGRES_URL = os.environ.get(
    "SUBSIDY_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
DATABASE = os.environ.get("BENCH_LOCK_DATABASE", "subsidy_bench_lock")
SAMPLES = int(os.environ.get("BENCH_LOCK_SAMPLES", "50"))
WARMUP = int(os.environ.get("BENCH_LOCK_WARMUP", "10"))
PROGRAM = "LOCK-HEADS"
SUBMIT = "/api/v1/applications"
KINDS = ("submission", "approval", "rejection")


class LockClock:
    """Per request: when the first log-lock statement of a transaction was sent, and how long
    each transaction that took the lock held it (to the end of its DBAPI commit or rollback)."""

    def __init__(self, engine):
        self.first_lock: float | None = None  # this request's first lock statement
        self.locked: float | None = None  # the open transaction's first lock statement
        self.held: list[float] = []  # seconds, one per transaction of this request that locked
        self.statements = 0  # lock statements sent in this request
        self.renders: list[tuple[bool, float]] = []  # (under the lock, seconds) per PDF
        event.listen(engine, "before_cursor_execute", self._before_statement)
        dialect = engine.dialect
        for name in ("do_commit", "do_rollback"):
            setattr(dialect, name, self._ending(getattr(dialect, name)))

    def reset(self) -> None:
        self.first_lock = self.locked = None
        self.held, self.statements, self.renders = [], 0, []

    def _before_statement(self, conn, cursor, statement, parameters, context, executemany):
        if "pg_advisory_xact_lock" in statement:
            self.statements += 1
            if self.locked is None:
                self.locked = time.perf_counter()
                if self.first_lock is None:
                    self.first_lock = self.locked

    def _ending(self, end):
        def ended(dbapi_connection):
            end(dbapi_connection)
            if self.locked is not None:
                self.held.append(time.perf_counter() - self.locked)
                self.locked = None

        return ended

    def count_renders(self) -> None:
        """Wrap render_decision wherever a subsidy module imported it by name."""
        import subsidy.decisions.pdf as pdf

        original = pdf.render_decision

        def timed(*args, **kwargs):
            began = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.renders.append((self.locked is not None, time.perf_counter() - began))

        for name, module in list(sys.modules.items()):
            if name.startswith("subsidy") and getattr(module, "render_decision", None) is original:
                module.render_decision = timed


def seed(app, count: int) -> tuple[str, list[str]]:
    """One program whose budget covers everything, eligible farms and an official's token."""
    from subsidy.accounts.services import create_user, issue_token
    from subsidy.applicants.services import create_applicant
    from subsidy.districts.queries import all_districts
    from subsidy.extensions import db
    from subsidy.registry.services import import_extract

    iins = new_iins(count)
    with app.app_context():
        _program(PROGRAM, Decimal("1000000000"))  # second approval only above the budget
        district = all_districts()[0].code
        for iin in iins:
            create_applicant(
                kind="peasant_farm", iin_bin=iin, name=f"КХ {iin}", district=district, actor="bench"
            )
        rows = {
            "livestock": [
                {"iin_bin": i, "species": "cattle", "heads": 20, "identified_heads": 20}
                for i in iins
            ],
            "tax": [{"iin_bin": i, "arrears": Decimal("0")} for i in iins],
        }
        for kind, extract in rows.items():
            import_extract(
                kind=kind,
                rows=extract,
                source_name=f"bench-{kind}.csv",
                source_sha256="0" * 64,
                as_of=date.today(),
                actor="bench",
            )
        user = create_user(
            username="official_lock", password="bench lock password", role="official", actor="bench"
        )
        token = issue_token(user=user)[0]
        db.session.commit()
    return token, iins


def measure(app, token: str, iins: list[str]) -> tuple[dict, dict]:
    """Medians per kind: ms under the lock, ms to the request's teardown, ms whole; and checks."""
    from subsidy.extensions import db

    with app.app_context():
        clock = LockClock(db.engine)
    clock.count_renders()
    teardown: list[float] = []
    app.teardown_request(lambda _: teardown.append(time.perf_counter()))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    samples: dict[str, list[tuple[float, float, float]]] = {kind: [] for kind in KINDS}
    checks = {"lock statements per request": set(), "locked transactions per request": set()}
    renders = {kind: [0, 0, 0.0] for kind in KINDS}  # PDFs rendered, under the lock, ms there

    def timed(kind: str, path: str, body: dict, expected: int) -> dict:
        clock.reset()
        teardown.clear()
        began = time.perf_counter()
        response = client.post(path, json=body, headers=headers)
        whole = time.perf_counter() - began
        if response.status_code != expected:
            raise RuntimeError(f"{kind} answered {response.status_code}: {response.get_json()}")
        checks["lock statements per request"].add(clock.statements)
        checks["locked transactions per request"].add(len(clock.held))
        if counted:
            samples[kind].append((sum(clock.held), teardown[-1] - clock.first_lock, whole))
            renders[kind][0] += len(clock.renders)
            renders[kind][1] += sum(under for under, _ in clock.renders)
            renders[kind][2] += sum(s for under, s in clock.renders if under) * 1000
        return response.get_json()

    pairs = list(zip(iins[0::2], iins[1::2], strict=True))
    for n, (first, second) in enumerate(pairs):
        counted = n >= WARMUP
        ids = []
        for iin in (first, second):
            body = {"program": PROGRAM, "applicant": iin, "quantity": "10"}
            reply = timed("submission", SUBMIT, body, 201)
            if reply["status"] != "submitted":
                raise RuntimeError(f"submission is {reply['status']}, not submitted")
            ids.append(reply["id"])
        reply = timed("approval", f"{SUBMIT}/{ids[0]}/approve", {}, 200)
        if reply["status"] != "approved":
            raise RuntimeError(f"approval left the application {reply['status']}")
        reason = {"reason": "bench: the herd was not presented for inspection"}
        reply = timed("rejection", f"{SUBMIT}/{ids[1]}/reject", reason, 200)
        if reply["status"] != "rejected":
            raise RuntimeError(f"rejection left the application {reply['status']}")

    results = {}
    for kind, rows in samples.items():
        hold, to_teardown, whole = (
            statistics.median(column) * 1000 for column in zip(*rows, strict=True)
        )
        count, under, under_ms = renders[kind]
        results[kind] = {
            "hold_ms": hold,
            "to_teardown_ms": to_teardown,
            "whole_ms": whole,
            "samples": len(rows),
            "pdfs_per_request": count / len(rows),
            "pdfs_under_lock_per_request": under / len(rows),
            "ms_rendering_under_lock_per_request": under_ms / len(rows),
        }
    checks = {name: sorted(values) for name, values in checks.items()}
    with app.app_context():
        from subsidy.audit.verification import verify_log
        from subsidy.decisions.models import DecisionDocument

        checks["decision documents"] = db.session.query(DecisionDocument).count()
        checks["log verifies"] = verify_log()[0]
        db.session.remove()
        db.engine.dispose()
    return results, checks


def measure_fresh() -> tuple[dict, dict]:
    url = fresh_postgres_database(POSTGRES_URL, DATABASE)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-lock-") as tmp:
            app = make_app(url, Path(tmp))
            token, iins = seed(app, 2 * (WARMUP + SAMPLES))
            return measure(app, token, iins)
    finally:
        drop_database(POSTGRES_URL, DATABASE)


def figures(results: dict) -> list[Figure]:
    return [
        Figure(
            f"log lock: ms held / whole {kind}",
            results[kind]["hold_ms"],
            results[kind]["whole_ms"],
            "ms",
            "(in-process, alone; caps writes at 1/held)",
        )
        for kind in KINDS
    ]


def run() -> list[Figure]:
    results, checks = measure_fresh()
    for name, value in checks.items():
        print(f"lock check: {name}: {value}")
    return figures(results)


def print_results(results: dict, against: dict | None) -> None:
    header = f"{'figure':<12} {'ms under lock':>14} {'ms whole':>10} {'lock/whole':>11}"
    if against:
        header += (
            f" {'lock before':>12} {'lock ratio':>11} {'whole before':>13} {'whole ratio':>12}"
        )
    print(header)
    print("-" * len(header))
    for kind in KINDS:
        now = results[kind]
        line = (
            f"{kind:<12} {now['hold_ms']:>14.2f} {now['whole_ms']:>10.2f}"
            f" {now['hold_ms'] / now['whole_ms']:>10.2f}x"
        )
        if against:
            then = against[kind]
            line += (
                f" {then['hold_ms']:>12.2f} {now['hold_ms'] / then['hold_ms']:>10.2f}x"
                f" {then['whole_ms']:>13.2f} {now['whole_ms'] / then['whole_ms']:>11.2f}x"
            )
        print(line)
    print()
    for kind in KINDS:
        now = results[kind]
        print(
            f"{kind}: {now['samples']} samples; ms lock to teardown {now['to_teardown_ms']:.2f};"
            f" PDFs per request {now['pdfs_per_request']:.2f}, under the lock"
            f" {now['pdfs_under_lock_per_request']:.2f}"
            f" ({now['ms_rendering_under_lock_per_request']:.2f} ms rendering there)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.lock_hold", description=__doc__)
    parser.add_argument("--json", type=Path, help="write the medians to this file")
    parser.add_argument("--against", type=Path, help="compare with the medians of an earlier run")
    args = parser.parse_args()
    import subsidy

    print(f"subsidy from {Path(subsidy.__file__).parent}")
    results, checks = measure_fresh()
    for name, value in checks.items():
        print(f"lock check: {name}: {value}")
    against = json.loads(args.against.read_text()) if args.against else None
    print_results(results, against)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
