"""C2SP signed notes, checkpoints, cosignatures and the tlog-witness and tlog-proof texts.

Pure Python (the standard library and ``cryptography``), written from the specifications:

* c2sp.org/signed-note@v1.0.0: the note format, key IDs, verifier keys (vkeys), Ed25519
  signatures (type 0x01).
* c2sp.org/tlog-checkpoint@v1.0.0: the checkpoint body (origin, size, root, extension lines).
* c2sp.org/tlog-cosignature@v1.0.1: timestamped Ed25519 cosignatures (type 0x04) over
  ``cosignature/v1\\ntime <t>\\n`` followed by the checkpoint body.
* c2sp.org/tlog-witness@v1.0.0: the ``add-checkpoint`` request body.
* c2sp.org/tlog-proof@v1: the offline proof text.

Parsing is strict so that one text has one meaning: base64 must be canonical (decoding and
encoding again gives the same text), decimals have no leading zeros, names follow the
signed-note rules. Every failure is a :class:`NoteError` whose message says what is wrong.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
SUPPORTED_TYPES = (ED25519, COSIGNATURE_V1)

KEY_ID_SIZE = 4
PUBLIC_KEY_SIZE = 32
ED25519_SIGNATURE_SIZE = 64
COSIGNATURE_SIZE = 8 + ED25519_SIGNATURE_SIZE
HASH_SIZE = 32
# signed-note: verifiers must accept at least 16 signatures; Go's reference refuses over 100.
MAX_SIGNATURES = 100
# tlog-witness: a client must not send more than 63 consistency proof lines.
MAX_CONSISTENCY_PROOF = 63
# An inclusion path in a tree of fewer than 2**64 leaves has at most 64 hashes.
MAX_INCLUSION_PROOF = 64
MAX_TREE_SIZE = 2**64 - 1
MAX_TIMESTAMP = 2**63 - 1

SIGNATURE_PREFIX = "— "  # em dash (U+2014), space
TLOG_PROOF_HEADER = "c2sp.org/tlog-proof@v1"
COSIGNATURE_HEADER = b"cosignature/v1\n"

_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_KEY_ID_HEX = re.compile(r"[0-9a-f]{8}")


class NoteError(ValueError):
    """A note, key or related text is malformed, or a signature does not verify."""


class VerificationError(NoteError):
    """The note is well formed, but no trusted signature verifies or a trusted one fails."""


# --- names, decimals and base64 ---------------------------------------------------------------


def name_problem(name: object) -> str | None:
    """Why ``name`` cannot be a signed-note key name, or None when it can."""
    if not isinstance(name, str):
        return "a key name must be a string"
    if not name:
        return "a key name must not be empty"
    if "+" in name:
        return f"key name {name!r} contains '+'"
    if any(c.isspace() for c in name):
        return f"key name {name!r} contains a space"
    if any(c < " " for c in name):
        return f"key name {name!r} contains a control character"
    if any("\ud800" <= c <= "\udfff" for c in name):
        return f"key name {name!r} is not valid Unicode"
    return None


def _check_name(name: object) -> str:
    problem = name_problem(name)
    if problem:
        raise NoteError(problem)
    assert isinstance(name, str)
    return name


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_decimal(text: str, what: str, maximum: int = MAX_TREE_SIZE) -> int:
    if not _DECIMAL.fullmatch(text):
        raise NoteError(f"{what} {text[:40]!r} is not a decimal without leading zeros")
    value = int(text)
    if value > maximum:
        raise NoteError(f"{what} {text[:40]!r} is too large")
    return value


def b64decode(text: str, what: str) -> bytes:
    """Standard base64 (RFC 4648 §4) in its one canonical spelling; NoteError otherwise."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        raise NoteError(f"{what} is not standard base64") from None
    if b64encode(raw) != text:
        raise NoteError(f"{what} is not canonical base64")
    return raw


def b64encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _decode_hash(text: str, what: str) -> bytes:
    raw = b64decode(text, what)
    if len(raw) != HASH_SIZE:
        raise NoteError(f"{what} is {len(raw)} bytes, not {HASH_SIZE}")
    return raw


