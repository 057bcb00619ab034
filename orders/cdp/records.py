"""Typed, immutable records for what CDP returns, parsed at the boundary.

Each record has `from_api(payload)` (raises `CdpUpstreamError` only on a body that is not a
JSON object or has no ref), `to_api()` (CDP's field names, JSON-safe values, for audit
snapshots), `raw`, a read-only copy of the JSON it came from, and `foreign`: the fields CDP
holds that the record could not read as documented (odd types, unknown fields), exactly as
CDP sent them, for pages to show as such.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

from orders.cdp.parsing import (
    TIMESTAMPS,
    UUID_RE,
    FieldSpec,
    FrozenJson,
    Reader,
    dump_fields,
    foreign_fields,
    freeze,
    malformed,
    read_fields,
)
from orders.cdp.vocabulary import EXTENSION_ENVELOPE_KEYS, ExtensionValue

T = TypeVar("T")


_ORDER_FIELDS: FieldSpec = (
    ("payment_type", "paymentType", "text"),
    ("card_type", "cardType", "text"),
    ("point_of_sale", "pointOfSale", "text"),
    ("channel", "channel", "text"),
    ("status", "status", "text"),
    *TIMESTAMPS,
)
_ORDER_REQUIRED: FieldSpec = (
    ("reference_id", "referenceId", "text"),
    ("ordered_at", "orderedAt", "instant"),
    ("currency_code", "currencyCode", "text"),
    ("price", "price", "number"),
)
_LINKS = {"ref", "href"}
_ORDER_KNOWN = (
    {key for _, key, _ in _ORDER_FIELDS + _ORDER_REQUIRED}
    | _LINKS
    | {"orderItems", "contacts", "consumers"}
)


def _kept(reader: Reader, known: AbstractSet[str]) -> dict[str, Any]:
    """`raw` and `foreign` of a record read by `reader`."""
    return {
        "raw": freeze(reader.data),
        "foreign": FrozenJson(foreign_fields(freeze(reader.data), reader.unreadable, known)),
    }


@dataclass(frozen=True)
class Order:
    """An order (§9.1). `reference_id` is the organisation's order number; `ref` is CDP's."""

    ref: str
    reference_id: str | None = None
    ordered_at: datetime | None = None
    currency_code: str | None = None
    price: Decimal | None = None
    payment_type: str | None = None
    card_type: str | None = None
    point_of_sale: str | None = None
    channel: str | None = None
    status: str | None = None
    created_at: datetime | None = None
    modified_at: datetime | None = None
    href: str | None = None
    item_refs: tuple[str, ...] = ()
    contact_refs: tuple[str, ...] = ()
    consumer_refs: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=FrozenJson, repr=False, compare=False)
    foreign: Mapping[str, Any] = field(default_factory=FrozenJson, repr=False, compare=False)

    @classmethod
    def from_api(cls, payload: object) -> Order:
        reader = Reader(payload, "order")
        required = {
            attr: reader.required(key, getattr(reader, kind)) for attr, key, kind in _ORDER_REQUIRED
        }
        values = dict(
            ref=reader.ref(),
            href=reader.text("href"),
            item_refs=reader.collection_refs("orderItems"),
            contact_refs=reader.collection_refs("contacts"),
            consumer_refs=reader.collection_refs("consumers"),
            **required,
            **read_fields(reader, _ORDER_FIELDS),
        )
        return cls(**values, **_kept(reader, _ORDER_KNOWN))

    def to_api(self) -> dict[str, Any]:
        return dump_fields(self, _ORDER_REQUIRED + _ORDER_FIELDS)


_ITEM_FIELDS: FieldSpec = (
    ("name", "name", "text"),
    ("description", "description", "text"),
    ("type", "type", "text"),
    ("product_id", "productId", "text"),
    ("price", "price", "number"),
    ("currency_code", "currencyCode", "text"),
    ("original_price", "originalPrice", "number"),
    ("original_currency_code", "originalCurrencyCode", "text"),
    ("reference_id", "referenceId", "text"),
    ("vendor", "vendor", "text"),
    ("status", "status", "text"),
    ("language", "language", "text"),
    ("quantity", "quantity", "integer"),
    ("channel", "channel", "text"),
    *TIMESTAMPS,
)


_ITEM_KNOWN = {key for _, key, _ in _ITEM_FIELDS} | _LINKS | {"order"}


@dataclass(frozen=True)
class OrderItem:
    """An order item (§10). Only `ref` is certain: a consumer's item list may carry links only."""

    ref: str
    name: str | None = None
    description: str | None = None
    type: str | None = None
    product_id: str | None = None
    price: Decimal | None = None
    currency_code: str | None = None
    original_price: Decimal | None = None
    original_currency_code: str | None = None
    reference_id: str | None = None
    vendor: str | None = None
    status: str | None = None
    language: str | None = None
    quantity: int | None = None
    channel: str | None = None
    created_at: datetime | None = None
    modified_at: datetime | None = None
    href: str | None = None
    order_ref: str | None = None
    raw: Mapping[str, Any] = field(default_factory=FrozenJson, repr=False, compare=False)
    foreign: Mapping[str, Any] = field(default_factory=FrozenJson, repr=False, compare=False)

    @classmethod
    def from_api(cls, payload: object) -> OrderItem:
        reader = Reader(payload, "order item")
        values = dict(
            ref=reader.ref(),
            href=reader.text("href"),
            order_ref=reader.link_ref("order"),
            **read_fields(reader, _ITEM_FIELDS),
        )
        return cls(**values, **_kept(reader, _ITEM_KNOWN))

    def to_api(self) -> dict[str, Any]:
        return dump_fields(self, _ITEM_FIELDS)


