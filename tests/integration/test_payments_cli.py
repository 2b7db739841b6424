"""``subsidy payments`` through the CLI runner: tranche, prepare, release, export, import-status
and reconcile. Bad input exits 2 with one line naming the field and writes nothing; the books
disagreeing makes reconcile exit 1 naming what disagrees."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from subsidy.audit.models import AuditEntry
from subsidy.extensions import db
from subsidy.payments import iso20022
from subsidy.payments.models import (
    Payment,
    PaymentRun,
    PaymentStatus,
    PaymentStatusReport,
    RunStatus,
    Tranche,
)
from subsidy.programs.models import Program
from tests.factories import (
    approved,
    give_account,
    make_applicant,
    make_program,
    make_user,
    registry,
)

CODE = "TEST-HEADS-2026"


@pytest.fixture
def world(app):
    """Four approved applications of 10,000 each, all with accounts; two treasurers."""
    make_program(budget="100000.00", threshold="50000.00")
    farms = [make_applicant() for _ in range(4)]
    registry(livestock=[(farm.iin_bin, "cattle", 20, 20) for farm in farms])
    for farm in farms:
        give_account(farm)
    applications = [approved(farm) for farm in farms]
    return SimpleNamespace(
        farms=farms,
        applications=applications,
        treasurer=make_user("treasurer").username,
        treasurer2=make_user("treasurer").username,
        official=make_user("official").username,
    )


def count(model) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def state() -> tuple:
    """Everything a payments command may write: the log, tranches, runs, payments, reports and
    the program's money."""
    money = db.session.execute(
        sa.select(Program.released_amount, Program.scheduled_amount, Program.paid_amount)
    ).one()
    statuses = db.session.execute(sa.select(Payment.id, Payment.status).order_by(Payment.id)).all()
    runs = db.session.execute(sa.select(PaymentRun.id, PaymentRun.status)).all()
    return (
        count(AuditEntry),
        count(Tranche),
        count(PaymentStatusReport),
        tuple(money),
        tuple(statuses),
        tuple(runs),
    )


def ok(runner, *args) -> str:
    result = runner.invoke(args=["payments", *args])
    assert result.exit_code == 0, result.output
    return result.output


def refused(runner, *args, field: str) -> str:
    """The command exits 2 with one line naming ``field``, and writes nothing."""
    before = state()
    result = runner.invoke(args=["payments", *args])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert field in lines[0], lines[0]
    assert lines[0].startswith("error: ")
    assert state() == before
    return lines[0]


def tranche(runner, world, amount="40000.00"):
    return ok(
        runner,
        "tranche",
        CODE,
        "--amount",
        amount,
        "--released-on",
        "2026-06-01",
        "--treasurer",
        world.treasurer,
    )


def prepared(runner, world) -> int:
    output = ok(runner, "prepare", CODE, "--treasurer", world.treasurer)
    return int(re.match(r"run (\d+): ", output).group(1))


def released(runner, world, amount="40000.00") -> int:
    tranche(runner, world, amount)
    run_id = prepared(runner, world)
    ok(runner, "release", str(run_id), "--treasurer", world.treasurer2)
    return run_id


def report_file(tmp_path, run_id: int, statuses: dict, name="report.xml"):
    data = iso20022.render_pain002(
        iso20022.StatusReport(
            message_id=f"BANK-{run_id}-{name}",
            created_at=datetime(2026, 6, 16, 10, 0, tzinfo=UTC),
            original_message_id=f"RUN-{run_id}",
            group_status=None,
            transactions=tuple(
                iso20022.TransactionStatus(number, status, reason, None)
                for number, (status, reason) in statuses.items()
            ),
        )
    )
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- the happy path ----------------------------------------------------------------------------


def test_tranche_prepare_release_export_import_and_reconcile(runner, world, tmp_path):
    out = tranche(runner, world, "25000.00")
    assert "released 25000.00 of 100000.00" in out
    output = ok(runner, "prepare", CODE, "--treasurer", world.treasurer)
    run_id = int(re.match(r"run (\d+): ", output).group(1))
    assert "2 payments, 20000.00 KZT, 0 skipped" in output
    output = ok(runner, "release", str(run_id), "--treasurer", world.treasurer2)
    run = db.session.get(PaymentRun, run_id)
    db.session.refresh(run)
    assert run.status is RunStatus.RELEASED
    assert run.document_sha256 in output

    target = tmp_path / "run.xml"
    output = ok(runner, "export", str(run_id), str(target))
    stored = db.session.execute(
        sa.select(PaymentRun.document).where(PaymentRun.id == run_id)
    ).scalar_one()
    assert target.read_bytes() == bytes(stored)
    assert hashlib.sha256(target.read_bytes()).hexdigest() == run.document_sha256
    assert run.document_sha256 in output and f"wrote {len(stored)} bytes" in output

    apps = world.applications
    path = report_file(
        tmp_path, run_id, {apps[0].number: ("ACSC", None), apps[1].number: ("RJCT", "AM05")}
    )
    output = ok(runner, "import-status", str(run_id), str(path))
    assert output.strip() == f"run {run_id}: 1 paid, 1 returned, 0 pending"
    before = state()
    again = ok(runner, "import-status", str(run_id), str(path))
    assert "nothing changed" in again
    assert state() == before

    output = ok(runner, "reconcile")
    lines = output.strip().splitlines()
    assert lines[-1] == "OK 1 runs reconciled"
    assert lines[0].startswith(f"run {run_id}\t{CODE}\treleased\tsent 20000.00 = paid 10000.00")


