"""The audit trail records the call that was sent: every write the UI offers, in both update APIs.

Each scenario makes one change through the pages a user would use; then every outcome row
written must name the method, path (with query) and body the sandbox received, and CDP's
status, and its intent row must have been written before the request arrived.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from orders.models import AuditEntry
from orders.sandbox.server import SandboxServer
from orders.services.bulk import bulk_job_create, bulk_job_run
from tests.conftest import logged_in, make_staff
from tests.factories import seed_full_order
from tests.support.sandbox import form_data, sent_writes, writes

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
HX = {"HTTP_HX_REQUEST": "true"}


@dataclass
class Scene:
    sandbox: SandboxServer
    cs: Client
    marketing: Client
    root: Client
    marketing_user: User
    seeded: dict[str, Any]

    @property
    def order_ref(self) -> str:
        return str(self.seeded["order"]["ref"])

    def ref(self, part: str) -> str:
        return str(self.seeded[part]["ref"])


def edit(segment: str, part: str, field: str, value: str, *, replace: bool = False) -> Callable:
    def act(scene: Scene) -> None:
        base = f"/orders/{scene.order_ref}/"
        url = base + "edit/" if part == "order" else f"{base}{segment}/{scene.ref(part)}/edit/"
        data = form_data(scene.cs, url, **{field: value})
        if replace:
            data["_replace"] = "1"
        assert scene.cs.post(url, data).status_code == 302

    return act


def delete(segment: str, part: str) -> Callable:
    def act(scene: Scene) -> None:
        base = f"/orders/{scene.order_ref}/"
        url = base + "delete/" if part == "order" else f"{base}{segment}/{scene.ref(part)}/delete/"
        assert scene.cs.post(url).status_code == 302

    return act


def create(segment: str, data: dict[str, str]) -> Callable:
    def act(scene: Scene) -> None:
        url = "/orders/new/" if segment == "orders" else f"/orders/{scene.order_ref}/{segment}/new/"
        assert scene.cs.post(url, data).status_code == 302

    return act


def ext(parent: str, route: str, data: dict[str, str]) -> Callable:
    def act(scene: Scene) -> None:
        item = f"items/{scene.ref('item')}/" if parent == "item" else ""
        url = f"/orders/{scene.order_ref}/{item}ext/{route}"
        assert scene.marketing.post(url, data, **HX).status_code == 200

    return act


def foreign_delete(parent: str) -> Callable:
    """Delete a pair another system wrote, with a key no URL of the app can hold, by name."""

    def act(scene: Scene) -> None:
        state = scene.sandbox.state
        if parent == "item":
            ext_ref = state.get_extension("orderItem", scene.ref("item"), "ext")["ref"]
        else:
            ext_ref = scene.ref("extension")
        state.plant(ext_ref, {'Store Location"><b>': "London"})
        ext(parent, "fields/delete/", {"key": 'Store Location"><b>', "seen": '"London"'})(scene)

    return act


def ext_replace(scene: Scene) -> None:
    url = f"/orders/{scene.order_ref}/ext/replace/"
    form = {
        "pair-TOTAL_FORMS": "1",
        "pair-INITIAL_FORMS": "0",
        "pair-0-key": "loyaltyTier",
        "pair-0-type": "integer",
        "pair-0-value": "4",
    }
    preview = scene.marketing.post(url, {**form, "preview": "1"}).content.decode()
    fingerprint = preview.split('name="confirm" value="', 1)[1].split('"', 1)[0]
    assert scene.marketing.post(url, {**form, "confirm": fingerprint}).status_code == 302


def bulk(scene: Scene) -> None:
    job = bulk_job_create(
        actor=scene.marketing_user,
        set_pairs={"campaign": "spring"},
        remove_keys=["storeLocation"],
        targets=[(scene.order_ref, scene.order_ref)],
        enqueue=False,
    )
    bulk_job_run(job_id=str(job.id), concurrency=1)


def revert(scene: Scene) -> None:
    edit("", "order", "price", "7")(scene)
    intent = AuditEntry.objects.filter(phase="intent").latest("id")
    assert scene.root.post(f"/audit/{intent.pk}/revert/").status_code == 302


ITEM = {"name": "Room", "type": "Room", "status": "CONFIRMED", "price": "80", "currencyCode": "EUR"}
PERSON = {"firstName": "Ann", "lastName": "Lee", "emails": "ann@example.com"}
NEW_ORDER = {
    "referenceId": "NEW-1",
    "orderedAt": "2026-05-01T09:30",
    "currencyCode": "EUR",
    "price": "10.25",
}

SCENARIOS: dict[str, Callable[[Scene], None]] = {
    "order create": create("orders", NEW_ORDER),
    "order edit": edit("", "order", "price", "7"),
    "order replace": edit("", "order", "status", "CONFIRMED", replace=True),
    "order delete": delete("", "order"),
    "item create": create("items", ITEM),
    "item edit": edit("items", "item", "price", "99"),
    "item replace": edit("items", "item", "price", "98", replace=True),
    "item delete": delete("items", "item"),
    "contact create": create("contacts", PERSON),
    "contact edit": edit("contacts", "contact", "firstName", "Zed"),
    "contact replace": edit("contacts", "contact", "firstName", "Zoe", replace=True),
    "contact delete": delete("contacts", "contact"),
    "consumer create": create("consumers", PERSON),
    "consumer edit": edit("consumers", "consumer", "firstName", "Zed"),
    "consumer replace": edit("consumers", "consumer", "firstName", "Zoe", replace=True),
    "consumer delete": delete("consumers", "consumer"),
    "order extension add": ext("order", "add/", {"key": "vip", "value": "true", "type": "boolean"}),
    "order extension save": ext(
        "order", "keys/loyaltyTier/save/", {"value": "3", "type": "integer", "seen": "2"}
    ),
    "order extension delete": ext("order", "keys/storeLocation/delete/", {"seen": '"London"'}),
    "order extension replace": ext_replace,
    "order extension foreign key delete": foreign_delete("order"),
    "item extension add": ext("item", "add/", {"key": "meal", "value": "veg", "type": "string"}),
    "item extension save": ext(
        "item", "keys/seat/save/", {"value": "14C", "type": "string", "seen": '"12A"'}
    ),
    "item extension delete": ext("item", "keys/seat/delete/", {"seen": '"12A"'}),
    "item extension foreign key delete": foreign_delete("item"),
    "bulk job": bulk,
    "revert": revert,
}


@pytest.fixture(params=["v2.1", "v2"])
def update_api(request: pytest.FixtureRequest, settings: Any) -> str:
    settings.CDP_ORDER_UPDATE_API = request.param
    return str(request.param)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_every_audit_row_records_the_call_cdp_received(
    name: str, update_api: str, sandbox: SandboxServer
) -> None:
    seeded = seed_full_order(sandbox)
    sandbox.state.put_item_extension(seeded["item"]["ref"], {"seat": "12A"})
    marketing_user = make_staff("morgan", "Marketing")
    scene = Scene(
        sandbox,
        logged_in(make_staff("casey", "Customer service")),
        logged_in(marketing_user),
        logged_in(make_staff("root", None, is_superuser=True, is_staff=True)),
        marketing_user,
        seeded,
    )
    sandbox.clear_log()

    SCENARIOS[name](scene)

    outcomes = list(AuditEntry.objects.filter(phase="outcome").order_by("id"))
    recorded = [(o.method, o.cdp_path, o.request_payload, o.cdp_status) for o in outcomes]
    assert recorded == sent_writes(sandbox)
    assert outcomes, "the scenario wrote nothing"
    for outcome, received in zip(outcomes, writes(sandbox), strict=True):
        intent = outcome.intent
        assert intent is not None and intent.pk < outcome.pk
        assert (intent.method, intent.cdp_path, intent.request_payload) == recorded[
            outcomes.index(outcome)
        ][:3]
        assert intent.at.timestamp() <= received.at
        assert outcome.order_ref, f"{outcome.action} names no order"
        assert intent.order_ref or intent.action == "orders.order.create"


def test_an_orders_history_begins_with_its_create(sandbox: SandboxServer) -> None:
    client = logged_in(make_staff("root", None, is_superuser=True, is_staff=True))

    created = client.post("/orders/new/", NEW_ORDER)

    order_ref = created["Location"].rstrip("/").rsplit("/", 1)[-1]
    intent = AuditEntry.objects.get(phase="intent", action="orders.order.create")
    assert intent.outcomes.get().order_ref == order_ref
    history = client.get(f"/audit/?order_ref={order_ref}").content.decode()
    assert f'href="/audit/{intent.pk}/"' in history
