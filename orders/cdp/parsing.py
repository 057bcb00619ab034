"""The parsing machinery behind the records: tolerant typed reads, read-only JSON, CDP dates.

CDP is shared with other systems, which may leave values outside the documented shape. A
body that is not a JSON object, or a record without a `ref`, raises `CdpUpstreamError`: there
is nothing to show. Any other mismatch is kept, not raised: the field reads as None and its
value, exactly as CDP sent it, goes into `Reader.unreadable`, so pages can show it as such.
A number sent as text (`"12.50"`) is read as the number. Writes stay strict (`paths.py`,
the forms): nothing read this way is sent back unless a form validated it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, NoReturn, TypeVar

from orders.cdp.errors import CdpUpstreamError, malformed_answer
from orders.cdp.vocabulary import REF_RE, to_cdp_json

T = TypeVar("T")
UUID_RE = REF_RE
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?", re.ASCII)


class FrozenJson(dict):  # type: ignore[type-arg]
    """A dict that refuses changes, so `raw` stays what CDP sent and still `json.dumps`."""

    def _refuse(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError("CDP records are read-only; copy with dict(record.raw) to edit.")

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted(self.items(), key=lambda pair: str(pair[0]))))

    def __reduce__(self) -> tuple[type[FrozenJson], tuple[dict[Any, Any]]]:
        # copy, deepcopy and pickle would otherwise rebuild it through the refused __setitem__.
        return (type(self), (dict(self),))


def freeze(value: Any) -> Any:
    """A deep read-only copy of parsed JSON: objects → `FrozenJson`, arrays → tuples."""
    if isinstance(value, Mapping):
        return FrozenJson({key: freeze(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(item) for item in value)
    return value


def malformed(detail: str) -> CdpUpstreamError:
    """The error for a body that is not the documented shape; the client adds the call."""
    return malformed_answer(method=None, path=None, status=None, detail=detail)


def ref_from_href(href: str) -> str:
    """The reference in a CDP URL: the last path segment, without query (§4.1)."""
    return href.split("?", 1)[0].split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def parse_datetime(value: object, what: str) -> datetime:
    """An aware UTC datetime from CDP's ISO 8601 text (`Z`, offset, ms or not, date only).

    CDP documents every date-time as UTC, so text without an offset is read as UTC.
    """
    if not isinstance(value, str) or not value.strip():
        raise malformed(f"{what}: expected an ISO 8601 date-time, got {type(value).__name__}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise malformed(f"{what}: not an ISO 8601 date-time: {value[:40]!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_datetime(value: datetime | date) -> str:
    """CDP's date-time text for a datetime: UTC, `Z`, milliseconds only when present."""
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day, tzinfo=UTC)
    if value.tzinfo is None:
        raise ValueError("CDP date-times must be timezone-aware.")
    value = value.astimezone(UTC)
    if value.microsecond % 1000:
        spec = "microseconds"
    elif value.microsecond:
        spec = "milliseconds"
    else:
        spec = "seconds"
    return value.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def json_number(value: Decimal) -> int | float:
    """A Decimal as the JSON number it came from: integral without exponent → int."""
    if value == value.to_integral_value() and value.as_tuple().exponent >= 0:  # type: ignore[operator]
        return int(value)
    return float(value)


def normal_ref(ref: str) -> str:
    return ref.lower() if UUID_RE.fullmatch(ref) else ref


