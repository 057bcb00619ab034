"""CDP's matching rule on create (reference §7): warn first, and record a merge as a merge."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from orders.cdp import get_client
from orders.models import AuditEntry
from orders.sandbox.server import SandboxServer
from orders.services.resources import was_merged
from tests.factories import seed_order
from tests.support.sandbox import writes

pytestmark = pytest.mark.integration

NEW = {
    "referenceId": "DUP-1",
    "orderedAt": "2026-05-01T10:00",
    "currencyCode": "EUR",
    "price": "1",
}


@pytest.fixture
def existing(sandbox: SandboxServer) -> dict:
    sandbox.config.match_mode = "upsert"
    order = seed_order(
        sandbox, referenceId="DUP-1", orderedAt="2026-05-01T09:30:00.000Z", price=633
    )
    sandbox.clear_log()
    return order


def test_a_create_matching_an_order_says_so_and_sends_nothing(
    super_client: Client, sandbox: SandboxServer, existing: dict
) -> None:
    response = super_client.post("/orders/new/", NEW)

    text = response.content.decode()
    assert response.status_code == 200
    assert f'href="/orders/{existing["ref"]}/"' in text and "already exists" in text
    assert f'href="/orders/{existing["ref"]}/edit/"' in text
    assert "Update that order instead" in text
    assert "Create anyway (CDP will merge it into that order)" in text
    assert writes(sandbox) == []
    assert not AuditEntry.objects.exists()


def test_creating_anyway_is_recorded_as_a_merge_into_that_order(
    super_client: Client, sandbox: SandboxServer, existing: dict
) -> None:
    ref = existing["ref"]

    done = super_client.post("/orders/new/", {**NEW, "_create_anyway": ref}, follow=True)

    assert done.redirect_chain[-1][0] == f"/orders/{ref}/"
    assert "CDP merged this into order DUP-1, which already existed" in done.content.decode()
    intent, outcome = AuditEntry.objects.order_by("id")
    assert (intent.action, outcome.action) == ("orders.order.merge", "orders.order.merge")
    assert intent.order_ref == outcome.order_ref == ref
    assert intent.before["price"] == 633 and outcome.after["price"] == 1
    history = super_client.get(f"/audit/?order_ref={ref}").content.decode()
    assert f'href="/audit/{intent.pk}/"' in history
    assert "merged into this existing one" in history


def test_an_order_created_before_the_request_was_merged_even_if_the_look_up_missed_it(
    sandbox: SandboxServer, existing: dict
) -> None:
    order = get_client().order_get(existing["ref"])
    sent_at = timezone.now()
    older = dataclasses.replace(order, created_at=sent_at - timedelta(minutes=5))
    fresh = dataclasses.replace(order, created_at=sent_at)

    assert was_merged(older, sent_at=sent_at, match=None)
    assert not was_merged(fresh, sent_at=sent_at, match=None)
    assert was_merged(fresh, sent_at=sent_at, match=order)
