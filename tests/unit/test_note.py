"""subsidy.audit.note against the C2SP texts and other implementations' published vectors.

Byte-for-byte vectors: Go's golang.org/x/mod/sumdb/note (the PeterNeumann key, note and
signature), the signed-note spec's vkey example, a real sum.golang.org checkpoint, sigsum-go's
checkpoint signature and cosignature/v1 (its key is the seed 17, 0, ..., 0), and the
tlog-cosignature example's timestamp. Round trips go through an independent reading of the
specs written below with regular expressions and splits, which uses nothing from note.py.
"""

from __future__ import annotations

import base64
import hashlib
import re
import struct

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st

from subsidy.audit import note
from subsidy.audit.note import (
    COSIGNATURE_V1,
    ED25519,
    Checkpoint,
    NoteError,
    Signature,
    TlogProof,
    VerificationError,
    checkpoint_body,
    cosign,
    cosignature_message,
    cosignature_timestamp,
    encode_vkey,
    format_note,
    key_id,
    parse_add_checkpoint,
    parse_checkpoint,
    parse_note,
    parse_tlog_proof,
    parse_vkey,
    render_add_checkpoint,
    render_tlog_proof,
    sign_note,
    verifier_for,
    verify_note,
)

# --- Go's golang.org/x/mod/sumdb/note (note.go's documentation and note_test.go) ---------------
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_TEXT = (
    b"If you think cryptography is the answer to your problem,\n"
    b"then you don't know what your problem is.\n"
)
PETER_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotp"
    "RZb6KE6RyyBwJnAM=\n"
).encode()
PETER_NOTE = PETER_TEXT + b"\n" + PETER_SIG
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
ENOCH_SIG = (
    "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox"
    "33WWd1RvMc+QQ=\n"
).encode()

# --- c2sp.org/signed-note, "Verifier keys", example ------------------------------------------
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = (
    "This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONn"
    "cAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
).encode()

# --- sum.golang.org (its key from cmd/go; the checkpoint as quoted by sigsum-go's tests) -------
SUMDB_VKEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
SUMDB_CHECKPOINT = (
    "go.sum database tree\n30055305\nmXfgRcJ0bG0j3CPdKwgGWtUzBUbX67saZGRmFuJGGsM=\n\n"
    "— sum.golang.org Az3grpgEild5qw7+5dtV13Kf1C2Xurm8q4fhdxvcsDHnqNTaxL2AFjBY+2TyGKevucFcAAlWFJ"
    "JYle3EJlDCrQ+y3A8=\n"
).encode()

# --- sigsum-go pkg/checkpoint tests: private key seed {17, 0, ...}, root {28, 14, 71, 0, ...} ---
SIGSUM_SEED = bytes([17]) + bytes(31)
SIGSUM_ROOT = bytes([28, 14, 71]) + bytes(29)
SIGSUM_ORIGIN = (
    "sigsum.org/v1/tree/e796172b92befd62d9dc67e41c2f5bc9d3100a3023b20b1ca40288dd1c679e69"
)
SIGSUM_LOG_NOTE = (
    f"{SIGSUM_ORIGIN}\n10\nHA5HAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n"
    f"— {SIGSUM_ORIGIN} gJ2ho0n8F8olcerUF1FFdv235A/5as/coWrpLrtE7ovMeP5whgwouYExowG/lTznxu6OUGj"
    "jt5yJQ6bXtTcf718MqAQ=\n"
).encode()
SIGSUM_COSIGNATURE = (
    "— example.org/witness ys8uUAAAAAAAAATSftMzceM8zssdZ9jin9SjwIxzx9iADMf63VqirX2hafol9RsqNqb"
    "ofIz0LVRqHXI2kpEBSki5RTXFtxz1vo9+Cg==\n"
).encode()

