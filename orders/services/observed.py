"""Noticing changes made to CDP outside cdpadmin, when cdpadmin reads an order.

The last snapshot the trail holds for a resource is the `after` of its latest successful
outcome or observed row. When CDP's copy is newer and differs from it, one `observed` row is
appended (no actor) with that snapshot as `before` and CDP's copy as `after`; the next read
finds that row as the snapshot, so each change is recorded once.

Without any snapshot nothing is written: the trail records changes, not reads, and a
"baseline" row for every order anyone opens would fill the trail with events nobody made.
An order's first change through cdpadmin gives it a snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q

from orders.audit import append_entry
from orders.cdp import DataExtension, Order, OrderBundle
from orders.cdp.paths import field_names_of
from orders.cdp.vocabulary import to_cdp_json
from orders.models import AuditEntry
from orders.selectors.compiled import CompiledQuery
from orders.services.extensions import ORDER_EXTENSION, same_value

# CDP stamps these; a change of them alone (an item edit bumps the order's modifiedAt) is not
# a change of the order.
_STAMPS = frozenset({"ref", "href", "createdAt", "modifiedAt"})
# Extension snapshots are rebuilt from at most this many recorded changes.
_MAX_REPLAY = 500
_UNREAD = object()


def _known_rows(resource_types: list[str], order_ref: str) -> Any:
    return AuditEntry.objects.filter(
        Q(phase=AuditEntry.Phase.OBSERVED)
        | Q(phase=AuditEntry.Phase.OUTCOME, outcome=AuditEntry.Outcome.SUCCESS),
        order_ref=order_ref,
        resource_type__in=resource_types,
        resource_ref=order_ref,
    ).order_by("-id")


_INSTANTS = frozenset({"orderedAt", "createdAt", "modifiedAt"})


# Compiled once per process: every order page asks it (orders.selectors.compiled).
_SNAPSHOT_ROWS = CompiledQuery(
    lambda order_ref: _known_rows(["order", ORDER_EXTENSION.name], order_ref).only(
        "resource_type", "phase", "action", "after", "cdp_path"
    )[:_MAX_REPLAY],
    order_ref="00000000-0000-4000-8000-5a3b1e0f0c1e",
)


@dataclass(frozen=True)
class Snapshot:
    """What the trail last knew of an order: its latest snapshot row, and its extension's
    rows newest first."""

    order_row: AuditEntry | None
    extension_rows: list[AuditEntry]


def outside_changes_snapshot(*, order_ref: str) -> Snapshot:
    """The order's latest snapshot row and its extension's rows, newest first, in one query.

    Only when the extension's rows fill the whole window does the order's row need a query
    of its own.
    """
    rows = _SNAPSHOT_ROWS.run(order_ref=order_ref)
    last = next((row for row in rows if row.resource_type == "order"), None)
    if last is None and len(rows) == _MAX_REPLAY:
        last = _known_rows(["order"], order_ref).only("after").first()
    return Snapshot(last, [row for row in rows if row.resource_type == ORDER_EXTENSION.name])


def _content(snapshot: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in snapshot.items() if key not in _STAMPS}


def _observe(resource_type: str, order_ref: str, before: Any, after: Any) -> AuditEntry:
    return append_entry(
        actor=None,
        actor_username="",
        action=f"orders.{resource_type}.observed_change",
        phase=AuditEntry.Phase.OBSERVED,
        resource_type=resource_type,
        resource_ref=order_ref,
        order_ref=order_ref,
        before=before,
        after=after,
    )


def _instants_as_sent(snapshot: dict[str, Any]) -> dict[str, Any]:
    """`snapshot` with its date-times in the encoder's text (older rows wrote `…:16Z`)."""
    return {
        key: _instant_text(value) if key in _INSTANTS else value for key, value in snapshot.items()
    }


