"""Internal notes on orders: kept in cdpadmin's database, never sent to CDP."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet

from orders.models import OrderNote
from orders.services.audited import ServiceError


def order_notes(*, order_ref: str) -> QuerySet[OrderNote]:
    """The current version of each note on an order, newest first."""
    return (
        OrderNote.objects.filter(order_ref=order_ref, replaced_by__isnull=True)
        .select_related("author")
        .order_by("-created_at", "-id")
    )


def note_add(*, author: User, order_ref: str, text: str) -> OrderNote:
    return OrderNote.objects.create(
        order_ref=order_ref, note_id=uuid.uuid4(), author=author, text=text
    )


def note_replace(*, author: User, note: OrderNote, text: str) -> OrderNote:
    """Write a new version of a note; the old text stays as an earlier version."""
    if note.author_id != author.pk:
        raise ServiceError("Only the author of a note can change its text.")
    with transaction.atomic():
        latest = OrderNote.objects.select_for_update().get(pk=note.pk)
        if OrderNote.objects.filter(replaces=latest).exists():
            raise ServiceError(
                "This note was changed since you opened it. Reload to see its current text."
            )
        return OrderNote.objects.create(
            order_ref=latest.order_ref,
            note_id=latest.note_id,
            author=author,
            text=text,
            replaces=latest,
        )
