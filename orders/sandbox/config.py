"""Configuration of the CDP sandbox: credentials, [INF] behaviour switches and fault injection.

Every behaviour of the Order API that the reference (`shared/cdp-api/order-api-v2.1.md`) only
infers is a named switch here, so a test can state which assumption it relies on. The fault
fields are not CDP behaviour; they may be changed on a running server.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal, get_args

MatchMode = Literal["upsert", "conflict", "duplicate"]
ExtCreateConflict = Literal["409", "400", "merge"]
GuestSearchEmpty = Literal["400", "all"]
GuestSearchCombine = Literal["and", "or"]
GuestIdentifierPair = Literal["400", "partial"]
GuestUnknownParams = Literal["ignore", "400"]
GuestSearchPaging = Literal["page", "ignore", "400"]
GuestNoMatch = Literal["empty", "404"]

FAULT_FIELDS = frozenset(
    {
        "latency_ms",
        "jitter_ms",
        "rate_limit_per_s",
        "error_rate_500",
        "error_rate_503",
        "drop_rate",
        "slow_rate",
        "slow_s",
        "fault_seed",
    }
)


@dataclass
class SandboxConfig:
    """Settings of one sandbox server; read on every request, so changes apply at once.

    Credentials:
    - client_key / api_token: the HTTP Basic user name and password (§3).
    - public_base_url: prefix of every `href`; None means the server's own http://host:port
      (§14.1.1).

    [INF] switches (each cites the section of the reference it implements):
    - accept_bearer: accept any `Authorization: Bearer <token>` as well as Basic (§3, §14.1.2).
    - match_mode: what a create matching an existing order (same referenceId, orderedAt
      within 48 h) does: "upsert" updates it and returns 201 with its ref, "conflict" answers
      409, "duplicate" creates another order (§7).
    - match_window_hours: the matching rule's window, also used to accept an update's
      orderedAt (§7).
    - ext_create_conflict: POST of a data extension that exists: "409", "400" or "merge" (§11.6).
    - ext_strict_body: `name`/`key` in an extension body are rejected with 400 instead of
      ignored (§11.1).
    - consumer_require_names: consumers need firstName and lastName (§12.1).
    - item_patch_strict: an item PATCH must carry the item's required fields, like PUT (§10.3).
    - ignore_unknown_fields: unknown body fields are ignored; False answers 400 (§9.1, §14.1.8).
    - single_contact: an order has at most one contact; a second POST answers 409 (§12.5).
    - guest_search_includes_consumers: `GET /orders?guestRef=` also finds orders where the
      guest is a consumer, not only the contact (§9.4, §14.1.7).
    - normalize_datetimes: orderedAt is stored and returned in UTC as `…sssZ`; False echoes
      the string sent (§4.1).
    - item_order_link: item responses carry `order: {href}` (§10.2).
    - child_change_bumps_order: a change to an item, contact, consumer or extension also
      bumps the order's modifiedAt (§14.1.10).
    - require_json_content_type: bodies without `Content-Type: application/json` get 415 (§3).
    - embedded_expand_limit: page size of a collection expanded inside a GET order
      (`?expand=orderItems`) (§9.5).

    Guest lookup [INF] switches (`shared/cdp-api/guest-lookup.md` §6.1, cited as G§):
    - guest_legacy_api: also serve the legacy `GET /v2/guests[/{ref}]` (G§6.1.1).
    - guest_search_empty: a search without any search parameter: "400" or "all" guests (G§2.2).
    - guest_search_blank_is_absent: `email=` counts as not given; False answers 400 (G§6.1.3).
    - guest_search_combine: several parameters "and" (all must match) or "or" (G§2.2).
    - guest_identifier_pair: `identifiers.provider` without `identifiers.id` (or the reverse):
      "400", or "partial" (matches on the one given) (G§2.2).
    - guest_unknown_params: unknown query parameters "ignore"d or answered with "400" (G§6.1.3).
    - guest_search_case_sensitive: `email`, `firstName`, `lastName` match case-sensitively;
      False compares them case-insensitively (`email.untouched` is always exact) (G§2.2).
    - guest_search_paging: `offset`/`limit` "page" like every collection, are "ignore"d (the
      whole result in one answer) or refused with "400" (G§2.4).
    - guest_link_ref: v2.1 search items carry `ref` besides `href` (legacy: `href` only) (G§2.3).
    - guest_search_expand: `expand=true` inlines full guests; False always lists bare links
      (G§2.3).
    - guest_search_no_match: a search that finds nothing: "empty" 200 or "404" (G§2.3).
    - guest_consumer_makes_customer: being a consumer makes a guest a customer, as being a
      contact or having an identifier does (G§3.3, open question 6).
    - guests_outlive_people: a guest stays when its contacts and consumers are deleted;
      False makes a guest with no linked person unknown (404) (G§4).

    Faults (not CDP behaviour; for tests and benchmarks):
    - latency_ms + jitter_ms: fixed delay plus a uniform random 0..jitter_ms before answering.
    - rate_limit_per_s: token bucket over all requests (burst = the rate); over it → 429 with
      `Retry-After`; 0 disables.
    - error_rate_500 / error_rate_503: probability of answering 500 / 503.
    - drop_rate: probability of closing the connection without an answer.
    - slow_rate + slow_s: probability of sleeping slow_s seconds before answering normally.
    - fault_seed: seed of the random generator behind the rates above.
    """

    client_key: str = "sandbox-client-key"
    api_token: str = "sandbox-api-token"  # noqa: S105 - the sandbox's documented fixed login
    public_base_url: str | None = None

    accept_bearer: bool = False
    match_mode: MatchMode = "upsert"
    match_window_hours: float = 48.0
    ext_create_conflict: ExtCreateConflict = "409"
    ext_strict_body: bool = False
    consumer_require_names: bool = True
    item_patch_strict: bool = False
    ignore_unknown_fields: bool = True
    single_contact: bool = False
    guest_search_includes_consumers: bool = True
    normalize_datetimes: bool = True
    item_order_link: bool = False
    child_change_bumps_order: bool = False
    require_json_content_type: bool = False
    embedded_expand_limit: int = 100

    guest_legacy_api: bool = True
    guest_search_empty: GuestSearchEmpty = "400"
    guest_search_blank_is_absent: bool = True
    guest_search_combine: GuestSearchCombine = "and"
    guest_identifier_pair: GuestIdentifierPair = "400"
    guest_unknown_params: GuestUnknownParams = "ignore"
    guest_search_case_sensitive: bool = False
    guest_search_paging: GuestSearchPaging = "page"
    guest_link_ref: bool = True
    guest_search_expand: bool = True
    guest_search_no_match: GuestNoMatch = "empty"
    guest_consumer_makes_customer: bool = False
    guests_outlive_people: bool = True

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    rate_limit_per_s: float = 0.0
    error_rate_500: float = 0.0
    error_rate_503: float = 0.0
    drop_rate: float = 0.0
    slow_rate: float = 0.0
    slow_s: float = 0.0
    fault_seed: int = 0

    def update(self, changes: dict[str, Any]) -> None:
        """Set several fields at once (e.g. from JSON), checking names and value types."""
        types = {f.name: f.type for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - set(types))
        if unknown:
            raise ValueError(f"Unknown sandbox config field(s): {', '.join(unknown)}.")
        checked = {name: _coerce(name, str(types[name]), value) for name, value in changes.items()}
        for name, value in checked.items():
            setattr(self, name, value)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


_CHOICES: dict[str, tuple[str, ...]] = {
    "MatchMode": get_args(MatchMode),
    "ExtCreateConflict": get_args(ExtCreateConflict),
    "GuestSearchEmpty": get_args(GuestSearchEmpty),
    "GuestSearchCombine": get_args(GuestSearchCombine),
    "GuestIdentifierPair": get_args(GuestIdentifierPair),
    "GuestUnknownParams": get_args(GuestUnknownParams),
    "GuestSearchPaging": get_args(GuestSearchPaging),
    "GuestNoMatch": get_args(GuestNoMatch),
}


def _coerce(name: str, type_name: str, value: Any) -> Any:
    if type_name in _CHOICES:
        if value not in _CHOICES[type_name]:
            raise ValueError(f"{name} must be one of {', '.join(_CHOICES[type_name])}.")
        return value
    if type_name == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be true or false.")
        return value
    if type_name in ("int", "float"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{name} must be a number.")
        return int(value) if type_name == "int" else float(value)
    if value is None and "None" in type_name:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string.")
    return value
