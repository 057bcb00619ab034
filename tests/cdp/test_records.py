"""Parsing CDP bodies into records: strict shapes, exact types, tolerant of documented variants."""

from __future__ import annotations

import copy
import json
import pickle
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from orders.cdp import (
    CdpUpstreamError,
    Consumer,
    Contact,
    DataExtension,
    Identifier,
    Order,
    OrderItem,
    Page,
    ResourceLink,
)
from orders.cdp.parsing import format_datetime, freeze, parse_datetime
from tests.cdp.support import CONSUMER_REF, CONTACT_REF, GUEST_REF, ITEM_REF, ORDER_REF

pytestmark = pytest.mark.unit

HOST = "https://api-engage-eu.sitecorecloud.io"
ORDER_JSON = f"""{{
  "ref": "{ORDER_REF.upper()}",
  "href": "{HOST}/v2.1/orders/{ORDER_REF}",
  "createdAt": "2024-01-01T16:17:16Z",
  "modifiedAt": "2024-01-02T08:00:00.250Z",
  "orderedAt": "2024-01-01T16:17:16Z",
  "currencyCode": "EUR",
  "price": 30.6,
  "referenceId": "B94TXY-1",
  "paymentType": "Card",
  "cardType": "Visa",
  "pointOfSale": "home",
  "channel": "WEB",
  "status": "PARTIALY_REFUNDED",
  "contacts": {{"items": [{{"href": "{HOST}/v2.1/orderContacts/{CONTACT_REF}",
                            "ref": "{CONTACT_REF}"}}]}},
  "consumers": {{"items": [{{"href": "{HOST}/v2.1/orderConsumers/{CONSUMER_REF.upper()}"}}]}},
  "orderItems": {{"items": []}}
}}"""


def test_an_order_is_parsed_into_typed_fields() -> None:
    order = Order.from_api(json.loads(ORDER_JSON))
    assert order.ref == ORDER_REF
    assert order.reference_id == "B94TXY-1"
    assert order.ordered_at == datetime(2024, 1, 1, 16, 17, 16, tzinfo=UTC)
    assert order.modified_at == datetime(2024, 1, 2, 8, 0, 0, 250000, tzinfo=UTC)
    assert order.price == Decimal("30.6")
    assert (order.currency_code, order.payment_type, order.card_type) == ("EUR", "Card", "Visa")
    assert (order.point_of_sale, order.channel, order.status) == (
        "home",
        "WEB",
        "PARTIALY_REFUNDED",
    )
    assert order.contact_refs == (CONTACT_REF,)
    assert order.consumer_refs == (CONSUMER_REF,)
    assert order.item_refs == ()


def test_to_api_gives_cdp_names_and_json_safe_values() -> None:
    order = Order.from_api(json.loads(ORDER_JSON))
    body = order.to_api()
    assert body == {
        "ref": ORDER_REF,
        "referenceId": "B94TXY-1",
        "orderedAt": "2024-01-01T16:17:16.000Z",
        "currencyCode": "EUR",
        "price": 30.6,
        "paymentType": "Card",
        "cardType": "Visa",
        "pointOfSale": "home",
        "channel": "WEB",
        "status": "PARTIALY_REFUNDED",
        "createdAt": "2024-01-01T16:17:16.000Z",
        "modifiedAt": "2024-01-02T08:00:00.250Z",
    }
    json.dumps(body)


@pytest.mark.parametrize(("price", "expected"), [(50, 50), (50.0, 50.0), (12.5, 12.5), (-45, -45)])
def test_prices_are_decimals_that_dump_back_as_the_same_json_number(
    price: float, expected: float
) -> None:
    order = Order.from_api({**json.loads(ORDER_JSON), "price": price})
    assert order.price == Decimal(str(price))
    dumped = order.to_api()["price"]
    assert dumped == expected and type(dumped) is type(expected)


def test_raw_is_a_read_only_json_serialisable_copy() -> None:
    payload = json.loads(ORDER_JSON)
    order = Order.from_api(payload)
    payload["price"] = 1
    assert order.raw["price"] == 30.6
    assert json.loads(json.dumps(order.raw))["referenceId"] == "B94TXY-1"
    with pytest.raises(TypeError):
        order.raw["price"] = 2  # type: ignore[index]
    with pytest.raises(TypeError):
        order.raw["contacts"]["items"] = []
    assert copy.deepcopy(order) == order
    assert pickle.loads(pickle.dumps(order)).raw == order.raw


