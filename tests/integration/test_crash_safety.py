"""A real server killed with SIGKILL in the middle of a burst of submissions loses nothing it
acknowledged, leaves no application without its log entries (in the log or its queue), leaves a
log that verifies, and serves again after a restart, which integrates whatever was left queued."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import gunicorn
import pytest
import sqlalchemy as sa

from subsidy.accounts.services import issue_token
from subsidy.applications.models import Application
from subsidy.audit.models import AuditEntry, AuditQueued
from subsidy.audit.verification import verify_log
from subsidy.extensions import db
from tests.factories import make_applicant, make_program, make_user, registry

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = "CRASH-HEADS"
THREADS = 6
EACH = 25  # submissions per thread, at most
KILL_AFTER = 30  # acknowledged submissions before the kill
REQUEST_TIMEOUT = 10.0
START_TIMEOUT = 30.0
BURST_TIMEOUT = 60.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group, from /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


class Server:
    """gunicorn with two workers in a process group of its own, so that one signal kills all."""

    def __init__(self, env: dict, port: int, log: Path):
        self.env, self.port, self.log = env, port, log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{self.port}"]
        if gunicorn.version_info >= (25, 1):
            command.append("--no-control-socket")
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [*command, "subsidy:create_app()"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"the server exited: {self.log.read_text()[-2000:]}")
            try:
                if request(self.port, "GET", "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        pytest.fail(
            f"the server did not answer in {START_TIMEOUT} s: {self.log.read_text()[-2000:]}"
        )

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def wait_group_gone(self) -> list[int]:
        deadline = time.monotonic() + 10
        while (left := _group_members(self.process.pid)) and time.monotonic() < deadline:
            time.sleep(0.05)
        return left


def request(port: int, method: str, path: str, body=None, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        payload = None if body is None else json.dumps(body)
        sent = {"Content-Type": "application/json", **(headers or {})}
        connection.request(method, path, body=payload, headers=sent)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _seed(app, farms: int) -> tuple[str, list[str]]:
    """A program open today (the server's real date), farms with cattle, an official's token."""
    today = date.today()
    with app.app_context():
        make_program(
            PROGRAM,
            budget="100000000.00",
            threshold="50000.00",
            opens=min(date(2026, 1, 1), today - timedelta(days=30)).isoformat(),
            closes=max(date(2026, 12, 31), today + timedelta(days=30)).isoformat(),
        )
        ids = [make_applicant("peasant_farm").iin_bin for _ in range(farms)]
        registry(livestock=[(iin, "cattle", 20, 20) for iin in ids])
        token, _ = issue_token(user=make_user("official"))
        db.session.commit()
    return token, ids


def _burst(port: int, token: str, farms: list[str], acknowledged: dict, lost: list):
    """Submit for every farm from THREADS threads until the server stops answering."""
    lock = threading.Lock()
    enough = threading.Event()

    def submitter(chunk: list[str]) -> None:
        for iin in chunk:
            body = {"program": PROGRAM, "applicant": iin, "quantity": "10"}
            headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"crash-{iin}"}
            try:
                status, raw = request(port, "POST", "/api/v1/applications", body, headers)
            except (OSError, http.client.HTTPException) as error:
                with lock:
                    lost.append((iin, type(error).__name__))
                return  # the server is gone
            with lock:
                if status == 201:
                    reply = json.loads(raw)
                    acknowledged[reply["id"]] = reply["number"]
                    if len(acknowledged) >= KILL_AFTER:
                        enough.set()
                else:
                    lost.append((iin, status, raw[:200]))

    chunks = [farms[n::THREADS] for n in range(THREADS)]
    threads = [threading.Thread(target=submitter, args=(chunk,), daemon=True) for chunk in chunks]
    for thread in threads:
        thread.start()
    return threads, enough


def _check_the_database(app, acknowledged: dict[int, str], *, queued_allowed: bool) -> dict:
    """Every acknowledged application stored with its two entries, in the log or (right after a
    kill, before anyone ran the sequencer) still in its queue; none without its application."""
    actions = ("application_submitted", "application_evaluated")
    with app.app_context():
        stored = dict(db.session.execute(sa.select(Application.id, Application.number)).all())
        entries = [
            (subject, action, json.loads(canonical)["data"])
            for subject, action, canonical in db.session.execute(
                sa.select(AuditEntry.subject, AuditEntry.action, AuditEntry.canonical).where(
                    AuditEntry.action.in_(actions)
                )
            )
        ]
        queued = [
            (subject, action, json.loads(data))
            for subject, action, data in db.session.execute(
                sa.select(AuditQueued.subject, AuditQueued.action, AuditQueued.data).where(
                    AuditQueued.action.in_(actions)
                )
            )
        ]
        ok, line, size = verify_log()
        db.session.rollback()
    assert ok, line
    if not queued_allowed:
        assert not queued, f"{len(queued)} entries left queued"
    entries += queued
    lost = {i: n for i, n in acknowledged.items() if stored.get(i) != n}
    assert not lost, f"acknowledged but not stored: {lost}"
    logged: dict[str, set[str]] = {}
    numbers = {}
    for subject, action, data in entries:
        logged.setdefault(subject, set()).add(action)
        if action == "application_submitted":
            numbers[subject] = data["number"]
    for application_id, number in stored.items():
        subject = f"application:{application_id}"
        assert logged.get(subject) == {"application_submitted", "application_evaluated"}, subject
        assert numbers[subject] == number
    assert set(logged) == {f"application:{i}" for i in stored}, "log entries without application"
    return {"stored": len(stored), "log_size": size}


def test_a_server_killed_mid_burst_loses_nothing_acknowledged_and_restarts(committed_app, tmp_path):
    database_url = committed_app.config["SQLALCHEMY_DATABASE_URI"]
    token, farms = _seed(committed_app, THREADS * EACH + 1)
    spare = farms.pop()  # submitted after the restart
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("SUBSIDY_") and key != "FLASK_APP"
    }
    env.update(
        SUBSIDY_ENV="development",
        SUBSIDY_DATABASE_URL=database_url,
        SUBSIDY_INSTANCE_PATH=str(tmp_path / "server-instance"),
        SUBSIDY_SECRET_KEY="crash-test-secret",
        SUBSIDY_SIGNING_KEY=committed_app.config["SIGNING_KEY_PATH"],
    )
    port = _free_port()
    server = Server(env, port, tmp_path / "server.log")
    acknowledged: dict[int, str] = {}
    lost: list = []
    started = time.monotonic()
    try:
        server.start()
        threads, enough = _burst(port, token, farms, acknowledged, lost)
        assert enough.wait(BURST_TIMEOUT), f"only {len(acknowledged)} acknowledged"
        server.kill(signal.SIGKILL)
        at_kill = len(acknowledged)
        for thread in threads:
            thread.join(REQUEST_TIMEOUT + 5)
        assert not any(thread.is_alive() for thread in threads)
        assert server.wait_group_gone() == [], "server processes survived SIGKILL"
        assert lost, "the burst ended before the kill: nothing was in flight"
        refused = [item for item in lost if isinstance(item[1], int)]
        assert not refused, f"answers other than 201 before the kill: {refused[:3]}"

        observed = _check_the_database(committed_app, acknowledged, queued_allowed=True)
        verified = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "subsidy", "audit", "verify"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert verified.stdout.startswith("OK ")

        server.start()
        status, raw = request(
            port,
            "POST",
            "/api/v1/applications",
            {"program": PROGRAM, "applicant": spare, "quantity": "10"},
            {"Authorization": f"Bearer {token}"},
        )
        assert status == 201, raw
        acknowledged[json.loads(raw)["id"]] = json.loads(raw)["number"]
        server.kill(signal.SIGTERM)
        # The restarted server integrated what the killed one left queued, and its own.
        after = _check_the_database(committed_app, acknowledged, queued_allowed=False)
        assert after["stored"] == observed["stored"] + 1
        print(
            f"\ncrash safety ({committed_app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}): "
            f"{at_kill} acknowledged at the kill, {len(acknowledged) - 1} in all, "
            f"{observed['stored']} stored; unanswered: {Counter(error for _, error in lost)}; "
            f"log {observed['log_size']} entries verified; {time.monotonic() - started:.1f} s"
        )
    finally:
        server.kill(signal.SIGKILL)
