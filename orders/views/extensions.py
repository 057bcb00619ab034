"""The data-extension grid of an order or an order item: read, add, edit, delete, replace.

One set of views serves both scopes: URLs under `orders/<order_ref>/ext/…` act on the order's
extension, URLs under `orders/<order_ref>/items/<item_ref>/ext/…` on the item's. Each row is
written on its own, key-scoped (POST or PATCH of one key, `DELETE …/fields?name=key`); only
the separate replace page sends a PUT.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import reswap, retarget

from orders.cdp import CdpError, DataExtension
from orders.cdp.paths import field_name_problem
from orders.ext_forms import (
    RESERVED_KEYS,
    BasePairFormSet,
    ExtPairForm,
    ExtValue,
    PairFormSet,
    display_value,
    dump_seen,
    load_seen,
    pair_formset_initial,
    type_of,
)
from orders.ext_grid import ExtGrid, ExtPlace, ExtRow, ext_grid_context, key_usage, type_warning
from orders.selectors.orders import order_extension_read, order_item_extension_read
from orders.services.audited import ServiceError
from orders.services.extensions import (
    KeyConflict,
    order_extension_delete_keys,
    order_extension_replace,
    order_extension_set,
    order_item_extension_delete_keys,
    order_item_extension_replace,
    order_item_extension_set,
    same_value,
)
from orders.views.common import HtmxHttpRequest

GRID_TEMPLATE = "orders/includes/ext_grid.html"


def _place(order_ref: str, item_ref: str = "", key: str | None = None) -> ExtPlace:
    if key is not None and key in RESERVED_KEYS:
        raise Http404("No such data-extension key.")
    return ExtPlace(order_ref, item_ref)


def _read(place: ExtPlace) -> DataExtension | None:
    """CDP's extension at `place` (None: it has none)."""
    if place.item_ref:
        return order_item_extension_read(place.item_ref)
    return order_extension_read(place.order_ref)


def _pairs(place: ExtPlace) -> dict[str, ExtValue] | None:
    """CDP's pairs of the extension at `place` (None: it has none)."""
    ext = _read(place)
    return None if ext is None else dict(ext.pairs)


def _can_edit(request: HtmxHttpRequest) -> bool:
    return request.user.has_perm("orders.change_extensions")


def _grid(
    request: HtmxHttpRequest,
    place: ExtPlace,
    ext: DataExtension | None = None,
    *,
    fetch: bool = True,
) -> ExtGrid:
    """The grid with CDP's pairs: read now (`fetch`), or as a write just returned them."""
    error = ""
    if fetch:
        try:
            ext = _read(place)
        except CdpError as exc:
            ext, error = None, exc.message
    return ext_grid_context(
        place.scope,
        place.parent_ref,
        place.order_ref,
        None if ext is None else ext.pairs,
        error=error,
        can_edit=_can_edit(request),
        foreign=None if ext is None else ext.unreadable_pairs,
    )


def _render(request: HtmxHttpRequest, partial: str, grid: ExtGrid, **context: Any) -> HttpResponse:
    return render(request, f"{GRID_TEMPLATE}#{partial}", {"grid": grid, **context})


def _grid_response(request: HtmxHttpRequest, grid: ExtGrid, **context: Any) -> HttpResponse:
    """The whole grid, swapped over the section whatever element asked."""
    response = _render(request, "ext-grid", grid, **context)
    return reswap(retarget(response, f"#ext-grid-{grid.parent_ref}"), "outerHTML")


def _not_htmx(request: HtmxHttpRequest, place: ExtPlace, text: str, ok: bool) -> HttpResponse:
    """Without htmx the grid's forms still work: the answer is a message on the order page."""
    (messages.success if ok else messages.error)(request, text)
    return redirect(reverse("order-detail", kwargs={"order_ref": place.order_ref}))


@require_GET
@login_required
@permission_required("orders.view_orders", raise_exception=True)
@vary_on_headers("HX-Request")
def ext_grid(request: HtmxHttpRequest, order_ref: str, item_ref: str = "") -> HttpResponse:
    return _render(request, "ext-grid", _grid(request, _place(order_ref, item_ref)))


