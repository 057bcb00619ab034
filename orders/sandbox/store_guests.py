"""Guest search and retrieval (`shared/cdp-api/guest-lookup.md`, cited as G§), read only.

Guests exist only through contacts and consumers (G§6.1 point 2); every [INF] choice below is
a switch of `SandboxConfig` (see its docstring).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import ApiError, bad_request, not_found
from .paging import ListRequest, collection
from .records import GUEST_LIST_FIELDS, GUEST_SCALAR_FIELDS, Guest
from .store_base import StoreBase
from .util import format_ms

SEARCH_PARAMS = (
    "email",
    "email.untouched",
    "phoneNumber",
    "firstName",
    "lastName",
    "identifiers.provider",
    "identifiers.id",
)
CONTROL_PARAMS = frozenset({"offset", "limit", "expand"})


class GuestOps(StoreBase):
    def _guest_visible(self, guest: Guest) -> bool:
        if self.config.guests_outlive_people:
            return True
        people = [*self.contacts.values(), *self.consumers.values()]
        return any(person.guest_ref == guest.ref for person in people)

    def _guest_type(self, guest: Guest) -> str:
        # G§3.3 [INF]: identified (an identifier) or ever an order contact → customer.
        identified = bool(guest.fields.get("identifiers"))
        consumer = guest.was_consumer and self.config.guest_consumer_makes_customer
        return "customer" if identified or guest.was_contact or consumer else "visitor"

    def render_guest(self, guest: Guest, api: str = "v2.1") -> dict[str, Any]:
        body: dict[str, Any] = {
            "href": self.href(f"/guests/{guest.ref}", api),
            "ref": guest.ref,
            "guestType": self._guest_type(guest),
            "createdAt": format_ms(guest.created_ms),
            "modifiedAt": format_ms(guest.modified_ms),
            "firstSeen": format_ms(guest.created_ms),
            "lastSeen": format_ms(guest.modified_ms),
        }
        for name in (*GUEST_SCALAR_FIELDS, *GUEST_LIST_FIELDS):
            if name in guest.fields:
                body[name] = guest.fields[name]
        if api == "v2.1" and guest.fields.get("emails"):
            body["email"] = guest.fields["emails"][0]  # G§3.2: v2.1 has `email` and `emails`
        return body

    def get_guest(self, ref: str, api: str = "v2.1") -> dict[str, Any]:
        with self.lock:
            guest = self.guests.guests.get(ref.lower())
            if guest is None or not self._guest_visible(guest):
                raise not_found()
            return self.render_guest(guest, api)

    def _criteria(self, request: ListRequest) -> list[tuple[str, str]]:
        config = self.config
        if config.guest_unknown_params == "400":
            unknown = sorted({k for k, _ in request.params} - set(SEARCH_PARAMS) - CONTROL_PARAMS)
            if unknown:
                raise bad_request(f"{unknown[0]}: is not a search parameter.")
        criteria = []
        for name, value in request.params:
            if name not in SEARCH_PARAMS:
                continue
            if not value.strip():
                if config.guest_search_blank_is_absent:
                    continue
                raise bad_request(f"{name}: may not be blank.")
            criteria.append((name, value))
        given = {name for name, _ in criteria}
        pair = {"identifiers.provider", "identifiers.id"}
        if config.guest_identifier_pair == "400" and len(given & pair) == 1:
            raise bad_request("identifiers.provider and identifiers.id must be given together.")
        if not criteria and config.guest_search_empty == "400":
            raise bad_request("At least one search parameter is required.")
        return criteria

    def _matcher(self, name: str, value: str) -> Callable[[Guest], bool]:
        fold: Callable[[str], str] = (
            (lambda text: text) if self.config.guest_search_case_sensitive else str.casefold
        )

        def any_of(values: Any, exact: bool = False) -> bool:
            want = value if exact else fold(value)
            return any(
                isinstance(v, str) and (v if exact else fold(v)) == want for v in values or ()
            )

        if name == "email":
            return lambda g: any_of(g.fields.get("emails"))
        if name == "email.untouched":
            return lambda g: any_of(g.fields.get("emails"), exact=True)
        if name == "phoneNumber":
            return lambda g: any_of(g.fields.get("phoneNumbers"), exact=True)
        if name in ("firstName", "lastName"):
            index = 0 if name == "firstName" else 1
            return lambda g: any_of([pair[index] for pair in g.names])
        key = "provider" if name == "identifiers.provider" else "id"
        return lambda g: any(ident.get(key) == value for ident in g.fields.get("identifiers") or ())

    def _matches(self, guest: Guest, criteria: list[tuple[str, str]]) -> bool:
        provider = next((v for k, v in criteria if k == "identifiers.provider"), None)
        ident = next((v for k, v in criteria if k == "identifiers.id"), None)
        results = []
        for name, value in criteria:
            if name.startswith("identifiers.") and provider is not None and ident is not None:
                continue  # the pair is matched together, below
            results.append(self._matcher(name, value)(guest))
        if provider is not None and ident is not None:
            results.append(
                {"provider": provider, "id": ident}
                in [
                    {"provider": i.get("provider"), "id": i.get("id")}
                    for i in guest.fields.get("identifiers") or ()
                ]
            )
        if self.config.guest_search_combine == "or":
            return any(results)
        return all(results)

    def search_guests(self, request: ListRequest, api: str = "v2.1") -> dict[str, Any]:
        """GET /v2.1/guests?… (and legacy /v2/guests) (G§2, G§6.1 points 3–5)."""
        with self.lock:
            config = self.config
            criteria = self._criteria(request)
            found = [
                guest
                for guest in sorted(self.guests.guests.values(), key=lambda g: g.seq)
                if self._guest_visible(guest) and (not criteria or self._matches(guest, criteria))
            ]
            if not found and config.guest_search_no_match == "404":
                raise ApiError(404, "No guests found")

            def link(guest: Guest) -> dict[str, str]:
                body = {"href": self.href(f"/guests/{guest.ref}", api)}
                if api == "v2.1" and config.guest_link_ref:
                    body["ref"] = guest.ref
                return body

            def render(guest: Guest) -> dict[str, Any]:
                return self.render_guest(guest, api) if config.guest_search_expand else link(guest)

            paged = {"offset", "limit"} & {name for name, _ in request.params}
            if config.guest_search_paging == "400" and paged:
                raise bad_request(f"{sorted(paged)[0]}: pagination is not supported here.")
            if config.guest_search_paging == "page":
                return collection(request, found, render, link)
            make = render if request.expand else link
            own = request.base_url + request.path
            return {
                "href": own + (f"?{request.raw_query}" if request.raw_query else ""),
                "items": [make(guest) for guest in found],
            }
