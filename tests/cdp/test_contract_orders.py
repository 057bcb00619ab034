"""The client against the sandbox over real HTTP: the six order operations and the v2 update."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.conf import settings as django_settings

from orders.cdp import (
    CdpClient,
    CdpNotFound,
    CdpUnauthorized,
    CdpValidationError,
    Order,
)
from orders.cdp.parsing import format_datetime
from orders.sandbox.server import SandboxServer
from tests.cdp.support import make_client, order_body, person_body

pytestmark = pytest.mark.integration

UNKNOWN_REF = "00000000-0000-4000-8000-000000000000"


def sent(srv: SandboxServer) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in srv.request_log]


def test_create_returns_the_order_with_its_new_ref(live: CdpClient, srv: SandboxServer) -> None:
    order = live.order_create(order_body())
    assert order.ref and order.ref == order.ref.lower()
    assert (order.reference_id, order.currency_code, order.price) == (
        "B94TXY-1",
        "EUR",
        Decimal("12.5"),
    )
    assert order.ordered_at == datetime(2025, 12, 19, 12, 7, 18, 149000, tzinfo=UTC)
    assert order.created_at is not None and order.created_at.tzinfo is UTC
    assert sent(srv) == [("POST", "/v2.1/orders")]
    assert srv.request_log[0].status == 201


def test_get_returns_what_was_created(live: CdpClient) -> None:
    created = live.order_create(order_body())
    fetched = live.order_get(created.ref.upper())
    assert fetched == created


def test_a_missing_required_field_is_a_validation_error_naming_it(live: CdpClient) -> None:
    with pytest.raises(CdpValidationError) as caught:
        live.order_create(order_body(orderedAt=None))
    assert caught.value.status == 400
    assert caught.value.field == "orderedAt"
    assert caught.value.field_errors == {"orderedAt": ["may not be null."]}


def test_an_unknown_order_is_not_found(live: CdpClient) -> None:
    with pytest.raises(CdpNotFound) as caught:
        live.order_get(UNKNOWN_REF)
    assert caught.value.path == f"/v2.1/orders/{UNKNOWN_REF}"
    assert "doesn’t exist in CDP" in caught.value.message


def test_a_wrong_api_token_is_unauthorized(srv: SandboxServer) -> None:
    client = make_client(
        srv.base_url, client_key=django_settings.SANDBOX_CLIENT_KEY, api_token="wrong-token"
    )
    with pytest.raises(CdpUnauthorized) as caught:
        client.order_get(UNKNOWN_REF)
    assert caught.value.status == 401
    assert caught.value.cdp_message and "Authentication credentials" in caught.value.cdp_message
    assert "wrong-token" not in repr(caught.value) + caught.value.message


def test_replace_sends_the_four_required_fields_from_current_without_a_get(
    live: CdpClient, srv: SandboxServer
) -> None:
    order = live.order_create(order_body(paymentType="Card"))
    srv.clear_log()
    replaced = live.order_replace(order.ref, {"status": "CANCELLED"}, current=order)
    assert replaced.status == "CANCELLED"
    assert replaced.payment_type is None  # a PUT clears what it does not carry
    assert sent(srv) == [("PUT", f"/v2.1/orders/{order.ref}")]
    body = json.loads(srv.request_log[0].body)
    assert body == {
        "status": "CANCELLED",
        "referenceId": "B94TXY-1",
        "orderedAt": order.raw["orderedAt"],
        "currencyCode": "EUR",
        "price": 12.5,
    }


def test_patch_without_current_fetches_the_required_fields_first(
    live: CdpClient, srv: SandboxServer
) -> None:
    order = live.order_create(order_body())
    srv.clear_log()
    patched = live.order_patch(order.ref, {"status": "CONFIRMED", "price": Decimal("14.75")})
    assert (patched.status, patched.price, patched.payment_type) == (
        "CONFIRMED",
        Decimal("14.75"),
        "Card",
    )
    assert sent(srv) == [
        ("GET", f"/v2.1/orders/{order.ref}"),
        ("PATCH", f"/v2.1/orders/{order.ref}"),
    ]
    body = json.loads(srv.request_log[1].body)
    assert body["price"] == 14.75 and body["referenceId"] == "B94TXY-1"


def test_patch_with_all_four_fields_sends_only_the_patch(
    live: CdpClient, srv: SandboxServer
) -> None:
    order = live.order_create(order_body())
    srv.clear_log()
    body = {key: order.raw[key] for key in ("referenceId", "orderedAt", "currencyCode", "price")}
    live.order_patch(order.ref, {**body, "channel": "MOBILE_APP"})
    assert sent(srv) == [("PATCH", f"/v2.1/orders/{order.ref}")]


def test_changing_the_reference_id_is_refused_with_the_field(live: CdpClient) -> None:
    order = live.order_create(order_body())
    with pytest.raises(CdpValidationError) as caught:
        live.order_patch(order.ref, {"referenceId": "OTHER-1"}, current=order)
    assert caught.value.field == "referenceId"


def test_delete_removes_the_order(live: CdpClient, srv: SandboxServer) -> None:
    order = live.order_create(order_body())
    assert live.order_delete(order.ref) is None
    assert srv.request_log[-1].status == 204
    with pytest.raises(CdpNotFound):
        live.order_get(order.ref)


def test_search_by_reference_id_returns_full_orders(live: CdpClient, srv: SandboxServer) -> None:
    order = live.order_create(order_body(referenceId="FIND-ME"))
    live.order_create(order_body(referenceId="OTHER"))
    srv.clear_log()
    page = live.orders_search(reference_id="FIND-ME")
    assert [found.ref for found in page] == [order.ref]
    assert page.items[0] == order
    assert not page.has_next
    assert "expand=true" in srv.request_log[0].query


def test_search_by_guest_finds_the_orders_of_the_contact(live: CdpClient) -> None:
    first = live.order_create(order_body(referenceId="G-1"))
    second = live.order_create(order_body(referenceId="G-2"))
    guest = live.order_contact_create(first.ref, person_body()).guest_ref
    live.order_contact_create(second.ref, person_body())
    assert guest is not None
    page = live.orders_search(guest_ref=guest, sort="orderedAt")
    assert {found.ref for found in page} == {first.ref, second.ref}


def test_search_pages_through_with_offset_and_limit(live: CdpClient) -> None:
    # Same referenceId, orderedAt three days apart: outside the matching window, so 5 orders.
    start = datetime(2025, 1, 1, tzinfo=UTC)
    refs = [
        live.order_create(
            order_body(
                referenceId="PAGED", orderedAt=format_datetime(start + timedelta(days=3 * i))
            )
        ).ref
        for i in range(5)
    ]
    seen: list[str] = []
    offset: int | None = 0
    pages = 0
    while offset is not None:
        page = live.orders_search(reference_id="PAGED", offset=offset, limit=2, sort="created")
        assert page.offset == offset and page.limit == 2
        seen.extend(order.ref for order in page)
        offset = page.next_offset
        pages += 1
    assert pages == 3
    assert sorted(seen) == sorted(refs) and len(seen) == 5


def test_legacy_v2_replace_posts_to_the_v2_path(srv: SandboxServer, live: CdpClient) -> None:
    order = live.order_create(order_body())
    legacy = make_client(
        srv.base_url,
        client_key=django_settings.SANDBOX_CLIENT_KEY,
        api_token=django_settings.SANDBOX_API_TOKEN,
        order_update_api="v2",
    )
    srv.clear_log()
    updated = legacy.order_replace(
        order.ref, {"status": "REFUNDED", "pointOfSale": "home"}, current=order
    )
    assert (updated.ref, updated.status, updated.point_of_sale) == (order.ref, "REFUNDED", "home")
    assert sent(srv) == [("POST", f"/v2/orders/{order.ref}")]
    assert isinstance(updated, Order)


def test_legacy_v2_patch_merges_onto_the_current_copy_it_is_given(
    srv: SandboxServer, live: CdpClient
) -> None:
    order = live.order_create(order_body(channel="WEB", paymentType="Card"))
    legacy = make_client(
        srv.base_url,
        client_key=django_settings.SANDBOX_CLIENT_KEY,
        api_token=django_settings.SANDBOX_API_TOKEN,
        order_update_api="v2",
    )
    srv.clear_log()
    updated = legacy.order_patch(order.ref, {"status": "CANCELLED"}, current=order)
    assert (updated.status, updated.channel, updated.payment_type) == ("CANCELLED", "WEB", "Card")
    assert sent(srv) == [("POST", f"/v2/orders/{order.ref}")]
    body = json.loads(srv.request_log[0].body)
    assert body["pointOfSale"] == "spinair.com/france" and body["status"] == "CANCELLED"


def test_legacy_v2_patch_without_a_current_copy_merges_onto_a_fresh_get(
    srv: SandboxServer, live: CdpClient
) -> None:
    order = live.order_create(order_body(channel="WEB", paymentType="Card"))
    live.order_patch(order.ref, {"channel": "OTA"}, current=order)  # someone else's change
    legacy = make_client(
        srv.base_url,
        client_key=django_settings.SANDBOX_CLIENT_KEY,
        api_token=django_settings.SANDBOX_API_TOKEN,
        order_update_api="v2",
    )
    srv.clear_log()
    updated = legacy.order_patch(order.ref, {"status": "CANCELLED"})
    assert (updated.status, updated.channel, updated.payment_type) == ("CANCELLED", "OTA", "Card")
    assert sent(srv) == [("GET", f"/v2.1/orders/{order.ref}"), ("POST", f"/v2/orders/{order.ref}")]
