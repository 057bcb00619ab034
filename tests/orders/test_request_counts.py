"""What each action costs in CDP requests, counted from the sandbox's request log."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from orders.sandbox.server import SandboxServer
from tests.factories import seed_full_order
from tests.support.sandbox import form_data, method_counts

pytestmark = pytest.mark.integration
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.mark.parametrize(("update_api", "write"), [("v2.1", "PATCH"), ("v2", "POST")])
def test_an_order_edit_reads_once_and_writes_once(
    update_api: str, write: str, cs_client: Client, sandbox: SandboxServer, settings: Any
) -> None:
    settings.CDP_ORDER_UPDATE_API = update_api
    order_ref = seed_full_order(sandbox)["order"]["ref"]
    url = f"/orders/{order_ref}/edit/"
    data = form_data(cs_client, url, price="77")
    sandbox.clear_log()

    assert cs_client.post(url, data).status_code == 302

    assert method_counts(sandbox) == {"GET": 1, write: 1}


@pytest.mark.parametrize(
    ("route", "data", "write"),
    [
        ("add/", {"key": "vip", "value": "true", "type": "boolean"}, "PATCH"),
        ("keys/loyaltyTier/save/", {"value": "3", "type": "integer", "seen": "2"}, "PATCH"),
        ("keys/storeLocation/delete/", {"seen": '"London"'}, "DELETE"),
    ],
)
def test_a_grid_add_save_or_delete_reads_once_and_writes_once(
    route: str, data: dict[str, str], write: str, marketing_client: Client, sandbox: SandboxServer
) -> None:
    order_ref = seed_full_order(sandbox)["order"]["ref"]
    sandbox.clear_log()

    response = marketing_client.post(f"/orders/{order_ref}/ext/{route}", data, **HX)

    assert response.status_code == 200
    assert method_counts(sandbox) == {"GET": 1, write: 1}


def test_the_order_page_costs_five_reads(cs_client: Client, sandbox: SandboxServer) -> None:
    order_ref = seed_full_order(sandbox)["order"]["ref"]
    sandbox.clear_log()

    assert cs_client.get(f"/orders/{order_ref}/").status_code == 200

    assert method_counts(sandbox) == {"GET": 5}