def _check_hashes(hashes: Sequence[bytes], what: str, maximum: int) -> list[bytes]:
    hashes = list(hashes)
    if len(hashes) > maximum:
        raise NoteError(f"{what} has {len(hashes)} hashes, more than {maximum}")
    for h in hashes:
        if not isinstance(h, bytes | bytearray) or len(h) != HASH_SIZE:
            raise NoteError(f"every {what} hash must be {HASH_SIZE} bytes")
    return [bytes(h) for h in hashes]


def _decode_text(text: bytes, what: str) -> str:
    """UTF-8 with no ASCII control character other than newline (signed-note's rule)."""
    if not isinstance(text, bytes | bytearray):
        raise NoteError(f"{what} must be bytes")
    try:
        decoded = bytes(text).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NoteError(f"{what} is not valid UTF-8 (byte {exc.start})") from None
    for i, c in enumerate(decoded):
        if c < " " and c != "\n":
            raise NoteError(f"{what} contains control character {c!r} at character {i}")
    return decoded


def _check_body(body: bytes) -> bytes:
    _decode_text(body, "note text")
    if not body.endswith(b"\n"):
        raise NoteError("note text must end with a newline")
    return bytes(body)


# --- keys --------------------------------------------------------------------------------------


def key_id(name: str, sig_type: int, public_key_raw: bytes) -> bytes:
    """SHA-256(name || 0x0A || type || public key)[:4], signed-note's recommended key ID."""
    _check_name(name)
    if not _is_int(sig_type) or not 0 <= sig_type <= 0xFF:
        raise NoteError(f"signature type {sig_type!r} is not a byte")
    material = name.encode() + b"\n" + bytes([sig_type]) + bytes(public_key_raw)
    return hashlib.sha256(material).digest()[:KEY_ID_SIZE]


def raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _check_type(sig_type: object) -> int:
    if sig_type not in SUPPORTED_TYPES or not _is_int(sig_type):
        raise NoteError(f"unsupported signature type {sig_type!r} (supported: 0x01, 0x04)")
    assert isinstance(sig_type, int)
    return sig_type


@dataclass(frozen=True)
class Verifier:
    """A trusted key: it verifies the signatures whose name and key ID are its own."""

    name: str
    key_id: bytes
    type: int
    public_key: Ed25519PublicKey

    def __hash__(self) -> int:  # Ed25519PublicKey is not hashable; its raw bytes are
        return hash((self.name, self.key_id, self.type, self.public_key_raw))

    @property
    def public_key_raw(self) -> bytes:
        return raw_public_key(self.public_key)

    def vkey(self) -> str:
        return encode_vkey(self.name, self.type, self.public_key_raw)

    def verify(self, body: bytes, signature: bytes) -> bool:
        """Whether ``signature`` (the bytes after the key ID) signs ``body`` with this key.

        Type 0x01: an Ed25519 signature over the body. Type 0x04: an 8-byte big-endian
        timestamp (at most 2**63 - 1) and an Ed25519 signature over the cosignature/v1 message.
        """
        if self.type == ED25519:
            message, sig = bytes(body), bytes(signature)
            if len(sig) != ED25519_SIGNATURE_SIZE:
                return False
        elif self.type == COSIGNATURE_V1:
            if len(signature) != COSIGNATURE_SIZE:
                return False
            timestamp = int.from_bytes(signature[:8], "big")
            if timestamp > MAX_TIMESTAMP:
                return False
            message, sig = cosignature_message(body, timestamp), bytes(signature[8:])
        else:
            return False
        try:
            self.public_key.verify(sig, message)
        except InvalidSignature:
            return False
        return True


def verifier_for(name: str, sig_type: int, public_key: Ed25519PublicKey) -> Verifier:
    """The verifier of ``public_key`` under ``name`` for signature type 0x01 or 0x04."""
    _check_name(name)
    _check_type(sig_type)
    if not isinstance(public_key, Ed25519PublicKey):
        raise NoteError("the public key must be an Ed25519 public key")
    return Verifier(name, key_id(name, sig_type, raw_public_key(public_key)), sig_type, public_key)