# --- the C2SP texts' examples -------------------------------------------------------------------
SOFA_BODY = b"example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SOFA_LOG_SIG = (
    "— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv"
    "2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
).encode()
COSIGNATURE_EXAMPLE = (
    SOFA_BODY
    + b"\n"
    + SOFA_LOG_SIG
    + (
        "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJs"
        "X3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
    ).encode()
)
WITNESS_REQUEST_EXAMPLE = (
    b"old 20852014\n"
    b"PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n"
    b"jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n"
    b"5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n"
    b"/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n"
    b"\n"
    + SOFA_BODY
    + b"\n"
    + SOFA_LOG_SIG
    + (
        "— example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZdXNqlcVGlCum2Wks+49"
        "/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=\n"
    ).encode()
)
WITNESS_RESPONSE_EXAMPLE = (
    "— witness.example/w1 CMp+6LWBU0anHGH5aNDTJkH/gj79sG+T6+iP2ThYN5krrDJbR1HDnucjL39QsZTSvVjyQLr"
    "dk3DXDqI5G2HgLatVs0pWh6Up69HVOw==\n"
    "— witness.example/w1 I7rEps0pvK2UqkS2gSpVUDhrhVtQV9lgF6pRrWAvjJHjyWpW7VcE3SiOlVlbQNt64vWhO+D"
    "lkL0+UfzuOBMh9ChdMkP1vi/lCAsmlw==\n"
    "— witness.example/w2 AWui8Sk55XjYLOijihBjhqEH6nS1ndDymE0a+6idX7pLcnoB+dhnz0854aLZgrrKbYKA7nC"
    "3HNJhm/kWl7oJlqU3rXXvpysAdyP3wQ==\n"
).encode()
# tlog-proof's example; its signatures are elided with "[...]" in the text itself.
TLOG_PROOF_EXAMPLE = """c2sp.org/tlog-proof@v1
extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ
index 73894
gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=
B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=
EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=
RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=
AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=

example.com/fancylog
109482
sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=

— example.com/fancylog hI2DJw[...]1roloI=
— witness1.example mJirIklj[...]qY9v2B/5bg==
— witness2.example TnKKVHLX[...]xwYwrSjgow==
— witness3.example S4X82uH5[...]3oEcROGLFQ==
""".encode()


# --- an independent reading of the specs (regular expressions and splits only) -----------------

B64 = r"[A-Za-z0-9+/]*={0,2}"
HASH_B64 = r"[A-Za-z0-9+/]{43}="
DECIMAL = r"0|[1-9][0-9]*"
REF_SIGNATURE_LINE = re.compile(rf"— ([^\s+]+) ({B64})")


def ref_b64(text: str) -> bytes:
    raw = base64.b64decode(text, validate=True)
    assert base64.b64encode(raw).decode() == text
    return raw


def ref_parse_note(text: bytes) -> tuple[bytes, list[tuple[str, bytes, bytes]]]:
    """signed-note: text, the LAST blank line, then "— name base64(id || sig)" lines."""
    decoded = text.decode("utf-8")
    assert not re.search(r"[\x00-\x09\x0b-\x1f]", decoded)
    head, blank, tail = decoded.rpartition("\n\n")
    assert blank and tail.endswith("\n")
    signatures = []
    for line in tail[:-1].split("\n"):
        match = REF_SIGNATURE_LINE.fullmatch(line)
        assert match, line
        raw = ref_b64(match[2])
        signatures.append((match[1], raw[:4], raw[4:]))
    return (head + "\n").encode(), signatures


def ref_render_note(body: bytes, signatures: list[tuple[str, bytes, bytes]]) -> bytes:
    lines = "".join(f"— {n} {base64.b64encode(k + s).decode()}\n" for n, k, s in signatures)
    return body + b"\n" + lines.encode()


def ref_parse_checkpoint(body: bytes) -> tuple[str, int, bytes, tuple[str, ...]]:
    origin, size, root, *rest = body.decode().split("\n")
    assert origin and re.fullmatch(DECIMAL, size) and re.fullmatch(HASH_B64, root)
    assert rest[-1] == "" and all(rest[:-1])
    return origin, int(size), ref_b64(root), tuple(rest[:-1])


def ref_render_checkpoint(origin: str, size: int, root: bytes, ext: tuple[str, ...]) -> bytes:
    return "".join(f"{x}\n" for x in [origin, size, base64.b64encode(root).decode(), *ext]).encode()


REF_ADD_CHECKPOINT = re.compile(rf"old ({DECIMAL})\n((?:{HASH_B64}\n)*)\n".encode())
REF_TLOG_PROOF = re.compile(
    rf"c2sp\.org/tlog-proof@v1\n(?:extra ({B64})\n)?"
    rf"index ({DECIMAL})\n((?:{HASH_B64}\n)*)\n".encode()
)


def ref_parse_add_checkpoint(body: bytes) -> tuple[int, list[bytes], bytes]:
    match = REF_ADD_CHECKPOINT.match(body)
    assert match
    proof = [ref_b64(line) for line in match[2].decode().split()]
    return int(match[1]), proof, body[match.end() :]


def ref_render_add_checkpoint(old: int, proof: list[bytes], note_text: bytes) -> bytes:
    lines = "".join(f"{base64.b64encode(h).decode()}\n" for h in proof)
    return f"old {old}\n{lines}\n".encode() + note_text


def ref_parse_tlog_proof(text: bytes) -> tuple[int, list[bytes], bytes, bytes | None]:
    match = REF_TLOG_PROOF.match(text)
    assert match
    extra = None if match[1] is None else ref_b64(match[1].decode())
    proof = [ref_b64(line) for line in match[3].decode().split()]
    return int(match[2]), proof, text[match.end() :], extra


def ref_render_tlog_proof(index: int, proof: list[bytes], note_text: bytes, extra: bytes | None):
    lines = ["c2sp.org/tlog-proof@v1"]
    if extra is not None:
        lines.append("extra " + base64.b64encode(extra).decode())
    lines += [f"index {index}"] + [base64.b64encode(h).decode() for h in proof]
    return "".join(f"{x}\n" for x in lines).encode() + b"\n" + note_text


