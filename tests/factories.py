"""Seed data in the sandbox, the way CDP would hold it."""

from __future__ import annotations

from typing import Any

from orders.sandbox.server import SandboxServer


def seed_order(sandbox: SandboxServer, **fields: Any) -> dict[str, Any]:
    body = {
        "referenceId": "B94TXY-1",
        "orderedAt": "2026-03-01T10:00:00.000Z",
        "currencyCode": "EUR",
        "price": 120,
        "status": "PURCHASED",
        "channel": "WEB",
        "pointOfSale": "spinair.com",
        "paymentType": "Card",
        "cardType": "Visa",
        **fields,
    }
    return sandbox.state.create_order(body)


def seed_full_order(sandbox: SandboxServer, **fields: Any) -> dict[str, Any]:
    """An order with an item, a contact, a consumer of the item, and a data extension."""
    order = seed_order(sandbox, **fields)
    item = sandbox.state.create_item(
        order["ref"],
        {
            "name": "DUB-LHR Flight",
            "type": "Flight Item",
            "status": "CONFIRMED",
            "price": 100,
            "currencyCode": "EUR",
            "quantity": 1,
        },
    )
    contact = sandbox.state.create_contact(
        order["ref"],
        {
            "firstName": "Jane",
            "lastName": "Doe",
            "emails": ["jane@example.com"],
            "identifiers": [{"provider": "ProfileSystem", "id": "JD-1"}],
        },
    )
    consumer = sandbox.state.create_consumer(
        order["ref"],
        {"firstName": "Jane", "lastName": "Doe", "orderItems": {"items": [{"href": item["href"]}]}},
    )
    extension = sandbox.state.put_order_extension(
        order["ref"], {"loyaltyTier": 2, "firstTimeOrder": True, "storeLocation": "London"}
    )
    return {
        "order": order,
        "item": item,
        "contact": contact,
        "consumer": consumer,
        "extension": extension,
    }
