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


class GuestRegistry:
    """Identity resolution for contacts and consumers (§12.2 [INF]).

    A person matches a guest by any identifiers (provider, id) pair, else by the first email
    (case-insensitive); otherwise the caller's fallback (its current guest, or a new one).
    """

    def __init__(self) -> None:
        self.by_identifier: dict[tuple[str, str], str] = {}
        self.by_email: dict[str, str] = {}

    def match(self, fields: dict[str, Any]) -> str | None:
        for ident in fields.get("identifiers") or []:
            guest = self.by_identifier.get((ident["provider"], ident["id"]))
            if guest is not None:
                return guest
        emails = fields.get("emails") or []
        if emails:
            return self.by_email.get(emails[0].lower())
        return None

    def register(self, guest_ref: str, fields: dict[str, Any]) -> None:
        for ident in fields.get("identifiers") or []:
            self.by_identifier.setdefault((ident["provider"], ident["id"]), guest_ref)
        for email in fields.get("emails") or []:
            self.by_email.setdefault(email.lower(), guest_ref)