def ref_key_id(name: str, sig_type: int, raw_key: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + raw_key).digest()[:4]


def raw(public_key: Ed25519PublicKey) -> bytes:
    return note.raw_public_key(public_key)


# --- published vectors ---------------------------------------------------------------------------


def peter_private_key() -> Ed25519PrivateKey:
    encoded = PETER_SKEY.split("+", 4)[-1]  # base64 may hold "+" too
    material = base64.b64decode(encoded)
    assert material[0] == ED25519
    return Ed25519PrivateKey.from_private_bytes(material[1:])


def test_go_vkey_parses_with_its_key_id() -> None:
    peter = parse_vkey(PETER_VKEY)
    assert (peter.name, peter.key_id.hex(), peter.type) == ("PeterNeumann", "c74f20a3", ED25519)
    assert peter.vkey() == PETER_VKEY
    assert encode_vkey("PeterNeumann", ED25519, raw(peter.public_key)) == PETER_VKEY
    assert key_id("PeterNeumann", ED25519, raw(peter.public_key)) == bytes.fromhex("c74f20a3")
    assert parse_vkey(ENOCH_VKEY).key_id.hex() == "af0cfe78"


def test_go_private_key_gives_the_published_public_key() -> None:
    public = peter_private_key().public_key()
    assert encode_vkey("PeterNeumann", ED25519, raw(public)) == PETER_VKEY


def test_go_note_verifies() -> None:
    verified = verify_note(PETER_NOTE, [parse_vkey(PETER_VKEY)])
    assert verified.body == PETER_TEXT
    assert [v.name for v in verified.verified] == ["PeterNeumann"]


def test_resigning_the_go_note_gives_the_same_bytes() -> None:
    signature = sign_note(peter_private_key(), "PeterNeumann", PETER_TEXT)
    assert signature.line() == PETER_SIG
    assert format_note(PETER_TEXT, [signature]) == PETER_NOTE


def test_go_two_signature_note_verifies_each_key_and_ignores_unknown_ones() -> None:
    text = PETER_TEXT + b"\n" + PETER_SIG + ENOCH_SIG
    peter, enoch = parse_vkey(PETER_VKEY), parse_vkey(ENOCH_VKEY)
    only_peter = verify_note(text, [peter])
    assert only_peter.verified == [peter]
    assert [s.name for s in only_peter.signatures] == ["PeterNeumann", "EnochRoot"]
    assert verify_note(text, [enoch, peter]).verified == [peter, enoch]  # in note order
    with pytest.raises(VerificationError, match="no signature from a trusted key"):
        verify_note(text, [])


def test_go_vkey_manglings_are_refused() -> None:
    """Go's TestNewVerifier: every proper substring, and every one-byte increment, fails."""
    encoded = PETER_VKEY.encode()
    for i in range(len(encoded) + 1):
        for j in range(i + 1, len(encoded) + 1):
            if (i, j) != (0, len(encoded)):
                with pytest.raises(NoteError):
                    parse_vkey(encoded[i:j].decode())
    for i in range(len(encoded)):
        mangled = bytearray(encoded)
        mangled[i] += 1
        with pytest.raises(NoteError):
            parse_vkey(mangled.decode())
    # A key of the wrong length and an unknown algorithm, each with a matching key ID.
    with pytest.raises(NoteError):
        parse_vkey("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==")
    with pytest.raises(NoteError, match="unsupported signature type"):
        parse_vkey("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")


def test_signed_note_spec_vkey_example_verifies() -> None:
    verifier = parse_vkey(SPEC_VKEY)
    assert verify_note(SPEC_NOTE, [verifier]).body == b"This is an example message.\n"
    assert parse_vkey(SPEC_VKEY + "\n") == verifier  # one trailing newline, as read from a file


def test_a_real_sum_golang_org_checkpoint_verifies_and_parses() -> None:
    verified = verify_note(SUMDB_CHECKPOINT, [parse_vkey(SUMDB_VKEY)])
    checkpoint = parse_checkpoint(verified.body)
    assert (checkpoint.origin, checkpoint.size) == ("go.sum database tree", 30055305)
    assert checkpoint.root == base64.b64decode("mXfgRcJ0bG0j3CPdKwgGWtUzBUbX67saZGRmFuJGGsM=")
    assert checkpoint.body() == verified.body


