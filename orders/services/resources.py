"""Creating, changing and deleting orders, order items, contacts and consumers in CDP.

One keyword-only function per change, `<entity>_<action>`, each calling the client's method of
the same operation by name. Every one goes through `audited_call`. A change reads the
resource once, under its lock: that read is compared with the `modifiedAt` the user's form
was rendered from (`EditConflict`, nothing written, when CDP's copy is newer), is the audit's
`before`, and fills what the write needs from the stored copy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.utils import timezone

from orders.cdp import Consumer, Contact, Order, OrderItem, get_client
from orders.cdp.vocabulary import to_cdp_json
from orders.models import AuditEntry
from orders.services.audited import (
    Actor,
    Audited,
    Change,
    ServiceError,
    audited_call,
    resource_lock,
    snapshot,
)
from orders.services.in_doubt import update_in_doubt

Record = Order | OrderItem | Contact | Consumer
R = TypeVar("R", bound=Record)

# What the audit trail and the pages call each resource type.
RESOURCE_LABELS = {
    "order": "order",
    "order_item": "order item",
    "contact": "contact",
    "consumer": "consumer",
}


class EditConflict(ServiceError):
    """CDP's copy changed after the user's form was rendered; nothing was written."""

    def __init__(
        self, label: str, current: Record, changed_by: str | None, *, in_doubt: bool = False
    ) -> None:
        when = timezone.localtime(current.modified_at).strftime("%H:%M on %d %b %Y")
        who = changed_by or "Someone"
        doubt = (
            " The last save of it got no clear answer from CDP, so this may be that change: "
            "it may already be in CDP."
            if in_doubt
            else ""
        )
        super().__init__(
            f"{who} changed this {label} at {when}.{doubt} Your edits are below; "
            "review them against the current values and save again."
        )
        self.label = label
        self.current = current
        self.changed_by = changed_by


def last_change_by(resource_ref: str, modified_at: datetime | None) -> str | None:
    """The staff member whose recorded change produced this `modifiedAt`, if cdpadmin made it."""
    outcome = (
        AuditEntry.objects.filter(
            resource_ref=resource_ref,
            phase=AuditEntry.Phase.OUTCOME,
            outcome=AuditEntry.Outcome.SUCCESS,
        )
        .order_by("-id")
        .only("actor_username", "after")
        .first()
    )
    if outcome is None or not isinstance(outcome.after, dict):
        return None
    recorded = outcome.after.get("modifiedAt")
    if recorded and to_cdp_json(modified_at) == recorded:
        return outcome.actor_username or None
    return None


def _change(
    *,
    actor: Actor,
    resource_type: str,
    operation: str,
    ref: str,
    order_ref: str,
    read: Callable[[], R],
    write: Callable[[R], Any],
    expected_modified_at: datetime | None,
    job_id: str = "",
    reverts: AuditEntry | None = None,
) -> Audited[Any]:
    """Read under the resource's lock, check `expected_modified_at`, then write `write(current)`."""
    with resource_lock(f"{resource_type}:{ref}"):
        current = read()
        if expected_modified_at is not None and current.modified_at != expected_modified_at:
            raise EditConflict(
                RESOURCE_LABELS[resource_type],
                current,
                last_change_by(ref, current.modified_at),
                in_doubt=update_in_doubt(resource_ref=ref) is not None,
            )
        return audited_call(
            Change(
                action=f"orders.{resource_type}.{operation}",
                resource_type=resource_type,
                resource_ref=ref,
                order_ref=order_ref,
                before=current,
                job_id=job_id,
                reverts=reverts,
            ),
            lambda: write(current),
            actor=actor,
            after=(lambda _: None) if operation == "delete" else snapshot,
        )


def _create(
    *, actor: Actor, resource_type: str, order_ref: str, send: Callable[[], R]
) -> Audited[R]:
    return audited_call(
        Change(
            action=f"orders.{resource_type}.create",
            resource_type=resource_type,
            order_ref=order_ref,
        ),
        send,
        actor=actor,
        resource_ref_of=lambda record: record.ref,
        order_ref_of=lambda record: order_ref or record.ref,
    )


# --- orders ---------------------------------------------------------------------------------


# A create whose answer's createdAt is older than the request by more than this was a merge.
_CLOCK_SLACK = timedelta(seconds=2)


def was_merged(order: Order, *, sent_at: datetime, match: Order | None) -> bool:
    """Whether CDP answered a create with an order that existed before the request."""
    if match is not None and order.ref == match.ref:
        return True
    return order.created_at is not None and order.created_at < sent_at - _CLOCK_SLACK


