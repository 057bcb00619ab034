"""Stored records of the sandbox and the guest registry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ExtensionKind = Literal["order", "orderItem"]


@dataclass
class Order:
    ref: str
    seq: int
    created_ms: int
    modified_ms: int
    ordered_ms: int
    fields: dict[str, Any]
    item_refs: list[str] = field(default_factory=list)
    contact_refs: list[str] = field(default_factory=list)
    consumer_refs: list[str] = field(default_factory=list)

    @property
    def reference_id(self) -> str:
        return str(self.fields["referenceId"])


@dataclass
class Item:
    ref: str
    order_ref: str
    created_ms: int
    modified_ms: int
    fields: dict[str, Any]


@dataclass
class Person:
    """An order contact or consumer; `item_refs` is only used by consumers."""

    ref: str
    order_ref: str
    created_ms: int
    modified_ms: int
    fields: dict[str, Any]
    guest_ref: str
    item_refs: list[str] = field(default_factory=list)


@dataclass
class Extension:
    ref: str
    kind: ExtensionKind
    parent_ref: str
    created_ms: int
    modified_ms: int
    pairs: dict[str, Any]


# Linking a person merges these into its guest: lists are united, other fields overwritten.
GUEST_LIST_FIELDS = ("emails", "phoneNumbers", "identifiers", "street")
GUEST_SCALAR_FIELDS = (
    "title",
    "firstName",
    "lastName",
    "gender",
    "dateOfBirth",
    "nationality",
    "passportNumber",
    "passportExpiry",
    "country",
    "city",
    "state",
)


@dataclass
class Guest:
    """A guest as contacts and consumers made it (guest-lookup.md §6.1 point 2).

    `fields` holds the latest value of each scalar and the union of each list; `names` every
    (firstName, lastName) it was linked with, so a search by an earlier name still finds it.
    """

    ref: str
    seq: int
    created_ms: int
    modified_ms: int
    fields: dict[str, Any] = field(default_factory=dict)
    names: list[tuple[str | None, str | None]] = field(default_factory=list)
    was_contact: bool = False
    was_consumer: bool = False

    def merge(self, person: dict[str, Any], kind: str, now: int) -> None:
        for name in GUEST_SCALAR_FIELDS:
            if person.get(name) is not None:
                self.fields[name] = person[name]
        for name in GUEST_LIST_FIELDS:
            merged = list(self.fields.get(name) or [])
            merged += [value for value in person.get(name) or [] if value not in merged]
            if merged:
                self.fields[name] = merged
        pair = (person.get("firstName"), person.get("lastName"))
        if pair != (None, None) and pair not in self.names:
            self.names.append(pair)
        self.was_contact |= kind == "contact"
        self.was_consumer |= kind == "consumer"
        self.modified_ms = now


class GuestRegistry:
    """Identity resolution for contacts and consumers (§12.2 [INF]), and the guests it made.

    A person matches a guest by any identifiers (provider, id) pair, else by the first email
    (case-insensitive); otherwise the caller's fallback (its current guest, or a new one).
    """

    def __init__(self) -> None:
        self.by_identifier: dict[tuple[str, str], str] = {}
        self.by_email: dict[str, str] = {}
        self.guests: dict[str, Guest] = {}

    def match(self, fields: dict[str, Any]) -> str | None:
        for ident in fields.get("identifiers") or []:
            guest = self.by_identifier.get((ident["provider"], ident["id"]))
            if guest is not None:
                return guest
        emails = fields.get("emails") or []
        if emails:
            return self.by_email.get(emails[0].lower())
        return None

    def register(self, guest_ref: str, fields: dict[str, Any], kind: str, now: int) -> None:
        for ident in fields.get("identifiers") or []:
            self.by_identifier.setdefault((ident["provider"], ident["id"]), guest_ref)
        for email in fields.get("emails") or []:
            self.by_email.setdefault(email.lower(), guest_ref)
        guest = self.guests.get(guest_ref)
        if guest is None:
            guest = Guest(guest_ref, len(self.guests) + 1, now, now)
            self.guests[guest_ref] = guest
        guest.merge(fields, kind, now)
