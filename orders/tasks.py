"""Background tasks (django-tasks, database backend; run by `manage.py db_worker`).

Tasks stay thin: they load the job and call the same services the pages use.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django_tasks import task

from orders.services.bulk import bulk_job_run, bulk_revert_run
from orders.services.verification import record_verification


@task()
def run_bulk_job(job_id: str) -> dict[str, int]:
    """Process a bulk tagging job's pending orders (resumable; safe to run twice)."""
    return bulk_job_run(job_id=job_id)


@task()
def revert_bulk_job_task(job_id: str) -> dict[str, int]:
    """Undo a finished bulk job, order by order, refusing orders changed since."""
    return bulk_revert_run(job_id=job_id)


@task()
def verify_audit_chain(actor_id: int | None) -> bool:
    """Walk the whole audit chain (about 40 s per million rows) and store the result."""
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    return record_verification(actor=actor).ok