def test_sigsum_log_signature_and_cosignature_byte_for_byte() -> None:
    key = Ed25519PrivateKey.from_private_bytes(SIGSUM_SEED)
    assert hashlib.sha256(raw(key.public_key())).hexdigest() in SIGSUM_ORIGIN
    log_body = checkpoint_body(SIGSUM_ORIGIN, 10, SIGSUM_ROOT)
    assert format_note(log_body, [sign_note(key, SIGSUM_ORIGIN, log_body)]) == SIGSUM_LOG_NOTE
    witness_body = checkpoint_body("example.org/log", 10, SIGSUM_ROOT)
    cosignature = cosign(key, "example.org/witness", witness_body, 1234)
    assert cosignature.line() == SIGSUM_COSIGNATURE
    assert cosignature_timestamp(cosignature) == 1234
    witness = verifier_for("example.org/witness", COSIGNATURE_V1, key.public_key())
    assert witness.key_id == ref_key_id("example.org/witness", 4, raw(key.public_key()))
    assert verify_note(witness_body + b"\n" + SIGSUM_COSIGNATURE, [witness]).verified == [witness]


def test_transparency_dev_vkeys_of_both_types_parse() -> None:
    assert parse_vkey("TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6").type == ED25519
    cosigner = parse_vkey("remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2")
    assert (cosigner.type, cosigner.key_id.hex()) == (COSIGNATURE_V1, "da77ade7")


def test_transparency_dev_cosignature_timestamp() -> None:
    encoded = (
        "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcF"
        "iEBYJXORmnFBOBA=="
    )
    material = base64.b64decode(encoded)
    assert cosignature_timestamp(Signature("w", material[:4], material[4:])) == 1727964367
    plain = base64.b64decode(PETER_SIG.decode().split()[-1])
    with pytest.raises(NoteError, match="72 bytes"):
        cosignature_timestamp(Signature("PeterNeumann", plain[:4], plain[4:]))


def test_cosignature_spec_example_states_the_time_of_its_message_example() -> None:
    body, signatures = parse_note(COSIGNATURE_EXAMPLE)
    assert body == SOFA_BODY
    assert [s.name for s in signatures] == ["example.com/behind-the-sofa", "witness.example.com/w1"]
    assert cosignature_timestamp(signatures[1]) == 1679315147  # "time 1679315147" in the spec
    assert cosignature_message(body, 1679315147) == (
        b"cosignature/v1\ntime 1679315147\n" + b"example.com/behind-the-sofa\n20852163\n"
        b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )


def test_witness_spec_request_example_parses() -> None:
    old, proof, signed = parse_add_checkpoint(WITNESS_REQUEST_EXAMPLE)
    assert old == 20852014
    assert [base64.b64encode(h).decode()[:8] for h in proof] == [
        "PlRNCrwH",
        "jrJZDmY8",
        "5+pKlUdi",
        "/6WVhPs2",
    ]
    body, signatures = parse_note(signed)
    assert parse_checkpoint(body) == Checkpoint(
        "example.com/behind-the-sofa",
        20852163,
        base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="),
    )
    assert len(signatures) == 2
    assert render_add_checkpoint(old, proof, signed) == WITNESS_REQUEST_EXAMPLE
    assert ref_parse_add_checkpoint(WITNESS_REQUEST_EXAMPLE) == (old, proof, signed)


def test_witness_spec_response_example_is_three_cosignature_lines() -> None:
    lines = note.parse_signature_lines(WITNESS_RESPONSE_EXAMPLE)
    assert [s.name for s in lines] == ["witness.example/w1"] * 2 + ["witness.example/w2"]
    assert all(len(s.signature) == 72 for s in lines)
    assert b"".join(s.line() for s in lines) == WITNESS_RESPONSE_EXAMPLE


def test_tlog_proof_spec_example_structure() -> None:
    """The example's signatures are elided ("[...]"), so it is refused as it stands; rendered
    with the same values and real signatures, every line before the signatures is the same."""
    with pytest.raises(NoteError):
        parse_tlog_proof(TLOG_PROOF_EXAMPLE)
    index, proof, signed, extra = ref_parse_tlog_proof(TLOG_PROOF_EXAMPLE)
    assert (index, len(proof)) == (73894, 5)
    assert extra is not None and extra.startswith(b"age-v1.2.1-darwin-arm64.tar.gz")
    body = signed.split(b"\n\n")[0] + b"\n"
    assert parse_checkpoint(body).size == 109482
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    real = format_note(body, [sign_note(key, "example.com/fancylog", body)])
    rendered = render_tlog_proof(index, proof, real, extra)
    signature_block = TLOG_PROOF_EXAMPLE.index(b"\xe2\x80\x94")
    assert rendered[:signature_block] == TLOG_PROOF_EXAMPLE[:signature_block]
    assert parse_tlog_proof(rendered) == TlogProof(index, proof, real, extra)


# --- verification rules ------------------------------------------------------------------------

LOG_KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"test log key").digest())
WITNESS_KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"test witness").digest())
LOG = verifier_for("example.org/log", ED25519, LOG_KEY.public_key())
WITNESS = verifier_for("example.org/witness", COSIGNATURE_V1, WITNESS_KEY.public_key())
BODY = checkpoint_body("example.org/log", 5, hashlib.sha256(b"root").digest())


