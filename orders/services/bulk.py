"""Bulk tagging: set and remove data-extension pairs on many orders, as a resumable job.

A job is a `BulkJob` plus one `BulkJobOrder` row per input (the preview that comes before
is `bulk_preview.py`). The worker processes pending rows with a few threads, saving each
row's state as soon as its order is done, so a worker that is killed resumes exactly where it
stopped. Before writing, each order is re-read: an order already in the target state is
skipped, which is also what makes a re-run (or a resume after a write whose row was not yet
saved) harmless. That read is handed to the write, so a changed order costs two requests. A
429 pauses every thread for as long as CDP asks, and the order is retried; rate limiting
never fails an order.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import close_old_connections, connection, connections, transaction
from django.db.models import Count, Q
from django.utils import timezone

from orders.cdp import CdpError, CdpNotFound, get_client
from orders.cdp.pacing import Pacer
from orders.charts import job_bar
from orders.models import AuditEntry, BulkJob, BulkJobOrder
from orders.selectors.orders import order_extension_pairs
from orders.services.audited import OutcomeUnrecorded, ServiceError
from orders.services.bulk_preview import OrderPlan, plan_order
from orders.services.extensions import (
    ExtValue,
    order_extension_delete_keys,
    order_extension_set,
)

logger = logging.getLogger(__name__)

JOB_CONCURRENCY = 8  # measured: 8 reaches the rate limit at 100 ms latency; 4 used 73% of it


def _show_pause(job: BulkJob) -> Callable[[float], None]:
    """Tell the job page, and the log, how long the job waits at CDP's rate limit."""

    def show(seconds: float) -> None:
        logger.info("Bulk job %s waiting %.0f s for CDP's rate limit", job.id, seconds)
        if seconds >= SHOWN_PAUSE_S:
            until = timezone.now() + timedelta(seconds=seconds)
            BulkJob.objects.filter(pk=job.pk).update(paused_until=until)

    return show


# Shorter waits (the spacing between order starts) are not worth a line on the job page.
SHOWN_PAUSE_S = 0.5


# --- jobs ----------------------------------------------------------------------------------


def bulk_job_create(
    *,
    actor: User,
    set_pairs: Mapping[str, ExtValue],
    remove_keys: Sequence[str],
    targets: Sequence[tuple[str, str]],
    enqueue: bool = True,
) -> BulkJob:
    """Store a job and its orders (inputs not found become `not_found` rows) and queue it.

    The task row lives in the same database, so creating the job and queueing it commit
    together or not at all.
    """
    with transaction.atomic():
        job = BulkJob.objects.create(
            created_by=actor, set_pairs=dict(set_pairs), remove_keys=list(remove_keys)
        )
        BulkJobOrder.objects.bulk_create(
            BulkJobOrder(
                job=job,
                position=position,
                input_value=input_value[:255],
                order_ref=order_ref,
                state=BulkJobOrder.State.PENDING if order_ref else BulkJobOrder.State.NOT_FOUND,
                error_message="" if order_ref else "No order in CDP has this ref or referenceId.",
            )
            for position, (input_value, order_ref) in enumerate(targets)
        )
        if enqueue:
            _enqueue(job)
    return job


def _enqueue(job: BulkJob) -> None:
    from orders.tasks import run_bulk_job

    result = run_bulk_job.enqueue(job_id=str(job.id))
    BulkJob.objects.filter(pk=job.pk).update(task_result_id=str(result.id))


def _job_lock_key(job: BulkJob) -> int:
    # A signed 64-bit advisory-lock key derived from the job's UUID.
    return job.id.int % (2**63)