def test_an_order_without_a_ref_is_an_upstream_error() -> None:
    payload = json.loads(ORDER_JSON)
    del payload["ref"], payload["href"]
    with pytest.raises(CdpUpstreamError) as caught:
        Order.from_api(payload)
    assert "ref" in (caught.value.detail or "")


@pytest.mark.parametrize(
    ("missing", "attr"),
    [
        ("referenceId", "reference_id"),
        ("orderedAt", "ordered_at"),
        ("currencyCode", "currency_code"),
        ("price", "price"),
    ],
)
def test_an_order_missing_a_required_field_still_reads(missing: str, attr: str) -> None:
    payload = json.loads(ORDER_JSON)
    del payload[missing]
    order = Order.from_api(payload)
    assert getattr(order, attr) is None
    assert order.ref == ORDER_REF and order.status == "PARTIALY_REFUNDED"


def test_a_ref_is_taken_from_the_href_when_absent() -> None:
    payload = json.loads(ORDER_JSON)
    del payload["ref"]
    assert Order.from_api(payload).ref == ORDER_REF


@pytest.mark.parametrize(
    ("field", "attr", "value"),
    [
        ("price", "price", True),
        ("price", "price", "thirty"),
        ("referenceId", "reference_id", 12345),
        ("status", "status", ["PURCHASED"]),
        ("orderedAt", "ordered_at", 1704125836),
        ("orderedAt", "ordered_at", "not a date"),
        ("contacts", "contact_refs", []),
        ("contacts", "contact_refs", {"items": "x"}),
    ],
)
def test_a_value_of_the_wrong_type_is_kept_as_cdp_sent_it(
    field: str, attr: str, value: object
) -> None:
    order = Order.from_api({**json.loads(ORDER_JSON), field: value})
    assert getattr(order, attr) in (None, ())
    assert order.foreign[field] == freeze(value)
    # The rest of the order still reads.
    assert order.ref == ORDER_REF and order.currency_code == "EUR"


def test_a_number_sent_as_text_reads_as_the_number() -> None:
    order = Order.from_api({**json.loads(ORDER_JSON), "price": "30.6"})
    assert order.price == Decimal("30.6") and "price" not in order.foreign


def test_unknown_fields_are_kept_in_foreign() -> None:
    order = Order.from_api({**json.loads(ORDER_JSON), "loyalty": {"tier": "<b>"}})
    assert order.foreign == {"loyalty": {"tier": "<b>"}}


@pytest.mark.parametrize("payload", [None, [], "order", 1])
def test_a_body_that_is_not_an_object_is_refused(payload: object) -> None:
    with pytest.raises(CdpUpstreamError):
        Order.from_api(payload)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-01T16:17:16Z", datetime(2024, 1, 1, 16, 17, 16, tzinfo=UTC)),
        ("2025-12-19T12:07:18.149Z", datetime(2025, 12, 19, 12, 7, 18, 149000, tzinfo=UTC)),
        ("2024-01-01T18:17:16+02:00", datetime(2024, 1, 1, 16, 17, 16, tzinfo=UTC)),
        ("2024-01-01T16:17:16.5-01:30", datetime(2024, 1, 1, 17, 47, 16, 500000, tzinfo=UTC)),
        ("1985-12-24T00:00Z", datetime(1985, 12, 24, tzinfo=UTC)),
        ("2024-01-01T16:17:16", datetime(2024, 1, 1, 16, 17, 16, tzinfo=UTC)),
        ("1991-01-01", datetime(1991, 1, 1, tzinfo=UTC)),
    ],
)
def test_datetimes_with_and_without_milliseconds_and_offsets(text: str, expected: datetime) -> None:
    parsed = parse_datetime(text, "x")
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize("text", ["", "   ", "yesterday", "2024-13-01T00:00:00Z", "16:17:16"])
def test_unreadable_datetimes_are_refused(text: str) -> None:
    with pytest.raises(CdpUpstreamError):
        parse_datetime(text, "x")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (datetime(2024, 1, 1, 16, 17, 16, tzinfo=UTC), "2024-01-01T16:17:16Z"),
        (datetime(2024, 1, 1, 16, 17, 16, 149000, tzinfo=UTC), "2024-01-01T16:17:16.149Z"),
        (datetime(2024, 1, 1, 16, 17, 16, 149500, tzinfo=UTC), "2024-01-01T16:17:16.149500Z"),
        (
            datetime(2024, 1, 1, 18, 17, 16, tzinfo=timezone(timedelta(hours=2))),
            "2024-01-01T16:17:16Z",
        ),
    ],
)
def test_datetimes_are_written_as_utc_with_z(value: datetime, text: str) -> None:
    assert format_datetime(value) == text