def signed_checkpoint(*extra: Signature) -> bytes:
    return format_note(BODY, [sign_note(LOG_KEY, "example.org/log", BODY), *extra])


def test_cosignature_verifies_independently_of_note_py() -> None:
    cosignature = cosign(WITNESS_KEY, "example.org/witness", BODY, 1_700_000_000)
    assert cosignature.key_id == ref_key_id("example.org/witness", 4, raw(WITNESS_KEY.public_key()))
    (timestamp,) = struct.unpack(">Q", cosignature.signature[:8])
    assert timestamp == 1_700_000_000
    message = b"cosignature/v1\ntime 1700000000\n" + BODY
    WITNESS_KEY.public_key().verify(cosignature.signature[8:], message)
    with pytest.raises(InvalidSignature):
        WITNESS_KEY.public_key().verify(cosignature.signature[8:], BODY)
    assert verify_note(signed_checkpoint(cosignature), [WITNESS]).verified == [WITNESS]


def test_a_cosignature_key_does_not_verify_a_plain_signature_and_back() -> None:
    same_key_as_log = verifier_for("example.org/log", COSIGNATURE_V1, LOG_KEY.public_key())
    assert same_key_as_log.key_id != LOG.key_id  # the type byte is in the key ID
    with pytest.raises(VerificationError):
        verify_note(signed_checkpoint(), [same_key_as_log])
    signature = sign_note(LOG_KEY, "example.org/log", BODY)
    assert LOG.verify(BODY, signature.signature)
    assert not same_key_as_log.verify(BODY, signature.signature)


def test_signatures_that_share_only_a_name_or_only_a_key_id_are_ignored() -> None:
    good = sign_note(LOG_KEY, "example.org/log", BODY)
    other_id = Signature("example.org/log", b"\x00\x00\x00\x00", good.signature[::-1])
    other_name = Signature("example.org/log2", good.key_id, good.signature[::-1])
    text = format_note(BODY, [other_id, other_name, good])
    assert verify_note(text, [LOG]).verified == [LOG]
    with pytest.raises(VerificationError, match="no signature"):
        verify_note(format_note(BODY, [other_id, other_name]), [LOG])


def test_a_known_key_whose_signature_fails_rejects_the_note() -> None:
    good = sign_note(LOG_KEY, "example.org/log", BODY)
    bad = Signature(good.name, good.key_id, bytes(64))
    with pytest.raises(VerificationError, match=r"invalid signature for key example\.org/log\+"):
        verify_note(format_note(BODY, [good, bad]), [LOG])
    bad_cosignature = Signature(WITNESS.name, WITNESS.key_id, bytes(72))
    with pytest.raises(VerificationError):
        verify_note(signed_checkpoint(bad_cosignature), [LOG, WITNESS])


def test_duplicate_signatures_count_once_and_duplicate_verifiers_are_harmless() -> None:
    good = sign_note(LOG_KEY, "example.org/log", BODY)
    verified = verify_note(format_note(BODY, [good, good]), [LOG, LOG])
    assert verified.verified == [LOG] and len(verified.signatures) == 2
    assert len({LOG, parse_vkey(LOG.vkey())}) == 1  # hashable, equal by value


def test_two_different_keys_with_one_name_and_id_are_ambiguous() -> None:
    impostor = note.Verifier(LOG.name, LOG.key_id, ED25519, WITNESS_KEY.public_key())
    with pytest.raises(VerificationError, match="ambiguous"):
        verify_note(signed_checkpoint(), [LOG, impostor])


def test_cosignature_timestamps_outside_the_allowed_range() -> None:
    with pytest.raises(NoteError):
        cosign(WITNESS_KEY, "w", BODY, 2**63)
    with pytest.raises(NoteError):
        cosign(WITNESS_KEY, "w", BODY, -1)
    too_late = Signature(WITNESS.name, WITNESS.key_id, (2**63).to_bytes(8, "big") + bytes(64))
    with pytest.raises(NoteError, match="2\\*\\*63"):
        cosignature_timestamp(too_late)
    assert not WITNESS.verify(BODY, too_late.signature)


def test_at_least_sixteen_signatures_are_accepted_and_the_limit_is_enforced() -> None:
    keys = [Ed25519PrivateKey.from_private_bytes(bytes([i]) * 32) for i in range(16)]
    signatures = [cosign(k, f"w{i}.example", BODY, i) for i, k in enumerate(keys)]
    text = signed_checkpoint(*signatures)
    trusted = [verifier_for(f"w{i}.example", 4, k.public_key()) for i, k in enumerate(keys)]
    assert verify_note(text, trusted).verified == trusted
    too_many = BODY + b"\n" + signatures[0].line() * (note.MAX_SIGNATURES + 1)
    with pytest.raises(NoteError, match="more than"):
        parse_note(too_many)


