"""axe-core for the browser tests: one pinned version from the npm registry, checked against the
registry's SHA-512 integrity, kept in .cache/axe/ (ignored by git, never committed) and handed
to Playwright's page.evaluate (which the pages' Content-Security-Policy does not govern)."""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import urllib.request
from pathlib import Path

VERSION = "4.14.1"
TARBALL = f"https://registry.npmjs.org/axe-core/-/axe-core-{VERSION}.tgz"
# The registry's dist.integrity of that tarball (npm view axe-core@4.14.1 dist.integrity).
INTEGRITY = (
    "sha512-"
    "FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
)
CACHE = Path(__file__).resolve().parents[2] / ".cache" / "axe"


class AxeUnavailable(RuntimeError):
    pass


def _integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


def _tarball() -> bytes:
    """The tarball, from the cache or the registry; refused unless its integrity matches."""
    cached = CACHE / f"axe-core-{VERSION}.tgz"
    if cached.exists():
        data = cached.read_bytes()
    else:
        try:
            with urllib.request.urlopen(TARBALL, timeout=60) as response:
                data = response.read()
        except OSError as error:
            raise AxeUnavailable(f"cannot download {TARBALL}: {error}") from error
    if _integrity(data) != INTEGRITY:
        raise AxeUnavailable(f"{TARBALL}: the integrity does not match the pinned {INTEGRITY}")
    if not cached.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        cached.write_bytes(data)
    return data


def axe_source() -> str:
    """axe.min.js of the pinned version."""
    script = CACHE / f"axe-{VERSION}.min.js"
    data = _tarball()  # checked every session, cached or not
    if not script.exists():
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            member = archive.extractfile("package/axe.min.js")
            if member is None:
                raise AxeUnavailable(f"{TARBALL} has no package/axe.min.js")
            script.write_bytes(member.read())
    return script.read_text(encoding="utf-8")


# Run in the page: the serious and critical violations, each with the elements it names.
RUN = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ") + " — " + n.failureSummary),
    }));
}"""