def _try_job_lock(job: BulkJob) -> bool:
    """Hold the job for this worker's connection; released when the connection ends."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_job_lock_key(job)])
        return bool(cursor.fetchone()[0])


def _release_job_lock(job: BulkJob) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [_job_lock_key(job)])


def _bring_to_target(job: BulkJob, row: BulkJobOrder) -> tuple[OrderPlan, AuditEntry | None]:
    """Read the order's pairs, write what differs from the target; the plan and last entry.

    The read is handed to the writes as `current`, so they do not read again. After a 429
    the whole order is redone, read included: after a pause the read is no longer fresh.
    """
    actor, order_ref, job_id = job.created_by, row.order_ref, str(job.id)
    current = order_extension_pairs(order_ref)
    plan = plan_order(current, job.set_pairs, job.remove_keys)
    entry = None
    if plan.to_set:
        written = order_extension_set(
            actor=actor, order_ref=order_ref, pairs=plan.to_set, current=current, job_id=job_id
        )
        current, entry = dict(written.value.pairs), written.entry
    if plan.to_remove:
        entry = order_extension_delete_keys(
            actor=actor, order_ref=order_ref, keys=plan.to_remove, current=current, job_id=job_id
        ).entry
    return plan, entry


def bulk_order_process(*, job: BulkJob, row: BulkJobOrder, pacer: Pacer) -> str:
    """Bring one order to the job's target state and store the row's outcome; its new state.

    Re-reads CDP first: an order already as asked is skipped, never written twice. The
    order waits at the client's gate before its read, so no intent row is written while
    the job is waiting out a 429; 429s are waited out and the order redone, read included
    (after a pause the read is no longer fresh). Any other error fails this order only.
    """
    try:
        plan, entry = pacer.call(
            lambda: _bring_to_target(job, row),
            spaced=True,
            backoff=True,
            report=_show_pause(job),
        )
        row.state = BulkJobOrder.State.SKIPPED if plan.skipped else BulkJobOrder.State.DONE
        row.before = {c.key: c.before for c in plan.changes if c.before is not None}
        row.after = {c.key: c.after for c in plan.changes if c.after is not None}
        row.audit_entry = entry
        row.error_message = ""
    except OutcomeUnrecorded as exc:
        # CDP answered, but the trail lacks its answer: not Done, and not retried blindly.
        row.state = BulkJobOrder.State.UNRESOLVED
        row.error_message = exc.message
    except CdpNotFound:
        row.state = BulkJobOrder.State.NOT_FOUND
        row.error_message = f"Order “{row.order_ref}” doesn’t exist in CDP any more."
    except (CdpError, ServiceError) as exc:
        row.state = BulkJobOrder.State.FAILED
        row.error_message = exc.message
    row.save(
        update_fields=["state", "before", "after", "audit_entry", "error_message", "updated_at"]
    )
    return row.state


def _cancel_requested(job: BulkJob) -> bool:
    return BulkJob.objects.filter(pk=job.pk, cancel_requested=True).exists()


def bulk_job_run(
    *, job_id: str, concurrency: int = JOB_CONCURRENCY, stop_after: int | None = None
) -> dict[str, int]:
    """Process the job's pending orders; return the counts. Safe to call again at any time.

    Another worker already running the job makes this call return at once. `stop_after`
    processes at most that many orders and returns with the rest pending (like a worker
    stopped mid-job).
    """
    job = BulkJob.objects.select_related("created_by").get(pk=job_id)
    if job.cancel_requested:
        _finish(job)
        return bulk_job_counts(job)
    if not _try_job_lock(job):
        return bulk_job_counts(job)
    try:
        return _run_locked(job, concurrency, stop_after)
    finally:
        _release_job_lock(job)


def _run_locked(job: BulkJob, concurrency: int, stop_after: int | None) -> dict[str, int]:
    pending = list(job.orders.filter(state=BulkJobOrder.State.PENDING).values_list("pk", flat=True))
    if stop_after is not None:
        pending = pending[:stop_after]
    BulkJob.objects.filter(pk=job.pk).update(status=BulkJob.Status.RUNNING, error_message="")
    pacer = get_client().pacer
    queue = iter(pending)
    queue_lock = threading.Lock()
    stop = threading.Event()

    def work() -> None:
        try:
            while not stop.is_set():
                with queue_lock:
                    row_pk = next(queue, None)
                if row_pk is None:
                    return
                if _cancel_requested(job):
                    stop.set()
                    return
                row = BulkJobOrder.objects.get(pk=row_pk)
                if row.state == BulkJobOrder.State.PENDING:
                    bulk_order_process(job=job, row=row, pacer=pacer)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    close_old_connections()
    _finish(job)
    return bulk_job_counts(job)


def _finish(job: BulkJob) -> None:
    job.refresh_from_db()
    left = job.orders.filter(state=BulkJobOrder.State.PENDING).exists()
    if job.cancel_requested:
        status = BulkJob.Status.CANCELLED
    elif left:
        # Stopped early (`stop_after`): waiting for the next run.
        status = BulkJob.Status.PENDING
    else:
        status = BulkJob.Status.DONE
    finished = None if status == BulkJob.Status.PENDING else timezone.now()
    BulkJob.objects.filter(pk=job.pk).update(status=status, finished_at=finished, paused_until=None)


COUNTED_STATES = ("done", "skipped", "failed", "not_found", "unresolved", "pending")


def _counts(by_state: Mapping[str, int]) -> dict[str, int]:
    total = sum(by_state.get(state, 0) for state in COUNTED_STATES)
    remaining = by_state.get("pending", 0)
    return {
        "done": by_state.get("done", 0),
        "skipped": by_state.get("skipped", 0),
        "failed": by_state.get("failed", 0),
        "not_found": by_state.get("not_found", 0),
        "unresolved": by_state.get("unresolved", 0),
        "remaining": remaining,
        "total": total,
        "finished": total - remaining,
        "percent": round(100 * (total - remaining) / total) if total else 100,
    }


def bulk_job_counts(job: BulkJob) -> dict[str, int]:
    """done, skipped, failed, not found, unresolved, remaining, total and percent."""
    return _counts(dict(job.orders.values_list("state").annotate(n=Count("pk")).order_by()))


def bulk_jobs_recent(*, limit: int = 50, before: Any = None) -> list[dict[str, Any]]:
    """The newest jobs (created before `before`, if given), each with its counts; one query."""
    jobs = BulkJob.objects.select_related("created_by").annotate(
        **{f"n_{state}": Count("orders", filter=Q(orders__state=state)) for state in COUNTED_STATES}
    )
    if before is not None:
        jobs = jobs.filter(created_at__lt=before)
    return [
        {
            "job": job,
            "counts": _counts({state: getattr(job, f"n_{state}") for state in COUNTED_STATES}),
            "finished": bulk_job_is_finished(job),
        }
        for job in jobs.order_by("-created_at")[:limit]
    ]


def bulk_job_cancel(*, job: BulkJob) -> None:
    """Ask the job to stop after the orders in flight; a job no worker has started stops now."""
    BulkJob.objects.filter(pk=job.pk).update(cancel_requested=True)
    BulkJob.objects.filter(pk=job.pk, status=BulkJob.Status.PENDING).update(
        status=BulkJob.Status.CANCELLED, finished_at=timezone.now()
    )
    job.refresh_from_db()


def bulk_job_retry_failed(*, job: BulkJob) -> int:
    """Put failed orders back to pending and queue the job again (resuming any left pending).

    Orders not found stay as they are: retrying cannot find them.
    """
    with transaction.atomic():
        count = job.orders.filter(state=BulkJobOrder.State.FAILED).update(
            state=BulkJobOrder.State.PENDING, error_message=""
        )
        BulkJob.objects.filter(pk=job.pk).update(
            status=BulkJob.Status.PENDING, cancel_requested=False, finished_at=None
        )
        _enqueue(job)
    job.refresh_from_db()
    return count


def bulk_job_is_finished(job: BulkJob) -> bool:
    return job.status in (BulkJob.Status.DONE, BulkJob.Status.CANCELLED, BulkJob.Status.FAILED)


def bulk_job_results(job: BulkJob, limit: int = 1000) -> list[BulkJobOrder]:
    return list(job.orders.order_by("position")[:limit])


def job_summary(job: BulkJob) -> dict[str, Any]:
    counts = bulk_job_counts(job)
    finished = bulk_job_is_finished(job)
    return {
        "job": job,
        "counts": counts,
        "bar": job_bar(counts),
        "finished": finished,
        "rate_limit_wait_s": None if finished else rate_limit_wait_s(job),
    }


def rate_limit_wait_s(job: BulkJob) -> int | None:
    """Whole seconds until the job resumes after CDP's rate limit, or None if not waiting."""
    if job.paused_until is None:
        return None
    left = (job.paused_until - timezone.now()).total_seconds()
    return math.ceil(left) if left > 0 else None


