"""Creating, changing and deleting orders, order items, contacts and consumers in CDP.

Every function here goes through `audited_call`. Updates carry the `modifiedAt` the user's
form was rendered from; the resource is re-read first and, if CDP's copy is newer, nothing is
written and `EditConflict` carries the current copy so the user can compare.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from orders.cdp import get_client
from orders.models import AuditEntry
from orders.services.audited import (
    Actor,
    Audited,
    Change,
    ServiceError,
    audited_call,
    serialised,
    to_cdp_json,
)
from orders.services.in_doubt import update_in_doubt


@dataclass(frozen=True)
class ResourceKind:
    """How one kind of CDP resource is named, addressed and reached through the client."""

    name: str
    label: str
    client_prefix: str
    path: str
    create_path: str

    def item_path(self, ref: str) -> str:
        return self.path.format(ref=ref)


ORDER = ResourceKind("order", "order", "order", "/v2.1/orders/{ref}", "/v2.1/orders")
ORDER_ITEM = ResourceKind(
    "order_item",
    "order item",
    "order_item",
    "/v2.1/orderItems/{ref}",
    "/v2.1/orders/{parent}/orderItems",
)
CONTACT = ResourceKind(
    "contact",
    "contact",
    "order_contact",
    "/v2.1/orderContacts/{ref}",
    "/v2.1/orders/{parent}/contacts",
)
CONSUMER = ResourceKind(
    "consumer",
    "consumer",
    "order_consumer",
    "/v2.1/orderConsumers/{ref}",
    "/v2.1/orders/{parent}/consumers",
)
KINDS = {kind.name: kind for kind in (ORDER, ORDER_ITEM, CONTACT, CONSUMER)}

# CDP requires these on every order update, even a PATCH (reference §9.7).
ORDER_REQUIRED_ON_UPDATE = ("referenceId", "orderedAt", "currencyCode", "price")


class EditConflict(ServiceError):
    """CDP's copy changed after the user's form was rendered; nothing was written."""

    def __init__(
        self, kind: ResourceKind, current: Any, changed_by: str | None, *, in_doubt: bool = False
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
            f"{who} changed this {kind.label} at {when}.{doubt} Your edits are below; "
            "review them against the current values and save again."
        )
        self.kind = kind
        self.current = current
        self.changed_by = changed_by


def _client_call(kind: ResourceKind, operation: str) -> Any:
    return getattr(get_client(), f"{kind.client_prefix}_{operation}")


def last_change_by(resource_ref: str, modified_at: datetime) -> str | None:
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


def _read_checked(kind: ResourceKind, ref: str, expected_modified_at: datetime | None) -> Any:
    current = _client_call(kind, "get")(ref)
    if expected_modified_at is not None and current.modified_at != expected_modified_at:
        in_doubt = update_in_doubt(resource_ref=ref) is not None
        raise EditConflict(
            kind, current, last_change_by(ref, current.modified_at), in_doubt=in_doubt
        )
    return current


def _order_ref_of(kind: ResourceKind, record: Any, fallback: str) -> str:
    if kind is ORDER:
        return record.ref
    return getattr(record, "order_ref", None) or fallback


def resource_create(
    kind: ResourceKind, *, actor: Actor, body: Mapping[str, Any], order_ref: str = ""
) -> Audited[Any]:
    """Create a resource; children of an order need `order_ref`."""
    payload = to_cdp_json(body)
    create = _client_call(kind, "create")
    return audited_call(
        Change(
            action=f"orders.{kind.name}.create",
            resource_type=kind.name,
            method="POST",
            cdp_path=kind.create_path.format(parent=order_ref),
            success_status=201,
            order_ref=order_ref,
            payload=payload,
        ),
        (lambda: create(payload)) if kind is ORDER else (lambda: create(order_ref, payload)),
        actor=actor,
        resource_ref_of=lambda record: record.ref,
    )


def _lock_key(kind: ResourceKind, **kwargs: Any) -> str:
    return f"{kind.name}:{kwargs['ref']}"


@serialised(_lock_key)
def resource_update(
    kind: ResourceKind,
    *,
    actor: Actor,
    ref: str,
    changes: Mapping[str, Any],
    expected_modified_at: datetime | None,
    replace: bool = False,
    order_ref: str = "",
    job_id: str = "",
    reverts: AuditEntry | None = None,
) -> Audited[Any]:
    """PATCH the changed fields (or PUT the whole body when `replace`) of one resource."""
    current = _read_checked(kind, ref, expected_modified_at)
    payload = to_cdp_json(changes)
    if kind is ORDER:
        stored = current.to_api()
        for field in ORDER_REQUIRED_ON_UPDATE:
            payload.setdefault(field, to_cdp_json(stored.get(field)))
    operation = "replace" if replace else "patch"
    call = _client_call(kind, operation)
    if kind is ORDER and not replace:
        invoke = lambda: call(ref, payload, current=current)  # noqa: E731
    else:
        invoke = lambda: call(ref, payload)  # noqa: E731
    return audited_call(
        Change(
            action=f"orders.{kind.name}.{operation}",
            resource_type=kind.name,
            method="PUT" if replace else "PATCH",
            cdp_path=kind.item_path(ref),
            success_status=200,
            resource_ref=ref,
            order_ref=_order_ref_of(kind, current, order_ref),
            payload=payload,
            before=current,
            job_id=job_id,
            reverts=reverts,
        ),
        invoke,
        actor=actor,
    )


@serialised(_lock_key)
def resource_delete(
    kind: ResourceKind,
    *,
    actor: Actor,
    ref: str,
    expected_modified_at: datetime | None = None,
    order_ref: str = "",
) -> Audited[None]:
    """Delete one resource (an order takes its items, contacts, consumers and extensions)."""
    current = _read_checked(kind, ref, expected_modified_at)
    delete = _client_call(kind, "delete")
    return audited_call(
        Change(
            action=f"orders.{kind.name}.delete",
            resource_type=kind.name,
            method="DELETE",
            cdp_path=kind.item_path(ref),
            success_status=204,
            resource_ref=ref,
            order_ref=_order_ref_of(kind, current, order_ref),
            before=current,
        ),
        lambda: delete(ref),
        actor=actor,
        after=lambda _: None,
    )


def order_update(
    *,
    actor: Actor,
    order_ref: str,
    changes: Mapping[str, Any],
    expected_modified_at: datetime | None,
) -> Audited[Any]:
    """PATCH an order's changed fields; CDP's four required fields are filled in."""
    return resource_update(
        ORDER,
        actor=actor,
        ref=order_ref,
        changes=changes,
        expected_modified_at=expected_modified_at,
    )
