"""Signed checkpoints (tree heads) of the transparency log: Ed25519 over a fixed text.

The signed text is ``subsidy-checkpoint\\n<tree_size>\\n<root_hash hex>\\n<timestamp>\\n``. Every
field is validated before signing and before verifying so that one text has one meaning: a
timestamp with a newline, upper-case hex or a size like ``"010"`` is refused, not normalised.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Any, cast

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

FIELDS = ("tree_size", "root_hash", "timestamp", "key_id", "signature")
SIGNATURE_SIZE = 64
_HEX_ROOT = re.compile(r"[0-9a-f]{64}")
_KEY_ID = re.compile(r"[0-9a-f]{16}")


def checkpoint_message(tree_size: object, root_hash_hex: object, timestamp: object) -> bytes:
    """The exact bytes that are signed; ValueError on a field that could make them ambiguous.

    The fields are typed ``object``: they come from JSON as often as not, and are checked here.
    """
    if type(tree_size) is not int or tree_size < 0:
        raise ValueError("tree_size must be a non-negative integer")
    if not isinstance(root_hash_hex, str) or not _HEX_ROOT.fullmatch(root_hash_hex):
        raise ValueError("root_hash must be 64 lower-case hex digits")
    if not isinstance(timestamp, str) or not timestamp or "\n" in timestamp:
        raise ValueError("timestamp must be a non-empty string without newlines")
    return f"subsidy-checkpoint\n{tree_size}\n{root_hash_hex}\n{timestamp}\n".encode()


def key_id(public_key: Ed25519PublicKey) -> str:
    """First 16 hex digits of SHA-256 over the raw 32-byte public key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def sign_checkpoint(
    private_key: Ed25519PrivateKey, tree_size: int, root_hash: bytes, timestamp: str
) -> dict[str, Any]:
    if len(root_hash) != 32:
        raise ValueError("root_hash must be 32 bytes")
    message = checkpoint_message(tree_size, root_hash.hex(), timestamp)
    return {
        "tree_size": tree_size,
        "root_hash": root_hash.hex(),
        "timestamp": timestamp,
        "key_id": key_id(private_key.public_key()),
        "signature": base64.b64encode(private_key.sign(message)).decode("ascii"),
    }


def checkpoint_problem(public_key: Ed25519PublicKey, checkpoint: Any) -> str | None:
    """Why ``checkpoint`` does not verify under ``public_key``, or None when it does.

    Never raises on bad input: a wrong type or a malformed field is a reason like any other.
    Fields other than the five named ones are ignored (they are not signed).
    """
    if not isinstance(checkpoint, dict):
        return "not a JSON object"
    missing = [name for name in FIELDS if name not in checkpoint]
    if missing:
        return f"missing field {', '.join(missing)}"
    try:
        message = checkpoint_message(
            checkpoint["tree_size"], checkpoint["root_hash"], checkpoint["timestamp"]
        )
    except ValueError as exc:
        return str(exc)
    expected_id = key_id(public_key)
    if checkpoint["key_id"] != expected_id:
        return (
            f"signed by key_id {str(checkpoint['key_id'])[:64]!r}, "
            f"but the public key has key_id {expected_id}"
        )
    signature = _decode_signature(checkpoint["signature"])
    if signature is None:
        return "signature is not 64 bytes of standard base64"
    try:
        public_key.verify(signature, message)
    except InvalidSignature:
        return "signature invalid"
    return None


def verify_checkpoint(public_key: Ed25519PublicKey, checkpoint: Any) -> bool:
    return checkpoint_problem(public_key, checkpoint) is None


def _decode_signature(value: Any) -> bytes | None:
    if not isinstance(value, str):
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    # Refuse alternative spellings of the same bytes, so a checkpoint has one form.
    if len(raw) != SIGNATURE_SIZE or base64.b64encode(raw).decode("ascii") != value:
        return None
    return raw


def parse_root(checkpoint: Any) -> tuple[int, bytes]:
    """``(tree_size, root_hash bytes)`` of a checkpoint; ValueError when malformed."""
    if not isinstance(checkpoint, dict):
        raise ValueError("not a JSON object")
    size, root_hex = checkpoint.get("tree_size"), checkpoint.get("root_hash")
    checkpoint_message(size, root_hex, "-")  # validates both fields: an int and a hex string
    return cast(int, size), bytes.fromhex(cast(str, root_hex))


def generate_private_key_pem() -> bytes:
    """A new Ed25519 private key as unencrypted PKCS#8 PEM."""
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def load_private_key_pem(data: bytes) -> Ed25519PrivateKey:
    """ValueError unless ``data`` is an unencrypted Ed25519 private key in PEM."""
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (TypeError, UnsupportedAlgorithm) as exc:  # encrypted, or an unknown algorithm
        raise ValueError(str(exc)) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("not an Ed25519 private key")
    return key


def load_public_key_pem(data: bytes) -> Ed25519PublicKey:
    """ValueError unless ``data`` is an Ed25519 public key in PEM (SubjectPublicKeyInfo)."""
    try:
        key = serialization.load_pem_public_key(data)
    except UnsupportedAlgorithm as exc:
        raise ValueError(str(exc)) from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def public_key_pem(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
