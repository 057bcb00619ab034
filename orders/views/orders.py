"""The order page and the forms that create, edit and delete orders and their parts.

Each screen is its own small view calling its service by name; `_create_page`, `_edit_page`
and `_delete_page` hold the one flow they share. An edit reads CDP once: the GET renders the
form from one read, and the POST sends the form's own record of what it showed (hidden
initials and `modifiedAt`) to the service, whose read under the lock is the only one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods

from orders import services
from orders.cdp import CdpError, CdpNotFound, CdpValidationError, get_client
from orders.forms import (
    CdpForm,
    ConsumerForm,
    ContactForm,
    OrderForm,
    OrderItemForm,
    initial_from_record,
)
from orders.home import record_order_view
from orders.selectors.orders import order_matches
from orders.services import Audited, EditConflict, ServiceError
from orders.services.in_doubt import child_create_resolve, resubmit_hint
from orders.services.resources import R, Record
from orders.views.common import HtmxHttpRequest
from orders.views.frames import render_frame
from orders.views.order_page import order_page_begin


@dataclass(frozen=True)
class Kind:
    """How the pages name one kind of resource (`kind.name`, `kind.label` in templates)."""

    name: str
    label: str


ORDER = Kind("order", "order")
ORDER_ITEM = Kind("order_item", "order item")
CONTACT = Kind("contact", "contact")
CONSUMER = Kind("consumer", "consumer")

Update = Callable[[dict[str, Any], datetime | None], Audited[Any]]


def not_found(kind: Kind, ref: str) -> Http404:
    return Http404(f"The {kind.label} “{ref}” doesn’t exist in CDP. Perhaps it was deleted?")


def load_for_form(kind: Kind, ref: str, read: Callable[[], R]) -> tuple[R | None, str]:
    """The record and "", or None and why CDP could not give it (a 404 is the 404 page)."""
    try:
        return read(), ""
    except CdpNotFound as exc:
        raise not_found(kind, ref) from exc
    except CdpError as exc:
        return None, exc.message


def refuse(request: HtmxHttpRequest, form: forms.Form, message: str) -> None:
    """Say why nothing was sent, keeping whatever the user typed in a bound form."""
    if form.is_bound:
        form.is_valid()
        form.add_error(None, message)
    else:
        messages.error(request, message)


def apply_error(form: forms.Form, exc: CdpError | ServiceError) -> None:
    """Put a CDP or service refusal on the form: on the field CDP named, else on the form."""
    if isinstance(exc, CdpValidationError) and exc.field in form.fields:
        form.add_error(exc.field, f"CDP refused this value: {exc.cdp_message or exc.message}")
    else:
        form.add_error(None, exc.message)


def confirm(request: HtmxHttpRequest, text: str, audited: Audited[Any]) -> None:
    """A success message naming the change's audit entry (a link for those who may read it)."""
    entry = audited.entry
    if request.user.has_perm("orders.view_auditentry"):
        url = reverse("audit-detail", args=[entry.pk])
        message = format_html('{} <a href="{}">See audit entry #{}</a>.', text, url, entry.pk)
    else:
        message = format_html("{} Recorded in the audit trail as entry #{}.", text, entry.pk)
    messages.success(request, message)


@require_GET
@login_required
@permission_required("orders.view_orders", raise_exception=True)
def order_detail(request: HtmxHttpRequest, order_ref: str) -> HttpResponse:
    finish = order_page_begin(request, order_ref)
    # Rendered while CDP's answers are on their way: only the title, crumb and page wait.
    frame = render_frame("orders/order_detail.html", request=request)
    context = finish()
    status = 200 if "order" in context else context.get("status", 502)
    response = frame.response(
        "orders/order_detail.html#page", context, request=request, status=status
    )
    if "order" in context:
        # For the home page's list; written once the page is sent, so nobody waits for it.
        viewed = partial(
            record_order_view,
            user=request.user,
            order_ref=order_ref,
            reference_id=context["order"].reference_id or "",
        )
        response.after_sent.append(viewed)
    return response


def order_url(order_ref: str) -> str:
    return reverse("order-detail", kwargs={"order_ref": order_ref})


def already_created(kind: Kind) -> str:
    return (
        f"CDP had applied your first attempt: this {kind.label} was already on the "
        "order, with the same fields, so nothing was sent again."
    )