def encode_vkey(name: str, sig_type: int, public_key_raw: bytes) -> str:
    """``<name>+<key ID, 8 lower-case hex digits>+<base64(type || public key)>``."""
    _check_name(name)
    _check_type(sig_type)
    if len(public_key_raw) != PUBLIC_KEY_SIZE:
        raise NoteError(f"an Ed25519 public key is {PUBLIC_KEY_SIZE} bytes")
    kid = key_id(name, sig_type, public_key_raw).hex()
    return f"{name}+{kid}+{b64encode(bytes([sig_type]) + bytes(public_key_raw))}"


def parse_vkey(text: str) -> Verifier:
    """The verifier a vkey describes; NoteError on anything malformed or unsupported.

    One trailing newline is allowed (a vkey read from a file). The key ID must be 8 lower-case
    hex digits and equal the one computed from the name, type and key.
    """
    if not isinstance(text, str):
        raise NoteError("a vkey must be a string")
    if text.endswith("\n"):
        text = text[:-1]
    parts = text.split("+", 2)
    if len(parts) != 3:
        raise NoteError("a vkey is <name>+<key id hex>+<base64 key>")
    name, kid_hex, key64 = parts
    _check_name(name)
    if not _KEY_ID_HEX.fullmatch(kid_hex):
        raise NoteError(f"vkey key ID {kid_hex[:20]!r} is not 8 lower-case hex digits")
    material = b64decode(key64, "vkey key")
    if not material:
        raise NoteError("vkey key is empty")
    sig_type, raw = material[0], material[1:]
    _check_type(sig_type)
    if len(raw) != PUBLIC_KEY_SIZE:
        raise NoteError(f"vkey key is {len(raw)} bytes, an Ed25519 key is {PUBLIC_KEY_SIZE}")
    kid = bytes.fromhex(kid_hex)
    expected = key_id(name, sig_type, raw)
    if kid != expected:
        raise NoteError(f"vkey key ID {kid_hex} does not match its key ({expected.hex()})")
    return Verifier(name, kid, sig_type, Ed25519PublicKey.from_public_bytes(raw))


# --- notes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signature:
    """One signature line: a key name, the 4-byte key ID and the signature bytes after it."""

    name: str
    key_id: bytes
    signature: bytes

    def __post_init__(self) -> None:
        _check_name(self.name)
        if not isinstance(self.key_id, bytes) or len(self.key_id) != KEY_ID_SIZE:
            raise NoteError(f"a key ID is {KEY_ID_SIZE} bytes")
        if not isinstance(self.signature, bytes) or not self.signature:
            raise NoteError("a signature must be non-empty bytes")

    def line(self) -> bytes:
        """``— <name> <base64(key ID || signature)>\\n`` in UTF-8."""
        encoded = b64encode(self.key_id + self.signature)
        return f"{SIGNATURE_PREFIX}{self.name} {encoded}\n".encode()


def _parse_signature_line(line: str) -> Signature:
    if not line.startswith(SIGNATURE_PREFIX):
        raise NoteError(f"signature line {line[:40]!r} does not start with an em dash and space")
    name, space, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
    if not space:
        raise NoteError(f"signature line {line[:40]!r} has no space between name and signature")
    _check_name(name)
    raw = b64decode(encoded, f"signature of {name!r}")
    if len(raw) <= KEY_ID_SIZE:
        raise NoteError(f"signature of {name!r} is only {len(raw)} bytes")
    return Signature(name, raw[:KEY_ID_SIZE], raw[KEY_ID_SIZE:])


def parse_signature_lines(text: bytes) -> list[Signature]:
    """One or more signature lines, each ending in a newline (a witness's response body)."""
    decoded = _decode_text(text, "signature lines")
    if not decoded.endswith("\n"):
        raise NoteError("signature lines must end with a newline")
    lines = decoded[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"more than {MAX_SIGNATURES} signatures")
    return [_parse_signature_line(line) for line in lines]


