"""A real gunicorn for the HTTP benchmarks, in a process group of its own so that one signal
stops the master and its workers; loopback only."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import gunicorn

ROOT = Path(__file__).resolve().parent.parent
# Sized for the 2-core machine: 2 workers x 4 threads, connections kept alive. BENCH_GUNICORN
# overrides the worker options, e.g. BENCH_GUNICORN='-w 4' for four single-threaded workers.
WORKERS = [*os.environ.get("BENCH_GUNICORN", "-w 2 --threads 4").split(), "--keep-alive", "30"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, app: str, env: dict, log: Path, start_timeout: float = 60.0):
        self.app, self.env, self.log, self.port = app, env, log, free_port()
        self.start_timeout = start_timeout
        self.process: subprocess.Popen | None = None

    def start(self) -> Server:
        command = [sys.executable, "-m", "gunicorn", *WORKERS]
        if gunicorn.version_info >= (25, 1):  # older releases have no control socket to refuse
            command.append("--no-control-socket")
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [*command, "-b", f"127.0.0.1:{self.port}", self.app],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.app} exited: {self.log.read_text()[-2000:]}")
            if self._healthy():
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.app} did not answer in {self.start_timeout} s")

    def _healthy(self) -> bool:
        with contextlib.suppress(OSError, http.client.HTTPException):
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            try:
                connection.request("GET", "/healthz")
                return connection.getresponse().status == 200
            finally:
                connection.close()
        return False

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):  # workers the master did not reap
            os.killpg(self.process.pid, signal.SIGKILL)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