# --- malformed inputs --------------------------------------------------------------------------

GOOD_LINE = PETER_SIG.decode()


@pytest.mark.parametrize(
    "text",
    [
        PETER_TEXT,  # no signature block
        PETER_TEXT + b"\n",  # a blank line and nothing after it
        PETER_TEXT + b"\n" + PETER_SIG[:-1],  # last line without its newline
        b"\x01" + PETER_NOTE,  # a control character
        b"\xff" + PETER_NOTE,  # not UTF-8
        PETER_NOTE.replace(b"\n\n", b"\r\n\n"),  # CR is a control character too
        PETER_TEXT + b"\n" + "— Bad Name x08go/ZJkuBS9UG/SffcvIA=\n".encode(),  # space in name
        PETER_NOTE + b"Unexpected line.\n",
        PETER_TEXT + b"\n" + GOOD_LINE.replace("— ", "- ").encode(),  # hyphen, not em dash
        PETER_TEXT + b"\n" + GOOD_LINE.replace("— ", "—").encode(),  # no space after the dash
        PETER_TEXT + b"\n" + GOOD_LINE.replace("PeterNeumann ", "Peter+Neumann ").encode(),
        PETER_TEXT + b"\n" + GOOD_LINE.replace("PeterNeumann ", " ").encode(),  # empty name
        PETER_TEXT + b"\n" + GOOD_LINE.replace("PeterNeumann", "Peter\u00a0Neumann").encode(),
        PETER_TEXT + b"\n" + GOOD_LINE.replace("PeterNeumann", "Peter\u2028Neumann").encode(),
        PETER_TEXT + b"\n" + GOOD_LINE.replace("AM=", "AN=").encode(),  # non-canonical base64
        PETER_TEXT + b"\n" + GOOD_LINE.replace("AM=", "AM").encode(),  # missing padding
        PETER_TEXT + b"\n" + GOOD_LINE.replace("x08go/", "x08go_").encode(),  # URL alphabet
        PETER_TEXT + b"\n" + GOOD_LINE.replace("AM=", "AM= ").encode(),  # trailing space
        PETER_TEXT + b"\n" + "— PeterNeumann x08g\n".encode(),  # three bytes, no key ID
        PETER_TEXT + b"\n" + "— PeterNeumann x08goA==\n".encode(),  # a key ID, no signature
        PETER_TEXT + b"\n" + "— PeterNeumann\n".encode(),  # no signature at all
        PETER_TEXT + b"\n" + "— PeterNeumann \n".encode(),  # an empty signature
        PETER_NOTE + b"\n",  # ends in a blank line: the signatures block is empty
    ],
)
def test_malformed_notes_are_refused(text: bytes) -> None:
    with pytest.raises(NoteError):
        parse_note(text)
    with pytest.raises(NoteError):
        verify_note(text, [parse_vkey(PETER_VKEY)])


def vkey_with_its_own_key_id(name: str) -> str:
    material = b"\x01" + bytes(32)
    return f"{name}+{ref_key_id(name, 1, bytes(32)).hex()}+{base64.b64encode(material).decode()}"


@pytest.mark.parametrize(
    "vkey",
    [
        "",
        "PeterNeumann",
        "PeterNeumann+c74f20a3",
        PETER_VKEY.replace("c74f20a3", "C74F20A3"),  # upper-case hex
        PETER_VKEY.replace("c74f20a3", "0xc74f20"),
        PETER_VKEY + "\n\n",  # only one trailing newline is allowed
        PETER_VKEY + " ",
        " " + PETER_VKEY,
        PETER_VKEY.replace("10TW", "10TX"),  # non-canonical base64 (other trailing bits)
        "PeterNeumann+2ff4b14e+",  # empty key
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        vkey_with_its_own_key_id("Pe\u3000ter"),  # an ideographic space
        vkey_with_its_own_key_id("Pe\u0085ter"),  # NEL
        vkey_with_its_own_key_id("Pe\x01ter"),  # a control character
    ],
)
def test_malformed_vkeys_are_refused(vkey: str) -> None:
    with pytest.raises(NoteError):
        parse_vkey(vkey)