def parse_note(text: bytes) -> tuple[bytes, list[Signature]]:
    """(note text, signatures) of a signed note; NoteError when it is malformed.

    The text is everything before the last blank line, including its final newline. After
    that line come one or more signature lines, at most :data:`MAX_SIGNATURES`.
    """
    _decode_text(text, "note")
    text = bytes(text)
    split = text.rfind(b"\n\n")
    if split < 0:
        raise NoteError("note has no blank line before its signatures")
    body, signatures = text[: split + 1], text[split + 2 :]
    if not signatures:
        raise NoteError("note has no signature")
    return body, parse_signature_lines(signatures)


def format_note(body: bytes, signatures: Iterable[Signature]) -> bytes:
    """``body`` (ending in a newline), a blank line, then one line per signature."""
    _check_body(body)
    lines = [s.line() for s in signatures]
    if not lines:
        raise NoteError("a note needs at least one signature")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"more than {MAX_SIGNATURES} signatures")
    return bytes(body) + b"\n" + b"".join(lines)


def sign_note(private_key: Ed25519PrivateKey, name: str, body: bytes) -> Signature:
    """An Ed25519 note signature (type 0x01) of ``body`` by ``private_key`` as ``name``."""
    _check_body(body)
    kid = key_id(name, ED25519, raw_public_key(private_key.public_key()))
    return Signature(name, kid, private_key.sign(bytes(body)))


def _check_timestamp(timestamp: object) -> int:
    if not isinstance(timestamp, int) or isinstance(timestamp, bool):
        raise NoteError(f"timestamp {timestamp!r} is not an integer")
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise NoteError(f"timestamp {timestamp} is outside [0, 2**63 - 1]")
    return timestamp


def cosignature_message(body: bytes, timestamp: int) -> bytes:
    """What a cosignature/v1 signs: ``cosignature/v1\\ntime <t>\\n`` then the note text."""
    _check_timestamp(timestamp)
    return COSIGNATURE_HEADER + b"time %d\n" % timestamp + bytes(body)


def cosign(private_key: Ed25519PrivateKey, name: str, body: bytes, timestamp: int) -> Signature:
    """A timestamped Ed25519 cosignature (type 0x04) of ``body`` at POSIX time ``timestamp``."""
    _check_body(body)
    kid = key_id(name, COSIGNATURE_V1, raw_public_key(private_key.public_key()))
    signed = private_key.sign(cosignature_message(body, timestamp))
    return Signature(name, kid, timestamp.to_bytes(8, "big") + signed)


def cosignature_timestamp(signature: Signature) -> int:
    """The POSIX time a cosignature/v1 states; NoteError if it is not one (not 72 bytes)."""
    if len(signature.signature) != COSIGNATURE_SIZE:
        raise NoteError(
            f"a cosignature is {COSIGNATURE_SIZE} bytes, this one {len(signature.signature)}"
        )
    timestamp = int.from_bytes(signature.signature[:8], "big")
    if timestamp > MAX_TIMESTAMP:
        raise NoteError("cosignature timestamp exceeds 2**63 - 1")
    return timestamp


@dataclass(frozen=True)
class VerifiedNote:
    """A note whose signatures were checked.

    ``signatures`` are all of the note's signature lines, in order (unknown keys included);
    ``verified`` the trusted keys whose signatures verified, each once, in note order.
    """

    body: bytes
    signatures: list[Signature]
    verified: list[Verifier]


def _same_key(a: Verifier, b: Verifier) -> bool:
    return a.type == b.type and a.public_key_raw == b.public_key_raw


def verify_note(text: bytes, verifiers: Sequence[Verifier]) -> VerifiedNote:
    """Parse and verify a signed note against trusted keys, by signed-note's rules.

    A signature line matches a verifier only when both its name and its key ID do; the others
    are ignored. Every matching signature must verify (:class:`VerificationError` otherwise),
    and at least one must (:class:`VerificationError` otherwise). Malformed text is a
    :class:`NoteError`. Two different keys with the same name and key ID are ambiguous: a
    signature that matches them is refused.
    """
    body, signatures = parse_note(text)
    known: dict[tuple[str, bytes], Verifier] = {}
    ambiguous: set[tuple[str, bytes]] = set()
    for v in verifiers:
        ident = (v.name, v.key_id)
        if ident in known and not _same_key(known[ident], v):
            ambiguous.add(ident)
        known.setdefault(ident, v)
    verified: list[Verifier] = []
    for sig in signatures:
        ident = (sig.name, sig.key_id)
        verifier = known.get(ident)
        if verifier is None:
            continue
        label = f"{sig.name}+{sig.key_id.hex()}"
        if ident in ambiguous:
            raise VerificationError(f"ambiguous key {label}: two trusted keys share it")
        if not verifier.verify(body, sig.signature):
            raise VerificationError(f"invalid signature for key {label}")
        if verifier not in verified:
            verified.append(verifier)
    if not verified:
        raise VerificationError("no signature from a trusted key")
    return VerifiedNote(body, signatures, verified)


