"""`order_page`: five GETs at once, sections that fail on their own, over real HTTP."""

from __future__ import annotations

import pytest

from orders.cdp import CdpClient, CdpNotFound, CdpUpstreamError, Order
from orders.sandbox.server import SandboxServer
from tests.cdp.support import item_body, order_body, person_body

pytestmark = pytest.mark.integration


@pytest.fixture
def order(live: CdpClient) -> Order:
    return live.order_create(order_body())


def test_the_page_holds_the_order_and_all_its_parts(
    live: CdpClient, srv: SandboxServer, order: Order
) -> None:
    items = [live.order_item_create(order.ref, item_body(name=f"Item {i}")) for i in range(2)]
    contact = live.order_contact_create(order.ref, person_body())
    consumer = live.order_consumer_create(
        order.ref, person_body(firstName="Jane", orderItems={"items": [{"href": items[0].href}]})
    )
    live.order_extension_create(order.ref, {"storeLocation": "London", "totalUnits": 8})
    srv.clear_log()

    page = live.order_page(order.ref)

    assert page.order.ref == order.ref
    assert page.items.value == tuple(items)
    assert page.contacts.value == (contact,)
    assert page.consumers.value == (consumer,)
    assert page.consumers.value[0].item_refs == (items[0].ref,)
    assert page.extension.value is not None
    assert dict(page.extension.value.pairs) == {"storeLocation": "London", "totalUnits": 8}
    assert all(s.ok for s in (page.items, page.contacts, page.consumers, page.extension))
    assert sorted(r.path for r in srv.request_log) == sorted(
        [
            f"/v2.1/orders/{order.ref}",
            f"/v2.1/orders/{order.ref}/orderItems",
            f"/v2.1/orders/{order.ref}/contacts",
            f"/v2.1/orders/{order.ref}/consumers",
            f"/v2.1/orders/{order.ref}/extensions/ext",
        ]
    )


def test_the_five_calls_overlap_in_time(live: CdpClient, srv: SandboxServer, order: Order) -> None:
    srv.config.latency_ms = 100
    srv.clear_log()
    live.order_page(order.ref)
    starts = sorted(r.at for r in srv.request_log)
    assert len(starts) == 5
    # One after another, the five calls would start at least 4 × 100 ms apart; side by side
    # they all start within a fraction of that (the margin absorbs a loaded machine).
    assert starts[-1] - starts[0] < 0.25


def test_an_order_without_extension_has_an_empty_extension_section(
    live: CdpClient, order: Order
) -> None:
    page = live.order_page(order.ref)
    assert page.extension.ok and page.extension.value is None
    assert page.items.value == () and page.contacts.value == () and page.consumers.value == ()


def test_a_failing_section_does_not_break_the_page(
    live: CdpClient, srv: SandboxServer, order: Order
) -> None:
    # Three 500s: the first try and both retries of the items list.
    srv.inject(
        status=500, times=3, method="GET", path_prefix=f"/v2.1/orders/{order.ref}/orderItems"
    )
    page = live.order_page(order.ref)
    assert page.order == order
    assert isinstance(page.items.error, CdpUpstreamError)
    assert page.items.value is None and not page.items.ok
    assert page.contacts.ok and page.consumers.ok and page.extension.ok


def test_an_unknown_order_raises(live: CdpClient) -> None:
    with pytest.raises(CdpNotFound):
        live.order_page("00000000-0000-4000-8000-000000000000")


def test_sections_page_through_long_lists(
    live: CdpClient, srv: SandboxServer, order: Order
) -> None:
    for i in range(101):
        live.order_item_create(order.ref, item_body(name=f"Item {i}"))
    srv.clear_log()
    page = live.order_page(order.ref)
    assert page.items.value is not None and len(page.items.value) == 101
    item_calls = [r.query for r in srv.request_log if r.path.endswith("/orderItems")]
    assert sorted(item_calls) == [
        "expand=true&offset=0&limit=100",
        "expand=true&offset=100&limit=100",
    ]
