"""Everything the order page shows, gathered in one place so the view stays thin."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from orders.cdp import CdpError, CdpNotFound, CdpUnavailable, get_client
from orders.ext_grid import ext_grid_context
from orders.forms import NoteForm
from orders.home import change_views, record_order_view
from orders.selectors import audit_entries_for_order
from orders.services.extensions import ORDER_EXTENSION
from orders.services.notes import order_notes
from orders.services.observed import observe_order, observe_order_record


def order_page_context(request: HttpRequest, order_ref: str) -> dict[str, Any]:
    """The order page's context; on failure, an `error` sentence and an HTTP `status`."""
    try:
        bundle = get_client().order_page(order_ref)
    except CdpNotFound:
        return {
            "title": "Order not found",
            "order_ref": order_ref,
            "error": f"Order “{order_ref}” doesn’t exist in CDP. Perhaps it was deleted?",
            "status": 404,
        }
    except CdpError as exc:
        return {
            "title": "Order unavailable",
            "order_ref": order_ref,
            "error": exc.message,
            "status": 503 if isinstance(exc, CdpUnavailable) else 502,
        }
    order = bundle.order
    if bundle.extension.error is None:
        observe_order(order=order, extension=bundle.extension.value)
    else:
        observe_order_record(order)
    record_order_view(user=request.user, order_ref=order_ref, reference_id=order.reference_id)
    can_read_notes = request.user.has_perm("orders.view_ordernote")
    notes = list(order_notes(order_ref=order_ref)) if can_read_notes else []
    items = bundle.items.value or ()
    item_names = {item.ref: item.name or item.ref for item in items}
    return {
        "title": f"Order {order.reference_id}",
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
            can_edit=request.user.has_perm("orders.change_extensions"),
        ),
        "can_read_notes": can_read_notes,
        "notes": notes,
        "note_form": NoteForm(),
        "timeline": order_timeline(order_ref, notes, {order_ref: order.reference_id}),
    }


def order_timeline(
    order_ref: str, notes: list[Any], known: dict[str, str], limit: int = 30
) -> list[dict[str, Any]]:
    """Notes and recorded changes of an order, newest first; each intent with its outcome."""
    changes = change_views(audit_entries_for_order(order_ref=order_ref, limit=limit), known)
    events = [{"at": change.entry.at, "change": change} for change in changes] + [
        {"at": note.created_at, "note": note} for note in notes
    ]
    return sorted(events, key=lambda event: event["at"], reverse=True)[:limit]