def _create_page(
    request: HtmxHttpRequest,
    kind: Kind,
    form_class: type[CdpForm],
    create: Callable[[dict[str, Any]], Audited[Any]],
    *,
    order_ref: str = "",
) -> HttpResponse:
    initial, load_error = {}, ""
    if order_ref and request.method == "GET":
        order, load_error = load_for_form(
            ORDER, order_ref, lambda: get_client().order_get(order_ref)
        )
        initial = {"currencyCode": order.currency_code} if order is not None else {}
    form = form_class(request.POST or None, initial=initial)
    if load_error:
        refuse(request, form, load_error)
    elif request.method == "POST" and form.is_valid():
        try:
            found = child_create_resolve(
                actor=request.user,
                resource_type=kind.name,
                label=kind.label,
                order_ref=order_ref,
                body=form.cdp_body(),
            )
            if found is not None:
                confirm(request, already_created(kind), found)
                return redirect(order_url(order_ref))
            audited = create(form.cdp_body())
        except (CdpError, ServiceError) as exc:
            apply_error(form, exc)
            hint = resubmit_hint(
                resource_type=kind.name, label=kind.label, order_ref=order_ref, body=form.cdp_body()
            )
            if hint:
                form.add_error(None, hint)
        else:
            confirm(request, f"The {kind.label} was created.", audited)
            return redirect(order_url(order_ref or audited.value.ref))
    return render(
        request,
        "orders/resource_form.html",
        {"title": f"New {kind.label}", "form": form, "kind": kind, "order_ref": order_ref},
    )


def _edit_page(
    request: HtmxHttpRequest,
    kind: Kind,
    form_class: type[CdpForm],
    *,
    order_ref: str,
    ref: str,
    read: Callable[[], Record],
    update: Update,
    replace: Update,
) -> HttpResponse:
    record, load_error, conflict = None, "", None
    if request.method == "POST":
        form = form_class(
            request.POST, initial=form_class.shown_initial(request.POST), editing=True
        )
    else:
        record, load_error = load_for_form(kind, ref, read)
        initial = initial_from_record(record, form_class) if record is not None else {}
        form = form_class(initial=initial, editing=True)
    if load_error:
        refuse(request, form, load_error)
    elif request.method == "POST" and form.is_valid():
        replacing = "_replace" in request.POST
        changes = form.cdp_body() if replacing else form.cdp_changes()
        if not changes:
            messages.info(request, "Nothing was changed.")
            return redirect(order_url(order_ref))
        seen = form.cleaned_data["modifiedAt"]
        try:
            audited = (replace if replacing else update)(changes, seen)
        except CdpNotFound as exc:
            raise not_found(kind, ref) from exc
        except EditConflict as exc:
            apply_error(form, exc)
            record, conflict = exc.current, conflict_context(form, exc, changes)
        except (CdpError, ServiceError) as exc:
            apply_error(form, exc)
        else:
            confirm(request, f"The {kind.label} was changed.", audited)
            return redirect(order_url(order_ref))
    return render(
        request,
        "orders/resource_form.html",
        {
            "title": f"Edit {kind.label}",
            "form": form,
            "kind": kind,
            "record": record,
            "order_ref": order_ref,
            "conflict": conflict,
            "editing": True,
            "replace_clears": fields_outside_form(record, form),
        },
    )


def _delete_page(
    request: HtmxHttpRequest,
    kind: Kind,
    *,
    order_ref: str,
    ref: str,
    read: Callable[[], Record],
    delete: Callable[[], Audited[None]],
    consequence: Callable[[Any], str],
    done_url: str,
) -> HttpResponse:
    record, load_error = None, ""
    if request.method == "GET":
        record, load_error = load_for_form(kind, ref, read)
    form = forms.Form({})  # an empty bound form: it only carries the confirmation's errors
    form.is_valid()
    if load_error:
        refuse(request, form, load_error)
    elif request.method == "POST":
        try:
            audited = delete()
        except CdpNotFound as exc:
            raise not_found(kind, ref) from exc
        except (CdpError, ServiceError) as exc:
            apply_error(form, exc)
        else:
            confirm(request, f"The {kind.label} was deleted.", audited)
            return redirect(done_url)
    return render(
        request,
        "orders/resource_delete.html",
        {
            "title": f"Delete {kind.label}",
            "kind": kind,
            "record": record,
            "order_ref": order_ref,
            "consequence": consequence(record),
            "errors": form.non_field_errors(),
        },
    )


SERVER_FIELDS = {"ref", "href", "createdAt", "modifiedAt", "guest", "order", "orderItems"}


