"""Finding the customer: a guest lookup's results and the guest page."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from orders.cdp import CdpError, CdpNotFound, CdpUnavailable, get_client
from orders.forms import PAGE_SIZES
from orders.services.guests import (
    GUEST_KINDS,
    guest_opened,
    guest_query,
    lookup_guests,
    lookup_hmac,
)
from orders.views.common import HtmxHttpRequest
from orders.views.find import LOOKUP_SESSION_KEY, find_form_context

TOO_MANY = "More than 100 guests match; add a name."


def _lookup_rows(guests: tuple[Any, ...]) -> list[dict[str, Any]]:
    counts = get_client().guest_order_counts([guest.ref for guest in guests])
    return [{"guest": guest, "orders": counts.get(guest.ref)} for guest in guests]


@require_GET
@login_required
@permission_required("orders.view_orders", raise_exception=True)
def guest_lookup(request: HtmxHttpRequest) -> HttpResponse:
    """The results of the lookup parked in the session: a sentence, a pick list, or the guest.

    The first visit runs (and records) the lookup and opens a single match at once; coming
    back (the browser's Back) shows the list again without recording another lookup.
    """
    lookup = request.session.get(LOOKUP_SESSION_KEY)
    if not lookup or lookup.get("kind") not in GUEST_KINDS:
        return redirect("order-search")
    kind, value = lookup["kind"], lookup["value"]
    names = {"first_name": lookup["first_name"], "last_name": lookup["last_name"]}
    context: dict[str, Any] = {
        "title": "Find a customer",
        "kind_label": GUEST_KINDS[kind],
        **find_form_context(kind, value, **names),
    }
    try:
        if lookup["entry_id"] is None:
            found = lookup_guests(actor=request.user, kind=kind, value=value, **names)
            matches = found.matches
            lookup.update(entry_id=found.entry_id, refs=[g.ref for g in matches.guests])
            request.session.modified = True
            if len(matches) == 1:
                return redirect("guest-detail", guest_ref=matches.guests[0].ref)
        else:
            matches = get_client().guests_search(guest_query(kind, value, **names))
    except ValueError as exc:
        context["error"] = str(exc)
        return render(request, "orders/guest_lookup.html", context)
    except CdpError as exc:
        context["error"] = exc.message
        return render(request, "orders/guest_lookup.html", context, status=502)
    context.update(matches=matches, rows=_lookup_rows(matches.guests), too_many=TOO_MANY)
    return render(request, "orders/guest_lookup.html", context)


def _record_open(request: HtmxHttpRequest, guest_ref: str) -> str | None:
    """Record the first opening of a guest the session's lookup found (once per lookup).

    Returns the kind of value the guest was found by, or None when it was not looked up.
    """
    lookup = request.session.get(LOOKUP_SESSION_KEY)
    if not lookup or lookup.get("entry_id") is None or guest_ref not in lookup.get("refs", ()):
        return None
    if guest_ref in lookup["opened"]:
        return GUEST_KINDS[lookup["kind"]]
    guest_opened(
        actor=request.user,
        guest_ref=guest_ref,
        kind=lookup["kind"],
        value_hmac=lookup_hmac(lookup["kind"], lookup["value"]),
        lookup_id=lookup["entry_id"],
    )
    lookup["opened"].append(guest_ref)
    request.session.modified = True
    return GUEST_KINDS[lookup["kind"]]


def _page_window(request: HtmxHttpRequest) -> tuple[int, int]:
    offset = request.GET.get("offset", "")
    limit = request.GET.get("limit", "")
    size = int(limit) if limit.isdigit() and int(limit) in PAGE_SIZES else PAGE_SIZES[1]
    return (int(offset) if offset.isdigit() else 0), size


@require_GET
@login_required
@permission_required("orders.view_orders", raise_exception=True)
def guest_detail(request: HtmxHttpRequest, guest_ref: str) -> HttpResponse:
    """The guest's header and orders, newest first (the ref was validated by the URL)."""
    client = get_client()
    try:
        guest = client.guest_get(guest_ref)
    except CdpNotFound:
        missing = {
            "title": "Guest not available",
            "error": "CDP has no guest with this ref any more; it may have been merged into "
            "another profile. Search for the customer again.",
        }
        return render(request, "orders/guest_detail.html", missing, status=404)
    except CdpError as exc:
        status = 503 if isinstance(exc, CdpUnavailable) else 502
        unavailable = {"title": "Guest unavailable", "error": exc.message}
        return render(request, "orders/guest_detail.html", unavailable, status=status)
    found_by = _record_open(request, guest.ref)
    offset, limit = _page_window(request)
    context: dict[str, Any] = {
        "found_by": found_by,
        "title": "Guest",  # the name stays out of the window title and the history
        "guest": guest,
        "offset": offset,
        "limit": limit,
        "page_sizes": PAGE_SIZES,
    }
    try:
        found = client.guest_orders(guest.ref)
    except CdpError as exc:
        context["orders_error"] = exc.message
        return render(request, "orders/guest_detail.html", context)
    orders = found.orders[offset : offset + limit]
    context.update(
        orders=orders,
        total=len(found.orders),
        truncated=found.truncated,
        shown_to=offset + len(orders),
        previous_offset=max(offset - limit, 0) if offset else None,
        next_offset=offset + limit if offset + limit < len(found.orders) else None,
    )
    return render(request, "orders/guest_detail.html", context)