@require_GET
@login_required
@permission_required("orders.view_orders", raise_exception=True)
def ext_row(request: HtmxHttpRequest, order_ref: str, key: str, item_ref: str = "") -> HttpResponse:
    """One row as CDP holds it now (Esc, Cancel and "Use current" land here)."""
    place = _place(order_ref, item_ref, key)
    grid = ExtGrid(place=place, can_edit=_can_edit(request))
    try:
        pairs = _pairs(place) or {}
    except CdpError as exc:
        return _render(request, "ext-row-gone", grid, ext_key=key, ext_error=exc.message)
    if key not in pairs:
        return _render(request, "ext-row-gone", grid, ext_key=key, ext_error="")
    return _render(request, "ext-row", grid, row=ExtRow(key, pairs[key], place), ext_focus=True)


@require_GET
@login_required
@permission_required("orders.change_extensions", raise_exception=True)
def ext_row_edit(
    request: HtmxHttpRequest, order_ref: str, key: str, item_ref: str = ""
) -> HttpResponse:
    """The row as a form, holding the value it was rendered with (`?seen=`) as the baseline."""
    place = _place(order_ref, item_ref, key)
    ok, seen = load_seen(request.GET.get("seen", ""))
    if not ok or seen is None:
        try:
            seen = (_pairs(place) or {}).get(key)
        except CdpError as exc:
            grid = ExtGrid(place=place, can_edit=True)
            return _render(request, "ext-row-gone", grid, ext_key=key, ext_error=exc.message)
        if seen is None:
            return _render(request, "ext-row-gone", ExtGrid(place=place), ext_key=key, ext_error="")
    row = ExtRow(key, seen, place)
    form = ExtPairForm(
        is_new=False,
        fixed_key=key,
        initial={"key": key, "type": row.type, "value": row.display, "seen": row.seen},
    )
    return _render(
        request, "ext-row-edit", ExtGrid(place=place, can_edit=True), row=row, ext_form=form
    )


@require_POST
@login_required
@permission_required("orders.change_extensions", raise_exception=True)
def ext_save(
    request: HtmxHttpRequest, order_ref: str, key: str, item_ref: str = ""
) -> HttpResponse:
    """Set one existing key (PATCH of that key only), refusing if CDP's value moved on."""
    place = _place(order_ref, item_ref, key)
    grid = ExtGrid(place=place, can_edit=True)
    form = ExtPairForm(request.POST, is_new=False, fixed_key=key)
    seen_row = ExtRow(key, "", place)  # the edit row takes its values from the bound form
    if not form.is_valid():
        return _render(request, "ext-row-edit", grid, row=seen_row, ext_form=form)
    value, seen = form.cleaned_data["typed_value"], form.cleaned_data["seen"]
    if seen is not None and same_value(value, seen):
        return _render(request, "ext-row", grid, row=ExtRow(key, value, place), ext_focus=True)
    usage = key_usage(place.scope)
    try:
        ext = _set(request, place, key, value, seen)
    except KeyConflict as conflict:
        return _render_conflict(request, grid, form, conflict)
    except (CdpError, ServiceError) as exc:
        return _render(
            request, "ext-row-edit", grid, row=seen_row, ext_form=form, ext_error=exc.message
        )
    if not request.htmx:
        return _not_htmx(request, place, f"Saved “{key}”.", ok=True)
    saved = ExtRow(key, ext.pairs.get(key, value), place)
    warning = type_warning(place.scope, usage, key, saved.value)
    return _render(request, "ext-row", grid, row=saved, ext_focus=True, ext_row_warning=warning)


def _render_conflict(
    request: HtmxHttpRequest, grid: ExtGrid, form: ExtPairForm, conflict: KeyConflict
) -> HttpResponse:
    """The edit row again, the user's value kept, CDP's current value as the new baseline."""
    if conflict.current is None:
        baseline = ExtRow(conflict.key, "", grid.place)
    else:
        baseline = ExtRow(conflict.key, conflict.current, grid.place)
    data = {**dict(form.data.items()), "seen": dump_seen(conflict.current)}
    rebound = ExtPairForm(data, is_new=False, fixed_key=conflict.key)
    rebound.is_valid()
    return _render(
        request,
        "ext-row-edit",
        grid,
        row=baseline,
        ext_form=rebound,
        ext_conflict=conflict,
        ext_current_display=(None if conflict.current is None else display_value(conflict.current)),
        ext_current_type=None if conflict.current is None else type_of(conflict.current),
    )


