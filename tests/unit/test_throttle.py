"""The throttle's policies as plain functions (issue 19), for every sequence of attempts."""

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from subsidy.accounts.throttle import Ceiling, Progressive, wait_seconds

T0 = datetime(2026, 6, 15, 8, 0, tzinfo=UTC)
ACCOUNT = Progressive()
ADDRESS = Ceiling(limit=100, window=timedelta(minutes=15))


def _run(policy, gaps):
    """Attempts ``gaps`` seconds apart, each charged unless the key must wait, all failing:
    the times at which an attempt was let through."""
    count, now, through = None, T0, []
    for gap in gaps:
        now += timedelta(seconds=gap)
        if wait_seconds(policy.current(count, now), now) is None:
            count = policy.charged(count, now)
            through.append(now)
    return through


def test_five_failures_are_free_then_the_wait_doubles_to_a_ceiling():
    delays = [ACCOUNT.delay(n) for n in range(1, 12)]
    assert delays[:4] == [timedelta(0)] * 4
    assert delays[4:] == [timedelta(seconds=s) for s in (30, 60, 120, 240, 480, 900, 900)]


@given(st.lists(st.floats(min_value=0, max_value=3600), min_size=1, max_size=200))
def test_no_sequence_of_attempts_gets_more_guesses_than_the_schedule(gaps):
    through = _run(ACCOUNT, gaps)
    # After the free ones, consecutive guesses are at least the delay apart...
    for n, (before, after) in enumerate(pairwise(through), start=1):
        if after - before < ACCOUNT.forget_after:
            assert after - before >= ACCOUNT.delay(n) or ACCOUNT.delay(n) == timedelta(0)
    # ...and no lock lasts longer than the ceiling after the last failure.
    assert ACCOUNT.delay(10**6) == ACCOUNT.max_delay


@given(st.integers(min_value=1, max_value=400))
def test_a_burst_gets_exactly_the_free_failures_through(burst):
    assert len(_run(ACCOUNT, [0.01] * burst)) == min(burst, ACCOUNT.free)


@given(st.lists(st.floats(min_value=0, max_value=120), min_size=1, max_size=300))
def test_an_address_never_fails_more_than_its_ceiling_in_a_window(gaps):
    through = _run(ADDRESS, gaps)
    for i, start in enumerate(through):
        inside = [t for t in through[i:] if t - start < ADDRESS.window]
        assert len(inside) <= ADDRESS.limit * 2  # windows are fixed: two can touch


def test_a_success_forgets_the_accounts_failures():
    assert ACCOUNT.refunded(ACCOUNT.charged(None, T0), T0) is None


def test_an_address_waits_until_its_window_ends_once_at_the_ceiling():
    count = None
    for n in range(ADDRESS.limit):
        assert wait_seconds(count, T0 + timedelta(seconds=n)) is None
        count = ADDRESS.charged(count, T0 + timedelta(seconds=n))
    assert wait_seconds(count, T0 + timedelta(seconds=100)) == 15 * 60 - 100
    later = T0 + ADDRESS.window
    assert ADDRESS.current(count, later) is None


def test_a_day_without_failures_forgets_them():
    count = None
    for _ in range(5):
        count = ACCOUNT.charged(count, T0)
    later = T0 + ACCOUNT.forget_after
    assert ACCOUNT.current(count, later) is None
    assert ACCOUNT.charged(count, later).failures == 1
