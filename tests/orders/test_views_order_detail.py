"""The order page: everything about one order, at the cost of about one CDP round trip."""

from __future__ import annotations

import pytest
from django.test import Client

from orders.sandbox.server import SandboxServer
from orders.services import order_update
from tests.factories import seed_full_order, seed_order

pytestmark = pytest.mark.integration


def test_order_page_shows_order_items_contacts_consumers_and_extension(
    cs_client: Client, sandbox: SandboxServer
) -> None:
    seeded = seed_full_order(sandbox, referenceId="PAGE-1", price=99.5)
    guest_ref = seeded["contact"]["guest"]["href"].rsplit("/", 1)[1]

    response = cs_client.get(f"/orders/{seeded['order']['ref']}/")

    text = response.content.decode()
    assert response.status_code == 200
    assert "Order PAGE-1" in text
    assert "99.50 EUR" in text
    assert "DUB-LHR Flight" in text
    assert f"/guests/{guest_ref}/" in text
    assert "jane@example.com" in text
    assert "loyaltyTier" in text and "London" in text


@pytest.mark.parametrize("item_count", [1, 6])
def test_order_page_makes_the_same_cdp_calls_whatever_the_item_count(
    cs_client: Client,
    sandbox: SandboxServer,
    item_count: int,
    django_assert_max_num_queries: object,
) -> None:
    seeded = seed_full_order(sandbox)
    for n in range(item_count - 1):
        sandbox.state.create_item(
            seeded["order"]["ref"],
            {
                "name": f"Bag {n}",
                "type": "BAG",
                "status": "CONFIRMED",
                "price": 10,
                "currencyCode": "EUR",
            },
        )
    sandbox.clear_log()

    # Two of these remember the order for the user's home page (upsert, trim to the newest);
    # three save the session, which moves its idle expiry on (one UPDATE, in a savepoint here).
    with django_assert_max_num_queries(13):  # type: ignore[operator]
        response = cs_client.get(f"/orders/{seeded['order']['ref']}/")

    assert response.status_code == 200
    assert len(sandbox.request_log) == 5


def test_order_page_calls_cdp_concurrently(cs_client: Client, sandbox: SandboxServer) -> None:
    seeded = seed_full_order(sandbox)
    sandbox.config.latency_ms = 150
    sandbox.clear_log()

    cs_client.get(f"/orders/{seeded['order']['ref']}/")

    log = sandbox.request_log
    first_answer = min(r.at for r in log)
    # One after another, the five requests would spread over at least 4 × 150 ms; in flight
    # together they arrive within a fraction of that (the margin absorbs a loaded machine).
    assert max(r.at for r in log) - first_answer < 0.3


def test_a_failed_section_shows_its_own_error_and_the_rest_renders(
    cs_client: Client, sandbox: SandboxServer
) -> None:
    seeded = seed_full_order(sandbox)
    sandbox.inject(
        status=500, times=10, path_prefix="/v2.1/orders/" + seeded["order"]["ref"] + "/contacts"
    )

    response = cs_client.get(f"/orders/{seeded['order']['ref']}/")

    text = response.content.decode()
    assert response.status_code == 200
    assert "DUB-LHR Flight" in text
    assert 'id="order-contacts"' in text
    contacts_section = text.split('id="order-contacts"')[1].split("</section>")[0]
    assert 'class="section-error"' in contacts_section


def test_unknown_order_is_a_clear_404(cs_client: Client, sandbox: SandboxServer) -> None:
    ref = "11111111-2222-4333-8444-555555555555"

    response = cs_client.get(f"/orders/{ref}/")

    assert response.status_code == 404
    assert (
        f"Order “{ref}” doesn’t exist in CDP. Perhaps it was deleted?" in response.content.decode()
    )


def test_the_title_and_crumb_show_cdps_reference_and_its_markup_stays_text(
    cs_client: Client, sandbox: SandboxServer
) -> None:
    # The page's frame is rendered before CDP answers, with markers where the answers go.
    # A reference holding those markers is shown as text and fills nothing.
    reference = "<cdp-slot:page><cdp-slot:title>"
    order = seed_order(sandbox, referenceId=reference)

    text = cs_client.get(f"/orders/{order['ref']}/").content.decode()

    shown = "Order &lt;cdp-slot:page&gt;&lt;cdp-slot:title&gt;"
    assert f"<title>{shown} | cdpadmin</title>" in text
    assert f"<h1>{shown}</h1>" in text
    assert f"&rsaquo; {shown}</div>" in text
    assert "<cdp-slot" not in text
    assert text.count('id="order-items"') == 1


