"""Home page per role, the search's readings of what was typed, and who may read notes."""

from __future__ import annotations

import pytest
from django.test import Client

from orders.models import RecentlyViewedOrder
from orders.sandbox.server import SandboxServer
from orders.services.notes import note_add
from tests.factories import seed_full_order, seed_order
from tests.orders.audit_helpers import ORDER_A, record_change

pytestmark = pytest.mark.integration


def test_a_miss_is_retried_upper_case_once_and_says_so(
    cs_client: Client, sandbox: SandboxServer
) -> None:
    order = seed_order(sandbox, referenceId="DEMO-7")

    response = cs_client.get("/orders/?q=demo-7", follow=True)

    assert response.redirect_chain == [(f"/orders/{order['ref']}/", 302)]
    assert "Showing DEMO-7 — you typed demo-7." in response.content.decode()


def test_a_miss_in_both_cases_names_what_was_tried(
    cs_client: Client, sandbox: SandboxServer
) -> None:
    html = cs_client.get("/orders/?q=nope-1").content.decode()

    assert "Nothing found for “nope-1”: tried it as referenceId, referenceId in capitals." in html
    assert [r.path for r in sandbox.request_log].count("/v2.1/orders") == 2


def test_an_exact_hit_makes_one_call_and_no_retry(cs_client: Client, sandbox: SandboxServer):
    seed_order(sandbox, referenceId="demo-lower")
    seed_order(sandbox, referenceId="DEMO-LOWER")
    sandbox.clear_log()

    response = cs_client.get("/orders/?q=demo-lower")

    assert response.status_code == 302
    assert len(sandbox.request_log) == 1


def test_a_uuid_is_tried_as_an_order_ref_first(cs_client: Client, sandbox: SandboxServer) -> None:
    order = seed_order(sandbox)

    response = cs_client.get(f"/orders/?q={order['ref'].upper()}")

    assert response["Location"] == f"/orders/{order['ref']}/"


def test_the_lookup_reads_a_uuid_as_the_search_box_does(
    cs_client: Client, sandbox: SandboxServer
) -> None:
    seeded = seed_full_order(sandbox, referenceId="GUESTS-1")
    guest_ref = seeded["contact"]["guest"]["href"].rsplit("/", 1)[1]

    html = cs_client.post("/orders/lookup/", {"values": f"{guest_ref}\ngests-1"}).content.decode()

    assert html.count('class="lookup-found"') == 1  # the guest's one order
    assert "(as a guest ref)" in html
    assert "gests-1" in html and 'class="lookup-not-found"' in html


def test_the_header_search_is_on_every_page_for_those_who_may_search(
    cs_client: Client, auditor_client: Client, sandbox: SandboxServer
) -> None:
    assert 'id="header-q"' in cs_client.get("/orders/lookup/").content.decode()
    assert 'id="header-q"' not in auditor_client.get("/audit/").content.decode()


def test_auditors_land_on_the_audit_trail_after_signing_in(auditor_user) -> None:
    from tests.conftest import PASSWORD

    response = Client().post(
        "/accounts/login/", {"login": auditor_user.username, "password": PASSWORD}, follow=True
    )

    assert response.redirect_chain[-1] == ("/audit/", 302)
    assert response.status_code == 200


def test_home_shows_my_recent_orders_my_changes_and_changes_to_check(
    cs_client: Client, cs_user, sandbox: SandboxServer
) -> None:
    order = seed_order(sandbox, referenceId="HOME-1")
    cs_client.get(f"/orders/{order['ref']}/")
    record_change(
        actor=cs_user,
        order_ref=order["ref"],
        payload={"status": "CANCELLED"},
        before={"status": "PURCHASED", "referenceId": "HOME-1"},
        outcome=None,
    )

    html = cs_client.get("/").content.decode()

    assert RecentlyViewedOrder.objects.filter(user=cs_user, reference_id="HOME-1").exists()
    assert f'href="/orders/{order["ref"]}/" title="Order ref {order["ref"]}">HOME-1</a>' in html
    assert html.count("casey changed Status: Purchased → Cancelled") == 2  # mine, and to check
    assert "Outcome unknown" in html
    assert 'id="home-jobs"' not in html


def test_marketing_home_leads_with_the_latest_jobs(marketing_client: Client) -> None:
    html = marketing_client.get("/").content.decode()

    assert 'id="home-jobs"' in html and "No bulk jobs yet." in html
    assert html.index('id="home-jobs"') < html.index('id="home-recent-orders"')


def test_changes_to_check_are_only_mine_without_the_audit_permission(
    cs_client: Client, marketing_user
) -> None:
    record_change(actor=marketing_user, order_ref=ORDER_A, payload={"price": 1}, outcome=None)

    html = cs_client.get("/").content.decode()

    assert "Nothing to check: every change has an outcome." in html


@pytest.mark.parametrize(("role", "sees"), [("cs_client", True), ("marketing_client", False)])
def test_notes_are_shown_only_to_those_who_may_read_them(
    request, cs_user, sandbox: SandboxServer, role: str, sees: bool
) -> None:
    order = seed_order(sandbox)
    note_add(author=cs_user, order_ref=order["ref"], text="Customer is a VIP, call back")

    html = request.getfixturevalue(role).get(f"/orders/{order['ref']}/").content.decode()

    assert ("Customer is a VIP" in html) is sees
    assert ('id="order-notes"' in html) is sees


def test_the_customer_card_survives_odd_data(cs_client: Client, sandbox: SandboxServer) -> None:
    order = seed_order(sandbox, price=3.5, currencyCode="ZZZ")
    sandbox.state.create_contact(
        order["ref"], {"firstName": "<script>alert(1)</script>", "emails": [], "phoneNumbers": []}
    )
    sandbox.state.orders[order["ref"]].fields["status"] = "<b>NEW_THING</b>"  # a new status

    html = cs_client.get(f"/orders/{order['ref']}/").content.decode()

    assert "&lt;b&gt;NEW_THING&lt;/b&gt;" in html and "<b>NEW_THING" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "3.50 ZZZ" in html
    assert "No contact on this order" not in html
    assert "Not linked to a guest profile." in html or "This guest’s other orders" in html