def test_naive_datetimes_are_not_written() -> None:
    with pytest.raises(ValueError):
        format_datetime(datetime(2024, 1, 1))


EXTENSION_JSON = f"""{{
  "name": "ext",
  "href": "{HOST}/v2.1/orders/{ORDER_REF}/extensions/ext",
  "ref": "6a5cb3c2-1a4a-56d8-8a01-1ede232b9db2",
  "key": "default",
  "createdAt": "2024-01-01T16:17:16Z",
  "modifiedAt": "2024-01-01T16:17:16.000Z",
  "textTrue": "true",
  "boolTrue": true,
  "boolFalse": false,
  "intNine": 9,
  "floatNine": 9.0,
  "textNine": "9",
  "negativeHalf": -0.5,
  "zero": 0,
  "empty": "",
  "unicode": "Zürich – 東京 ✈",
  "big": 12345678901234567890,
  "order": {{"href": "{HOST}/v2.1/orders/{ORDER_REF}"}}
}}"""


def test_extension_values_keep_their_exact_json_types() -> None:
    extension = DataExtension.from_api(json.loads(EXTENSION_JSON))
    expected = {
        "textTrue": ("true", str),
        "boolTrue": (True, bool),
        "boolFalse": (False, bool),
        "intNine": (9, int),
        "floatNine": (9.0, float),
        "textNine": ("9", str),
        "negativeHalf": (-0.5, float),
        "zero": (0, int),
        "empty": ("", str),
        "unicode": ("Zürich – 東京 ✈", str),
        "big": (12345678901234567890, int),
    }
    assert set(extension.pairs) == set(expected)
    for key, (value, kind) in expected.items():
        assert extension.pairs[key] == value
        assert type(extension.pairs[key]) is kind, key


def test_extension_envelope_is_parsed_and_removed_from_the_pairs() -> None:
    extension = DataExtension.from_api(json.loads(EXTENSION_JSON))
    assert extension.ref == "6a5cb3c2-1a4a-56d8-8a01-1ede232b9db2"
    assert extension.name == "ext"
    assert extension.parent_ref == ORDER_REF
    assert extension.created_at == datetime(2024, 1, 1, 16, 17, 16, tzinfo=UTC)
    assert not set(extension.pairs) & {"name", "href", "ref", "key", "order", "createdAt"}


def test_extension_to_api_round_trips_value_types_through_json() -> None:
    extension = DataExtension.from_api(json.loads(EXTENSION_JSON))
    text = json.dumps(extension.to_api())
    again = json.loads(text)
    assert '"floatNine": 9.0' in text and '"intNine": 9,' in text
    assert again["boolTrue"] is True and again["textTrue"] == "true"


def test_an_item_extension_names_its_item_and_the_buggy_list_link_is_ignored() -> None:
    item_ext = {"ref": "r1", "orderItem": {"href": f"{HOST}/v2.1/orderItems/{ITEM_REF}"}}
    assert DataExtension.from_api(item_ext).parent_ref == ITEM_REF
    documented_bug = {"ref": "r2", "order": {"href": f"{HOST}/v2.1/orders?guestRef=x&offset=1"}}
    assert DataExtension.from_api(documented_bug).parent_ref is None


@pytest.mark.parametrize("value", [None, [1], {"a": 1}])
def test_extension_values_that_are_not_primitives_are_kept_apart(value: object) -> None:
    ext = DataExtension.from_api({"ref": "r", "odd": value, "fine": 1})
    assert ext.pairs == {"fine": 1}
    assert ext.foreign == {"odd": freeze(value)}


def test_extension_keys_outside_the_apps_pattern_are_pairs() -> None:
    ext = DataExtension.from_api({"ref": "r", "Upper": 1, "snake_case": "a", 'x"><b>': True})
    assert ext.pairs == {"Upper": 1, "snake_case": "a", 'x"><b>': True}


def test_an_extension_without_ref_is_refused() -> None:
    with pytest.raises(CdpUpstreamError):
        DataExtension.from_api({"name": "ext", "a": 1})


