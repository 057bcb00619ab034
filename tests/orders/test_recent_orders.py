"""The home page's recently viewed orders: one row per order, the newest KEEP_RECENT kept."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.core.signals import request_finished
from django.db import close_old_connections
from django.test import Client, RequestFactory
from django_htmx.middleware import HtmxDetails

from orders.home import KEEP_RECENT, recently_viewed, record_order_view
from orders.models import RecentlyViewedOrder
from orders.sandbox.server import SandboxServer
from orders.views.orders import order_detail
from tests.factories import seed_order

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


def test_an_opened_order_is_remembered_once_its_page_is_sent_not_before(
    cs_user, sandbox: SandboxServer, rf: RequestFactory
) -> None:
    order = seed_order(sandbox, referenceId="SENT-1")
    request = rf.get(f"/orders/{order['ref']}/")
    request.user = cs_user
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    request.htmx = HtmxDetails(request)

    response = order_detail(request, order["ref"])

    assert response.status_code == 200
    assert not RecentlyViewedOrder.objects.filter(user=cs_user).exists()
    # What the server does once the last byte is written (keeping the test's connection open,
    # as Django's test client does).
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    assert [row.reference_id for row in recently_viewed(user=cs_user)] == ["SENT-1"]


def test_an_order_cdp_does_not_hold_is_not_remembered(
    cs_client: Client, cs_user, sandbox: SandboxServer
) -> None:
    response = cs_client.get("/orders/11111111-2222-4333-8444-555555555555/")

    assert response.status_code == 404
    assert not RecentlyViewedOrder.objects.filter(user=cs_user).exists()