def order_create(
    *, actor: Actor, body: Mapping[str, Any], match: Order | None = None
) -> Audited[Order]:
    """Create an order (POST); the audit learns its ref from CDP's answer.

    `match` is the existing order the look-up found (`selectors.orders.order_matches`),
    which CDP will merge this create into: the audit rows then name that order and carry
    its copy as `before`.
    If CDP merges into an order either way, the outcome row records a merge into it.
    """
    payload = to_cdp_json(body)
    sent_at = timezone.now()

    def action_of(order: Order) -> str:
        merged = was_merged(order, sent_at=sent_at, match=match)
        return "orders.order.merge" if merged else "orders.order.create"

    return audited_call(
        Change(
            action="orders.order.merge" if match is not None else "orders.order.create",
            resource_type="order",
            resource_ref=match.ref if match is not None else "",
            order_ref=match.ref if match is not None else "",
            before=match,
        ),
        lambda: get_client().order_create(payload),
        actor=actor,
        resource_ref_of=lambda order: order.ref,
        order_ref_of=lambda order: order.ref,
        action_of=action_of,
    )


def order_update(
    *,
    actor: Actor,
    order_ref: str,
    changes: Mapping[str, Any],
    expected_modified_at: datetime | None,
    job_id: str = "",
    reverts: AuditEntry | None = None,
) -> Audited[Order]:
    """PATCH an order's changed fields; the client adds CDP's required fields from the read."""
    client, payload = get_client(), to_cdp_json(changes)
    return _change(
        actor=actor,
        resource_type="order",
        operation="patch",
        ref=order_ref,
        order_ref=order_ref,
        read=lambda: client.order_get(order_ref),
        write=lambda current: client.order_patch(order_ref, payload, current=current),
        expected_modified_at=expected_modified_at,
        job_id=job_id,
        reverts=reverts,
    )


def order_replace(
    *,
    actor: Actor,
    order_ref: str,
    body: Mapping[str, Any],
    expected_modified_at: datetime | None,
) -> Audited[Order]:
    """Replace every field of an order (PUT; the legacy POST when configured "v2")."""
    client, payload = get_client(), to_cdp_json(body)
    return _change(
        actor=actor,
        resource_type="order",
        operation="replace",
        ref=order_ref,
        order_ref=order_ref,
        read=lambda: client.order_get(order_ref),
        write=lambda current: client.order_replace(order_ref, payload, current=current),
        expected_modified_at=expected_modified_at,
    )


def order_delete(
    *, actor: Actor, order_ref: str, expected_modified_at: datetime | None = None
) -> Audited[None]:
    """Delete an order (CDP takes its items, contacts, consumers and extensions with it)."""
    client = get_client()
    return _change(
        actor=actor,
        resource_type="order",
        operation="delete",
        ref=order_ref,
        order_ref=order_ref,
        read=lambda: client.order_get(order_ref),
        write=lambda _: client.order_delete(order_ref),
        expected_modified_at=expected_modified_at,
    )


# --- order items ----------------------------------------------------------------------------


def order_item_create(
    *, actor: Actor, order_ref: str, body: Mapping[str, Any]
) -> Audited[OrderItem]:
    payload = to_cdp_json(body)
    return _create(
        actor=actor,
        resource_type="order_item",
        order_ref=order_ref,
        send=lambda: get_client().order_item_create(order_ref, payload),
    )


def order_item_update(
    *,
    actor: Actor,
    order_ref: str,
    item_ref: str,
    changes: Mapping[str, Any],
    expected_modified_at: datetime | None,
    job_id: str = "",
    reverts: AuditEntry | None = None,
) -> Audited[OrderItem]:
    client, payload = get_client(), to_cdp_json(changes)
    return _change(
        actor=actor,
        resource_type="order_item",
        operation="patch",
        ref=item_ref,
        order_ref=order_ref,
        read=lambda: client.order_item_get(item_ref),
        write=lambda _: client.order_item_patch(item_ref, payload),
        expected_modified_at=expected_modified_at,
        job_id=job_id,
        reverts=reverts,
    )


def order_item_replace(
    *,
    actor: Actor,
    order_ref: str,
    item_ref: str,
    body: Mapping[str, Any],
    expected_modified_at: datetime | None,
) -> Audited[OrderItem]:
    client, payload = get_client(), to_cdp_json(body)
    return _change(
        actor=actor,
        resource_type="order_item",
        operation="replace",
        ref=item_ref,
        order_ref=order_ref,
        read=lambda: client.order_item_get(item_ref),
        write=lambda _: client.order_item_replace(item_ref, payload),
        expected_modified_at=expected_modified_at,
    )


