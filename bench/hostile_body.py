"""Server time of a hostile JSON body against a 1 KB body of the same shape, in one run.

The attack of issue 19 sent anonymous ``POST /api/v1/auth/token`` and ``/api/v1/documents/verify``
a 9.6 MB JSON object of 800,000 keys: each cost 10.5-11.6 s of a worker's CPU (26-29 s on the
2-core test box) before its 422, as the whole body was parsed, walked and reported key by key.
Now a route takes a few KB there and refuses a larger ``Content-Length`` before reading a byte;
a route that takes 1 MB parses with limits (:mod:`subsidy.json_limits`), so a 1 MB body of many
keys is refused by the parser. Goal: the 9.6 MB body answered in under 100 ms.

Server time is the WSGI call (the request parsed, routed, answered and its body sent), timed by
a middleware around the app, in process on an embedded SQLite database; the bodies are built
before. ``python -m bench.hostile_body``; ``BENCH_HOSTILE_RUNS`` (default 7) sets the runs.
"""

from __future__ import annotations

import io
import os
import tempfile
import time
from pathlib import Path

from bench.common import Figure

RUNS = int(os.environ.get("BENCH_HOSTILE_RUNS", "7"))
GOAL = "< 100 ms"


def many_keys(count: int) -> bytes:
    return b"{" + b",".join(b'"%07d":1' % n for n in range(count)) + b"}"


class Timed:
    """The WSGI app, remembering how long its last call took (the response's body included)."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.last = 0.0

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        body = b"".join(self.wsgi_app(environ, start_response))
        self.last = time.perf_counter() - started
        return [body]


def _app(folder: Path):
    from flask_migrate import upgrade

    from subsidy import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.db'}",
            "INSTANCE_PATH": folder,
            "SIGNING_KEY_PATH": str(folder / "signing_key.pem"),
            "SECRET_KEY": "bench",
            "RATELIMIT_ENABLED": False,  # the limiter would answer 429 before the body matters
        }
    )
    with app.app_context():
        upgrade()
    return app


def _server_time(app, timed: Timed, url: str, body: bytes) -> tuple[float, int]:
    client = app.test_client()
    best, status = float("inf"), 0
    for _ in range(RUNS):
        response = client.post(
            url,
            input_stream=io.BytesIO(body),
            content_type="application/json",
            headers={"Content-Length": str(len(body))},
        )
        status = response.status_code
        best = min(best, timed.last)
    return best, status


def run() -> list[Figure]:
    small, huge, near_limit = many_keys(80), many_keys(800_000), many_keys(80_000)
    with tempfile.TemporaryDirectory() as folder:
        app = _app(Path(folder))
        timed = Timed(app.wsgi_app)
        app.wsgi_app = timed
        figures = []
        cases = [
            ("/api/v1/auth/token", huge, "9.6 MB, 800,000 keys"),
            ("/api/v1/documents/verify", huge, "9.6 MB, 800,000 keys"),
            ("/api/v1/applications", near_limit, "0.96 MB, 80,000 keys"),
        ]
        for url, body, label in cases:
            _server_time(app, timed, url, small)  # warm: imports, the first connection
            baseline, small_status = _server_time(app, timed, url, small)
            value, status = _server_time(app, timed, url, body)
            figures.append(
                Figure(
                    f"POST {url.removeprefix('/api/v1')} {label} ({status} vs {small_status})",
                    value * 1000,
                    baseline * 1000,
                    "ms",
                    GOAL,
                )
            )
        return figures


if __name__ == "__main__":
    from bench.common import print_table

    print_table(run())
