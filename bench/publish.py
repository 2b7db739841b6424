"""Publishing the log to two witnesses: the time per checkpoint of ``subsidy audit publish``
(``subsidy.audit.publish.publish``: sign the note, ask both witnesses at once with
add-checkpoint and a consistency proof, verify and store their cosignatures), in-process on
SQLite and, with ``SUBSIDY_BENCH_POSTGRES_URL``, PostgreSQL.

Two real witnesses run as separate processes (``python -m subsidy.witness serve`` on loopback,
their own SQLite state). The log is bulk-loaded with ``BENCH_PUBLISH_ENTRIES`` (100,000)
synthetic entries (``bench.audit_db.bulk_load``, checkpoints every 100); each round appends
``BENCH_PUBLISH_GROWTH`` (10) entries through the service and publishes, ``BENCH_PUBLISH_ROUNDS``
(30) rounds; the median and p95 of the rounds count.

Baselines, same run and interleaved with the rounds: signing a checkpoint alone
(``create_checkpoint`` and its commit, what publishing does before any network call), and one
bare HTTP round trip to a witness (a malformed ``add-checkpoint`` on a kept-alive connection,
answered 400) — publishing asks both
witnesses in parallel, so its floor is one round trip plus the signing, proofs and checks.
"""

from __future__ import annotations

import http.client
import os
import selectors
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.audit_db import bulk_load, drop_database, fresh_postgres_database, make_app
from bench.common import Figure, p95, print_table

ROOT = Path(__file__).resolve().parent.parent
ENTRIES = int(os.environ.get("BENCH_PUBLISH_ENTRIES", "100000"))
GROWTH = int(os.environ.get("BENCH_PUBLISH_GROWTH", "10"))
ROUNDS = int(os.environ.get("BENCH_PUBLISH_ROUNDS", "30"))
POSTGRES_URL = os.environ.get("SUBSIDY_BENCH_POSTGRES_URL")
DATABASE = os.environ.get("BENCH_PUBLISH_DATABASE", "subsidy_bench_publish")


def _witness(folder: Path, name: str, log_vkey: str) -> tuple[subprocess.Popen, str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    key = folder / "witness.pem"
    command = [sys.executable, "-m", "subsidy.witness"]
    made = subprocess.run(
        [*command, "keygen", "--key", str(key), "--name", name],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    process = subprocess.Popen(
        [
            *command, "serve", "--key", str(key), "--name", name,
            "--state", str(folder / "state.sqlite"), "--log", log_vkey,
            "--listen", "127.0.0.1:0",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        ready = selector.select(timeout=30)
    line = process.stdout.readline().decode() if ready else ""
    if not line.startswith("listening on http://"):
        process.kill()
        raise RuntimeError(f"the witness did not start: {line!r}")
    return process, made.stdout.strip(), line.split()[-1]


def _round_trip(url: str):
    host = url.removeprefix("http://").split("/")[0]
    connection = http.client.HTTPConnection(host, timeout=30)

    def once() -> None:
        # The witness's cheapest answer on the same path: a malformed body, refused with 400.
        connection.request("POST", "/add-checkpoint", body=b"old x\n")
        connection.getresponse().read()

    return once


def measure(url: str, folder: Path) -> dict[str, list[float]]:
    from subsidy.audit.publish import publish
    from subsidy.audit.services import append_entry, create_checkpoint
    from subsidy.audit.signing import log_verifier
    from subsidy.audit.witnesses import parse_witnesses
    from subsidy.extensions import db

    app = make_app(url, folder)
    with app.app_context():
        bulk_load(ENTRIES)
        db.session.commit()
        vkey = log_verifier().vkey()
        started = [
            _witness(folder / name, f"{name}.example/w", vkey) for name in ("chamber", "ngo")
        ]
        try:
            app.config["WITNESSES"] = parse_witnesses(
                "\n".join(f"{w_vkey} {w_url}" for _, w_vkey, w_url in started)
            )
            app.config["WITNESS_QUORUM"] = 2
            first = publish()  # each witness's first checkpoint: from size 0, no proof
            if not first.ok:
                raise RuntimeError([o.line() for o in first.witnesses])
            bare = _round_trip(started[0][2])
            times: dict[str, list[float]] = {"publish": [], "checkpoint": [], "http": []}

            def grow() -> None:
                for n in range(GROWTH):
                    append_entry(actor="bench", action="bench", subject=f"round:{n}", data={})
                db.session.commit()

            for _ in range(ROUNDS):
                grow()
                start = time.perf_counter()
                result = publish()
                times["publish"].append(time.perf_counter() - start)
                if not result.ok:
                    raise RuntimeError([o.line() for o in result.witnesses])
                grow()
                start = time.perf_counter()
                create_checkpoint()
                db.session.commit()
                times["checkpoint"].append(time.perf_counter() - start)
                start = time.perf_counter()
                bare()
                times["http"].append(time.perf_counter() - start)
        finally:
            for process, _, _ in started:
                process.terminate()
                process.wait(timeout=30)
        db.session.remove()
        db.engine.dispose()
    return times


def run() -> list[Figure]:
    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as tmp:
        folder = Path(tmp)
        results["SQLite"] = measure(f"sqlite:///{folder / 'p.db'}", folder / "sqlite")
        if POSTGRES_URL:
            url = fresh_postgres_database(POSTGRES_URL, DATABASE)
            try:
                results["PostgreSQL"] = measure(url, folder / "pg")
            finally:
                drop_database(POSTGRES_URL, DATABASE)
    figures = []
    for name, times in results.items():
        publish_ms = [t * 1000 for t in times["publish"]]
        checkpoint_ms = statistics.median(times["checkpoint"]) * 1000
        http_ms = statistics.median(times["http"]) * 1000
        print(
            f"publish ({name}): {ENTRIES:,} entries, +{GROWTH} a round, {ROUNDS} rounds: "
            f"median {statistics.median(publish_ms):.1f} ms, p95 {p95(publish_ms):.1f} ms; "
            f"checkpoint alone {checkpoint_ms:.1f} ms; bare round trip {http_ms:.2f} ms"
        )
        figures += [
            Figure(
                f"publish to 2 witnesses, median, {name}",
                statistics.median(publish_ms),
                checkpoint_ms,
                "ms",
                "(per checkpoint, vs signing one alone)",
            ),
            Figure(
                f"publish to 2 witnesses, p95, {name}",
                p95(publish_ms),
                checkpoint_ms,
                "ms",
                "(per checkpoint, vs signing one alone)",
            ),
            Figure(
                f"publish to 2 witnesses vs a round trip, {name}",
                statistics.median(publish_ms),
                http_ms,
                "ms",
                "(vs one bare HTTP round trip to a witness)",
            ),
        ]
    return figures


if __name__ == "__main__":
    print_table(run())
