import json
import signal
import sys
import time

import click
from flask.cli import with_appcontext

from subsidy.audit import services
from subsidy.audit.queries import latest_checkpoint
from subsidy.audit.verification import export_log, verify_log
from subsidy.commands import Refused, progress, service_command
from subsidy.errors import DomainError, NotFound


@click.group("audit", help="The transparency log.")
def audit() -> None:
    pass


@audit.command("checkpoint")
@service_command
def checkpoint() -> None:
    """Sign and store a checkpoint of the current tree."""
    signed = services.create_checkpoint()
    click.echo(f"checkpoint {signed['tree_size']} entries, root {signed['root_hash']}")


@audit.command("verify")
@with_appcontext
def verify() -> None:
    """Recompute the whole log and check every stored checkpoint."""
    from subsidy.audit.services import log_size
    from subsidy.extensions import db

    total = log_size(db.session)
    with progress(length=total, label="verifying") as bar:
        done = [0]

        def advance(size: int) -> None:
            bar.update(size - done[0])
            done[0] = size

        ok, line, _ = verify_log(on_progress=advance)
    click.echo(line)
    if not ok:
        sys.exit(1)


@audit.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@click.option(
    "--checkpoint",
    "checkpoint_path",
    type=click.Path(dir_okay=False, writable=True),
    help="also write the latest checkpoint (JSON) here",
)
@with_appcontext
def export(path: str, checkpoint_path: str | None) -> None:
    """Write the log as JSON lines for offline verification."""
    try:
        with open(path, "wb") as out:
            count = export_log(out)
    except OSError as error:
        raise Refused(f"{path}: cannot write: {error.strerror}") from None
    click.echo(f"exported {count} entries to {path}")
    if checkpoint_path:
        try:
            signed = latest_checkpoint()
        except NotFound as error:
            raise click.ClickException(str(error)) from None
        try:
            with open(checkpoint_path, "w", encoding="utf-8") as out:
                json.dump(signed, out, indent=2)
                out.write("\n")
        except OSError as error:
            raise Refused(f"{checkpoint_path}: cannot write: {error.strerror}") from None
        click.echo(f"checkpoint {signed['tree_size']} written to {checkpoint_path}")


def _publish_once() -> bool:
    from subsidy.audit.publish import publish
    from subsidy.extensions import db

    try:
        result = publish()
    except DomainError as error:
        db.session.rollback()
        raise Refused(error.one_line()) from None
    click.echo(
        f"checkpoint {result.tree_size} entries, root {result.root.hex()}, origin {result.origin}"
    )
    for outcome in result.witnesses:
        click.echo(f"  {outcome.line()}")
    if result.witnesses or result.quorum:
        verdict = "OK" if result.ok else "FAIL"
        click.echo(
            f"{verdict} {result.cosignatures} of {len(result.witnesses)} witnesses cosigned "
            f"(quorum {result.quorum})"
        )
    return result.ok


@audit.command("publish")
@with_appcontext
def publish_command() -> None:
    """Sign a checkpoint and collect the witnesses' cosignatures (SUBSIDY_WITNESSES); exit 1
    when fewer than SUBSIDY_WITNESS_QUORUM cosigned or a witness shows a rollback."""
    if not _publish_once():
        sys.exit(1)


def _due() -> bool:
    """Whether a round has something to do: entries since the newest note, or witnesses that
    have not cosigned it."""
    from flask import current_app

    from subsidy.audit.queries import cosigners_of, newest_note_size
    from subsidy.audit.services import log_size
    from subsidy.audit.signing import log_origin
    from subsidy.extensions import db

    origin = log_origin()
    newest = newest_note_size(origin)
    size = log_size(db.session)
    witnesses = current_app.config["WITNESSES"]
    due = size > 0 and (newest is None or size > newest)
    if not due and newest is not None and witnesses:
        due = cosigners_of(newest, origin) < len(witnesses)
    db.session.rollback()
    return due


def _sequence() -> None:
    from subsidy.audit.sequencer import run_sequencer
    from subsidy.extensions import db

    try:
        run_sequencer()
    except Exception as error:  # the next second tries again
        db.session.rollback()
        click.echo(f"error: sequencing failed: {type(error).__name__}: {error}", err=True)


@click.command("worker")
@click.option(
    "--every",
    type=click.IntRange(min=1),
    default=60,
    show_default=True,
    help="seconds between rounds",
)
@click.option("--once", is_flag=True, help="one round, then exit (for a timer unit or cron)")
@with_appcontext
def worker(every: int, once: bool) -> None:
    """Run the log for production: every second, the sequencer (what is queued is integrated,
    whatever the app servers left: one that was killed, say); every --every seconds, a
    checkpoint and the witnesses' cosignatures when the log grew or a witness has not cosigned
    the newest checkpoint. A failed round is reported and the next one tries again; SIGTERM
    stops after the round."""
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    while not stopping:
        _sequence()
        try:
            if _due():
                _publish_once()
        except Refused as error:
            click.echo(f"error: {error.format_message()}", err=True)
        except Exception as error:  # a round's failure must not stop the worker
            from subsidy.extensions import db

            db.session.rollback()
            click.echo(f"error: publish failed: {type(error).__name__}: {error}", err=True)
        if once:
            return
        deadline = time.monotonic() + every
        while not stopping and time.monotonic() < deadline:
            time.sleep(min(1.0, deadline - time.monotonic()))
            _sequence()
