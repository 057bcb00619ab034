"""The sandbox's in-memory data, its lock, and how each record is rendered as JSON."""

from __future__ import annotations

import random
import threading
from typing import Any
from urllib.parse import urlencode

from .config import SandboxConfig
from .errors import not_found
from .paging import ListRequest, collection
from .records import Extension, ExtensionKind, GuestRegistry, Item, Order, Person
from .util import Clock, format_ms, new_ref, parse_instant, to_ms
from .validation import ITEM_FIELDS, PERSON_FIELDS

ORDER_RESPONSE_FIELDS = (
    "orderedAt",
    "currencyCode",
    "price",
    "referenceId",
    "paymentType",
    "cardType",
    "pointOfSale",
    "channel",
    "status",
)
EMBEDDED = {"contacts": "orderContacts", "consumers": "orderConsumers", "orderItems": "orderItems"}


class StoreBase:
    """Data and shared helpers; the operations live in the `store_*` mixins.

    One re-entrant lock guards everything: every public operation takes it for its whole
    run, so a request sees and leaves a consistent store.
    """

    def __init__(self, config: SandboxConfig, own_base_url: str = "http://127.0.0.1") -> None:
        self.config = config
        self.own_base_url = own_base_url.rstrip("/")
        self.lock = threading.RLock()
        self.clock = Clock()
        self._wipe(seed=1)

    def _wipe(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.orders: dict[str, Order] = {}
        self.items: dict[str, Item] = {}
        self.contacts: dict[str, Person] = {}
        self.consumers: dict[str, Person] = {}
        self.extensions: dict[tuple[ExtensionKind, str], Extension] = {}
        self.by_reference_id: dict[str, list[str]] = {}
        self.guests = GuestRegistry()
        self._seq = 0
        self.planted: dict[str, dict[str, Any]] = {}
        self.unplanted: dict[str, set[str]] = {}

    @property
    def base_url(self) -> str:
        """Prefix of every href: the configured public URL, else the server's own (§14.1.1)."""
        return (self.config.public_base_url or self.own_base_url).rstrip("/")

    # -- small helpers -------------------------------------------------------------------

    def _new_ref(self) -> str:
        return new_ref(self.rng)

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _stored_instant(self, value: str) -> tuple[str, int]:
        """orderedAt as stored (normalised per config, §4.1) and in epoch milliseconds."""
        parsed = parse_instant(value)
        assert parsed is not None  # validated before
        ms = to_ms(parsed)
        return (format_ms(ms) if self.config.normalize_datetimes else value), ms

    def _bump_order(self, order_ref: str, now: int) -> None:
        if self.config.child_change_bumps_order and order_ref in self.orders:
            self.orders[order_ref].modified_ms = now

    def href(self, path: str, api: str = "v2.1") -> str:
        return f"{self.base_url}/{api}{path}"

    def get_order_record(self, ref: str) -> Order:
        order = self.orders.get(ref.lower())
        if order is None:
            raise not_found()
        return order

    def get_item_record(self, ref: str) -> Item:
        item = self.items.get(ref.lower())
        if item is None:
            raise not_found()
        return item

    def get_person_record(self, kind: str, ref: str) -> Person:
        table = self.contacts if kind == "contact" else self.consumers
        person = table.get(ref.lower())
        if person is None:
            raise not_found()
        return person

    def require(self, kind: str, ref: str) -> None:
        """404 unless the resource exists; run before the body is parsed (§14.1.4)."""
        with self.lock:
            if kind == "order":
                self.get_order_record(ref)
            elif kind == "orderItem":
                self.get_item_record(ref)
            else:
                self.get_person_record(kind, ref)

    def require_extension(self, kind: ExtensionKind, parent_ref: str, name: str) -> None:
        with self.lock:
            self.require(kind, parent_ref)
            if name == "ext" and (kind, parent_ref.lower()) not in self.extensions:
                raise not_found()

    # -- foreign data --------------------------------------------------------------------

    def plant(self, ref: str, fields: dict[str, Any], remove: list[str] | None = None) -> None:
        """Make a stored record answer with `fields` as given and without `remove`, unchecked.

        Other systems write to CDP too, and not always within the documented shape: this is
        how tests put into the sandbox what the API itself would refuse (unknown fields, odd
        types, markup). `ref` is that of an order, item, contact, consumer or extension; an
        extension's planted fields are stored as its pairs, so CDP's operations act on them.
        """
        with self.lock:
            ref = ref.lower()
            for ext in self.extensions.values():
                if ext.ref == ref:
                    ext.pairs.update(fields)
                    for key in remove or ():
                        ext.pairs.pop(key, None)
                    return
            if not any(ref in table for table in self._tables()):
                raise not_found()
            self.planted.setdefault(ref, {}).update(fields)
            self.unplanted.setdefault(ref, set()).update(remove or ())

    def _tables(self) -> tuple[dict[str, Any], ...]:
        return (self.orders, self.items, self.contacts, self.consumers)

    def _as_planted(self, ref: str, body: dict[str, Any]) -> dict[str, Any]:
        for key in self.unplanted.get(ref, ()):
            body.pop(key, None)
        body.update(self.planted.get(ref, {}))
        return body

    # -- rendering -----------------------------------------------------------------------

    def _link(self, collection_name: str, ref: str, api: str = "v2.1") -> dict[str, str]:
        return {"href": self.href(f"/{collection_name}/{ref}", api), "ref": ref}

    def render_order(
        self, order: Order, api: str = "v2.1", expand: frozenset[str] = frozenset()
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ref": order.ref,
            "href": self.href(f"/orders/{order.ref}", api),
            "createdAt": format_ms(order.created_ms),
            "modifiedAt": format_ms(order.modified_ms),
        }
        for name in ORDER_RESPONSE_FIELDS:
            if name in order.fields:
                body[name] = order.fields[name]
        children = {
            "contacts": order.contact_refs,
            "consumers": order.consumer_refs,
            "orderItems": order.item_refs,
        }
        for name, refs in children.items():
            if name in expand:
                body[name] = self._embedded_expanded(order, name, api)
            else:
                body[name] = {"items": [self._link(EMBEDDED[name], r, api) for r in refs]}
        return self._as_planted(order.ref, body)

    def _embedded_expanded(self, order: Order, name: str, api: str) -> dict[str, Any]:
        """`GET order?expand=orderItems` (§9.5): the child collection, expanded, first page."""
        params = [
            ("expand", "true"),
            ("offset", "0"),
            ("limit", str(self.config.embedded_expand_limit)),
        ]
        request = ListRequest(
            self.base_url, f"/{api}/orders/{order.ref}/{name}", urlencode(params), params
        )
        if name == "orderItems":
            items = [self.items[r] for r in order.item_refs]
            return collection(
                request, items, self.render_item, lambda i: self._link("orderItems", i.ref)
            )
        table = self.contacts if name == "contacts" else self.consumers
        people = [table[r] for r in getattr(order, f"{name[:-1]}_refs")]
        kind = "contact" if name == "contacts" else "consumer"
        return collection(
            request,
            people,
            lambda p: self.render_person(kind, p),
            lambda p: self._link(EMBEDDED[name], p.ref),
        )

    def render_item(self, item: Item) -> dict[str, Any]:
        body: dict[str, Any] = {
            "href": self.href(f"/orderItems/{item.ref}"),
            "ref": item.ref,
            "createdAt": format_ms(item.created_ms),
            "modifiedAt": format_ms(item.modified_ms),
        }
        for name in ITEM_FIELDS:
            if name in item.fields:
                body[name] = item.fields[name]
        if self.config.item_order_link:
            body["order"] = {"href": self.href(f"/orders/{item.order_ref}")}
        return self._as_planted(item.ref, body)

    def render_person(self, kind: str, person: Person) -> dict[str, Any]:
        collection_name = "orderContacts" if kind == "contact" else "orderConsumers"
        body: dict[str, Any] = {
            "href": self.href(f"/{collection_name}/{person.ref}"),
            "ref": person.ref,
            "createdAt": format_ms(person.created_ms),
            "modifiedAt": format_ms(person.modified_ms),
        }
        for name in PERSON_FIELDS:
            if name in person.fields:
                body[name] = person.fields[name]
        body["guest"] = {"href": self.href(f"/guests/{person.guest_ref}")}
        if kind == "consumer":
            body["orderItems"] = {
                "items": [self._link("orderItems", r) for r in person.item_refs if r in self.items]
            }
        body["order"] = {"href": self.href(f"/orders/{person.order_ref}")}
        return self._as_planted(person.ref, body)

    def render_extension(self, ext: Extension) -> dict[str, Any]:
        parent = "orders" if ext.kind == "order" else "orderItems"
        parent_href = self.href(f"/{parent}/{ext.parent_ref}")
        body: dict[str, Any] = {
            "name": "ext",
            "href": f"{parent_href}/extensions/ext",
            "ref": ext.ref,
            "key": "default",
            "createdAt": format_ms(ext.created_ms),
            "modifiedAt": format_ms(ext.modified_ms),
        }
        body.update(ext.pairs)
        body[ext.kind] = {"href": parent_href}
        return body
