"""A desk full of data for the page-by-page browser checks (layout, accessibility, screenshots)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import User

from orders.models import AuditEntry, BulkJob
from orders.sandbox.server import SandboxServer
from orders.services import order_update
from orders.services.bulk import bulk_job_create, bulk_job_run
from orders.services.notes import note_add
from tests.factories import seed_full_order, seed_order

BULK_INPUTS = [*(f"BULK-{n}" for n in range(12)), "TWIN", "NOPE-1"]


@dataclass
class Desk:
    order_ref: str
    item_ref: str
    job: BulkJob
    pages: dict[str, str] = field(default_factory=dict)


def seed_desk(
    sandbox: SandboxServer, *, cs_user: User, marketing_user: User, hostile: bool = True
) -> Desk:
    """An order with every part, a note, bulk-taggable orders, a finished job, audit entries."""
    name = 'DUB-JFK Flight <img src=x onerror="alert(1)">' if hostile else "DUB-JFK Flight"
    seeded = seed_full_order(sandbox, referenceId="DESK-1")
    order_ref, item_ref = seeded["order"]["ref"], seeded["item"]["ref"]
    sandbox.state.update_item(item_ref, {"name": name}, partial=True)
    contact_ref, consumer_ref = seeded["contact"]["ref"], seeded["consumer"]["ref"]
    refs = [seed_order(sandbox, referenceId=f"BULK-{n}")["ref"] for n in range(12)]
    for n in range(3):
        seed_order(sandbox, referenceId="TWIN", orderedAt=f"2026-0{n + 1}-01T10:00:00Z")
    sandbox.state.put_order_extension(refs[0], {"campaign": "spring26"})
    sandbox.state.put_order_extension(refs[1], {"campaign": "winter"})
    note = note_add(author=cs_user, order_ref=order_ref, text="Called the guest back.")
    order_update(
        actor=cs_user, order_ref=order_ref, changes={"price": 99}, expected_modified_at=None
    )
    job = bulk_job_create(
        actor=marketing_user,
        set_pairs={"campaign": "spring26"},
        remove_keys=[],
        targets=[*((r, r) for r in refs), ("NOPE-1", "")],
        enqueue=False,
    )
    bulk_job_run(job_id=str(job.id))
    job_entry = AuditEntry.objects.filter(job_id=str(job.id)).order_by("id").first()
    price_entry = AuditEntry.objects.filter(order_ref=order_ref).order_by("id").first()
    o = f"/orders/{order_ref}"
    pages = {
        "home": "/",
        "search": "/orders/?q=DESK-1",
        "lookup": "/orders/lookup/",
        "order": f"{o}/",
        "order-new": "/orders/new/",
        "order-edit": f"{o}/edit/",
        "order-delete": f"{o}/delete/",
        "item-new": f"{o}/items/new/",
        "item-edit": f"{o}/items/{item_ref}/edit/",
        "item-delete": f"{o}/items/{item_ref}/delete/",
        "contact-edit": f"{o}/contacts/{contact_ref}/edit/",
        "consumer-edit": f"{o}/consumers/{consumer_ref}/edit/",
        "note-edit": f"{o}/notes/{note.pk}/edit/",
        "ext-replace": f"{o}/ext/replace/",
        "bulk-new": "/bulk/",
        "bulk-jobs": "/bulk/jobs/",
        "bulk-job": f"/bulk/{job.id}/",
        "bulk-revert": f"/bulk/{job.id}/revert/",
        "audit": "/audit/",
        "audit-activity": "/audit/activity/",
        "audit-detail": f"/audit/{price_entry.pk}/",
        "audit-job-entry": f"/audit/{job_entry.pk}/",
        "audit-key-history": "/audit/keys/campaign/",
        "guest": f"/guests/{seeded['contact']['guest']['href'].rsplit('/', 1)[1]}/",
    }
    return Desk(order_ref, item_ref, job, pages)
