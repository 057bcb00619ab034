"""The one search box: where a typed value is searched, once `classify` said what it is.

One box takes a referenceId, a guest ref, an email address, a phone number or `provider:id`;
`orders.search_terms.classify` decides which (the user may override it). The box is POSTed
here: order searches go on as GET (their values are not personal data), guest lookups are
parked in the session for `orders.views.guests.guest_lookup`, so an email never appears in
a URL, the browser's history, an access log or a Referer.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from orders.forms import PAGE_SIZES, FindForm
from orders.search_terms import BOX_KINDS, classify
from orders.services.guests import GUEST_KINDS
from orders.views.common import HtmxHttpRequest

# Where a guest lookup waits between the POST and the results page.
LOOKUP_SESSION_KEY = "guest_lookup"


def start_guest_lookup(
    request: HtmxHttpRequest, kind: str, value: str, *, first_name: str = "", last_name: str = ""
) -> HttpResponseRedirect:
    """Park the lookup in the session and send the browser to its results (no value in a URL)."""
    request.session[LOOKUP_SESSION_KEY] = {
        "kind": kind,
        "value": value,
        "first_name": first_name.strip(),
        "last_name": last_name.strip(),
        "entry_id": None,
        "refs": [],
        "opened": [],
    }
    return redirect("guest-lookup")


def find_form_context(kind: str = "auto", value: str = "", **names: str) -> dict[str, Any]:
    """The search box as it was filled in, with what its value was taken for."""
    form = FindForm(initial={"q": value, "kind": kind, **names})
    taken_as = BOX_KINDS.get(kind, "").lower() if value and kind != "auto" else ""
    return {"find_form": form, "taken_as": taken_as}


@require_POST
@login_required
@permission_required("orders.view_orders", raise_exception=True)
def find(request: HtmxHttpRequest) -> HttpResponse:
    """The search box's target: orders by GET (not personal data), customers via the session."""
    form = FindForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            kind, value = classify(data["q"], data["kind"])
        except ValueError as exc:
            form.add_error("q", str(exc))
        else:
            if kind in GUEST_KINDS:
                return start_guest_lookup(
                    request,
                    kind,
                    value,
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                )
            # Worked out: the order search reads `q` its own way; chosen: that field only.
            field = "q" if data["kind"] == "auto" else kind
            return redirect(reverse("order-search") + "?" + urlencode({field: value}))
    context = {"title": "Find an order", "find_form": form, "page_sizes": PAGE_SIZES}
    return render(request, "orders/search.html", context)


def guest_search_redirect(request: HtmxHttpRequest) -> HttpResponseRedirect | None:
    """For `GET /orders/?q=<an email>` (a bookmark, a GET form): the lookup, not an echo."""
    query = request.GET.get("q", "")
    if not query.strip():
        return None
    kind, value = classify(query)
    return start_guest_lookup(request, kind, value) if kind in GUEST_KINDS else None
