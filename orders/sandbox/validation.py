"""Request-body validation for orders, items, contacts, consumers and data extensions.

Checks run in the order of §14.1 point 4: required fields (first failing field, in the order
the reference lists them), then type/enum/format checks in field order; business rules
(matching, reserved types, limits) are checked by the store afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from .errors import bad_request, may_not_be_null
from .util import parse_date_or_instant, parse_instant, ref_from_href

Checker = Callable[[str, Any], Any]

ORDER_STATUSES = (
    "BROWSED",
    "CANCELLED",
    "CONFIRMED",
    "DECLINED",
    "PARTIALY_CONFIRMED",
    "PARTIALY_REFUNDED",
    "PAYMENT_PENDING",
    "PENDING",
    "PURCHASED",
    "REFUNDED",
    "RESERVED",
    "SEARCHED",
    "UNKNOWN",
)
ORDER_CHANNELS = (
    "WEB",
    "MOBILE_WEB",
    "MOBILE_APP",
    "CALL_CENTER",
    "AIRPORT_KIOSK",
    "BRANCH",
    "KIOSK",
    "OFFLINE",
    "GDS",
    "OTA",
    "OTHER",
)
RESERVED_ITEM_TYPES = frozenset(
    {
        "FLIGHT",
        "HOTEL",
        "MORTGAGE",
        "MORTGAGE_APPLICATION",
        "LOAN_APPLICATION",
        "PERSONAL_LOAN",
        "RAIL",
    }
)
GENDERS = ("male", "female", "unknown")
ITEM_NAME_MAX = 128
EXT_MAX_PAIRS = 100
EXT_KEY_RE = re.compile(r"^[a-z][A-Za-z0-9]*$")
EXT_RESERVED_KEYS = frozenset(
    {"name", "href", "ref", "key", "createdAt", "modifiedAt", "order", "orderItem"}
)
_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")

# Fields every resource reports but no client sets (§4.1); always ignored in bodies.
SERVER_FIELDS = frozenset({"ref", "href", "createdAt", "modifiedAt"})


def string(field: str, value: Any) -> str:
    if not isinstance(value, str):
        raise bad_request(f"{field}: must be a string.")
    return value


def bounded_string(limit: int) -> Checker:
    def check(field: str, value: Any) -> str:
        text = string(field, value)
        if len(text) > limit:
            raise bad_request(f"{field}: size must be between 0 and {limit}.")
        return text

    return check


def currency(field: str, value: Any) -> str:
    if not isinstance(value, str) or not _CURRENCY_RE.match(value):
        raise bad_request(f"{field}: must be a 3-letter upper-case ISO 4217 currency code.")
    return value


def number(field: str, value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad_request(f"{field}: must be a number.")
    return value


def integer(field: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request(f"{field}: must be an integer.")
    return value


def enum(values: Iterable[str]) -> Checker:
    allowed = tuple(values)

    def check(field: str, value: Any) -> str:
        if not isinstance(value, str) or value not in allowed:
            raise bad_request(f"{field}: must be one of {', '.join(allowed)}.")
        return value

    return check


def instant(field: str, value: Any) -> str:
    if not isinstance(value, str) or parse_instant(value) is None:
        raise bad_request(f"{field}: must be an ISO 8601 date-time with a time zone.")
    return value


def date_or_instant(field: str, value: Any) -> str:
    if not isinstance(value, str) or parse_date_or_instant(value) is None:
        raise bad_request(f"{field}: must be an ISO 8601 date or date-time.")
    return value


def past_date(field: str, value: Any) -> str:
    text = date_or_instant(field, value)
    parsed = parse_date_or_instant(text)
    if parsed is None or parsed >= datetime.now(UTC):
        raise bad_request(f"{field}: must be in the past.")
    return text


def string_list(field: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad_request(f"{field}: must be an array of strings.")
    return list(value)


def identifiers(field: str, value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list):
        raise bad_request(f"{field}: must be an array of objects.")
    cleaned = []
    for i, entry in enumerate(value):
        if not isinstance(entry, dict):
            raise bad_request(f"{field}[{i}]: must be an object.")
        item: dict[str, str] = {}
        for key in ("provider", "id"):
            if entry.get(key) is None:
                raise may_not_be_null(f"{field}[{i}].{key}")
            item[key] = string(f"{field}[{i}].{key}", entry[key])
        if entry.get("expiryDate") is not None:
            item["expiryDate"] = instant(f"{field}[{i}].expiryDate", entry["expiryDate"])
        cleaned.append(item)
    return cleaned


def guest_link(field: str, value: Any) -> str:
    """`{"href": "<base>/v2.1/guests/<guestRef>"}` (or /v2/) → the guest ref (§12.2)."""
    ref = ref_from_href(value.get("href"), "guests") if isinstance(value, dict) else None
    if ref is None:
        raise bad_request(f"{field}: must be an object with the href of a guest.")
    return ref


def item_links(field: str, value: Any) -> list[str]:
    """`{"items": [{"href": ".../orderItems/<ref>"}]}` → item refs, v2 or v2.1 hrefs (§12.2)."""
    entries = value.get("items") if isinstance(value, dict) else None
    if not isinstance(entries, list):
        raise bad_request(f"{field}: must be an object with an items array.")
    refs: list[str] = []
    for i, entry in enumerate(entries):
        ref = ref_from_href(entry.get("href"), "orderItems") if isinstance(entry, dict) else None
        if ref is None:
            raise bad_request(f"{field}.items[{i}].href: must be the href of an order item.")
        if ref not in refs:
            refs.append(ref)
    return refs


ORDER_REQUIRED = ("currencyCode", "orderedAt", "price", "referenceId")
ORDER_REQUIRED_V2 = ("currencyCode", "orderedAt", "pointOfSale", "price", "referenceId")
ORDER_FIELDS: dict[str, Checker] = {
    "referenceId": string,
    "orderedAt": instant,
    "currencyCode": currency,
    "price": number,
    "paymentType": string,
    "cardType": string,
    "pointOfSale": string,
    "channel": enum(ORDER_CHANNELS),
    "status": enum(ORDER_STATUSES),
}
ORDER_IGNORED = SERVER_FIELDS | {"contacts", "consumers", "orderItems"}

ITEM_REQUIRED = ("currencyCode", "name", "price", "status", "type")
ITEM_FIELDS: dict[str, Checker] = {
    "name": bounded_string(ITEM_NAME_MAX),
    "description": string,
    "type": string,
    "productId": string,
    "price": number,
    "currencyCode": currency,
    "originalPrice": number,
    "originalCurrencyCode": currency,
    "referenceId": string,
    "vendor": string,
    "status": string,
    "language": string,
    "quantity": integer,
    "channel": string,
}
ITEM_IGNORED = SERVER_FIELDS | {"order"}

PERSON_FIELDS: dict[str, Checker] = {
    "title": string,
    "firstName": string,
    "lastName": string,
    "gender": enum(GENDERS),
    "dateOfBirth": past_date,
    "emails": string_list,
    "phoneNumbers": string_list,
    "nationality": string,
    "passportNumber": string,
    "passportExpiry": date_or_instant,
    "country": string,
    "identifiers": identifiers,
    "street": string_list,
    "city": string,
    "state": string,
    "guest": guest_link,
}
CONSUMER_FIELDS: dict[str, Checker] = {**PERSON_FIELDS, "orderItems": item_links}
CONSUMER_REQUIRED = ("firstName", "lastName")
PERSON_IGNORED = SERVER_FIELDS | {"order"}


def clean(
    body: dict[str, Any],
    fields: dict[str, Checker],
    required: Iterable[str],
    *,
    ignored: frozenset[str],
    partial: bool,
    ignore_unknown: bool,
) -> dict[str, Any]:
    """Validate a body and return the fields it sets.

    With `partial` (PATCH) a present `null` is kept as None, meaning "clear this field";
    otherwise nulls are dropped, so a full update clears every field it omits.
    """
    for field in required:
        if body.get(field) is None:
            raise may_not_be_null(field)
    if not ignore_unknown:
        for key in body:
            if key not in fields and key not in ignored:
                raise bad_request(f"{key}: unknown field.")
    cleaned: dict[str, Any] = {}
    for field, check in fields.items():
        if field not in body:
            continue
        value = body[field]
        if value is None:
            if partial:
                cleaned[field] = None
            continue
        cleaned[field] = check(field, value)
    return cleaned


def check_item_type(item_type: str | None) -> None:
    # §10.1 [INF]: "flight" is as reserved as "FLIGHT".
    if item_type is not None and item_type.upper() in RESERVED_ITEM_TYPES:
        raise bad_request(f"type: {item_type} is a reserved order item type and cannot be used.")


def clean_extension(body: dict[str, Any], *, strict_body: bool) -> dict[str, Any]:
    """Validate a data-extension body (§11.1, §11.2) and return its key-value pairs."""
    pairs = dict(body)
    for envelope_key in ("name", "key"):
        if envelope_key in pairs:
            if strict_body:
                raise bad_request(f"{envelope_key}: must not be sent in a data extension body.")
            del pairs[envelope_key]
    for key, value in pairs.items():
        if key in EXT_RESERVED_KEYS:
            raise bad_request(f"{key}: is a reserved name and cannot be used as a key.")
        if not EXT_KEY_RE.match(key):
            raise bad_request(f"{key}: keys must be alphanumeric camelCase.")
        if value is None or not isinstance(value, str | bool | int | float):
            raise bad_request(
                f"{key}: values must be a string, boolean, integer or floating-point number."
            )
    return pairs


def check_extension_size(pairs: dict[str, Any]) -> None:
    if len(pairs) > EXT_MAX_PAIRS:
        raise bad_request(
            f"A data extension can hold at most {EXT_MAX_PAIRS} key-value pairs "
            f"({len(pairs)} given)."
        )


def check_extension_name(name: str) -> None:
    if name != "ext":
        raise bad_request("dataExtensionName: must be ext.")
