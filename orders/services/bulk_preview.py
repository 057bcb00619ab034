"""Bulk tagging, before a job exists: what it would change, order by order, and its signed plan.

The preview only reads CDP. Inputs are looked up the way the paste-many lookup does it
(`orders.lookups`: bounded concurrency, one shared pause on 429), then each order's extension
is read and compared with the target, key by key. The plan the user confirms goes back to the
browser signed, so running it needs no server-side draft.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core import signing

from orders.cdp import CdpError
from orders.cdp.pacing import Pacer
from orders.lookups import call_paced, lookup_one, parallel_map
from orders.selectors.orders import order_extension_pairs
from orders.services.extensions import ExtValue, same_value

MAX_MATCHES = 500  # orders one pasted referenceId may tag
PLAN_SALT = "orders.bulk.plan"
PLAN_MAX_AGE_S = 3600


@dataclass(frozen=True)
class KeyChange:
    """One key of one order: its value now and after the job (None: absent)."""

    key: str
    before: ExtValue | None
    after: ExtValue | None

    @property
    def changed(self) -> bool:
        return not same_value(self.before, self.after)


@dataclass(frozen=True)
class OrderPlan:
    """What the job does to one order's extension."""

    changes: tuple[KeyChange, ...]

    @property
    def to_set(self) -> dict[str, ExtValue]:
        return {c.key: c.after for c in self.changes if c.changed and c.after is not None}

    @property
    def to_remove(self) -> list[str]:
        return [c.key for c in self.changes if c.changed and c.after is None]

    @property
    def skipped(self) -> bool:
        return not any(change.changed for change in self.changes)


def plan_order(
    current: Mapping[str, ExtValue] | None,
    set_pairs: Mapping[str, ExtValue],
    remove_keys: Sequence[str],
) -> OrderPlan:
    """Compare an order's pairs with the job's target, key by key, with exact JSON equality."""
    now = current or {}
    changes = [KeyChange(key, now.get(key), value) for key, value in set_pairs.items()]
    changes += [KeyChange(key, now.get(key), None) for key in remove_keys]
    return OrderPlan(tuple(changes))


@dataclass(frozen=True)
class PreviewOrder:
    order_ref: str
    reference_id: str
    plan: OrderPlan | None = None
    error: str = ""

    @property
    def skipped(self) -> bool:
        return self.plan is not None and self.plan.skipped


@dataclass(frozen=True)
class PreviewInput:
    """One pasted value and the orders it matched (none: not found)."""

    input_value: str
    orders: tuple[PreviewOrder, ...] = ()
    error: str = ""

    @property
    def found(self) -> bool:
        return bool(self.orders)

    @property
    def ambiguous(self) -> bool:
        """Several orders share this referenceId: tagging them all may not be what was meant."""
        return len(self.orders) > 1


@dataclass(frozen=True)
class ChangeGroup:
    """Orders that the job changes the same way, key by key."""

    changes: tuple[KeyChange, ...]
    count: int


