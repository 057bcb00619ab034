"""Search by referenceId or guest ref, and the paste-many lookup."""

from __future__ import annotations

import pytest
from django.test import Client

from orders.sandbox.server import SandboxServer
from tests.factories import seed_full_order, seed_order

pytestmark = pytest.mark.integration


def test_search_by_reference_id_with_one_hit_opens_the_order(
    cs_client: Client, sandbox: SandboxServer
) -> None:
    order = seed_order(sandbox, referenceId="ABC123")

    response = cs_client.get("/orders/?q=ABC123")

    assert response.status_code == 302
    assert response["Location"] == f"/orders/{order['ref']}/"


def test_search_lists_several_orders_sharing_a_reference_id(
    cs_client: Client, sandbox: SandboxServer
) -> None:
    seed_order(sandbox, referenceId="RECYCLED", orderedAt="2026-01-01T10:00:00Z")
    seed_order(sandbox, referenceId="RECYCLED", orderedAt="2026-06-01T10:00:00Z")

    response = cs_client.get("/orders/?referenceId=RECYCLED")

    assert response.status_code == 200
    assert "Orders with referenceId “RECYCLED”" in response.content.decode()
    assert response.content.decode().count("RECYCLED</a>") == 2


def test_a_uuid_is_searched_as_a_guest_ref(cs_client: Client, sandbox: SandboxServer) -> None:
    seeded = seed_full_order(sandbox)
    guest_ref = seeded["contact"]["guest"]["href"].rsplit("/", 1)[1]

    response = cs_client.get(f"/orders/?q={guest_ref}")

    assert response.status_code == 302
    assert response["Location"] == f"/orders/{seeded['order']['ref']}/"


def test_search_pages_with_offset_and_limit(cs_client: Client, sandbox: SandboxServer) -> None:
    for month in range(1, 13):
        seed_order(sandbox, referenceId="MANY", orderedAt=f"2025-{month:02d}-10T10:00:00Z")

    first = cs_client.get("/orders/?referenceId=MANY&limit=10").content.decode()
    second = cs_client.get("/orders/?referenceId=MANY&offset=10&limit=10").content.decode()

    assert "showing 1–10" in first
    assert "offset=10&amp;limit=10" in first
    assert "showing 11–12" in second
    assert "Next →" not in second
    query = [r.query for r in sandbox.request_log if r.path == "/v2.1/orders"]
    assert any("offset=10" in q and "limit=10" in q for q in query)


def test_search_with_no_hits_says_so(cs_client: Client, sandbox: SandboxServer) -> None:
    response = cs_client.get("/orders/?q=NOPE-1")

    assert "No order has this referenceId" in response.content.decode()


def test_search_says_when_cdp_is_down(cs_client: Client, sandbox: SandboxServer) -> None:
    sandbox.inject(status=503, times=10)

    response = cs_client.get("/orders/?q=ABC")

    assert response.status_code == 200
    text = response.content.decode()
    assert "CDP" in text and "try again" in text.lower()


def test_search_rejects_a_malformed_guest_ref_before_calling_cdp(
    cs_client: Client, sandbox: SandboxServer
) -> None:
    response = cs_client.get("/orders/?guestRef=../orders/x")

    assert "A guest ref is a UUID" in response.content.decode()
    assert sandbox.request_log == []


def test_lookup_reports_found_not_found_and_several(
    cs_client: Client, sandbox: SandboxServer
) -> None:
    one = seed_order(sandbox, referenceId="ONE")
    seed_order(sandbox, referenceId="TWICE", orderedAt="2026-01-01T10:00:00Z")
    seed_order(sandbox, referenceId="TWICE", orderedAt="2026-05-01T10:00:00Z")

    response = cs_client.post("/orders/lookup/", {"values": f"ONE\nTWICE, MISSING\n{one['ref']}"})

    rows = response.content.decode()
    assert rows.count('class="lookup-found"') == 2
    assert rows.count('class="lookup-several"') == 1
    assert rows.count('class="lookup-not-found"') == 1


def test_lookup_waits_out_rate_limits_instead_of_failing(
    cs_client: Client, sandbox: SandboxServer
) -> None:
    seed_order(sandbox, referenceId="ONE")
    sandbox.inject(status=429, times=2, retry_after=1)

    response = cs_client.post("/orders/lookup/", {"values": "ONE"})

    assert 'class="lookup-found"' in response.content.decode()
    assert [r.status for r in sandbox.request_log].count(429) == 2


def test_marketing_can_search_but_auditors_cannot(
    marketing_client: Client, auditor_client: Client, sandbox: SandboxServer
) -> None:
    assert marketing_client.get("/orders/").status_code == 200
    assert auditor_client.get("/orders/").status_code == 403


def test_anonymous_users_are_sent_to_sign_in(client: Client) -> None:
    response = client.get("/orders/?q=ABC")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
