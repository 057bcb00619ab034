"""No change reaches CDP without an audit entry: intent first, then CDP, then the outcome."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections

from orders.cdp import CdpUpstreamError
from orders.models import AuditEntry
from orders.sandbox.server import SandboxServer
from orders.services import (
    AuditUnavailable,
    consumer_delete,
    consumer_update,
    contact_delete,
    contact_update,
    order_create,
    order_delete,
    order_extension_delete_keys,
    order_extension_set,
    order_item_create,
    order_item_delete,
    order_item_extension_replace,
    order_item_extension_set,
    order_item_update,
    order_replace,
    order_update,
)
from tests.factories import seed_full_order, seed_order

pytestmark = pytest.mark.integration

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}


def mutations(sandbox: SandboxServer) -> list:
    return [r for r in sandbox.request_log if r.method in MUTATING]


def test_a_cdp_failure_leaves_the_intent_and_a_failure_outcome(
    db: None, sandbox: SandboxServer, cs_user: object
) -> None:
    order = seed_order(sandbox)
    sandbox.inject(status=500, times=1, method="PATCH")

    with pytest.raises(CdpUpstreamError):
        order_update(
            actor=cs_user, order_ref=order["ref"], changes={"price": 1}, expected_modified_at=None
        )

    intent, outcome = AuditEntry.objects.order_by("id")
    assert intent.phase == "intent" and intent.request_payload["price"] == 1
    assert outcome.intent_id == intent.pk
    assert (outcome.outcome, outcome.cdp_status) == ("failure", 500)
    assert outcome.error_message


def test_no_request_reaches_cdp_when_the_audit_database_is_unreachable(
    transactional_db: None, sandbox: SandboxServer, cs_user: object
) -> None:
    order = seed_order(sandbox)
    sandbox.clear_log()
    connection = connections["default"]
    real_port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = "1"  # nothing listens there: every query fails
    try:
        with pytest.raises(AuditUnavailable, match="nothing was sent to CDP"):
            order_update(
                actor=cs_user,
                order_ref=order["ref"],
                changes={"price": 1},
                expected_modified_at=None,
            )
    finally:
        connection.close()
        connection.settings_dict["PORT"] = real_port

    assert mutations(sandbox) == []
    assert AuditEntry.objects.count() == 0


def test_every_service_write_is_preceded_by_its_intent_row(
    db: None, sandbox: SandboxServer, cs_user: object
) -> None:
    seeded = seed_full_order(sandbox)
    order_ref, item_ref = seeded["order"]["ref"], seeded["item"]["ref"]
    sandbox.clear_log()
    user = {"actor": cs_user}

    new = order_create(
        **user,
        body={
            "referenceId": "X-1",
            "orderedAt": "2026-02-02T10:00:00Z",
            "currencyCode": "EUR",
            "price": 3,
        },
    ).value
    order_update(**user, order_ref=new.ref, changes={"price": 4}, expected_modified_at=None)
    order_replace(
        **user,
        order_ref=new.ref,
        expected_modified_at=None,
        body={
            "referenceId": "X-1",
            "orderedAt": "2026-02-02T10:00:00Z",
            "currencyCode": "EUR",
            "price": 5,
        },
    )
    item = order_item_create(
        **user,
        order_ref=order_ref,
        body={
            "name": "Seat",
            "type": "SEAT",
            "status": "CONFIRMED",
            "price": 9,
            "currencyCode": "EUR",
        },
    ).value
    order_item_update(
        **user,
        order_ref=order_ref,
        item_ref=item.ref,
        changes={"price": 10},
        expected_modified_at=None,
    )
    contact_update(
        **user,
        order_ref=order_ref,
        contact_ref=seeded["contact"]["ref"],
        changes={"city": "Cork"},
        expected_modified_at=None,
    )
    consumer_update(
        **user,
        order_ref=order_ref,
        consumer_ref=seeded["consumer"]["ref"],
        changes={"title": "Dr"},
        expected_modified_at=None,
    )
    order_extension_set(**user, order_ref=order_ref, pairs={"loyaltyTier": 3})
    order_extension_delete_keys(**user, order_ref=order_ref, keys=["storeLocation"])
    order_item_extension_set(**user, order_ref=order_ref, item_ref=item_ref, pairs={"seatRow": 12})
    order_item_extension_replace(
        **user, order_ref=order_ref, item_ref=item_ref, pairs={"seatRow": 14}
    )
    order_item_delete(**user, order_ref=order_ref, item_ref=item.ref)
    consumer_delete(**user, order_ref=order_ref, consumer_ref=seeded["consumer"]["ref"])
    contact_delete(**user, order_ref=order_ref, contact_ref=seeded["contact"]["ref"])
    order_delete(**user, order_ref=new.ref)

    writes = mutations(sandbox)
    intents = list(AuditEntry.objects.filter(phase="intent").order_by("id"))
    assert len(writes) == len(intents) == 15
    for request, intent in zip(writes, intents, strict=True):
        assert request.method == intent.method
        assert request.path == intent.cdp_path.split("?")[0]
        assert intent.at.timestamp() <= request.at
        assert intent.outcomes.get().outcome == "success"


MUTATING_CLIENT_METHOD = re.compile(
    r"^order(_item|_contact|_consumer)?(_extension)?_(create|replace|patch|delete|delete_fields)$"
)


def test_no_code_outside_the_services_calls_a_mutating_client_method() -> None:
    root = Path(settings.BASE_DIR)
    offenders = []
    for path in [*root.glob("orders/**/*.py"), *root.glob("cdpadmin/**/*.py")]:
        relative = path.relative_to(root).as_posix()
        if relative.startswith(("orders/cdp/", "orders/sandbox/", "orders/services/")):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Attribute):
                continue
            # `services.order_create` and the view `orders.order_create` are named after the
            # change they make; neither is the client's method.
            if isinstance(node.value, ast.Name) and node.value.id in {"services", "orders"}:
                continue
            if MUTATING_CLIENT_METHOD.match(node.attr):
                offenders.append(f"{relative}:{node.lineno} {node.attr}")
    assert offenders == []


def test_services_reach_mutating_client_methods_only_through_the_audited_path() -> None:
    """Each service handing a client write on does so to `audited_call` or its helpers."""
    root = Path(settings.BASE_DIR) / "orders" / "services"
    audited_paths = ("audited_call(", "_change(", "_create(", "_Extension(")
    checked = 0
    for path in root.glob("*.py"):
        tree = ast.parse(path.read_text())
        for function in tree.body:
            if not isinstance(function, ast.FunctionDef):
                continue
            writes = [
                node
                for node in ast.walk(function)
                if isinstance(node, ast.Attribute) and MUTATING_CLIENT_METHOD.match(node.attr)
            ]
            if writes:
                checked += 1
                source = ast.unparse(function)
                assert any(p in source for p in audited_paths), f"{path.name}:{function.name}"
    # 16 resource services and the two extension bindings.
    assert checked >= 18


def test_no_code_outside_the_client_names_a_cdp_path() -> None:
    root = Path(settings.BASE_DIR)
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for path in [*root.glob("orders/**/*.py"), *root.glob("cdpadmin/**/*.py")]
        if not path.relative_to(root).as_posix().startswith(("orders/cdp/", "orders/sandbox/"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if re.search(r"[\"'f]/v2(\.1)?/", line)
    ]
    assert offenders == []
