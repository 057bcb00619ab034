"""The order page and the forms that create, edit and delete orders and their parts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods

from orders.cdp import CdpError, CdpNotFound, CdpValidationError, get_client
from orders.forms import (
    ConsumerForm,
    ContactForm,
    OrderForm,
    OrderItemForm,
    initial_from_record,
)
from orders.services import (
    Audited,
    EditConflict,
    ServiceError,
    resource_create,
    resource_delete,
    resource_update,
)
from orders.services.in_doubt import child_create_resolve, resubmit_hint
from orders.services.resources import KINDS, ORDER, ResourceKind
from orders.views.common import HtmxHttpRequest
from orders.views.order_page import order_page_context

FORMS: dict[str, type[Any]] = {
    "order": OrderForm,
    "order_item": OrderItemForm,
    "contact": ContactForm,
    "consumer": ConsumerForm,
}


def not_found(kind: ResourceKind, ref: str) -> Http404:
    return Http404(f"The {kind.label} “{ref}” doesn’t exist in CDP. Perhaps it was deleted?")


def load_record(kind: ResourceKind, ref: str) -> Any:
    """Read one resource, turning a 404 into the 404 page; other CDP errors propagate."""
    try:
        return getattr(get_client(), f"{kind.client_prefix}_get")(ref)
    except CdpNotFound as exc:
        raise not_found(kind, ref) from exc


def load_for_form(kind: ResourceKind, ref: str) -> tuple[Any, str]:
    """The record and "", or None and why CDP could not give it (a 404 stays the 404 page)."""
    try:
        return load_record(kind, ref), ""
    except CdpError as exc:
        return None, exc.message


def refuse(request: HtmxHttpRequest, form: Any, message: str) -> None:
    """Say why nothing was sent, keeping whatever the user typed in a bound form."""
    if form.is_bound:
        form.is_valid()
        form.add_error(None, message)
    else:
        messages.error(request, message)


def confirm(request: HtmxHttpRequest, text: str, audited: Audited[Any]) -> None:
    """A success message naming the change's audit entry (a link for those who may read it)."""
    entry = audited.entry
    if request.user.has_perm("orders.view_auditentry"):
        url = reverse("audit-detail", args=[entry.pk])
        message = format_html('{} <a href="{}">See audit entry #{}</a>.', text, url, entry.pk)
    else:
        message = format_html("{} Recorded in the audit trail as entry #{}.", text, entry.pk)
    messages.success(request, message)


def attempt(form: Any, action: Callable[[], Audited[Any]]) -> Audited[Any] | EditConflict | None:
    """Run a change; put any refusal on the form (keeping the input) and return None."""
    try:
        return action()
    except EditConflict as conflict:
        form.add_error(None, conflict.message)
        return conflict
    except CdpValidationError as exc:
        field = exc.field if exc.field in form.fields else None
        detail = exc.cdp_message or exc.message
        form.add_error(field, f"CDP refused this value: {detail}" if field else exc.message)
    except (CdpError, ServiceError) as exc:
        form.add_error(None, exc.message)
    return None


@require_GET
@login_required
@permission_required("orders.view_orders", raise_exception=True)
def order_detail(request: HtmxHttpRequest, order_ref: str) -> HttpResponse:
    context = order_page_context(request, order_ref)
    status = 200 if "order" in context else context.get("status", 502)
    return render(request, "orders/order_detail.html", context, status=status)


def order_url(order_ref: str) -> str:
    return reverse("order-detail", kwargs={"order_ref": order_ref})


