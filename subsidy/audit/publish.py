"""Publishing the log's checkpoint to its witnesses (c2sp.org/tlog-witness).

``publish`` runs in three steps so that no network call happens under the log lock or inside a
database transaction: (1) in one transaction, sign a checkpoint of the current tree (or take the
latest) as a note, read for each witness the size it last cosigned and compute the consistency
proof from there, and commit; (2) outside any transaction, ask every witness at once with
``add-checkpoint``; a witness that answers 409 with another size is asked again with a proof from
that size (computed in a short read), once; (3) in a second transaction, store each cosignature
that verifies under the witness's configured key (those that do not are reported, never stored).

What the witnesses answer is also how a rollback shows: a witness that has cosigned a larger
tree than the log now has, or that refuses the consistency proof from the size it holds (422),
saw a history this log no longer has. Both are reported naming the witness.

Cosignatures are not log entries: they are signed by the witnesses themselves and served beside
the checkpoint; appending an entry per publish would grow the log on every round and give every
round something new to publish.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from flask import current_app

from subsidy.audit import note
from subsidy.audit.models import AuditCosignature
from subsidy.audit.queries import checkpoint_note, consistency_hashes, last_cosigned_size
from subsidy.audit.services import note_checkpoint
from subsidy.audit.witnesses import Witness
from subsidy.db import utcnow
from subsidy.extensions import db

TIMEOUT = 10.0  # seconds per request
MAX_ANSWER = 64 * 1024
USER_AGENT = "subsidy-log-publisher"


@dataclass(frozen=True)
class Answer:
    """A witness's HTTP answer: its status and body (status 0: no answer, body the reason)."""

    status: int
    body: bytes
    content_type: str = ""


Post = Callable[[str, bytes], Answer]


def http_post(url: str, body: bytes) -> Answer:
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "text/plain; charset=utf-8", "User-Agent": USER_AGENT},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return Answer(
                response.status, response.read(MAX_ANSWER), response.headers.get_content_type()
            )
    except urllib.error.HTTPError as error:
        with error:
            return Answer(error.code, error.read(MAX_ANSWER), error.headers.get_content_type())
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return Answer(0, str(reason).encode("utf-8", "replace"))


@dataclass
class WitnessOutcome:
    witness: str
    url: str
    old_size: int
    cosigned: bool = False
    error: str | None = None
    rollback: bool = False  # the witness saw a history this log no longer has

    def line(self) -> str:
        if self.cosigned:
            return f"{self.witness}: cosigned (from size {self.old_size})"
        flag = " — ROLLBACK" if self.rollback else ""
        return f"{self.witness}: {self.error}{flag}"


@dataclass
class Published:
    tree_size: int
    root: bytes
    origin: str
    quorum: int
    witnesses: list[WitnessOutcome] = field(default_factory=list)
    note: bytes = b""

    @property
    def cosignatures(self) -> int:
        return sum(1 for outcome in self.witnesses if outcome.cosigned)

    @property
    def ok(self) -> bool:
        return self.cosignatures >= self.quorum and not any(o.rollback for o in self.witnesses)


@dataclass
class _Ask:
    witness: Witness
    proof: list[bytes]
    outcome: WitnessOutcome  # its old size is the size this witness is asked from

    @property
    def old_size(self) -> int:
        return self.outcome.old_size


def _sign_and_prepare(witnesses: Sequence[Witness]) -> tuple[note.Checkpoint, bytes, list[_Ask]]:
    """Step 1, one transaction: the checkpoint as a note, and what to send each witness."""
    noted = note_checkpoint()
    origin, size = noted.origin, noted.tree_size
    text = checkpoint_note(size, origin)
    assert text is not None
    asks = []
    for witness in witnesses:
        old = min(last_cosigned_size(origin, witness), size)
        outcome = WitnessOutcome(witness.name, witness.url, old)
        asks.append(_Ask(witness, consistency_hashes(old, size), outcome))
    db.session.commit()
    body, _ = note.parse_note(text)
    return note.parse_checkpoint(body), text, asks


def _ask(post: Post, ask: _Ask, text: bytes) -> Answer:
    return post(
        ask.witness.add_checkpoint_url, note.render_add_checkpoint(ask.old_size, ask.proof, text)
    )


def _their_size(answer: Answer) -> int | None:
    """The size in a 409 answer (``text/x.tlog.size``: decimal and a newline), if it is one."""
    text = answer.body.decode("ascii", "replace")
    value = text[:-1] if text.endswith("\n") else text
    if value.isascii() and value.isdigit() and (value == "0" or not value.startswith("0")):
        return int(value)
    return None


def _first_line(body: bytes) -> str:
    line = body.decode("utf-8", "replace").strip().splitlines()
    return line[0][:200] if line else ""


_REFUSALS = {
    400: "refused the request as malformed (400)",
    403: "does not trust the log's key (403): give it the vkey of /log/vkey",
    404: "does not know the log's origin (404): configure it with the log's vkey",
    422: "refused the consistency proof (422)",
}


