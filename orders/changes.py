"""The one vocabulary for recorded changes: the timeline, the audit list and detail, the CSV.

Each audit event (an intent with its outcome, or an observed external change) reads as one
sentence: "demo changed Status: Purchased → Cancelled", "mkt set campaign = spring26 (bulk
job 3f2a9c1e)". Outcomes are words ("Done", "Refused by CDP", "Outcome unknown"); the HTTP
status is left to the audit detail. The action types are those the services write:

- ``orders.<kind>.create | patch | replace | delete`` for kind in order, order_item,
  contact, consumer (`orders.services.resources`);
- ``orders.<scope>.set | delete_keys | replace`` for scope in order_extension,
  order_item_extension (`orders.services.extensions`, bulk jobs and reverts too);
- ``orders.<type>.observed_change`` (`orders.services.observed`), phase "observed";
- ``audit.chain.reseal`` (`orders.services.checkpoints`): an operator's declaration that the
  trail was restored from a backup, also phase "observed";
- ``guests.lookup | guests.open`` (`orders.services.guests`), phase "read": a guest lookup
  and a guest opened from its results, named by the kind of value and its HMAC only.

Anything else is shown by its action name, so a new action never breaks a page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from types import SimpleNamespace
from typing import Any

from orders.cdp.paths import field_names_of
from orders.display import money, status_label
from orders.models import EXTENSION_RESOURCE_TYPES
from orders.services.checkpoints import RESEAL_RESOURCE

# CDP stamps these on every write; they are not what anyone changed.
STAMP_FIELDS = frozenset({"ref", "createdAt", "modifiedAt", "href"})
FIELD_LABELS = {
    "referenceId": "referenceId",
    "currencyCode": "Currency",
    "productId": "Product",
    "phoneNumbers": "Phone numbers",
    "originalPrice": "Original price",
    "originalCurrencyCode": "Original currency",
}
RESOURCE_WORDS = {
    "order": "order",
    "order_item": "item",
    "contact": "contact",
    "consumer": "consumer",
    "order_extension": "data extension",
    "order_item_extension": "item’s data extension",
}
MAX_FIELDS = 3
MAX_VALUE = 60
EXPORT_FIELDS = (
    "phase",
    "action",
    "resource_type",
    "order_ref",
    "actor_username",
    "request_payload",
    "before",
    "after",
    "outcome",
    "cdp_status",
    "error_message",
    "intent_id",
    "reverts_id",
    "job_id",
)


def field_label(name: str) -> str:
    """ "pointOfSale" → "Point of sale"; a few names keep CDP's spelling."""
    if name in FIELD_LABELS:
        return FIELD_LABELS[name]
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", str(name)).replace("_", " ").lower()
    return words[:1].upper() + words[1:]


def value_text(value: Any, name: str = "") -> str:
    """A recorded JSON value in words: strings bare, statuses in words, prices with 2 decimals."""
    if value is None:
        return "nothing"
    if name == "status":
        text = status_label(value)
    elif name in ("price", "originalPrice") and not isinstance(value, bool):
        text = money(value)
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = value if value else "“”"
    elif isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        text = ", ".join(str(v) for v in value) or "none"
    else:
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _same(a: Any, b: Any) -> bool:
    # JSON text, not ==: 0 → false and 1 → 1.0 are changes.
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _listed(parts: list[str]) -> str:
    shown = parts[:MAX_FIELDS]
    more = len(parts) - len(shown)
    return "; ".join(shown) + (f" and {more} more" if more else "")


def field_changes(before: Any, after: Any, names: Iterable[str] | None = None) -> str:
    """ "Status: Purchased → Cancelled; Price: 1,024.99 → 980.00"; "" when nothing differs."""
    old, new = _as_dict(before), _as_dict(after)
    keys = list(names) if names is not None else sorted(old.keys() | new.keys())
    parts = [
        f"{field_label(name)}: {value_text(old.get(name), name)}"
        f" → {value_text(new.get(name), name)}"
        for name in keys
        if name not in STAMP_FIELDS
        and ((name in old) != (name in new) or not _same(old.get(name), new.get(name)))
    ]
    return _listed(parts)


