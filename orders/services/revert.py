"""Reverting a recorded change: put back the "before" values, if nobody changed them since.

CDP is re-read first. Only when every changed field (or key) still holds the value the
change left does the revert go ahead, as a new audited change whose entries point at the
reverted one (`reverts`). History is never edited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from orders.cdp import CdpError, get_client
from orders.cdp.paths import field_names_of
from orders.cdp.vocabulary import to_cdp_json
from orders.models import AuditEntry, BulkJob
from orders.selectors.orders import order_extension_pairs, order_item_extension_pairs
from orders.services.audited import Actor, Audited, ServiceError
from orders.services.extensions import (
    SCOPES,
    order_extension_delete_keys,
    order_extension_set,
    order_item_extension_delete_keys,
    order_item_extension_set,
    same_value,
)
from orders.services.resources import (
    RESOURCE_LABELS,
    Record,
    consumer_update,
    contact_update,
    order_item_update,
    order_update,
)

UPDATE_OPERATIONS = ("patch", "replace")
EXTENSION_OPERATIONS = ("set", "delete_keys")
_STAMPS = frozenset({"ref", "href", "createdAt", "modifiedAt"})


@dataclass(frozen=True)
class RevertRow:
    """One field or key: the recorded before and after, and CDP's value now."""

    name: str
    before: Any
    after: Any
    now: Any
    before_present: bool
    after_present: bool
    now_present: bool

    @property
    def unchanged_since(self) -> bool:
        return self.now_present == self.after_present and same_value(self.now, self.after)


@dataclass(frozen=True)
class RevertPlan:
    """What a revert would do, after re-reading CDP; `possible` when nothing changed since."""

    entry: AuditEntry
    outcome: AuditEntry
    rows: list[RevertRow] = field(default_factory=list)
    current: Any = None

    @property
    def possible(self) -> bool:
        return bool(self.rows) and all(row.unchanged_since for row in self.rows)

    @property
    def changed_since(self) -> list[str]:
        return [row.name for row in self.rows if not row.unchanged_since]


class NotRevertable(ServiceError):
    """The entry is not a change cdpadmin can undo (a create, a delete, a failure…)."""


class RevertRefused(ServiceError):
    """CDP's value changed after the recorded change; nothing was written."""

    def __init__(self, plan: RevertPlan) -> None:
        names = ", ".join(f"“{name}”" for name in plan.changed_since)
        super().__init__(
            f"Not reverted: {names} changed in CDP after this entry. "
            "Compare before, after and now below; make the change by hand if it is still needed."
        )
        self.plan = plan


def _operation(entry: AuditEntry) -> str:
    return entry.action.rsplit(".", 1)[-1]


def is_revertable(entry: AuditEntry) -> bool:
    """Whether `entry` is an intent of a kind a revert can undo (before CDP is asked)."""
    if entry.phase != AuditEntry.Phase.INTENT:
        return False
    if entry.resource_type in RESOURCE_LABELS:
        return _operation(entry) in UPDATE_OPERATIONS
    return entry.resource_type in SCOPES and _operation(entry) in EXTENSION_OPERATIONS


def _success_outcome(entry: AuditEntry) -> AuditEntry:
    if not is_revertable(entry):
        raise NotRevertable(
            "Only a change to an order, item, contact or consumer, or a set or removal of "
            "extension keys, can be reverted."
        )
    outcome = entry.outcomes.filter(outcome=AuditEntry.Outcome.SUCCESS).order_by("id").first()
    if outcome is None:
        raise NotRevertable("CDP did not accept this change, so there is nothing to revert.")
    return outcome


def _row(
    name: str, before: dict[str, Any], after: dict[str, Any], now: dict[str, Any]
) -> RevertRow:
    return RevertRow(
        name,
        before.get(name),
        after.get(name),
        now.get(name),
        name in before,
        name in after,
        name in now,
    )


def revert_plan(*, entry: AuditEntry) -> RevertPlan:
    """Re-read CDP and compare it with what `entry` recorded. Raises `NotRevertable`, `CdpError`."""
    outcome = _success_outcome(entry)
    before = entry.before if isinstance(entry.before, dict) else {}
    after = outcome.after if isinstance(outcome.after, dict) else {}
    if entry.resource_type in RESOURCE_LABELS:
        record = _read(entry.resource_type, entry.resource_ref)
        now = to_cdp_json(record.to_api())
        names = [
            name
            for name in sorted(before.keys() | after.keys())
            if name not in _STAMPS
            and (
                (name in before) != (name in after)
                or not same_value(before.get(name), after.get(name))
            )
        ]
        return RevertPlan(entry, outcome, [_row(n, before, after, now) for n in names], record)
    if entry.resource_type == "order_item_extension":
        now = order_item_extension_pairs(entry.resource_ref) or {}
    else:
        now = order_extension_pairs(entry.resource_ref) or {}
    payload = entry.request_payload if isinstance(entry.request_payload, dict) else {}
    keys = list(payload) if _operation(entry) == "set" else field_names_of(entry.cdp_path)
    return RevertPlan(entry, outcome, [_row(key, before, after, now) for key in keys], now)


