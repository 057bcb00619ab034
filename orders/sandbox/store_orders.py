"""Order operations (§9) and the matching rule (§7)."""

from __future__ import annotations

from typing import Any

from .errors import ApiError, bad_request
from .paging import ListRequest, collection
from .records import Order
from .store_base import StoreBase
from .util import parse_instant, to_ms
from .validation import ORDER_FIELDS, ORDER_IGNORED, ORDER_REQUIRED, ORDER_REQUIRED_V2, clean

IMMUTABLE = ("referenceId", "orderedAt")


class OrderOps(StoreBase):
    def clean_order_body(
        self, body: dict[str, Any], *, partial: bool, v2: bool = False
    ) -> dict[str, Any]:
        return clean(
            body,
            ORDER_FIELDS,
            ORDER_REQUIRED_V2 if v2 else ORDER_REQUIRED,
            ignored=ORDER_IGNORED,
            partial=partial,
            ignore_unknown=self.config.ignore_unknown_fields,
        )

    def _window_ms(self) -> int:
        return int(self.config.match_window_hours * 3600 * 1000)

    def _find_match(self, reference_id: str, ordered_ms: int) -> Order | None:
        """The stored order the matching rule treats as this one (§7): closest orderedAt."""
        candidates = [
            self.orders[r]
            for r in self.by_reference_id.get(reference_id, [])
            if abs(self.orders[r].ordered_ms - ordered_ms) <= self._window_ms()
        ]
        if not candidates:
            return None
        return min(candidates, key=lambda o: (abs(o.ordered_ms - ordered_ms), o.seq))

    def insert_order(self, fields: dict[str, Any], created_ms: int | None = None) -> Order:
        fields = dict(fields)
        fields["orderedAt"], ordered_ms = self._stored_instant(fields["orderedAt"])
        now = created_ms if created_ms is not None else self.clock.next_ms()
        order = Order(self._new_ref(), self._next_seq(), now, now, ordered_ms, fields)
        self.orders[order.ref] = order
        self.by_reference_id.setdefault(order.reference_id, []).append(order.ref)
        return order

    def _apply_update(self, order: Order, cleaned: dict[str, Any], *, partial: bool) -> None:
        """PUT/PATCH/v2 update semantics; referenceId and orderedAt can never change (§7)."""
        if cleaned["referenceId"] != order.fields["referenceId"]:
            raise bad_request("referenceId: cannot be updated.")
        sent = parse_instant(cleaned["orderedAt"])
        assert sent is not None
        if abs(to_ms(sent) - order.ordered_ms) > self._window_ms():
            raise bad_request("orderedAt: cannot be updated.")
        fields = dict(order.fields) if partial else {}
        for name, value in cleaned.items():
            if name in IMMUTABLE:
                continue
            if value is None:
                fields.pop(name, None)
            else:
                fields[name] = value
        for name in IMMUTABLE:
            fields[name] = order.fields[name]
        order.fields = fields
        order.modified_ms = self.clock.next_ms()

    # -- operations ----------------------------------------------------------------------

    def create_order(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /v2.1/orders → the order body (201 in every mode that succeeds)."""
        with self.lock:
            cleaned = self.clean_order_body(body, partial=False)
            sent = parse_instant(cleaned["orderedAt"])
            assert sent is not None
            match = self._find_match(cleaned["referenceId"], to_ms(sent))
            mode = self.config.match_mode
            if match is not None and mode == "conflict":
                raise ApiError(
                    409,
                    "An order with this referenceId and an orderedAt within two days already "
                    f"exists: {match.ref}.",
                )
            if match is not None and mode == "upsert":
                self._apply_update(match, cleaned, partial=False)
                return self.render_order(match)
            return self.render_order(self.insert_order(cleaned))

    def get_order(self, ref: str, expand: frozenset[str] = frozenset()) -> dict[str, Any]:
        with self.lock:
            return self.render_order(self.get_order_record(ref), expand=expand)

    def update_order(
        self, ref: str, body: dict[str, Any], *, partial: bool, v2: bool = False
    ) -> dict[str, Any]:
        """PUT (full), PATCH (partial) or legacy `POST /v2/orders/{ref}` (full, §13.3)."""
        with self.lock:
            order = self.get_order_record(ref)
            cleaned = self.clean_order_body(body, partial=partial, v2=v2)
            self._apply_update(order, cleaned, partial=partial)
            return self.render_order(order, api="v2" if v2 else "v2.1")

    def delete_order(self, ref: str) -> None:
        """Delete with the cascade of §14.1 point 9: children and extensions, not guests."""
        with self.lock:
            order = self.get_order_record(ref)
            for item_ref in order.item_refs:
                self.items.pop(item_ref, None)
                self.extensions.pop(("orderItem", item_ref), None)
            for contact_ref in order.contact_refs:
                self.contacts.pop(contact_ref, None)
            for consumer_ref in order.consumer_refs:
                self.consumers.pop(consumer_ref, None)
            self.extensions.pop(("order", order.ref), None)
            same_id = self.by_reference_id.get(order.reference_id, [])
            if order.ref in same_id:
                same_id.remove(order.ref)
            if not same_id:
                self.by_reference_id.pop(order.reference_id, None)
            del self.orders[order.ref]

    def list_orders(self, request: ListRequest) -> dict[str, Any]:
        """GET /v2.1/orders?referenceId=… | ?guestRef=… (§9.4)."""
        with self.lock:
            reference_id = request.get("referenceId") or None
            guest_ref = request.get("guestRef") or None
            if (reference_id is None) == (guest_ref is None):
                raise bad_request("Either referenceId or guestRef must be given, but not both.")
            sort = request.get("sort") or "created"
            # §4.3 [INF]: ascending by creation unless sort=orderedAt (guestRef searches only).
            if sort not in ("created", "orderedAt"):
                raise bad_request("sort: must be created or orderedAt.")
            if sort == "orderedAt" and guest_ref is None:
                raise bad_request("sort: orderedAt can only be used together with guestRef.")
            request.page()
            if reference_id is not None:
                orders = [self.orders[r] for r in self.by_reference_id.get(reference_id, [])]
            else:
                # §9.4 [INF]: an unknown guest is an empty search result, not a 404.
                orders = [self.orders[r] for r in self._order_refs_of_guest(guest_ref or "")]
            if sort == "orderedAt":
                orders.sort(key=lambda o: (o.ordered_ms, o.seq))
            else:
                orders.sort(key=lambda o: o.seq)
            return collection(
                request, orders, self.render_order, lambda o: self._link("orders", o.ref)
            )

    def _order_refs_of_guest(self, guest_ref: str) -> set[str]:
        guest_ref = guest_ref.lower()
        people = list(self.contacts.values())
        if self.config.guest_search_includes_consumers:
            people += self.consumers.values()
        return {p.order_ref for p in people if p.guest_ref == guest_ref}

    def touch_order(self, ref: str, **fields: Any) -> dict[str, Any]:
        """Change fields directly, without validation, and bump modifiedAt.

        Simulates a change made outside the app (another system writing to CDP). A value
        of None removes the field.
        """
        with self.lock:
            order = self.get_order_record(ref)
            old_reference_id = order.reference_id
            for name, value in fields.items():
                if value is None:
                    order.fields.pop(name, None)
                else:
                    order.fields[name] = value
            if "orderedAt" in fields and fields["orderedAt"] is not None:
                parsed = parse_instant(fields["orderedAt"])
                if parsed is None:
                    raise ValueError("orderedAt must be an ISO 8601 date-time with a time zone.")
                order.ordered_ms = to_ms(parsed)
            if order.fields.get("referenceId") != old_reference_id:
                self.by_reference_id[old_reference_id].remove(order.ref)
                self.by_reference_id.setdefault(order.reference_id, []).append(order.ref)
            order.modified_ms = self.clock.next_ms()
            return self.render_order(order)