@dataclass(frozen=True)
class Identifier:
    """An identity a person is known by in another system (`provider`, `id`)."""

    provider: str
    id: str

    @classmethod
    def many_from_api(cls, reader: Reader, key: str) -> tuple[Identifier, ...]:
        value = reader.data.get(key)
        if value is None:
            return ()
        entries = value if isinstance(value, list) else ()
        found = []
        for entry in entries:
            provider = entry.get("provider") if isinstance(entry, Mapping) else None
            id_ = entry.get("id") if isinstance(entry, Mapping) else None
            if isinstance(provider, str) and isinstance(id_, str):
                found.append(cls(provider, id_))
        if len(found) != len(entries) or not isinstance(value, list):
            reader.keep(key, value)
        return tuple(found)


_PERSON_FIELDS: FieldSpec = (
    ("title", "title", "text"),
    ("first_name", "firstName", "text"),
    ("last_name", "lastName", "text"),
    ("gender", "gender", "text"),
    ("date_of_birth", "dateOfBirth", "instant"),
    ("emails", "emails", "texts"),
    ("phone_numbers", "phoneNumbers", "texts"),
    ("nationality", "nationality", "text"),
    ("passport_number", "passportNumber", "text"),
    ("passport_expiry", "passportExpiry", "instant"),
    ("country", "country", "text"),
    ("street", "street", "texts"),
    ("city", "city", "text"),
    ("state", "state", "text"),
    *TIMESTAMPS,
)


_PERSON_KNOWN = {key for _, key, _ in _PERSON_FIELDS} | _LINKS | {"identifiers", "guest", "order"}


@dataclass(frozen=True)
class _Person:
    ref: str
    title: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    gender: str | None = None
    date_of_birth: datetime | None = None
    emails: tuple[str, ...] = ()
    phone_numbers: tuple[str, ...] = ()
    nationality: str | None = None
    passport_number: str | None = None
    passport_expiry: datetime | None = None
    country: str | None = None
    street: tuple[str, ...] = ()
    city: str | None = None
    state: str | None = None
    identifiers: tuple[Identifier, ...] = ()
    created_at: datetime | None = None
    modified_at: datetime | None = None
    href: str | None = None
    guest_ref: str | None = None
    order_ref: str | None = None
    raw: Mapping[str, Any] = field(default_factory=FrozenJson, repr=False, compare=False)
    foreign: Mapping[str, Any] = field(default_factory=FrozenJson, repr=False, compare=False)

    @classmethod
    def _fields_from(cls, payload: object, what: str) -> tuple[Reader, dict[str, Any]]:
        reader = Reader(payload, what)
        values = read_fields(reader, _PERSON_FIELDS)
        values.update(
            ref=reader.ref(),
            href=reader.text("href"),
            identifiers=Identifier.many_from_api(reader, "identifiers"),
            guest_ref=reader.link_ref("guest"),
            order_ref=reader.link_ref("order"),
        )
        return reader, values

    @property
    def guest_link_ref(self) -> str | None:
        """`guest_ref` when it is a real ref (a UUID) a guest page can be opened for."""
        return self.guest_ref if self.guest_ref and UUID_RE.fullmatch(self.guest_ref) else None

    def to_api(self) -> dict[str, Any]:
        body = dump_fields(self, _PERSON_FIELDS)
        if self.identifiers:
            body["identifiers"] = [{"provider": i.provider, "id": i.id} for i in self.identifiers]
        return body


@dataclass(frozen=True)
class Contact(_Person):
    """The order's primary contact (§12); creating one links a guest (`guest_ref`)."""

    @classmethod
    def from_api(cls, payload: object) -> Contact:
        reader, values = cls._fields_from(payload, "order contact")
        return cls(**values, **_kept(reader, _PERSON_KNOWN))


