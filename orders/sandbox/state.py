"""The sandbox's store: every operation of the Order API on in-memory data."""

from __future__ import annotations

from typing import Any

from .demo import seed_demo_orders
from .store_children import ItemOps, PeopleOps
from .store_extensions import ExtensionOps
from .store_guests import GuestOps
from .store_orders import OrderOps


class SandboxState(OrderOps, ItemOps, PeopleOps, ExtensionOps, GuestOps):
    """Thread-safe in-memory CDP tenant.

    The operations validate exactly as the HTTP API does and raise `ApiError`; tests can
    call them directly to seed data (`create_order`, `create_item`, …) and get the same
    response-shaped dicts the API would return.
    """

    def reset(self, orders: int = 0, seed: int = 1) -> None:
        """Wipe all data; then seed `orders` demo orders deterministically from `seed`."""
        with self.lock:
            self._wipe(seed)
            self.clock.reset()
            if orders > 0:
                seed_demo_orders(self, orders, seed)

    def create_contact(self, order_ref: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.create_person("contact", order_ref, body)

    def create_consumer(self, order_ref: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.create_person("consumer", order_ref, body)

    def put_order_extension(self, order_ref: str, data: dict[str, Any]) -> dict[str, Any]:
        return self.put_extension("order", order_ref, data)

    def put_item_extension(self, item_ref: str, data: dict[str, Any]) -> dict[str, Any]:
        return self.put_extension("orderItem", item_ref, data)

    def counts(self) -> dict[str, int]:
        with self.lock:
            return {
                "orders": len(self.orders),
                "orderItems": len(self.items),
                "contacts": len(self.contacts),
                "consumers": len(self.consumers),
                "extensions": len(self.extensions),
                "guests": len(self.guests.guests),
            }
