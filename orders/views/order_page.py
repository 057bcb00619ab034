"""Everything the order page shows, gathered in one place so the view stays thin."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.utils.text import Truncator

from orders.cdp import CdpError, CdpNotFound, CdpUnavailable, OrderBundle, get_client
from orders.ext_grid import KeyUsage, ext_grid_context, key_usage
from orders.forms import NoteForm
from orders.home import change_views
from orders.models import AuditEntry, OrderNote
from orders.selectors import Event, EventPage, audit_entries_for_order
from orders.services.extensions import ORDER_EXTENSION
from orders.services.notes import order_notes
from orders.services.observed import (
    Snapshot,
    order_outside_changes_record,
    outside_changes_snapshot,
)


def order_page_begin(request: HttpRequest, order_ref: str) -> Callable[[], dict[str, Any]]:
    """Send the order page's calls to CDP and read its own records while they are out.

    Returns the function that waits for CDP's answers and gives the page's context; on
    failure, an `error` sentence and an HTTP `status`. The caller may do its own work (render
    the frame) before calling it.
    """
    can_edit = request.user.has_perm("orders.change_extensions")
    can_read_notes = request.user.has_perm("orders.view_ordernote")
    try:
        answers = get_client().order_page_begin(order_ref)
    except CdpError as exc:
        failure = failure_context(order_ref, exc)
        return lambda: failure
    own = OwnRecords(
        can_edit=can_edit,
        can_read_notes=can_read_notes,
        notes=order_notes(order_ref=order_ref) if can_read_notes else [],
        changes=audit_entries_for_order(order_ref=order_ref, limit=TIMELINE_LIMIT),
        usage=key_usage(ORDER_EXTENSION) if can_edit else {},
        snapshot=outside_changes_snapshot(order_ref=order_ref),
    )

    def finish() -> dict[str, Any]:
        try:
            bundle = answers()
        except CdpError as exc:
            return failure_context(order_ref, exc)
        return answered_context(request, order_ref, bundle, own)

    return finish


@dataclass(frozen=True)
class OwnRecords:
    """What the order page reads from cdpadmin's database while CDP's answers are out."""

    can_edit: bool
    can_read_notes: bool
    notes: list[OrderNote]
    changes: EventPage
    usage: Mapping[str, KeyUsage]
    snapshot: Snapshot


def failure_context(order_ref: str, error: CdpError) -> dict[str, Any]:
    if isinstance(error, CdpNotFound):
        return {
            "title": "Order not found",
            "order_ref": order_ref,
            "error": f"Order “{order_ref}” doesn’t exist in CDP. Perhaps it was deleted?",
            "status": 404,
        }
    return {
        "title": "Order unavailable",
        "order_ref": order_ref,
        "error": error.message,
        "status": 503 if isinstance(error, CdpUnavailable) else 502,
    }


def answered_context(
    request: HttpRequest, order_ref: str, bundle: OrderBundle, own: OwnRecords
) -> dict[str, Any]:
    order = bundle.order
    # Opening an order can write to the audit trail: changes made outside cdpadmin.
    observed = order_outside_changes_record(bundle=bundle, snapshot=own.snapshot)
    items = bundle.items.value or ()
    item_names = {item.ref: item.name or item.ref for item in items}
    return {
        "title": f"Order {order.reference_id or order.ref}",
        "crumb": f"Order {Truncator(order.reference_id or order.ref).chars(80)}",
        "order_ref": order_ref,
        "order": order,
        "items": bundle.items,
        "contacts": bundle.contacts,
        "customer": next(iter(bundle.contacts.value or ()), None),
        "consumers": bundle.consumers,
        "consumer_rows": [
            (consumer, [item_names.get(ref, ref) for ref in consumer.item_refs])
            for consumer in bundle.consumers.value or ()
        ],
        "order_grid": ext_grid_context(
            ORDER_EXTENSION,
            order_ref,
            order_ref,
            bundle.extension.value.pairs if bundle.extension.value else None,
            error=bundle.extension.error.message if bundle.extension.error else None,
            can_edit=own.can_edit,
            usage=own.usage,
            foreign=bundle.extension.value.unreadable_pairs if bundle.extension.value else None,
        ),
        "can_read_notes": own.can_read_notes,
        "notes": own.notes,
        "note_form": NoteForm(),
        "timeline": order_timeline(
            own.changes,
            own.notes,
            observed,
            {order_ref: order.reference_id} if order.reference_id else {},
        ),
    }


TIMELINE_LIMIT = 30


def order_timeline(
    changes: Iterable[Event],
    notes: list[Any],
    observed: Iterable[AuditEntry],
    known: dict[str, str],
    limit: int = TIMELINE_LIMIT,
) -> list[dict[str, Any]]:
    """Notes and recorded changes of an order, newest first; each intent with its outcome.

    `changes` were read before this page view observed anything; `observed` are the rows it
    has just written, so they show at once.
    """
    views = change_views([*(Event(entry) for entry in observed), *changes], known)
    events = [{"at": change.entry.at, "change": change} for change in views] + [
        {"at": note.created_at, "note": note} for note in notes
    ]
    return sorted(events, key=lambda event: event["at"], reverse=True)[:limit]
