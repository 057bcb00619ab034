"""The audited write path: the only way cdpadmin changes data in CDP.

`audited_call` writes an intent row (committed) just before the client sends the write, then
an outcome row with CDP's answer. Both record the call as the client reports it
(`orders.cdp.watch_writes`): method, path with query and body as sent, never worked out again
here. If the intent row cannot be written, the call is not sent. The call is never wrapped in
one transaction with the audit rows: a rollback after CDP accepted a change would lose the
record of it.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import DatabaseError, connection

from orders.audit import append_entry
from orders.cdp import CdpCall, CdpError, watch_writes
from orders.cdp.vocabulary import to_cdp_json
from orders.models import AuditEntry

logger = logging.getLogger(__name__)

T = TypeVar("T")
Actor = AbstractBaseUser | AnonymousUser | None


class ServiceError(Exception):
    """A change was refused before it reached CDP. `message` is a sentence for staff."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AuditUnavailable(ServiceError):
    def __init__(self) -> None:
        super().__init__(
            "The audit trail could not be written, so nothing was sent to CDP. "
            "Try again in a moment; if it keeps happening, tell an administrator."
        )


class OutcomeUnrecorded(ServiceError):
    """CDP answered, but its answer could not be written to the audit trail, even on retry."""

    def __init__(self, *, accepted: bool) -> None:
        answered = "CDP accepted the change" if accepted else "CDP refused the change"
        super().__init__(
            f"{answered}, but the audit trail could not record its answer. "
            "Check the order in CDP before trying again, and tell an administrator."
        )
        self.accepted = accepted


# Waits between attempts at writing an outcome row (a locked table or a dropped connection).
OUTCOME_RETRY_DELAYS = (0.1, 0.5, 2.0)


@dataclass(frozen=True)
class Audited(Generic[T]):
    """What CDP answered to an audited change, the intent row that records it, and the
    action its outcome row records (a create CDP merged is `orders.order.merge`)."""

    value: T
    entry: AuditEntry
    action: str = ""


def snapshot(value: Any) -> Any:
    """The JSON form of a CDP record (or of plain data) for the audit trail."""
    if value is None:
        return None
    to_api = getattr(value, "to_api", None)
    if callable(to_api):
        return to_cdp_json(to_api())
    return to_cdp_json(value)


def _actor_fields(actor: Actor) -> dict[str, Any]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return {"actor": None, "actor_username": ""}
    return {"actor": actor, "actor_username": actor.get_username()}


@dataclass(frozen=True)
class Change:
    """Describes one change for the audit trail; the client reports the call itself."""

    action: str
    resource_type: str
    resource_ref: str = ""
    order_ref: str = ""
    before: Any = None
    job_id: str = ""
    reverts: AuditEntry | None = None


class NothingSent(RuntimeError):
    """An audited change ended without sending a write, or sent more than one."""


