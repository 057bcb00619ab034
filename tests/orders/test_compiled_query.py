"""Queries compiled once per process give the rows their querysets give, for any value."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from orders.models import AuditEntry, ChainVerification
from orders.selectors import AuditFilters, audit_entries, audit_entries_for_order
from orders.selectors.compiled import CompiledQuery
from tests.orders.audit_helpers import ORDER_A, ORDER_B, record_change

pytestmark = pytest.mark.integration


def by_order(order_ref: str):  # type: ignore[no-untyped-def]
    return AuditEntry.objects.filter(order_ref=order_ref).defer("after").order_by("-id")


def test_each_value_gets_the_rows_its_queryset_gets(cs_user) -> None:
    record_change(actor=cs_user, order_ref=ORDER_A, after={"price": 1})
    record_change(actor=cs_user, order_ref=ORDER_B)
    compiled = CompiledQuery(by_order, order_ref="sample-ref")

    for order_ref in (ORDER_A, ORDER_B, "x' OR '1'='1", ""):
        rows = compiled.run(order_ref=order_ref)
        expected = list(by_order(order_ref))
        assert [row.pk for row in rows] == [row.pk for row in expected]
        # Deferred as the queryset defers it, and read when asked for.
        assert all("after" in row.get_deferred_fields() for row in rows)
        assert [row.after for row in rows] == [row.after for row in expected]


def test_a_value_the_queryset_transforms_is_refused(db) -> None:
    compiled = CompiledQuery(
        lambda order_ref: AuditEntry.objects.filter(order_ref__contains=order_ref),
        order_ref="sample",
    )

    with pytest.raises(ValueError, match="does not take order_ref as given"):
        compiled.run(order_ref=ORDER_A)


def test_the_order_timeline_is_the_order_filters_first_page(cs_user) -> None:
    made = [record_change(actor=cs_user, order_ref=ORDER_A)[0] for _ in range(4)]
    record_change(actor=cs_user, order_ref=ORDER_B)

    for limit in (1, 3, 4, 10):
        page = audit_entries_for_order(order_ref=ORDER_A.upper(), limit=limit)
        listed = audit_entries(filters=AuditFilters(order_ref=ORDER_A), limit=limit)
        assert [(e.entry, e.outcome) for e in page] == [(e.entry, e.outcome) for e in listed]
        assert page.next_before_id == listed.next_before_id
    assert [e.entry for e in audit_entries_for_order(order_ref=ORDER_A)] == made[::-1]


def test_a_datetime_or_number_sample_is_replaced_and_true_is_not_taken_for_one(db) -> None:
    start = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)

    def walk(rows: int, ok: bool, minutes: int) -> ChainVerification:
        at = start + timedelta(minutes=minutes)
        return ChainVerification.objects.create(
            at=at, ok=ok, rows_checked=rows, head_hash="", message=""
        )

    walk(5, True, 0)
    kept = walk(10, True, 1)
    walk(10, False, 2)
    walk(10, True, -1)
    # The ORM passes `True` as a parameter here, and True == 1, the number sample: only the
    # sample is replaced.
    compiled = CompiledQuery(
        lambda since, above: ChainVerification.objects.filter(
            at__gte=since, rows_checked__gt=above, ok__in=[True]
        ),
        since=datetime(2000, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
        above=1,
    )

    assert [row.pk for row in compiled.run(since=start, above=5)] == [kept.pk]
