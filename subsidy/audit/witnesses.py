"""The log's C2SP identity and its witnesses, as configured (pure: parsed from the environment's
text, checked once when the app is built so that a typo stops the service, not a publish).

``SUBSIDY_LOG_ORIGIN``: the origin line and the key name of the log's note signature, a
schema-less URL without spaces or ``+`` (default: ``<host of SUBSIDY_PUBLIC_URL>/log``).

``SUBSIDY_WITNESSES``: one witness a line, ``<witness vkey> <submission URL prefix>``; the vkey
is of an Ed25519 ``cosignature/v1`` key (signature type 0x04), the prefix an http(s) URL under
which the witness serves ``add-checkpoint`` (c2sp.org/tlog-witness). Blank lines and lines
starting with ``#`` are skipped. ``SUBSIDY_WITNESS_QUORUM``: how many must cosign (default all).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from subsidy.audit import note


@dataclass(frozen=True)
class Witness:
    verifier: note.Verifier
    url: str  # the submission prefix, without a trailing slash

    @property
    def name(self) -> str:
        return self.verifier.name

    @property
    def add_checkpoint_url(self) -> str:
        return f"{self.url}/add-checkpoint"


def check_origin(origin: str) -> str:
    """The origin, or ValueError: it is a key name too (signed-note), so no spaces, no ``+``."""
    if not origin or any(c.isspace() or c == "+" for c in origin) or not origin.isprintable():
        raise ValueError(
            f"SUBSIDY_LOG_ORIGIN must be a non-empty schema-less URL without spaces or '+', "
            f"not {origin!r}"
        )
    return origin


def default_origin(public_url: str) -> str:
    """``<host[:port]>/log`` of the public URL (its path kept: a service under a prefix)."""
    parts = urlsplit(public_url)
    path = parts.path.rstrip("/")
    return check_origin(f"{parts.netloc}{path}/log")


def parse_witnesses(text: str) -> tuple[Witness, ...]:
    """ValueError naming the line for anything malformed."""
    found: list[Witness] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"SUBSIDY_WITNESSES line {number}"
        fields = line.split()
        if len(fields) != 2:
            raise ValueError(f"{where}: expected '<witness vkey> <submission URL prefix>'")
        vkey, url = fields
        try:
            verifier = note.parse_vkey(vkey)
        except note.NoteError as error:
            raise ValueError(f"{where}: {error}") from None
        if verifier.type != note.COSIGNATURE_V1:
            raise ValueError(
                f"{where}: the vkey is of signature type {verifier.type:#04x}, a witness "
                f"cosigns with type {note.COSIGNATURE_V1:#04x} (cosignature/v1)"
            )
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{where}: the submission prefix must be an http(s) URL")
        if any(w.verifier.name == verifier.name for w in found):
            raise ValueError(f"{where}: witness {verifier.name} is listed twice")
        found.append(Witness(verifier, url.rstrip("/")))
    return tuple(found)


def parse_quorum(text: str | None, count: int) -> int:
    """How many witnesses must cosign: all of them unless told; never more than there are."""
    if text is None or text.strip() == "":
        return count
    value = text.strip()
    if not (value.isascii() and value.isdigit()) or int(value) > count:
        raise ValueError(
            f"SUBSIDY_WITNESS_QUORUM must be a whole number 0..{count} (the witnesses "
            f"configured), not {text!r}"
        )
    return int(value)
