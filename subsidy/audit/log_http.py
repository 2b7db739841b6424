"""The transparency log as a C2SP tiled log (https://c2sp.org/tlog-tiles) under ``/log``: the
checkpoint as a signed note with the witnesses' cosignatures, the log's verifier key, hash tiles
and entry bundles, public and cacheable, for any tlog-tiles client, monitor or witness."""

from __future__ import annotations

import gzip

from flask import Blueprint, Response, request

from subsidy.access import public
from subsidy.audit import tile_queries
from subsidy.audit.queries import checkpoint_note, served_size
from subsidy.audit.signing import log_origin, log_verifier
from subsidy.audit.tiles import TilePathError, parse_tile_path

bp = Blueprint("log", __name__, url_prefix="/log")

OCTET_STREAM = "application/octet-stream"
# A full tile or bundle never changes: its bytes are fixed by the log's first entries.
FULL_TILE_CACHE = "public, max-age=31536000, immutable"
# A partial tile never changes either (it is a prefix of the log), but the spec lets a log
# delete it once the full tile exists, and clients fall back to the full one. We serve every
# width the log covers, always; the short life keeps caches from answering for a year for a
# resource the log may stop serving (e.g. a static mirror that keeps only full tiles).
PARTIAL_TILE_CACHE = "public, max-age=60"
# A tile that is not there yet will be: a refusal is not cached.
REFUSAL_CACHE = "no-store"
# The checkpoint is mutable: "headers SHOULD prevent caching beyond a few seconds".
CHECKPOINT_CACHE = "public, max-age=5"
NOTE = "text/plain; charset=utf-8"


@bp.route("/checkpoint", methods=["GET"])
@public
def checkpoint() -> Response:
    """The checkpoint as a signed note (c2sp.org/tlog-checkpoint): the newest one a quorum of
    the witnesses cosigned (the newest signed one while none has), with every cosignature."""
    origin = log_origin()
    size = served_size(origin)
    text = None if size is None else checkpoint_note(size, origin)
    if text is None:
        return _not_found("no checkpoint has been signed yet")
    response = Response(text, content_type=NOTE)
    response.headers["Cache-Control"] = CHECKPOINT_CACHE
    return response


@bp.route("/vkey", methods=["GET"])
@public
def vkey() -> Response:
    """The log's verifier key: ``<origin>+<key id>+<base64(0x01 || Ed25519 public key)>``."""
    response = Response(log_verifier().vkey(), content_type=NOTE)  # exactly the vkey
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.route("/tile/<path:rest>", methods=["GET"], merge_slashes=False)
@public
def tile(rest: str) -> Response:
    """``/log/tile/<L>/<N>[.p/<W>]`` and ``/log/tile/entries/<N>[.p/<W>]``."""
    try:
        found = parse_tile_path(f"tile/{rest}")
    except TilePathError as refused:
        return _not_found(f"not a tile path: {refused}")
    if found.entries:
        body = tile_queries.entry_bundle(found.index, found.width)
    else:
        body = tile_queries.tile_bytes(found.level, found.index, found.width)
    if body is None:
        return _not_found(f"the log does not have {found.path()}: it has fewer entries")
    response = Response(body, mimetype=OCTET_STREAM)
    response.headers["Cache-Control"] = PARTIAL_TILE_CACHE if found.partial else FULL_TILE_CACHE
    if found.entries:
        # Bundles are JSON text (about 10:1 at level 6, ~0.3 ms for a full one); tiles are hashes
        # and do not compress.
        response.vary.add("Accept-Encoding")
        if _accepts_gzip():
            response.set_data(gzip.compress(body, compresslevel=6, mtime=0))
            response.headers["Content-Encoding"] = "gzip"
    return response


def _accepts_gzip() -> bool:
    """Whether Accept-Encoding allows gzip: named with q > 0, or ``*`` with q > 0 when gzip
    is not named (a named ``gzip;q=0`` refuses it even next to ``*``)."""
    accepted = {value.lower(): quality for value, quality in request.accept_encodings}
    for name in ("gzip", "x-gzip", "*"):
        if name in accepted:
            return accepted[name] > 0
    return False


def _not_found(reason: str) -> Response:
    response = Response(f"{reason}\n", status=404, mimetype="text/plain")
    response.headers["Cache-Control"] = REFUSAL_CACHE
    return response
