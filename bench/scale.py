"""Latency at scale, over HTTP against a real gunicorn: each figure is a p95 against the p95 of
``GET /healthz`` measured by the same clients just before it, in the same run.

One PostgreSQL database of the benchmark's own (``subsidy_bench_scale``, dropped at the end)
holds a bulk-loaded log of ``BENCH_LOG_ENTRIES`` entries (1,000,000) and, after the demo seed,
``BENCH_APPLICATIONS`` applications (1,000,000) spread over the demo programs and a few thousand
applicants, a tenth of them decided with a stub decision document each. Measured: inclusion and
consistency proofs (a few verified client-side against signed checkpoints), the officials' queue
page, the API list, the public register page and its JSON API.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import sys
import tempfile
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa

from bench.audit_db import bulk_load, drop_database, fresh_postgres_database, make_app
from bench.audit_verify import ENTRIES, synthetic_entry
from bench.common import Figure, p95
from bench.scale_data import load_applications
from bench.servers import Server
from subsidy.accounts.models import User
from subsidy.accounts.services import issue_token
from subsidy.audit import merkle
from subsidy.audit.models import AuditCheckpoint
from subsidy.demo.seed import seed
from subsidy.extensions import db
from subsidy.programs.queries import current_versions

APPLICATIONS = int(os.environ.get("BENCH_APPLICATIONS", "1000000"))
THREADS = 4
EACH = int(os.environ.get("BENCH_SCALE_REQUESTS", "75"))  # per thread and figure
FIGURE_SECONDS = 45.0  # a slow page is cut short rather than run for minutes
REQUEST_TIMEOUT = 30.0
START_TIMEOUT = 60.0
GOAL = "p95 <= 2x /healthz"
ROOT = Path(__file__).resolve().parent.parent
DATABASE = "subsidy_bench_scale"
OFFICIAL = ("official", "official-demo-2026")
# i % 20 -> status: 1 in 20 approved, 1 in 20 rejected (each with a document), ...

# --- the server and its clients --------------------------------------------------------------


class Client:
    """One keep-alive connection; reconnects once if the server closed it."""

    def __init__(self, port: int, headers: dict | None = None):
        self.port, self.headers = port, dict(headers or {})
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)

    def request(self, method: str, path: str, body: str | None = None, headers=None):
        sent = {**self.headers, **(headers or {})}
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=body, headers=sent)
                response = self.connection.getresponse()
                return response.status, response.read(), response
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def get(self, path: str):
        return self.request("GET", path)

    def close(self) -> None:
        self.connection.close()


def login_cookie(port: int, username: str, password: str) -> str:
    """Sign in through the login form as a browser would: CSRF token and session cookie."""
    client = Client(port)
    try:
        status, body, response = client.get("/login")
        cookie = SimpleCookie(response.getheader("Set-Cookie"))["session"].value
        token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', body).group(1)
        form = urlencode({"username": username, "password": password, "csrf_token": token.decode()})
        status, _, response = client.request(
            "POST",
            "/login",
            form,
            {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"session={cookie}"},
        )
        if status != 302:
            raise RuntimeError(f"login as {username} answered {status}")
        return f"session={SimpleCookie(response.getheader('Set-Cookie'))['session'].value}"
    finally:
        client.close()


def latencies(port: int, paths, headers: dict | None = None) -> list[float]:
    """Seconds per request of ``THREADS`` keep-alive clients, ``EACH`` requests each (fewer if
    ``FIGURE_SECONDS`` run out); ``paths()`` gives the next path. Any non-200 fails the run."""
    times: list[float] = []
    failures: list[str] = []
    deadline = time.monotonic() + FIGURE_SECONDS
    lock = threading.Lock()

    def work() -> None:
        client = Client(port, headers)
        try:
            for _ in range(3):  # warm the connection and the worker
                client.get(paths())
            for _ in range(EACH):
                if time.monotonic() > deadline:
                    break
                path = paths()
                start = time.perf_counter()
                status, body, _ = client.get(path)
                elapsed = time.perf_counter() - start
                if status != 200:
                    failures.append(f"{path}: {status} {body[:200]!r}")
                    return
                with lock:
                    times.append(elapsed)
        except Exception as error:  # reported below, not swallowed
            failures.append(repr(error))
        finally:
            client.close()

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(FIGURE_SECONDS + 2 * REQUEST_TIMEOUT)
    if failures:
        raise RuntimeError(failures[0])
    return times


def figure(port: int, name: str, paths, headers: dict | None = None) -> Figure:
    """p95 of ``paths`` against p95 of /healthz, with the same clients, just before it."""
    baseline = p95(latencies(port, lambda: "/healthz", headers))
    measured = latencies(port, paths, headers)
    return Figure(f"{name} (n={len(measured)})", 1000 * p95(measured), 1000 * baseline, "ms", GOAL)


# --- the figures -----------------------------------------------------------------------------


def proof_figures(port: int, roots: dict[int, bytes]) -> list[Figure]:
    """Proofs against the latest checkpoint; a few verified here against signed roots."""
    size = max(roots)
    rng = random.Random(7)
    client = Client(port)
    try:
        for index in rng.sample(range(min(ENTRIES, size)), 5):
            _, body, _ = client.get(
                f"/api/v1/audit/proofs/inclusion?index={index}&tree_size={size}"
            )
            path = [bytes.fromhex(node) for node in json.loads(body)["path"]]
            leaf = merkle.leaf_hash(synthetic_entry(index))
            if not merkle.verify_inclusion(leaf, index, size, path, roots[size]):
                raise AssertionError(f"inclusion proof of entry {index} does not verify")
        for first in rng.sample(sorted(roots), 5):
            _, body, _ = client.get(f"/api/v1/audit/proofs/consistency?first={first}&second={size}")
            path = [bytes.fromhex(node) for node in json.loads(body)["path"]]
            if not merkle.verify_consistency(first, size, roots[first], roots[size], path):
                raise AssertionError(f"consistency proof {first} -> {size} does not verify")
    finally:
        client.close()
    return [
        figure(
            port,
            f"inclusion proof, {size:,}-entry log",
            lambda: f"/api/v1/audit/proofs/inclusion?index={rng.randrange(size)}&tree_size={size}",
        ),
        figure(
            port,
            f"consistency proof, {size:,}-entry log",
            lambda: f"/api/v1/audit/proofs/consistency?first={rng.randint(1, size)}&second={size}",
        ),
    ]


def _second_page(port: int, path: str, headers: dict, pattern: bytes) -> str:
    client = Client(port, headers)
    try:
        status, body, _ = client.get(path)
    finally:
        client.close()
    found = re.search(pattern, body)
    if status != 200 or found is None:
        raise RuntimeError(f"{path}: {status}, no next cursor")
    joiner = "&" if "?" in path else "?"
    return f"{path}{joiner}cursor={found.group(1).decode()}"


def page_figures(port: int, token: str, program: str) -> list[Figure]:
    session = {"Cookie": login_cookie(port, *OFFICIAL)}
    bearer = {"Authorization": f"Bearer {token}"}
    filtered = f"/applications?status=submitted&program={program}"
    second = _second_page(port, filtered, session, rb"cursor=(\d+)")
    api_second = _second_page(port, "/api/v1/applications?limit=50", bearer, rb'"next": ?(\d+)')
    pages = [
        ("/applications (queue page)", "/applications", session),
        ("/applications?status&program", filtered, session),
        ("/applications?status&program&cursor", second, session),
        ("/api/v1/applications?limit=50", "/api/v1/applications?limit=50", bearer),
        ("/api/v1/applications?limit=50&cursor", api_second, bearer),
        ("/transparency (public register)", "/transparency", {}),
        ("/api/v1/transparency/decisions", "/api/v1/transparency/decisions", {}),
    ]
    return [figure(port, name, lambda path=path: path, headers) for name, path, headers in pages]


def _prepare(url: str, folder: Path) -> tuple[str, dict[int, bytes], str]:
    """Load everything; the official's API token, the signed roots and a program's code."""
    app = make_app(url, folder)
    with app.app_context():
        started = time.perf_counter()
        bulk_load(ENTRIES)
        seed()
        db.session.commit()
        _progress(f"log of {ENTRIES:,} entries and demo data", started)
        started = time.perf_counter()
        load_applications(APPLICATIONS)
        _progress(f"{APPLICATIONS:,} applications", started)
        official = db.session.execute(sa.select(User).filter_by(username=OFFICIAL[0])).scalar_one()
        token, _ = issue_token(user=official)
        program = current_versions()[0].program.code
        db.session.commit()
        roots = dict(
            db.session.execute(sa.select(AuditCheckpoint.tree_size, AuditCheckpoint.root_hash))
            .tuples()
            .all()
        )
        db.session.commit()
        db.engine.dispose()
    return token, roots, program


def _progress(what: str, started: float) -> None:
    print(f"scale: {what} loaded in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def run() -> list[Figure]:
    server_url = os.environ.get(
        "SUBSIDY_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    url = fresh_postgres_database(server_url, DATABASE)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            token, roots, program = _prepare(url, folder)
            env = {
                **os.environ,
                "SUBSIDY_DATABASE_URL": url,
                "SUBSIDY_INSTANCE_PATH": str(folder),
                "SUBSIDY_SECRET_KEY": "bench-scale",
                "SUBSIDY_SIGNING_KEY": str(folder / "signing_key.pem"),
            }
            env.pop("SUBSIDY_MIGRATE_DATABASE_URL", None)
            with Server(
                "subsidy:create_app()", env, folder / "gunicorn.log", START_TIMEOUT
            ) as server:
                return proof_figures(server.port, roots) + page_figures(server.port, token, program)
    finally:
        drop_database(server_url, DATABASE)
