"""Finding orders: the search page and the paste-many lookup."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from orders.cdp import CdpError, CdpValidationError, get_client
from orders.forms import PAGE_SIZES, LookupForm, SearchForm
from orders.lookups import lookup_orders
from orders.search_terms import first_page
from orders.views.common import HtmxHttpRequest
from orders.views.find import find_form_context, guest_search_redirect


@require_GET
@login_required
@permission_required("orders.view_orders", raise_exception=True)
def order_search(request: HtmxHttpRequest) -> HttpResponse:
    if lookup := guest_search_redirect(request):
        return lookup
    form = SearchForm(request.GET or None)
    context = {"title": "Find an order", "form": form, "page_sizes": PAGE_SIZES}
    context.update(find_form_context())
    terms = form.terms
    if not terms:
        return render(request, "orders/search.html", context)
    offset, limit = form.cleaned_data["offset"], form.cleaned_data["limit"]
    context["value"] = terms[0].typed  # kept in the search box when CDP fails
    context.update(find_form_context("auto", terms[0].typed))
    try:
        term, page = first_page(get_client(), terms, offset=offset, limit=limit)
    except CdpValidationError as exc:
        context["error"] = f"CDP refused this search: {exc.cdp_message or exc.message}"
        return render(request, "orders/search.html", context)
    except CdpError as exc:
        context["error"] = exc.message
        return render(request, "orders/search.html", context)
    if offset == 0 and len(page.items) == 1 and not page.has_next:
        if term.retried:
            messages.info(request, term.retry_note())
        return redirect("order-detail", order_ref=page.items[0].ref)
    context.update(
        term=term,
        tried=[t.kind_words + (" in capitals" if t.retried else "") for t in terms],
        field=term.kind,
        value=term.value,
        page=page,
        offset=offset,
        limit=limit,
        shown_to=offset + len(page.items),
        next_offset=page.next_offset if page.has_next else None,
        page_query=urlencode({term.kind: term.value}) + "&",
        previous_offset=max(offset - limit, 0) if offset else None,
    )
    return render(request, "orders/search.html", context)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("orders.view_orders", raise_exception=True)
def order_lookup(request: HtmxHttpRequest) -> HttpResponse:
    form = LookupForm(request.POST or None)
    results = None
    if request.method == "POST" and form.is_valid():
        results = lookup_orders(form.cleaned_data["values"])
    return render(
        request,
        "orders/lookup.html",
        {"title": "Look up many orders", "form": form, "results": results},
    )
