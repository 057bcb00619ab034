"""Operations on an order's items, contacts and consumers (§10, §12), 19 in all.

Children are created and listed under their order (`/orders/{ref}/orderItems`) but read,
changed and deleted at top-level paths (`/orderItems/{ref}`), as CDP lays them out (§8).
"""

from __future__ import annotations

from orders.cdp.base import ClientBase, check_body
from orders.cdp.http import JsonBody
from orders.cdp.paths import check_ref, path
from orders.cdp.records import Consumer, Contact, OrderItem, Page

_CHILD_NOUNS = {
    "orderItems": "order item",
    "orderContacts": "contact",
    "orderConsumers": "consumer",
}


class ChildOperations(ClientBase):
    """`order_item_*`, `order_contact_*` and `order_consumer_*`; mixed into `CdpClient`."""

    def _order_path(self, order_ref: str, *tail: str) -> str:
        return path("orders", check_ref(order_ref, "order reference"), *tail)

    def _child_path(self, collection: str, ref: str) -> str:
        return path(collection, check_ref(ref, f"{_CHILD_NOUNS[collection]} reference"))

    # --- order items --------------------------------------------------------------------

    # DOC: shared/cdp-api/order-api-v2.1.md §10.3 (POST /v2.1/orders/{orderRef}/orderItems)
    def order_item_create(self, order_ref: str, body: JsonBody) -> OrderItem:
        """Add an item to the order; `body` needs name, type, status, price and currencyCode."""
        target = self._order_path(order_ref, "orderItems")
        return self._record("POST", target, OrderItem.from_api, body=check_body(body))

    # DOC: shared/cdp-api/order-api-v2.1.md §10.3 (GET /v2.1/orders/{orderRef}/orderItems)
    def order_items_list(
        self, order_ref: str, *, offset: int = 0, limit: int = 100
    ) -> Page[OrderItem]:
        """One page of the order's items, full records (expand=true)."""
        target = self._order_path(order_ref, "orderItems")
        return self._page(
            target, OrderItem.from_api, offset=offset, limit=limit, params={"expand": "true"}
        )

    # DOC: shared/cdp-api/order-api-v2.1.md §10.3 (GET /v2.1/orderItems/{orderItemRef})
    def order_item_get(self, item_ref: str) -> OrderItem:
        """The order item; `CdpNotFound` when it does not exist."""
        return self._record("GET", self._child_path("orderItems", item_ref), OrderItem.from_api)

    # DOC: shared/cdp-api/order-api-v2.1.md §10.3 (PUT /v2.1/orderItems/{orderItemRef})
    def order_item_replace(self, item_ref: str, body: JsonBody) -> OrderItem:
        """Replace the item's fields with `body` (fields left out are cleared)."""
        target = self._child_path("orderItems", item_ref)
        return self._record("PUT", target, OrderItem.from_api, body=check_body(body))

    # DOC: shared/cdp-api/order-api-v2.1.md §10.3 (PATCH /v2.1/orderItems/{orderItemRef})
    def order_item_patch(self, item_ref: str, body: JsonBody) -> OrderItem:
        """Change the fields in `body` only; never retried."""
        target = self._child_path("orderItems", item_ref)
        return self._record("PATCH", target, OrderItem.from_api, body=check_body(body))

    # DOC: shared/cdp-api/order-api-v2.1.md §10.3 (DELETE /v2.1/orderItems/{orderItemRef})
    def order_item_delete(self, item_ref: str) -> None:
        """Delete the item (with its data extension)."""
        self._delete(self._child_path("orderItems", item_ref))

    # --- order contacts -----------------------------------------------------------------

    # DOC: shared/cdp-api/order-api-v2.1.md §12.5 (POST /v2.1/orders/{orderRef}/contacts)
    def order_contact_create(self, order_ref: str, body: JsonBody) -> Contact:
        """Add the order's contact; CDP links (or creates) the guest it identifies."""
        target = self._order_path(order_ref, "contacts")
        return self._record("POST", target, Contact.from_api, body=check_body(body))

    # DOC: shared/cdp-api/order-api-v2.1.md §12.5 (GET /v2.1/orders/{orderRef}/contacts)
    def order_contacts_list(
        self, order_ref: str, *, offset: int = 0, limit: int = 100
    ) -> Page[Contact]:
        """One page of the order's contacts, full records (expand=true)."""
        target = self._order_path(order_ref, "contacts")
        return self._page(
            target, Contact.from_api, offset=offset, limit=limit, params={"expand": "true"}
        )

    # DOC: shared/cdp-api/order-api-v2.1.md §12.5 (GET /v2.1/orderContacts/{orderContactRef})
    def order_contact_get(self, contact_ref: str) -> Contact:
        """The order contact; `CdpNotFound` when it does not exist."""
        return self._record("GET", self._child_path("orderContacts", contact_ref), Contact.from_api)

    # DOC: shared/cdp-api/order-api-v2.1.md §12.5 (PUT /v2.1/orderContacts/{orderContactRef})
    def order_contact_replace(self, contact_ref: str, body: JsonBody) -> Contact:
        """Replace the contact's fields with `body`."""
        target = self._child_path("orderContacts", contact_ref)
        return self._record("PUT", target, Contact.from_api, body=check_body(body))

    # DOC: shared/cdp-api/order-api-v2.1.md §12.5 (PATCH /v2.1/orderContacts/{orderContactRef})
    def order_contact_patch(self, contact_ref: str, body: JsonBody) -> Contact:
        """Change the fields in `body` only; never retried."""
        target = self._child_path("orderContacts", contact_ref)
        return self._record("PATCH", target, Contact.from_api, body=check_body(body))

    # DOC: shared/cdp-api/order-api-v2.1.md §12.5 (DELETE /v2.1/orderContacts/{ref}; 204)
    def order_contact_delete(self, contact_ref: str) -> None:
        """Remove the contact from the order (the guest itself stays)."""
        self._delete(self._child_path("orderContacts", contact_ref))

    # --- order consumers ----------------------------------------------------------------

    # DOC: shared/cdp-api/order-api-v2.1.md §12.6 (POST /v2.1/orders/{orderRef}/consumers)
    def order_consumer_create(self, order_ref: str, body: JsonBody) -> Consumer:
        """Add a consumer to the order (the sandbox requires firstName and lastName)."""
        target = self._order_path(order_ref, "consumers")
        return self._record("POST", target, Consumer.from_api, body=check_body(body))

    # DOC: shared/cdp-api/order-api-v2.1.md §12.6 (GET /v2.1/orders/{orderRef}/consumers)
    def order_consumers_list(
        self, order_ref: str, *, offset: int = 0, limit: int = 100
    ) -> Page[Consumer]:
        """One page of the order's consumers, full records (expand=true)."""
        target = self._order_path(order_ref, "consumers")
        return self._page(
            target, Consumer.from_api, offset=offset, limit=limit, params={"expand": "true"}
        )

    # DOC: shared/cdp-api/order-api-v2.1.md §12.6 (GET /v2.1/orderConsumers/{ref}; 200, not 201)
    def order_consumer_get(self, consumer_ref: str) -> Consumer:
        """The order consumer; `CdpNotFound` when it does not exist."""
        target = self._child_path("orderConsumers", consumer_ref)
        return self._record("GET", target, Consumer.from_api)

    # DOC: shared/cdp-api/order-api-v2.1.md §12.6 (PUT /v2.1/orderConsumers/{ref})
    def order_consumer_replace(self, consumer_ref: str, body: JsonBody) -> Consumer:
        """Replace the consumer's fields with `body`."""
        target = self._child_path("orderConsumers", consumer_ref)
        return self._record("PUT", target, Consumer.from_api, body=check_body(body))

    # DOC: shared/cdp-api/order-api-v2.1.md §12.6 (PATCH /v2.1/orderConsumers/{ref})
    def order_consumer_patch(self, consumer_ref: str, body: JsonBody) -> Consumer:
        """Change the fields in `body` only; never retried."""
        target = self._child_path("orderConsumers", consumer_ref)
        return self._record("PATCH", target, Consumer.from_api, body=check_body(body))

    # DOC: shared/cdp-api/order-api-v2.1.md §12.6 (DELETE /v2.1/orderConsumers/{ref}; 204)
    def order_consumer_delete(self, consumer_ref: str) -> None:
        """Remove the consumer from the order."""
        self._delete(self._child_path("orderConsumers", consumer_ref))

    # DOC: shared/cdp-api/order-api-v2.1.md §12.6 (GET /v2.1/orderConsumers/{ref}/orderItems)
    def order_consumer_items_list(
        self, consumer_ref: str, *, offset: int = 0, limit: int = 100
    ) -> Page[OrderItem]:
        """One page of the items the consumer consumes (expand=true).

        If CDP answers with links only, the items carry just `ref` (and `href`); fetch them
        with `order_item_get` when their fields are needed.
        """
        target = self._child_path("orderConsumers", consumer_ref) + "/orderItems"
        return self._page(
            target, OrderItem.from_api, offset=offset, limit=limit, params={"expand": "true"}
        )
