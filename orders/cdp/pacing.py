"""One pace for every caller of one CDP tenant: pages, the paste-many lookup and bulk jobs.

CDP's rate limit is per tenant, so a 429 is news for every thread of the process. The
transport tells the client's `Pacer` about each 429 and checks its gate before sending
anything, a write's audit intent row included: a write never waits between its intent row
and its request. Interactive calls that would wait longer than `MAX_RETRY_WAIT_S` fail at
once with `CdpRateLimited` naming the wait. Background work (lookups, bulk jobs) goes
through `Pacer.call`, which waits the gate out, reports each wait, and retries after a 429;
with `spaced=True` it also spreads starts out after 429s, so a job settles just under the
limit instead of bursting into it after every pause, and with `backoff=True` a call refused
again and again waits twice as long each time (up to `MAX_BACKOFF_S`), so a sustained limit
costs a few audited writes rather than one a second.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from orders.cdp.errors import CdpRateLimited

T = TypeVar("T")

# The wait when CDP answers 429 without a usable Retry-After.
DEFAULT_PAUSE_S = 1.0
MAX_SPACING_S = 2.0
MAX_BACKOFF_S = 30.0


class Pacer:
    """The gate shared by every thread using one client; safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._resume_at = 0.0
        self._next_slot = 0.0
        self.spacing = 0.0
        self.rate_limited_count = 0

    def open_in(self) -> float:
        """Seconds until the gate opens again (0 when it is open)."""
        with self._lock:
            return max(0.0, self._resume_at - time.monotonic())

    def rate_limited(self, retry_after: float | None) -> None:
        """CDP answered 429: close the gate for `retry_after` seconds and widen the spacing."""
        with self._lock:
            self.rate_limited_count += 1
            pause = retry_after if retry_after and retry_after > 0 else DEFAULT_PAUSE_S
            self._resume_at = max(self._resume_at, time.monotonic() + pause)
            self.spacing = min(max(self.spacing * 1.5, 0.02), MAX_SPACING_S)

    def hold(self, seconds: float) -> None:
        """Keep the gate closed for at least `seconds` from now."""
        with self._lock:
            self._resume_at = max(self._resume_at, time.monotonic() + seconds)

    def succeeded(self) -> None:
        """A paced call went through: narrow the spacing again."""
        with self._lock:
            self.spacing = self.spacing * 0.95 if self.spacing > 0.002 else 0.0

    def wait(self, *, spaced: bool = False, report: Callable[[float], None] | None = None) -> None:
        """Sleep until the gate is open (and, `spaced`, until this caller's slot)."""
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._resume_at, self._next_slot if spaced else now)
            if spaced:
                self._next_slot = slot + self.spacing
        if slot > now:
            if report is not None:
                report(slot - now)
            time.sleep(slot - now)

    def call(
        self,
        call: Callable[[], T],
        *,
        attempts: int | None = None,
        spaced: bool = False,
        backoff: bool = False,
        report: Callable[[float], None] | None = None,
    ) -> T:
        """`call()` once the gate is open, again after each 429 (at most `attempts` times).

        `report(seconds)` is told of every wait before it starts, e.g. to show "waiting 8 s".
        With `backoff`, the n-th 429 in a row keeps the gate closed for at least 2^(n-1) s.
        """
        attempt = 0
        while True:
            attempt += 1
            self.wait(spaced=spaced, report=report)
            try:
                result = call()
            except CdpRateLimited:
                if attempts is not None and attempt >= attempts:
                    raise
                if backoff:
                    self.hold(min(2.0 ** (attempt - 1), MAX_BACKOFF_S))
                continue
            self.succeeded()
            return result
