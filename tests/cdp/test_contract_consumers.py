"""The client against the sandbox over real HTTP: the seven order consumer operations."""

from __future__ import annotations

import pytest

from orders.cdp import CdpClient, CdpNotFound, CdpValidationError, Order, OrderItem
from orders.sandbox.server import SandboxServer
from tests.cdp.support import item_body, order_body, person_body

pytestmark = pytest.mark.integration


@pytest.fixture
def order(live: CdpClient) -> Order:
    return live.order_create(order_body())


@pytest.fixture
def items(live: CdpClient, order: Order) -> list[OrderItem]:
    return [live.order_item_create(order.ref, item_body(name=f"Seat {i}")) for i in range(3)]


def links(*items: OrderItem) -> dict[str, object]:
    return {"items": [{"href": item.href} for item in items]}


def test_create_links_the_consumer_to_items(
    live: CdpClient, srv: SandboxServer, order: Order, items: list[OrderItem]
) -> None:
    consumer = live.order_consumer_create(
        order.ref, person_body(firstName="Jane", orderItems=links(*items[:2]))
    )
    assert consumer.first_name == "Jane"
    assert consumer.item_refs == (items[0].ref, items[1].ref)
    assert consumer.guest_ref and consumer.order_ref == order.ref
    assert srv.request_log[-1].status == 201


def test_a_consumer_without_a_first_name_is_refused_with_the_field(
    live: CdpClient, order: Order
) -> None:
    with pytest.raises(CdpValidationError) as caught:
        live.order_consumer_create(order.ref, person_body(firstName=None))
    assert caught.value.field == "firstName"


def test_get_replace_patch_and_delete(
    live: CdpClient, srv: SandboxServer, order: Order, items: list[OrderItem]
) -> None:
    consumer = live.order_consumer_create(order.ref, person_body(orderItems=links(items[0])))
    assert live.order_consumer_get(consumer.ref) == consumer

    replaced = live.order_consumer_replace(
        consumer.ref, person_body(lastName="Smith", orderItems=links(items[1], items[2]))
    )
    assert (replaced.last_name, replaced.item_refs) == ("Smith", (items[1].ref, items[2].ref))

    patched = live.order_consumer_patch(consumer.ref, {"title": "Dr"})
    assert (patched.title, patched.last_name, patched.item_refs) == (
        "Dr",
        "Smith",
        (items[1].ref, items[2].ref),
    )

    live.order_consumer_delete(consumer.ref)
    assert srv.request_log[-1].status == 204
    with pytest.raises(CdpNotFound):
        live.order_consumer_get(consumer.ref)


def test_list_returns_full_consumers(live: CdpClient, order: Order) -> None:
    refs = [
        live.order_consumer_create(order.ref, person_body(firstName=name)).ref
        for name in ("Ann", "Bob")
    ]
    page = live.order_consumers_list(order.ref)
    assert [(c.ref, c.first_name) for c in page] == [(refs[0], "Ann"), (refs[1], "Bob")]


def test_consumer_items_list_returns_the_items_it_consumes(
    live: CdpClient, srv: SandboxServer, order: Order, items: list[OrderItem]
) -> None:
    consumer = live.order_consumer_create(order.ref, person_body(orderItems=links(*items)))
    srv.clear_log()
    first = live.order_consumer_items_list(consumer.ref, limit=2)
    rest = live.order_consumer_items_list(consumer.ref, offset=2, limit=2)
    assert [i.ref for i in first] + [i.ref for i in rest] == [i.ref for i in items]
    assert [i.name for i in first] == ["Seat 0", "Seat 1"]
    assert (first.next_offset, rest.has_next) == (2, False)
    assert srv.request_log[0].path == f"/v2.1/orderConsumers/{consumer.ref}/orderItems"


def test_consumer_items_of_an_unknown_consumer_are_not_found(live: CdpClient) -> None:
    with pytest.raises(CdpNotFound):
        live.order_consumer_items_list("00000000-0000-4000-8000-000000000000")
