"""A tiny C2SP log for driving witnesses: leaf hashes in a merkle.CompactRange, every completed
node kept for proofs, checkpoints signed with note.sign_note."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from subsidy.audit import merkle, note


class FakeLog:
    def __init__(self, origin: str, seed: bytes | None = None) -> None:
        self.origin = origin
        secret = hashlib.sha256(seed or origin.encode()).digest()
        self.key = Ed25519PrivateKey.from_private_bytes(secret)
        self.verifier = note.verifier_for(origin, note.ED25519, self.key.public_key())
        self.vkey = self.verifier.vkey()
        self._tree = merkle.CompactRange()
        self._nodes: dict[tuple[int, int], bytes] = {}
        self.roots = {0: merkle.EMPTY_ROOT}

    @property
    def size(self) -> int:
        return self._tree.size

    def grow(self, count: int) -> int:
        for _ in range(count):
            leaf = merkle.leaf_hash(f"{self.origin} entry {self._tree.size}".encode())
            for level, index, node in self._tree.append(leaf):
                self._nodes[(level, index)] = node
            self.roots[self._tree.size] = self._tree.root()
        return self._tree.size

    def checkpoint(self, size: int, root: bytes | None = None, key=None) -> bytes:
        """The signed checkpoint at ``size`` (or with another root, or signed by another key)."""
        body = note.checkpoint_body(self.origin, size, self.roots[size] if root is None else root)
        return note.format_note(body, [note.sign_note(key or self.key, self.origin, body)])

    def proof(self, old: int, size: int) -> list[bytes]:
        if old == 0:
            return []
        return merkle.consistency_proof(old, size, lambda level, index: self._nodes[level, index])

    def request(self, old: int, size: int, **checkpoint_options) -> bytes:
        return note.render_add_checkpoint(
            old, self.proof(old, size), self.checkpoint(size, **checkpoint_options)
        )


Submit = Callable[[int, int], tuple[int, bytes]]


def race(submit: Submit, *, threads: int, steps: int, limit: int) -> int:
    """Threads extend the tree from the size each last saw (``submit(old, size)`` gives the
    status and body; a 409 says the witness's size). Whatever the interleaving, the cosigned
    checkpoints must form one chain, each from the previous one's size: the end of that chain,
    which the witness must hold now. Starts from a witness that holds size 1."""
    successes: list[tuple[int, int]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads)

    def worker(seed: int) -> None:
        try:
            barrier.wait()
            known = 1
            for step in range(steps):
                size = min(limit, known + 1 + (seed * 3 + step) % 5)
                status, body = submit(known, size)
                if status == 200:
                    with lock:
                        successes.append((known, size))
                    known = size
                else:
                    assert status == 409, body
                    known = int(body)
        except BaseException as exc:
            errors.append(exc)

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    assert not errors, errors
    growth = sorted(s for s in successes if s[0] != s[1])
    assert growth, "no submission extended the tree"
    end = 1
    for old, size in growth:
        assert old == end, f"two cosigned checkpoints from one old size: {growth}"
        end = size
    assert end == max(size for _, size in successes)
    return end
