import json
import sys

import click
from flask.cli import with_appcontext

from subsidy.audit import services
from subsidy.audit.queries import latest_checkpoint
from subsidy.audit.verification import export_log, verify_log
from subsidy.commands import Refused, progress, service_command
from subsidy.errors import NotFound


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