@dataclass
class Preview:
    inputs: list[PreviewInput] = field(default_factory=list)

    @property
    def orders(self) -> list[PreviewOrder]:
        return [order for item in self.inputs for order in item.orders]

    @property
    def targets(self) -> list[tuple[str, str]]:
        """(input value, order ref) per order to run, ("value", "") for inputs not found."""
        rows: list[tuple[str, str]] = []
        seen: set[str] = set()
        for item in self.inputs:
            if not item.orders:
                rows.append((item.input_value, ""))
            for order in item.orders:
                if order.order_ref not in seen:
                    seen.add(order.order_ref)
                    rows.append((item.input_value, order.order_ref))
        return rows

    @property
    def not_found(self) -> list[PreviewInput]:
        return [item for item in self.inputs if not item.found and not item.error]

    @property
    def unreadable(self) -> list[tuple[str, str]]:
        """(input or order, why) for every lookup or read that failed."""
        rows = [(item.input_value, item.error) for item in self.inputs if item.error]
        rows += [
            (order.reference_id or order.order_ref, order.error)
            for order in self.orders
            if order.error
        ]
        return rows

    @property
    def ambiguous(self) -> list[PreviewInput]:
        return [item for item in self.inputs if item.ambiguous]

    @property
    def change_groups(self) -> list[ChangeGroup]:
        """The changes to make, each distinct one once with how many orders get it, most first."""
        groups: dict[str, list[Any]] = {}
        for order in self.orders:
            if order.plan is None or order.plan.skipped:
                continue
            changes = tuple(change for change in order.plan.changes if change.changed)
            signature = json.dumps(
                [[c.key, c.before, c.after] for c in changes], sort_keys=True, default=str
            )
            groups.setdefault(signature, [changes, 0])[1] += 1
        return sorted(
            (ChangeGroup(changes, count) for changes, count in groups.values()),
            key=lambda group: -group.count,
        )

    @property
    def counts(self) -> dict[str, int]:
        orders = self.orders
        return {
            "inputs": len(self.inputs),
            "not_found": sum(1 for item in self.inputs if not item.found and not item.error),
            "errors": sum(1 for item in self.inputs if item.error)
            + sum(1 for order in orders if order.error),
            "orders": len(orders),
            "skipped": sum(1 for order in orders if order.skipped),
            "changing": sum(1 for order in orders if order.plan and not order.plan.skipped),
            "ambiguous_inputs": len(self.ambiguous),
            "ambiguous_orders": sum(len(item.orders) for item in self.ambiguous),
            "orders_unambiguous": sum(len(i.orders) for i in self.inputs if not i.ambiguous),
        }


def _preview_input(
    value: str,
    pacer: Pacer,
    set_pairs: Mapping[str, ExtValue],
    remove_keys: Sequence[str],
) -> PreviewInput:
    found = lookup_one(value, pacer, max_matches=MAX_MATCHES)
    if found.error:
        return PreviewInput(value, error=found.error)
    orders = []
    for order in found.orders:
        reference_id = order.reference_id or ""
        try:
            current = call_paced(functools.partial(order_extension_pairs, order.ref), pacer)
        except CdpError as exc:
            orders.append(PreviewOrder(order.ref, reference_id, error=exc.message))
            continue
        plan = plan_order(current, set_pairs, remove_keys)
        orders.append(PreviewOrder(order.ref, reference_id, plan))
    return PreviewInput(value, tuple(orders))


def bulk_preview(
    *, inputs: Sequence[str], set_pairs: Mapping[str, ExtValue], remove_keys: Sequence[str]
) -> Preview:
    """Look every input up in CDP (a few at once) and say what would change, order by order.

    Only CDP is read here, never the database, so the threads need no connection of their own.
    """
    results = parallel_map(
        lambda value, gate: _preview_input(value, gate, set_pairs, remove_keys), list(inputs)
    )
    return Preview(results)


@dataclass(frozen=True)
class BulkPlan:
    """What the user confirmed after the preview: the target and the orders to run it on."""

    set_pairs: dict[str, ExtValue]
    remove_keys: list[str]
    targets: list[tuple[str, str]]
    ambiguous: list[str] = field(default_factory=list)

    def targets_to_run(self, *, include_ambiguous: bool) -> list[tuple[str, str]]:
        """The targets, without the orders of inputs that matched several unless asked."""
        if include_ambiguous:
            return self.targets
        left_out = set(self.ambiguous)
        return [target for target in self.targets if target[0] not in left_out]


def bulk_plan_sign(
    *, preview: Preview, set_pairs: Mapping[str, ExtValue], remove_keys: Sequence[str]
) -> str:
    """The previewed plan as a signed token for the run form."""
    plan: dict[str, Any] = {
        "set": dict(set_pairs),
        "remove": list(remove_keys),
        "targets": preview.targets,
        "ambiguous": [item.input_value for item in preview.ambiguous],
    }
    return signing.dumps(plan, salt=PLAN_SALT, compress=True)


def bulk_plan_load(token: str) -> BulkPlan:
    """The plan a token carries; `signing.BadSignature` if it expired or was altered."""
    plan = signing.loads(token, salt=PLAN_SALT, max_age=PLAN_MAX_AGE_S)
    return BulkPlan(
        set_pairs=plan["set"],
        remove_keys=plan["remove"],
        targets=[(input_value, order_ref) for input_value, order_ref in plan["targets"]],
        ambiguous=list(plan.get("ambiguous", [])),
    )
