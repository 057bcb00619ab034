"""Internal notes on orders: kept in cdpadmin's database, never sent to CDP."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F, QuerySet

from orders.models import OrderNote
from orders.selectors.compiled import CompiledQuery
from orders.services.audited import ServiceError


def _current_notes(order_ref: str) -> QuerySet[OrderNote]:
    return (
        OrderNote.objects.filter(order_ref=order_ref, replaced_by__isnull=True)
        .annotate(author_username=F("author__username"))
        .order_by("-created_at", "-id")
    )


# Every order page reads this: compiled once per process (orders.selectors.compiled).
_CURRENT_NOTES = CompiledQuery(_current_notes, order_ref="00000000-0000-4000-8000-5a3b1e0f0c1f")


def order_notes(*, order_ref: str) -> list[OrderNote]:
    """The current version of each note on an order, newest first, with `author_username`."""
    return _CURRENT_NOTES.run(order_ref=order_ref)


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
