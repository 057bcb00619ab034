"""Background tasks (django-tasks, database backend; run by `manage.py db_worker`).

Tasks stay thin: they load the job and call the same services the pages use.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from orders.services.bulk import bulk_job_run, bulk_revert_run
from orders.services.checkpoints import checkpoint_quietly, checkpoints_enabled
from orders.services.verification import record_verification


@task()
def run_bulk_job(job_id: str) -> dict[str, int]:
    """Process a bulk tagging job's pending orders (resumable; safe to run twice)."""
    result = bulk_job_run(job_id=job_id)
    checkpoint_quietly()
    return result


@task()
def revert_bulk_job_task(job_id: str) -> dict[str, int]:
    """Undo a finished bulk job, order by order, refusing orders changed since."""
    result = bulk_revert_run(job_id=job_id)
    checkpoint_quietly()
    return result


@task()
def verify_audit_chain(actor_id: int | None) -> bool:
    """Walk the whole audit chain (about 40 s per million rows) and store the result."""
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    return record_verification(actor=actor).ok


@task()
def take_audit_checkpoint() -> bool:
    """Checkpoint the chain if it changed, then come back in AUDIT_CHECKPOINT_EVERY_S seconds."""
    try:
        return checkpoint_quietly()
    finally:
        if checkpoints_enabled():
            schedule_audit_checkpoints(delay_s=settings.AUDIT_CHECKPOINT_EVERY_S)


def schedule_audit_checkpoints(*, delay_s: float) -> bool:
    """Queue the worker's periodic checkpoint unless one is already waiting; True if queued.

    django-tasks has no periodic tasks, so the checkpoint task queues its own next run; this
    starts the cycle (`make run`, `audit_checkpoint --schedule`) and never doubles it.
    """
    waiting = DBTaskResult.objects.filter(
        task_path=take_audit_checkpoint.module_path, status=TaskResultStatus.READY
    )
    if waiting.exists():
        return False
    run_after = timezone.now() + timedelta(seconds=delay_s)
    take_audit_checkpoint.using(run_after=run_after).enqueue()
    return True
