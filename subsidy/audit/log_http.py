"""The transparency log as a C2SP tiled log (https://c2sp.org/tlog-tiles) under ``/log``: hash
tiles and entry bundles, public and cacheable, for any tlog-tiles client to fetch."""

from __future__ import annotations

import gzip

from flask import Blueprint, Response, request

from subsidy.access import public
from subsidy.audit import tile_queries
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
