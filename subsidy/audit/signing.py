"""The checkpoint signing key: from ``SUBSIDY_SIGNING_KEY`` or generated once into the instance."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import Flask, current_app

from subsidy.audit import checkpoints, note
from subsidy.config import write_once


@dataclass(frozen=True)
class SigningKey:
    private_key: Ed25519PrivateKey
    public_key: Ed25519PublicKey
    key_id: str
    public_pem: bytes


def load_signing_key(path: Path, *, create: bool) -> SigningKey:
    if not path.exists():
        if not create:
            raise FileNotFoundError(f"SUBSIDY_SIGNING_KEY: no key file at {path}")
        write_once(path, checkpoints.generate_private_key_pem())
    private_key = checkpoints.load_private_key_pem(path.read_bytes())
    public_key = private_key.public_key()
    return SigningKey(
        private_key=private_key,
        public_key=public_key,
        key_id=checkpoints.key_id(public_key),
        public_pem=checkpoints.public_key_pem(private_key),
    )


def init_log_identity(app: Flask) -> None:
    """Parse the origin, the witnesses and the quorum once: a typo stops the service at start
    (ValueError naming the variable), not a publish hours later."""
    from subsidy.audit.witnesses import check_origin, parse_quorum, parse_witnesses

    config = app.config
    if config.get("LOG_ORIGIN"):
        check_origin(config["LOG_ORIGIN"])
    if isinstance(config.get("WITNESSES", ""), str):
        config["WITNESSES"] = parse_witnesses(config.get("WITNESSES", ""))
    if not isinstance(config.get("WITNESS_QUORUM"), int):
        config["WITNESS_QUORUM"] = parse_quorum(
            config.get("WITNESS_QUORUM"), len(config["WITNESSES"])
        )


def init_signing_key(app: Flask) -> None:
    path = Path(app.config["SIGNING_KEY_PATH"])
    # An operator-named key must exist; only the default instance key is generated.
    create = "SUBSIDY_SIGNING_KEY" not in os.environ or app.config.get("TESTING", False)
    app.extensions["subsidy.signing_key"] = load_signing_key(path, create=create)
    init_log_identity(app)


def signing_key() -> SigningKey:
    return current_app.extensions["subsidy.signing_key"]


def log_origin() -> str:
    """The log's C2SP origin (and note key name): ``SUBSIDY_LOG_ORIGIN``, else the public URL's
    host with ``/log``. Read when signing, as the public URL may be set by ``subsidy run``."""
    from subsidy.audit.witnesses import default_origin

    return current_app.config.get("LOG_ORIGIN") or default_origin(current_app.config["PUBLIC_URL"])


def log_verifier() -> note.Verifier:
    """The log's note key: what ``/log/vkey`` publishes."""
    return note.verifier_for(log_origin(), note.ED25519, signing_key().public_key)
