"""Passwords: hashed with Argon2id, and refused when they are easy to guess.

The hash parameters are RFC 9106's second recommended option (its "low memory" profile, which
argon2-cffi also takes as its defaults), named here so that a change of library default never
changes them silently: Argon2id, 3 passes over 64 MiB with 4 lanes, a 16-byte random salt and a
32-byte tag, about 50 ms on one core of a current server. A stored hash made with other
parameters is hashed again at the next successful sign-in (:func:`needs_rehash`).

Strength is judged by zxcvbn (Dropbox's estimator: common-password lists, English words and
names, keyboard walks, sequences such as 1234567890, repeats such as aaaaaaaaaa, dates, and the
username itself). A password needs at least :data:`MIN_SCORE` of its 0-4 score: an estimated
10^10 guesses or more, which holds against offline guessing of a stolen Argon2 hash, not only
against the login throttle."""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

ARGON2_PARAMETERS = {
    "type": Type.ID,
    "time_cost": 3,
    "memory_cost": 65536,  # KiB: 64 MiB
    "parallelism": 4,
    "hash_len": 32,
    "salt_len": 16,
}
_hasher = PasswordHasher(**ARGON2_PARAMETERS)
# Verified against when the username is unknown, so both paths cost the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

MIN_LENGTH = 10
MAX_LENGTH = 256
MIN_SCORE = 3
# zxcvbn's cost grows fast with length; a password strong in its first 72 characters is strong.
_JUDGED_LENGTH = 72

# The refusals, as services raise them (and subsidy.web.messages translates them).
TOO_SHORT = f"must be at least {MIN_LENGTH} characters"
TOO_LONG = f"must be at most {MAX_LENGTH} characters"
IS_USERNAME = "must not be the username"
TOO_EASY = (
    "is too easy to guess: a common password, a word or name, or a pattern such as 1234 or "
    "aaaa; use three or four unrelated words"
)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return False


def password_problem(password: str, *, username: str | None = None) -> str | None:
    """Why ``password`` will not do, in the services' plain English; None if it will."""
    if len(password) < MIN_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_LENGTH:
        return TOO_LONG
    if username and password.casefold() == username.casefold():
        return IS_USERNAME
    inputs = [username] if username else []
    if zxcvbn(password[:_JUDGED_LENGTH], user_inputs=inputs)["score"] < MIN_SCORE:
        return TOO_EASY
    return None
