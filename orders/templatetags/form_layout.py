"""Form layout for the edit screens: fields grouped into fieldsets, the admin's way."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()

_PERSON = (
    ("Person", ("title", "firstName", "lastName", "gender", "dateOfBirth", "nationality")),
    ("Contact details", ("emails", "phoneNumbers")),
    ("Address", ("street", "city", "state", "country")),
    ("Passport and identifiers", ("passportNumber", "passportExpiry", "identifiers")),
)
FIELDSETS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "order": (
        ("Order", ("referenceId", "orderedAt", "status", "channel", "pointOfSale")),
        ("Payment", ("price", "currencyCode", "paymentType", "cardType")),
    ),
    "order_item": (
        ("Item", ("name", "type", "status", "quantity", "description")),
        ("Price", ("price", "currencyCode", "originalPrice", "originalCurrencyCode")),
        ("References", ("referenceId", "productId", "vendor", "language", "channel")),
    ),
    "contact": _PERSON,
    "consumer": _PERSON,
}


@register.simple_tag
def form_fieldsets(form: Any, kind: str = "") -> list[tuple[str, list[Any]]]:
    """(title, bound fields) per fieldset; fields no fieldset names come last, under "Other"."""
    visible = {field.name: field for field in form.visible_fields()}
    groups = []
    for title, names in FIELDSETS.get(kind, ()):
        fields = [visible.pop(name) for name in names if name in visible]
        if fields:
            groups.append((title, fields))
    if visible:
        groups.append(("Other" if groups else "", list(visible.values())))
    return groups


@register.filter
def shown_value(field: Any) -> Any:
    """A read-only field's value as text: a choice's label, or the value, or an em dash."""
    value = field.value()
    choices = dict(getattr(field.field, "choices", ()) or ())
    if value in choices:
        return choices[value] or "—"
    return "—" if value in (None, "", []) else value


@register.filter
def record_name(record: Any) -> str:
    """What people call a CDP record: an order's referenceId, an item's name, a person's name."""
    if record is None:
        return ""
    names = (getattr(record, "first_name", ""), getattr(record, "last_name", ""))
    person = " ".join(part for part in names if part)
    emails = getattr(record, "emails", ()) or ()
    for candidate in (
        getattr(record, "reference_id", None) if hasattr(record, "ordered_at") else None,
        getattr(record, "name", None),
        person,
        emails[0] if emails else None,
        getattr(record, "reference_id", None),
        getattr(record, "ref", None),
    ):
        if isinstance(candidate, str) and candidate.strip():
            return candidate.strip()
    return ""
