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
    CONSUMER,
    CONTACT,
    ORDER,
    ORDER_EXTENSION,
    ORDER_ITEM,
    ORDER_ITEM_EXTENSION,
    AuditUnavailable,
    extension_delete_keys,
    extension_replace,
    extension_set_pairs,
    order_update,
    resource_create,
    resource_delete,
    resource_update,
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

    new = resource_create(
        ORDER,
        **user,
        body={
            "referenceId": "X-1",
            "orderedAt": "2026-02-02T10:00:00Z",
            "currencyCode": "EUR",
            "price": 3,
        },
    ).value
    resource_update(ORDER, **user, ref=new.ref, changes={"price": 4}, expected_modified_at=None)
    resource_update(
        ORDER,
        **user,
        ref=new.ref,
        replace=True,
        expected_modified_at=None,
        changes={
            "referenceId": "X-1",
            "orderedAt": "2026-02-02T10:00:00Z",
            "currencyCode": "EUR",
            "price": 5,
        },
    )
    item = resource_create(
        ORDER_ITEM,
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
    resource_update(
        ORDER_ITEM, **user, ref=item.ref, changes={"price": 10}, expected_modified_at=None
    )
    resource_update(
        CONTACT,
        **user,
        ref=seeded["contact"]["ref"],
        changes={"city": "Cork"},
        expected_modified_at=None,
    )
    resource_update(
        CONSUMER,
        **user,
        ref=seeded["consumer"]["ref"],
        changes={"title": "Dr"},
        expected_modified_at=None,
    )
    extension_set_pairs(
        ORDER_EXTENSION, **user, parent_ref=order_ref, order_ref=order_ref, pairs={"loyaltyTier": 3}
    )
    extension_delete_keys(
        ORDER_EXTENSION, **user, parent_ref=order_ref, order_ref=order_ref, keys=["storeLocation"]
    )
    extension_set_pairs(
        ORDER_ITEM_EXTENSION,
        **user,
        parent_ref=item_ref,
        order_ref=order_ref,
        pairs={"seatRow": 12},
    )
    extension_replace(
        ORDER_ITEM_EXTENSION,
        **user,
        parent_ref=item_ref,
        order_ref=order_ref,
        pairs={"seatRow": 14},
    )
    resource_delete(ORDER_ITEM, **user, ref=item.ref, order_ref=order_ref)
    resource_delete(CONSUMER, **user, ref=seeded["consumer"]["ref"], order_ref=order_ref)
    resource_delete(CONTACT, **user, ref=seeded["contact"]["ref"], order_ref=order_ref)
    resource_delete(ORDER, **user, ref=new.ref)

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
            name = node.attr if isinstance(node, ast.Attribute) else None
            if name and MUTATING_CLIENT_METHOD.match(name):
                offenders.append(f"{relative}:{node.lineno} {name}")
    assert offenders == []


def test_services_reach_mutating_client_methods_only_inside_audited_calls() -> None:
    root = Path(settings.BASE_DIR) / "orders" / "services"
    checked = 0
    for path in root.glob("*.py"):
        tree = ast.parse(path.read_text())
        for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
            source = ast.unparse(function)
            fetches_writer = (
                re.search(
                    r"_client_call\([^)]*, '(create|replace|patch|delete|delete_fields)'\)", source
                )
                or "'patch' if" in source
                or "'replace' if" in source
            )
            if fetches_writer:
                checked += 1
                assert "audited_call(" in source, f"{path.name}:{function.name}"
    # resource_create/update/delete and the three extension writers fetch a writer.
    assert checked >= 6