@dataclass(frozen=True)
class Consumer(_Person):
    """A person who consumes order items (§12); `item_refs` when CDP embeds them."""

    item_refs: tuple[str, ...] = ()

    @classmethod
    def from_api(cls, payload: object) -> Consumer:
        reader, values = cls._fields_from(payload, "order consumer")
        item_refs = reader.collection_refs("orderItems")
        return cls(item_refs=item_refs, **values, **_kept(reader, _PERSON_KNOWN | {"orderItems"}))


def _is_pair_value(value: object) -> bool:
    # type() rather than isinstance(): True must stay a bool and 9.0 a float, exactly as sent.
    return type(value) in (str, bool, int, float)


@dataclass(frozen=True)
class DataExtension:
    """The `ext` data extension of an order or item (§11.3); `pairs` keep their JSON types.

    `pairs` holds every key whose value is a string, boolean or number, whatever the key
    (other systems write keys this application would not); `foreign` holds the pairs whose
    value is anything else (an object, a list, null) and envelope fields that did not read.
    """

    ref: str
    name: str | None = None
    parent_ref: str | None = None
    created_at: datetime | None = None
    modified_at: datetime | None = None
    pairs: Mapping[str, ExtensionValue] = field(default_factory=FrozenJson)
    href: str | None = None
    raw: Mapping[str, Any] = field(default_factory=FrozenJson, repr=False, compare=False)
    foreign: Mapping[str, Any] = field(default_factory=FrozenJson, repr=False, compare=False)

    @classmethod
    def from_api(cls, payload: object) -> DataExtension:
        reader = Reader(payload, "data extension")
        parent = reader.link_ref("order") or reader.link_ref("orderItem")
        pairs = {
            key: value
            for key, value in reader.data.items()
            if key not in EXTENSION_ENVELOPE_KEYS and _is_pair_value(value)
        }
        values: dict[str, Any] = {
            "ref": reader.ref(),
            "name": reader.text("name"),
            # The documented example's parent link is a list URL [BUG]; keep only a real ref.
            "parent_ref": parent if parent and UUID_RE.fullmatch(parent) else None,
            "created_at": reader.instant("createdAt"),
            "modified_at": reader.instant("modifiedAt"),
            "pairs": FrozenJson(pairs),
            "href": reader.text("href"),
        }
        return cls(**values, **_kept(reader, EXTENSION_ENVELOPE_KEYS | set(pairs)))

    @property
    def unreadable_pairs(self) -> dict[str, Any]:
        """Pairs whose value is not a primitive (an object, a list, null), as CDP sent them."""
        return {k: v for k, v in self.foreign.items() if k not in EXTENSION_ENVELOPE_KEYS}

    def to_api(self) -> dict[str, Any]:
        body = dump_fields(self, (("name", "name", "text"), *TIMESTAMPS))
        body.update(self.pairs)
        return body


@dataclass(frozen=True)
class ResourceLink:
    """A bare link in a collection: `ref` (or the last `href` segment) and `href`."""

    ref: str
    href: str | None = None

    @classmethod
    def from_api(cls, payload: object) -> ResourceLink:
        reader = Reader(payload, "link")
        return cls(ref=reader.ref(), href=reader.text("href"))


def _page_number(value: object, fallback: int, what: str) -> int:
    if value is None:
        return fallback
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    # The reference types offset/limit as "object" [BUG]; tolerate "10".
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise malformed(f"collection.{what}: expected an integer")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a CDP collection (§4.2), with where the next page starts.

    `has_next` is computed, not trusted: the page must be full (`len(items) == limit`) and, when
    CDP sends v2.1 links, carry a `next` link; `next_offset` is `offset + len(items)`.
    """

    offset: int
    limit: int
    items: tuple[T, ...]
    has_next: bool
    next_offset: int | None

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @classmethod
    def from_api(
        cls, payload: object, parse_item: Callable[[object], T], *, offset: int, limit: int
    ) -> Page[T]:
        reader = Reader(payload, "collection")
        raw_items = reader.data.get("items", [])
        if not isinstance(raw_items, list):
            raise malformed("collection.items: expected a list")
        items = tuple(parse_item(item) for item in raw_items)
        page_offset = _page_number(reader.data.get("offset"), offset, "offset")
        page_limit = _page_number(reader.data.get("limit"), limit, "limit")
        has_links = any(key in reader.data for key in ("first", "last", "next"))
        has_next = bool(items) and len(items) >= page_limit
        if has_links:
            has_next = has_next and bool(reader.data.get("next"))
        return cls(
            offset=page_offset,
            limit=page_limit,
            items=items,
            has_next=has_next,
            next_offset=page_offset + len(items) if has_next else None,
        )