def test_a_long_reference_is_cut_in_the_crumb_only(
    cs_client: Client, sandbox: SandboxServer
) -> None:
    reference = "R" * 120
    order = seed_order(sandbox, referenceId=reference)

    text = cs_client.get(f"/orders/{order['ref']}/").content.decode()

    assert f"<h1>Order {reference}</h1>" in text
    assert f"&rsaquo; Order {'R' * 79}…</div>" in text


def test_an_unknown_order_is_named_not_found_in_the_title_and_crumb(
    cs_client: Client, sandbox: SandboxServer
) -> None:
    text = cs_client.get("/orders/11111111-2222-4333-8444-555555555555/").content.decode()

    assert "<title>Order not found | cdpadmin</title>" in text
    assert "&rsaquo; Order not found</div>" in text


@pytest.mark.parametrize(
    "path",
    [
        "/orders/not-a-uuid/",
        "/orders/..%2fguests%2fx/",
        "/orders/%2e%2e%2f/",
        "/orders/11111111-2222-4333-8444-5555555555551/",
        "/orders/11111111_2222_4333_8444_555555555555/",
    ],
)
def test_invalid_refs_in_the_url_are_404_without_calling_cdp(
    cs_client: Client, sandbox: SandboxServer, path: str
) -> None:
    response = cs_client.get(path)

    assert response.status_code == 404
    assert sandbox.request_log == []


def test_order_page_says_when_cdp_times_out(
    cs_client: Client, sandbox: SandboxServer, settings: object
) -> None:
    from orders.cdp.client import reset_client

    seeded = seed_full_order(sandbox)
    settings.CDP_TIMEOUT = 0.3  # type: ignore[attr-defined]
    reset_client()
    sandbox.inject(delay_s=1.0, times=20)

    response = cs_client.get(f"/orders/{seeded['order']['ref']}/")

    assert response.status_code == 503
    assert "did not answer" in response.content.decode()


def test_an_outside_change_shows_in_the_timeline_of_the_view_that_notices_it(
    cs_client: Client, cs_user, sandbox: SandboxServer
) -> None:
    order = seed_order(sandbox, price=120, status="PURCHASED")
    order_update(
        actor=cs_user, order_ref=order["ref"], changes={"price": 99}, expected_modified_at=None
    )
    sandbox.state.touch_order(order["ref"], status="CANCELLED")

    text = cs_client.get(f"/orders/{order['ref']}/").content.decode()

    timeline = text.split('id="timeline"')[1].split("</table>")[0]
    rows = timeline.split("<tr")[2:]  # after the header row, newest first
    assert "Someone outside cdpadmin changed Status" in rows[0]
    assert "casey changed Price" in rows[1]


def test_the_notes_show_each_notes_current_text_and_author(
    cs_client: Client, cs_user: object, sandbox: SandboxServer
) -> None:
    from orders.services.notes import note_add, note_replace
    from tests.conftest import make_staff

    order = seed_order(sandbox)
    first = note_add(author=cs_user, order_ref=order["ref"], text="Called back.")  # type: ignore[arg-type]
    note_replace(author=cs_user, note=first, text="Called back twice.")  # type: ignore[arg-type]
    other = make_staff("robin", "Customer service")
    note_add(author=other, order_ref=order["ref"], text="Refund <b>sent</b>.")

    text = cs_client.get(f"/orders/{order['ref']}/").content.decode()
    notes = text.split('id="order-notes"', 1)[1].split("</section>", 1)[0]

    assert "Called back twice." in notes and notes.count("Called back") == 1
    assert "<strong>casey</strong>" in notes and "(edited)" in notes
    assert "<strong>robin</strong>" in notes and "Refund &lt;b&gt;sent&lt;/b&gt;." in notes
    assert notes.count(">Edit</a>") == 1  # only the signed-in author may change a note
    assert "robin wrote a note: Refund &lt;b&gt;sent&lt;/b&gt;." in text
