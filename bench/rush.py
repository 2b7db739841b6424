"""Opening day: many officials' clients submitting at once to real gunicorn servers on PostgreSQL.

1. Rush: ``CLIENTS`` keep-alive clients submit one application each for distinct applicants to one
   server (2 workers × 4 threads); the baseline is ``bench.bare_app`` (one row inserted per POST)
   served the same way against the same database, hit by the same load. Rounds alternate and the
   best round of each counts. Checked: every answer is 201, and first come is kept — whenever one
   submission was acknowledged before another was sent, it has the smaller id, number and log
   index. While the service runs, ``pg_locks`` is sampled to see how busy the log lock is (held
   now by the sequencer's batches, not by the submissions, which take their funding group's).
2. Scale-out: two servers on one database, clients spread over both; submissions, then two
   officials approving concurrently on a budget that covers only part of them. Checked: no answer
   other than 200/201 and the 409s of a full budget, committed ≤ budget and equal to the sum
   approved, the log verifies and has no gaps.

Everything runs in a database of its own (``subsidy_bench_rush``) on the server of
``SUBSIDY_BENCH_POSTGRES_URL``, dropped at the end; servers run in process groups killed at the end.
"""

from __future__ import annotations

import bisect
import http.client
import json
import os
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from bench import bare_app
from bench.audit_db import drop_database, fresh_postgres_database, make_app
from bench.common import Figure, p95
from bench.servers import Server

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_URL = os.environ.get(
    "SUBSIDY_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
DATABASE = "subsidy_bench_rush"
CLIENTS = int(os.environ.get("BENCH_RUSH_CLIENTS", "24"))
PER_ROUND = int(os.environ.get("BENCH_RUSH_SUBMISSIONS", "300"))
ROUNDS = 2
SCALE_EACH = int(os.environ.get("BENCH_RUSH_SCALE", "150"))  # submissions per scale-out setup
LOCK_SAMPLES = 100  # sequential in-process submissions timed under the log lock
APPROVERS = 4  # client threads per official
BUDGET_SHARE = Decimal("0.6")  # of everything requested in the scale-out program
RATE = Decimal("1000")
REQUEST_TIMEOUT = 15.0
START_TIMEOUT = 30.0
ROUND_TIMEOUT = 90.0
RUSH, SCALE = "RUSH-HEADS", "SCALE-HEADS"
SUBMIT = "/api/v1/applications"


@dataclass
class Reply:
    key: str
    sent: float
    acked: float
    status: int
    body: dict


# --- servers -------------------------------------------------------------------------------


def server_env(url: str, folder: Path, signing_key: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SUBSIDY_", "FLASK_"))}
    env.update(
        SUBSIDY_ENV="development",
        SUBSIDY_DATABASE_URL=url,
        SUBSIDY_INSTANCE_PATH=str(folder / "server-instance"),
        SUBSIDY_SECRET_KEY="bench-rush-shared-secret",
        SUBSIDY_SIGNING_KEY=signing_key,
        SUBSIDY_RATELIMIT_STORAGE_URI="memory://",
        BENCH_BARE_DATABASE_URL=url,
    )
    return env


# --- clients -------------------------------------------------------------------------------


def drive(ports: list[int], requests: list[tuple], clients: int = CLIENTS):
    """Send ``(key, method, path, body, headers)`` from ``clients`` keep-alive connections spread
    over ``ports``, each taking the next request when its previous one is answered.
    Returns (replies, seconds from the start signal to the last answer)."""
    lock = threading.Lock()
    pending = iter(requests)
    replies: list[Reply] = []
    start = threading.Barrier(clients + 1, timeout=START_TIMEOUT)
    deadline = time.monotonic() + ROUND_TIMEOUT

    def client(n: int) -> None:
        connection = http.client.HTTPConnection(
            "127.0.0.1", ports[n % len(ports)], timeout=REQUEST_TIMEOUT
        )
        mine: list[Reply] = []
        try:
            connection.request("GET", "/healthz")  # open the connection before the clock starts
            connection.getresponse().read()
            start.wait()
            while time.monotonic() < deadline:
                with lock:
                    item = next(pending, None)
                if item is None:
                    break
                mine.append(_send(connection, *item))
        except threading.BrokenBarrierError:
            pass
        except (OSError, http.client.HTTPException):
            start.abort()
        finally:
            connection.close()
            with lock:
                replies.extend(mine)

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()) + REQUEST_TIMEOUT)
    elapsed = time.perf_counter() - began
    if any(thread.is_alive() for thread in threads):
        raise RuntimeError("clients still running after the round's deadline")
    return replies, elapsed


