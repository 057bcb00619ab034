"""What the client sends: `CdpCall`, and `watch_writes` to see each change as it goes out.

The audit trail must seal the call that was made, not one worked out again elsewhere. So the
transport itself reports every write (anything but GET): `before_send` runs with the exact
method, path with query and body once they are final and before a byte leaves, and may raise
to stop the call; afterwards the call is kept with the attempts made and CDP's status.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CdpCall:
    """One request to CDP as it went out."""

    method: str
    path: str  # with the query string, exactly as sent
    body: Any = None  # the JSON sent, decoded back; None when the call had no body
    attempts: int = 1  # resends by the retry policy included
    status: int | None = None  # CDP's answer; None before sending or when none came


@dataclass
class WriteWatch:
    """The writes sent inside one `watch_writes` block, in order."""

    before_send: Callable[[CdpCall], None]
    sent: list[CdpCall] = field(default_factory=list)

    @property
    def last(self) -> CdpCall | None:
        return self.sent[-1] if self.sent else None


_watch: ContextVar[WriteWatch | None] = ContextVar("cdp_write_watch", default=None)


@contextmanager
def watch_writes(before_send: Callable[[CdpCall], None]) -> Iterator[WriteWatch]:
    """Within the block, call `before_send` before each write and collect what was sent.

    Bound to the current thread's context: the order page's concurrent reads are not seen.
    """
    watch = WriteWatch(before_send)
    token = _watch.set(watch)
    try:
        yield watch
    finally:
        _watch.reset(token)


def current_watch() -> WriteWatch | None:
    return _watch.get()