def already_created(resource: ResourceKind) -> str:
    return (
        f"CDP had applied your first attempt: this {resource.label} was already on the "
        "order, with the same fields, so nothing was sent again."
    )


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("orders.change_orders", raise_exception=True)
def resource_create_view(request: HtmxHttpRequest, kind: str, order_ref: str = "") -> HttpResponse:
    resource = KINDS[kind]
    initial, load_error = {}, ""
    if order_ref:
        order, load_error = load_for_form(ORDER, order_ref)
        initial = {"currencyCode": order.currency_code} if order is not None else {}
    form = FORMS[kind](request.POST or None, initial=initial)
    if load_error:
        refuse(request, form, load_error)
    elif request.method == "POST" and form.is_valid():
        try:
            found = child_create_resolve(
                resource, actor=request.user, order_ref=order_ref, body=form.cdp_body()
            )
        except CdpError as exc:
            found = None
            form.add_error(None, exc.message)
        if isinstance(found, Audited):
            confirm(request, already_created(resource), found)
            return redirect(order_url(order_ref))
        audited = (
            None
            if form.errors
            else attempt(
                form,
                lambda: resource_create(
                    resource, actor=request.user, body=form.cdp_body(), order_ref=order_ref
                ),
            )
        )
        if isinstance(audited, Audited):
            confirm(request, f"The {resource.label} was created.", audited)
            return redirect(order_url(order_ref or audited.value.ref))
        hint = resubmit_hint(kind=resource, order_ref=order_ref, body=form.cdp_body())
        if hint:
            form.add_error(None, hint)
    return render(
        request,
        "orders/resource_form.html",
        {"title": f"New {resource.label}", "form": form, "kind": resource, "order_ref": order_ref},
    )


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("orders.change_orders", raise_exception=True)
def resource_edit_view(
    request: HtmxHttpRequest, kind: str, order_ref: str, ref: str = ""
) -> HttpResponse:
    resource, ref = KINDS[kind], ref or order_ref
    record, load_error = load_for_form(resource, ref)
    form_class = FORMS[kind]
    initial = initial_from_record(record, form_class) if record is not None else {}
    form = form_class(request.POST or None, initial=initial, editing=True)
    conflict = None
    if load_error:
        refuse(request, form, load_error)
    elif request.method == "POST" and form.is_valid():
        outcome = save_edit(request, resource, form, ref=ref, order_ref=order_ref)
        if isinstance(outcome, HttpResponse):
            return outcome
        conflict = outcome
    return render(
        request,
        "orders/resource_form.html",
        {
            "title": f"Edit {resource.label}",
            "form": form,
            "kind": resource,
            "record": record,
            "order_ref": order_ref,
            "conflict": conflict,
            "editing": True,
            "replace_clears": fields_outside_form(record, form),
        },
    )


def save_edit(
    request: HtmxHttpRequest, resource: ResourceKind, form: Any, *, ref: str, order_ref: str
) -> HttpResponse | dict[str, Any] | None:
    """Send a valid edit; a redirect when done, a conflict's context, or None (form errors)."""
    replace = "_replace" in request.POST
    changes = form.cdp_body() if replace else form.cdp_changes()
    if not changes:
        messages.info(request, "Nothing was changed.")
        return redirect(order_url(order_ref))
    outcome = attempt(
        form,
        lambda: resource_update(
            resource,
            actor=request.user,
            ref=ref,
            changes=changes,
            replace=replace,
            expected_modified_at=form.cleaned_data["modifiedAt"],
            order_ref=order_ref,
        ),
    )
    if isinstance(outcome, Audited):
        confirm(request, f"The {resource.label} was changed.", outcome)
        return redirect(order_url(order_ref))
    if isinstance(outcome, EditConflict):
        return conflict_context(form, outcome, changes)
    return None


SERVER_FIELDS = {"ref", "href", "createdAt", "modifiedAt", "guest", "order", "orderItems"}


def fields_outside_form(record: Any, form: Any) -> list[str]:
    """Fields CDP holds for this record that the form does not show: a full replace clears them."""
    if record is None:
        return []
    held = {name for name, value in record.to_api().items() if value not in (None, "", [], {})}
    return sorted(held - set(form.fields) - SERVER_FIELDS)


def conflict_context(form: Any, conflict: EditConflict, changes: dict[str, Any]) -> dict[str, Any]:
    """Yours / current side by side, and a form state that lets "apply mine" go through."""
    current = initial_from_record(conflict.current, type(form))
    form.data = form.data.copy()
    form.data["modifiedAt"] = current["modifiedAt"]
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


DELETE_CONSEQUENCES = {
    "order": "its items, contacts, consumers and data extensions are deleted with it",
    "order_item": "its data extension goes with it, and consumers no longer list it",
    "contact": "the guest is unlinked from this order; the guest profile itself stays",
    "consumer": "the consumer’s links to order items go with it",
}


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("orders.change_orders", raise_exception=True)
def resource_delete_view(
    request: HtmxHttpRequest, kind: str, order_ref: str, ref: str = ""
) -> HttpResponse:
    resource, ref = KINDS[kind], ref or order_ref
    record, load_error = load_for_form(resource, ref)
    form = forms.Form({})  # an empty bound form: it only carries the confirmation's errors
    form.is_valid()
    if load_error:
        refuse(request, form, load_error)
    elif request.method == "POST":
        audited = attempt(
            form,
            lambda: resource_delete(resource, actor=request.user, ref=ref, order_ref=order_ref),
        )
        if isinstance(audited, Audited):
            confirm(request, f"The {resource.label} was deleted.", audited)
            if resource is ORDER:
                return redirect("order-search")
            return redirect(order_url(order_ref))
    return render(
        request,
        "orders/resource_delete.html",
        {
            "title": f"Delete {resource.label}",
            "kind": resource,
            "record": record,
            "order_ref": order_ref,
            "consequence": (
                order_delete_consequence(record)
                if resource is ORDER and record is not None
                else DELETE_CONSEQUENCES[kind]
            ),
            "errors": form.non_field_errors(),
        },
    )
