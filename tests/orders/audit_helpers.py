"""Audit rows for tests, written through the real chain writer."""

from __future__ import annotations

from typing import Any

from orders.audit import append_entry
from orders.models import AuditEntry

ORDER_A = "11111111-1111-4111-8111-111111111111"
ORDER_B = "22222222-2222-4222-8222-222222222222"


def record_change(
    *,
    actor: Any = None,
    action: str = "orders.order.patch",
    resource_type: str = "order",
    order_ref: str = ORDER_A,
    resource_ref: str | None = None,
    payload: Any = None,
    before: Any = None,
    after: Any = None,
    outcome: str | None = AuditEntry.Outcome.SUCCESS,
    **extra: Any,
) -> tuple[AuditEntry, AuditEntry | None]:
    """An intent and (unless `outcome` is None) its outcome, as `audited_call` writes them."""
    common = {
        "actor": actor,
        "actor_username": actor.get_username() if actor else "",
        "action": action,
        "resource_type": resource_type,
        "order_ref": order_ref,
        "resource_ref": resource_ref or order_ref,
        "method": "PATCH",
        "cdp_path": f"/v2.1/orders/{order_ref}",
        **extra,
    }
    intent = append_entry(
        **common, phase=AuditEntry.Phase.INTENT, request_payload=payload, before=before
    )
    if outcome is None:
        return intent, None
    result = append_entry(
        **common,
        phase=AuditEntry.Phase.OUTCOME,
        intent=intent,
        outcome=outcome,
        cdp_status=200 if outcome == AuditEntry.Outcome.SUCCESS else 400,
        after=after if outcome == AuditEntry.Outcome.SUCCESS else None,
        error_message="" if outcome == AuditEntry.Outcome.SUCCESS else "price: must be a number",
    )
    return intent, result