def fields_outside_form(record: Record | None, form: CdpForm) -> list[str]:
    """Fields CDP holds for this record that the form does not show: a full replace clears them."""
    if record is None:
        return []
    held = {name for name, value in record.to_api().items() if value not in (None, "", [], {})}
    return sorted(held - set(form.fields) - SERVER_FIELDS)


def conflict_context(
    form: CdpForm, conflict: EditConflict, changes: dict[str, Any]
) -> dict[str, Any]:
    """Yours / current side by side, and a form state that lets "apply mine" go through."""
    current = initial_from_record(conflict.current, type(form))
    form.data = {**dict(form.data.items()), "modifiedAt": current["modifiedAt"]}
    rows = [
        {
            "label": form.fields[name].label or name,
            "yours": form.cleaned_data.get(name),
            "current": current.get(name),
            "mine": name in changes,
        }
        for name in form.fields
        if name != "modifiedAt"
        # Only the fields that differ between the two sides.
        and form.fields[name].has_changed(current.get(name), form[name].data)
    ]
    return {"rows": rows, "changed_by": conflict.changed_by}


def order_delete_consequence(order: Any) -> str:
    """What else goes when an order is deleted, counted from the order CDP returned."""
    if order is None:
        return "its items, contacts, consumers and data extensions are deleted with it"
    parts = [
        f"{len(refs)} {noun}{'s' if len(refs) != 1 else ''}"
        for refs, noun in (
            (order.item_refs, "item"),
            (order.contact_refs, "contact"),
            (order.consumer_refs, "consumer"),
        )
        if refs
    ]
    listed = ", ".join(parts) if parts else "no items, contacts or consumers"
    return f"its {listed} and any data extensions are deleted with it"


# --- the screens -----------------------------------------------------------------------------


def change_orders_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """GET or POST, signed in, allowed to change orders: every screen below."""
    allowed = permission_required("orders.change_orders", raise_exception=True)(view)
    return require_http_methods(["GET", "POST"])(login_required(allowed))


@change_orders_view
def order_create(request: HtmxHttpRequest) -> HttpResponse:
    """Create an order, first looking for one CDP would merge it into (reference §7).

    A match is shown with a link and two ways on: update that order instead, or create
    anyway, which CDP merges into it (recorded as a merge, with that order as `before`).
    """
    form = OrderForm(request.POST or None)
    match = None
    if request.method == "POST" and form.is_valid():
        body = form.cdp_body()
        try:
            matches = order_matches(
                reference_id=body["referenceId"], ordered_at=form.cleaned_data["orderedAt"]
            )
            match = matches[0] if matches else None
            if match is None or request.POST.get("_create_anyway") == match.ref:
                audited = services.order_create(actor=request.user, body=body, match=match)
                return _created(request, audited)
        except (CdpError, ServiceError) as exc:
            apply_error(form, exc)
    return render(
        request,
        "orders/resource_form.html",
        {"title": "New order", "form": form, "kind": ORDER, "order_ref": "", "match": match},
    )


def _created(request: HtmxHttpRequest, audited: Audited[services.Order]) -> HttpResponse:
    order = audited.value
    if audited.action == "orders.order.merge":
        text = (
            f"CDP merged this into order {order.reference_id}, which already existed: "
            "that order was updated and no new order was created."
        )
    else:
        text = "The order was created."
    confirm(request, text, audited)
    return redirect(order_url(order.ref))


@change_orders_view
def order_edit(request: HtmxHttpRequest, order_ref: str) -> HttpResponse:
    actor = request.user
    return _edit_page(
        request,
        ORDER,
        OrderForm,
        order_ref=order_ref,
        ref=order_ref,
        read=lambda: get_client().order_get(order_ref),
        update=lambda changes, seen: services.order_update(
            actor=actor, order_ref=order_ref, changes=changes, expected_modified_at=seen
        ),
        replace=lambda body, seen: services.order_replace(
            actor=actor, order_ref=order_ref, body=body, expected_modified_at=seen
        ),
    )


@change_orders_view
def order_delete(request: HtmxHttpRequest, order_ref: str) -> HttpResponse:
    return _delete_page(
        request,
        ORDER,
        order_ref=order_ref,
        ref=order_ref,
        read=lambda: get_client().order_get(order_ref),
        delete=lambda: services.order_delete(actor=request.user, order_ref=order_ref),
        consequence=order_delete_consequence,
        done_url=reverse("order-search"),
    )


@change_orders_view
def order_item_create(request: HtmxHttpRequest, order_ref: str) -> HttpResponse:
    return _create_page(
        request,
        ORDER_ITEM,
        OrderItemForm,
        lambda body: services.order_item_create(actor=request.user, order_ref=order_ref, body=body),
        order_ref=order_ref,
    )


