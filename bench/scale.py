"""Latency at scale, over HTTP against a real gunicorn: each figure is a p95 against the p95 of
``GET /healthz`` measured by the same clients just before it, in the same run.

One PostgreSQL database of the benchmark's own (``subsidy_bench_scale``, dropped at the end)
holds a bulk-loaded log of ``BENCH_LOG_ENTRIES`` entries (1,000,000) and, after the demo seed,
``BENCH_APPLICATIONS`` applications (1,000,000) spread over the demo programs and a few thousand
applicants, a tenth of them decided with a stub decision document each. Measured: inclusion and
consistency proofs (a few verified client-side against signed checkpoints), the officials' queue
page, the API list, the public register page and its JSON API; and the log as C2SP tlog-tiles
(``/log/tile``: full level-0 and level-1 tiles, gzipped full entry bundles, the rightmost partial
tile; the latest checkpoint's root recomputed client-side from tiles alone), also on SQLite, on a
log-only database of the same size (tiles read the log, nothing else).
"""

from __future__ import annotations

import gzip
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
from subsidy.audit.tiles import TILE_HEIGHT, TILE_WIDTH, Tile, partial_tiles
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


class _TileFetcher:
    """A tlog-tiles client of a log whose latest checkpoint has ``size`` entries: it fetches
    the tiles that size requires, each once (full ones, else the partial of that size's width)."""

    def __init__(self, port: int, size: int):
        self.client, self.size, self.tiles = Client(port, {"Accept-Encoding": "gzip"}), size, {}

    def get(self, tile: Tile) -> bytes:
        if tile not in self.tiles:
            status, body, response = self.client.get(f"/log/{tile.path()}")
            if status != 200:
                raise AssertionError(f"/log/{tile.path()}: {status} {body[:200]!r}")
            if response.getheader("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            self.tiles[tile] = body
        return self.tiles[tile]

    def hashes(self, level: int, first: int, count: int) -> list[bytes]:
        """Hashes ``first .. first+count-1`` of tile level ``level`` (inside one tile)."""
        index, offset = divmod(first, TILE_WIDTH)
        have = self.size >> (TILE_HEIGHT * level)
        width = min(TILE_WIDTH, have - index * TILE_WIDTH)
        data = self.get(Tile(level, index, width))
        return [data[32 * i : 32 * i + 32] for i in range(offset, offset + count)]

    def node(self, level: int, index: int) -> bytes:
        """Merkle node ``(level, index)``: 2**(level % 8) hashes of tile level level // 8."""
        tile_level, rest = divmod(level, TILE_HEIGHT)
        return merkle.root_from_leaf_hashes(self.hashes(tile_level, index << rest, 1 << rest))


def _check_tiles(port: int, roots: dict[int, bytes]) -> None:
    """A few full tiles and bundles against the bulk-loaded entries; the latest checkpoint's
    root from tiles alone (its partial tiles included); level-1 hashes against level-0 tiles."""
    size = max(roots)
    fetcher = _TileFetcher(port, size)
    try:
        rng = random.Random(11)
        for index in rng.sample(range(min(ENTRIES, size) // TILE_WIDTH), 3):
            entries = [synthetic_entry(i) for i in range(index * 256, (index + 1) * 256)]
            bundle = fetcher.get(Tile(0, index, entries=True))
            expected = b"".join(len(e).to_bytes(2, "big") + e for e in entries)
            if bundle != expected:
                raise AssertionError(f"entry bundle {index} is not the log's entries")
            if fetcher.hashes(0, index * 256, 256) != [merkle.leaf_hash(e) for e in entries]:
                raise AssertionError(f"level-0 tile {index} is not the entries' leaf hashes")
        if size >= TILE_WIDTH:
            level1 = fetcher.hashes(1, 0, 1)[0]
            if level1 != merkle.root_from_leaf_hashes(fetcher.hashes(0, 0, 256)):
                raise AssertionError("level-1 hash 0 is not the MTH of level-0 tile 0")
        if merkle.hash_range(0, size, fetcher.node) != roots[size]:
            raise AssertionError(f"the root from tiles is not the signed root at {size}")
    finally:
        fetcher.client.close()


def tile_figures(port: int, roots: dict[int, bytes], where: str) -> list[Figure]:
    """``/log/tile`` as a tlog-tiles client fetches it, against /healthz."""
    _check_tiles(port, roots)
    size = max(roots)
    rng = random.Random(13)
    full0, full1 = size // TILE_WIDTH, size // TILE_WIDTH**2
    rightmost = partial_tiles(size)[0]  # the level-0 one, or the lowest partial level
    rightmost_path = f"/log/{rightmost.path()}"
    partial1 = next((tile for tile in partial_tiles(size) if tile.level == 1), None)
    level1 = (
        (lambda: f"/log/{Tile(1, rng.randrange(full1)).path()}")
        if full1
        else (lambda: f"/log/{partial1.path()}")
    )
    gzipped = {"Accept-Encoding": "gzip"}
    return [
        figure(
            port,
            f"/log/tile/0/<N> random full, {size:,}-entry log, {where}",
            lambda: f"/log/{Tile(0, rng.randrange(full0)).path()}",
        ),
        figure(port, f"/log/tile/1/<N> {'full' if full1 else 'partial'}, {where}", level1),
        figure(
            port,
            f"/log/tile/entries/<N> random full, gzip, {where}",
            lambda: f"/log/{Tile(0, rng.randrange(full0), entries=True).path()}",
            gzipped,
        ),
        figure(port, f"/log/{rightmost.path()} (rightmost), {where}", lambda: rightmost_path),
    ]


def sqlite_tile_figures() -> list[Figure]:
    """The tile figures on SQLite: the same log, alone in a database file of its own."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'scale.db'}"
        app = make_app(url, folder)
        with app.app_context():
            started = time.perf_counter()
            bulk_load(ENTRIES)
            _progress(f"log of {ENTRIES:,} entries on SQLite", started)
            roots = _signed_roots()
            db.session.commit()
            db.engine.dispose()
        with _server(url, folder) as server:
            return tile_figures(server.port, roots, "SQLite")


def _server(url: str, folder: Path) -> Server:
    """gunicorn serving the app on the database ``url``, its instance in ``folder``."""
    env = {
        **os.environ,
        "SUBSIDY_DATABASE_URL": url,
        "SUBSIDY_INSTANCE_PATH": str(folder),
        "SUBSIDY_SECRET_KEY": "bench-scale",
        "SUBSIDY_SIGNING_KEY": str(folder / "signing_key.pem"),
    }
    env.pop("SUBSIDY_MIGRATE_DATABASE_URL", None)
    return Server("subsidy:create_app()", env, folder / "gunicorn.log", START_TIMEOUT)


def _signed_roots() -> dict[int, bytes]:
    rows = db.session.execute(sa.select(AuditCheckpoint.tree_size, AuditCheckpoint.root_hash))
    return dict(rows.tuples().all())


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
        roots = _signed_roots()
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
            with _server(url, folder) as server:
                figures = [
                    *proof_figures(server.port, roots),
                    *page_figures(server.port, token, program),
                    *tile_figures(server.port, roots, "PostgreSQL"),
                ]
    finally:
        drop_database(server_url, DATABASE)
    return figures + sqlite_tile_figures()
