"""The CDP Order API client: one method per operation, and the process-wide instance.

Orders and the order page are here; items, contacts and consumers are in `children.py`, data
extensions in `extensions.py`, the transport in `http.py`. Every method validates its refs
before sending anything, returns records from `records.py`, and raises only `CdpError`
subclasses (and `ValueError` for arguments it refuses locally).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from django.conf import settings

from orders.cdp.base import check_body
from orders.cdp.children import ChildOperations
from orders.cdp.errors import CdpError, CdpNotFound
from orders.cdp.extensions import ExtensionOperations
from orders.cdp.guests import GuestOperations
from orders.cdp.http import JsonBody
from orders.cdp.paths import LEGACY_API, check_ref, path
from orders.cdp.records import Consumer, Contact, DataExtension, Order, OrderItem, Page
from orders.cdp.vocabulary import ORDER_UPDATE_REQUIRED

T = TypeVar("T")
_NEVER = datetime.min.replace(tzinfo=UTC)

# What the legacy full-update POST carries over from the stored order (§13.3).
ORDER_WRITABLE = (
    *ORDER_UPDATE_REQUIRED,
    "paymentType",
    "cardType",
    "pointOfSale",
    "channel",
    "status",
)
# A list is fetched page by page up to this many pages (10,000 rows), then cut.
MAX_PAGES = 100
SORTS = frozenset({"created", "orderedAt"})


@dataclass(frozen=True)
class Section(Generic[T]):
    """One part of the order page: its `value`, or the `error` that kept it from loading."""

    value: T | None = None
    error: CdpError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @classmethod
    def of(cls, future: Future[T]) -> Section[T]:
        try:
            return cls(value=future.result())
        except CdpError as exc:
            return cls(error=exc)


@dataclass(frozen=True)
class OrderBundle:
    """Everything the order page shows, fetched at once; sections fail independently."""

    order: Order
    items: Section[tuple[OrderItem, ...]]
    contacts: Section[tuple[Contact, ...]]
    consumers: Section[tuple[Consumer, ...]]
    extension: Section[DataExtension | None]


@dataclass(frozen=True)
class GuestOrders:
    """A guest's orders, newest first; `truncated` when there were more than were fetched."""

    orders: tuple[Order, ...]
    truncated: bool = False


@dataclass(frozen=True)
class GuestOrderCount:
    """How many orders a guest has; `more` when there are more than `count`."""

    count: int
    more: bool = False


