"""``python -m subsidy.witness keygen | vkey | serve``: see :mod:`subsidy.witness`.

Bad command-line input is one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import os
import signal
import stat
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import NoReturn

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from subsidy.audit import note
from subsidy.witness.core import Witness
from subsidy.witness.server import WitnessServer, log_line
from subsidy.witness.state import State, StateError

PROG = "python -m subsidy.witness"
DEFAULT_LISTEN = "127.0.0.1:8790"


class UsageError(Exception):
    """Bad command-line input: reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="A C2SP tlog-witness (c2sp.org/tlog-witness).")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def command(name: str, text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=text, description=text)
        sub.add_argument("--key", required=True, type=Path, help="Ed25519 private key, PEM")
        sub.add_argument(
            "--name", required=True, help="the witness's key name, e.g. example.org/w1"
        )
        return sub

    command("keygen", "write a new private key (never over an existing file); print the vkey")
    command("vkey", "print the witness's vkey (signature type 0x04)")
    serve = command("serve", "serve POST <prefix>/add-checkpoint")
    serve.add_argument("--state", required=True, type=Path, help="SQLite state file")
    serve.add_argument(
        "--log",
        required=True,
        action="append",
        metavar="LOG_VKEY",
        help="a trusted log key; its name is the log's origin (repeat for more logs or keys)",
    )
    serve.add_argument("--listen", default=DEFAULT_LISTEN, help="HOST:PORT (port 0: any free)")
    serve.add_argument("--prefix", default="", help="URL prefix, e.g. /witness (default none)")
    return parser


def _check_name(name: str) -> str:
    problem = note.name_problem(name)
    if problem:
        raise UsageError(f"--name: {problem}")
    return name


def keygen(key_path: Path, name: str) -> str:
    """Write a new key to ``key_path`` (mode 0600, refusing an existing file); its vkey."""
    _check_name(name)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise UsageError(f"--key: {key_path} exists; a witness key is never overwritten") from None
    except OSError as exc:
        raise UsageError(f"--key: cannot create {key_path}: {exc.strerror}") from None
    with os.fdopen(fd, "wb") as file:
        file.write(pem)
    return _vkey(name, key)


def load_key(key_path: Path) -> Ed25519PrivateKey:
    try:
        data = key_path.read_bytes()
    except OSError as exc:
        raise UsageError(f"--key: cannot read {key_path}: {exc.strerror}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise UsageError(f"--key: {key_path} is not an unencrypted PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise UsageError(f"--key: {key_path} is not an Ed25519 key")
    mode = key_path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log_line(f"warning: {key_path} can be read by others than its owner (chmod 600 it)")
    return key


def _vkey(name: str, key: Ed25519PrivateKey) -> str:
    return note.verifier_for(name, note.COSIGNATURE_V1, key.public_key()).vkey()


def parse_listen(text: str) -> tuple[str, int]:
    host, colon, port_text = text.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not colon or not host or not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise UsageError(f"--listen: {text!r} is not HOST:PORT")
    return host, int(port_text)


def parse_prefix(text: str) -> str:
    if text and (not text.startswith("/") or text.endswith("/") or "?" in text or "#" in text):
        raise UsageError(f"--prefix: {text!r} must start with '/' and not end with one")
    return text


def parse_logs(vkeys: Sequence[str]) -> list[note.Verifier]:
    logs = []
    for text in vkeys:
        try:
            logs.append(note.parse_vkey(text))
        except note.NoteError as exc:
            raise UsageError(f"--log {text[:80]!r}: {exc}") from None
    return logs


def serve(args: argparse.Namespace) -> int:
    name = _check_name(args.name)
    key = load_key(args.key)
    logs = parse_logs(args.log)
    address = parse_listen(args.listen)
    prefix = parse_prefix(args.prefix)
    if not args.state.parent.is_dir():
        raise UsageError(f"--state: directory {args.state.parent} does not exist")
    try:
        state = State(args.state)
    except StateError as exc:
        raise UsageError(f"--state: {exc}") from None
    witness = Witness(name, key, logs, state)
    try:
        server = WitnessServer(address, witness, prefix)
    except OSError as exc:
        raise UsageError(f"--listen: cannot listen on {args.listen}: {exc.strerror}") from None

    def stop(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"listening on {server.url}", flush=True)
    log_line(f"witness {witness.vkey} for {', '.join(sorted(witness.logs))}, state {args.state}")
    try:
        server.serve_forever()
    finally:
        server.server_close()
    log_line("stopped")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        if args.command == "keygen":
            print(keygen(args.key, args.name))
            return 0
        if args.command == "vkey":
            print(_vkey(_check_name(args.name), load_key(args.key)))
            return 0
        return serve(args)
    except UsageError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
