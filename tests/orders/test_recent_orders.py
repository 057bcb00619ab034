"""The home page's recently viewed orders: one row per order, the newest KEEP_RECENT kept."""

from __future__ import annotations

import uuid

import pytest

from orders.home import KEEP_RECENT, recently_viewed, record_order_view
from orders.models import RecentlyViewedOrder

pytestmark = pytest.mark.integration


def test_each_order_is_kept_once_with_what_the_page_last_showed(cs_user) -> None:
    ref = str(uuid.uuid4())
    record_order_view(user=cs_user, order_ref=ref, reference_id="OLD")
    record_order_view(user=cs_user, order_ref=ref, reference_id="NEW")
    assert [(row.order_ref, row.reference_id) for row in recently_viewed(user=cs_user)] == [
        (ref, "NEW")
    ]


def test_only_the_newest_orders_are_kept_and_reopening_one_moves_it_first(
    cs_user, auditor_user
) -> None:
    refs = [str(uuid.uuid4()) for _ in range(KEEP_RECENT + 3)]
    for ref in refs:
        record_order_view(user=cs_user, order_ref=ref, reference_id=ref[:8])
    record_order_view(user=auditor_user, order_ref=refs[0], reference_id="theirs")
    kept = RecentlyViewedOrder.objects.filter(user=cs_user).order_by("-viewed_at")
    assert [row.order_ref for row in kept] == refs[::-1][:KEEP_RECENT]
    record_order_view(user=cs_user, order_ref=refs[3], reference_id="again")
    kept = RecentlyViewedOrder.objects.filter(user=cs_user).order_by("-viewed_at")
    assert [row.order_ref for row in kept] == [refs[3], *refs[::-1][: KEEP_RECENT - 1]]
    assert RecentlyViewedOrder.objects.filter(user=auditor_user).count() == 1