def _send(connection, key, method, path, body, headers) -> Reply:
    sent = time.perf_counter()
    try:
        connection.request(method, path, body=json.dumps(body), headers=headers)
        response = connection.getresponse()
        acked = time.perf_counter()
        raw = response.read()
    except (OSError, http.client.HTTPException) as error:
        connection.close()  # reopened by the next request
        return Reply(key, sent, time.perf_counter(), 0, {"code": type(error).__name__})
    return Reply(key, sent, acked, response.status, json.loads(raw) if raw else {})


def p95_ms(replies: list[Reply]) -> float:
    return p95([reply.acked - reply.sent for reply in replies]) * 1000


def submissions(token: str, program: str, applicants: list[tuple[str, str]]) -> list[tuple]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return [
        (iin, "POST", SUBMIT, {"program": program, "applicant": iin, "quantity": q}, headers)
        for iin, q in applicants
    ]


def bare_rows(applicants: list[tuple[str, str]]) -> list[tuple]:
    headers = {"Content-Type": "application/json"}
    return [
        (iin, "POST", "/rows", {"program": RUSH, "applicant": iin, "quantity": q}, headers)
        for iin, q in applicants
    ]


# --- data ----------------------------------------------------------------------------------


def new_iins(count: int) -> list[str]:
    from subsidy.applicants.ids import make_iin

    found: list[str] = []
    for serial in range(10_000):
        for year in (1971, 1983):
            iin = make_iin(date(year, 4, 9), female=False, serial=serial)
            if iin:
                found.append(iin)
        if len(found) >= count:
            return found[:count]
    raise ValueError(f"only {len(found)} IINs")


def _program(code: str, budget: Decimal):
    from subsidy.programs.definition import parse_program
    from subsidy.programs.services import load_program

    today = date.today()
    definition = parse_program(
        {
            "code": code,
            "name": {"ru": code, "kk": code, "en": code},
            "window": {"opens": today - timedelta(days=30), "closes": today + timedelta(days=30)},
            "applicant_kinds": ["peasant_farm"],
            "unit": "head",
            "rate": str(RATE),
            "max_amount_per_applicant": f"{budget:.2f}",
            "budget": f"{budget:.2f}",
            "second_approval_above": f"{budget:.2f}",  # one official decides
            "criteria": [
                {"rule": "min_livestock_heads", "params": {"species": "cattle", "min": 5}},
                {"rule": "no_tax_arrears"},
                {"rule": "quantity_within_registry"},
                {"rule": "no_double_funding"},
                {"rule": "one_application_per_applicant"},
            ],
        }
    )
    load_program(definition=definition, actor="bench")


def seed(app, rush_count: int, scale_count: int) -> dict:
    """Two programs, eligible farms (20 cattle, no arrears) and two officials with tokens."""
    from subsidy.accounts.services import create_user, issue_token
    from subsidy.applicants.services import create_applicant
    from subsidy.districts.queries import all_districts
    from subsidy.extensions import db
    from subsidy.registry.services import import_extract

    iins = new_iins(rush_count + scale_count)
    rush = [(iin, "10") for iin in iins[:rush_count]]
    scale = [(iin, str(5 + n % 11)) for n, iin in enumerate(iins[rush_count:])]
    budget = (sum(Decimal(q) for _, q in scale) * RATE * BUDGET_SHARE).quantize(Decimal("1"))
    with app.app_context():
        _program(RUSH, Decimal("1000000000"))
        _program(SCALE, budget)
        district = all_districts()[0].code
        for iin in iins:
            create_applicant(
                kind="peasant_farm", iin_bin=iin, name=f"КХ {iin}", district=district, actor="bench"
            )
        for kind, row in (
            (
                "livestock",
                lambda iin: {
                    "iin_bin": iin,
                    "species": "cattle",
                    "heads": 20,
                    "identified_heads": 20,
                },
            ),
            ("tax", lambda iin: {"iin_bin": iin, "arrears": Decimal("0")}),
        ):
            import_extract(
                kind=kind,
                rows=[row(iin) for iin in iins],
                source_name=f"bench-{kind}.csv",
                source_sha256="0" * 64,
                as_of=date.today(),
                actor="bench",
            )
        tokens = []
        for name in ("official_a", "official_b"):
            user = create_user(
                username=name, password="bench rush password", role="official", actor="bench"
            )
            tokens.append(issue_token(user=user)[0])
        db.session.commit()
    return {"rush": rush, "scale": scale, "budget": budget, "tokens": tokens}


