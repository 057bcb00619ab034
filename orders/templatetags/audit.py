"""Audit entries in words, and before/after diffs that keep JSON types exact."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django import template
from django.utils.text import get_text_list

from orders.models import AuditEntry
from orders.services.checkpoints import RESEAL_RESOURCE
from orders.services.extensions import SCOPES, same_value
from orders.services.resources import KINDS

register = template.Library()

# CDP stamps these on every write; they are not what anyone changed.
TIMESTAMP_FIELDS = frozenset({"ref", "createdAt", "modifiedAt", "href"})
_MISSING = object()


def resource_label(resource_type: str) -> str:
    if resource_type in KINDS:
        return KINDS[resource_type].label
    if resource_type in SCOPES:
        return f"{SCOPES[resource_type].label} extension"
    return resource_type.replace("_", " ")


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def changed_fields(before: Any, after: Any, *, keys: Iterable[str] | None = None) -> list[str]:
    """Names whose JSON value differs between `before` and `after` (absent counts as a value)."""
    old, new = _as_dict(before), _as_dict(after)
    names = keys if keys is not None else sorted(old.keys() | new.keys())
    return [
        name
        for name in names
        if name not in TIMESTAMP_FIELDS
        and ((name in old) != (name in new) or not same_value(old.get(name), new.get(name)))
    ]


@dataclass(frozen=True)
class DiffRow:
    name: str
    before: str
    after: str
    changed: bool


def _show(value: Any) -> str:
    return "—" if value is _MISSING else json.dumps(value, ensure_ascii=False)


def diff_rows(before: Any, after: Any) -> list[DiffRow]:
    """Every field or key of either side, changed ones first, values shown as JSON text."""
    old, new = _as_dict(before), _as_dict(after)
    rows = []
    for name in sorted(old.keys() | new.keys()):
        left, right = old.get(name, _MISSING), new.get(name, _MISSING)
        changed = (left is _MISSING) != (right is _MISSING) or not same_value(left, right)
        rows.append(
            DiffRow(name, _show(left), _show(right), changed and name not in TIMESTAMP_FIELDS)
        )
    return sorted(rows, key=lambda row: not row.changed)


@register.filter
def json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1)


@register.filter
def resource_name(resource_type: str) -> str:
    return resource_label(resource_type)


@register.filter
def audit_sentence(entry: AuditEntry) -> str:
    """The entry in words: "Changed price and status.", "Set loyaltyTier."."""
    label = resource_label(entry.resource_type)
    operation = entry.action.rsplit(".", 1)[-1]
    payload = _as_dict(entry.request_payload)
    if entry.resource_type == RESEAL_RESOURCE:
        checkpoint = _as_dict(entry.before).get("checkpoint")
        row = _as_dict(entry.after).get("row_count")
        sentence = (
            f"Declared that the trail was restored from a backup: rewound from checkpoint "
            f"{checkpoint} to row {row}."
        )
    elif entry.phase == AuditEntry.Phase.OBSERVED:
        names = changed_fields(entry.before, entry.after)
        what = get_text_list(names, "and") if names else "nothing visible"
        sentence = f"Changed outside cdpadmin: {what}."
    elif operation == "set":
        sentence = f"Set {get_text_list(list(payload), 'and')}."
    elif operation == "delete_keys":
        sentence = f"Removed {get_text_list([str(k) for k in payload.get('name', [])], 'and')}."
    elif operation == "replace" and entry.resource_type in SCOPES:
        sentence = f"Replaced every pair of the {label}."
    elif operation in ("patch", "replace"):
        names = changed_fields(entry.before, payload, keys=list(payload))
        sentence = (
            f"Changed {get_text_list(names, 'and')}." if names else f"Saved the {label} unchanged."
        )
    elif operation == "create":
        sentence = f"Created the {label}."
    elif operation == "delete":
        sentence = f"Deleted the {label}."
    else:
        sentence = f"{entry.action}."
    if entry.reverts_id:
        sentence = f"Reverted entry #{entry.reverts_id}: {sentence[0].lower()}{sentence[1:]}"
    return sentence
