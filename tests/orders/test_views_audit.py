"""The audit pages: who may see what, filters in words, diffs, verification, revert, CSRF."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from orders.models import AuditEntry, ChainVerification, RecentlyViewedOrder
from orders.services import order_update
from tests.factories import seed_order
from tests.orders.audit_helpers import ORDER_A, ORDER_B, record_change

pytestmark = pytest.mark.integration

READ_URLS = ["/audit/", "/audit/{pk}/", "/audit/keys/loyaltyTier/", "/audit/export.csv"]


@pytest.fixture
def entry(cs_user) -> AuditEntry:
    intent, _ = record_change(
        actor=cs_user, payload={"price": 99}, before={"price": 120}, after={"price": 99}
    )
    return intent


@pytest.mark.parametrize("url", [*READ_URLS, "/audit/{pk}/revert/"])
def test_anonymous_visitors_are_sent_to_the_login_page(client, entry, url) -> None:
    response = client.get(url.format(pk=entry.pk))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("url", [*READ_URLS, "/audit/{pk}/revert/"])
@pytest.mark.parametrize("role", ["cs_client", "marketing_client"])
def test_customer_service_and_marketing_are_forbidden(request, entry, url, role) -> None:
    client = request.getfixturevalue(role)

    assert client.get(url.format(pk=entry.pk)).status_code == 403


@pytest.mark.parametrize("url", READ_URLS)
def test_auditors_and_superusers_can_read_and_export(auditor_client, super_client, entry, url):
    assert auditor_client.get(url.format(pk=entry.pk)).status_code == 200
    assert super_client.get(url.format(pk=entry.pk)).status_code == 200


def test_auditors_cannot_open_a_revert(auditor_client, entry) -> None:
    assert auditor_client.get(f"/audit/{entry.pk}/revert/").status_code == 403
    assert auditor_client.post(f"/audit/{entry.pk}/revert/").status_code == 403


def test_verify_is_post_only_and_needs_the_audit_permission(cs_client, auditor_client) -> None:
    assert auditor_client.get("/audit/verify/").status_code == 405
    assert cs_client.post("/audit/verify/").status_code == 403


def test_the_list_describes_its_filters_in_words_and_keeps_them_in_the_older_link(
    auditor_client, cs_user
) -> None:
    for n in range(3):
        record_change(actor=cs_user, order_ref=ORDER_A, payload={"price": n})
    record_change(actor=cs_user, order_ref=ORDER_B)

    response = auditor_client.get(f"/audit/?order_ref={ORDER_A}&outcome=success")

    page = response.context["page"]
    assert len(page) == 3
    assert all(event.entry.order_ref == ORDER_A for event in page)
    assert (
        f"Showing changes on order {ORDER_A}, where cdp accepted the change."
        in response.content.decode()
    )


def test_the_older_link_pages_with_the_filters_kept(auditor_client, cs_user) -> None:
    made = [record_change(actor=cs_user, order_ref=ORDER_A)[0] for _ in range(3)]
    record_change(actor=cs_user, order_ref=ORDER_B)

    first = auditor_client.get(f"/audit/?order_ref={ORDER_A}&limit=2")
    older = first.context["older_query"]
    second = auditor_client.get(f"/audit/?{older}")

    assert f"order_ref={ORDER_A}" in older and f"before={made[1].pk}" in older
    assert "Older →" in first.content.decode()
    assert [e.entry for e in second.context["page"]] == [made[0]]
    assert "Older →" not in second.content.decode()


def test_the_list_costs_the_same_queries_for_three_rows_or_thirty(auditor_client, cs_user):
    def shown(rows: int) -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            html = auditor_client.get(f"/audit/?limit={rows}").content.decode()
        return len(queries), html

    for n in range(15):
        record_change(actor=cs_user, payload={"price": n}, before={"price": n + 1})
        record_change(actor=cs_user, payload={"price": "x"}, outcome=AuditEntry.Outcome.FAILURE)
    auditor_client.get("/audit/")

    few, _ = shown(3)
    many, html = shown(30)

    assert few == many
    assert html.count('class="audit-row audit-intent"') == 30
    assert "changed Price: 1.00 → 0.00" in html
    assert html.count('Refused by CDP</span><span class="outcome-reason">: price: must be') == 15


def test_item_changes_name_their_order_by_what_was_shown_or_its_newest_recorded_row(
    auditor_client, cs_user
) -> None:
    order_c = "33333333-3333-4333-8333-333333333333"
    record_change(actor=cs_user, order_ref=ORDER_A, before={"referenceId": "OLD-A"})
    record_change(actor=cs_user, order_ref=ORDER_A, before={"referenceId": "NEW-A"})
    # The request's referenceId comes first; a value that is not a string names nothing.
    record_change(
        actor=cs_user,
        order_ref=ORDER_B,
        payload={"referenceId": "SENT-B"},
        before={"referenceId": 42},
    )
    record_change(actor=cs_user, order_ref=order_c, before={"referenceId": "ROW-C"})
    RecentlyViewedOrder.objects.create(user=cs_user, order_ref=order_c, reference_id="SHOWN-C")
    for order_ref in (ORDER_A, ORDER_B, order_c, "44444444-4444-4444-8444-444444444444"):
        record_change(
            actor=cs_user,
            action="orders.order_item.delete",
            resource_type="order_item",
            order_ref=order_ref,
        )

    html = auditor_client.get("/audit/?resource_type=order_item").content.decode()

    labels = re.findall(r'class="order-label">([^<]*)</a>', html)
    assert labels == ["44444444…", "SHOWN-C", "SENT-B", "NEW-A"]


def test_an_invalid_filter_shows_its_error_and_no_rows(auditor_client, entry) -> None:
    response = auditor_client.get("/audit/?order_ref=not-a-ref&key=Bad-Key")

    html = response.content.decode()
    assert "No changes are shown: Order ref: Enter a valid value." in html
    assert len(response.context["page"]) == 0
    assert f'data-entry="{entry.pk}"' not in html and "Showing every change" not in html


def test_a_valid_filter_after_an_invalid_one_shows_rows_again(auditor_client, entry) -> None:
    response = auditor_client.get(f"/audit/?order_ref={ORDER_A}")

    assert f'data-entry="{entry.pk}"' in response.content.decode()


def test_an_invalid_filter_exports_nothing(auditor_client, entry) -> None:
    response = auditor_client.get("/audit/export.csv?since=yesterday")

    assert response.status_code == 400
    assert b"Nothing exported: a filter is not valid." in response.content


def test_the_detail_shows_who_the_call_and_a_typed_diff(auditor_client, cs_user) -> None:
    intent, outcome = record_change(
        actor=cs_user,
        payload={"price": False, "status": "PAID"},
        before={"price": 0, "status": "PAID", "modifiedAt": "a"},
        after={"price": False, "status": "PAID", "modifiedAt": "b"},
        request_id="req-123",
    )

    response = auditor_client.get(f"/audit/{intent.pk}/")

    html = response.content.decode()
    rows = {row.name: row for row in response.context["rows"]}
    assert rows["price"].changed and (rows["price"].before, rows["price"].after) == ("0", "false")
    assert not rows["status"].changed and not rows["modifiedAt"].changed
    assert "casey" in html and "req-123" in html and f"PATCH /v2.1/orders/{ORDER_A}" in html
    assert "casey changed Price: 0.00 → false" in html
    assert "Done" in html and f"#{outcome.pk}" not in html


def test_an_outcome_row_opens_its_intent(auditor_client, cs_user) -> None:
    intent, outcome = record_change(actor=cs_user)

    response = auditor_client.get(f"/audit/{outcome.pk}/")

    assert response.status_code == 302
    assert response["Location"] == f"/audit/{intent.pk}/"


def test_an_intent_without_outcome_is_flagged(auditor_client, cs_user) -> None:
    intent, _ = record_change(actor=cs_user, outcome=None)

    html = auditor_client.get(f"/audit/{intent.pk}/").content.decode()

    assert "Outcome unknown" in html


def test_key_history_refuses_a_key_that_is_not_camel_case(auditor_client) -> None:
    assert auditor_client.get("/audit/keys/Loyalty_tier/").status_code == 404
    assert auditor_client.get("/audit/keys/1abc/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_verifying_stores_the_result_and_the_list_shows_it(auditor_client, entry) -> None:
    started = auditor_client.post("/audit/verify/", follow=True)
    assert "Verifying the whole chain in the background" in started.content.decode()
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    response = auditor_client.get("/audit/")

    verification = ChainVerification.objects.get()
    assert verification.ok and verification.rows_checked == 2
    html = response.content.decode()
    assert "All 2 rows match; the chain is intact." in html
    assert "Chain last verified" in html
    assert f"by {verification.by.get_username()}: All 2 rows match" in html


def test_post_views_enforce_csrf(auditor_user, superuser, entry) -> None:
    for user, url in ((auditor_user, "/audit/verify/"), (superuser, f"/audit/{entry.pk}/revert/")):
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        assert client.post(url).status_code == 403
    assert ChainVerification.objects.count() == 0


def test_a_superuser_reverts_a_price_change_from_the_confirmation_page(
    sandbox, super_client, superuser
) -> None:
    order = seed_order(sandbox, price=120)
    entry = order_update(
        actor=superuser, order_ref=order["ref"], changes={"price": 99}, expected_modified_at=None
    ).entry

    confirm = super_client.get(f"/audit/{entry.pk}/revert/")
    done = super_client.post(f"/audit/{entry.pk}/revert/")

    assert "Yes, revert this change" in confirm.content.decode()
    revert = AuditEntry.objects.get(reverts=entry)
    assert done["Location"] == f"/audit/{revert.pk}/"
    assert sandbox.state.get_order(order["ref"])["price"] == 120


def test_a_refused_revert_shows_before_after_and_now(sandbox, super_client, superuser) -> None:
    order = seed_order(sandbox, price=120)
    entry = order_update(
        actor=superuser, order_ref=order["ref"], changes={"price": 99}, expected_modified_at=None
    ).entry
    sandbox.state.touch_order(order["ref"], price=80)

    response = super_client.post(f"/audit/{entry.pk}/revert/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "changed in CDP after this entry" in html
    assert "Yes, revert this change" not in html
    assert all(value in html for value in ("120", "99", "80"))
    assert not AuditEntry.objects.filter(reverts=entry).exists()


def test_the_admin_shows_the_trail_read_only_even_to_superusers(super_client, entry) -> None:
    assert super_client.get("/admin/orders/auditentry/").status_code == 200
    assert super_client.get(f"/admin/orders/auditentry/?q={ORDER_A}").status_code == 200
    assert super_client.get(f"/admin/orders/auditentry/{entry.pk}/change/").status_code == 200
    assert super_client.get("/admin/orders/auditentry/add/").status_code == 403
    assert super_client.get(f"/admin/orders/auditentry/{entry.pk}/delete/").status_code == 403
    response = super_client.post(
        f"/admin/orders/auditentry/{entry.pk}/change/", {"action": "orders.order.delete"}
    )
    assert response.status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).action == "orders.order.patch"


def test_the_csv_says_each_change_in_the_same_words_as_the_pages(auditor_client, cs_user) -> None:
    intent, _ = record_change(
        actor=cs_user, payload={"status": "CANCELLED"}, before={"status": "PURCHASED"}
    )

    lines = b"".join(auditor_client.get("/audit/export.csv").streaming_content).decode()
    rows = list(csv.reader(io.StringIO(lines)))
    assert rows[0][-1] == "description"
    described = {row[0]: row[-1] for row in rows[1:-1]}
    assert described[str(intent.pk)] == "casey changed Status: Purchased → Cancelled"
    assert f"Outcome of change #{intent.pk}: Done" in described.values()
    page = auditor_client.get("/audit/").content.decode()
    assert "casey changed Status: Purchased → Cancelled" in page
