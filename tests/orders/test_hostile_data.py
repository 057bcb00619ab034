"""Data the app did not write: every page survives whatever CDP holds, for every role.

Other systems write to CDP too. Each case below is planted in the sandbox past its own
validation (`state.plant`), as such a system could leave it; then every page that shows CDP
data is opened as every role. A page may answer 2xx, 3xx or 403, never 5xx, and the planted
markup appears only escaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from orders.models import AuditEntry, BulkJob
from orders.sandbox.server import SandboxServer
from orders.services.bulk import bulk_job_create, bulk_job_run
from orders.services.extensions import order_extension_delete_keys, order_extension_set
from tests.conftest import make_staff
from tests.factories import seed_full_order, seed_order

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = '<script>alert("cdp")</script>'
# What must never reach a page unescaped.
UNSAFE = (b"<img src=x onerror", b'<script>alert("cdp")')
LONG = "L" * 20_000

ORDER_CASES: dict[str, Any] = {
    "referenceId": f'x"><{IMG}',  # hostile markup in a field shown everywhere
    "status": "TELEPORTED" + SCRIPT,  # an unknown enum value, with markup
    "channel": "CARRIER_PIGEON",  # an unknown enum value
    "price": "12.50",  # a number as a string
    "currencyCode": 978,  # a number where text is expected
    "pointOfSale": ["spinair.com", IMG],  # a list where a scalar is expected
    "paymentType": True,  # a boolean where text is expected
    "cardType": "",  # an empty string
    "orderedAt": "last Tuesday",  # a date that is not a date
    "createdAt": 1700000000000,  # epoch milliseconds where ISO text is expected
    "loyaltyProgramme": {"tier": IMG, "since": None},  # an unknown nested field
    "contacts": None,  # null where the collection object is expected
    "consumers": [IMG],  # a list where the collection object is expected
}
ITEM_CASES: dict[str, Any] = {
    "name": IMG + LONG,  # very long text with markup
    "quantity": "3",  # a number as a string
    "price": "free",  # text where a number is expected
    "originalPrice": {"amount": 110},  # an object where a number is expected
    "type": None,  # null where text is expected
    "status": "LOST_IN_SPACE",  # an unknown enum value
    "language": "",  # an empty string
    "modifiedAt": "",  # an empty date
    "order": "not-a-link",  # text where a link object is expected
    "warehouse": [{"id": IMG}],  # an unknown field holding a list of objects
}
PERSON_CASES: dict[str, Any] = {
    "firstName": SCRIPT,  # markup in a name
    "lastName": LONG,  # very long text
    "emails": [IMG, 42],  # a list holding a number
    "phoneNumbers": "+44 1234",  # a string where a list is expected
    "dateOfBirth": "yesterday",  # a date that is not a date
    "identifiers": [{"provider": IMG}],  # an identifier without its id
    "street": 12,  # a number where a list of text is expected
    "gender": "OTHER_UNLISTED",  # an unknown enum value
    "guest": None,  # null where the guest link is expected
}
CONSUMER_CASES: dict[str, Any] = {
    **PERSON_CASES,
    "orderItems": {"items": "everything"},  # a collection whose items are not a list
    "identifiers": "ProfileSystem",  # text where a list is expected
}
EXTENSION_CASES: dict[str, Any] = {
    "LoyaltyTier": "gold",  # an UpperCamel key
    "store_location": "London",  # a snake_case key
    "k" * 300: 1,  # a 300-character key
    'x"><img src=x onerror=alert(1)>': IMG,  # a key that is markup
    "a|b": "pipe",  # a key holding CDP's field-list separator
    "": "blank key",  # an empty key
    "two words": 2.5,  # a key with a space
    "clé": "é",  # a non-ASCII key
    "nested": {"deep": IMG},  # an object value
    "listed": [1, IMG],  # a list value
    "nothing": None,  # a null value
    "count": "9",  # a number as a string
    "huge": 10**30,  # an integer beyond 64 bits
    "bio": SCRIPT + LONG,  # a very long string with markup
    "blank": "",  # an empty string
    "campaign": IMG,  # an app-written key changed to markup (recorded as an observed change)
}
ITEM_EXTENSION_CASES: dict[str, Any] = {
    "Colour": IMG,
    "size_eu": [42],
    "warranty": {"years": 2},
    "ok": True,
}


def logged_in(user: User | None) -> Client:
    # A page's exception becomes its 500 answer here, so every failure is listed at once.
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


@dataclass
class Scene:
    order_ref: str
    item_ref: str
    contact_ref: str
    consumer_ref: str
    guest_ref: str
    job_id: str
    entries: list[int]
    intents: list[int]


def plant_everything(sandbox: SandboxServer, actor: User) -> Scene:
    seeded = seed_full_order(sandbox)
    order_ref = seeded["order"]["ref"]
    item_ref = seeded["item"]["ref"]
    sandbox.state.put_item_extension(item_ref, {"color": "red"})
    item_ext = sandbox.state.get_extension("orderItem", item_ref, "ext")
    # An app write first, so the audit trail holds rows about this order; then the bad data.
    order_extension_set(actor=actor, order_ref=order_ref, pairs={"campaign": "spring"})
    state = sandbox.state
    state.plant(seeded["extension"]["ref"], EXTENSION_CASES)
    state.plant(item_ext["ref"], ITEM_EXTENSION_CASES)
    state.plant(seeded["contact"]["ref"], PERSON_CASES)
    state.plant(seeded["consumer"]["ref"], CONSUMER_CASES)
    state.plant(item_ref, ITEM_CASES)
    # Required fields gone: what a partial import might leave.
    state.plant(order_ref, ORDER_CASES, remove=["modifiedAt"])
    # A second order under the same referenceId, so the search lists both instead of redirecting.
    twin = seed_order(sandbox, orderedAt="2020-01-01T00:00:00.000Z")["ref"]
    state.plant(twin, {**ORDER_CASES, "price": {"amount": 1}}, remove=["referenceId", "orderedAt"])
    # The order page, read once, records what the other system changed as an observed row.
    logged_in(actor).get(f"/orders/{order_ref}/")
    assert AuditEntry.objects.filter(phase=AuditEntry.Phase.OBSERVED).exists()
    # A bulk job over the order, and app writes over the planted pairs, so the audit list,
    # detail, key history, revert and job pages all hold the foreign data too.
    job = bulk_job_create(
        actor=actor,
        set_pairs={"wave": 2},
        remove_keys=["campaign"],
        targets=[(order_ref, order_ref)],
        enqueue=False,
    )
    bulk_job_run(job_id=str(job.id), concurrency=1)
    # A foreign key deleted through the app: its audit entry is opened below too.
    order_extension_delete_keys(
        actor=actor, order_ref=order_ref, keys=['x"><img src=x onerror=alert(1)>']
    )
    return Scene(
        order_ref=order_ref,
        item_ref=item_ref,
        contact_ref=seeded["contact"]["ref"],
        consumer_ref=seeded["consumer"]["ref"],
        guest_ref=seeded["contact"]["guest"]["href"].rsplit("/", 1)[-1],
        job_id=str(job.id),
        entries=list(AuditEntry.objects.values_list("pk", flat=True)),
        intents=list(
            AuditEntry.objects.filter(phase=AuditEntry.Phase.INTENT).values_list("pk", flat=True)
        ),
    )


def pages(scene: Scene, client: Client) -> list[str]:
    order = f"/orders/{scene.order_ref}"
    urls = [
        "/orders/?referenceId=B94TXY-1",
        f"/orders/?guestRef={scene.guest_ref}",
        "/orders/lookup/",
        f"{order}/",
        f"{order}/edit/",
        f"{order}/delete/",
        f"{order}/ext/",
        f"{order}/ext/replace/",
        f"{order}/ext/keys/storeLocation/",
        f"{order}/ext/keys/storeLocation/edit/",
        f"{order}/items/{scene.item_ref}/ext/",
        f"{order}/items/{scene.item_ref}/ext/replace/",
        f"{order}/items/new/",
        f"{order}/contacts/new/",
        f"{order}/consumers/new/",
        f"{order}/items/{scene.item_ref}/edit/",
        f"{order}/items/{scene.item_ref}/delete/",
        f"{order}/contacts/{scene.contact_ref}/edit/",
        f"{order}/contacts/{scene.contact_ref}/delete/",
        f"{order}/consumers/{scene.consumer_ref}/edit/",
        f"{order}/consumers/{scene.consumer_ref}/delete/",
        "/audit/",
        f"/audit/?order_ref={scene.order_ref}",
        "/audit/keys/storeLocation/",
        "/audit/keys/wave/",
        "/audit/export.csv",
        "/bulk/",
        f"/bulk/{scene.job_id}/",
        f"/bulk/{scene.job_id}/progress/",
        f"/bulk/{scene.job_id}/revert/",
    ]
    urls += [f"/audit/{pk}/" for pk in scene.entries]
    urls += [f"/audit/{pk}/revert/" for pk in scene.intents]
    return urls


def posts(scene: Scene) -> list[tuple[str, dict[str, str]]]:
    """Forms that read CDP and show it back without writing: the bulk preview."""
    return [
        ("/orders/lookup/", {"values": f"{scene.order_ref}\nB94TXY-1"}),
        (
            "/bulk/",
            {
                "inputs": f"{scene.order_ref}\nB94TXY-1",
                "remove_keys": "storeLocation",
                "set-TOTAL_FORMS": "1",
                "set-INITIAL_FORMS": "0",
                "set-0-key": "wave",
                "set-0-type": "integer",
                "set-0-value": "3",
            },
        ),
    ]


def test_every_page_survives_foreign_data_for_every_role(sandbox: SandboxServer) -> None:
    root = make_staff("root", None, is_superuser=True, is_staff=True)
    scene = plant_everything(sandbox, root)
    clients = {
        "customer service": logged_in(make_staff("casey", "Customer service")),
        "marketing": logged_in(make_staff("morgan", "Marketing")),
        "auditor": logged_in(make_staff("avery", "Auditor")),
        "superuser": logged_in(root),
        "anonymous": logged_in(None),
    }
    failures = []
    for role, client in clients.items():
        requests = [("GET", url, None) for url in pages(scene, client)]
        requests += [("POST", url, data) for url, data in posts(scene)]
        for method, url, data in requests:
            if method == "GET":
                response = client.get(url)
                htmx = client.get(url, HTTP_HX_REQUEST="true")
            else:
                response = client.post(url, data)
                htmx = response
            for answer in (response, htmx):
                body = b"".join(answer.streaming_content) if answer.streaming else answer.content
                if answer.status_code >= 500 or answer.status_code in (400, 404):
                    failures.append(f"{role} {method} {url}: {answer.status_code}")
                # The CSV export holds the data as text, to be read as text (its cells are
                # guarded against spreadsheet formulas elsewhere); pages must escape it.
                is_html = answer.get("Content-Type", "").startswith("text/html")
                for unsafe in UNSAFE:
                    if is_html and unsafe in body:
                        failures.append(f"{role} {method} {url}: unescaped {unsafe!r}")
    assert failures == [], "\n".join(failures)


def test_the_planted_data_is_shown_escaped_not_hidden(sandbox: SandboxServer) -> None:
    root = make_staff("root", None, is_superuser=True, is_staff=True)
    scene = plant_everything(sandbox, root)
    page = logged_in(root).get(f"/orders/{scene.order_ref}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "&lt;script&gt;alert(&quot;cdp&quot;)&lt;/script&gt;" in text
    # Foreign keys are listed, read-only, with the reason.
    assert "store_location" in text and "LoyaltyTier" in text
    assert "k" * 300 in text
    assert "which would not create this key" in text
    # The order's own fields CDP sent in an unreadable form are shown as CDP sent them.
    assert "last Tuesday" in text and "12.50" in text


def test_bulk_job_over_a_foreign_order_completes(sandbox: SandboxServer) -> None:
    root = make_staff("root", None, is_superuser=True, is_staff=True)
    scene = plant_everything(sandbox, root)
    job = BulkJob.objects.get(pk=scene.job_id)
    assert job.status == BulkJob.Status.DONE, job.error_message
