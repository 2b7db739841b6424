import contextlib
import hashlib
import io
from datetime import date
from pathlib import Path

import click

from subsidy.commands import CLI_ACTOR, Refused, progress, service_command
from subsidy.registry.extracts import HEADERS, ExtractError, iter_extract
from subsidy.registry.services import import_extract


class _HashingReader(io.RawIOBase):
    """A file's bytes as they are read, hashed and counted on the way: the digest of the very
    bytes parsed, without reading the file twice."""

    def __init__(self, raw):
        self._raw = raw
        self.sha256 = hashlib.sha256()
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = self._raw.readinto(buffer)
        if count:
            self.sha256.update(memoryview(buffer)[:count])
            self.position += count
        return count


@contextlib.contextmanager
def _read_hashed(path: Path):
    """The file as text for the csv module, and the reader hashing its bytes on the way."""
    with open(path, "rb", buffering=0) as raw:
        hashing = _HashingReader(raw)
        buffered = io.BufferedReader(hashing, 1 << 16)
        # newline="": the csv module splits the lines itself (a quoted cell may hold one).
        with io.TextIOWrapper(buffered, encoding="utf-8-sig", newline="") as text:
            yield text, hashing


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
    """Load a registry extract (CSV) as a new snapshot: all rows or none.

    The file is read, checked and stored as a stream in one transaction: a bad line anywhere
    (say, line 900,000) undoes the rows stored before it."""
    size, label = path.stat().st_size, f"importing {path.name}"
    with _read_hashed(path) as (text, hashing), progress(length=size, label=label) as bar:
        done = [0]

        def advance(_rows: int) -> None:
            bar.update(hashing.position - done[0])
            done[0] = hashing.position

        try:
            snapshot = import_extract(
                kind=kind,
                rows=iter_extract(kind, text),
                source_name=path.name,
                source_sha256=lambda: hashing.sha256.hexdigest(),
                as_of=as_of.date() if as_of else date.today(),
                actor=CLI_ACTOR,
                on_progress=advance,
                allow_shrink=allow_shrink,
            )
        except ExtractError as error:
            raise Refused(f"{path.name}: {error}") from None
        except UnicodeDecodeError as error:
            raise Refused(f"{path.name}: not UTF-8 text ({error.reason})") from None
    click.echo(f"imported {snapshot.row_count} {kind} rows as snapshot {snapshot.id}")