def test_export_writes_the_stored_bytes_every_time(runner, world, tmp_path):
    run_id = released(runner, world)
    first, second = tmp_path / "a.xml", tmp_path / "b.xml"
    ok(runner, "export", str(run_id), str(first))
    ok(runner, "export", str(run_id), str(second))
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes().startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    for application in world.applications:
        assert f"<EndToEndId>{application.number}</EndToEndId>".encode() in first.read_bytes()


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"--amount": "abc"}, "amount"),
        ({"--amount": "0"}, "amount"),
        ({"--amount": "-10.00"}, "amount"),
        ({"--amount": "1.234"}, "amount"),
        ({"--amount": "NaN"}, "amount"),
        ({"--amount": "100000.01"}, "amount"),  # above the budget: 409, one line naming amount
        ({"--released-on": "2026-13-01"}, "released_on"),
        ({"--released-on": "2026-06-16"}, "released_on"),  # after "today"
        ({"--reference": "x" * 121}, "reference"),
        ({"program": "NOPE-2026"}, "program"),
        ({"--treasurer": "nobody"}, "treasurer"),
    ],
)
def test_a_bad_tranche_exits_2_naming_the_field(runner, world, change, field):
    args = {
        "program": CODE,
        "--amount": "1000.00",
        "--released-on": "2026-06-01",
        "--treasurer": world.treasurer,
        "--reference": "ПП-1",
    }
    args.update(change)
    flat = [args.pop("program")] + [item for pair in args.items() for item in pair]
    refused(runner, "tranche", *flat, field=field)


def test_a_tranche_by_an_official_is_refused(runner, world):
    line = refused(
        runner,
        "tranche",
        CODE,
        "--amount",
        "1000.00",
        "--released-on",
        "2026-06-01",
        "--treasurer",
        world.official,
        field="treasurer",
    )
    assert "only treasurers" in line


def test_bad_prepare_and_release_exit_2_and_write_nothing(runner, world):
    refused(runner, "prepare", "NOPE-2026", "--treasurer", world.treasurer, field="program")
    refused(runner, "prepare", CODE, "--treasurer", "nobody", field="treasurer")
    # Nothing released yet: nothing to pay.
    refused(runner, "prepare", CODE, "--treasurer", world.treasurer, field="released")
    tranche(runner, world)
    run_id = prepared(runner, world)
    line = refused(runner, "release", str(run_id), "--treasurer", world.treasurer, field="")
    assert "other than the one who prepared" in line
    refused(runner, "release", str(run_id + 100), "--treasurer", world.treasurer2, field="run")
    refused(runner, "release", str(run_id), "--treasurer", "nobody", field="treasurer")
    ok(runner, "release", str(run_id), "--treasurer", world.treasurer2)
    refused(runner, "release", str(run_id), "--treasurer", world.treasurer2, field="status")


def test_a_run_id_that_is_not_a_number_exits_2(runner, world, tmp_path):
    before = state()
    result = runner.invoke(args=["payments", "release", "abc", "--treasurer", world.treasurer2])
    assert result.exit_code == 2
    assert "RUN_ID" in result.output
    assert state() == before


def test_export_of_a_run_without_a_document_exits_2_and_writes_no_file(runner, world, tmp_path):
    target = tmp_path / "run.xml"
    refused(runner, "export", "999", str(target), field="run")
    tranche(runner, world)
    run_id = prepared(runner, world)
    line = refused(runner, "export", str(run_id), str(target), field="prepared")
    assert "no document" in line
    assert not target.exists()


def test_a_bad_status_report_exits_2_naming_it_and_writes_nothing(runner, world, tmp_path):
    run_id = released(runner, world)
    apps = world.applications
    unknown = report_file(
        tmp_path,
        run_id,
        {apps[0].number: ("ACSC", None), "NOT-IN-RUN-000001": ("ACSC", None)},
        "unknown.xml",
    )
    line = refused(
        runner, "import-status", str(run_id), str(unknown), field="TxInfAndSts[2]/OrgnlEndToEndId"
    )
    assert "NOT-IN-RUN-000001" in line
    broken = tmp_path / "broken.xml"
    broken.write_bytes(b"<Document><CstmrPmtStsRpt>")
    refused(runner, "import-status", str(run_id), str(broken), field="file")
    other = report_file(tmp_path, run_id + 1, {apps[0].number: ("ACSC", None)}, "other.xml")
    refused(runner, "import-status", str(run_id), str(other), field="OrgnlMsgId")


