"""Verification of a 1,000,000-entry log against bare hashing of the same bytes, in one run.

Two paths, each against its own baseline that reads the same bytes the same way:
- offline: ``python -m subsidy.audit.verify`` over an export file vs reading the file and
  SHA-256 of each line; also its peak memory at 100,000 and at 1,000,000 entries (flat = O(1)).
- database: ``subsidy audit verify`` (streaming rows, checking every leaf and the 10,000 signed
  checkpoints) vs streaming the same rows and SHA-256 of each stored entry.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import Figure, interleaved
from subsidy.audit import checkpoints, merkle
from subsidy.audit.canonical import canonical_bytes_fast
from subsidy.audit.verify import LogVerifier, export_line

ENTRIES = int(os.environ.get("BENCH_LOG_ENTRIES", "1000000"))
ROOT = Path(__file__).resolve().parent.parent
ACTIONS = (
    "application_submitted",
    "application_evaluated",
    "application_approved",
    "document_issued",
    "login_succeeded",
)


def synthetic_entry(index: int) -> bytes:
    entry = {
        "index": index,
        "timestamp": f"2026-03-{1 + index % 28:02d}T{index % 24:02d}:{index % 60:02d}:"
        f"{(index * 7) % 60:02d}.{index % 1000000:06d}+00:00",
        "actor": f"user:{index % 97}",
        "action": ACTIONS[index % len(ACTIONS)],
        "subject": f"application:{index // 3}",
        "data": {
            "amount": f"{(index * 7919) % 50_000_000}.{index % 100:02d}",
            "program": "DAIRY-MILK-2026",
            "rules_version": hashlib.sha256(str(index % 5).encode()).hexdigest()[:16],
        },
    }
    return canonical_bytes_fast(entry)


def write_export(path: Path, count: int, key) -> tuple[Path, bytes]:
    """The export file and a checkpoint over all of it (signed with ``key``)."""
    tree = merkle.CompactRange()
    with open(path, "wb", buffering=1 << 20) as out:
        for index in range(count):
            canonical = synthetic_entry(index)
            leaf = merkle.leaf_hash(canonical)
            tree.append_hash_only(leaf)
            out.write(export_line(index, canonical, leaf))
    return path, tree.root()


def bare_hash_file(path: Path) -> None:
    sha256 = hashlib.sha256
    with open(path, "rb", buffering=1 << 20) as handle:
        for line in handle:
            sha256(line).digest()


def verify_file(path: Path, expected_root: bytes) -> None:
    verifier = LogVerifier()
    verifier.expect_root(ENTRIES, expected_root)
    with open(path, "rb", buffering=1 << 20) as handle:
        verifier.feed_export_lines(handle)
    assert verifier.finish(), verifier.problem


def peak_memory_kib(path: Path, checkpoint: Path, pem: Path) -> int:
    """The verifier's own peak RSS, in a fresh process. VmHWM belongs to the process's memory
    map, which exec replaces; ru_maxrss would also carry this (large) benchmark process's peak,
    which Linux passes on over fork and exec."""
    code = (
        "import re, sys\n"
        "from subsidy.audit.verify import main\n"
        f"code = main([{str(path)!r}, '--checkpoint', {str(checkpoint)!r}, "
        f"'--public-key', {str(pem)!r}])\n"
        "assert code == 0, code\n"
        "status = open('/proc/self/status').read()\n"
        "print(re.search(r'VmHWM:\\s+(\\d+) kB', status).group(1))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return int(out.stdout.strip().splitlines()[-1])


def offline_figures(folder: Path) -> list[Figure]:
    import json

    private = checkpoints.load_private_key_pem(checkpoints.generate_private_key_pem())
    pem = folder / "public.pem"
    pem.write_bytes(checkpoints.public_key_pem(private))
    path, root = write_export(folder / "log.jsonl", ENTRIES, private)
    times = interleaved(
        3, bare=lambda: bare_hash_file(path), verify=lambda: verify_file(path, root)
    )

    small = folder / "small.jsonl"
    with open(path, "rb") as source, open(small, "wb") as out:
        for number, line in enumerate(source):
            if number == ENTRIES // 10:
                break
            out.write(line)
    memory = {}
    for name, file, size in (("small", small, ENTRIES // 10), ("full", path, ENTRIES)):
        sub_root = LogVerifier()
        sub_root.want_roots_at([size])
        with open(file, "rb") as handle:
            sub_root.feed_export_lines(handle)
        signed = checkpoints.sign_checkpoint(
            private, size, sub_root.roots[size], "2026-11-26T00:00:00+00:00"
        )
        cp = folder / f"checkpoint-{name}.json"
        cp.write_text(json.dumps(signed))
        memory[name] = peak_memory_kib(file, cp, pem)
    return [
        Figure(
            f"offline verify, {ENTRIES:,} entries (s)",
            times["verify"],
            times["bare"],
            "s",
            "<= 2x bare hashing",
        ),
        Figure(
            f"offline verify peak RSS, {ENTRIES:,} vs {ENTRIES // 10:,} entries",
            memory["full"] / 1024,
            memory["small"] / 1024,
            "MB",
            "flat (~1.0x)",
        ),
    ]


def run() -> list[Figure]:
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as tmp:
        folder = Path(tmp)
        figures = offline_figures(folder)
        from bench.audit_db import database_figures

        figures += database_figures(folder)
    return figures