# --- checkpoints -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """A tlog-checkpoint note text: the log's origin, tree size and root hash."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> bytes:
        return checkpoint_body(self.origin, self.size, self.root, self.extensions)


def _check_line(text: object, what: str) -> str:
    if not isinstance(text, str) or not text:
        raise NoteError(f"{what} must be a non-empty string")
    _decode_text(text.encode("utf-8", "surrogatepass"), what)
    if "\n" in text:
        raise NoteError(f"{what} must not contain a newline")
    return text


def checkpoint_body(origin: str, size: int, root: bytes, extensions: Sequence[str] = ()) -> bytes:
    """``<origin>\\n<size>\\n<base64 root>\\n`` and any extension lines, each ending in \\n."""
    _check_line(origin, "origin")
    if not _is_int(size) or not 0 <= size <= MAX_TREE_SIZE:
        raise NoteError(f"tree size {size!r} is not an integer in [0, 2**64 - 1]")
    if not isinstance(root, bytes | bytearray) or len(root) != HASH_SIZE:
        raise NoteError(f"a root hash is {HASH_SIZE} bytes")
    lines = [origin, str(size), b64encode(bytes(root))]
    lines += [_check_line(e, "extension line") for e in extensions]
    return "".join(f"{line}\n" for line in lines).encode()