def _cosignature(ask: _Ask, checkpoint_body: bytes, answer: Answer) -> note.Signature | str:
    """The witness's verified cosignature from a 200 answer, or why there is none."""
    witness = ask.witness
    try:
        lines = answer.body.decode("utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        return "answered 200 with a body that is not UTF-8"
    found = []
    for line in lines:
        if not line.strip():
            continue
        try:
            _, [signature] = note.parse_note(checkpoint_body + b"\n" + line.encode("utf-8"))
        except (note.NoteError, ValueError):
            return f"answered 200 with a line that is not a note signature: {line.strip()[:80]}"
        if signature.name == witness.name and signature.key_id == witness.verifier.key_id:
            found.append(signature)
    if not found:
        return "answered 200 without a cosignature from its configured key"
    for signature in found:
        if witness.verifier.verify(checkpoint_body, signature.signature):
            return signature
    return "answered 200 with a cosignature that does not verify under its configured key"


def _judge(
    ask: _Ask, checkpoint: note.Checkpoint, body: bytes, answer: Answer, outcome: WitnessOutcome
) -> note.Signature | int | None:
    """A cosignature; or the size to ask again from (a 409 naming a size we can prove from);
    or None with ``outcome.error`` set."""
    if answer.status == 200:
        result = _cosignature(ask, body, answer)
        if isinstance(result, str):
            outcome.error = result
            return None
        return result
    if answer.status == 409:
        theirs = _their_size(answer)
        if theirs is None:
            outcome.error = f"answered 409 without a size: {_first_line(answer.body)!r}"
        elif theirs > checkpoint.size:
            outcome.error = (
                f"has cosigned a tree of {theirs} entries, larger than this log's "
                f"{checkpoint.size}: the log was rolled back or a checkpoint was deleted"
            )
            outcome.rollback = True
        elif theirs == ask.old_size:
            outcome.error = (
                f"holds a different tree of {theirs} entries than this log's (409): the log's "
                "history differs from what it saw"
            )
            outcome.rollback = True
        else:
            return theirs
        return None
    if answer.status == 0:
        outcome.error = (
            f"no answer from {ask.witness.add_checkpoint_url}: {_first_line(answer.body)}"
        )
        return None
    reason = _REFUSALS.get(answer.status, f"answered HTTP {answer.status}")
    said = _first_line(answer.body)
    outcome.error = f"{reason}{': ' + said if said else ''}"
    if answer.status == 422 and ask.old_size:
        outcome.error += (
            f"; from size {ask.old_size}, which it holds: the log's history differs from what "
            "it saw"
        )
        outcome.rollback = True
    return None


def publish(*, post: Post = http_post) -> Published:
    """Sign a checkpoint and collect the configured witnesses' cosignatures (see above)."""
    config = current_app.config
    witnesses: Sequence[Witness] = config["WITNESSES"]
    checkpoint, text, asks = _sign_and_prepare(witnesses)
    body = checkpoint.body()
    result = Published(
        checkpoint.size, checkpoint.root, checkpoint.origin, config["WITNESS_QUORUM"]
    )
    cosigned: list[tuple[Witness, note.Signature]] = []
    pending = list(asks)
    for _round in range(2):  # the first answer, and once more from the size a 409 names
        if not pending:
            break
        with ThreadPoolExecutor(max_workers=max(1, len(pending))) as pool:
            answers = list(pool.map(lambda ask: _ask(post, ask, text), pending))
        again = []
        for ask, answer in zip(pending, answers, strict=True):
            outcome = ask.outcome
            judged = _judge(ask, checkpoint, body, answer, outcome)
            if isinstance(judged, note.Signature):
                outcome.cosigned = True
                cosigned.append((ask.witness, judged))
            elif isinstance(judged, int):
                if _round == 1:
                    outcome.error = f"answered 409 again, now with size {judged}"
                    continue
                outcome.old_size = judged
                again.append(ask)
        if again:  # the proofs from the sizes named, in a short read of their own
            for ask in again:
                ask.proof = consistency_hashes(ask.old_size, checkpoint.size)
            db.session.rollback()
        pending = again
    _store(checkpoint, cosigned)
    result.witnesses = [ask.outcome for ask in asks]
    result.note = checkpoint_note(checkpoint.size, checkpoint.origin) or text
    db.session.commit()
    return result


def _store(checkpoint: note.Checkpoint, cosigned: list[tuple[Witness, note.Signature]]) -> None:
    """Step 3, one transaction: the verified cosignatures (one per witness key and size)."""
    received = utcnow()
    for witness, signature in cosigned:
        key = (checkpoint.size, checkpoint.origin, witness.name, witness.verifier.key_id)
        if db.session.get(AuditCosignature, key) is not None:
            continue  # asked twice for the same checkpoint: the first cosignature stands
        db.session.add(
            AuditCosignature(
                tree_size=checkpoint.size,
                origin=checkpoint.origin,
                witness=witness.name,
                key_id=witness.verifier.key_id,
                timestamp=note.cosignature_timestamp(signature),
                signature=signature.signature[8:],
                received_at=received,
            )
        )
    db.session.commit()
