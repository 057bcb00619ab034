"""Finding the customer: guest lookups by email, phone or identifier, recorded as reads.

An email, a phone number and a loyalty number are personal data, so the audit trail never
holds them: each lookup row keeps the kind of value and a keyed hash of it (HMAC-SHA256 with
`settings.LOOKUP_HMAC_KEY`), how many guests matched and, in a second row, which guest was
opened. A reviewer who types the same value gets the same hash, so the trail can be searched
by value without storing it (shared/cdp-api/guest-lookup.md §5).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.conf import settings

from orders.audit import append_entry
from orders.cdp import CdpError, get_client
from orders.cdp.guests import GuestMatches, GuestQuery
from orders.models import AuditEntry
from orders.selectors.audit import LOOKUP_ACTIONS

LOOKUP_ACTION, OPEN_ACTION = LOOKUP_ACTIONS
GUEST_KINDS = {
    "email": "email address",
    "phone": "phone number",
    "identifier": "identifier (provider:id)",
}


def normalise(kind: str, value: str) -> str:
    """The value as it is searched and hashed: trimmed; emails lower-cased; `provider:id`."""
    if kind not in GUEST_KINDS:
        raise ValueError(f"Not a guest lookup kind: {kind!r}.")
    value = value.strip()
    if kind == "email":
        return value.lower()
    if kind == "identifier":
        provider, _, ident = value.partition(":")
        return f"{provider.strip()}:{ident.strip()}"
    return value


def lookup_hmac(kind: str, value: str) -> str:
    """The keyed hash that stands for `value` in the audit trail (hex, 64 characters)."""
    message = f"{kind}:{normalise(kind, value)}".encode()
    return hmac.new(settings.LOOKUP_HMAC_KEY.encode(), message, hashlib.sha256).hexdigest()


def guest_query(kind: str, value: str, *, first_name: str = "", last_name: str = "") -> GuestQuery:
    """The client's query for a typed value; `ValueError` with a sentence when it is unusable."""
    value = normalise(kind, value)
    names = {"first_name": first_name, "last_name": last_name}
    if kind == "email":
        return GuestQuery(email=value, **names)
    if kind == "phone":
        return GuestQuery(phone_number=value, **names)
    provider, _, ident = value.partition(":")
    if not provider or not ident:
        raise ValueError("An identifier is written provider:id, for example LOYALTY:12345.")
    return GuestQuery(provider=provider, identifier_id=ident, **names)


@dataclass(frozen=True)
class Lookup:
    """What one lookup found, and the audit row that records it."""

    kind: str
    matches: GuestMatches
    entry_id: int


def scrub(text: str, kind: str, value: str) -> str:
    """`text` without the looked-up value (CDP's error sentence may quote the query)."""
    forms = {value.strip(), normalise(kind, value), quote(normalise(kind, value), safe="")}
    if kind == "identifier":
        forms |= set(normalise(kind, value).split(":", 1))
    for form in sorted(filter(None, forms), key=len, reverse=True):
        text = re.sub(re.escape(form), "[the looked-up value]", text, flags=re.IGNORECASE)
    return text


def _payload(kind: str, value: str, *, refined: bool) -> dict[str, Any]:
    return {"kind": kind, "value_hmac": lookup_hmac(kind, value), "refined_by_name": refined}


def lookup_guests(
    *, actor: Any, kind: str, value: str, first_name: str = "", last_name: str = ""
) -> Lookup:
    """Search CDP's guests for `value` and record the lookup (also when CDP fails, then raise).

    Raises `ValueError` for a value that cannot be searched (nothing is sent or recorded) and
    the client's `CdpError` when CDP fails.
    """
    query = guest_query(kind, value, first_name=first_name, last_name=last_name)
    client = get_client()
    record = {
        "actor": actor,
        "actor_username": actor.get_username(),
        "action": LOOKUP_ACTION,
        "phase": AuditEntry.Phase.READ,
        "resource_type": "guest",
        "method": "GET",
        "cdp_path": client.guest_search_path(),
        "request_payload": _payload(kind, value, refined=bool(first_name or last_name)),
    }
    try:
        matches = client.guests_search(query)
    except CdpError as exc:
        append_entry(
            **record,
            cdp_status=exc.status,
            outcome=AuditEntry.Outcome.FAILURE,
            error_message=scrub(exc.message, kind, value),
            request_id=exc.request_id or "",
        )
        raise
    refs = [guest.ref for guest in matches.guests]
    entry = append_entry(
        **record,
        resource_ref=refs[0] if len(refs) == 1 else "",
        after={"matched": len(refs), "more": matches.more, "guest_refs": refs},
        cdp_status=200,
        outcome=AuditEntry.Outcome.SUCCESS,
    )
    return Lookup(kind, matches, entry.pk)


def guest_opened(*, actor: Any, guest_ref: str, kind: str, value_hmac: str, lookup_id: int) -> None:
    """Record that `actor` opened `guest_ref` from the results of lookup row `lookup_id`."""
    append_entry(
        actor=actor,
        actor_username=actor.get_username(),
        action=OPEN_ACTION,
        phase=AuditEntry.Phase.READ,
        resource_type="guest",
        resource_ref=guest_ref,
        method="GET",
        cdp_path=get_client().guest_path(guest_ref),
        request_payload={"kind": kind, "value_hmac": value_hmac, "lookup_id": lookup_id},
        outcome=AuditEntry.Outcome.SUCCESS,
    )
