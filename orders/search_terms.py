"""What a typed or pasted value can name, tried in order: the header search, the search
page and the paste-many lookup all read input through `search_terms`.

To search by another kind of value (an email, a phone, "provider:id"), add a kind here,
recognise it in `search_terms` and answer it in `find_page`; every caller follows. Values
that name a customer rather than an order (an email, a phone number, `provider:id`) are
told apart by `classify`, which the search box (`orders.views.find`) asks first: those go
to the guest lookup, never into a URL.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from orders.cdp import CdpClient, CdpNotFound
from orders.cdp.records import Order, Page
from orders.converters import CdpRefConverter

ORDER_REF = "orderRef"
GUEST_REF = "guestRef"
REFERENCE_ID = "referenceId"
SEARCH_KINDS = (ORDER_REF, GUEST_REF, REFERENCE_ID)
KIND_WORDS = {ORDER_REF: "order ref", GUEST_REF: "guest ref", REFERENCE_ID: "referenceId"}
UUID_RE = re.compile(f"^{CdpRefConverter.regex}$")
# What one search box can take; "auto" lets `classify` decide.
BOX_KINDS = {
    "auto": "Work it out",
    "referenceId": "Order referenceId",
    "guestRef": "Guest ref",
    "email": "Email address",
    "phone": "Phone number",
    "identifier": "Identifier (provider:id)",
}
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")
# `+` or a digit first, then digits and the usual separators; at least 7 digits in all.
PHONE_RE = re.compile(r"^(?=(?:\D*\d){7})[+\d][\d ()./-]*$")
# A provider (letters first, e.g. LOYALTY, CRM_SYSTEM) and a non-empty id.
IDENTIFIER_RE = re.compile(r"^[A-Za-z][\w.-]*:\S.*$")


@dataclass(frozen=True)
class Term:
    """One reading of the input: search CDP for `value` as a `kind`."""

    kind: str
    value: str
    typed: str

    @property
    def retried(self) -> bool:
        """True for the upper-case retry of a referenceId (CDP matches exactly)."""
        return self.kind == REFERENCE_ID and self.value != self.typed

    @property
    def kind_words(self) -> str:
        return KIND_WORDS.get(self.kind, self.kind)

    def retry_note(self) -> str:
        """ "Showing DEMO-1 — you typed demo-1."; "" when the value was used as typed."""
        return f"Showing {self.value} — you typed {self.typed}." if self.retried else ""


def search_terms(
    text: str, *, kinds: Sequence[str] = SEARCH_KINDS, retry_upper: bool = True
) -> list[Term]:
    """The readings of `text` to try, in order, until one finds orders.

    A UUID is an order ref, else a guest ref, else a referenceId (some organisations number
    orders with UUIDs). Anything else is a referenceId as typed and then, once, upper-cased.
    """
    typed = text.strip()
    if not typed:
        return []
    terms = []
    if UUID_RE.match(typed):
        ref = typed.lower()
        terms += [Term(kind, ref, typed) for kind in (ORDER_REF, GUEST_REF) if kind in kinds]
    if REFERENCE_ID in kinds:
        terms.append(Term(REFERENCE_ID, typed, typed))
        if retry_upper and typed.upper() != typed:
            terms.append(Term(REFERENCE_ID, typed.upper(), typed))
    return terms


def find_page(client: CdpClient, term: Term, *, offset: int = 0, limit: int = 10) -> Page[Order]:
    """One page of the orders `term` names. Raises the client's `CdpError`s (not NotFound)."""
    if term.kind == ORDER_REF:
        try:
            found: tuple[Order, ...] = (client.order_get(term.value),) if offset == 0 else ()
        except CdpNotFound:
            found = ()
        return Page(offset=offset, limit=limit, items=found, has_next=False, next_offset=None)
    if term.kind == GUEST_REF:
        return client.orders_search(guest_ref=term.value, offset=offset, limit=limit)
    return client.orders_search(reference_id=term.value, offset=offset, limit=limit)


def first_page(
    client: Any, terms: Sequence[Term], *, offset: int = 0, limit: int = 10
) -> tuple[Term, Page[Order]]:
    """The first term that finds orders, with its page; else the first term and its empty
    page (so "no order has this referenceId" names what the user typed)."""
    if not terms:
        raise ValueError("Nothing to search for.")
    empty: Page[Order] | None = None
    for term in terms:
        page = find_page(client, term, offset=offset, limit=limit)
        if page.items:
            return term, page
        empty = empty or page
    assert empty is not None
    return terms[0], empty


def classify(text: str, kind: str = "auto") -> tuple[str, str]:
    """(kind, value) for what was typed: the kind forced by the user, else the likeliest.

    Kinds: "guestRef" (a UUID), "identifier" (`provider:id`), "email" (has an @), "phone"
    (`+` or a digit first, 7 digits or more), else "referenceId". Raises `ValueError` with a
    sentence when the value cannot be what the user said it is.
    """
    value = text.strip()
    if not value:
        raise ValueError("Type something to search for.")
    if kind == "auto":
        if UUID_RE.match(value):
            kind = "guestRef"
        elif IDENTIFIER_RE.match(value):
            kind = "identifier"
        elif EMAIL_RE.match(value):
            kind = "email"
        elif PHONE_RE.match(value):
            kind = "phone"
        else:
            kind = "referenceId"
    elif kind not in BOX_KINDS:
        raise ValueError("Choose what to search as.")
    if kind == "guestRef" and not UUID_RE.match(value):
        raise ValueError("A guest ref is a UUID, e.g. 3b5cb55e-c616-424a-991c-a241d0024896.")
    if kind == "guestRef":
        value = value.lower()
    if kind == "identifier" and not IDENTIFIER_RE.match(value):
        raise ValueError("An identifier is written provider:id, for example LOYALTY:12345.")
    if kind == "email" and not EMAIL_RE.match(value):
        raise ValueError("That is not an email address (it needs an @).")
    return kind, value