def test_an_item_with_only_a_link_has_only_a_ref() -> None:
    item = OrderItem.from_api({"href": f"{HOST}/v2.1/orderItems/{ITEM_REF.upper()}"})
    assert item.ref == ITEM_REF
    assert (item.name, item.price, item.quantity, item.order_ref) == (None, None, None, None)


def test_a_full_item_is_parsed() -> None:
    item = OrderItem.from_api(
        {
            "ref": ITEM_REF,
            "name": "NYC-PAR Flight",
            "description": "Flight from New York City to Paris",
            "type": "Flight Item",
            "productId": "FL44124",
            "price": 105,
            "currencyCode": "EUR",
            "originalPrice": 110.5,
            "originalCurrencyCode": "USD",
            "referenceId": "O62455331",
            "vendor": "Travel Agency",
            "status": "Confirmed",
            "language": "EN",
            "quantity": 2,
            "channel": "WEB",
            "order": {"href": f"{HOST}/v2.1/orders/{ORDER_REF}"},
        }
    )
    assert (item.name, item.type, item.product_id) == ("NYC-PAR Flight", "Flight Item", "FL44124")
    assert (item.price, item.original_price) == (Decimal(105), Decimal("110.5"))
    assert item.quantity == 2 and type(item.quantity) is int
    assert item.order_ref == ORDER_REF
    assert item.to_api()["originalPrice"] == 110.5


@pytest.mark.parametrize("quantity", [1.5, "2.5", True, "two"])
def test_a_quantity_that_is_not_an_integer_is_kept_as_sent(quantity: object) -> None:
    item = OrderItem.from_api({"ref": ITEM_REF, "quantity": quantity})
    assert item.quantity is None and item.foreign == {"quantity": quantity}


def test_a_quantity_sent_as_text_reads_as_the_integer() -> None:
    assert OrderItem.from_api({"ref": ITEM_REF, "quantity": "2"}).quantity == 2


CONTACT = {
    "href": f"{HOST}/v2.1/orderContacts/{CONTACT_REF}",
    "ref": CONTACT_REF,
    "title": "Mr",
    "firstName": "John",
    "lastName": "Doe",
    "gender": "male",
    "dateOfBirth": "1991-01-01T16:17:16Z",
    "emails": ["john.doe@gmail.com"],
    "phoneNumbers": ["+353161123345"],
    "nationality": "Irish",
    "passportNumber": "PZ4A9565",
    "passportExpiry": "2030-05-01",
    "country": "IE",
    "street": ["Tara St.", "Main Ave."],
    "city": "Dublin",
    "state": "10001",
    "identifiers": [{"provider": "ProfileSystem", "id": "B7524AE6"}],
    "guest": {"href": f"{HOST}/v2.1/guests/{GUEST_REF}"},
    "order": {"href": f"{HOST}/v2.1/orders/{ORDER_REF}"},
}


def test_a_contact_is_parsed_with_its_guest_and_order() -> None:
    contact = Contact.from_api(CONTACT)
    assert (contact.first_name, contact.last_name, contact.gender) == ("John", "Doe", "male")
    assert contact.date_of_birth == datetime(1991, 1, 1, 16, 17, 16, tzinfo=UTC)
    assert contact.passport_expiry == datetime(2030, 5, 1, tzinfo=UTC)
    assert contact.emails == ("john.doe@gmail.com",)
    assert contact.street == ("Tara St.", "Main Ave.")
    assert contact.identifiers == (Identifier("ProfileSystem", "B7524AE6"),)
    assert (contact.guest_ref, contact.order_ref) == (GUEST_REF, ORDER_REF)
    body = contact.to_api()
    assert body["identifiers"] == [{"provider": "ProfileSystem", "id": "B7524AE6"}]
    assert body["emails"] == ["john.doe@gmail.com"]


def test_a_contact_with_nothing_but_a_ref_is_empty_not_broken() -> None:
    contact = Contact.from_api({"ref": CONTACT_REF})
    assert contact.emails == () and contact.identifiers == () and contact.guest_ref is None
    assert contact.to_api() == {"ref": CONTACT_REF}


def test_an_identifier_without_id_is_kept_as_sent() -> None:
    contact = Contact.from_api(
        {"ref": CONTACT_REF, "identifiers": [{"provider": "P"}, {"provider": "Q", "id": "1"}]}
    )
    assert contact.identifiers == (Identifier("Q", "1"),)
    assert contact.foreign == {"identifiers": ({"provider": "P"}, {"provider": "Q", "id": "1"})}