def _pairs(pairs: Mapping[str, Any]) -> str:
    return _listed([f"{key} = {value_text(value)}" for key, value in pairs.items()])


def _person_name(data: Mapping[str, Any]) -> str:
    parts = [data.get(k) for k in ("firstName", "lastName")]
    return " ".join(str(p) for p in parts if isinstance(p, str) and p.strip())


def resource_name(resource_type: str, *snapshots: Any) -> str:
    """ "the item “DUB-JFK Flight”", "the contact Jane Doe", "order DEMO-1", or plain words."""
    word = RESOURCE_WORDS.get(resource_type, resource_type.replace("_", " "))
    for snapshot in snapshots:
        data = _as_dict(snapshot)
        if resource_type == "order" and isinstance(data.get("referenceId"), str):
            return f"order {data['referenceId']}"
        if resource_type == "order_item" and isinstance(data.get("name"), str):
            return f"the item “{data['name']}”"
        if resource_type in ("contact", "consumer") and _person_name(data):
            return f"the {word} {_person_name(data)}"
    return f"the {word}"


def operation_of(action: str) -> str:
    return str(action).rsplit(".", 1)[-1]


def _read_phrase(entry: Any) -> str:
    """A lookup in words; the looked-up value is not in the trail, only its HMAC."""
    payload = _as_dict(entry.request_payload)
    kind = str(payload.get("kind") or "value")
    digest = f"HMAC {str(payload.get('value_hmac') or '')[:12]}…"
    if operation_of(entry.action) == "open":
        return f"opened a guest found by {kind} ({digest})"
    after = _as_dict(entry.after)
    matched = "" if after.get("matched") is None else f": {after['matched']} matched"
    return f"looked up guests by {kind} ({digest}){matched}" + (
        ", and more" if after.get("more") else ""
    )


def change_phrase(entry: Any, outcome: Any = None) -> str:
    """What an event did, without who: "changed Status: Purchased → Cancelled"."""
    if entry.phase == "read":
        return _read_phrase(entry)
    resource_type = str(entry.resource_type or "")
    operation = operation_of(entry.action)
    payload, before = entry.request_payload, entry.before
    after = outcome.after if outcome is not None else None
    extension = resource_type in EXTENSION_RESOURCE_TYPES
    where = " on an item" if resource_type == "order_item_extension" else ""
    if resource_type == RESEAL_RESOURCE:
        checkpoint = _as_dict(before).get("checkpoint")
        rows = _as_dict(entry.after).get("row_count")
        return (
            "declared that the trail was restored from a backup: rewound from checkpoint "
            f"{checkpoint} to row {rows}."
        )
    if entry.phase == "observed":
        changes = field_changes(before, entry.after)
        return f"changed {changes or 'nothing visible'}"
    if extension and operation == "set":
        return f"set {_pairs(_as_dict(payload)) or 'no pairs'}{where}"
    if extension and operation == "delete_keys":
        # The keys are in the path as sent (`…/fields?name=a|b`); older rows also listed them.
        keys = field_names_of(str(getattr(entry, "cdp_path", "") or "")) or [
            str(k) for k in _as_dict(payload).get("name", []) if k is not None
        ]
        old = _as_dict(before)
        named = [f"{k} (was {value_text(old[k])})" if k in old else k for k in keys]
        return f"removed {_listed(named) or 'no keys'}{where}"
    if extension and operation == "replace":
        pairs = _pairs(_as_dict(payload))
        return (
            f"replaced every pair{where} with {pairs}"
            if pairs
            else f"emptied the {RESOURCE_WORDS[resource_type]}"
        )
    name = resource_name(resource_type, before, payload, after)
    if operation == "create":
        return f"added {name}" if resource_type != "order" else f"created {name}"
    if operation == "merge":
        return "created an order that CDP merged into this existing one"
    if operation == "delete":
        return f"deleted {name}"
    if operation in ("patch", "replace"):
        keys = list(_as_dict(payload))
        changes = field_changes(before, payload, keys)
        if not changes:
            return f"saved {name} unchanged"
        return f"changed {changes}" + ("" if resource_type == "order" else f" on {name}")
    return f"did {entry.action}"