def audited_call(
    change: Change,
    call: Callable[[], T],
    *,
    actor: Actor,
    after: Callable[[T], Any] = snapshot,
    resource_ref_of: Callable[[T], str] | None = None,
    order_ref_of: Callable[[T], str] | None = None,
    action_of: Callable[[T], str] | None = None,
) -> Audited[T]:
    """Record the intent, make the CDP call, record the outcome; return CDP's answer.

    `call` must send exactly one write. Raises `AuditUnavailable` (nothing sent) when the
    intent row cannot be written, and re-raises whatever the call raised after recording it
    as a failed outcome. A call refused locally, before anything was sent, leaves no rows.
    When CDP answered but the outcome row cannot be written even after retries, raises
    `OutcomeUnrecorded`: the caller must not report the change as done.
    The outcome row may name what CDP's answer showed the change to be (`action_of`: a
    create that CDP merged into an existing order is a merge).
    """
    common = {
        **_actor_fields(actor),
        "action": change.action,
        "resource_type": change.resource_type,
        "job_id": change.job_id,
        "request_id": uuid.uuid4().hex,
    }
    intents: list[AuditEntry] = []

    def record_intent(planned: CdpCall) -> None:
        if intents:
            raise NothingSent(f"{change.action} tried to send a second write.")
        try:
            intents.append(
                append_entry(
                    **common,
                    phase=AuditEntry.Phase.INTENT,
                    order_ref=change.order_ref,
                    resource_ref=change.resource_ref,
                    method=planned.method,
                    cdp_path=planned.path,
                    request_payload=planned.body,
                    before=snapshot(change.before),
                    reverts=change.reverts,
                )
            )
        except DatabaseError as exc:
            logger.error(
                "Audit intent not written; %s %s not sent to CDP", planned.method, planned.path
            )
            raise AuditUnavailable() from exc

    def record_outcome(sent: CdpCall | None, **fields: Any) -> None:
        if sent is None or not intents:
            return
        intent = intents[0]
        fields.setdefault("order_ref", change.order_ref)
        row = {
            **common,
            "phase": AuditEntry.Phase.OUTCOME,
            "intent": intent,
            "method": sent.method,
            "cdp_path": sent.path,
            "request_payload": sent.body,
            "cdp_status": sent.status,
            **fields,
        }
        for delay in (*OUTCOME_RETRY_DELAYS, None):
            try:
                append_entry(**row)
                return
            except DatabaseError:
                logger.exception("Audit outcome for entry %s not written", intent.pk)
            if delay is None:
                # The intent row stands; the trail shows this change's outcome as unknown.
                raise OutcomeUnrecorded(accepted=fields["outcome"] == AuditEntry.Outcome.SUCCESS)
            time.sleep(delay)
            if not connection.in_atomic_block:
                connection.close_if_unusable_or_obsolete()
            # The row may have been committed before the error reached us.
            with contextlib.suppress(DatabaseError):
                if intent.outcomes.filter(phase=AuditEntry.Phase.OUTCOME).exists():
                    return

    with watch_writes(record_intent) as watch:
        try:
            result = call()
        except AuditUnavailable:
            raise
        except CdpError as exc:
            record_outcome(
                watch.last,
                resource_ref=change.resource_ref,
                outcome=AuditEntry.Outcome.FAILURE,
                error_message=exc.message,
            )
            raise
        except Exception as exc:
            record_outcome(
                watch.last,
                resource_ref=change.resource_ref,
                outcome=AuditEntry.Outcome.FAILURE,
                error_message=f"{type(exc).__name__}: {exc}",
            )
            raise
    if not intents:
        raise NothingSent(f"{change.action} finished without sending a write.")
    if action_of is not None:
        common["action"] = action_of(result)
    record_outcome(
        watch.last,
        resource_ref=resource_ref_of(result) if resource_ref_of else change.resource_ref,
        order_ref=order_ref_of(result) if order_ref_of else change.order_ref,
        outcome=AuditEntry.Outcome.SUCCESS,
        after=after(result),
    )
    return Audited(result, intents[0], str(common["action"]))


# The first key of cdpadmin's two-key advisory locks (a key space apart from one-key locks).
LOCK_NAMESPACE = 0xCD9


class ResourceBusy(ServiceError):
    def __init__(self) -> None:
        super().__init__(
            "Someone else is saving this right now, so nothing was sent to CDP. "
            "Reload the page in a moment to see their change, then try again."
        )


@contextmanager
def resource_lock(resource: str) -> Iterator[None]:
    """Hold a PostgreSQL advisory lock on `resource` (e.g. "order:<ref>") for the block.

    The services re-read a resource, compare it with what the user saw, then write. Two
    requests doing that at once can both pass the comparison before either writes, and the
    second silently overwrites the first. The lock makes read-check-write one step for every
    web process and worker sharing the database. Waits at most about three CDP timeouts
    (the longest a holder can take), then raises `ResourceBusy`.
    """
    deadline = time.monotonic() + max(10.0, 3 * settings.CDP_TIMEOUT)
    try:
        with connection.cursor() as cursor:
            while True:
                cursor.execute(
                    "SELECT pg_try_advisory_lock(%s, hashtext(%s))", [LOCK_NAMESPACE, resource]
                )
                if cursor.fetchone()[0]:
                    break
                if time.monotonic() > deadline:
                    raise ResourceBusy()
                time.sleep(0.05)
    except DatabaseError as exc:
        raise AuditUnavailable() from exc
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_unlock(%s, hashtext(%s))", [LOCK_NAMESPACE, resource]
                )
        except DatabaseError:
            # A broken connection ends its session, and PostgreSQL releases the lock with it.
            logger.exception("Advisory lock on %s not released", resource)