class Reader:
    """Typed access to one JSON object; a field that does not read is kept in `unreadable`.

    `unreadable` maps CDP's field name to the value CDP sent (None for a required field that
    is missing); `missing` lists required fields CDP did not send.
    """

    def __init__(self, payload: object, what: str) -> None:
        if not isinstance(payload, Mapping):
            raise malformed(f"{what}: expected a JSON object, got {type(payload).__name__}")
        self.data = payload
        self.what = what
        self.unreadable: dict[str, Any] = {}
        self.missing: list[str] = []

    def keep(self, key: str, value: Any) -> None:
        """Note a value that does not read as its field's type."""
        self.unreadable[key] = freeze(value)

    def _get(self, key: str, types: type | tuple[type, ...], label: str) -> Any:
        value = self.data.get(key)
        if value is None:
            return None
        # bool is an int to isinstance(); no CDP record field is a boolean.
        if isinstance(value, bool) or not isinstance(value, types):
            self.keep(key, value)
            return None
        return value

    def required(self, key: str, read: Callable[[str], T | None]) -> T | None:
        value = read(key)
        if value is None and key not in self.unreadable:
            self.missing.append(key)
        return value

    def ref(self) -> str:
        ref = self.text("ref") or (ref_from_href(self.text("href") or "") or None)
        if not ref:
            raise malformed(f"{self.what}: the required field 'ref' is missing")
        return normal_ref(ref)

    def text(self, key: str) -> str | None:
        return self._get(key, str, "a string")  # type: ignore[no-any-return]

    def instant(self, key: str) -> datetime | None:
        value = self.data.get(key)
        if value is None:
            return None
        try:
            return parse_datetime(value, f"{self.what}.{key}")
        except CdpUpstreamError:
            self.keep(key, value)
            return None

    def _numeric(self, key: str) -> int | float | None:
        """The field as a JSON number; a number CDP sent as text (`"12.50"`) counts."""
        value = self.data.get(key)
        if isinstance(value, str) and _JSON_NUMBER.fullmatch(value.strip()):
            number = float(value) if any(c in value for c in ".eE") else int(value)
            if math.isfinite(number):
                return number
            self.keep(key, value)
            return None
        value = self._get(key, (int, float), "a number")
        if isinstance(value, float) and not math.isfinite(value):
            self.keep(key, value)
            return None
        return value  # type: ignore[no-any-return]

    def number(self, key: str) -> Decimal | None:
        value = self._numeric(key)
        if value is None:
            return None
        # repr() is the shortest text that reads back as the same float: 30.6, not 30.59999…
        return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)

    def integer(self, key: str) -> int | None:
        value = self._numeric(key)
        if isinstance(value, float):
            if not value.is_integer():
                self.keep(key, self.data.get(key))
                return None
            return int(value)
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        value = self._get(key, (list, str), "a list of strings")
        if value is None:
            return ()
        items = [value] if isinstance(value, str) else value
        if not all(isinstance(item, str) for item in items):
            self.keep(key, value)
            return ()
        return tuple(items)

    def link_ref(self, key: str) -> str | None:
        """The ref of a `{"href": …}` link object such as `guest` or `order`, if present."""
        link = self._get(key, Mapping, "a link object")
        if link is None:
            return None
        inner = Reader(link, f"{self.what}.{key}")
        ref = inner.text("ref") or ref_from_href(inner.text("href") or "")
        if inner.unreadable:
            self.keep(key, link)
        return normal_ref(ref) if ref else None

    def collection_refs(self, key: str) -> tuple[str, ...]:
        """Refs of an embedded `{"items": [{href, ref}]}`; the legacy `{href}` form → ()."""
        collection = self._get(key, Mapping, "a collection object")
        if collection is None or collection.get("items") is None:
            return ()
        items = collection["items"]
        if not isinstance(items, list):
            self.keep(key, collection)
            return ()
        refs = []
        for index, item in enumerate(items):
            if isinstance(item, str):  # legacy pages show bare href strings
                refs.append(normal_ref(ref_from_href(item)))
                continue
            try:
                refs.append(Reader(item, f"{self.what}.{key}.items[{index}]").ref())
            except CdpUpstreamError:
                self.keep(key, collection)
        return tuple(refs)


# (python attribute, CDP field, reader method): one table drives from_api and to_api.
FieldSpec = tuple[tuple[str, str, str], ...]
TIMESTAMPS: FieldSpec = (
    ("created_at", "createdAt", "instant"),
    ("modified_at", "modifiedAt", "instant"),
)


def foreign_fields(
    raw: Mapping[str, Any], unreadable: Mapping[str, Any], known: AbstractSet[str]
) -> dict[str, Any]:
    """What a record holds beyond what it reads: unreadable values, then unknown fields."""
    found = dict(unreadable)
    found.update((key, value) for key, value in raw.items() if key not in known)
    return found


def read_fields(reader: Reader, spec: FieldSpec) -> dict[str, Any]:
    """Read every field of `spec` (missing ones → None or ())."""
    return {attr: getattr(reader, kind)(key) for attr, key, kind in spec}


def dump_fields(record: object, spec: FieldSpec) -> dict[str, Any]:
    """`ref` plus the fields of `spec` that have a value, under CDP's names, JSON-safe."""
    body: dict[str, Any] = {"ref": record.ref}  # type: ignore[attr-defined]
    for attr, key, kind in spec:
        value = getattr(record, attr)
        if value is None or value == ():
            continue
        if kind == "instant":
            value = to_cdp_json(value)
        elif kind == "number":
            value = json_number(value)
        elif kind == "texts":
            value = list(value)
        body[key] = value
    return body