# --- revert ----------------------------------------------------------------------------------


def bulk_job_revert(*, actor: User, job: BulkJob) -> BulkJob:
    """Queue the undoing of `job` as a job of its own (one row per order the job changed)."""
    with transaction.atomic():
        revert = BulkJob.objects.create(created_by=actor, reverts=job)
        changed = job.orders.filter(state=BulkJobOrder.State.DONE).order_by("position")
        BulkJobOrder.objects.bulk_create(
            BulkJobOrder(
                job=revert,
                position=row.position,
                input_value=row.input_value,
                order_ref=row.order_ref,
            )
            for row in changed
        )
        from orders.tasks import revert_bulk_job_task

        result = revert_bulk_job_task.enqueue(job_id=str(revert.id))
        BulkJob.objects.filter(pk=revert.pk).update(task_result_id=str(result.id))
    return revert


def bulk_revert_run(*, job_id: str) -> dict[str, int]:
    """Run a revert job: `revert_bulk_job` checks each order against CDP before writing."""
    from orders.services.revert import revert_bulk_job

    job = BulkJob.objects.select_related("created_by", "reverts").get(pk=job_id)
    if job.reverts is None or not _try_job_lock(job):
        return bulk_job_counts(job)
    try:
        BulkJob.objects.filter(pk=job.pk).update(status=BulkJob.Status.RUNNING)
        result = revert_bulk_job(actor=job.created_by, job=job.reverts, as_job=job)
        states: dict[str, tuple[str, str]] = {}
        for entry in result.reverted:
            states.setdefault(entry.order_ref, (BulkJobOrder.State.DONE, ""))
        for entry, message in result.refused:
            states[entry.order_ref] = (BulkJobOrder.State.SKIPPED, message)
        for entry, message in result.failed:
            states[entry.order_ref] = (BulkJobOrder.State.FAILED, message)
        for row in job.orders.filter(state=BulkJobOrder.State.PENDING):
            row.state, row.error_message = states.get(
                row.order_ref, (BulkJobOrder.State.SKIPPED, "Nothing recorded to revert.")
            )
            row.save(update_fields=["state", "error_message", "updated_at"])
        _finish(job)
    finally:
        _release_job_lock(job)
    return bulk_job_counts(job)
