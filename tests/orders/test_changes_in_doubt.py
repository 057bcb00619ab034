"""A change in doubt is resolved before it is repeated: no duplicate child after a timeout."""

from __future__ import annotations

import html
import time
from typing import Any

import pytest
from django.test import Client

from orders.cdp.client import reset_client
from orders.models import AuditEntry
from orders.sandbox.server import SandboxServer
from tests.factories import seed_full_order

pytestmark = pytest.mark.integration
TIMEOUT_S = 0.5
DELAY_S = 1.0

CHILDREN = {
    "items": (
        "order_item",
        "orderItems",
        {
            "name": "Extra bag",
            "type": "Baggage",
            "status": "CONFIRMED",
            "price": "35.50",
            "currencyCode": "EUR",
            "quantity": "2",
        },
    ),
    "contacts": (
        "contact",
        "contacts",
        {"firstName": "Ann", "lastName": "Lee", "emails": "ann@example.com"},
    ),
    "consumers": (
        "consumer",
        "consumers",
        {"firstName": "Bo", "lastName": "Lee", "dateOfBirth": "1990-05-01"},
    ),
}


@pytest.fixture
def slow_cdp(sandbox: SandboxServer, settings: Any) -> SandboxServer:
    settings.CDP_TIMEOUT = TIMEOUT_S
    reset_client()
    return sandbox


def children(sandbox: SandboxServer, order_ref: str, collection: str) -> list[dict[str, Any]]:
    order = sandbox.state.orders[order_ref]
    refs = {
        "orderItems": order.item_refs,
        "contacts": order.contact_refs,
        "consumers": order.consumer_refs,
    }
    return list(refs[collection])


def order_for_items(sandbox: SandboxServer) -> tuple[str, int, str]:
    """An order; how many items it has; the URL of its new-item form."""
    order_ref = seed_full_order(sandbox)["order"]["ref"]
    before = len(children(sandbox, order_ref, "orderItems"))
    return order_ref, before, f"/orders/{order_ref}/items/new/"


@pytest.mark.parametrize("segment", list(CHILDREN))
def test_resubmitting_a_create_that_timed_out_finds_what_cdp_made_and_creates_nothing(
    slow_cdp: SandboxServer, cs_client: Client, segment: str
) -> None:
    kind, collection, data = CHILDREN[segment]
    order_ref = seed_full_order(slow_cdp)["order"]["ref"]
    existing = children(slow_cdp, order_ref, collection)
    create_path = f"/v2.1/orders/{order_ref}/{collection}"
    slow_cdp.clear_log()
    # CDP applies the create, but answers after the app's timeout.
    slow_cdp.inject(status=None, delay_s=DELAY_S, method="POST", path_prefix=create_path)
    url = f"/orders/{order_ref}/{segment}/new/"

    first = cs_client.post(url, data)
    assert first.status_code == 200
    said = html.unescape(first.content.decode())
    assert "may or may not have been applied" in said
    assert "Pressing Create again is safe" in said
    time.sleep(DELAY_S)  # the user reads the message; CDP finishes meanwhile

    second = cs_client.post(url, data, follow=True)

    made = [ref for ref in children(slow_cdp, order_ref, collection) if ref not in existing]
    assert len(made) == 1, "exactly one child in CDP"
    posts = [r for r in slow_cdp.request_log if r.method == "POST"]
    assert len(posts) == 1, "the second submit sent nothing"
    page = html.unescape(second.content.decode())
    assert "CDP had applied your first attempt" in page
    assert second.redirect_chain[-1][0] == f"/orders/{order_ref}/"
    [intent] = AuditEntry.objects.filter(phase="intent", action=f"orders.{kind}.create")
    failure, resolution = intent.outcomes.order_by("id")
    assert failure.outcome == "failure" and "may or may not" in failure.error_message
    assert resolution.outcome == "success" and resolution.resource_ref == made[0]
    assert resolution.error_message.startswith("CDP had applied it")
    detail = cs_client.get(f"/audit/{intent.pk}/")
    assert detail.status_code in (200, 403)


def test_after_a_resolved_create_the_same_form_creates_a_second_child_deliberately(
    slow_cdp: SandboxServer, cs_client: Client
) -> None:
    data = CHILDREN["items"][2]
    order_ref, before, url = order_for_items(slow_cdp)

    cs_client.post(url, data)  # answered in time: created
    again = cs_client.post(url, data, follow=True)  # the same fields again, on purpose
    assert "The order item was created." in html.unescape(again.content.decode())

    assert len(children(slow_cdp, order_ref, "orderItems")) == before + 2


def test_a_create_refused_by_cdp_is_not_in_doubt_and_is_sent_again(
    slow_cdp: SandboxServer, cs_client: Client
) -> None:
    data = CHILDREN["items"][2]
    order_ref, before, url = order_for_items(slow_cdp)
    slow_cdp.inject(status=503, method="POST", path_prefix=f"/v2.1/orders/{order_ref}/orderItems")
    slow_cdp.inject(status=400, method="POST", path_prefix=f"/v2.1/orders/{order_ref}/orderItems")

    first = cs_client.post(url, data)  # 503: in doubt, but nothing was made
    assert "Pressing Create again is safe" in html.unescape(first.content.decode())
    cs_client.post(url, data)  # looked for it, found nothing: sent again, refused (400)
    cs_client.post(url, data)  # a refusal changed nothing: created

    assert len(children(slow_cdp, order_ref, "orderItems")) == before + 1
    assert len([r for r in slow_cdp.request_log if r.method == "POST"]) == 3


def test_an_update_whose_answer_timed_out_says_the_change_may_already_be_in_cdp(
    slow_cdp: SandboxServer, cs_client: Client
) -> None:
    seeded = seed_full_order(slow_cdp)
    order_ref = seeded["order"]["ref"]
    url = f"/orders/{order_ref}/edit/"
    form = cs_client.get(url).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data.update({f"initial-{name}": value for name, value in data.items() if name != "modifiedAt"})
    data["price"] = "150"
    slow_cdp.inject(
        status=None, delay_s=DELAY_S, method="PATCH", path_prefix=f"/v2.1/orders/{order_ref}"
    )

    cs_client.post(url, {k: str(v) for k, v in data.items()})
    time.sleep(DELAY_S)
    again = cs_client.post(url, {k: str(v) for k, v in data.items()})

    text = html.unescape(again.content.decode())
    assert "it may already be in CDP" in text
    assert len([r for r in slow_cdp.request_log if r.method == "PATCH"]) == 1
