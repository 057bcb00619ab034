"""Audit entries in words, and before/after diffs that keep JSON types exact."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django import template

from orders import changes
from orders.models import AuditEntry
from orders.services.extensions import SCOPES, same_value
from orders.services.resources import RESOURCE_LABELS

register = template.Library()

# CDP stamps these on every write; they are not what anyone changed.
TIMESTAMP_FIELDS = frozenset({"ref", "createdAt", "modifiedAt", "href"})
_MISSING = object()


def resource_label(resource_type: str) -> str:
    if resource_type in RESOURCE_LABELS:
        return RESOURCE_LABELS[resource_type]
    if resource_type in SCOPES:
        return f"{SCOPES[resource_type].label} extension"
    return resource_type.replace("_", " ")


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


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
def change_sentence(entry: AuditEntry) -> str:
    """The entry in the shared vocabulary (`orders.changes`): "demo changed Status: …"."""
    return changes.change_sentence(entry)


@register.filter
def change_of(event: Any) -> changes.ChangeView:
    """An (intent, outcome) event as a `ChangeView`, for the shared partials."""
    return changes.change_view(event.entry, event.outcome)
