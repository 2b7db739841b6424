"""``subsidy registry import animals`` of a 1,000,000-animal extract, against reading and
splitting the same CSV with the csv module (``csv.reader`` over the file, no validation), both in
the same run.

Each measure runs in a fresh Python process of its own, which reports its wall-clock seconds and
its peak resident memory (VmHWM: exec replaces the memory map, so it is this process's own, not
the benchmark's): the baseline, the parser alone (:func:`subsidy.registry.extracts.iter_extract`,
every check, no database), and the command through Flask's CLI runner on SQLite and on
PostgreSQL (a fresh database, migrated by the parent first so that the migrations' memory is not
counted); and the same app loaded doing nothing, whose memory every command starts from. An
import of a tenth of the file shows how memory grows with the extract (the parser's
table of animal ids seen; everything else is a batch at a time).

``BENCH_ANIMALS`` sets the size (default 1,000,000); PostgreSQL runs on the server of
``SUBSIDY_BENCH_POSTGRES_URL`` in the database ``BENCH_ANIMALS_DATABASE`` (default
``subsidy_bench_animals``), recreated and dropped at the end.
``python -m bench.animals_import`` runs it alone.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

from bench.audit_db import drop_database, fresh_postgres_database, make_app
from bench.common import Figure, print_table

ANIMALS = int(os.environ.get("BENCH_ANIMALS", "1000000"))
POSTGRES_URL = os.environ.get(
    "SUBSIDY_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
DATABASE = os.environ.get("BENCH_ANIMALS_DATABASE", "subsidy_bench_animals")
ROOT = Path(__file__).resolve().parent.parent
OWNERS = 20_000
SPECIES = ("cattle", "cattle", "sheep", "goats", "horses")


def owners(count: int) -> list[str]:
    from subsidy.applicants.ids import make_iin

    found: list[str] = []
    serial = 0
    while len(found) < count:
        birth = date(1960 + serial % 40, 1 + serial % 12, 1 + serial % 28)
        iin = make_iin(birth, female=bool(serial % 2), serial=serial // 40 % 10000)
        serial += 1
        if iin is not None:
            found.append(iin)
    return list(dict.fromkeys(found))


def write_extract(path: Path, count: int) -> None:
    """``count`` animals of 20,000 owners, each owner's ~50 in a run as an extract by owner
    lists them; ids unique (7919 is prime to 10**12), dates spread over ten years."""
    rng = random.Random(2026)
    farms = owners(OWNERS)
    start = date(2015, 1, 1)
    days = [start + timedelta(days=n) for n in range(3650 + 400)]
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("iin_bin,animal_id,species,sex,birth_date,registered_on\n")
        for n in range(count):
            born = rng.randrange(3650)
            out.write(
                f"{farms[n // 50 % len(farms)]},KZ{n * 7919 % 10**12:012d},"
                f"{SPECIES[n % len(SPECIES)]},{'FM'[rng.randrange(2)]},"
                f"{days[born]},{days[born + rng.randrange(400)]}\n"
            )


CHILD = """
import json, re, sys, time
mode, path = sys.argv[1], sys.argv[2]
start = time.perf_counter()
if mode == "csv":
    import csv
    with open(path, encoding="utf-8", newline="") as handle:
        rows = sum(1 for _ in csv.reader(handle)) - 1
elif mode == "parse":
    from subsidy.registry.extracts import iter_extract
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = sum(1 for _ in iter_extract("animals", handle))
else:
    from pathlib import Path
    from subsidy import create_app
    url, folder = sys.argv[3], Path(sys.argv[4])
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": folder,
        "SIGNING_KEY_PATH": str(folder / "signing_key.pem"), "SECRET_KEY": "bench",
    })
    start = time.perf_counter()
    if mode == "idle":  # the same process, the command not run: what the app itself takes
        rows = 0
    else:
        result = app.test_cli_runner().invoke(args=["registry", "import", "animals", path])
        assert result.exit_code == 0, result.output
        rows = int(result.output.split()[1])