# --- checks --------------------------------------------------------------------------------


def submission_log_index(app) -> dict[int, int]:
    from subsidy.audit.models import AuditEntry
    from subsidy.extensions import db

    with app.app_context():
        rows = db.session.execute(
            sa.select(AuditEntry.subject, AuditEntry.entry_index).where(
                AuditEntry.action == "application_submitted"
            )
        ).all()
        db.session.rollback()
    return {int(subject.split(":")[1]): index for subject, index in rows}


def order_violations(replies: list[Reply], log_index: dict[int, int]) -> int:
    """Pairs (a, b) where a was acknowledged before b was sent, yet a's id, number or log index
    is not smaller than b's."""
    done = sorted((r for r in replies if r.status == 201), key=lambda r: r.acked)
    acks = [r.acked for r in done]
    keys = [(r.body["id"], r.body["number"], log_index[r.body["id"]]) for r in done]
    count = 0
    for b in done:
        ahead = bisect.bisect_left(acks, b.sent)
        bid, bnumber, blog = b.body["id"], b.body["number"], log_index[b.body["id"]]
        count += sum(
            1
            for aid, anumber, alog in keys[:ahead]
            if aid >= bid or anumber >= bnumber or alog >= blog
        )
    return count


def errors(replies: list[Reply], expected: int = 201) -> list[tuple]:
    return [(r.key, r.status, r.body.get("code")) for r in replies if r.status != expected]


def budget_and_log(app, program_code: str) -> dict:
    from subsidy.applications.models import Application, Status
    from subsidy.audit.models import AuditEntry
    from subsidy.audit.verification import verify_log
    from subsidy.extensions import db
    from subsidy.programs.models import Program

    with app.app_context():
        program = db.session.execute(sa.select(Program).where(Program.code == program_code))
        program = program.scalar_one()
        approved = db.session.execute(
            sa.select(
                sa.func.count(), sa.func.coalesce(sa.func.sum(Application.approved_amount), 0)
            ).where(Application.program_id == program.id, Application.status == Status.APPROVED)
        ).one()
        count, last = db.session.execute(
            sa.select(sa.func.count(), sa.func.max(AuditEntry.entry_index))
        ).one()
        ok, line, size = verify_log()
        result = {
            "budget": program.budget_amount,
            "committed": program.committed_amount,
            "approved": approved[0],
            "approved_sum": approved[1],
            "log_ok": ok,
            "log_line": line,
            "log_size": size,
            "gap_free": count == last + 1 == size,
        }
        db.session.rollback()
    return result


class LockSampler:
    """Samples pg_locks for the log's advisory lock: how often it is held, how many wait."""

    def __init__(self, url: str):
        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        self.samples: list[tuple[int, int]] = []
        self.stop = threading.Event()

    def __enter__(self):
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(5)
        self.engine.dispose()

    def _run(self) -> None:
        # One-key advisory locks (objsubid 1) are the log's and the registry kinds'; the funding
        # groups' and Idempotency-Keys' are two-key locks (objsubid 2), not counted here.
        query = sa.text(
            "SELECT count(*) FILTER (WHERE granted), count(*) FILTER (WHERE NOT granted) "
            "FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 1"
        )
        deadline = time.monotonic() + ROUND_TIMEOUT
        with self.engine.connect() as conn:
            while not self.stop.wait(0.01) and time.monotonic() < deadline:
                self.samples.append(tuple(conn.execute(query).one()))
                conn.rollback()

    def summary(self) -> tuple[float, float]:
        """(share of samples with the lock held, mean number of backends waiting for it)."""
        if not self.samples:
            return float("nan"), float("nan")
        held = sum(1 for granted, _ in self.samples if granted) / len(self.samples)
        return held, sum(waiting for _, waiting in self.samples) / len(self.samples)


# --- the two scenarios ---------------------------------------------------------------------


