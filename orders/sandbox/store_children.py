"""Order items (§10), order contacts and order consumers (§12)."""

from __future__ import annotations

from typing import Any

from .errors import ApiError, bad_request, may_not_be_null
from .paging import ListRequest, collection
from .records import Item, Person
from .store_base import StoreBase
from .validation import (
    CONSUMER_FIELDS,
    CONSUMER_REQUIRED,
    ITEM_FIELDS,
    ITEM_IGNORED,
    ITEM_REQUIRED,
    PERSON_FIELDS,
    PERSON_IGNORED,
    check_item_type,
    clean,
)

# Fields of a person body that are links, kept outside `Person.fields`.
LINK_FIELDS = ("guest", "orderItems")


def _merge(old: dict[str, Any], cleaned: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    fields = dict(old) if partial else {}
    for name, value in cleaned.items():
        if value is None:
            fields.pop(name, None)
        else:
            fields[name] = value
    return fields


def _reject_cleared(cleaned: dict[str, Any], required: tuple[str, ...]) -> None:
    """A PATCH may clear optional fields with null, never required ones (§9.7 [INF])."""
    for name in required:
        if name in cleaned and cleaned[name] is None:
            raise may_not_be_null(name)


class ItemOps(StoreBase):
    def _clean_item(self, body: dict[str, Any], *, partial: bool) -> dict[str, Any]:
        strict = not partial or self.config.item_patch_strict
        cleaned = clean(
            body,
            ITEM_FIELDS,
            ITEM_REQUIRED if strict else (),
            ignored=ITEM_IGNORED,
            partial=partial,
            ignore_unknown=self.config.ignore_unknown_fields,
        )
        _reject_cleared(cleaned, ITEM_REQUIRED)
        check_item_type(cleaned.get("type"))
        return cleaned

    def create_item(self, order_ref: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            order = self.get_order_record(order_ref)
            cleaned = self._clean_item(body, partial=False)
            now = self.clock.next_ms()
            item = Item(self._new_ref(), order.ref, now, now, cleaned)
            self.items[item.ref] = item
            order.item_refs.append(item.ref)
            self._bump_order(order.ref, now)
            return self.render_item(item)

    def list_items(self, order_ref: str, request: ListRequest) -> dict[str, Any]:
        with self.lock:
            order = self.get_order_record(order_ref)
            items = [self.items[r] for r in order.item_refs]
            return collection(
                request, items, self.render_item, lambda i: self._link("orderItems", i.ref)
            )

    def get_item(self, ref: str) -> dict[str, Any]:
        with self.lock:
            return self.render_item(self.get_item_record(ref))

    def update_item(self, ref: str, body: dict[str, Any], *, partial: bool) -> dict[str, Any]:
        with self.lock:
            item = self.get_item_record(ref)
            cleaned = self._clean_item(body, partial=partial)
            item.fields = _merge(item.fields, cleaned, partial=partial)
            item.modified_ms = self.clock.next_ms()
            self._bump_order(item.order_ref, item.modified_ms)
            return self.render_item(item)

    def delete_item(self, ref: str) -> None:
        """Also deletes the item's extension and its links from consumers (§14.1 point 9)."""
        with self.lock:
            item = self.get_item_record(ref)
            del self.items[item.ref]
            self.extensions.pop(("orderItem", item.ref), None)
            order = self.orders.get(item.order_ref)
            if order is not None:
                order.item_refs.remove(item.ref)
                for consumer_ref in order.consumer_refs:
                    consumer = self.consumers[consumer_ref]
                    if item.ref in consumer.item_refs:
                        consumer.item_refs.remove(item.ref)
            self._bump_order(item.order_ref, self.clock.next_ms())


class PeopleOps(StoreBase):
    """Contacts and consumers share one record type; `kind` is "contact" or "consumer"."""

    def _clean_person(self, kind: str, body: dict[str, Any], *, partial: bool) -> dict[str, Any]:
        consumer = kind == "consumer"
        required = CONSUMER_REQUIRED if consumer and self.config.consumer_require_names else ()
        cleaned = clean(
            body,
            CONSUMER_FIELDS if consumer else PERSON_FIELDS,
            () if partial else required,
            ignored=PERSON_IGNORED | (frozenset() if consumer else {"orderItems"}),
            partial=partial,
            ignore_unknown=self.config.ignore_unknown_fields,
        )
        _reject_cleared(cleaned, required)
        return cleaned

    def _check_item_links(self, order_ref: str, item_refs: list[str]) -> None:
        for i, item_ref in enumerate(item_refs):
            item = self.items.get(item_ref)
            if item is None or item.order_ref != order_ref:
                raise bad_request(
                    f"orderItems.items[{i}].href: order item {item_ref} "
                    "does not exist on this order."
                )

    def _resolve_guest(self, kind: str, cleaned: dict[str, Any], current: str | None) -> str:
        """Explicit `guest.href`, else identity match, else the current or a new guest (§12.2)."""
        guest_ref = cleaned.get("guest") or self.guests.match(cleaned) or current or self._new_ref()
        self.guests.register(guest_ref, cleaned, kind, self.clock.next_ms())
        return guest_ref

    def create_person(self, kind: str, order_ref: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            order = self.get_order_record(order_ref)
            cleaned = self._clean_person(kind, body, partial=False)
            item_refs = cleaned.get("orderItems") or []
            self._check_item_links(order.ref, item_refs)
            if kind == "contact" and self.config.single_contact and order.contact_refs:
                raise ApiError(409, "The order already has a contact.")
            guest_ref = self._resolve_guest(kind, cleaned, None)
            fields = {k: v for k, v in cleaned.items() if k not in LINK_FIELDS}
            now = self.clock.next_ms()
            person = Person(
                self._new_ref(), order.ref, now, now, fields, guest_ref, list(item_refs)
            )
            if kind == "contact":
                self.contacts[person.ref] = person
                order.contact_refs.append(person.ref)
            else:
                self.consumers[person.ref] = person
                order.consumer_refs.append(person.ref)
            self._bump_order(order.ref, now)
            return self.render_person(kind, person)

    def list_people(self, kind: str, order_ref: str, request: ListRequest) -> dict[str, Any]:
        with self.lock:
            order = self.get_order_record(order_ref)
            if kind == "contact":
                people = [self.contacts[r] for r in order.contact_refs]
                collection_name = "orderContacts"
            else:
                people = [self.consumers[r] for r in order.consumer_refs]
                collection_name = "orderConsumers"
            return collection(
                request,
                people,
                lambda p: self.render_person(kind, p),
                lambda p: self._link(collection_name, p.ref),
            )

    def get_person(self, kind: str, ref: str) -> dict[str, Any]:
        with self.lock:
            return self.render_person(kind, self.get_person_record(kind, ref))

    def update_person(
        self, kind: str, ref: str, body: dict[str, Any], *, partial: bool
    ) -> dict[str, Any]:
        with self.lock:
            person = self.get_person_record(kind, ref)
            cleaned = self._clean_person(kind, body, partial=partial)
            if cleaned.get("orderItems") is not None:
                self._check_item_links(person.order_ref, cleaned["orderItems"])
            fields = _merge(
                person.fields,
                {k: v for k, v in cleaned.items() if k not in LINK_FIELDS},
                partial=partial,
            )
            person.guest_ref = self._resolve_guest(
                kind, {**fields, "guest": cleaned.get("guest")}, person.guest_ref
            )
            person.fields = fields
            if kind == "consumer" and (not partial or "orderItems" in cleaned):
                person.item_refs = list(cleaned.get("orderItems") or [])
            person.modified_ms = self.clock.next_ms()
            self._bump_order(person.order_ref, person.modified_ms)
            return self.render_person(kind, person)

    def delete_person(self, kind: str, ref: str) -> None:
        """Removes the person from the order; the guest itself stays (§12.2)."""
        with self.lock:
            person = self.get_person_record(kind, ref)
            order = self.orders.get(person.order_ref)
            if kind == "contact":
                del self.contacts[person.ref]
                if order is not None:
                    order.contact_refs.remove(person.ref)
            else:
                del self.consumers[person.ref]
                if order is not None:
                    order.consumer_refs.remove(person.ref)
            self._bump_order(person.order_ref, self.clock.next_ms())

    def list_consumer_items(self, ref: str, request: ListRequest) -> dict[str, Any]:
        """GET /v2.1/orderConsumers/{ref}/orderItems (§12.6)."""
        with self.lock:
            consumer = self.get_person_record("consumer", ref)
            items = [self.items[r] for r in consumer.item_refs if r in self.items]
            return collection(
                request, items, self.render_item, lambda i: self._link("orderItems", i.ref)
            )
