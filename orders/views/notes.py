"""Internal notes on an order."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from orders.forms import NoteForm
from orders.models import OrderNote
from orders.services import ServiceError
from orders.services.notes import note_add, note_replace
from orders.views.common import HtmxHttpRequest


@require_POST
@login_required
@permission_required("orders.add_ordernote", raise_exception=True)
def note_create(request: HtmxHttpRequest, order_ref: str) -> HttpResponse:
    form = NoteForm(request.POST)
    if form.is_valid():
        note_add(author=request.user, order_ref=order_ref, text=form.cleaned_data["text"])
        messages.success(request, "The note was added.")
    else:
        messages.error(request, "A note needs some text (at most 5,000 characters).")
    return redirect("order-detail", order_ref=order_ref)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("orders.add_ordernote", raise_exception=True)
def note_edit(request: HtmxHttpRequest, order_ref: str, note_pk: int) -> HttpResponse:
    note = get_object_or_404(OrderNote, pk=note_pk, order_ref=order_ref, replaced_by__isnull=True)
    if note.author_id != request.user.pk:
        raise PermissionDenied("Only the author of a note can change its text.")
    form = NoteForm(request.POST or None, initial={"text": note.text})
    if request.method == "POST" and form.is_valid():
        try:
            note_replace(author=request.user, note=note, text=form.cleaned_data["text"])
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "The note was changed; its earlier text is kept.")
            return redirect("order-detail", order_ref=order_ref)
    return render(
        request,
        "orders/note_form.html",
        {"title": "Edit note", "form": form, "note": note, "order_ref": order_ref},
    )