def order_item_delete(*, actor: Actor, order_ref: str, item_ref: str) -> Audited[None]:
    client = get_client()
    return _change(
        actor=actor,
        resource_type="order_item",
        operation="delete",
        ref=item_ref,
        order_ref=order_ref,
        read=lambda: client.order_item_get(item_ref),
        write=lambda _: client.order_item_delete(item_ref),
        expected_modified_at=None,
    )


# --- contacts -------------------------------------------------------------------------------


def contact_create(*, actor: Actor, order_ref: str, body: Mapping[str, Any]) -> Audited[Contact]:
    payload = to_cdp_json(body)
    return _create(
        actor=actor,
        resource_type="contact",
        order_ref=order_ref,
        send=lambda: get_client().order_contact_create(order_ref, payload),
    )


def contact_update(
    *,
    actor: Actor,
    order_ref: str,
    contact_ref: str,
    changes: Mapping[str, Any],
    expected_modified_at: datetime | None,
    job_id: str = "",
    reverts: AuditEntry | None = None,
) -> Audited[Contact]:
    client, payload = get_client(), to_cdp_json(changes)
    return _change(
        actor=actor,
        resource_type="contact",
        operation="patch",
        ref=contact_ref,
        order_ref=order_ref,
        read=lambda: client.order_contact_get(contact_ref),
        write=lambda _: client.order_contact_patch(contact_ref, payload),
        expected_modified_at=expected_modified_at,
        job_id=job_id,
        reverts=reverts,
    )


def contact_replace(
    *,
    actor: Actor,
    order_ref: str,
    contact_ref: str,
    body: Mapping[str, Any],
    expected_modified_at: datetime | None,
) -> Audited[Contact]:
    client, payload = get_client(), to_cdp_json(body)
    return _change(
        actor=actor,
        resource_type="contact",
        operation="replace",
        ref=contact_ref,
        order_ref=order_ref,
        read=lambda: client.order_contact_get(contact_ref),
        write=lambda _: client.order_contact_replace(contact_ref, payload),
        expected_modified_at=expected_modified_at,
    )


def contact_delete(*, actor: Actor, order_ref: str, contact_ref: str) -> Audited[None]:
    client = get_client()
    return _change(
        actor=actor,
        resource_type="contact",
        operation="delete",
        ref=contact_ref,
        order_ref=order_ref,
        read=lambda: client.order_contact_get(contact_ref),
        write=lambda _: client.order_contact_delete(contact_ref),
        expected_modified_at=None,
    )


# --- consumers ------------------------------------------------------------------------------


def consumer_create(*, actor: Actor, order_ref: str, body: Mapping[str, Any]) -> Audited[Consumer]:
    payload = to_cdp_json(body)
    return _create(
        actor=actor,
        resource_type="consumer",
        order_ref=order_ref,
        send=lambda: get_client().order_consumer_create(order_ref, payload),
    )


def consumer_update(
    *,
    actor: Actor,
    order_ref: str,
    consumer_ref: str,
    changes: Mapping[str, Any],
    expected_modified_at: datetime | None,
    job_id: str = "",
    reverts: AuditEntry | None = None,
) -> Audited[Consumer]:
    client, payload = get_client(), to_cdp_json(changes)
    return _change(
        actor=actor,
        resource_type="consumer",
        operation="patch",
        ref=consumer_ref,
        order_ref=order_ref,
        read=lambda: client.order_consumer_get(consumer_ref),
        write=lambda _: client.order_consumer_patch(consumer_ref, payload),
        expected_modified_at=expected_modified_at,
        job_id=job_id,
        reverts=reverts,
    )


def consumer_replace(
    *,
    actor: Actor,
    order_ref: str,
    consumer_ref: str,
    body: Mapping[str, Any],
    expected_modified_at: datetime | None,
) -> Audited[Consumer]:
    client, payload = get_client(), to_cdp_json(body)
    return _change(
        actor=actor,
        resource_type="consumer",
        operation="replace",
        ref=consumer_ref,
        order_ref=order_ref,
        read=lambda: client.order_consumer_get(consumer_ref),
        write=lambda _: client.order_consumer_replace(consumer_ref, payload),
        expected_modified_at=expected_modified_at,
    )


def consumer_delete(*, actor: Actor, order_ref: str, consumer_ref: str) -> Audited[None]:
    client = get_client()
    return _change(
        actor=actor,
        resource_type="consumer",
        operation="delete",
        ref=consumer_ref,
        order_ref=order_ref,
        read=lambda: client.order_consumer_get(consumer_ref),
        write=lambda _: client.order_consumer_delete(consumer_ref),
        expected_modified_at=None,
    )