@change_orders_view
def order_item_edit(request: HtmxHttpRequest, order_ref: str, ref: str) -> HttpResponse:
    actor = request.user
    return _edit_page(
        request,
        ORDER_ITEM,
        OrderItemForm,
        order_ref=order_ref,
        ref=ref,
        read=lambda: get_client().order_item_get(ref),
        update=lambda changes, seen: services.order_item_update(
            actor=actor,
            order_ref=order_ref,
            item_ref=ref,
            changes=changes,
            expected_modified_at=seen,
        ),
        replace=lambda body, seen: services.order_item_replace(
            actor=actor, order_ref=order_ref, item_ref=ref, body=body, expected_modified_at=seen
        ),
    )


@change_orders_view
def order_item_delete(request: HtmxHttpRequest, order_ref: str, ref: str) -> HttpResponse:
    return _delete_page(
        request,
        ORDER_ITEM,
        order_ref=order_ref,
        ref=ref,
        read=lambda: get_client().order_item_get(ref),
        delete=lambda: services.order_item_delete(
            actor=request.user, order_ref=order_ref, item_ref=ref
        ),
        consequence=lambda _: "its data extension goes with it, and consumers no longer list it",
        done_url=order_url(order_ref),
    )


@change_orders_view
def contact_create(request: HtmxHttpRequest, order_ref: str) -> HttpResponse:
    return _create_page(
        request,
        CONTACT,
        ContactForm,
        lambda body: services.contact_create(actor=request.user, order_ref=order_ref, body=body),
        order_ref=order_ref,
    )


@change_orders_view
def contact_edit(request: HtmxHttpRequest, order_ref: str, ref: str) -> HttpResponse:
    actor = request.user
    return _edit_page(
        request,
        CONTACT,
        ContactForm,
        order_ref=order_ref,
        ref=ref,
        read=lambda: get_client().order_contact_get(ref),
        update=lambda changes, seen: services.contact_update(
            actor=actor,
            order_ref=order_ref,
            contact_ref=ref,
            changes=changes,
            expected_modified_at=seen,
        ),
        replace=lambda body, seen: services.contact_replace(
            actor=actor,
            order_ref=order_ref,
            contact_ref=ref,
            body=body,
            expected_modified_at=seen,
        ),
    )


@change_orders_view
def contact_delete(request: HtmxHttpRequest, order_ref: str, ref: str) -> HttpResponse:
    return _delete_page(
        request,
        CONTACT,
        order_ref=order_ref,
        ref=ref,
        read=lambda: get_client().order_contact_get(ref),
        delete=lambda: services.contact_delete(
            actor=request.user, order_ref=order_ref, contact_ref=ref
        ),
        consequence=lambda _: (
            "the guest is unlinked from this order; the guest profile itself stays"
        ),
        done_url=order_url(order_ref),
    )


@change_orders_view
def consumer_create(request: HtmxHttpRequest, order_ref: str) -> HttpResponse:
    return _create_page(
        request,
        CONSUMER,
        ConsumerForm,
        lambda body: services.consumer_create(actor=request.user, order_ref=order_ref, body=body),
        order_ref=order_ref,
    )


@change_orders_view
def consumer_edit(request: HtmxHttpRequest, order_ref: str, ref: str) -> HttpResponse:
    actor = request.user
    return _edit_page(
        request,
        CONSUMER,
        ConsumerForm,
        order_ref=order_ref,
        ref=ref,
        read=lambda: get_client().order_consumer_get(ref),
        update=lambda changes, seen: services.consumer_update(
            actor=actor,
            order_ref=order_ref,
            consumer_ref=ref,
            changes=changes,
            expected_modified_at=seen,
        ),
        replace=lambda body, seen: services.consumer_replace(
            actor=actor,
            order_ref=order_ref,
            consumer_ref=ref,
            body=body,
            expected_modified_at=seen,
        ),
    )


@change_orders_view
def consumer_delete(request: HtmxHttpRequest, order_ref: str, ref: str) -> HttpResponse:
    return _delete_page(
        request,
        CONSUMER,
        order_ref=order_ref,
        ref=ref,
        read=lambda: get_client().order_consumer_get(ref),
        delete=lambda: services.consumer_delete(
            actor=request.user, order_ref=order_ref, consumer_ref=ref
        ),
        consequence=lambda _: "the consumer’s links to order items go with it",
        done_url=order_url(order_ref),
    )