def parse_checkpoint(body: bytes) -> Checkpoint:
    """The checkpoint a note text states; NoteError unless it follows tlog-checkpoint exactly.

    At least three lines: a non-empty origin, the size (decimal, no leading zeros), the root
    (canonical base64 of 32 bytes); then optional extension lines, none empty.
    """
    text = _decode_text(body, "checkpoint")
    if not text.endswith("\n"):
        raise NoteError("checkpoint must end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError("checkpoint has fewer than three lines")
    origin, size_text, root_text, *extensions = lines
    if not origin:
        raise NoteError("checkpoint origin is empty")
    size = _parse_decimal(size_text, "checkpoint size")
    root = _decode_hash(root_text, "checkpoint root hash")
    if any(not e for e in extensions):
        raise NoteError("checkpoint has an empty extension line")
    return Checkpoint(origin, size, root, tuple(extensions))


# --- tlog-witness add-checkpoint ---------------------------------------------------------------


def _split_header(text: bytes, what: str) -> tuple[list[str], bytes]:
    """The lines before the first empty line, and the bytes after it (the note)."""
    split = text.find(b"\n\n")
    if split < 0:
        raise NoteError(f"{what} has no empty line before the checkpoint")
    head = _decode_text(text[:split], what)
    return head.split("\n"), text[split + 2 :]


def render_add_checkpoint(old_size: int, proof: Sequence[bytes], note: bytes) -> bytes:
    """An ``add-checkpoint`` request body: ``old <size>``, the proof lines, a blank line, the
    signed checkpoint."""
    if not _is_int(old_size) or not 0 <= old_size <= MAX_TREE_SIZE:
        raise NoteError(f"old size {old_size!r} is not an integer in [0, 2**64 - 1]")
    hashes = _check_hashes(proof, "consistency proof", MAX_CONSISTENCY_PROOF)
    _check_checkpoint_note(note)
    head = "".join([f"old {old_size}\n", *(f"{b64encode(h)}\n" for h in hashes)])
    return head.encode() + b"\n" + bytes(note)


def _check_checkpoint_note(note: bytes) -> Checkpoint:
    body, _ = parse_note(note)
    return parse_checkpoint(body)


def parse_add_checkpoint(body: bytes) -> tuple[int, list[bytes], bytes]:
    """(old size, consistency proof, signed checkpoint) of an ``add-checkpoint`` body.

    NoteError when it is malformed (a witness answers 400): a bad old size line, a proof line
    that is not canonical base64 of 32 bytes, more than 63 of them, or a checkpoint note that
    is not a well-formed signed checkpoint. Signatures are not verified here.
    """
    if not isinstance(body, bytes | bytearray):
        raise NoteError("request body must be bytes")
    lines, note = _split_header(bytes(body), "add-checkpoint body")
    old_line, *proof_lines = lines
    if not old_line.startswith("old "):
        raise NoteError("add-checkpoint body does not start with 'old <size>'")
    old_size = _parse_decimal(old_line[4:], "old size")
    if len(proof_lines) > MAX_CONSISTENCY_PROOF:
        raise NoteError(f"more than {MAX_CONSISTENCY_PROOF} consistency proof lines")
    proof = [_decode_hash(line, "consistency proof line") for line in proof_lines]
    _check_checkpoint_note(note)
    return old_size, proof, note


# --- tlog-proof --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TlogProof:
    """A c2sp.org/tlog-proof@v1: an entry's index, its inclusion proof and the checkpoint."""

    index: int
    proof: list[bytes]
    note: bytes
    extra: bytes | None = None


def render_tlog_proof(
    index: int, proof: Sequence[bytes], note: bytes, extra: bytes | None = None
) -> bytes:
    """The c2sp.org/tlog-proof@v1 text; ``extra`` (opaque, unauthenticated) is optional."""
    if not _is_int(index) or not 0 <= index < MAX_TREE_SIZE:
        raise NoteError(f"index {index!r} is not an integer in [0, 2**64 - 1)")
    hashes = _check_hashes(proof, "inclusion proof", MAX_INCLUSION_PROOF)
    _check_index(index, _check_checkpoint_note(note))
    lines = [TLOG_PROOF_HEADER]
    if extra is not None:
        if not isinstance(extra, bytes | bytearray):
            raise NoteError("extra data must be bytes")
        lines.append(f"extra {b64encode(bytes(extra))}")
    lines.append(f"index {index}")
    lines += [b64encode(h) for h in hashes]
    return "".join(f"{line}\n" for line in lines).encode() + b"\n" + bytes(note)


def parse_tlog_proof(text: bytes) -> TlogProof:
    """The proof a c2sp.org/tlog-proof@v1 text holds; NoteError when it is malformed.

    Only the structure is checked (and that the index is inside the checkpoint's tree): the
    checkpoint's signatures and the inclusion proof are the caller's to verify.
    """
    if not isinstance(text, bytes | bytearray):
        raise NoteError("a tlog-proof must be bytes")
    lines, note = _split_header(bytes(text), "tlog-proof")
    if lines[0] != TLOG_PROOF_HEADER:
        raise NoteError(f"tlog-proof does not start with {TLOG_PROOF_HEADER!r}")
    rest = lines[1:]
    extra = None
    if rest and rest[0].startswith("extra "):
        extra = b64decode(rest[0][len("extra ") :], "tlog-proof extra data")
        rest = rest[1:]
    if not rest or not rest[0].startswith("index "):
        raise NoteError("tlog-proof has no 'index <n>' line")
    index = _parse_decimal(rest[0][len("index ") :], "tlog-proof index", MAX_TREE_SIZE - 1)
    if len(rest) - 1 > MAX_INCLUSION_PROOF:
        raise NoteError(f"more than {MAX_INCLUSION_PROOF} inclusion proof lines")
    proof = [_decode_hash(line, "inclusion proof line") for line in rest[1:]]
    _check_index(index, _check_checkpoint_note(note))
    return TlogProof(index, proof, note, extra)


def _check_index(index: int, checkpoint: Checkpoint) -> None:
    if index >= checkpoint.size:
        raise NoteError(f"index {index} is outside the checkpoint's tree of {checkpoint.size}")
