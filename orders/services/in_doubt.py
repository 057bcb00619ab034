"""Changes in doubt: a write CDP may have applied although the app never heard it succeed.

After a timeout, a dropped connection, a 5xx or an unreadable success answer to a write, the
app cannot know whether CDP applied it. Sending the same create again could make a second,
identical child. So before a child create is sent, `child_create_resolve` looks for what an
earlier attempt in doubt may have made: a child of that order with the same fields, created
after that attempt's intent row. If it finds one, it records the outcome on that intent ("CDP
had applied it") and the caller creates nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone

from orders.audit import append_entry
from orders.cdp import CdpError, get_client
from orders.cdp.errors import NOTHING_CHANGED
from orders.cdp.parsing import parse_datetime
from orders.cdp.vocabulary import to_cdp_json
from orders.models import AuditEntry
from orders.services.audited import Actor, Audited, snapshot

# How far back an attempt in doubt is still looked for: past this, a resubmission is taken
# for a deliberate new create.
LOOKBACK = timedelta(hours=24)
# CDP's clock and the database's may disagree; a child stamped this much before the intent
# row still counts as made by it.
CLOCK_SKEW = timedelta(minutes=2)
MAX_CHILDREN_SCANNED = 500
# The kinds of child an order has, each listed by its own client method (see `_children`).
CHILD_LISTS = frozenset({"order_item", "contact", "consumer"})


def maybe_applied(outcome: AuditEntry) -> bool:
    """Whether a failed outcome leaves it open that CDP applied the write.

    No answer after the request went out (timeout, dropped connection), a 5xx, or a success
    status with an unreadable body. A refusal (4xx) or a connection that never opened
    (`NOTHING_CHANGED` in the sentence) changed nothing.
    """
    if outcome.outcome != AuditEntry.Outcome.FAILURE:
        return False
    status = outcome.cdp_status
    if status is None:
        return NOTHING_CHANGED not in outcome.error_message
    return 200 <= status < 300 or status >= 500


def _in_doubt(intent: AuditEntry) -> bool:
    outcomes = list(intent.outcomes.all())
    if any(o.outcome == AuditEntry.Outcome.SUCCESS for o in outcomes):
        return False
    return not outcomes or any(maybe_applied(o) for o in outcomes)


def create_in_doubt(*, resource_type: str, order_ref: str, payload: Any) -> AuditEntry | None:
    """The latest intent to create this same child whose outcome is in doubt, if any.

    Only the latest identical attempt counts: after one that succeeded, a new create with
    the same fields is deliberate.
    """
    recent = AuditEntry.objects.filter(
        phase=AuditEntry.Phase.INTENT,
        action=f"orders.{resource_type}.create",
        order_ref=order_ref,
        at__gte=timezone.now() - LOOKBACK,
    ).order_by("-id")
    for intent in recent[:50]:
        if _same(intent.request_payload, payload):
            return intent if _in_doubt(intent) else None
    return None


def resubmit_hint(
    *, resource_type: str, label: str, order_ref: str, body: Mapping[str, Any]
) -> str:
    """What to tell someone whose child create just ended in doubt; empty when it did not."""
    if resource_type not in CHILD_LISTS or not order_ref:
        return ""
    payload = to_cdp_json(body)
    if create_in_doubt(resource_type=resource_type, order_ref=order_ref, payload=payload) is None:
        return ""
    return (
        f"Pressing Create again is safe: cdpadmin first looks on the order for a {label} "
        "with these fields made by this attempt, and creates nothing if CDP has it."
    )


def update_in_doubt(*, resource_ref: str) -> AuditEntry | None:
    """The latest change to this resource, if its outcome is in doubt."""
    latest = (
        AuditEntry.objects.filter(phase=AuditEntry.Phase.INTENT, resource_ref=resource_ref)
        .order_by("-id")
        .first()
    )
    return latest if latest is not None and _in_doubt(latest) else None


def _children(resource_type: str, order_ref: str) -> Iterator[Any]:
    client = get_client()
    if resource_type == "order_item":
        list_page: Any = client.order_items_list
    elif resource_type == "contact":
        list_page = client.order_contacts_list
    else:
        list_page = client.order_consumers_list
    offset = 0
    while offset < MAX_CHILDREN_SCANNED:
        page = list_page(order_ref, offset=offset, limit=100)
        yield from page
        if not page.has_next or page.next_offset is None:
            return
        offset = page.next_offset


def _scalar(value: Any) -> Any:
    """A value in a form that compares equal however CDP wrote it back."""
    if isinstance(value, str):
        try:
            return parse_datetime(value, "value") if "T" in value else value
        except CdpError:
            return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return Decimal(repr(value)).normalize()
        except InvalidOperation:
            return value
    return value


def _normal(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _normal(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_normal(item) for item in value]
    return _scalar(value)


def _same(a: Any, b: Any) -> bool:
    return json.dumps(_normal(a), sort_keys=True, default=str) == json.dumps(
        _normal(b), sort_keys=True, default=str
    )


def _matches(record: Any, payload: Mapping[str, Any], after: datetime) -> bool:
    """Whether `record` holds every field of `payload` it can hold, created after `after`."""
    if record.created_at is None or record.created_at < after - CLOCK_SKEW:
        return False
    held = to_cdp_json(record.to_api())
    compared = [key for key in payload if key in held]
    return bool(compared) and all(_same(held[key], payload[key]) for key in compared)


def child_create_resolve(
    *, actor: Actor, resource_type: str, label: str, order_ref: str, body: Mapping[str, Any]
) -> Audited[Any] | None:
    """What an earlier create in doubt made, recorded as that attempt's outcome; or None.

    None means: nothing in doubt, or nothing found; go on and create. Reading CDP can fail
    like any read: the `CdpError` propagates and nothing is created or recorded.
    """
    if resource_type not in CHILD_LISTS:
        return None
    payload = to_cdp_json(body)
    intent = create_in_doubt(resource_type=resource_type, order_ref=order_ref, payload=payload)
    if intent is None:
        return None
    children = _children(resource_type, order_ref)
    found = next((c for c in children if _matches(c, payload, intent.at)), None)
    if found is None:
        return None
    append_entry(
        actor=intent.actor,
        actor_username=intent.actor_username,
        action=intent.action,
        resource_type=intent.resource_type,
        order_ref=order_ref,
        method=intent.method,
        cdp_path=intent.cdp_path,
        job_id=intent.job_id,
        request_id=intent.request_id,
        phase=AuditEntry.Phase.OUTCOME,
        intent=intent,
        resource_ref=found.ref,
        outcome=AuditEntry.Outcome.SUCCESS,
        after=snapshot(found),
        error_message=(
            f"CDP had applied it: found {label} {found.ref}, created "
            f"{timezone.localtime(found.created_at):%H:%M:%S} with these fields, when "
            f"{_name(actor)} sent the same form again; nothing was sent again."
        ),
    )
    return Audited(found, intent)


def _name(actor: Actor) -> str:
    username = actor.get_username() if actor is not None and actor.is_authenticated else ""
    return username or "someone"
