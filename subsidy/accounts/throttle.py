"""How many failed sign-ins a key may have, and how long it then waits: plain functions of the
stored count and the time, with no storage (see :mod:`subsidy.accounts.throttle_store`).

Two policies:

- :class:`Progressive`, per account (and per trusted device): a few failures are free, then each
  further one doubles the wait, up to a ceiling; a day without failures forgets them. Guessing
  costs ever more time, and a lock never lasts longer than ``max_delay`` after the last failure.
- :class:`Ceiling`, per address: many failures in a window, then a wait until the window ends.
  Villages share one carrier address, so it is generous; it stops one address from spraying
  guesses over many accounts, not a farmer who mistyped.

An account's attempt is charged *before* the password is checked (:meth:`Progressive.charged`),
so that two workers checking at the same moment cannot both slip past the limit; a success then
forgets the account's failures (:meth:`Progressive.refunded`). An address is charged only once
an attempt has failed."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Count:
    """The failures counted under one key since ``first_at``; ``locked_until``: no attempt
    before then."""

    failures: int
    first_at: datetime
    last_at: datetime
    locked_until: datetime | None = None


def wait_seconds(count: Count | None, now: datetime) -> int | None:
    """Whole seconds (at least 1) until the key may try again, or None if it may now."""
    if count is None or count.locked_until is None or count.locked_until <= now:
        return None
    return max(1, math.ceil((count.locked_until - now).total_seconds()))


@dataclass(frozen=True)
class Progressive:
    free: int = 5
    first_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(minutes=15)
    forget_after: timedelta = timedelta(hours=24)

    def current(self, count: Count | None, now: datetime) -> Count | None:
        if count is None or count.failures <= 0 or now - count.last_at >= self.forget_after:
            return None
        return count

    def delay(self, failures: int) -> timedelta:
        """The wait after the ``failures``-th failure: none before ``free``, then doubling."""
        if failures < self.free:
            return timedelta(0)
        doublings = min(failures - self.free, 30)
        return min(self.first_delay * (2**doublings), self.max_delay)

    def charged(self, count: Count | None, now: datetime) -> Count:
        count = self.current(count, now)
        failures = (count.failures if count else 0) + 1
        delay = self.delay(failures)
        return Count(
            failures=failures,
            first_at=count.first_at if count else now,
            last_at=now,
            locked_until=now + delay if delay else None,
        )

    def refunded(self, count: Count | None, now: datetime) -> Count | None:
        """A success: the account's failures are forgotten."""
        return None


@dataclass(frozen=True)
class Ceiling:
    limit: int = 100
    window: timedelta = timedelta(minutes=15)

    def current(self, count: Count | None, now: datetime) -> Count | None:
        if count is None or count.failures <= 0 or now - count.first_at >= self.window:
            return None
        return count

    def _count(self, failures: int, first_at: datetime, last_at: datetime) -> Count | None:
        if failures <= 0:
            return None
        locked = first_at + self.window if failures >= self.limit else None
        return Count(failures=failures, first_at=first_at, last_at=last_at, locked_until=locked)

    def charged(self, count: Count | None, now: datetime) -> Count:
        count = self.current(count, now)
        if count is None:
            return self._count(1, now, now) or Count(1, now, now)
        return self._count(count.failures + 1, count.first_at, now) or count


Policy = Progressive | Ceiling
