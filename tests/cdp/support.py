"""Constants, bodies and a client builder shared by the CDP client tests."""

from __future__ import annotations

from typing import Any

from orders.cdp.client import CdpClient

BASE_URL = "https://cdp.test"
# Distinctive so a test can prove they never leak into messages, reprs or logs.
CLIENT_KEY = "ck-SECRET-KEY-4f1e"
API_TOKEN = "tok-SECRET-TOKEN-9b7c"
ORDER_REF = "2d7de9df-45a2-45ea-872c-30e45139007d"
ITEM_REF = "111d106a-feff-42b2-90fb-a6ed136ec333"
CONTACT_REF = "3b5cb55e-c616-424a-991c-a241d0024896"
CONSUMER_REF = "056621c2-c955-492d-b7ee-c77c6bddfdee"
GUEST_REF = "f7aabbca-1c1b-4fc2-be72-3e16294a4f03"


def make_client(base_url: str = BASE_URL, **overrides: object) -> CdpClient:
    options: dict[str, object] = {
        "base_url": base_url,
        "client_key": CLIENT_KEY,
        "api_token": API_TOKEN,
        "timeout": 10.0,
        "retries": 0,
        "pool_size": 4,
    }
    options.update(overrides)
    return CdpClient(**options)  # type: ignore[arg-type]


def order_body(**changes: Any) -> dict[str, Any]:
    """A valid order create body; `changes` override or (with None) remove fields."""
    body: dict[str, Any] = {
        "referenceId": "B94TXY-1",
        "orderedAt": "2025-12-19T12:07:18.149Z",
        "currencyCode": "EUR",
        "price": 12.5,
        "pointOfSale": "spinair.com/france",
        "channel": "WEB",
        "paymentType": "Card",
        "cardType": "Visa",
        "status": "PURCHASED",
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def item_body(**changes: Any) -> dict[str, Any]:
    """A valid v2.1 order item body (§10.1 example)."""
    body: dict[str, Any] = {
        "name": "NYC-PAR Flight",
        "description": "Flight from New York City to Paris",
        "type": "Flight Item",
        "productId": "FL44124",
        "price": 105,
        "currencyCode": "EUR",
        "originalPrice": 110,
        "originalCurrencyCode": "USD",
        "referenceId": "O62455331",
        "vendor": "Travel Agency",
        "status": "Confirmed",
        "language": "EN",
        "quantity": 1,
        "channel": "WEB",
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def person_body(**changes: Any) -> dict[str, Any]:
    """A valid contact or consumer body."""
    body: dict[str, Any] = {
        "title": "Mr",
        "firstName": "John",
        "lastName": "Doe",
        "gender": "male",
        "dateOfBirth": "1991-01-01T16:17:16Z",
        "emails": ["john.doe@example.com"],
        "phoneNumbers": ["+353161123345"],
        "nationality": "Irish",
        "passportNumber": "PZ4A9565",
        "country": "IE",
        "identifiers": [{"provider": "ProfileSystem", "id": "B7524AE6-CF1C-440F"}],
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


ORDER_URL = f"{BASE_URL}/v2.1/orders/{ORDER_REF}"
ORDER_PATH = f"/v2.1/orders/{ORDER_REF}"
ORDER_BODY = {
    "ref": ORDER_REF,
    "referenceId": "B94TXY-1",
    "orderedAt": "2024-01-01T16:17:16Z",
    "currencyCode": "EUR",
    "price": 50,
}