def _set(
    request: HtmxHttpRequest, place: ExtPlace, key: str, value: ExtValue, seen: ExtValue | None
) -> DataExtension:
    """Set one key, if CDP's value is still `seen`; CDP's extension afterwards."""
    actor, order_ref, item_ref, expected = (
        request.user,
        place.order_ref,
        place.item_ref,
        {key: seen},
    )
    if item_ref:
        done = order_item_extension_set(
            actor=actor,
            order_ref=order_ref,
            item_ref=item_ref,
            pairs={key: value},
            expected=expected,
        )
    else:
        done = order_extension_set(
            actor=actor, order_ref=order_ref, pairs={key: value}, expected=expected
        )
    return done.value


def _delete(
    request: HtmxHttpRequest, place: ExtPlace, key: str, seen: ExtValue | None
) -> DataExtension:
    """Remove one key, if CDP's value is still `seen`; CDP's extension afterwards."""
    actor, order_ref, item_ref, expected = (
        request.user,
        place.order_ref,
        place.item_ref,
        {key: seen},
    )
    if item_ref:
        done = order_item_extension_delete_keys(
            actor=actor, order_ref=order_ref, item_ref=item_ref, keys=[key], expected=expected
        )
    else:
        done = order_extension_delete_keys(
            actor=actor, order_ref=order_ref, keys=[key], expected=expected
        )
    return done.value


@require_POST
@login_required
@permission_required("orders.change_extensions", raise_exception=True)
def ext_add(request: HtmxHttpRequest, order_ref: str, item_ref: str = "") -> HttpResponse:
    """Add a pair: POST creates the extension when CDP has none, else PATCH of the new key.

    The service's read under the lock is the only one: a key that exists already is a
    conflict there, shown on the form's key field.
    """
    place = _place(order_ref, item_ref)
    grid = ExtGrid(place=place, can_edit=True, usage=key_usage(place.scope))
    form = ExtPairForm(request.POST, is_new=True)
    if not form.is_valid():
        return _render(request, "ext-row-new", grid, ext_form=form)
    key, value = form.cleaned_data["key"], form.cleaned_data["typed_value"]
    try:
        ext = _set(request, place, key, value, None)
    except KeyConflict:
        form.add_error(
            "key", f"The key “{key}” is already in this extension; edit that row instead."
        )
        return _render(request, "ext-row-new", grid, ext_form=form)
    except (CdpError, ServiceError) as exc:
        return _render(request, "ext-row-new", grid, ext_form=form, ext_error=exc.message)
    if not request.htmx:
        return _not_htmx(request, place, f"Added “{key}”.", ok=True)
    warning = type_warning(place.scope, grid.usage, key, ext.pairs.get(key, value))
    fresh = _grid(request, place, ext, fetch=False)
    return _grid_response(
        request, fresh, ext_warning_key=key, ext_warning=warning, ext_focus_new=True
    )


@require_POST
@login_required
@permission_required("orders.change_extensions", raise_exception=True)
def ext_delete(
    request: HtmxHttpRequest, order_ref: str, key: str, item_ref: str = ""
) -> HttpResponse:
    """Remove one key with `DELETE …/fields?name=key`, if its value is still the one shown."""
    place = _place(order_ref, item_ref, key)
    ok, seen = load_seen(request.POST.get("seen", ""))
    grid = ExtGrid(place=place, can_edit=True)
    try:
        ext = _delete(request, place, key, seen if ok else None)
    except KeyConflict as conflict:
        if not request.htmx:
            return _not_htmx(request, place, conflict.message, ok=False)
        if conflict.current is None:
            response = _render(request, "ext-row-gone", grid, ext_key=key, ext_error="")
        else:
            text = f"{conflict.message} Nothing was deleted; delete again to remove the new value."
            row = ExtRow(key, conflict.current, place)
            response = _render(request, "ext-row", grid, row=row, ext_error=text, ext_focus=True)
    except (CdpError, ServiceError) as exc:
        if not request.htmx:
            return _not_htmx(request, place, exc.message, ok=False)
        row = ExtRow(key, seen if ok and seen is not None else "", place)
        response = _render(request, "ext-row", grid, row=row, ext_error=exc.message, ext_focus=True)
    else:
        if not request.htmx:
            return _not_htmx(request, place, f"Deleted “{key}”.", ok=True)
        return _grid_response(request, _grid(request, place, ext, fetch=False), ext_focus_new=True)
    return reswap(retarget(response, f"#ext-row-{place.parent_ref}-{key}"), "outerHTML")