def revert_entry(*, actor: Actor, entry: AuditEntry, job_id: str = "") -> list[Audited[Any]]:
    """Apply `entry`'s before values as new audited changes that point at it.

    Raises `NotRevertable`, `RevertRefused` (with the plan, to show before/after/now), and
    whatever the services raise (`ServiceError`, `CdpError`).
    """
    plan = revert_plan(entry=entry)
    if not plan.possible:
        raise RevertRefused(plan)
    if entry.resource_type in RESOURCE_LABELS:
        changes = {row.name: row.before for row in plan.rows}
        # CDP's modifiedAt as just checked: a change in between is refused, not lost.
        return [_update(actor, entry, changes, plan.current.modified_at, job_id)]
    expected = {row.name: (row.after if row.after_present else None) for row in plan.rows}
    to_set = {row.name: row.before for row in plan.rows if row.before_present}
    to_delete = [row.name for row in plan.rows if not row.before_present and row.after_present]
    done: list[Audited[Any]] = []
    order_ref, parent_ref = entry.order_ref, entry.resource_ref
    item = entry.resource_type == "order_item_extension"
    if to_set and item:
        done.append(
            order_item_extension_set(
                actor=actor,
                order_ref=order_ref,
                item_ref=parent_ref,
                pairs=to_set,
                expected=expected,
                job_id=job_id,
                reverts=entry,
            )
        )
    elif to_set:
        done.append(
            order_extension_set(
                actor=actor,
                order_ref=parent_ref,
                pairs=to_set,
                expected=expected,
                job_id=job_id,
                reverts=entry,
            )
        )
    if to_delete and item:
        done.append(
            order_item_extension_delete_keys(
                actor=actor,
                order_ref=order_ref,
                item_ref=parent_ref,
                keys=to_delete,
                job_id=job_id,
                reverts=entry,
            )
        )
    elif to_delete:
        done.append(
            order_extension_delete_keys(
                actor=actor, order_ref=parent_ref, keys=to_delete, job_id=job_id, reverts=entry
            )
        )
    return done


def _read(resource_type: str, ref: str) -> Record:
    client = get_client()
    if resource_type == "order":
        return client.order_get(ref)
    if resource_type == "order_item":
        return client.order_item_get(ref)
    if resource_type == "contact":
        return client.order_contact_get(ref)
    return client.order_consumer_get(ref)


def _update(
    actor: Actor, entry: AuditEntry, changes: dict[str, Any], seen: Any, job_id: str
) -> Audited[Any]:
    ref, order_ref = entry.resource_ref, entry.order_ref
    if entry.resource_type == "order":
        return order_update(
            actor=actor,
            order_ref=ref,
            changes=changes,
            expected_modified_at=seen,
            job_id=job_id,
            reverts=entry,
        )
    if entry.resource_type == "order_item":
        return order_item_update(
            actor=actor,
            order_ref=order_ref,
            item_ref=ref,
            changes=changes,
            expected_modified_at=seen,
            job_id=job_id,
            reverts=entry,
        )
    if entry.resource_type == "contact":
        return contact_update(
            actor=actor,
            order_ref=order_ref,
            contact_ref=ref,
            changes=changes,
            expected_modified_at=seen,
            job_id=job_id,
            reverts=entry,
        )
    return consumer_update(
        actor=actor,
        order_ref=order_ref,
        consumer_ref=ref,
        changes=changes,
        expected_modified_at=seen,
        job_id=job_id,
        reverts=entry,
    )


@dataclass
class BulkRevertResult:
    """What `revert_bulk_job` did, entry by entry."""

    reverted: list[AuditEntry] = field(default_factory=list)
    refused: list[tuple[AuditEntry, str]] = field(default_factory=list)
    failed: list[tuple[AuditEntry, str]] = field(default_factory=list)


def revert_bulk_job(
    *, actor: Actor, job: BulkJob, as_job: BulkJob | None = None
) -> BulkRevertResult:
    """Revert every successful change of a bulk job, newest first; refuse per order as needed.

    Entries whose values changed since are refused and reported, never forced. `as_job` (a
    job created to run this revert) tags the new entries with its id.
    """
    result = BulkRevertResult()
    intents = AuditEntry.objects.filter(
        job_id=str(job.id),
        phase=AuditEntry.Phase.INTENT,
        outcomes__outcome=AuditEntry.Outcome.SUCCESS,
    ).order_by("-id")
    for entry in intents.iterator(chunk_size=200):
        if not is_revertable(entry):
            continue
        try:
            revert_entry(actor=actor, entry=entry, job_id=str(as_job.id) if as_job else "")
        except ServiceError as exc:
            result.refused.append((entry, exc.message))
        except CdpError as exc:
            result.failed.append((entry, exc.message))
        else:
            result.reverted.append(entry)
    return result
