"""The CDP sandbox over real HTTP, tested with plain `requests` (not the app's client).

Assertions on [INF] behaviour name the `SandboxConfig` switch they rely on.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import time
from collections.abc import Iterator
from http.client import HTTPConnection
from typing import Any

import pytest
import requests

from orders.sandbox.config import SandboxConfig
from orders.sandbox.server import SandboxServer
from orders.sandbox.state import SandboxState

pytestmark = pytest.mark.unit

AUTH = ("sandbox-client-key", "sandbox-api-token")
ORDER = {
    "referenceId": "B94TXY-1",
    "orderedAt": "2026-03-01T10:00:00Z",
    "currencyCode": "EUR",
    "price": 50,
    "paymentType": "Card",
    "cardType": "Visa",
    "pointOfSale": "home",
    "channel": "WEB",
    "status": "PURCHASED",
}
ITEM = {
    "name": "NYC-PAR Flight",
    "type": "Flight Item",
    "status": "Confirmed",
    "price": 105,
    "currencyCode": "EUR",
    "quantity": 1,
}
DEFAULTS = dataclasses.asdict(SandboxConfig())


@pytest.fixture(scope="module")
def srv() -> Iterator[SandboxServer]:
    server = SandboxServer(host="127.0.0.1", port=0, config=SandboxConfig()).start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def clean_sandbox(srv: SandboxServer) -> None:
    srv.config.update(DEFAULTS)
    srv.reset(orders=0, seed=1)
    srv.clear_log()


@pytest.fixture
def http(srv: SandboxServer) -> Iterator[Any]:
    session = requests.Session()
    session.auth = AUTH

    def call(method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 5)
        return session.request(method, srv.base_url + path, **kwargs)

    yield call
    session.close()


def make_order(http: Any, **overrides: Any) -> dict[str, Any]:
    response = http("POST", "/v2.1/orders", json={**ORDER, **overrides})
    assert response.status_code == 201, response.text
    return response.json()


def make_item(http: Any, order_ref: str, **overrides: Any) -> dict[str, Any]:
    response = http("POST", f"/v2.1/orders/{order_ref}/orderItems", json={**ITEM, **overrides})
    assert response.status_code == 201, response.text
    return response.json()


def assert_400(response: requests.Response, message: str) -> None:
    assert response.status_code == 400, response.text
    assert response.json() == {
        "status": 400,
        "code": 400,
        "message": message,
        "developerMessage": message,
        "moreInfoUrl": "https://support.sitecore.com",
    }


# -- auth, routing, error bodies -------------------------------------------------------------


def test_missing_or_wrong_credentials_get_the_401_body_with_a_string_status(srv, http):
    expected = {
        "status": "UNAUTHORIZED",
        "code": 401,
        "message": "Authentication credentials are required to access the resource. "
        "All requests must be authenticated.",
        "moreInfoUrl": "https://support.sitecore.com",
    }
    no_auth = requests.get(srv.base_url + "/v2.1/orders?referenceId=X", timeout=5)
    wrong = requests.get(
        srv.base_url + "/v2.1/orders?referenceId=X", auth=(AUTH[0], "nope"), timeout=5
    )
    assert (no_auth.status_code, no_auth.json()) == (401, expected)
    assert (wrong.status_code, wrong.json()) == (401, expected)

    def bearer() -> int:
        url = srv.base_url + "/v2.1/orders?referenceId=X"
        return requests.get(url, headers={"Authorization": "Bearer abc"}, timeout=5).status_code

    assert bearer() == 401
    srv.config.accept_bearer = True  # accept_bearer switch
    assert bearer() == 200


def test_unknown_paths_are_404_other_methods_405_and_no_trailing_slash(http):
    order = make_order(http)
    assert http("GET", "/v2.1/nothing").status_code == 404
    assert http("GET", "/v2.1/orders/").status_code == 404
    assert http("GET", f"/v2.1/orders/{order['ref']}/").status_code == 404
    response = http("POST", f"/v2.1/orders/{order['ref']}", json=ORDER)
    assert response.status_code == 405
    assert response.json()["status"] == 405
    assert http("GET", "/v2.1/ORDERS?referenceId=X").status_code == 404


def test_existence_is_checked_before_the_body_is_parsed(http):
    response = http("PUT", "/v2.1/orders/3b5cb55e-c616-424a-991c-a241d0024896", data=b"{oops")
    assert response.status_code == 404
    assert response.json() == {
        "status": 404,
        "code": 404,
        "message": "Resource not found",
        "developerMessage": "Resource not found",
        "moreInfoUrl": "https://support.sitecore.com",
    }


def test_unparsable_json_names_line_and_column(http):
    response = http("POST", "/v2.1/orders", data=b'{\n  "price": 1,\n  oops\n}')
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "Unable to parse JSON string"
    assert body["developerMessage"] == "JSON parse error [line: 3, column: 3]."
    assert (body["status"], body["code"], body["moreInfoUrl"]) == (
        400,
        400,
        "https://support.sitecore.com",
    )


def test_required_fields_report_the_first_missing_one(http):
    assert_400(http("POST", "/v2.1/orders", json={}), "currencyCode: may not be null.")
    without = {k: v for k, v in ORDER.items() if k != "orderedAt"}
    assert_400(http("POST", "/v2.1/orders", json=without), "orderedAt: may not be null.")
    assert_400(
        http("POST", "/v2.1/orders", json={**ORDER, "price": None}), "price: may not be null."
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "PARTIALLY_CONFIRMED"),
        ("status", "purchased"),
        ("channel", "web"),
        ("currencyCode", "eur"),
        ("currencyCode", "EURO"),
        ("price", True),
        ("price", "50"),
        ("orderedAt", "2026-03-01"),
        ("orderedAt", "2026-03-01T10:00:00"),
    ],
)
def test_order_enums_and_formats_are_strict(http, field, value):
    response = http("POST", "/v2.1/orders", json={**ORDER, field: value})
    assert response.status_code == 400
    assert response.json()["message"].startswith(f"{field}: ")


def test_documented_enum_spellings_are_accepted(http):
    for status in ("PARTIALY_CONFIRMED", "PARTIALY_REFUNDED", "BROWSED", "SEARCHED"):
        assert make_order(http, status=status, referenceId=status)["status"] == status


def test_unknown_fields_are_ignored_unless_switched_off(srv, http):
    assert "colour" not in make_order(http, colour="red")
    srv.config.ignore_unknown_fields = False
    response = http("POST", "/v2.1/orders", json={**ORDER, "referenceId": "U2", "colour": "red"})
    assert_400(response, "colour: unknown field.")


# -- orders ----------------------------------------------------------------------------------


def test_create_answers_the_full_order_with_lower_case_refs(srv, http):
    order = make_order(http)
    ref = order["ref"]
    assert ref == ref.lower() and len(ref) == 36
    assert order["href"] == f"{srv.base_url}/v2.1/orders/{ref}"
    assert order["orderedAt"] == "2026-03-01T10:00:00.000Z"
    assert order["createdAt"].endswith("Z") and len(order["createdAt"]) == 24
    assert {k: order[k] for k in ("contacts", "consumers", "orderItems")} == {
        "contacts": {"items": []},
        "consumers": {"items": []},
        "orderItems": {"items": []},
    }
    got = http("GET", f"/v2.1/orders/{ref.upper()}")
    assert got.status_code == 200 and got.json() == order


def test_public_base_url_prefixes_every_href(srv, http):
    srv.config.public_base_url = "https://api-engage-eu.sitecorecloud.io"
    order = make_order(http)
    assert order["href"].startswith("https://api-engage-eu.sitecorecloud.io/v2.1/orders/")


def test_put_replaces_and_patch_changes_only_present_fields(http):
    ref = make_order(http)["ref"]
    required = {k: ORDER[k] for k in ("referenceId", "orderedAt", "currencyCode", "price")}
    put = http("PUT", f"/v2.1/orders/{ref}", json={**required, "status": "CONFIRMED"})
    assert put.status_code == 200
    assert "paymentType" not in put.json() and put.json()["status"] == "CONFIRMED"
    patch = http("PATCH", f"/v2.1/orders/{ref}", json={**required, "channel": "OTA"})
    assert (patch.json()["channel"], patch.json()["status"]) == ("OTA", "CONFIRMED")
    cleared = http("PATCH", f"/v2.1/orders/{ref}", json={**required, "status": None})
    assert "status" not in cleared.json()
    assert_400(
        http("PATCH", f"/v2.1/orders/{ref}", json={"channel": "WEB"}),
        "currencyCode: may not be null.",
    )


def test_reference_id_and_ordered_at_cannot_be_updated(http):
    order = make_order(http)
    ref = order["ref"]
    assert_400(
        http("PUT", f"/v2.1/orders/{ref}", json={**ORDER, "referenceId": "OTHER"}),
        "referenceId: cannot be updated.",
    )
    assert_400(
        http("PATCH", f"/v2.1/orders/{ref}", json={**ORDER, "orderedAt": "2026-03-04T10:00:00Z"}),
        "orderedAt: cannot be updated.",
    )
    within = http("PUT", f"/v2.1/orders/{ref}", json={**ORDER, "orderedAt": "2026-03-02T09:00Z"})
    assert within.status_code == 200
    assert within.json()["orderedAt"] == order["orderedAt"]


def test_matching_rule_modes(srv, http):
    first = make_order(http)
    again = make_order(http, orderedAt="2026-03-02T18:00:00Z", price=75)
    assert again["ref"] == first["ref"] and again["price"] == 75  # match_mode="upsert"
    assert again["orderedAt"] == first["orderedAt"]
    later = make_order(http, orderedAt="2026-03-10T10:00:00Z")
    assert later["ref"] != first["ref"]
    srv.config.match_mode = "conflict"
    conflict = http("POST", "/v2.1/orders", json=ORDER)
    assert conflict.status_code == 409
    assert conflict.json()["status"] == 409 and conflict.json()["code"] == 409
    srv.config.match_mode = "duplicate"
    assert make_order(http)["ref"] not in (first["ref"], later["ref"])


def test_legacy_v2_update_requires_point_of_sale_and_answers_v2_hrefs(http):
    ref = make_order(http)["ref"]
    no_pos = {k: v for k, v in ORDER.items() if k != "pointOfSale"}
    assert_400(http("POST", f"/v2/orders/{ref}", json=no_pos), "pointOfSale: may not be null.")
    response = http("POST", f"/v2/orders/{ref}", json={**ORDER, "price": 12})
    assert response.status_code == 200
    assert "/v2/orders/" in response.json()["href"] and response.json()["price"] == 12


def test_get_order_expands_order_items(http):
    ref = make_order(http)["ref"]
    item = make_item(http, ref)
    expanded = http("GET", f"/v2.1/orders/{ref}?expand=orderItems").json()["orderItems"]
    assert expanded["items"] == [item]
    assert expanded["offset"] == 0 and "href" in expanded


# -- lists -----------------------------------------------------------------------------------


def test_list_orders_needs_exactly_one_filter_and_valid_paging(http):
    msg = "Either referenceId or guestRef must be given, but not both."
    assert_400(http("GET", "/v2.1/orders"), msg)
    assert_400(http("GET", "/v2.1/orders?referenceId=A&guestRef=b"), msg)
    assert_400(
        http("GET", "/v2.1/orders?referenceId=A&limit=0"),
        "limit: must be greater than or equal to 1.",
    )
    assert_400(http("GET", "/v2.1/orders?referenceId=A&limit=ten"), "limit: must be an integer.")
    assert_400(
        http("GET", "/v2.1/orders?referenceId=A&offset=-1"),
        "offset: must be greater than or equal to 0.",
    )
    assert_400(
        http("GET", "/v2.1/orders?referenceId=A&sort=price"), "sort: must be created or orderedAt."
    )
    assert http("GET", "/v2.1/orders?referenceId=A&sort=orderedAt").status_code == 400
    assert http("GET", "/v2.1/orders?referenceId=A&limit=150").json()["limit"] == 100


def test_list_orders_pages_with_first_last_next_links(srv, http):
    srv.config.match_mode = "duplicate"
    refs = [make_order(http, price=i)["ref"] for i in range(25)]
    page = http("GET", "/v2.1/orders?referenceId=B94TXY-1&offset=10&limit=10").json()
    base = f"{srv.base_url}/v2.1/orders?referenceId=B94TXY-1"
    assert page["href"] == f"{base}&offset=10&limit=10"
    assert page["first"]["href"] == f"{base}&offset=0&limit=10"
    assert page["last"]["href"] == f"{base}&offset=20&limit=10"
    assert page["next"]["href"] == f"{base}&offset=20&limit=10"
    assert [i["ref"] for i in page["items"]] == refs[10:20]
    assert set(page["items"][0]) == {"href", "ref"}
    last = http("GET", "/v2.1/orders?referenceId=B94TXY-1&offset=20&limit=10").json()
    assert "next" not in last and len(last["items"]) == 5
    full = http("GET", "/v2.1/orders?referenceId=B94TXY-1&expand=true&limit=2").json()
    assert full["items"][0]["price"] == 0 and "orderItems" in full["items"][0]
    assert http("GET", "/v2.1/orders?referenceId=NONE").json()["items"] == []


def test_guest_search_finds_orders_through_contacts_and_consumers(http):
    person = {"firstName": "Jane", "lastName": "Doe", "emails": ["Jane@Example.com"]}
    a = make_order(http, referenceId="A1", orderedAt="2026-05-01T00:00:00Z")
    b = make_order(http, referenceId="B1", orderedAt="2026-02-01T00:00:00Z")
    c = make_order(http, referenceId="C1")
    guest = http("POST", f"/v2.1/orders/{a['ref']}/contacts", json=person).json()["guest"]
    same = http(
        "POST",
        f"/v2.1/orders/{b['ref']}/consumers",
        json={**person, "emails": ["jane@example.com"]},
    )
    assert same.json()["guest"] == guest
    guest_ref = guest["href"].rsplit("/", 1)[1]
    by_created = http("GET", f"/v2.1/orders?guestRef={guest_ref}").json()
    assert [i["ref"] for i in by_created["items"]] == [a["ref"], b["ref"]]
    by_date = http("GET", f"/v2.1/orders?guestRef={guest_ref}&sort=orderedAt").json()
    assert [i["ref"] for i in by_date["items"]] == [b["ref"], a["ref"]]
    assert c["ref"] not in str(by_date)
    unknown = http("GET", "/v2.1/orders?guestRef=f7aabbca-1c1b-4fc2-be72-3e16294a4f03")
    assert unknown.status_code == 200 and unknown.json()["items"] == []


def test_child_collections_share_the_envelope(srv, http):
    ref = make_order(http)["ref"]
    for _ in range(3):
        make_item(http, ref)
    page = http("GET", f"/v2.1/orders/{ref}/orderItems?limit=2").json()
    assert [set(i) for i in page["items"]] == [{"href", "ref"}] * 2
    assert page["next"]["href"].endswith("offset=2&limit=2")
    assert page["last"]["href"].endswith("offset=2&limit=2")
    expanded = http("GET", f"/v2.1/orders/{ref}/orderItems?expand=true").json()
    assert expanded["items"][0]["name"] == ITEM["name"]
    assert http("GET", f"/v2.1/orders/{ref}/contacts").json()["items"] == []


# -- items, contacts, consumers --------------------------------------------------------------


def test_item_validation(http):
    ref = make_order(http)["ref"]
    url = f"/v2.1/orders/{ref}/orderItems"
    assert_400(http("POST", url, json={**ITEM, "name": None}), "name: may not be null.")
    assert_400(
        http("POST", url, json={**ITEM, "name": "x" * 129}), "name: size must be between 0 and 128."
    )
    assert_400(http("POST", url, json={**ITEM, "quantity": 1.5}), "quantity: must be an integer.")
    for reserved in ("FLIGHT", "flight", "Mortgage_Application"):
        response = http("POST", url, json={**ITEM, "type": reserved})
        assert response.status_code == 400 and response.json()["message"].startswith("type: ")
    assert make_item(http, ref, name="x" * 128, type="FLIGHT ITEM")["type"] == "FLIGHT ITEM"


def test_item_put_patch_and_patch_strictness(srv, http):
    ref = make_order(http)["ref"]
    item = make_item(http, ref, description="old")
    url = f"/v2.1/orderItems/{item['ref']}"
    patched = http("PATCH", url, json={"price": 99})
    assert patched.status_code == 200
    assert (patched.json()["price"], patched.json()["description"]) == (99, "old")
    assert_400(http("PATCH", url, json={"name": None}), "name: may not be null.")
    replaced = http("PUT", url, json=ITEM).json()
    assert "description" not in replaced
    srv.config.item_patch_strict = True
    assert_400(http("PATCH", url, json={"price": 1}), "currencyCode: may not be null.")


def test_contact_and_consumer_validation(srv, http):
    ref = make_order(http)["ref"]
    contacts = f"/v2.1/orders/{ref}/contacts"
    assert_400(
        http("POST", contacts, json={"gender": "Male"}),
        "gender: must be one of male, female, unknown.",
    )
    assert_400(
        http("POST", contacts, json={"dateOfBirth": "2999-01-01T00:00:00Z"}),
        "dateOfBirth: must be in the past.",
    )
    assert_400(
        http("POST", contacts, json={"emails": "a@b.c"}), "emails: must be an array of strings."
    )
    assert_400(
        http("POST", contacts, json={"identifiers": [{"provider": "P"}]}),
        "identifiers[0].id: may not be null.",
    )
    consumers = f"/v2.1/orders/{ref}/consumers"
    assert_400(http("POST", consumers, json={"lastName": "Doe"}), "firstName: may not be null.")
    srv.config.consumer_require_names = False
    assert http("POST", consumers, json={"lastName": "Doe"}).status_code == 201
    srv.config.single_contact = True
    assert http("POST", contacts, json={"firstName": "A"}).status_code == 201
    assert http("POST", contacts, json={"firstName": "B"}).status_code == 409


def test_guest_registry_matches_identifiers_then_email(srv, http):
    ref = make_order(http)["ref"]
    url = f"/v2.1/orders/{ref}/contacts"
    ident = [{"provider": "ProfileSystem", "id": "B7524AE6"}]
    one = http("POST", url, json={"identifiers": ident, "emails": ["x@example.com"]}).json()
    by_id = http("POST", url, json={"identifiers": ident, "emails": ["other@example.com"]}).json()
    by_mail = http("POST", url, json={"emails": ["X@EXAMPLE.COM"]}).json()
    new = http("POST", url, json={"emails": ["new@example.com"]}).json()
    assert one["guest"] == by_id["guest"] == by_mail["guest"] != new["guest"]
    assert one["guest"]["href"].startswith(f"{srv.base_url}/v2.1/guests/")
    assert one["order"]["href"].endswith(f"/v2.1/orders/{ref}")


def test_consumer_links_items_with_v2_or_v2_1_hrefs(srv, http):
    ref = make_order(http)["ref"]
    a, b = make_item(http, ref), make_item(http, ref)
    links = {
        "items": [{"href": a["href"]}, {"href": f"{srv.base_url}/v2/orderItems/{b['ref'].upper()}"}]
    }
    body = {"firstName": "John", "lastName": "Doe", "orderItems": links}
    consumer = http("POST", f"/v2.1/orders/{ref}/consumers", json=body)
    assert consumer.status_code == 201
    assert [i["ref"] for i in consumer.json()["orderItems"]["items"]] == [a["ref"], b["ref"]]
    listed = http("GET", f"/v2.1/orderConsumers/{consumer.json()['ref']}/orderItems?expand=true")
    assert [i["name"] for i in listed.json()["items"]] == [ITEM["name"]] * 2
    other = make_order(http, referenceId="OTHER")["ref"]
    foreign = {"firstName": "J", "lastName": "D", "orderItems": {"items": [{"href": a["href"]}]}}
    assert http("POST", f"/v2.1/orders/{other}/consumers", json=foreign).status_code == 400


# -- data extensions -------------------------------------------------------------------------


def test_extension_values_keep_their_json_type_on_the_wire(http):
    ref = make_order(http)["ref"]
    raw = b'{"ratio": 9.0, "count": 9, "flag": true, "text": "true", "big": 1e20}'
    created = http("POST", f"/v2.1/orders/{ref}/extensions/ext", data=raw)
    assert created.status_code == 201
    text = http("GET", f"/v2.1/orders/{ref}/extensions/ext").text
    assert '"ratio": 9.0' in text and '"count": 9,' in text
    assert '"flag": true' in text and '"text": "true"' in text
    body = json.loads(text)
    assert type(body["ratio"]) is float and type(body["count"]) is int
    assert {k: body[k] for k in ("name", "key")} == {"name": "ext", "key": "default"}
    assert body["order"] == {"href": f"{created.json()['href'].rsplit('/extensions', 1)[0]}"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"a": None}, "a: values must be a string, boolean, integer or floating-point number."),
        ({"a": [1]}, "a: values must be a string, boolean, integer or floating-point number."),
        ({"a": {"b": 1}}, "a: values must be a string, boolean, integer or floating-point number."),
        ({"Bad": 1}, "Bad: keys must be alphanumeric camelCase."),
        ({"bad_key": 1}, "bad_key: keys must be alphanumeric camelCase."),
        ({"href": "x"}, "href: is a reserved name and cannot be used as a key."),
        ({"orderItem": "x"}, "orderItem: is a reserved name and cannot be used as a key."),
    ],
)
def test_extension_body_rules(http, body, message):
    ref = make_order(http)["ref"]
    assert_400(http("POST", f"/v2.1/orders/{ref}/extensions/ext", json=body), message)


def test_extension_name_limit_and_conflicts(srv, http):
    ref = make_order(http)["ref"]
    url = f"/v2.1/orders/{ref}/extensions/ext"
    assert_400(
        http("POST", f"/v2.1/orders/{ref}/extensions/ext1", json={"a": 1}),
        "dataExtensionName: must be ext.",
    )
    assert http("GET", f"/v2.1/orders/{ref}/extensions/other").status_code == 400
    too_many = {f"k{i}": i for i in range(101)}
    assert http("POST", url, json=too_many).status_code == 400
    assert http("PUT", url, json={"a": 1}).status_code == 404
    assert http("PATCH", url, json={"a": 1}).status_code == 404
    assert http("POST", url, json={f"k{i}": i for i in range(100)}).status_code == 201
    assert http("PATCH", url, json={"extra": 1}).status_code == 400  # merged result counts
    conflict = http("POST", url, json={"a": 1})
    assert (
        conflict.status_code == 409
        and conflict.json()["message"] == "Data extension already exists"
    )
    srv.config.ext_create_conflict = "400"
    assert http("POST", url, json={"a": 1}).status_code == 400
    srv.config.ext_create_conflict = "merge"
    assert http("POST", url, json={"k0": "zero"}).json()["k0"] == "zero"


def test_extension_body_name_and_key_are_ignored_unless_strict(srv, http):
    ref = make_order(http)["ref"]
    url = f"/v2.1/orders/{ref}/extensions/ext"
    created = http("POST", url, json={"name": "ext", "key": "default", "a": 1}).json()
    assert created["a"] == 1 and created["key"] == "default"
    srv.config.ext_strict_body = True
    assert http("PUT", url, json={"key": "default", "a": 2}).status_code == 400


def test_put_patch_and_fields_delete_follow_the_worked_example(http):
    ref = make_order(http)["ref"]
    item_ref = make_item(http, ref)["ref"]
    for url in (
        f"/v2.1/orders/{ref}/extensions/ext",
        f"/v2.1/orderItems/{item_ref}/extensions/ext",
    ):
        http("POST", url, json={"a": 1, "b": 2})
        patched = http("PATCH", url, json={"b": 3, "c": 4}).json()
        assert {k: patched.get(k) for k in "abc"} == {"a": 1, "b": 3, "c": 4}
        put = http("PUT", url, json={"c": 5, "d": 6, "e": 7}).json()
        assert "a" not in put and put["c"] == 5
        raw_pipe = http("DELETE", url + "/fields?name=c|nope")
        assert (
            raw_pipe.status_code == 200 and "c" not in raw_pipe.json() and raw_pipe.json()["d"] == 6
        )
        encoded = http("DELETE", url + "/fields?name=d%7Ce").json()
        assert "d" not in encoded and "e" not in encoded
        http("PATCH", url, json={"z": 1})
        emptied = http("DELETE", url + "/fields")
        assert emptied.status_code == 200 and "z" not in emptied.json()
        assert http("GET", url).status_code == 200
        assert http("DELETE", url).status_code == 204
        assert http("GET", url).status_code == 404
    item_ext = http("POST", f"/v2.1/orderItems/{item_ref}/extensions/ext", json={"a": 1}).json()
    assert item_ext["orderItem"]["href"].endswith(f"/v2.1/orderItems/{item_ref}")


def test_extension_lists(http):
    ref = make_order(http)["ref"]
    assert http("GET", f"/v2.1/orders/{ref}/extensions").json()["items"] == []
    ext = http("POST", f"/v2.1/orders/{ref}/extensions/ext", json={"a": 1}).json()
    listed = http("GET", f"/v2.1/orders/{ref}/extensions").json()
    assert listed["items"] == [{"href": ext["href"], "ref": ext["ref"], "name": "ext"}]
    assert http("GET", f"/v2.1/orders/{ref}/extensions?expand=true").json()["items"] == [ext]


# -- cascade and timestamps ------------------------------------------------------------------


def test_order_delete_cascades_and_item_delete_unlinks(http):
    ref = make_order(http)["ref"]
    a, b = make_item(http, ref), make_item(http, ref)
    http("POST", f"/v2.1/orderItems/{a['ref']}/extensions/ext", json={"x": 1})
    links = {"items": [{"href": a["href"]}, {"href": b["href"]}]}
    consumer = http(
        "POST",
        f"/v2.1/orders/{ref}/consumers",
        json={"firstName": "J", "lastName": "D", "orderItems": links},
    ).json()
    contact = http("POST", f"/v2.1/orders/{ref}/contacts", json={"firstName": "J"}).json()
    http("POST", f"/v2.1/orders/{ref}/extensions/ext", json={"x": 1})
    assert http("DELETE", f"/v2.1/orderItems/{a['ref']}").status_code == 204
    assert http("GET", f"/v2.1/orderItems/{a['ref']}/extensions/ext").status_code == 404
    left = http("GET", f"/v2.1/orderConsumers/{consumer['ref']}").json()["orderItems"]["items"]
    assert [i["ref"] for i in left] == [b["ref"]]
    deleted = http("DELETE", f"/v2.1/orders/{ref}")
    assert deleted.status_code == 204 and deleted.content == b""
    for path in (
        f"/v2.1/orders/{ref}",
        f"/v2.1/orderItems/{b['ref']}",
        f"/v2.1/orderContacts/{contact['ref']}",
        f"/v2.1/orderConsumers/{consumer['ref']}",
        f"/v2.1/orders/{ref}/extensions/ext",
    ):
        assert http("GET", path).status_code == 404, path


def test_modified_at_strictly_increases_on_every_change(srv, http):
    ref = make_order(http)["ref"]
    url = f"/v2.1/orders/{ref}/extensions/ext"
    stamps = [http("POST", url, json={"a": 1, "b": 2}).json()["modifiedAt"]]
    stamps.append(http("PATCH", url, json={"a": 2}).json()["modifiedAt"])
    stamps.append(http("DELETE", url + "/fields?name=a").json()["modifiedAt"])
    stamps.append(http("DELETE", url + "/fields?name=nothing").json()["modifiedAt"])
    assert stamps == sorted(set(stamps))
    order_stamps = [http("GET", f"/v2.1/orders/{ref}").json()["modifiedAt"]]
    for price in (1, 2, 3):
        order_stamps.append(
            http("PATCH", f"/v2.1/orders/{ref}", json={**ORDER, "price": price}).json()[
                "modifiedAt"
            ]
        )
    order_stamps.append(srv.state.touch_order(ref, status="CANCELLED")["modifiedAt"])
    assert order_stamps == sorted(set(order_stamps))
    assert http("GET", f"/v2.1/orders/{ref}").json()["status"] == "CANCELLED"


def test_state_helpers_seed_response_shaped_data(srv, http):
    order = srv.state.create_order(ORDER)
    item = srv.state.create_item(order["ref"], ITEM)
    srv.state.create_contact(order["ref"], {"firstName": "Jane"})
    srv.state.create_consumer(order["ref"], {"firstName": "Jane", "lastName": "Doe"})
    srv.state.put_order_extension(order["ref"], {"a": 1})
    srv.state.put_item_extension(item["ref"], {"b": 2.0})
    assert (
        http("GET", f"/v2.1/orders/{order['ref']}").json()["orderItems"]["items"][0]["ref"]
        == item["ref"]
    )
    assert http("GET", f"/v2.1/orderItems/{item['ref']}/extensions/ext").json()["b"] == 2.0
    assert item["href"].startswith(srv.base_url)


# -- faults, log and control endpoints -------------------------------------------------------


def test_request_log_records_every_request_including_401(srv, http):
    requests.get(srv.base_url + "/v2.1/orders?referenceId=A", timeout=5)
    http("POST", "/v2.1/orders", json=ORDER)
    log = srv.request_log
    assert [(r.method, r.path, r.query, r.status) for r in log] == [
        ("GET", "/v2.1/orders", "referenceId=A", 401),
        ("POST", "/v2.1/orders", "", 201),
    ]
    assert json.loads(log[1].body) == ORDER and log[0].at <= log[1].at
    srv.clear_log()
    assert srv.request_log == []


def test_latency_and_jitter_delay_answers(srv, http):
    srv.config.latency_ms = 120
    start = time.perf_counter()
    http("GET", "/v2.1/orders?referenceId=A")
    assert time.perf_counter() - start >= 0.12


def test_rate_limit_answers_429_with_retry_after(srv, http):
    srv.config.rate_limit_per_s = 3
    statuses = [http("GET", "/v2.1/orders?referenceId=A") for _ in range(6)]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited and statuses[0].status_code == 200
    assert int(limited[0].headers["Retry-After"]) >= 1
    assert limited[0].json()["status"] == 429 and "developerMessage" in limited[0].json()


def test_random_errors_drops_and_slow_answers(srv, http):
    srv.config.error_rate_500 = 1.0
    response = http("GET", "/v2.1/orders?referenceId=A")
    assert response.status_code == 500 and response.json()["code"] == 500
    srv.config.update({"error_rate_500": 0.0, "error_rate_503": 1.0})
    assert http("GET", "/v2.1/orders?referenceId=A").status_code == 503
    srv.config.update({"error_rate_503": 0.0, "drop_rate": 1.0})
    with pytest.raises(requests.ConnectionError):
        http("GET", "/v2.1/orders?referenceId=A")
    srv.config.update({"drop_rate": 0.0, "slow_rate": 1.0, "slow_s": 0.5})
    with pytest.raises(requests.ReadTimeout):
        http("GET", "/v2.1/orders?referenceId=A", timeout=0.15)
    assert [r.status for r in srv.request_log][:3] == [500, 503, 0]


def test_error_rates_are_reproducible_from_the_seed(srv, http):
    def run() -> list[int]:
        srv.reset()
        return [http("GET", "/v2.1/orders?referenceId=A").status_code for _ in range(12)]

    srv.config.update({"error_rate_503": 0.5, "fault_seed": 42})
    first = run()
    assert first == run() and set(first) == {200, 503}


def test_inject_one_shot_faults(srv, http):
    srv.inject(status=503, times=2, method="GET", path_prefix="/v2.1/orders", retry_after=3)
    assert http("POST", "/v2.1/orders", json=ORDER).status_code == 201
    first = http("GET", "/v2.1/orders?referenceId=B94TXY-1")
    assert (first.status_code, first.headers["Retry-After"], first.json()["status"]) == (
        503,
        "3",
        503,
    )
    assert http("GET", "/v2.1/orders?referenceId=B94TXY-1").status_code == 503
    assert http("GET", "/v2.1/orders?referenceId=B94TXY-1").status_code == 200
    srv.inject(status=403)
    assert http("GET", "/v2.1/orders?referenceId=A").status_code == 403
    srv.inject(status=502, body="<html>Bad gateway</html>")
    garbled = http("GET", "/v2.1/orders?referenceId=A")
    assert garbled.status_code == 502 and garbled.text == "<html>Bad gateway</html>"
    srv.inject(drop=True)
    with pytest.raises(requests.ConnectionError):
        http("GET", "/v2.1/orders?referenceId=A")
    srv.inject(status=None, delay_s=0.3)
    with pytest.raises(requests.ReadTimeout):
        http("GET", "/v2.1/orders?referenceId=A", timeout=0.1)
    srv.inject(status=429)
    assert http("GET", "/v2.1/orders?referenceId=A").headers["Retry-After"] == "1"


def test_control_endpoints_bypass_auth_and_the_log(srv):
    base = srv.base_url + "/__sandbox__"
    reset = requests.post(base + "/reset", json={"orders": 5, "seed": 3}, timeout=5)
    assert reset.json()["counts"]["orders"] == 5
    config = requests.post(
        base + "/config", json={"latency_ms": 1, "match_mode": "conflict"}, timeout=5
    )
    assert config.json()["latency_ms"] == 1.0 and srv.config.match_mode == "conflict"
    assert requests.post(base + "/config", json={"nope": 1}, timeout=5).status_code == 400
    assert requests.post(base + "/config", json={"latency_ms": "x"}, timeout=5).status_code == 400
    requests.post(base + "/inject", json={"status": 500, "times": 1}, timeout=5)
    srv.config.latency_ms = 0
    assert requests.get(srv.base_url + "/v2.1/orders", auth=AUTH, timeout=5).status_code == 500
    log = requests.get(base + "/requests?clear=1", timeout=5).json()
    assert [(r["method"], r["path"], r["status"]) for r in log] == [("GET", "/v2.1/orders", 500)]
    assert requests.get(base + "/requests", timeout=5).json() == []


# -- demo data -------------------------------------------------------------------------------


def _snapshot(state: SandboxState) -> list[Any]:
    with state.lock:
        return [
            (
                state.render_order(
                    order, expand=frozenset({"orderItems", "contacts", "consumers"})
                ),
                [state.render_extension(e) for e in state.extensions.values()],
            )
            for order in state.orders.values()
        ]


def test_demo_data_is_deterministic_and_rich(srv, http):
    a, b, c = (SandboxState(SandboxConfig()) for _ in range(3))
    a.reset(orders=120, seed=7)
    b.reset(orders=120, seed=7)
    c.reset(orders=120, seed=8)
    assert _snapshot(a) == _snapshot(b) != _snapshot(c)
    srv.reset(orders=200, seed=1)
    demo = http("GET", "/v2.1/orders?referenceId=DEMO-1&expand=true").json()["items"]
    assert len(demo) == 1 and demo[0]["orderedAt"] == "2026-03-14T09:30:00.000Z"
    ext = http("GET", f"/v2.1/orders/{demo[0]['ref']}/extensions/ext").json()
    assert (
        ext["loyaltyTier"],
        ext["firstTimeOrder"],
        ext["discountRate"],
        ext["storeLocation"],
    ) == (2, True, 0.15, "London")
    state = srv.state
    recycled = [ids for ids in state.by_reference_id.values() if len(ids) > 1]
    assert recycled
    values = [v for e in state.extensions.values() for v in e.pairs.values()]
    assert {type(v) for v in values} == {bool, int, float, str}
    guest = http("GET", f"/v2.1/orders/{demo[0]['ref']}/contacts?expand=true").json()["items"][0][
        "guest"
    ]
    guest_orders = http("GET", f"/v2.1/orders?guestRef={guest['href'].rsplit('/', 1)[1]}").json()
    assert len(guest_orders["items"]) > 1


def test_a_thousand_demo_orders_seed_fast():
    state = SandboxState(SandboxConfig())
    start = time.perf_counter()
    state.reset(orders=1000, seed=1)
    assert time.perf_counter() - start < 1.5
    assert state.counts()["orders"] == 1000


def test_keep_alive_serves_several_requests_on_one_connection(srv):
    token = base64.b64encode(":".join(AUTH).encode()).decode()
    conn = HTTPConnection(srv.host, srv.port, timeout=5)
    sockets = []
    for _ in range(2):
        conn.request(
            "GET", "/v2.1/orders?referenceId=A", headers={"Authorization": f"Basic {token}"}
        )
        response = conn.getresponse()
        assert (response.status, response.version, response.will_close) == (200, 11, False)
        assert int(response.getheader("Content-Length")) == len(response.read())
        sockets.append(conn.sock)
    assert sockets[0] is sockets[1] is not None
    conn.close()