@require_POST
@login_required
@permission_required("orders.change_extensions", raise_exception=True)
def ext_delete_foreign(
    request: HtmxHttpRequest, order_ref: str, item_ref: str = ""
) -> HttpResponse:
    """Remove a pair another system wrote, whose key cannot be in a URL of this application.

    The key comes in the form and goes to CDP as `DELETE …/fields?name=<key>` (the client
    quotes it, and the audit records the path it sent) when the reference allows naming it
    there; otherwise the grid says why not.
    """
    place = _place(order_ref, item_ref)
    key = request.POST.get("key", "")
    problem = field_name_problem(key)
    ok, seen = load_seen(request.POST.get("seen", ""))
    ext, error = None, ""
    if problem is not None:
        error = f"The key “{key}” cannot be deleted through CDP's API: {problem}."
    else:
        try:
            ext = _delete(request, place, key, seen if ok else None)
        except KeyConflict as conflict:
            error = f"{conflict.message} Nothing was deleted; look at the pair again."
        except (CdpError, ServiceError) as exc:
            error = exc.message
    if not request.htmx:
        return _not_htmx(request, place, error or "Deleted the pair.", ok=not error)
    grid = _grid(request, place, ext, fetch=ext is None)
    return _grid_response(request, grid, ext_grid_error=error)


def replace_fingerprint(current: Mapping[str, ExtValue], new: Mapping[str, ExtValue]) -> str:
    """Ties a confirmation to the exact before and after the user was shown."""
    text = json.dumps([current, new], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def replace_plan(
    current: Mapping[str, ExtValue], new: Mapping[str, ExtValue]
) -> dict[str, list[Any]]:
    """What a PUT of `new` does to `current`: keys dropped, changed (before, after), added."""
    return {
        "dropped": [(k, current[k]) for k in current if k not in new],
        "changed": [
            (k, current[k], new[k])
            for k in new
            if k in current and not same_value(current[k], new[k])
        ],
        "added": [(k, new[k]) for k in new if k not in current],
    }


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("orders.change_extensions", raise_exception=True)
def ext_replace(request: HtmxHttpRequest, order_ref: str, item_ref: str = "") -> HttpResponse:
    """Replace every pair (PUT), after a confirmation that lists the keys it will drop."""
    place = _place(order_ref, item_ref)
    context: dict[str, Any] = {
        "place": place,
        "title": f"Replace all pairs of the {place.scope.label}",
    }
    try:
        current = _pairs(place) or {}
    except CdpError as exc:
        return render(request, "orders/ext_replace.html", {**context, "error": exc.message})
    if request.method == "GET":
        formset = PairFormSet(initial=pair_formset_initial(current), prefix="pair")
        return render(
            request, "orders/ext_replace.html", {**context, "formset": formset, "current": current}
        )
    formset = cast(BasePairFormSet, PairFormSet(request.POST, prefix="pair"))
    context.update(formset=formset, current=current)
    if not formset.is_valid():
        return render(request, "orders/ext_replace.html", context)
    new = formset.pairs()
    fingerprint = replace_fingerprint(current, new)
    if request.POST.get("confirm") != fingerprint:
        plan = replace_plan(current, new)
        context.update(plan=plan, fingerprint=fingerprint, stale="confirm" in request.POST)
        return render(request, "orders/ext_replace.html", context)
    try:
        if place.item_ref:
            order_item_extension_replace(
                actor=request.user, order_ref=order_ref, item_ref=place.item_ref, pairs=new
            )
        else:
            order_extension_replace(actor=request.user, order_ref=order_ref, pairs=new)
    except (CdpError, ServiceError) as exc:
        return render(request, "orders/ext_replace.html", {**context, "error": exc.message})
    messages.success(request, f"Replaced the {place.scope.label}'s pairs: {len(new)} now.")
    return redirect(reverse("order-detail", kwargs={"order_ref": place.order_ref}))