def test_a_consumer_keeps_its_item_links_in_v2_and_v21_forms() -> None:
    consumer = Consumer.from_api(
        {
            "ref": CONSUMER_REF,
            "firstName": "Jane",
            "guest": {"href": f"{HOST}/v2/guests/{GUEST_REF.upper()}"},
            "orderItems": {
                "items": [
                    {"href": f"{HOST}/v2/orderItems/{ITEM_REF.upper()}"},
                    {"href": f"{HOST}/v2.1/orderItems/x", "ref": ORDER_REF},
                ]
            },
        }
    )
    assert consumer.item_refs == (ITEM_REF, ORDER_REF)
    assert consumer.guest_ref == GUEST_REF


@pytest.mark.parametrize(
    ("collection", "refs"),
    [
        ({"items": [{"href": f"{HOST}/v2.1/orderItems/{ITEM_REF}", "ref": ITEM_REF}]}, (ITEM_REF,)),
        ({"items": [{"href": f"{HOST}/v2.1/orderItems/{ITEM_REF}?expand=true"}]}, (ITEM_REF,)),
        ({"items": [f"{HOST}/v2/orderItems/{ITEM_REF}"]}, (ITEM_REF,)),
        ({"href": f"{HOST}/v2/orders/{ORDER_REF}/orderItems"}, ()),
        ({"href": "x", "offset": 0, "limit": 10, "items": []}, ()),
        (None, ()),
    ],
    ids=["ref-and-href", "href-only", "bare-string", "legacy-href-only", "empty", "absent"],
)
def test_embedded_collections_in_every_documented_form(
    collection: object, refs: tuple[str, ...]
) -> None:
    payload = json.loads(ORDER_JSON)
    payload["orderItems"] = collection
    assert Order.from_api(payload).item_refs == refs


def _links(count: int) -> list[dict[str, str]]:
    return [{"href": f"{HOST}/v2.1/orders/{i}", "ref": str(i)} for i in range(count)]


@pytest.mark.parametrize(
    ("payload", "has_next", "next_offset"),
    [
        ({"offset": 0, "limit": 2, "items": _links(2), "next": {"href": "n"}}, True, 2),
        ({"offset": 4, "limit": 2, "items": _links(2), "next": {"href": "n"}}, True, 6),
        ({"offset": 0, "limit": 2, "items": _links(2), "first": {"href": "f"}}, False, None),
        ({"offset": 0, "limit": 2, "items": _links(1), "next": {"href": "n"}}, False, None),
        ({"offset": 0, "limit": 2, "items": _links(2)}, True, 2),
        ({"offset": 0, "limit": 2, "items": []}, False, None),
        ({"offset": "10", "limit": "2", "items": _links(2)}, True, 12),
    ],
    ids=["v21-next", "v21-middle", "v21-last", "short", "legacy-full", "empty", "string-numbers"],
)
def test_pages_compute_whether_there_is_more(
    payload: dict[str, object], has_next: bool, next_offset: int | None
) -> None:
    page = Page.from_api(payload, ResourceLink.from_api, offset=0, limit=2)
    assert (page.has_next, page.next_offset) == (has_next, next_offset)
    assert len(page) == len(payload["items"])  # type: ignore[arg-type]


def test_a_page_without_offset_and_limit_uses_the_request_values() -> None:
    page = Page.from_api({"items": _links(3)}, ResourceLink.from_api, offset=6, limit=3)
    assert (page.offset, page.limit, page.next_offset) == (6, 3, 9)
    assert [link.ref for link in page] == ["0", "1", "2"]


@pytest.mark.parametrize("payload", [{"items": {"a": 1}}, {"items": [1]}, {"offset": -1.5}])
def test_malformed_pages_are_refused(payload: object) -> None:
    with pytest.raises(CdpUpstreamError):
        Page.from_api(payload, ResourceLink.from_api, offset=0, limit=10)


def test_extension_list_links_take_the_last_href_segment_as_ref() -> None:
    link = ResourceLink.from_api({"href": f"{HOST}/v2.1/orders/{ORDER_REF}/extensions/ext"})
    assert link == ResourceLink(ref="ext", href=f"{HOST}/v2.1/orders/{ORDER_REF}/extensions/ext")
