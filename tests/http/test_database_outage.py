"""While the database is down every request answers 503 with Retry-After and one log line (no
traceback), and the service recovers by itself when the database is back (issue 19: it
answered 500 with a traceback per request).

PostgreSQL: the app reaches the test database through a TCP gate of the test's own; closing
it refuses new connections and cuts the open ones, as a crashed or restarted server does.
SQLite: the database file is reached through a link that the test removes and puts back,
with no pooled connection (an open one would keep the file)."""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from subsidy.extensions import db
from subsidy.outage import RETRY_AFTER_SECONDS
from tests.conftest import IsolatedClient, make_app


class Gate:
    """A TCP relay from a local port to the database; ``close`` drops every connection and
    refuses new ones, ``open`` listens again on the same port."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = 0
        self._listener: socket.socket | None = None
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._selector = selectors.DefaultSelector()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._relay, daemon=True)
        self.open()
        self._thread.start()

    def open(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        listener.setblocking(False)
        self.port = listener.getsockname()[1]
        with self._lock:
            self._listener = listener
            self._selector.register(listener, selectors.EVENT_READ, None)

    def close(self) -> None:
        with self._lock:
            if self._listener is not None:
                self._selector.unregister(self._listener)
                self._listener.close()
                self._listener = None
            for pair in self._pairs:
                for side in pair:
                    with contextlib.suppress(KeyError, ValueError):
                        self._selector.unregister(side)
                    with contextlib.suppress(OSError):
                        side.shutdown(socket.SHUT_RDWR)
                    side.close()
            self._pairs.clear()

    def stop(self) -> None:
        self.close()
        self._stop.set()
        self._thread.join(timeout=5)

    def _relay(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                events = self._selector.select(timeout=0.05) if self._selector.get_map() else []
                for key, _ in events:
                    if key.data is None:
                        self._accept(key.fileobj)
                    else:
                        self._forward(key.fileobj, key.data)
            if not events:
                self._stop.wait(0.01)

    def _accept(self, listener) -> None:
        with contextlib.suppress(BlockingIOError):
            client, _ = listener.accept()
            server = socket.create_connection(self.target)
            self._pairs.append((client, server))
            self._selector.register(client, selectors.EVENT_READ, server)
            self._selector.register(server, selectors.EVENT_READ, client)

    def _forward(self, source, destination) -> None:
        try:
            data = source.recv(65536)
        except OSError:
            data = b""
        if data:
            with contextlib.suppress(OSError):
                destination.sendall(data)
            return
        for side in (source, destination):  # one end hung up: so does the other
            with contextlib.suppress(KeyError, ValueError):
                self._selector.unregister(side)
            side.close()
        self._pairs = [pair for pair in self._pairs if source not in pair]


@contextlib.contextmanager
def _outage_app(backend, migrated_app, tmp_path):
    """An app on the migrated test database, and the switch that takes that database away."""
    url = sa.engine.make_url(migrated_app.config["SQLALCHEMY_DATABASE_URI"])
    if backend == "postgresql":
        gate = Gate((url.host or "127.0.0.1", url.port or 5432))
        app = make_app(url.set(host="127.0.0.1", port=gate.port), tmp_path)
        try:
            yield app, gate.close, gate.open
        finally:
            with app.app_context():
                db.engine.dispose()
            gate.stop()
        return
    folder, real = tmp_path / "reached-through", Path(url.database or "")
    folder.symlink_to(real.parent)
    app = make_app(
        f"sqlite:///{folder / real.name}",
        tmp_path,
        SQLALCHEMY_ENGINE_OPTIONS={"poolclass": NullPool},
    )
    try:
        yield app, folder.unlink, lambda: folder.symlink_to(real.parent)
    finally:
        with app.app_context():
            db.engine.dispose()


def _client(app):
    app.test_client_class = IsolatedClient
    return app.test_client()


REQUESTS = [
    ("GET", "/api/v1/programs", None),
    ("GET", "/api/v1/districts", None),
    ("POST", "/api/v1/auth/token", {"username": "official", "password": "x"}),  # no login_failed
    ("GET", "/api/v1/applications", None),  # a bearer token looked up in the database
    ("GET", "/", None),
    ("GET", "/transparency", None),
]


def _records(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.levelno >= logging.WARNING]


def test_while_the_database_is_down_requests_answer_503_and_it_recovers(
    backend, migrated_app, tmp_path, caplog
):
    with _outage_app(backend, migrated_app, tmp_path) as (app, take_down, bring_back):
        client = _client(app)
        assert client.get("/api/v1/programs").status_code == 200
        take_down()
        for method, path, body in REQUESTS:
            caplog.clear()
            headers = {"Authorization": "Bearer not-a-real-token"}
            response = client.open(path, method=method, json=body, headers=headers)
            assert response.status_code == 503, (path, response.status_code, response.data[:300])
            assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
            if path.startswith("/api/"):
                assert response.json["code"] == "unavailable"
                assert set(response.json) == {"code", "message", "errors"}
            else:
                assert "try again" in response.text.lower()
            records = _records(caplog)
            assert len(records) == 1, [record.getMessage() for record in records]
            assert records[0].exc_info is None
            assert "\n" not in records[0].getMessage()
            assert records[0].getMessage().startswith(f"database unavailable: {method} {path}: ")
        health = client.get("/healthz")
        assert health.status_code == 503 and "Retry-After" in health.headers
        bring_back()  # (nothing is written after: this app's commits would be real)
        assert client.get("/api/v1/programs").status_code == 200
        assert client.get("/healthz").status_code == 200
        assert client.get("/").status_code == 200


def test_a_database_that_never_answered_is_a_503_too(backend, tmp_path, caplog):
    if backend == "postgresql":
        with socket.socket() as probe:  # a port nothing listens on
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/nowhere"
    else:
        url = f"sqlite:///{tmp_path / 'missing' / 'folder' / 'subsidy.db'}"
    app = make_app(url, tmp_path)
    client = _client(app)
    for path in ("/api/v1/programs", "/"):
        caplog.clear()
        response = client.get(path)
        assert response.status_code == 503
        assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
        assert len(_records(caplog)) == 1


def test_a_database_host_that_never_answers_is_a_503_within_the_connect_timeout(tmp_path, caplog):
    """A host that takes the connection and then says nothing (a firewall dropping packets, a
    frozen server): without libpq's connect_timeout the request would wait for the kernel's TCP
    timeout, minutes, holding its worker. (PostgreSQL only, and no server needed: SQLite opens a
    file.)"""
    with socket.socket() as silent:  # listens, never accepts, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/silent"
        app = make_app(url, tmp_path, DATABASE_CONNECT_TIMEOUT=1)
        assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {"connect_timeout": 1}
        response = _client(app).get("/api/v1/programs")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert len(_records(caplog)) == 1


@pytest.mark.parametrize("value", ["0", "abc", "5s", "301", "٥"])
def test_a_connect_timeout_that_is_not_a_number_of_seconds_stops_the_app(
    value, tmp_path, monkeypatch
):
    monkeypatch.setenv("SUBSIDY_DATABASE_CONNECT_TIMEOUT", value)
    with pytest.raises(ValueError, match="SUBSIDY_DATABASE_CONNECT_TIMEOUT"):
        make_app("postgresql+psycopg://postgres@127.0.0.1:1/none", tmp_path)
    monkeypatch.setenv("SUBSIDY_DATABASE_CONNECT_TIMEOUT", "2")
    app = make_app("postgresql+psycopg://postgres@127.0.0.1:1/none", tmp_path)
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {"connect_timeout": 2}
