"""The client against the sandbox over real HTTP: the six order item operations."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from orders.cdp import CdpClient, CdpNotFound, CdpValidationError, Order
from orders.sandbox.server import SandboxServer
from tests.cdp.support import item_body, order_body

pytestmark = pytest.mark.integration

UNKNOWN_REF = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def order(live: CdpClient) -> Order:
    return live.order_create(order_body())


def test_create_adds_an_item_to_the_order(
    live: CdpClient, srv: SandboxServer, order: Order
) -> None:
    item = live.order_item_create(order.ref, item_body())
    assert (item.name, item.type, item.status) == ("NYC-PAR Flight", "Flight Item", "Confirmed")
    assert (item.price, item.original_price, item.quantity) == (Decimal(105), Decimal(110), 1)
    assert srv.request_log[-1].status == 201
    assert live.order_get(order.ref).item_refs == (item.ref,)


def test_create_on_an_unknown_order_is_not_found(live: CdpClient) -> None:
    with pytest.raises(CdpNotFound):
        live.order_item_create(UNKNOWN_REF, item_body())


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"name": None}, "name"), ({"type": "FLIGHT"}, "type"), ({"quantity": 1.5}, "quantity")],
)
def test_invalid_items_are_validation_errors_naming_the_field(
    live: CdpClient, order: Order, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(CdpValidationError) as caught:
        live.order_item_create(order.ref, item_body(**changes))
    assert caught.value.field == field


def test_get_replace_patch_and_delete(live: CdpClient, srv: SandboxServer, order: Order) -> None:
    item = live.order_item_create(order.ref, item_body())
    assert live.order_item_get(item.ref) == item

    replaced = live.order_item_replace(item.ref, item_body(vendor=None, price=99.5))
    assert (replaced.vendor, replaced.price) == (None, Decimal("99.5"))

    srv.clear_log()
    patched = live.order_item_patch(item.ref, {"status": "Cancelled"})
    assert (patched.status, patched.price, patched.name) == (
        "Cancelled",
        Decimal("99.5"),
        "NYC-PAR Flight",
    )
    assert json.loads(srv.request_log[0].body) == {"status": "Cancelled"}

    assert live.order_item_delete(item.ref) is None
    with pytest.raises(CdpNotFound):
        live.order_item_get(item.ref)


def test_list_pages_through_the_items_with_offset_and_limit(
    live: CdpClient, srv: SandboxServer, order: Order
) -> None:
    refs = [live.order_item_create(order.ref, item_body(name=f"Item {i}")).ref for i in range(5)]
    srv.clear_log()
    first = live.order_items_list(order.ref, offset=0, limit=2)
    middle = live.order_items_list(order.ref, offset=2, limit=2)
    last = live.order_items_list(order.ref, offset=4, limit=2)
    assert (first.has_next, first.next_offset) == (True, 2)
    assert (middle.has_next, middle.next_offset) == (True, 4)
    assert (last.has_next, last.next_offset) == (False, None)
    assert [i.ref for page in (first, middle, last) for i in page] == refs
    assert first.items[0].name == "Item 0"  # expanded: full items, not links
    assert all("expand=true" in r.query for r in srv.request_log)


def test_the_default_list_fetches_up_to_100(live: CdpClient, order: Order) -> None:
    live.order_item_create(order.ref, item_body())
    page = live.order_items_list(order.ref)
    assert (page.offset, page.limit, len(page)) == (0, 100, 1)


def test_a_limit_over_100_is_clamped(live: CdpClient, srv: SandboxServer, order: Order) -> None:
    live.order_items_list(order.ref, limit=1000)
    assert "limit=100" in srv.request_log[-1].query
