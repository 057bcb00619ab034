"""Bulk-job values and changes in words: `campaign: (none) → spring26`."""

from __future__ import annotations

import json
from typing import Any

from django import template

register = template.Library()


@register.filter
def ext_word(value: Any) -> str:
    """A data-extension value as people read it: strings bare, (none) for absent, JSON else."""
    if value is None:
        return "(none)"
    if isinstance(value, str):
        return value if value else "(empty)"
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@register.filter
def row_changes(row: Any) -> list[str]:
    """What a job did to one order: "key: before → after" per key, or "key = value already"."""
    before, after = _as_dict(row.before), _as_dict(row.after)
    words = []
    for key in dict.fromkeys([*after, *before]):
        old, new = before.get(key), after.get(key)
        if key in before and key in after and json.dumps(old) == json.dumps(new):
            words.append(f"{key} = {ext_word(new)} already")
        else:
            shown = ext_word(new) if key in after else "(removed)"
            words.append(f"{key}: {ext_word(old)} → {shown}")
    return words
