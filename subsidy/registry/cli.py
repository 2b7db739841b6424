import hashlib
from datetime import date
from pathlib import Path

import click

from subsidy.commands import CLI_ACTOR, Refused, progress, service_command
from subsidy.registry.extracts import HEADERS, ExtractError, parse_extract
from subsidy.registry.services import import_extract


@click.group("registry", help="State-registry extracts.")
def registry() -> None:
    pass


@registry.command("import")
@click.argument("kind", type=click.Choice(sorted(HEADERS)))
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="date of the extract (default: today)",
)
@click.option("--allow-shrink", is_flag=True, help="accept an extract under half the last one")
@service_command
def import_command(kind: str, path: Path, as_of, allow_shrink: bool) -> None:
    """Load a registry extract (CSV) as a new snapshot: all rows or none."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Refused(f"{path.name}: not UTF-8 text ({error.reason})") from None
    lines = text.splitlines(keepends=True)
    try:
        with progress(lines, label=f"checking {path.name}") as bar:
            rows = parse_extract(kind, bar)
    except ExtractError as error:
        raise Refused(f"{path.name}: {error}") from None
    with progress(length=len(rows), label="storing") as bar:
        done = [0]

        def advance(count: int) -> None:
            bar.update(count - done[0])
            done[0] = count

        snapshot = import_extract(
            kind=kind,
            rows=rows,
            source_name=path.name,
            source_sha256=hashlib.sha256(raw).hexdigest(),
            as_of=as_of.date() if as_of else date.today(),
            actor=CLI_ACTOR,
            on_progress=advance,
            allow_shrink=allow_shrink,
        )
    click.echo(f"imported {snapshot.row_count} {kind} rows as snapshot {snapshot.id}")
