"""``subsidy payments``: tranches, runs, their ISO 20022 documents and the bank's reports."""

from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import click

from subsidy.accounts.queries import user_by_username
from subsidy.commands import CLI_ACTOR, service_command
from subsidy.errors import ValidationFailed
from subsidy.payments import queries, services
from subsidy.programs.queries import program_by_code

# A bank's status report for a run of 100,000 payments is a few tens of MB.
MAX_REPORT_BYTES = 64 * 1024 * 1024


@click.group("payments", help="Payment runs in queue order, ISO 20022 out and back.")
def payments() -> None:
    pass


def _treasurer(username: str):
    user = user_by_username(username)
    if user is None:
        raise ValidationFailed.field("treasurer", f"no user {username!r}")
    return user


def _amount(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValidationFailed.field("amount", 'must be a decimal such as "1000000.00"') from None


@payments.command("tranche")
@click.argument("program")
@click.option("--amount", required=True, help='KZT, e.g. "250000000.00"')
@click.option("--released-on", required=True, help="ISO date the treasury released it")
@click.option("--reference", help="the treasury's document number")
@click.option("--treasurer", "username", required=True, help="the treasurer recording it")
@service_command
def tranche(program, amount, released_on, reference, username) -> None:
    """Record money the treasury released for PROGRAM (never above its budget)."""
    try:
        day = date.fromisoformat(released_on)
    except ValueError:
        raise ValidationFailed.field("released_on", "must be an ISO date") from None
    found = program_by_code(program, field="program")
    row = services.release_tranche(
        program=found,
        amount=_amount(amount),
        released_on=day,
        reference=reference,
        user=_treasurer(username),
    )
    money = queries.money_view(found)
    click.echo(f"tranche {row.id}: released {money['released']:.2f} of {money['budget']:.2f}")


@payments.command("prepare")
@click.argument("program")
@click.option("--treasurer", "username", required=True, help="the treasurer preparing it")
@service_command
def prepare(program, username) -> None:
    """Prepare a payment run of PROGRAM in queue order."""
    found = program_by_code(program, field="program")
    preparation = services.prepare_run(program=found, user=_treasurer(username))
    run = preparation.run
    click.echo(
        f"run {run.id}: {run.item_count} payments, {run.total_amount:.2f} KZT, "
        f"{len(preparation.skipped)} skipped"
    )


@payments.command("release")
@click.argument("run_id", type=int)
@click.option("--treasurer", "username", required=True, help="not the one who prepared it")
@service_command
def release(run_id, username) -> None:
    """Release a prepared run: render and store its pain.001 document."""
    run = services.release_run(run_id=run_id, user=_treasurer(username))
    click.echo(f"run {run.id} released, pain.001 sha256 {run.document_sha256}")


@payments.command("export")
@click.argument("run_id", type=int)
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@service_command
def export(run_id, file: Path) -> None:
    """Write a released run's ISO 20022 pain.001.001.09 document to FILE (as stored)."""
    data, sha256 = queries.run_document(run_id)
    file.write_bytes(data)
    click.echo(f"wrote {len(data)} bytes to {file}, sha256 {sha256}")


@payments.command("import-status")
@click.argument("run_id", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@service_command
def import_status(run_id, file: Path) -> None:
    """Apply a bank's ISO 20022 pain.002.001.10 status report in FILE to the run."""
    if file.stat().st_size > MAX_REPORT_BYTES:
        raise ValidationFailed.field("file", f"is larger than {MAX_REPORT_BYTES} bytes")
    outcome = services.apply_status_report(run_id=run_id, data=file.read_bytes(), actor=CLI_ACTOR)
    if not outcome.applied:
        click.echo(f"report already applied to run {run_id}: nothing changed")
        return
    click.echo(
        f"run {run_id}: {outcome.paid} paid, {outcome.returned} returned, {outcome.pending} pending"
    )


@payments.command("reconcile")
@service_command
def reconcile() -> None:
    """Check every run (sent = paid + returned + pending), the programs' totals and the
    applications' payments against each other; exit 1 naming each disagreement."""
    runs = queries.list_runs(limit=10_000)
    for run in reversed(runs):
        check = run["reconciliation"]
        click.echo(
            f"run {run['id']}\t{run['program']}\t{run['status']}\t"
            f"sent {check['sent']['amount']:.2f} = paid {check['paid']['amount']:.2f}"
            f" + returned {check['returned']['amount']:.2f}"
            f" + pending {check['pending']['amount']:.2f}"
        )
    problems = queries.reconcile_all()
    for problem in problems:
        click.echo(f"MISMATCH {problem}", err=True)
    if problems:
        sys.exit(1)
    click.echo(f"OK {len(runs)} runs reconciled")
