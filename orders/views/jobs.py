"""Bulk tagging pages: compose and preview a job, run it, watch it, cancel, retry, revert."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required, user_passes_test
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling

from orders.ext_forms import BulkTagForm, PairFormSet
from orders.models import BulkJob
from orders.services.bulk import (
    bulk_job_cancel,
    bulk_job_create,
    bulk_job_results,
    bulk_job_retry_failed,
    bulk_job_revert,
    bulk_jobs_recent,
    job_summary,
)
from orders.services.bulk_preview import bulk_plan_load, bulk_plan_sign, bulk_preview
from orders.views.common import HtmxHttpRequest

PERMISSION = "orders.run_bulk_tagging"
JOBS_PAGE_SIZE = 50


def can_read_jobs(user: Any) -> bool:
    """Who runs jobs, and auditors, whose audit entries link to the job that made them."""
    if not user.has_perm(PERMISSION) and not user.has_perm("orders.view_auditentry"):
        raise PermissionDenied
    return True


def read_jobs_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    return login_required(user_passes_test(can_read_jobs)(view))


def _bulk_forms(request: HtmxHttpRequest) -> tuple[BulkTagForm, Any]:
    if request.method == "POST":
        return BulkTagForm(request.POST, request.FILES), PairFormSet(request.POST, prefix="set")
    return BulkTagForm(), PairFormSet(prefix="set")


def _preview(form: BulkTagForm, formset: Any) -> dict[str, Any]:
    """Preview a valid composition: what each input matches and what would change."""
    set_pairs, remove_keys = formset.pairs(), form.cleaned_data["remove_keys"]
    both = set(set_pairs) & set(remove_keys)
    if both:
        form.add_error("remove_keys", f"Set or remove a key, not both: {', '.join(sorted(both))}.")
        return {}
    if not set_pairs and not remove_keys:
        form.add_error(None, "Choose at least one pair to set or key to remove.")
        return {}
    preview = bulk_preview(
        inputs=form.cleaned_data["values"], set_pairs=set_pairs, remove_keys=remove_keys
    )
    token = bulk_plan_sign(preview=preview, set_pairs=set_pairs, remove_keys=remove_keys)
    return {"preview": preview, "plan_token": token}


@require_http_methods(["GET", "POST"])
@login_required
@permission_required(PERMISSION, raise_exception=True)
def bulk_new(request: HtmxHttpRequest) -> HttpResponse:
    """Compose a job; POST previews it (CDP is read, nothing is written)."""
    form, formset = _bulk_forms(request)
    context: dict[str, Any] = {"title": "Bulk tagging", "form": form, "formset": formset}
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        context.update(_preview(form, formset))
    return render(request, "orders/bulk_new.html", context)


@require_POST
@login_required
@permission_required(PERMISSION, raise_exception=True)
def bulk_run(request: HtmxHttpRequest) -> HttpResponse:
    """Create the previewed job and queue it; the plan comes back signed from the preview."""
    try:
        plan = bulk_plan_load(request.POST.get("plan", ""))
    except signing.BadSignature:
        messages.error(request, "That preview has expired or was altered. Preview again.")
        return redirect("bulk-new")
    job = bulk_job_create(
        actor=request.user,
        set_pairs=plan.set_pairs,
        remove_keys=plan.remove_keys,
        targets=plan.targets_to_run(include_ambiguous="include_ambiguous" in request.POST),
    )
    return redirect("bulk-job", job_id=job.id)


@require_GET
@read_jobs_required
def bulk_job_list(request: HtmxHttpRequest) -> HttpResponse:
    """Every job, newest first: who ran it, when, what it set, and how it went."""
    before = parse_datetime(request.GET.get("before", "") or "")
    jobs = bulk_jobs_recent(limit=JOBS_PAGE_SIZE + 1, before=before)
    context = {
        "title": "Bulk jobs",
        "jobs": jobs[:JOBS_PAGE_SIZE],
        "older": jobs[JOBS_PAGE_SIZE - 1]["job"].created_at.isoformat()
        if len(jobs) > JOBS_PAGE_SIZE
        else "",
        "is_first_page": before is None,
    }
    return render(request, "orders/bulk_jobs.html", context)


def _job(job_id: UUID) -> BulkJob:
    return get_object_or_404(BulkJob.objects.select_related("created_by", "reverts"), pk=job_id)


@require_GET
@read_jobs_required
def bulk_job(request: HtmxHttpRequest, job_id: UUID) -> HttpResponse:
    job = _job(job_id)
    title = f"Revert of bulk job {job.reverts_id}" if job.reverts_id else "Bulk job"
    context = {**job_summary(job), "title": title, "results": bulk_job_results(job)}
    return render(request, "orders/bulk_job.html", context)


@require_GET
@read_jobs_required
def bulk_job_progress(request: HtmxHttpRequest, job_id: UUID) -> HttpResponse:
    """The polled progress bar; once the job ends, the last one, and polling stops (286)."""
    job = _job(job_id)
    context = job_summary(job)
    if not context["finished"]:
        return render(request, "orders/bulk_job.html#job-progress", context)
    context.update(results=bulk_job_results(job), final=True)
    response = render(request, "orders/bulk_job.html#job-progress", context)
    return HttpResponseStopPolling(response.content)


@require_POST
@login_required
@permission_required(PERMISSION, raise_exception=True)
def bulk_job_cancel_view(request: HtmxHttpRequest, job_id: UUID) -> HttpResponse:
    job = _job(job_id)
    bulk_job_cancel(job=job)
    messages.info(request, "Cancelling: orders in progress finish, the rest are left as they are.")
    return redirect("bulk-job", job_id=job.id)


@require_POST
@login_required
@permission_required(PERMISSION, raise_exception=True)
def bulk_job_retry_view(request: HtmxHttpRequest, job_id: UUID) -> HttpResponse:
    job = _job(job_id)
    count = bulk_job_retry_failed(job=job)
    messages.info(request, f"Queued again: {count} failed order(s), plus any left pending.")
    return redirect("bulk-job", job_id=job.id)


@require_http_methods(["GET", "POST"])
@login_required
@permission_required(PERMISSION, raise_exception=True)
def bulk_job_revert_view(request: HtmxHttpRequest, job_id: UUID) -> HttpResponse:
    """Confirm, then queue a job that undoes this one (orders changed since are reported)."""
    job = _job(job_id)
    if request.method == "GET":
        context = {**job_summary(job), "title": "Revert bulk job"}
        return render(request, "orders/bulk_revert.html", context)
    revert = bulk_job_revert(actor=request.user, job=job)
    messages.info(request, "Reverting. Orders changed since the job are reported, not overwritten.")
    return redirect("bulk-job", job_id=revert.id)