seconds = time.perf_counter() - start
peak = int(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1))
print(json.dumps({"seconds": seconds, "peak_kib": peak, "rows": rows}))
"""


def measure(mode: str, path: Path, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(path), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{mode} failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def imported(mode: str, url: str, folder: Path, path: Path) -> dict:
    """The command into a freshly migrated database; checks what it stored."""
    import sqlalchemy as sa

    from subsidy.extensions import db
    from subsidy.registry.models import AnimalRecord

    folder.mkdir(parents=True, exist_ok=True)
    app = make_app(url, folder)
    with app.app_context():
        db.engine.dispose()
    result = measure(mode, path, url, str(folder))
    with app.app_context():
        stored = db.session.execute(sa.select(sa.func.count()).select_from(AnimalRecord))
        result["stored"] = stored.scalar_one()
        db.session.remove()
        db.engine.dispose()
    return result


def run() -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="bench-animals-") as tmp:
        folder = Path(tmp)
        full, tenth = folder / "animals.csv", folder / "animals-tenth.csv"
        write_extract(full, ANIMALS)
        write_extract(tenth, ANIMALS // 10)
        base = measure("csv", full)
        parse = measure("parse", full)
        idle = measure("idle", full, f"sqlite:///{folder / 'idle.db'}", str(folder))
        results = {
            "SQLite": imported("sqlite", f"sqlite:///{folder / 'a.db'}", folder / "sqlite", full),
            "SQLite, a tenth": imported(
                "sqlite", f"sqlite:///{folder / 'b.db'}", folder / "sqlite-tenth", tenth
            ),
        }
        url = fresh_postgres_database(POSTGRES_URL, DATABASE)
        try:
            results["PostgreSQL"] = imported("postgresql", url, folder / "pg", full)
        finally:
            drop_database(POSTGRES_URL, DATABASE)
    for name, result in results.items():
        expected = ANIMALS // 10 if "tenth" in name else ANIMALS
        if result["rows"] != expected or result["stored"] != expected:
            raise RuntimeError(f"{name}: {result['rows']} reported, {result['stored']} stored")
        print(f"animals check: {name}: {result['stored']:,} rows stored")
    mb = 1024
    n = f"{ANIMALS:,}"
    return [
        Figure(
            f"animals extract parsed and checked, {n} (s)",
            parse["seconds"],
            base["seconds"],
            "s",
            "(csv.reader alone)",
        ),
        Figure(
            f"registry import animals, {n}, SQLite (s)",
            results["SQLite"]["seconds"],
            base["seconds"],
            "s",
            "(vs csv.reader alone)",
        ),
        Figure(
            f"registry import animals, {n}, PostgreSQL (s)",
            results["PostgreSQL"]["seconds"],
            base["seconds"],
            "s",
            "(vs csv.reader alone)",
        ),
        Figure(
            "animals parser peak RSS (MB)",
            parse["peak_kib"] / mb,
            base["peak_kib"] / mb,
            "MB",
            "(csv.reader alone)",
        ),
        Figure(
            "registry import animals peak RSS, SQLite (MB)",
            results["SQLite"]["peak_kib"] / mb,
            base["peak_kib"] / mb,
            "MB",
            "(vs csv.reader alone)",
        ),
        Figure(
            "registry import animals peak RSS, PostgreSQL (MB)",
            results["PostgreSQL"]["peak_kib"] / mb,
            base["peak_kib"] / mb,
            "MB",
            "(vs csv.reader alone)",
        ),
        Figure(
            "registry import animals peak RSS, SQLite, vs the app idle (MB)",
            results["SQLite"]["peak_kib"] / mb,
            idle["peak_kib"] / mb,
            "MB",
            "(the app loaded, no command)",
        ),
        Figure(
            f"import peak RSS, {n} vs {ANIMALS // 10:,} animals, SQLite",
            results["SQLite"]["peak_kib"] / mb,
            results["SQLite, a tenth"]["peak_kib"] / mb,
            "MB",
            "bounded: ids seen only",
        ),
    ]


if __name__ == "__main__":
    print_table(run())
