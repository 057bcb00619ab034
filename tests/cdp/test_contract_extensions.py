"""The client against the sandbox over real HTTP: the 14 data extension operations.

Each test runs for the order extension and the order item extension; the two share one
implementation in the client but have their own paths.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from orders.cdp import CdpClient, CdpConflict, CdpNotFound, CdpValidationError
from orders.sandbox.server import SandboxServer
from tests.cdp.support import item_body, order_body

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Parent:
    """The extension operations of one parent kind, bound to one parent ref."""

    client: CdpClient
    prefix: str  # "order" or "order_item"
    ref: str
    path: str

    def __getattr__(self, operation: str) -> object:
        method = getattr(self.client, f"{self.prefix}_{operation}")
        return lambda *args, **kwargs: method(self.ref, *args, **kwargs)


@pytest.fixture(params=["order", "order_item"])
def parent(request: pytest.FixtureRequest, live: CdpClient) -> Parent:
    order = live.order_create(order_body())
    if request.param == "order":
        return Parent(live, "order", order.ref, f"/v2.1/orders/{order.ref}")
    item = live.order_item_create(order.ref, item_body())
    return Parent(live, "order_item", item.ref, f"/v2.1/orderItems/{item.ref}")


TYPED = {
    "textTrue": "true",
    "boolTrue": True,
    "boolFalse": False,
    "intNine": 9,
    "floatNine": 9.0,
    "textNine": "9",
    "negativeHalf": -0.5,
    "zero": 0,
    "empty": "",
    "unicode": "Zürich – 東京 ✈",
}


def test_values_round_trip_with_their_exact_types(parent: Parent, srv: SandboxServer) -> None:
    created = parent.extension_create(TYPED)
    fetched = parent.extension_get()
    for extension in (created, fetched):
        assert dict(extension.pairs) == TYPED
        for key, value in TYPED.items():
            assert type(extension.pairs[key]) is type(value), key
    sent = srv.request_log[-2].body.decode()
    assert '"floatNine": 9.0' in sent and '"intNine": 9,' in sent and '"boolTrue": true' in sent
    assert fetched.parent_ref == parent.ref and fetched.name == "ext"


def test_create_get_replace_patch_delete_fields_and_delete(
    parent: Parent, srv: SandboxServer
) -> None:
    ext_path = f"{parent.path}/extensions/ext"
    created = parent.extension_create({"a": 1, "b": 2})
    assert srv.request_log[-1].status == 201

    patched = parent.extension_patch({"b": 3, "c": 4})
    assert dict(patched.pairs) == {"a": 1, "b": 3, "c": 4}
    assert json.loads(srv.request_log[-1].body) == {"b": 3, "c": 4}

    replaced = parent.extension_replace({"c": 5})
    assert dict(replaced.pairs) == {"c": 5}
    assert replaced.ref == created.ref

    remaining = parent.extension_delete_fields(["c"])
    assert dict(remaining.pairs) == {}
    assert (srv.request_log[-1].path, srv.request_log[-1].query) == (
        f"{ext_path}/fields",
        "name=c",
    )
    assert dict(parent.extension_get().pairs) == {}  # emptied, not deleted

    parent.extension_delete()
    assert (srv.request_log[-1].method, srv.request_log[-1].status) == ("DELETE", 204)
    with pytest.raises(CdpNotFound):
        parent.extension_get()


def test_delete_fields_sends_a_pipe_list_and_keeps_the_rest(
    parent: Parent, srv: SandboxServer
) -> None:
    parent.extension_create({"firstTimeOrder": True, "storeLocation": "London", "totalUnits": 8})
    remaining = parent.extension_delete_fields(["firstTimeOrder", "storeLocation"])
    assert dict(remaining.pairs) == {"totalUnits": 8}
    assert srv.request_log[-1].query == "name=firstTimeOrder%7CstoreLocation"


def test_empty_all_empties_the_extension(parent: Parent, srv: SandboxServer) -> None:
    parent.extension_create({"a": 1, "b": "x"})
    emptied = parent.extension_delete_fields([], empty_all=True)
    assert dict(emptied.pairs) == {}
    assert srv.request_log[-1].query == ""


def test_an_absent_extension_is_not_found(parent: Parent) -> None:
    with pytest.raises(CdpNotFound) as caught:
        parent.extension_get()
    assert "data extension" in caught.value.message


def test_creating_it_twice_is_a_conflict(parent: Parent) -> None:
    """The docs do not say (§11.6); the sandbox's default `ext_create_conflict` is 409."""
    parent.extension_create({"a": 1})
    with pytest.raises(CdpConflict) as caught:
        parent.extension_create({"a": 2})
    assert caught.value.status == 409
    assert dict(parent.extension_get().pairs) == {"a": 1}


def test_list_links_to_the_extension_when_it_exists(parent: Parent) -> None:
    assert parent.extensions_list().items == ()
    created = parent.extension_create({"a": 1})
    links = parent.extensions_list()
    assert len(links) == 1
    assert links.items[0].href == created.href
    assert not links.has_next


def test_a_patch_past_100_pairs_in_total_is_refused_by_cdp_without_a_field(
    parent: Parent,
) -> None:
    # Each body is under the local limit of 100; only CDP sees the merged total.
    parent.extension_create({f"k{i}": i for i in range(60)})
    with pytest.raises(CdpValidationError) as caught:
        parent.extension_patch({f"n{i}": i for i in range(60)})
    assert caught.value.field is None
    assert "at most 100" in (caught.value.cdp_message or "")
