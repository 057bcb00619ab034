"""What this process has read or made from rows of the audit trail, kept by row version.

The trail is append-only: a row, once written, does not change, so a row read for one page, and
what a page made of it (its sentence, its cells), serves the next page that shows it. Each is
kept under the row's id and PostgreSQL's version of it (`xmin`, the transaction that wrote
that version): a row someone did rewrite, by hand or by restoring the trail from a backup,
has a new version, and nothing kept for the old one is shown for it.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from itertools import islice
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(Generic[K, V]):
    """Up to `size` values by key, the oldest put in forgotten first; safe across threads."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._values: dict[K, V] = {}
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        return self._values.get(key)

    def put(self, key: K, value: V) -> V:
        with self._lock:
            self._values[key] = value
            excess = len(self._values) - self._size
            if excess > 0:
                for stale in list(islice(self._values, excess)):
                    del self._values[stale]
        return value
