"""Pairs other systems wrote to an extension: shown read-only, deletable by name when safe."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

import pytest
from django.test import Client
from django.utils.html import escape

from orders.models import AuditEntry
from orders.sandbox.server import SandboxServer
from tests.factories import seed_order

pytestmark = pytest.mark.integration
HX = {"HTTP_HX_REQUEST": "true"}
MARKUP_KEY = 'x"><img src=x onerror=alert(1)>'
FOREIGN = {
    "LoyaltyTier": "gold",
    "store_location": "London",
    "k" * 300: 1,
    MARKUP_KEY: "<b>bold</b>",
    "a|b": "pipe",
    "": "blank key",
    "nested": {"deep": 1},
}


def order_with_foreign_pairs(sandbox: SandboxServer) -> str:
    ref = seed_order(sandbox)["ref"]
    ext = sandbox.state.put_order_extension(ref, {"loyaltyTier": 2})
    sandbox.state.plant(ext["ref"], FOREIGN)
    sandbox.clear_log()
    return ref


def cdp_pairs(sandbox: SandboxServer, ref: str) -> dict[str, Any]:
    ext = sandbox.state.get_extension("order", ref, "ext")
    envelope = {"name", "href", "ref", "key", "createdAt", "modifiedAt", "order"}
    return {k: v for k, v in ext.items() if k not in envelope}


@pytest.mark.parametrize("who", ["marketing_client", "super_client", "cs_client"])
def test_the_order_page_and_grid_show_foreign_keys_read_only(
    request: pytest.FixtureRequest, sandbox: SandboxServer, who: str
) -> None:
    client: Client = request.getfixturevalue(who)
    ref = order_with_foreign_pairs(sandbox)
    for url in (f"/orders/{ref}/", f"/orders/{ref}/ext/"):
        response = client.get(url)
        text = response.content.decode()
        assert response.status_code == 200
        assert "LoyaltyTier" in text and "store_location" in text and "k" * 300 in text
        assert "<img src=x" not in text and "x&quot;&gt;&lt;img src=x onerror" in text
        assert text.count("this application, which would not create this key") == 6
        assert "Read-only: CDP holds an object here" in text


def test_marketing_can_delete_a_foreign_key_by_name_and_it_is_audited(
    marketing_client: Client, sandbox: SandboxServer
) -> None:
    ref = order_with_foreign_pairs(sandbox)
    for key in ("store_location", MARKUP_KEY, "k" * 300):
        response = marketing_client.post(
            f"/orders/{ref}/ext/fields/delete/",
            {"key": key, "seen": json.dumps(FOREIGN[key])},
            **HX,
        )
        assert response.status_code == 200
        assert key not in cdp_pairs(sandbox, ref)
        assert f'data-key="{escape(key)}"' not in response.content.decode()
    deletes = [r for r in sandbox.request_log if r.method == "DELETE"]
    assert [parse_qs(r.query)["name"] for r in deletes] == [
        ["store_location"],
        [MARKUP_KEY],
        ["k" * 300],
    ]
    assert all(r.path == f"/v2.1/orders/{ref}/extensions/ext/fields" for r in deletes)
    assert AuditEntry.objects.filter(phase="outcome", outcome="success").count() == 3
    intents = AuditEntry.objects.filter(phase=AuditEntry.Phase.INTENT).order_by("id")
    # The audit names each delete by the path the client sent, query included.
    assert [row.cdp_path for row in intents] == [f"{r.path}?{r.query}" for r in deletes]
    assert [row.method for row in intents] == ["DELETE"] * 3
    assert cdp_pairs(sandbox, ref)["loyaltyTier"] == 2


@pytest.mark.parametrize("key", ["a|b", ""])
def test_a_key_a_field_delete_cannot_name_is_refused_with_the_reason(
    marketing_client: Client, sandbox: SandboxServer, key: str
) -> None:
    ref = order_with_foreign_pairs(sandbox)
    grid = marketing_client.get(f"/orders/{ref}/ext/").content.decode()
    assert "It cannot be deleted from here" in grid
    response = marketing_client.post(
        f"/orders/{ref}/ext/fields/delete/", {"key": key, "seen": "null"}, **HX
    )
    assert response.status_code == 200
    assert "cannot be deleted through CDP" in response.content.decode()
    assert [r for r in sandbox.request_log if r.method != "GET"] == []
    assert key in cdp_pairs(sandbox, ref)
    assert not AuditEntry.objects.exists()


def test_a_foreign_key_changed_since_it_was_shown_is_not_deleted(
    marketing_client: Client, sandbox: SandboxServer
) -> None:
    ref = order_with_foreign_pairs(sandbox)
    response = marketing_client.post(
        f"/orders/{ref}/ext/fields/delete/", {"key": "store_location", "seen": '"Paris"'}, **HX
    )
    assert "Nothing was deleted" in response.content.decode()
    assert cdp_pairs(sandbox, ref)["store_location"] == "London"


def test_customer_service_cannot_delete_foreign_keys(
    cs_client: Client, sandbox: SandboxServer
) -> None:
    ref = order_with_foreign_pairs(sandbox)
    response = cs_client.post(f"/orders/{ref}/ext/fields/delete/", {"key": "store_location"})
    assert response.status_code == 403
    assert "store_location" in cdp_pairs(sandbox, ref)


def test_adding_a_pair_next_to_foreign_keys_shows_the_grid_cdp_returned(
    marketing_client: Client, sandbox: SandboxServer
) -> None:
    ref = order_with_foreign_pairs(sandbox)
    response = marketing_client.post(
        f"/orders/{ref}/ext/add/", {"key": "campaign", "type": "string", "value": "spring"}, **HX
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert cdp_pairs(sandbox, ref)["campaign"] == "spring"
    assert 'data-key="campaign"' in text and "store_location" in text
    assert "<img src=x" not in text
