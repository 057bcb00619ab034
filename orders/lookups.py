"""Finding many orders at once, for the paste-many lookup and bulk-tagging previews.

Lookups run concurrently with a bound, so a paste of 200 referenceIds costs about
200 / MAX_WORKERS round trips. They keep the client's pace (`orders.cdp.pacing`): when CDP
answers 429 every caller pauses for the time CDP asks, then the lookup is tried again; a
lookup is given up only after MAX_ATTEMPTS.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from orders.cdp import CdpError, get_client
from orders.cdp.pacing import Pacer
from orders.cdp.records import Order
from orders.search_terms import ORDER_REF, REFERENCE_ID, SEARCH_KINDS, Term, find_page, search_terms

MAX_WORKERS = 8
MAX_ATTEMPTS = 5
SEARCH_PAGE = 100  # CDP's largest page
BULK_KINDS = (ORDER_REF, REFERENCE_ID)

T = TypeVar("T")


@dataclass(frozen=True)
class LookupResult:
    """What one pasted value found: no order, one, several, or an error sentence."""

    value: str
    orders: tuple[Order, ...] = ()
    error: str = ""
    term: Term | None = None  # the reading that found the orders

    @property
    def status(self) -> str:
        if self.error:
            return "error"
        return {0: "not found", 1: "found"}.get(len(self.orders), "several")


def call_paced(call: Callable[[], T], pacer: Pacer) -> T:
    """Run `call` at the client's pace, retrying after a 429 up to MAX_ATTEMPTS times."""
    return pacer.call(call, attempts=MAX_ATTEMPTS)


def lookup_one(
    value: str,
    pacer: Pacer,
    *,
    max_matches: int = SEARCH_PAGE,
    kinds: Sequence[str] = BULK_KINDS,
    retry_upper: bool = False,
) -> LookupResult:
    """The orders `value` names: its readings (`orders.search_terms`) tried in order, the
    first that finds orders wins. At most `max_matches` orders (whole pages) are returned.

    The defaults are the bulk job's (an order ref or an exact referenceId); the paste-many
    lookup passes the search box's readings.
    """
    client = get_client()
    try:
        for term in search_terms(value, kinds=kinds, retry_upper=retry_upper):
            found: list[Order] = []
            offset: int | None = 0
            while offset is not None and len(found) < max_matches:
                fetch = functools.partial(find_page, client, term, offset=offset, limit=SEARCH_PAGE)
                page = call_paced(fetch, pacer)
                found += page.items
                offset = page.next_offset if page.has_next else None
            if found:
                return LookupResult(value, tuple(found), term=term)
        return LookupResult(value)
    except CdpError as exc:
        return LookupResult(value, error=exc.message)


def parallel_map(func: Callable[[str, Pacer], T], values: Sequence[str]) -> list[T]:
    """Apply `func` to every value with at most MAX_WORKERS at once, keeping input order."""
    if not values:
        return []
    pacer = get_client().pacer
    with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(values))) as pool:
        return list(pool.map(lambda value: func(value, pacer), values))


def lookup_orders(values: Iterable[str]) -> list[LookupResult]:
    """Look each value up the way the search box reads it (order ref, guest ref, referenceId,
    then the referenceId upper-cased)."""
    return parallel_map(
        lambda value, pacer: lookup_one(value, pacer, kinds=SEARCH_KINDS, retry_upper=True),
        list(values),
    )
