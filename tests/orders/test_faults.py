"""Fault injection: CDP slow, failing, rate limiting, dropping connections or sending garbage.

For every mutating action of the UI, and for the order page and search, each fault must
leave the user with a sentence saying what happened and what to do, keep what they typed,
leave the intent and the failure in the audit trail, and resend only what is safe to resend
(POST and PATCH reach CDP once; GET, PUT and DELETE may be retried).
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client

from orders.cdp.client import reset_client
from orders.models import AuditEntry, BulkJob, BulkJobOrder
from orders.sandbox.server import SandboxServer
from orders.services.bulk import bulk_job_create, bulk_job_run
from tests.factories import seed_full_order

pytestmark = pytest.mark.integration
HX = {"HTTP_HX_REQUEST": "true"}
TIMEOUT_S = 0.5


@dataclass(frozen=True)
class Fault:
    name: str
    switches: dict[str, Any]
    says: str  # what the user must read (the client's sentence for this failure)


FAULTS = [
    Fault(
        "timeout", {"status": None, "delay_s": TIMEOUT_S * 2}, "CDP did not answer in 0.5 seconds"
    ),
    Fault("http-500", {"status": 500}, "(HTTP 500)"),
    Fault("http-503", {"status": 503}, "(HTTP 503)"),
    Fault("http-429", {"status": 429, "retry_after": 30}, "too many requests"),
    Fault("connection-reset", {"drop": True}, "The connection to CDP was lost"),
    Fault(
        "unparsable-body",
        {"status": 200, "body": "<html>oops", "content_type": "text/html"},
        "an answer this application cannot read",
    ),
]


@pytest.fixture(params=FAULTS, ids=[fault.name for fault in FAULTS])
def fault(request: pytest.FixtureRequest, settings: Any) -> Fault:
    chosen: Fault = request.param
    if chosen.name == "timeout":
        settings.CDP_TIMEOUT = TIMEOUT_S
        reset_client()
    return chosen


@dataclass
class Scene:
    sandbox: SandboxServer
    clients: dict[str, Client]
    seeded: dict[str, Any]

    @property
    def order_ref(self) -> str:
        return self.seeded["order"]["ref"]


@pytest.fixture
def scene(sandbox: SandboxServer, cs_client: Client, marketing_client: Client) -> Scene:
    seeded = seed_full_order(sandbox)
    return Scene(sandbox, {"cs": cs_client, "marketing": marketing_client}, seeded)


def form_data(client: Client, url: str, **changes: str) -> dict[str, Any]:
    """The edit form as the page renders it (with its hidden initial values), then edited."""
    form = client.get(url).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data.update({f"initial-{name}": value for name, value in data.items() if name != "modifiedAt"})
    data["modifiedAt"] = form["modifiedAt"].value()
    data.update(changes)
    return {
        name: str(value) if not isinstance(value, list) else value for name, value in data.items()
    }


@dataclass(frozen=True)
class Action:
    """One mutating action of the UI, and where its write lands in CDP."""

    name: str
    role: str
    audit_action: str
    method: str
    path: Callable[[Scene], str]
    request: Callable[[Scene], tuple[str, dict[str, Any], dict[str, str]]]
    typed: tuple[str, ...] = field(default=())


def order_edit(scene: Scene) -> tuple[str, dict[str, Any], dict[str, str]]:
    url = f"/orders/{scene.order_ref}/edit/"
    return url, form_data(scene.clients["cs"], url, price="135.50", pointOfSale="typed.example"), {}


def item_create(scene: Scene) -> tuple[str, dict[str, Any], dict[str, str]]:
    data = {
        "name": "Extra bag typed",
        "type": "Baggage",
        "status": "CONFIRMED",
        "price": "35",
        "currencyCode": "EUR",
        "quantity": "1",
    }
    return f"/orders/{scene.order_ref}/items/new/", data, {}


def contact_edit(scene: Scene) -> tuple[str, dict[str, Any], dict[str, str]]:
    url = f"/orders/{scene.order_ref}/contacts/{scene.seeded['contact']['ref']}/edit/"
    return url, form_data(scene.clients["cs"], url, city="Typed City"), {}


def consumer_delete(scene: Scene) -> tuple[str, dict[str, Any], dict[str, str]]:
    return f"/orders/{scene.order_ref}/consumers/{scene.seeded['consumer']['ref']}/delete/", {}, {}


def ext_set(scene: Scene) -> tuple[str, dict[str, Any], dict[str, str]]:
    data = {"value": "typed-tier", "type": "string", "seen": "2"}
    return f"/orders/{scene.order_ref}/ext/keys/loyaltyTier/save/", data, HX


def ext_delete(scene: Scene) -> tuple[str, dict[str, Any], dict[str, str]]:
    return f"/orders/{scene.order_ref}/ext/keys/storeLocation/delete/", {"seen": '"London"'}, HX


ACTIONS = [
    Action(
        "order edit",
        "cs",
        "orders.order.patch",
        "PATCH",
        lambda s: f"/v2.1/orders/{s.order_ref}",
        order_edit,
        ("135.50", "typed.example"),
    ),
    Action(
        "item create",
        "cs",
        "orders.order_item.create",
        "POST",
        lambda s: f"/v2.1/orders/{s.order_ref}/orderItems",
        item_create,
        ("Extra bag typed",),
    ),
    Action(
        "contact edit",
        "cs",
        "orders.contact.patch",
        "PATCH",
        lambda s: f"/v2.1/orderContacts/{s.seeded['contact']['ref']}",
        contact_edit,
        ("Typed City",),
    ),
    Action(
        "consumer delete",
        "cs",
        "orders.consumer.delete",
        "DELETE",
        lambda s: f"/v2.1/orderConsumers/{s.seeded['consumer']['ref']}",
        consumer_delete,
    ),
    Action(
        "extension set",
        "marketing",
        "orders.order_extension.set",
        "PATCH",
        lambda s: f"/v2.1/orders/{s.order_ref}/extensions/ext",
        ext_set,
        ("typed-tier",),
    ),
    Action(
        "extension delete",
        "marketing",
        "orders.order_extension.delete_keys",
        "DELETE",
        lambda s: f"/v2.1/orders/{s.order_ref}/extensions/ext/fields",
        ext_delete,
    ),
]


def settle(fault: Fault) -> None:
    """Let the sandbox finish a delayed request, so its request log is complete."""
    time.sleep(fault.switches.get("delay_s") or 0)


def readable(response: Any) -> str:
    return html.unescape(response.content.decode())


@pytest.mark.parametrize("action", ACTIONS, ids=[action.name for action in ACTIONS])
def test_a_failed_write_is_explained_keeps_the_input_and_is_audited_and_never_resent_unsafely(
    scene: Scene, fault: Fault, action: Action
) -> None:
    url, data, headers = action.request(scene)
    target = action.path(scene)
    scene.sandbox.clear_log()
    scene.sandbox.inject(**fault.switches, times=10, method=action.method, path_prefix=target)

    response = scene.clients[action.role].post(url, data, **headers)

    text = readable(response)
    assert response.status_code == 200
    assert fault.says in text
    if fault.name == "unparsable-body":
        # A success status: CDP accepted the write, so the user is told to check, not retry.
        assert "probably" in text and "try again" not in text.lower()
    else:
        assert "try again" in text.lower() or "trying again" in text.lower()
    for typed in action.typed:
        assert typed in text, f"the user's input {typed!r} was lost"
    intent = AuditEntry.objects.get(phase="intent", action=action.audit_action)
    outcome = AuditEntry.objects.get(phase="outcome", intent=intent)
    assert outcome.outcome == "failure"
    assert fault.says in outcome.error_message
    settle(fault)
    sent = [r for r in scene.sandbox.request_log if r.method == action.method and r.path == target]
    if action.method in {"POST", "PATCH"} or fault.name == "timeout":
        assert len(sent) == 1, f"{action.method} sent {len(sent)} times"
    else:
        assert 1 <= len(sent) <= 3


READS = [
    ("order page", lambda s: (f"/orders/{s.order_ref}/", {}), ()),
    ("search", lambda s: ("/orders/", {"referenceId": "B94TXY-1"}), ('value="B94TXY-1"',)),
]


@pytest.mark.parametrize("read", READS, ids=[read[0] for read in READS])
def test_a_failed_read_is_explained_and_writes_nothing(
    scene: Scene, fault: Fault, read: tuple[str, Callable[[Scene], tuple[str, dict]], tuple]
) -> None:
    _, build, kept = read
    url, query = build(scene)
    scene.sandbox.clear_log()
    scene.sandbox.inject(**fault.switches, times=50, method="GET")

    response = scene.clients["cs"].get(url, query)

    settle(fault)
    text = readable(response)
    assert response.status_code in {200, 502, 503}
    assert fault.says in text
    assert "try again" in text.lower()
    for snippet in kept:
        assert snippet in response.content.decode()
    assert {r.method for r in scene.sandbox.request_log} == {"GET"}
    assert AuditEntry.objects.count() == 0


def campaign_job(actor: User, order_ref: str) -> BulkJob:
    """A bulk job, not yet queued, that sets one pair on one order."""
    return bulk_job_create(
        actor=actor,
        set_pairs={"campaign": "spring"},
        remove_keys=[],
        targets=[(order_ref, order_ref)],
        enqueue=False,
    )


@pytest.mark.parametrize(
    "fault", [f for f in FAULTS if f.name != "http-429"], ids=lambda f: f.name, indirect=True
)
def test_a_bulk_job_reports_a_failed_order_with_the_reason_and_audits_it(
    transactional_db: None, scene: Scene, fault: Fault, marketing_user: User
) -> None:
    order_ref = scene.order_ref
    target = f"/v2.1/orders/{order_ref}/extensions/ext"
    job = campaign_job(marketing_user, order_ref)
    scene.sandbox.clear_log()
    scene.sandbox.inject(**fault.switches, times=10, method="PATCH", path_prefix=target)

    bulk_job_run(job_id=str(job.id))
    settle(fault)

    row = BulkJobOrder.objects.get(job=job)
    assert row.state == "failed"
    assert fault.says in row.error_message
    page = readable(scene.clients["marketing"].get(f"/bulk/{job.id}/"))
    assert fault.says in page
    outcome = AuditEntry.objects.get(phase="outcome", job_id=str(job.id))
    assert outcome.outcome == "failure" and outcome.intent.action == "orders.order_extension.set"
    assert [r.method for r in scene.sandbox.request_log if r.path == target].count("PATCH") == 1


def test_a_bulk_job_waits_out_a_429_and_resends_only_what_cdp_refused(
    transactional_db: None, scene: Scene, marketing_user: User
) -> None:
    """A 429 means CDP did not process the PATCH, so sending it again cannot apply it twice."""
    order_ref = scene.order_ref
    target = f"/v2.1/orders/{order_ref}/extensions/ext"
    job = campaign_job(marketing_user, order_ref)
    scene.sandbox.clear_log()
    scene.sandbox.inject(status=429, retry_after=1, times=1, method="PATCH", path_prefix=target)

    bulk_job_run(job_id=str(job.id))

    patches = [r for r in scene.sandbox.request_log if r.method == "PATCH" and r.path == target]
    assert [r.status for r in patches] == [429, 200]
    assert BulkJobOrder.objects.get(job=job).state == "done"
    outcomes = AuditEntry.objects.filter(phase="outcome", job_id=str(job.id)).order_by("id")
    assert [(o.outcome, o.cdp_status) for o in outcomes] == [("failure", 429), ("success", 200)]


# --- PostgreSQL unavailable -----------------------------------------------------------------

APP_ROLE = "cdpadmin_no_audit_insert"


@pytest.mark.parametrize("action", ACTIONS, ids=[action.name for action in ACTIONS])
def test_when_the_audit_table_cannot_be_written_nothing_reaches_cdp_and_the_user_is_told(
    transactional_db: None, scene: Scene, action: Action
) -> None:
    """The audit write fails for real, at the database, while sessions and auth still work.

    The test connection switches (`SET ROLE`) to a PostgreSQL role that may do everything the
    app does except INSERT into `orders_auditentry`: exactly what the database answers when the
    audit table is locked down, out of space or otherwise refusing rows. Sessions, users and
    the rest keep working, so the request reaches the view, and the view must refuse the
    change with the `AuditUnavailable` sentence without sending anything to CDP.
    """
    url, data, headers = action.request(scene)
    scene.sandbox.clear_log()
    with connection.cursor() as cursor:
        cursor.execute(
            f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') "
            f"THEN CREATE ROLE {APP_ROLE}; END IF; END $$"
        )
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
        cursor.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}"
        )
        cursor.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}")
        cursor.execute(f"REVOKE INSERT ON orders_auditentry FROM {APP_ROLE}")
        cursor.execute(f"SET ROLE {APP_ROLE}")
    try:
        response = scene.clients[action.role].post(url, data, **headers)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")

    text = readable(response)
    assert response.status_code == 200
    assert "The audit trail could not be written, so nothing was sent to CDP." in text
    for typed in action.typed:
        assert typed in text
    assert [r for r in scene.sandbox.request_log if r.method != "GET"] == []
    assert AuditEntry.objects.count() == 0
