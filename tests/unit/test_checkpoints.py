"""Checkpoints: the signed text, signing, and refusal of every kind of tampering."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from subsidy.audit import checkpoints
from subsidy.audit.checkpoints import (
    checkpoint_message,
    checkpoint_problem,
    generate_private_key_pem,
    key_id,
    load_private_key_pem,
    load_public_key_pem,
    public_key_pem,
    sign_checkpoint,
    verify_checkpoint,
)

ROOT = hashlib.sha256(b"some root").digest()
TIMESTAMP = "2025-11-26T12:00:00.000000+00:00"


@pytest.fixture(scope="module")
def private_key() -> Ed25519PrivateKey:
    return load_private_key_pem(generate_private_key_pem())


@pytest.fixture(scope="module")
def signed(private_key) -> dict:
    return sign_checkpoint(private_key, 42, ROOT, TIMESTAMP)


def test_the_signed_text_is_the_contract_format() -> None:
    assert checkpoint_message(42, ROOT.hex(), TIMESTAMP) == (
        f"subsidy-checkpoint\n42\n{ROOT.hex()}\n{TIMESTAMP}\n".encode()
    )


def test_a_signed_checkpoint_has_the_five_fields_and_verifies(private_key, signed) -> None:
    assert set(signed) == set(checkpoints.FIELDS)
    assert signed["tree_size"] == 42
    assert signed["root_hash"] == ROOT.hex()
    assert signed["timestamp"] == TIMESTAMP
    assert signed["key_id"] == key_id(private_key.public_key())
    assert len(base64.b64decode(signed["signature"], validate=True)) == 64
    assert verify_checkpoint(private_key.public_key(), signed)
    assert checkpoint_problem(private_key.public_key(), signed) is None


def test_the_signature_is_plain_ed25519_over_the_message(private_key, signed) -> None:
    message = checkpoint_message(42, ROOT.hex(), TIMESTAMP)
    private_key.public_key().verify(base64.b64decode(signed["signature"]), message)


def test_key_id_is_the_first_16_hex_digits_of_sha256_of_the_raw_key(private_key) -> None:
    from cryptography.hazmat.primitives import serialization

    raw = private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    assert key_id(private_key.public_key()) == hashlib.sha256(raw).hexdigest()[:16]


def _flip_signature(signature: str) -> str:
    raw = bytearray(base64.b64decode(signature))
    raw[0] ^= 1
    return base64.b64encode(bytes(raw)).decode()


# Each tamper maps a genuine checkpoint to the fields it changes.
TAMPERS = {
    "tree_size + 1": lambda c: {"tree_size": c["tree_size"] + 1},
    "tree_size as text": lambda c: {"tree_size": str(c["tree_size"])},
    "tree_size as bool": lambda c: {"tree_size": True},
    "negative tree_size": lambda c: {"tree_size": -c["tree_size"]},
    "root_hash changed": lambda c: {"root_hash": hashlib.sha256(b"other").hexdigest()},
    "root_hash upper case": lambda c: {"root_hash": c["root_hash"].upper()},
    "root_hash short": lambda c: {"root_hash": c["root_hash"][:-2]},
    "root_hash not hex": lambda c: {"root_hash": "zz" * 32},
    "timestamp changed": lambda c: {"timestamp": c["timestamp"].replace("12:00", "12:01")},
    "timestamp with newline": lambda c: {"timestamp": c["timestamp"] + "\n"},
    "timestamp not text": lambda c: {"timestamp": 1700000000},
    "key_id changed": lambda c: {"key_id": "0" * 16},
    "key_id missing": lambda c: {"key_id": None},
    "signature flipped": lambda c: {"signature": _flip_signature(c["signature"])},
    "signature truncated": lambda c: {"signature": c["signature"][:-4]},
    "signature not base64": lambda c: {"signature": "!" * 88},
    "signature without padding": lambda c: {"signature": c["signature"].rstrip("=")},
    "signature as bytes": lambda c: {"signature": base64.b64decode(c["signature"])},
}


@pytest.mark.parametrize("name", TAMPERS)
def test_tampering_with_any_field_is_refused(private_key, signed, name: str) -> None:
    checkpoint = {**signed, **TAMPERS[name](signed)}
    assert checkpoint != signed
    assert not verify_checkpoint(private_key.public_key(), checkpoint)
    assert checkpoint_problem(private_key.public_key(), checkpoint)


@pytest.mark.parametrize("field", checkpoints.FIELDS)
def test_a_missing_field_is_refused(private_key, signed, field: str) -> None:
    checkpoint = {k: v for k, v in signed.items() if k != field}
    assert checkpoint_problem(private_key.public_key(), checkpoint) == f"missing field {field}"


@pytest.mark.parametrize("junk", [None, [], "checkpoint", 42, {"tree_size": {}}])
def test_junk_is_refused_without_raising(private_key, junk) -> None:
    assert not verify_checkpoint(private_key.public_key(), junk)


def test_our_checkpoint_checked_with_another_key_fails_on_the_key_id(signed) -> None:
    stranger = Ed25519PrivateKey.generate()
    assert checkpoint_problem(stranger.public_key(), signed).startswith("signed by key_id")


def test_the_checkpoint_of_a_forger_who_copies_our_key_id_is_refused(private_key, signed) -> None:
    stranger = Ed25519PrivateKey.generate()
    forged = {**sign_checkpoint(stranger, 42, ROOT, TIMESTAMP), "key_id": signed["key_id"]}
    assert checkpoint_problem(private_key.public_key(), forged) == "signature invalid"


def test_extra_unsigned_fields_are_ignored(private_key, signed) -> None:
    assert verify_checkpoint(private_key.public_key(), {**signed, "note": "not signed"})


def test_pem_round_trip(private_key) -> None:
    public = load_public_key_pem(public_key_pem(private_key))
    assert key_id(public) == key_id(private_key.public_key())
    assert generate_private_key_pem().startswith(b"-----BEGIN PRIVATE KEY-----")


@pytest.mark.parametrize("loader", [load_private_key_pem, load_public_key_pem])
def test_loading_anything_but_an_ed25519_pem_is_a_value_error(loader) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    other = ec.generate_private_key(ec.SECP256R1())
    pems = [
        b"not a pem",
        other.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        other.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
    ]
    for pem in pems:
        with pytest.raises(ValueError):
            loader(pem)


@pytest.mark.parametrize(
    "args",
    [
        (-1, ROOT.hex(), TIMESTAMP),
        (1, ROOT.hex().upper(), TIMESTAMP),
        (1, ROOT.hex(), "two\nlines"),
        (1, ROOT.hex(), ""),
    ],
)
def test_ambiguous_messages_are_refused_before_signing(args) -> None:
    with pytest.raises(ValueError):
        checkpoint_message(*args)


def test_signing_refuses_a_root_that_is_not_32_bytes(private_key) -> None:
    with pytest.raises(ValueError):
        sign_checkpoint(private_key, 1, b"short", TIMESTAMP)
