"""Nothing a caller passes can steer a request elsewhere in CDP, and refused input sends nothing.

`mocked` has no URL registered, so any request that slipped through would be recorded in
`mocked.calls`; every refusal test asserts that list is empty.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import responses

from orders.cdp import CdpClient, CdpInvalidReference
from orders.cdp.paths import path
from tests.cdp.support import BASE_URL, ORDER_REF

pytestmark = pytest.mark.unit

BAD_REFS = [
    "../guests/x",
    "..",
    "%2e%2e%2f",
    "%2e%2e%2fguests%2fx",
    f"{ORDER_REF}/../../guests/x",
    f"{ORDER_REF}%2Fextensions",
    f"{ORDER_REF}/extensions",
    f"{ORDER_REF}?expand=true",
    f"{ORDER_REF}#x",
    f"{ORDER_REF}\n",
    f" {ORDER_REF}",
    ORDER_REF + "0",
    ORDER_REF[:-1],
    ORDER_REF + "-" + ORDER_REF,
    "x" * 10_000,
    ORDER_REF.replace("-", ""),
    "{" + ORDER_REF + "}",
    ORDER_REF.replace("2", "２"),  # a full-width digit
    ORDER_REF.replace("d", "g"),
    "",
    None,
    123,
    b"2d7de9df-45a2-45ea-872c-30e45139007d",
]

Call = Callable[[CdpClient, Any], object]
REF_CALLS: dict[str, Call] = {
    "order_get": lambda c, r: c.order_get(r),
    "order_replace": lambda c, r: c.order_replace(r, {"price": 1}),
    "order_patch": lambda c, r: c.order_patch(r, {"price": 1}),
    "order_delete": lambda c, r: c.order_delete(r),
    "order_page": lambda c, r: c.order_page(r),
    "order_item_create": lambda c, r: c.order_item_create(r, {}),
    "order_items_list": lambda c, r: c.order_items_list(r),
    "order_item_get": lambda c, r: c.order_item_get(r),
    "order_item_replace": lambda c, r: c.order_item_replace(r, {}),
    "order_item_patch": lambda c, r: c.order_item_patch(r, {}),
    "order_item_delete": lambda c, r: c.order_item_delete(r),
    "order_contact_create": lambda c, r: c.order_contact_create(r, {}),
    "order_contacts_list": lambda c, r: c.order_contacts_list(r),
    "order_contact_get": lambda c, r: c.order_contact_get(r),
    "order_contact_replace": lambda c, r: c.order_contact_replace(r, {}),
    "order_contact_patch": lambda c, r: c.order_contact_patch(r, {}),
    "order_contact_delete": lambda c, r: c.order_contact_delete(r),
    "order_consumer_create": lambda c, r: c.order_consumer_create(r, {}),
    "order_consumers_list": lambda c, r: c.order_consumers_list(r),
    "order_consumer_get": lambda c, r: c.order_consumer_get(r),
    "order_consumer_replace": lambda c, r: c.order_consumer_replace(r, {}),
    "order_consumer_patch": lambda c, r: c.order_consumer_patch(r, {}),
    "order_consumer_delete": lambda c, r: c.order_consumer_delete(r),
    "order_consumer_items_list": lambda c, r: c.order_consumer_items_list(r),
    "order_extension_create": lambda c, r: c.order_extension_create(r, {"a": 1}),
    "order_extension_get": lambda c, r: c.order_extension_get(r),
    "order_extension_replace": lambda c, r: c.order_extension_replace(r, {"a": 1}),
    "order_extension_patch": lambda c, r: c.order_extension_patch(r, {"a": 1}),
    "order_extension_delete": lambda c, r: c.order_extension_delete(r),
    "order_extension_delete_fields": lambda c, r: c.order_extension_delete_fields(r, ["a"]),
    "order_extensions_list": lambda c, r: c.order_extensions_list(r),
    "order_item_extension_create": lambda c, r: c.order_item_extension_create(r, {"a": 1}),
    "order_item_extension_get": lambda c, r: c.order_item_extension_get(r),
    "order_item_extension_replace": lambda c, r: c.order_item_extension_replace(r, {"a": 1}),
    "order_item_extension_patch": lambda c, r: c.order_item_extension_patch(r, {"a": 1}),
    "order_item_extension_delete": lambda c, r: c.order_item_extension_delete(r),
    "order_item_extension_delete_fields": (
        lambda c, r: c.order_item_extension_delete_fields(r, ["a"])
    ),
    "order_item_extensions_list": lambda c, r: c.order_item_extensions_list(r),
    "orders_search(guest_ref)": lambda c, r: c.orders_search(guest_ref=r),
}


@pytest.mark.parametrize(
    ("operation", "bad_ref"),
    [
        pytest.param(operation, ref, id=f"{operation}-{ref!r}")
        for operation in REF_CALLS
        for ref in BAD_REFS
        # guest_ref=None means "not searching by guest": a plain ValueError, tested below.
        if not (ref is None and operation.startswith("orders_search"))
    ],
)
def test_every_operation_refuses_a_bad_ref_before_sending(
    cdp: CdpClient, mocked: responses.RequestsMock, operation: str, bad_ref: object
) -> None:
    with pytest.raises(CdpInvalidReference) as caught:
        REF_CALLS[operation](cdp, bad_ref)
    assert len(mocked.calls) == 0
    assert isinstance(caught.value, ValueError)
    assert "not a valid CDP" in caught.value.message
    assert len(caught.value.message) < 200


def test_an_upper_case_ref_is_sent_in_lower_case(
    cdp: CdpClient, mocked: responses.RequestsMock
) -> None:
    mocked.delete(f"{BASE_URL}/v2.1/orderItems/{ORDER_REF}", status=204)
    cdp.order_item_delete(ORDER_REF.upper())
    assert mocked.calls[0].request.url == f"{BASE_URL}/v2.1/orderItems/{ORDER_REF}"


EXTENSION_NAME_CALLS: dict[str, Call] = {
    "order_extension_create": lambda c, n: c.order_extension_create(ORDER_REF, {"a": 1}, name=n),
    "order_extension_get": lambda c, n: c.order_extension_get(ORDER_REF, name=n),
    "order_extension_replace": lambda c, n: c.order_extension_replace(ORDER_REF, {}, name=n),
    "order_extension_patch": lambda c, n: c.order_extension_patch(ORDER_REF, {}, name=n),
    "order_extension_delete": lambda c, n: c.order_extension_delete(ORDER_REF, name=n),
    "order_extension_delete_fields": (
        lambda c, n: c.order_extension_delete_fields(ORDER_REF, ["a"], name=n)
    ),
    "order_item_extension_get": lambda c, n: c.order_item_extension_get(ORDER_REF, name=n),
    "order_item_extension_delete": lambda c, n: c.order_item_extension_delete(ORDER_REF, name=n),
}


@pytest.mark.parametrize("operation", EXTENSION_NAME_CALLS)
@pytest.mark.parametrize(
    "name", ["ext1", "EXT", "Ext", "ext/fields", "../ext", "%65xt", "ext ", "", None]
)
def test_extension_names_other_than_ext_are_refused(
    cdp: CdpClient, mocked: responses.RequestsMock, operation: str, name: object
) -> None:
    with pytest.raises(CdpInvalidReference):
        EXTENSION_NAME_CALLS[operation](cdp, name)
    assert len(mocked.calls) == 0


BAD_KEYS = [
    "Bad",
    "1abc",
    "a-b",
    "a_b",
    "a b",
    "a|b",
    "a/b",
    "a%7Cb",
    "",
    "ä",
    "caféOrder",
    "name",
    "href",
    "ref",
    "key",
    "createdAt",
    "modifiedAt",
    "order",
    "orderItem",
]


@pytest.mark.parametrize("key", BAD_KEYS)
@pytest.mark.parametrize(
    "operation",
    [
        "order_extension_create",
        "order_extension_replace",
        "order_extension_patch",
        "order_item_extension_create",
        "order_item_extension_replace",
        "order_item_extension_patch",
    ],
)
def test_bad_pair_keys_are_refused_before_sending(
    cdp: CdpClient, mocked: responses.RequestsMock, key: str, operation: str
) -> None:
    with pytest.raises(CdpInvalidReference):
        getattr(cdp, operation)(ORDER_REF, {"fine": 1, key: "x"})
    assert len(mocked.calls) == 0


# Keys another system may have written: the app would not create them, but a field delete
# can name them safely, percent-quoted. The ones below it cannot (§11.4).
UNDELETABLE_KEYS = ["", "a|b", " a", "a ", "a\nb", "a\x00b", "k" * 1001, "name", "ref", "order"]


@pytest.mark.parametrize("key", UNDELETABLE_KEYS)
@pytest.mark.parametrize(
    "operation", ["order_extension_delete_fields", "order_item_extension_delete_fields"]
)
def test_keys_a_field_delete_cannot_name_are_refused_before_sending(
    cdp: CdpClient, mocked: responses.RequestsMock, key: str, operation: str
) -> None:
    with pytest.raises(CdpInvalidReference):
        getattr(cdp, operation)(ORDER_REF, ["fine", key])
    assert len(mocked.calls) == 0


@pytest.mark.parametrize(
    "value",
    [None, [1], ["a"], {"a": 1}, (1,), math.nan, math.inf, Decimal("1.5"), b"x", object()],
    ids=repr,
)
def test_pair_values_must_be_primitives(
    cdp: CdpClient, mocked: responses.RequestsMock, value: object
) -> None:
    with pytest.raises(ValueError):
        cdp.order_extension_patch(ORDER_REF, {"fine": 1, "odd": value})
    assert len(mocked.calls) == 0


def test_more_than_100_pairs_are_refused(cdp: CdpClient, mocked: responses.RequestsMock) -> None:
    with pytest.raises(ValueError, match="at most 100"):
        cdp.order_extension_replace(ORDER_REF, {f"k{i}": i for i in range(101)})
    assert len(mocked.calls) == 0


@pytest.mark.parametrize(
    ("keys", "empty_all"), [([], False), ((), False), ("abc", False), (["a"], True)]
)
def test_deleting_fields_refuses_an_accidental_empty_all(
    cdp: CdpClient, mocked: responses.RequestsMock, keys: object, empty_all: bool
) -> None:
    with pytest.raises(ValueError):
        cdp.order_extension_delete_fields(ORDER_REF, keys, empty_all=empty_all)  # type: ignore[arg-type]
    assert len(mocked.calls) == 0


def test_fields_are_sent_pipe_joined_and_deduplicated(
    cdp: CdpClient, mocked: responses.RequestsMock
) -> None:
    url = f"{BASE_URL}/v2.1/orders/{ORDER_REF}/extensions/ext/fields"
    mocked.delete(url, json={"ref": "r", "name": "ext"})
    cdp.order_extension_delete_fields(
        ORDER_REF, ["firstTimeOrder", "storeLocation", "firstTimeOrder"]
    )
    assert mocked.calls[0].request.params == {"name": "firstTimeOrder|storeLocation"}


@pytest.mark.parametrize(
    "key", ["Bad", "a_b", "a b", "a/b", "a%7Cb", "a&name=b", "ä", 'x"><img src=x>', "k" * 300]
)
def test_a_foreign_key_is_deleted_by_name_percent_quoted(
    cdp: CdpClient, mocked: responses.RequestsMock, key: str
) -> None:
    url = f"{BASE_URL}/v2.1/orders/{ORDER_REF}/extensions/ext/fields"
    mocked.delete(url, json={"ref": "r", "name": "ext"})
    cdp.order_extension_delete_fields(ORDER_REF, [key])
    request = mocked.calls[0].request
    assert request.path_url.startswith("/v2.1/orders/") and "/fields?name=" in request.path_url
    assert request.params == {"name": key}


def test_empty_all_sends_no_name_parameter(cdp: CdpClient, mocked: responses.RequestsMock) -> None:
    url = f"{BASE_URL}/v2.1/orderItems/{ORDER_REF}/extensions/ext/fields"
    mocked.delete(url, json={"ref": "r", "name": "ext"})
    cdp.order_item_extension_delete_fields(ORDER_REF, [], empty_all=True)
    assert mocked.calls[0].request.url == url


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({}, ValueError),
        ({"reference_id": "B94", "guest_ref": ORDER_REF}, ValueError),
        ({"reference_id": ""}, ValueError),
        ({"reference_id": "  "}, ValueError),
        ({"reference_id": "B94", "sort": "orderedAt"}, ValueError),
        ({"reference_id": "B94", "sort": "price"}, ValueError),
        ({"reference_id": "B94", "offset": -1}, ValueError),
        ({"reference_id": "B94", "limit": "10"}, ValueError),
        ({"guest_ref": "../x"}, CdpInvalidReference),
    ],
)
def test_order_search_arguments_are_checked_before_sending(
    cdp: CdpClient, mocked: responses.RequestsMock, kwargs: dict[str, Any], error: type
) -> None:
    with pytest.raises(error):
        cdp.orders_search(**kwargs)
    assert len(mocked.calls) == 0


@pytest.mark.parametrize(("limit", "sent"), [(0, "1"), (-5, "1"), (40, "40"), (500, "100")])
def test_order_search_clamps_the_limit_and_always_expands(
    cdp: CdpClient, mocked: responses.RequestsMock, limit: int, sent: str
) -> None:
    mocked.get(f"{BASE_URL}/v2.1/orders", json={"offset": 0, "limit": int(sent), "items": []})
    cdp.orders_search(reference_id="B94TXY-1/../x", limit=limit, offset=20)
    params = mocked.calls[0].request.params
    assert params == {
        "referenceId": "B94TXY-1/../x",
        "expand": "true",
        "offset": "20",
        "limit": sent,
    }


def test_a_guest_search_may_sort_by_ordered_at(
    cdp: CdpClient, mocked: responses.RequestsMock
) -> None:
    mocked.get(f"{BASE_URL}/v2.1/orders", json={"items": []})
    cdp.orders_search(guest_ref=ORDER_REF.upper(), sort="orderedAt")
    params = mocked.calls[0].request.params
    assert (params["guestRef"], params["sort"]) == (ORDER_REF, "orderedAt")


@pytest.mark.parametrize("body", [None, [], "x", [("price", 1)]])
def test_bodies_must_be_mappings(
    cdp: CdpClient, mocked: responses.RequestsMock, body: object
) -> None:
    with pytest.raises(ValueError):
        cdp.order_create(body)  # type: ignore[arg-type]
    assert len(mocked.calls) == 0


def test_order_patch_refuses_a_current_order_of_another_ref(
    cdp: CdpClient, mocked: responses.RequestsMock
) -> None:
    from orders.cdp import Order

    other = Order.from_api(
        {
            "ref": "111d106a-feff-42b2-90fb-a6ed136ec333",
            "referenceId": "X",
            "orderedAt": "2024-01-01T00:00:00Z",
            "currencyCode": "EUR",
            "price": 1,
        }
    )
    with pytest.raises(ValueError):
        cdp.order_patch(ORDER_REF, {"status": "PURCHASED"}, current=other)
    assert len(mocked.calls) == 0


@pytest.mark.parametrize(
    ("segment", "quoted"),
    [("a/b", "a%2Fb"), ("..", ".."), ("a?b#c", "a%3Fb%23c"), ("%2e", "%252e"), ("a b", "a%20b")],
)
def test_every_segment_is_quoted_with_nothing_safe(segment: str, quoted: str) -> None:
    assert path("orders", segment) == f"/v2.1/orders/{quoted}"