def test_a_report_for_a_run_not_yet_released_is_refused(runner, world, tmp_path):
    tranche(runner, world)
    run_id = prepared(runner, world)
    path = report_file(tmp_path, run_id, {world.applications[0].number: ("ACSC", None)})
    line = refused(runner, "import-status", str(run_id), str(path), field="status")
    assert "prepared" in line
    missing = tmp_path / "missing.xml"
    result = runner.invoke(args=["payments", "import-status", str(run_id), str(missing)])
    assert result.exit_code == 2 and "FILE" in result.output


def test_a_report_after_payment_that_contradicts_it_is_refused(runner, world, tmp_path):
    run_id = released(runner, world)
    number = world.applications[0].number
    paid = report_file(tmp_path, run_id, {number: ("ACSC", None)}, "paid.xml")
    ok(runner, "import-status", str(run_id), str(paid))
    back = report_file(tmp_path, run_id, {number: ("RJCT", "AC04")}, "back.xml")
    line = refused(runner, "import-status", str(run_id), str(back), field="TxInfAndSts[1]")
    assert "already paid" in line


# --- reconcile ---------------------------------------------------------------------------------


def test_reconcile_with_no_runs_is_ok(runner, world):
    result = runner.invoke(args=["payments", "reconcile"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "OK 0 runs reconciled"


def _paid_one(runner, world, tmp_path) -> int:
    run_id = released(runner, world)
    path = report_file(tmp_path, run_id, {world.applications[0].number: ("ACSC", None)})
    ok(runner, "import-status", str(run_id), str(path))
    assert "OK 1 runs reconciled" in ok(runner, "reconcile")
    return run_id


def _disagree(statement: str, **params) -> None:
    db.session.execute(sa.text(statement), params)
    db.session.flush()


def test_reconcile_exits_1_when_the_programs_paid_amount_disagrees(runner, world, tmp_path):
    _paid_one(runner, world, tmp_path)
    _disagree("UPDATE programs SET paid_amount = paid_amount - 0.01")
    result = runner.invoke(args=["payments", "reconcile"])
    assert result.exit_code == 1, result.output
    mismatches = [line for line in result.output.splitlines() if line.startswith("MISMATCH")]
    assert mismatches == [
        f"MISMATCH program {CODE}: scheduled 30000.00 / paid 9999.99 on the program,"
        " 30000.00 / 10000.00 in its payments"
    ]
    assert "OK" not in result.output


def test_reconcile_exits_1_naming_the_run_whose_total_disagrees(runner, world, tmp_path):
    run_id = _paid_one(runner, world, tmp_path)
    _disagree("UPDATE payment_runs SET total_amount = total_amount + 1 WHERE id = :id", id=run_id)
    result = runner.invoke(args=["payments", "reconcile"])
    assert result.exit_code == 1, result.output
    mismatches = [line for line in result.output.splitlines() if line.startswith("MISMATCH")]
    assert mismatches == [
        f"MISMATCH run {run_id}: sent 40001.00 != paid 10000.00 + returned 0.00 + pending 30000.00"
    ]


def test_reconcile_exits_1_naming_the_application_whose_payment_disagrees(runner, world, tmp_path):
    _paid_one(runner, world, tmp_path)
    number = world.applications[1].number
    _disagree("UPDATE applications SET payment_status = NULL WHERE number = :n", n=number)
    result = runner.invoke(args=["payments", "reconcile"])
    assert result.exit_code == 1, result.output
    assert f"MISMATCH application {number}: shows payment None, its payment is scheduled" in (
        result.output
    )


def test_reconcile_counts_a_cancelled_run_as_nothing_sent(runner, world, tmp_path):
    from subsidy.accounts.queries import user_by_username
    from subsidy.payments import services

    tranche(runner, world)
    run_id = prepared(runner, world)
    services.cancel_run(run_id=run_id, user=user_by_username(world.treasurer2))
    db.session.flush()
    assert {p.status for p in db.session.get(PaymentRun, run_id).payments} == {
        PaymentStatus.CANCELLED
    }
    output = ok(runner, "reconcile")
    assert f"run {run_id}\t{CODE}\tcancelled\tsent 0.00 = paid 0.00" in output
    assert output.strip().endswith("OK 1 runs reconciled")
    assert db.session.execute(sa.select(Program.scheduled_amount)).scalar_one() == Decimal("0")