def rush(app, url, env, folder, data, checks) -> list[Figure]:
    service = Server("subsidy:create_app()", env, folder / "service.log")
    bare = Server("bench.bare_app:create_app()", env, folder / "bare.log")
    token = data["tokens"][0]
    best: dict[str, tuple[float, float]] = {}
    replies_all: list[Reply] = []
    lock_use = []
    try:
        service.start(), bare.start()
        warm = data["rush"][:CLIENTS]
        replies, _ = drive([service.port], submissions(token, RUSH, warm))
        replies_all += replies
        drive([bare.port], bare_rows(warm))
        for n in range(ROUNDS):
            chunk = data["rush"][CLIENTS + n * PER_ROUND : CLIENTS + (n + 1) * PER_ROUND]
            with LockSampler(url) as sampler:
                replies, seconds = drive([service.port], submissions(token, RUSH, chunk))
            lock_use.append(sampler.summary())
            replies_all += replies
            _keep_best(best, "service", len(replies) / seconds, p95_ms(replies))
            replies, seconds = drive([bare.port], bare_rows(chunk))
            checks["bare errors"] = checks.get("bare errors", 0) + len(errors(replies))
            _keep_best(best, "bare", len(replies) / seconds, p95_ms(replies))
    finally:
        service.stop(), bare.stop()
    hold, whole, batch = lock_hold(app, token, data["rush"][CLIENTS + ROUNDS * PER_ROUND :])
    checks["rush errors"] = errors(replies_all)
    checks["rush submissions"] = len(replies_all)
    checks["rush first-come violations"] = order_violations(replies_all, submission_log_index(app))
    checks["log lock held / waiting backends (rush rounds)"] = [
        f"{held:.0%} / {waiting:.1f}" for held, waiting in lock_use
    ]
    checks["sequencer batch of one under the log lock, in-process (ms)"] = round(batch, 3)
    (rate, latency), (bare_rate, bare_latency) = best["service"], best["bare"]
    return [
        Figure(
            f"rush: submissions/s, {CLIENTS} clients, 1 server",
            rate,
            bare_rate,
            "/s",
            "≥ 0.5× bare insert",
            better="higher",
        ),
        Figure(
            "rush: p95 latency, submission vs bare insert",
            latency,
            bare_latency,
            "ms",
            "(reported)",
        ),
        Figure(
            "rush: ms under the group's lock / whole submission",
            hold,
            whole,
            "ms",
            "(in-process, alone; caps one group's throughput at 1/hold)",
        ),
        Figure(
            "rush: ms under the log lock per batch / whole submission",
            batch,
            whole,
            "ms",
            "(in-process, a batch of one; batches grow under load)",
        ),
    ]