def _instant_text(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return to_cdp_json(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return value


def _order_change(order: Order, last: AuditEntry | None) -> tuple[Any, Any] | None:
    """(snapshot, CDP's copy) when the order's own fields changed since `last`; else None."""
    if last is None or not isinstance(last.after, dict):
        return None
    current = to_cdp_json(order.to_api())
    known = _instants_as_sent(last.after)
    if current.get("modifiedAt") == known.get("modifiedAt"):
        return None
    if same_value(_content(current), _content(known)):
        return None
    return last.after, current


def observe_order_record(order: Order, last: Any = _UNREAD) -> AuditEntry | None:
    """Record an outside change of the order's own fields, if there is one since the snapshot.

    `last` is the snapshot row when the caller has read it already.
    """
    if last is _UNREAD:
        last = _known_rows(["order"], order.ref).only("after").first()
    change = _order_change(order, last)
    return _observe("order", order.ref, *change) if change is not None else None


def known_extension_pairs(rows: list[AuditEntry]) -> tuple[dict[str, Any], set[str], bool] | None:
    """The order extension as the trail knows it: (pairs, keys known absent, complete?).

    The latest observed row holds every pair (complete); the changes cdpadmin made since are
    replayed on it. With no observed row, only the keys cdpadmin set or removed are known.
    `rows` are the extension's snapshot rows, newest first. None when the trail knows
    nothing of this extension.
    """
    if not rows:
        return None
    pairs: dict[str, Any] = {}
    absent: set[str] = set()
    complete = False
    for row in reversed(rows):
        after = row.after if isinstance(row.after, dict) else {}
        operation = row.action.rsplit(".", 1)[-1]
        if row.phase == AuditEntry.Phase.OBSERVED or operation == "replace":
            pairs, absent, complete = dict(after), set(), True
        elif operation == "delete_keys":
            for key in field_names_of(row.cdp_path):
                pairs.pop(key, None)
                absent.add(key)
        else:
            pairs.update(after)
            absent -= after.keys()
    return pairs, absent, complete


def _extension_change(
    extension: DataExtension | None, rows: list[AuditEntry]
) -> tuple[Any, Any] | None:
    """(the pairs the trail knew, CDP's pairs) when they differ; else None."""
    known = known_extension_pairs(rows)
    if known is None:
        return None
    pairs, absent, complete = known
    current = dict(extension.pairs) if extension is not None else {}
    if complete:
        differs = not same_value(pairs, current)
    else:
        differs = not same_value(pairs, {k: current[k] for k in pairs if k in current}) or bool(
            absent & current.keys()
        )
    # Incomplete knowledge shows as such: `before` holds only the keys the trail knew.
    return (pairs, current) if differs else None


def observe_extension(
    order_ref: str, extension: DataExtension | None, rows: list[AuditEntry]
) -> AuditEntry | None:
    """Record an outside change of the order's extension pairs, if there is one."""
    change = _extension_change(extension, rows)
    return _observe(ORDER_EXTENSION.name, order_ref, *change) if change is not None else None


def observe_order(*, order: Order, extension: DataExtension | None) -> list[AuditEntry]:
    """Compare what was just read from CDP with the trail; append observed rows for changes.

    Call it after reading an order (and its extension; None when it has none). Returns the
    rows written: none, or one for the order and/or one for its extension.
    """
    snapshot = outside_changes_snapshot(order_ref=order.ref)
    written = [
        observe_order_record(order, snapshot.order_row),
        observe_extension(order.ref, extension, snapshot.extension_rows),
    ]
    return [entry for entry in written if entry is not None]


def _matches(bundle: OrderBundle, snapshot: Snapshot) -> bool:
    """Whether CDP's copies in `bundle` are what `snapshot` knew (nothing to record)."""
    if _order_change(bundle.order, snapshot.order_row) is not None:
        return False
    extension = bundle.extension
    return (
        extension.error is not None
        or _extension_change(extension.value, snapshot.extension_rows) is None
    )


def order_outside_changes_record(
    *, bundle: OrderBundle, snapshot: Snapshot | None = None
) -> list[AuditEntry]:
    """Opening an order: record what changed in CDP outside cdpadmin since the trail last saw.

    The order page calls this by name after reading the order. The extension is compared only
    when its section loaded; returns the observed rows written (often none).

    `snapshot` may be read while CDP's answers are on their way, so that the usual case (CDP
    holds what the trail knew) costs the page no read after them. Only a difference is
    recorded, and only after reading the trail again: a change cdpadmin itself made in the
    meantime is then in the trail and is not taken for an outside one.
    """
    if snapshot is not None and _matches(bundle, snapshot):
        return []
    if bundle.extension.error is not None:
        entry = observe_order_record(bundle.order)
        return [entry] if entry is not None else []
    return observe_order(order=bundle.order, extension=bundle.extension.value)
