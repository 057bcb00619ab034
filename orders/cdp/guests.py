"""Finding guests (the people CDP links orders to) by email, phone or identifier.

Reference: shared/cdp-api/guest-lookup.md (cited as G§n). The legacy `GET /v2/guests` search
is documented; its v2.1 twin and most matching rules are inferred, so the client is written
to work under either reading wherever the two differ:

* items may be full guests (`expand=true` honoured) or bare links; links are fetched one by one;
* `offset`/`limit` may page, be ignored or be refused with 400 (then the search is re-sent
  without them, G§2.4); more than `GUEST_SEARCH_LIMIT` answers is "refine the search";
* `email` may match case-insensitively or not: the address goes out trimmed and lower-cased,
  and if nothing matches and the typed address had capitals, `email.untouched` is tried;
* several parameters may AND or OR: a name refinement is also applied here, on the answers;
* a search may answer 404 for "nothing found" rather than an empty collection.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any
from urllib.parse import quote

from orders.cdp.base import ClientBase
from orders.cdp.errors import CdpNotFound, CdpUpstreamError, CdpValidationError
from orders.cdp.parsing import UUID_RE, FrozenJson, Reader, freeze, malformed
from orders.cdp.paths import LEGACY_API, check_ref, path

GUEST_API_PATHS = {"v2.1": "/v2.1", "v2": LEGACY_API}
GUEST_SEARCH_LIMIT = 100
# What a collection item carries when it is only a link, not an expanded guest.
_LINK_KEYS = frozenset({"href", "ref"})


@dataclass(frozen=True)
class GuestIdentifier:
    """An identity the guest is known by elsewhere: `provider` (e.g. LOYALTY) and `id`."""

    provider: str
    id: str
    expiry_date: datetime | None = None


def _lenient(read: Any, key: str, empty: Any = None) -> Any:
    """`read(key)`, or `empty` when CDP sent a value of another type (it stays in `raw`)."""
    try:
        return read(key)
    except CdpUpstreamError:
        return empty


def _identifiers(reader: Reader) -> tuple[GuestIdentifier, ...]:
    value = reader.data.get("identifiers")
    if not isinstance(value, list):
        return ()
    found = []
    for entry in value:
        if not isinstance(entry, Mapping):
            continue
        inner = Reader(entry, "guest.identifiers[]")
        provider, ident = _lenient(inner.text, "provider"), _lenient(inner.text, "id")
        if provider and ident:
            found.append(GuestIdentifier(provider, ident, _lenient(inner.instant, "expiryDate")))
    return tuple(found)


_TEXT: tuple[tuple[str, str], ...] = (
    ("guest_type", "guestType"),
    ("title", "title"),
    ("first_name", "firstName"),
    ("last_name", "lastName"),
    ("gender", "gender"),
    ("email", "email"),
)
_TEXTS = ("emails", "emails"), ("phone_numbers", "phoneNumbers")
_INSTANTS: tuple[tuple[str, str], ...] = (
    ("created_at", "createdAt"),
    ("modified_at", "modifiedAt"),
    ("first_seen", "firstSeen"),
    ("last_seen", "lastSeen"),
)


@dataclass(frozen=True)
class Guest:
    """A guest (G§3.2), parsed leniently: only `ref` is required, odd values become None.

    `complete` is False for a bare collection link (no expansion); `guest_type` is open text
    (`visitor`, `customer`, `traveller` are documented; others are shown as they come).
    Passport fields are never read into the record (G§5); they stay in `raw` only.
    """

    ref: str
    guest_type: str | None = None
    title: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    gender: str | None = None
    email: str | None = None
    emails: tuple[str, ...] = ()
    phone_numbers: tuple[str, ...] = ()
    identifiers: tuple[GuestIdentifier, ...] = ()
    created_at: datetime | None = None
    modified_at: datetime | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    href: str | None = None
    complete: bool = True
    raw: Mapping[str, Any] = field(default_factory=FrozenJson, repr=False, compare=False)

    @classmethod
    def from_api(cls, payload: object) -> Guest:
        reader = Reader(payload, "guest")
        values: dict[str, Any] = {
            attr: _lenient(reader.text, key) for attr, key in (*_TEXT, ("href", "href"))
        }
        values.update({attr: _lenient(reader.texts, key, ()) for attr, key in _TEXTS})
        values.update({attr: _lenient(reader.instant, key) for attr, key in _INSTANTS})
        ref = reader.ref()
        if not UUID_RE.fullmatch(ref):
            raise malformed("guest.ref: not a UUID")  # G§6.2: validated before it is reused
        return cls(
            ref=ref,
            identifiers=_identifiers(reader),
            complete=not set(reader.data) <= _LINK_KEYS,
            raw=freeze(payload),
            **values,
        )

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    @property
    def all_emails(self) -> tuple[str, ...]:
        """`email` and `emails` together, each address once (v2.1 has both, v2 only `emails`)."""
        found = [self.email] if self.email else []
        return tuple(dict.fromkeys([*found, *self.emails]))


@dataclass(frozen=True)
class GuestQuery:
    """What to look guests up by: an email, a phone number or an identifier pair.

    `first_name`/`last_name` only narrow one of those (CDP lists everyone, or refuses, for a
    name alone: G§2.2). Values are normalised as CDP suggests: trimmed, emails lower-cased.
    """

    email: str = ""
    phone_number: str = ""
    provider: str = ""
    identifier_id: str = ""
    first_name: str = ""
    last_name: str = ""

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if not isinstance(value, str):
                raise ValueError(f"{item.name} must be a string.")
            object.__setattr__(self, item.name, value.strip())
        if bool(self.provider) != bool(self.identifier_id):
            raise ValueError("An identifier needs both its provider and its id.")
        keys = [bool(self.email), bool(self.phone_number), bool(self.provider)]
        if sum(keys) != 1:
            raise ValueError("Search by exactly one of email, phone number and identifier.")

    def params(self, *, untouched_email: bool = False) -> list[tuple[str, str]]:
        """The query parameters CDP takes (G§2.2), empty ones left out."""
        if untouched_email:
            email = [("email.untouched", self.email)]
        else:
            email = [("email", self.email.lower())]
        pairs = [
            *(email if self.email else []),
            ("phoneNumber", self.phone_number),
            ("identifiers.provider", self.provider),
            ("identifiers.id", self.identifier_id),
            ("firstName", self.first_name),
            ("lastName", self.last_name),
        ]
        return [(name, value) for name, value in pairs if value]

    def narrows(self, guest: Guest) -> bool:
        """Whether `guest` has the names asked for (case-insensitive, whole value)."""
        wanted = ((self.first_name, guest.first_name), (self.last_name, guest.last_name))
        return all(not want or (have or "").casefold() == want.casefold() for want, have in wanted)


@dataclass(frozen=True)
class GuestMatches:
    """The guests a search found (at most `GUEST_SEARCH_LIMIT`); `more` when CDP had more."""

    guests: tuple[Guest, ...]
    more: bool = False

    def __len__(self) -> int:
        return len(self.guests)


def encode_query(params: list[tuple[str, str | int]]) -> str:
    """A query string with every value percent-encoded (`+` → %2B, space → %20, `@` → %40)."""
    return "&".join(f"{quote(key, safe='.')}={quote(str(value), safe='')}" for key, value in params)


class GuestOperations(ClientBase):
    """Guest search and retrieval; `guest_api` picks v2.1 (default) or legacy /v2 paths."""

    def guest_search_path(self) -> str:
        """The search's path (no query): what an audit row may show of a lookup."""
        return path("guests", api=GUEST_API_PATHS[self.guest_api])

    def guest_path(self, guest_ref: str) -> str:
        api = GUEST_API_PATHS[self.guest_api]
        return path("guests", check_ref(guest_ref, "guest reference"), api=api)

    # DOC: shared/cdp-api/guest-lookup.md §3.1 (GET /v2.1/guests/{guestRef}), G-GET2 (legacy)
    def guest_get(self, guest_ref: str) -> Guest:
        """The guest; `CdpNotFound` when CDP has none (or it was merged and retired, G§3.3)."""
        return self._record("GET", self.guest_path(guest_ref), Guest.from_api)

    # DOC: shared/cdp-api/guest-lookup.md §2 (GET /v2/guests?…; INF for v2.1), §6.2
    def guests_search(self, query: GuestQuery) -> GuestMatches:
        """Guests matching `query`: one page of up to 100, expanded, names narrowed locally."""
        if not isinstance(query, GuestQuery):
            raise ValueError("guests_search takes a GuestQuery.")
        matches = self._search(query.params())
        if not matches.guests and query.email and query.email != query.email.lower():
            matches = self._search(query.params(untouched_email=True))
        guests = tuple(guest for guest in matches.guests if query.narrows(guest))
        return replace(matches, guests=guests)

    def _search(self, params: list[tuple[str, str]]) -> GuestMatches:
        target = self.guest_search_path()
        paging: list[tuple[str, str | int]] = [("offset", 0), ("limit", GUEST_SEARCH_LIMIT)]
        try:
            try:
                payload = self.transport.call(
                    "GET", target, params=encode_query([*params, ("expand", "true"), *paging])
                )
            except CdpValidationError as exc:
                said = f"{exc.cdp_message or ''} {exc.field or ''}".lower()
                if "offset" not in said and "limit" not in said:
                    raise
                # G§2.4: paging may be unsupported on guest search; ask once without it.
                payload = self.transport.call(
                    "GET", target, params=encode_query([*params, ("expand", "true")])
                )
        except CdpNotFound:
            return GuestMatches(())  # G§2.3 [INF]: a search that found nothing may say 404
        return self._parsed(self._matches, payload, "GET", target)

    def _matches(self, payload: Any) -> GuestMatches:
        reader = Reader(payload, "guest collection")
        items = reader.data.get("items", [])
        if not isinstance(items, list):
            raise malformed("guest collection.items: expected a list")
        if any(key in reader.data for key in ("first", "last", "next")):
            more = bool(reader.data.get("next")) or len(items) > GUEST_SEARCH_LIMIT
        else:  # no links: a full page may hide more (G§2.4)
            more = len(items) >= GUEST_SEARCH_LIMIT
        guests = [Guest.from_api(item) for item in items[:GUEST_SEARCH_LIMIT]]
        links = [guest.ref for guest in guests if not guest.complete]
        if links:
            fetched = dict(zip(links, self._executor.map(self._guest_or_none, links), strict=True))
            # A linked guest that is gone (None) drops out.
            completed = [fetched.get(g.ref, g) if not g.complete else g for g in guests]
            guests = [guest for guest in completed if guest is not None]
        unique = {guest.ref: guest for guest in guests}
        return GuestMatches(tuple(unique.values()), more=more)

    def _guest_or_none(self, guest_ref: str) -> Guest | None:
        try:
            return self.guest_get(guest_ref)
        except CdpNotFound:
            return None  # listed but gone (merged meanwhile): not a match any more
