"""Password rules (issue 19): common passwords, trivial patterns and the username are refused
with one clear message; the demo's and the tests' passwords pass."""

import pytest

from subsidy.accounts import passwords
from subsidy.demo.obligations import APPELLANTS
from subsidy.demo.seed import DEMO_USERS
from tests.factories import PASSWORD


@pytest.mark.parametrize(
    "weak",
    [
        "1234567890",
        "aaaaaaaaaa",
        "password123",
        "qwertyuiop",
        "1111111111",
        "abcdefghij",
        "Password1!",
        "iloveyou12",
        "0987654321",
        "2026-06-15",
    ],
)
def test_common_passwords_and_trivial_patterns_are_refused(weak):
    problem = passwords.password_problem(weak)
    assert problem is not None and problem.startswith("is too easy to guess")


def test_the_username_itself_is_refused():
    assert passwords.password_problem("aidos.kairat", username="aidos.kairat") == (
        passwords.IS_USERNAME
    )
    assert passwords.password_problem("Aidos.Kairat", username="aidos.kairat") == (
        passwords.IS_USERNAME
    )
    assert passwords.password_problem("aidos.kairat1", username="aidos.kairat") == (
        passwords.TOO_EASY
    )


def test_length_bounds_still_hold():
    assert passwords.password_problem("short") == passwords.TOO_SHORT
    assert passwords.password_problem("x" * 257) == passwords.TOO_LONG


def test_a_long_weak_password_is_judged_by_its_beginning():
    assert passwords.password_problem("a" * 200) == passwords.TOO_EASY
    assert passwords.password_problem("plough meadow kettle sunrise " * 8) is None


@pytest.mark.parametrize(
    ("username", "password"),
    [(u, p) for u, _, p in DEMO_USERS] + list(APPELLANTS) + [("anyone", PASSWORD)],
)
def test_the_demo_and_test_passwords_pass(username, password):
    assert passwords.password_problem(password, username=username) is None


def test_the_argon2_parameters_are_rfc_9106s_low_memory_profile():
    from argon2.profiles import RFC_9106_LOW_MEMORY

    hashed = passwords.PasswordHasher(**passwords.ARGON2_PARAMETERS).hash("plough meadow kettle")
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert RFC_9106_LOW_MEMORY.memory_cost == passwords.ARGON2_PARAMETERS["memory_cost"]
    assert RFC_9106_LOW_MEMORY.time_cost == passwords.ARGON2_PARAMETERS["time_cost"]