def lock_hold(app, token: str, applicants: list[tuple[str, str]]) -> tuple[float, float, float]:
    """Median ms of one submission in-process with nobody else writing: the whole request, the
    part from taking its funding group's lock to the commit (what the group's other submissions
    wait for), and the sequencer's batch under the log lock after it (what other writers of the
    log wait for)."""
    import subsidy.applications.services as submission
    import subsidy.audit.sequencer as sequencer

    taken, sequence = submission.lock_funding_group, sequencer.run_sequencer
    marks: dict[str, float] = {}
    batches: list[float] = []

    def timed_lock(group) -> None:
        taken(group)
        marks.setdefault("locked", time.perf_counter())

    def timed_sequencer(**kwargs):
        marks.setdefault("released", time.perf_counter())  # the request's commit is done
        done = sequence(**kwargs)
        batches.extend(batch.locked_seconds for batch in done)
        return done

    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    totals, holds = [], []
    submission.lock_funding_group, sequencer.run_sequencer = timed_lock, timed_sequencer
    try:
        for iin, quantity in applicants:
            marks.clear()
            began = time.perf_counter()
            body = {"program": RUSH, "applicant": iin, "quantity": quantity}
            status = client.post(SUBMIT, json=body, headers=headers).status_code
            if status != 201:
                raise RuntimeError(f"in-process submission answered {status}")
            totals.append(time.perf_counter() - began)
            holds.append(marks["released"] - marks["locked"])
    finally:
        submission.lock_funding_group, sequencer.run_sequencer = taken, sequence
    half = len(totals) // 2  # the first half warms the caches
    return (
        statistics.median(holds[half:]) * 1000,
        statistics.median(totals[half:]) * 1000,
        statistics.median(batches[len(batches) // 2 :]) * 1000,
    )


def _keep_best(best: dict, name: str, rate: float, latency: float) -> None:
    if name not in best or rate > best[name][0]:
        best[name] = (rate, latency)


def scale_out(app, env, folder, data, checks) -> list[Figure]:
    first = Server("subsidy:create_app()", env, folder / "scale-a.log")
    second = Server("subsidy:create_app()", env, folder / "scale-b.log")
    token_a, token_b = data["tokens"]
    scale = data["scale"]
    try:
        first.start(), second.start()
        drive([first.port, second.port], submissions(token_a, SCALE, scale[:CLIENTS]))  # warm
        half = (len(scale) - CLIENTS) // 2
        one, one_s = drive([first.port], submissions(token_a, SCALE, scale[CLIENTS:][:half]))
        two, two_s = drive(
            [first.port, second.port], submissions(token_b, SCALE, scale[CLIENTS:][half:])
        )
        submitted = sorted(r.body["id"] for r in one + two if r.status == 201)
        approvals = [
            (
                str(application_id),
                "POST",
                f"{SUBMIT}/{application_id}/approve",
                {},
                {
                    "Authorization": f"Bearer {(token_a, token_b)[n % 2]}",
                    "Content-Type": "application/json",
                },
            )
            for n, application_id in enumerate(submitted)
        ]
        decided, decide_s = drive([first.port, second.port], approvals, clients=2 * APPROVERS)
    finally:
        first.stop(), second.stop()
    checks["scale submission errors"] = errors(one) + errors(two)
    checks["scale first-come violations"] = order_violations(one + two, submission_log_index(app))
    expected = [r for r in decided if r.status == 200 or _budget_refusal(r)]
    checks["approval answers"] = {
        "approved": sum(r.status == 200 for r in decided),
        "409 budget": sum(_budget_refusal(r) for r in decided),
        "unexpected": [(r.key, r.status, r.body.get("code")) for r in decided if r not in expected],
        "per second": round(len(decided) / decide_s, 1),
    }
    state = budget_and_log(app, SCALE)
    checks["budget and log"] = state
    problems = checks["approval answers"]["unexpected"] or checks["scale submission errors"]
    holds = (
        state["committed"] <= state["budget"]
        and state["committed"] == state["approved_sum"]
        and state["approved"] == checks["approval answers"]["approved"]
        and state["log_ok"]
        and state["gap_free"]
    )
    verdict = "met" if holds and not problems else "MISSED"
    return [
        Figure(
            "scale-out: submissions/s, 2 servers vs 1",
            len(two) / two_s,
            len(one) / one_s,
            "/s",
            f"no errors; budget holds — {verdict}",
            better="higher",
        )
    ]


def _budget_refusal(reply: Reply) -> bool:
    """A full budget answers 409: waitlisted, or refused behind an earlier waitlisted one."""
    code = reply.body.get("code")
    return reply.status == 409 and (
        code == "budget_exhausted" or (code == "conflict" and "queue" in reply.body["errors"])
    )


def run() -> list[Figure]:
    url = fresh_postgres_database(POSTGRES_URL, DATABASE)
    figures: list[Figure] = []
    checks: dict = {}
    try:
        with tempfile.TemporaryDirectory(prefix="bench-rush-") as tmp:
            folder = Path(tmp)
            app = make_app(url, folder)
            bare_app.create_table(url)
            rush_count = CLIENTS + ROUNDS * PER_ROUND + LOCK_SAMPLES
            data = seed(app, rush_count, SCALE_EACH * 2 + CLIENTS)
            env = server_env(url, folder, app.config["SIGNING_KEY_PATH"])
            figures += rush(app, url, env, folder, data, checks)
            figures += scale_out(app, env, folder, data, checks)
            with app.app_context():
                from subsidy.extensions import db

                db.session.remove()
                db.engine.dispose()
    finally:
        drop_database(POSTGRES_URL, DATABASE)
    for name, value in checks.items():
        print(f"rush check: {name}: {value}")
    failed = [
        name
        for name in ("rush errors", "scale submission errors", "bare errors")
        if checks.get(name)
    ] + [name for name in checks if "violations" in name and checks[name]]
    assert not failed, f"rush checks failed: {failed}"
    return figures
