"""A real witness for tests: ``python -m subsidy.witness serve`` in a subprocess on port 0, its
key made with ``keygen`` and its state in a temporary folder."""

from __future__ import annotations

import selectors
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from subsidy.audit import note

REPO = Path(__file__).resolve().parents[2]


def witness_command(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "subsidy.witness", *map(str, args)]


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        witness_command(*args), cwd=REPO, capture_output=True, text=True, timeout=60
    )


@dataclass
class Running:
    name: str
    url: str
    verifier: note.Verifier
    process: subprocess.Popen[bytes]
    stderr: Path

    def log_lines(self) -> list[str]:
        return self.stderr.read_text().splitlines()


def start(directory: Path, name: str, logs: list[str], *extra: str) -> Running:
    key = directory / "witness.pem"
    made = run("keygen", "--key", key, "--name", name)
    assert made.returncode == 0, made.stderr
    stderr = directory / "stderr.log"
    process = subprocess.Popen(
        witness_command(
            "serve",
            *("--key", key, "--name", name, "--state", directory / "state.sqlite"),
            *(arg for vkey in logs for arg in ("--log", vkey)),
            *("--listen", "127.0.0.1:0", *extra),
        ),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=stderr.open("wb"),
    )
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        ready = selector.select(timeout=30)
    line = process.stdout.readline().decode() if ready else ""
    if not line.startswith("listening on http://127.0.0.1:"):
        process.kill()
        raise AssertionError(f"witness did not start: {line!r} {stderr.read_text()}")
    return Running(name, line.split()[-1], note.parse_vkey(made.stdout), process, stderr)