def actor_name(entry: Any) -> str:
    if entry.resource_type == RESEAL_RESOURCE:
        return str(entry.actor_username or "An operator")
    if entry.phase == "observed":
        return "Someone outside cdpadmin"
    return str(entry.actor_username or "Someone")


def change_sentence(entry: Any, outcome: Any = None) -> str:
    """The whole sentence: who, what, and the bulk job or reverted change it belongs to."""
    phrase = change_phrase(entry, outcome)
    if getattr(entry, "reverts_id", None):
        phrase = f"reverted change #{entry.reverts_id}: {phrase}"
    sentence = f"{actor_name(entry)} {phrase}"
    if getattr(entry, "job_id", ""):
        sentence += f" (bulk job {str(entry.job_id)[:8]})"
    return sentence


@dataclass(frozen=True)
class OutcomeText:
    word: str  # "Done", "Refused by CDP", "Failed", "Outcome unknown", "Seen in CDP"
    tone: str  # ok, bad, unknown, info (a CSS class suffix)
    reason: str = ""  # CDP's sentence when it refused or failed


def outcome_text(entry: Any, outcome: Any = None) -> OutcomeText:
    if getattr(entry, "resource_type", "") == RESEAL_RESOURCE:
        return OutcomeText("Declared by an operator", "info")
    if entry.phase == "observed":
        return OutcomeText("Seen in CDP", "info")
    if entry.phase == "read":  # a read carries its own outcome
        outcome = entry
    if outcome is None:
        return OutcomeText("Outcome unknown", "unknown")
    if outcome.outcome == "success":
        return OutcomeText("Done", "ok")
    status = outcome.cdp_status or 0
    word = "Refused by CDP" if 400 <= status < 500 else "Failed"
    return OutcomeText(word, "bad", str(outcome.error_message or ""))


def order_reference_id(entry: Any, outcome: Any = None) -> str:
    """The order's referenceId when the row itself recorded it (an order's own change)."""
    if entry.resource_type != "order":
        return ""
    for snapshot in (
        outcome.after if outcome else None,
        entry.request_payload,
        entry.before,
        entry.after,
    ):
        value = _as_dict(snapshot).get("referenceId")
        if isinstance(value, str) and value:
            return value
    return ""


@dataclass(frozen=True)
class ChangeView:
    """An event as every page shows it; its words are worked out when first asked for."""

    entry: Any
    outcome: Any
    order_ref: str
    reference_id: str  # "" when no row we hold names it

    @cached_property
    def sentence(self) -> str:
        return change_sentence(self.entry, self.outcome)

    @cached_property
    def result(self) -> OutcomeText:
        return outcome_text(self.entry, self.outcome)

    @property
    def order_label(self) -> str:
        return self.reference_id or (f"{self.order_ref[:8]}…" if self.order_ref else "")


def change_view(
    entry: Any, outcome: Any = None, reference_ids: Mapping[str, str] | None = None
) -> ChangeView:
    order_ref = str(entry.order_ref or "")
    reference_id = order_reference_id(entry, outcome) or (reference_ids or {}).get(order_ref, "")
    return ChangeView(entry=entry, outcome=outcome, order_ref=order_ref, reference_id=reference_id)


def export_description(row: Mapping[str, Any]) -> str:
    """The CSV's words for one exported row (a dict of columns): the sentence or the result."""
    entry = SimpleNamespace(**{name: row.get(name) for name in EXPORT_FIELDS})
    if entry.phase == "outcome":
        result = outcome_text(SimpleNamespace(phase="intent"), entry)
        reason = f": {result.reason}" if result.reason else ""
        return f"Outcome of change #{entry.intent_id}: {result.word}{reason}"
    return change_sentence(entry)