class CdpClient(ChildOperations, ExtensionOperations, GuestOperations):
    """A client for one CDP tenant, safe to share between threads."""

    # --- orders -------------------------------------------------------------------------

    # DOC: shared/cdp-api/order-api-v2.1.md §9.3 (POST /v2.1/orders; 201), §7 matching rule
    def order_create(self, body: JsonBody) -> Order:
        """Create an order; `body` needs referenceId, orderedAt, currencyCode and price.

        An order with the same referenceId and an orderedAt within two days may be merged into
        the existing one by CDP (§7), so a create is never retried.
        """
        return self._record("POST", path("orders"), Order.from_api, body=check_body(body))

    # DOC: shared/cdp-api/order-api-v2.1.md §9.4 (GET /v2.1/orders), §4.2, §4.3
    def orders_search(
        self,
        *,
        reference_id: str | None = None,
        guest_ref: str | None = None,
        offset: int = 0,
        limit: int = 10,
        sort: str | None = None,
    ) -> Page[Order]:
        """Orders by the organisation's order number or by guest, full records (expand=true).

        Exactly one of `reference_id` and `guest_ref` (else `ValueError`); `limit` is clamped
        to 1..100; `sort` is "created" or, for guest searches only, "orderedAt".
        """
        if (reference_id is None) == (guest_ref is None):
            raise ValueError("Search by exactly one of reference_id and guest_ref.")
        params: dict[str, str | int] = {"expand": "true"}
        if reference_id is not None:
            if not isinstance(reference_id, str) or not reference_id.strip():
                raise ValueError("reference_id must be a non-empty string.")
            params["referenceId"] = reference_id
        else:
            params["guestRef"] = check_ref(guest_ref, "guest reference")
        if sort is not None:
            if sort not in SORTS:
                raise ValueError("sort must be 'created' or 'orderedAt'.")
            if sort == "orderedAt" and guest_ref is None:
                raise ValueError("sort='orderedAt' is only allowed with guest_ref.")
            params["sort"] = sort
        return self._page(path("orders"), Order.from_api, offset=offset, limit=limit, params=params)

    # DOC: shared/cdp-api/order-api-v2.1.md §9.4, §4.3; guest-lookup.md §4
    def guest_orders(self, guest_ref: str, *, max_pages: int = 10) -> GuestOrders:
        """The guest's orders, newest first, from up to `max_pages` pages of 100.

        `sort=orderedAt` is asked for, but its direction is not documented (§4.3), so the
        orders are sorted here; `truncated` when the guest has more than were fetched.
        """
        found: list[Order] = []
        offset, page = 0, None
        for _ in range(max_pages):
            page = self.orders_search(
                guest_ref=guest_ref, sort="orderedAt", offset=offset, limit=100
            )
            found.extend(page.items)
            if page.next_offset is None:
                break
            offset = page.next_offset
        # An order another system left without orderedAt goes last.
        found.sort(key=lambda order: order.ordered_at or _NEVER, reverse=True)
        truncated = page is not None and page.next_offset is not None
        return GuestOrders(tuple(found), truncated)

    def guest_order_counts(self, guest_refs: list[str]) -> dict[str, GuestOrderCount]:
        """How many orders each guest has (one page of 100 each, fetched concurrently).

        A guest whose count CDP would not give is left out, so the pick list shows "—".
        """

        def count(ref: str) -> GuestOrderCount | None:
            try:
                page = self.orders_search(guest_ref=ref, limit=100)
            except CdpError:
                return None
            return GuestOrderCount(len(page.items), page.has_next)

        counted = zip(guest_refs, self._executor.map(count, guest_refs), strict=True)
        return {ref: result for ref, result in counted if result is not None}

    # DOC: shared/cdp-api/order-api-v2.1.md §9.5 (GET /v2.1/orders/{orderRef})
    def order_get(self, order_ref: str) -> Order:
        """The order; `CdpNotFound` when CDP has none with this ref."""
        return self._record("GET", self._order_path(order_ref), Order.from_api)

    def _with_required(self, order_ref: str, body: JsonBody, current: Order | None) -> JsonBody:
        """`body` plus whichever of the four required fields it lacks, from `current` or a GET."""
        body = dict(check_body(body))
        missing = [key for key in ORDER_UPDATE_REQUIRED if body.get(key) is None]
        if not missing:
            return body
        if current is None:
            current = self.order_get(order_ref)
        elif current.ref != check_ref(order_ref, "order reference"):
            raise ValueError("current is a different order than order_ref.")
        stored = current.to_api()
        for key in missing:
            # The stored JSON value verbatim: orderedAt must match CDP's to the millisecond.
            body[key] = current.raw.get(key, stored[key])
        return body

    # DOC: shared/cdp-api/order-api-v2.1.md §9.6 (PUT), §9.7 (required fields), §13.3 (v2 POST)
    def order_replace(
        self, order_ref: str, body: JsonBody, *, current: Order | None = None
    ) -> Order:
        """Replace the order's fields with `body` (PUT; legacy POST when configured "v2").

        The four fields CDP requires on every update are filled in from `current` (or a GET)
        when `body` lacks them; referenceId and orderedAt cannot be changed.
        """
        target = self._order_path(order_ref)
        body = self._with_required(order_ref, body, current)
        if self.order_update_api == "v2":
            return self._legacy_update(order_ref, body)
        return self._record("PUT", target, Order.from_api, body=body)

    # DOC: shared/cdp-api/order-api-v2.1.md §9.7 (PATCH /v2.1/orders/{orderRef}), §13.3
    def order_patch(self, order_ref: str, body: JsonBody, *, current: Order | None = None) -> Order:
        """Change the fields in `body` only (PATCH), never retried.

        Fills the four required fields from `current` (or a GET) when `body` lacks them. With
        the legacy "v2" API, which has no partial update, `body` is merged onto `current` (or
        a GET) and sent as a full update; pass a `current` read under the caller's lock.
        """
        target = self._order_path(order_ref)
        check_body(body)
        if self.order_update_api == "v2":
            if current is None:
                current = self.order_get(order_ref)
            elif current.ref != check_ref(order_ref, "order reference"):
                raise ValueError("current is a different order than order_ref.")
            merged = {key: current.raw[key] for key in ORDER_WRITABLE if key in current.raw}
            merged.update(body)
            return self._legacy_update(order_ref, merged)
        body = self._with_required(order_ref, body, current)
        return self._record("PATCH", target, Order.from_api, body=body)

    # DOC: shared/cdp-api/order-api-v2.1.md §13.3 (POST /v2/orders/{orderRef}, legacy update)
    def _legacy_update(self, order_ref: str, body: JsonBody) -> Order:
        full = {key: value for key, value in body.items() if value is not None}
        target = path("orders", check_ref(order_ref, "order reference"), api=LEGACY_API)
        return self._record("POST", target, Order.from_api, body=full)

    # DOC: shared/cdp-api/order-api-v2.1.md §9.8 (DELETE /v2.1/orders/{orderRef}; 204)
    def order_delete(self, order_ref: str) -> None:
        """Delete the order (and, in the sandbox at least, its items, people and extensions)."""
        self._delete(self._order_path(order_ref))

    # --- the order page -----------------------------------------------------------------

    def _all(self, list_page: Callable[..., Page[T]], order_ref: str) -> tuple[T, ...]:
        found: list[T] = []
        offset = 0
        for _ in range(MAX_PAGES):
            page = list_page(order_ref, offset=offset, limit=100)
            found.extend(page.items)
            if page.next_offset is None:
                break
            offset = page.next_offset
        return tuple(found)

    def _extension_or_none(self, order_ref: str) -> DataExtension | None:
        try:
            return self.order_extension_get(order_ref)
        except CdpNotFound:
            return None

    # DOC: shared/cdp-api/order-api-v2.1.md §9.5, §10.3, §12.5, §12.6, §11.4 (five GETs)
    def order_page(self, order_ref: str) -> OrderBundle:
        """The order with its items, contacts, consumers and extension, fetched concurrently.

        The five GETs run at once on the pooled connections, so the page costs about one
        round trip. A failure of the order itself raises; a failure of another section is
        kept in that `Section.error`. No extension (404) is `extension.value is None`.
        Consumers' item links are not fetched here (one more call per consumer); a consumer
        carries `item_refs` when CDP embeds them, else use `order_consumer_items_list`.
        """
        return self.order_page_begin(order_ref)()

    def order_page_begin(self, order_ref: str) -> Callable[[], OrderBundle]:
        """Send the order page's five GETs and return the function that waits for the bundle.

        The caller can do its own work (its database reads) while the calls are in flight;
        the function returns or raises as `order_page` does.
        """
        order_ref = check_ref(order_ref, "order reference")
        submit = self._executor.submit
        order = submit(self.order_get, order_ref)
        items = submit(self._all, self.order_items_list, order_ref)
        contacts = submit(self._all, self.order_contacts_list, order_ref)
        consumers = submit(self._all, self.order_consumers_list, order_ref)
        extension = submit(self._extension_or_none, order_ref)

        def bundle() -> OrderBundle:
            return OrderBundle(
                order=order.result(),
                items=Section.of(items),
                contacts=Section.of(contacts),
                consumers=Section.of(consumers),
                extension=Section.of(extension),
            )

        return bundle

    @classmethod
    def from_settings(cls) -> CdpClient:
        """A client configured from Django settings (CDP_*)."""
        return cls(
            base_url=settings.CDP_BASE_URL,
            client_key=settings.CDP_CLIENT_KEY,
            api_token=settings.CDP_API_TOKEN,
            timeout=settings.CDP_TIMEOUT,
            retries=settings.CDP_RETRIES,
            pool_size=settings.CDP_POOL_SIZE,
            order_update_api=settings.CDP_ORDER_UPDATE_API,
            guest_api=settings.CDP_GUEST_API,
        )


_client: CdpClient | None = None
_client_lock = threading.Lock()


def get_client() -> CdpClient:
    """The process-wide client, built from settings on first use (thread-safe)."""
    global _client
    client = _client
    if client is None:
        with _client_lock:
            if _client is None:
                _client = CdpClient.from_settings()
            client = _client
    return client


def reset_client() -> None:
    """Drop the process-wide client (after settings change, e.g. in tests)."""
    global _client
    with _client_lock:
        client, _client = _client, None
    if client is not None:
        client.close()
