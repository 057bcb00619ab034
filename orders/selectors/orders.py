"""Reads from CDP that the pages and services share; every one a plain call, nothing written."""

from __future__ import annotations

from datetime import datetime, timedelta

from orders.cdp import CdpNotFound, DataExtension, ExtensionValue, Order, OrderBundle, get_client

# CDP's matching rule (reference §7): the same referenceId and orderedAt within two days of
# each other make two orders the same order, and a create may be merged into the existing one.
MATCH_WINDOW = timedelta(days=2)


def order_page(order_ref: str) -> OrderBundle:
    """The order with its items, contacts, consumers and extension (five concurrent GETs)."""
    return get_client().order_page(order_ref)


def order_extension_read(order_ref: str) -> DataExtension | None:
    """The order's extension as CDP holds it, or None when the order has none."""
    try:
        return get_client().order_extension_get(order_ref)
    except CdpNotFound:
        return None


def order_item_extension_read(item_ref: str) -> DataExtension | None:
    """The item's extension as CDP holds it, or None when the item has none."""
    try:
        return get_client().order_item_extension_get(item_ref)
    except CdpNotFound:
        return None


def _pairs(read: DataExtension | None) -> dict[str, ExtensionValue] | None:
    return None if read is None else dict(read.pairs)


def order_extension_pairs(order_ref: str) -> dict[str, ExtensionValue] | None:
    """The order extension's pairs, or None when the order has none."""
    return _pairs(order_extension_read(order_ref))


def order_item_extension_pairs(item_ref: str) -> dict[str, ExtensionValue] | None:
    """The item extension's pairs, or None when the item has none."""
    return _pairs(order_item_extension_read(item_ref))


def order_matches(*, reference_id: str, ordered_at: datetime) -> list[Order]:
    """Orders CDP would treat as the same order as one with these values (§7)."""
    found = get_client().orders_search(reference_id=reference_id, limit=100)
    return [
        order
        for order in found.items
        if order.reference_id == reference_id
        and order.ordered_at is not None
        and abs(order.ordered_at - ordered_at) <= MATCH_WINDOW
    ]