ROOT_B64 = base64.b64encode(hashlib.sha256(b"root").digest()).decode()


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"example.org/log\n5\n",  # two lines
        f"example.org/log\n5\n{ROOT_B64}".encode(),  # no final newline
        f"\n5\n{ROOT_B64}\n".encode(),  # empty origin
        f"example.org/log\n05\n{ROOT_B64}\n".encode(),  # leading zero
        f"example.org/log\n+5\n{ROOT_B64}\n".encode(),
        f"example.org/log\n-5\n{ROOT_B64}\n".encode(),
        f"example.org/log\n5 \n{ROOT_B64}\n".encode(),
        f"example.org/log\n\u0665\n{ROOT_B64}\n".encode(),  # an Arabic-Indic five
        f"example.org/log\n{2**64}\n{ROOT_B64}\n".encode(),  # beyond uint64
        b"example.org/log\n5\nAAAA\n",  # a 3-byte root
        f"example.org/log\n5\n{ROOT_B64[:-1]}\n".encode(),  # unpadded
        f"example.org/log\n5\n{ROOT_B64[:-2]}B=\n".encode(),  # non-canonical trailing bits
        f"example.org/log\n5\n{ROOT_B64}\n\n".encode(),  # an empty extension line
        f"example.org/log\n5\n{ROOT_B64}\next\n\n".encode(),
        f"example.org/log\n5\n{ROOT_B64}\n\tx\n".encode(),  # a control character
    ],
)
def test_malformed_checkpoints_are_refused(body: bytes) -> None:
    with pytest.raises(NoteError):
        parse_checkpoint(body)


def test_checkpoint_with_extension_lines_and_size_zero() -> None:
    body = f"example.org/log\n0\n{ROOT_B64}\nfirst ext\nsecond\n".encode()
    checkpoint = parse_checkpoint(body)
    assert checkpoint.size == 0 and checkpoint.extensions == ("first ext", "second")
    assert checkpoint.body() == body


HASH_LINE = ROOT_B64 + "\n"


@pytest.mark.parametrize(
    "head",
    [
        "old 1\n" + HASH_LINE,  # no empty line before the checkpoint
        "old 01\n" + HASH_LINE + "\n",
        "old\n\n",
        "old \n\n",
        "old -1\n\n",
        "Old 1\n\n",
        "old 1 \n\n",
        "old 1\n" + ROOT_B64[:-1] + "\n\n",
        "old 1\nAAAA\n\n",  # a 3-byte hash
        "old 1\n" + HASH_LINE * 64 + "\n",  # more than 63 proof lines
        "\nold 1\n\n",
    ],
)
def test_malformed_add_checkpoint_bodies_are_refused(head: str) -> None:
    with pytest.raises(NoteError):
        parse_add_checkpoint(head.encode() + signed_checkpoint())


def test_add_checkpoint_refuses_a_note_that_is_not_a_signed_checkpoint() -> None:
    for signed in [BODY + b"\n", PETER_NOTE, signed_checkpoint()[:-1]]:
        with pytest.raises(NoteError):
            parse_add_checkpoint(b"old 0\n\n" + signed)
    assert parse_add_checkpoint(b"old 0\n\n" + signed_checkpoint())[:2] == (0, [])
    with pytest.raises(NoteError, match="63"):
        render_add_checkpoint(1, [bytes(32)] * 64, signed_checkpoint())
    assert (
        len(
            parse_add_checkpoint(render_add_checkpoint(1, [bytes(32)] * 63, signed_checkpoint()))[1]
        )
        == 63
    )


@pytest.mark.parametrize(
    "head",
    [
        "c2sp.org/tlog-proof@v2\nindex 1\n\n",
        "index 1\n\n",
        "c2sp.org/tlog-proof@v1\n\n",
        "c2sp.org/tlog-proof@v1\nindex 01\n\n",
        "c2sp.org/tlog-proof@v1\nindex 5\n\n",  # outside the checkpoint's 5 leaves
        "c2sp.org/tlog-proof@v1\nindex 1\nextra AAAA\n\n",  # extra after index
        "c2sp.org/tlog-proof@v1\nextra AAA\nindex 1\n\n",
        "c2sp.org/tlog-proof@v1\nextra AAAA\nextra AAAA\nindex 1\n\n",
        "c2sp.org/tlog-proof@v1\nindex 1\n" + HASH_LINE * 65 + "\n",
        "c2sp.org/tlog-proof@v1\nindex 1\n" + HASH_LINE,
    ],
)
def test_malformed_tlog_proofs_are_refused(head: str) -> None:
    with pytest.raises(NoteError):
        parse_tlog_proof(head.encode() + signed_checkpoint())


def test_rendering_refuses_what_could_not_be_parsed_back() -> None:
    cases = [
        lambda: format_note(b"no final newline", [sign_note(LOG_KEY, "x", b"a\n")]),
        lambda: format_note(b"a\n", []),
        lambda: format_note(b"a\x00\n", [sign_note(LOG_KEY, "x", b"a\n")]),
        lambda: sign_note(LOG_KEY, "bad name", b"a\n"),
        lambda: Signature("x", b"abc", b"sig"),
        lambda: Signature("x", b"abcd", b""),
        lambda: checkpoint_body("", 1, bytes(32)),
        lambda: checkpoint_body("a\nb", 1, bytes(32)),
        lambda: checkpoint_body("a", -1, bytes(32)),
        lambda: checkpoint_body("a", 1, bytes(31)),
        lambda: checkpoint_body("a", True, bytes(32)),
        lambda: checkpoint_body("a", 1, bytes(32), [""]),
        lambda: encode_vkey("a", 0x02, bytes(32)),
        lambda: encode_vkey("a", ED25519, bytes(31)),
        lambda: render_tlog_proof(5, [], signed_checkpoint(), None),  # parses, but wrong index
        lambda: render_tlog_proof(-1, [], signed_checkpoint()),
        lambda: render_add_checkpoint(-1, [], signed_checkpoint()),
        lambda: render_add_checkpoint(0, [bytes(31)], signed_checkpoint()),
    ]
    for case in cases:
        with pytest.raises(NoteError):
            case()


# --- round trips through the independent reading, and properties -------------------------------

names = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp"), blacklist_characters="+"),
    min_size=1,
    max_size=16,
).filter(lambda s: not any(c.isspace() for c in s))
lines = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)
bodies = st.lists(lines, min_size=1, max_size=6).map(lambda ls: ("\n".join(ls) + "\n").encode())
raw_signatures = st.tuples(
    names, st.binary(min_size=4, max_size=4), st.binary(min_size=1, max_size=80)
)
signature_lists = st.lists(raw_signatures, min_size=1, max_size=20)
hashes = st.binary(min_size=32, max_size=32)
sizes = st.integers(0, 2**64 - 1)
origins = lines.filter(bool)
extensions = st.lists(origins, max_size=3).map(tuple)


@given(bodies, signature_lists)
def test_any_note_round_trips(body: bytes, signatures: list[tuple[str, bytes, bytes]]) -> None:
    text = format_note(body, [Signature(*s) for s in signatures])
    assert text == ref_render_note(body, signatures)
    assert ref_parse_note(text) == (body, signatures)
    parsed_body, parsed = parse_note(text)
    assert parsed_body == body
    assert [(s.name, s.key_id, s.signature) for s in parsed] == signatures


@given(origins, sizes, hashes, extensions)
def test_any_checkpoint_round_trips(origin: str, size: int, root: bytes, ext: tuple) -> None:
    body = checkpoint_body(origin, size, root, ext)
    assert body == ref_render_checkpoint(origin, size, root, ext)
    assert ref_parse_checkpoint(body) == (origin, size, root, ext)
    assert parse_checkpoint(body) == Checkpoint(origin, size, root, ext)


def checkpoint_note(origin: str, size: int, root: bytes, signatures: list) -> bytes:
    return ref_render_note(ref_render_checkpoint(origin, size, root, ()), signatures)


@given(sizes, st.lists(hashes, max_size=63), origins, sizes, hashes, signature_lists)
def test_any_add_checkpoint_body_round_trips(old, proof, origin, size, root, signatures) -> None:
    signed = checkpoint_note(origin, size, root, signatures)
    body = render_add_checkpoint(old, proof, signed)
    assert body == ref_render_add_checkpoint(old, proof, signed)
    assert ref_parse_add_checkpoint(body) == (old, proof, signed)
    assert parse_add_checkpoint(body) == (old, proof, signed)


@given(
    st.integers(1, 2**64 - 1).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1))),
    st.lists(hashes, max_size=64),
    st.none() | st.binary(max_size=40),
    origins,
    hashes,
    signature_lists,
)
def test_any_tlog_proof_round_trips(size_index, proof, extra, origin, root, signatures) -> None:
    size, index = size_index
    signed = checkpoint_note(origin, size, root, signatures)
    text = render_tlog_proof(index, proof, signed, extra)
    assert text == ref_render_tlog_proof(index, proof, signed, extra)
    assert ref_parse_tlog_proof(text) == (index, proof, signed, extra)
    assert parse_tlog_proof(text) == TlogProof(index, proof, signed, extra)


@given(st.integers(0, 2**63 - 1), bodies)
def test_any_cosignature_round_trips(timestamp: int, body: bytes) -> None:
    cosignature = cosign(WITNESS_KEY, WITNESS.name, body, timestamp)
    assert cosignature_timestamp(cosignature) == timestamp
    assert WITNESS.verify(body, cosignature.signature)
    assert not WITNESS.verify(body + b"x\n", cosignature.signature)


@settings(max_examples=300)
@given(st.data())
def test_any_single_byte_change_to_a_signed_note_fails(data: st.DataObject) -> None:
    body = data.draw(bodies)
    cosigned = data.draw(st.booleans())
    if cosigned:
        text = format_note(body, [cosign(WITNESS_KEY, WITNESS.name, body, 1_700_000_000)])
    else:
        text = format_note(body, [sign_note(LOG_KEY, LOG.name, body)])
    trusted = [WITNESS if cosigned else LOG]
    assert verify_note(text, trusted).body == body
    position = data.draw(st.integers(0, len(text) - 1))
    value = data.draw(st.integers(0, 255).filter(lambda b: b != text[position]))
    changed = text[:position] + bytes([value]) + text[position + 1 :]
    with pytest.raises(NoteError):
        verify_note(changed, trusted)
