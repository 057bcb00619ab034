"""The audit trail: list, detail, key history, CSV export, chain verification and revert."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from orders.cdp import CdpError
from orders.changes import export_description
from orders.display import day_text
from orders.forms import AuditFilterForm, LookupValueForm
from orders.home import change_views
from orders.models import AuditCheckpoint, AuditEntry, ChainVerification
from orders.search_terms import classify
from orders.selectors import (
    DEFAULT_LIMIT,
    DESCRIBED_COLUMNS,
    HEAD_MARKER,
    AuditFilters,
    Event,
    EventPage,
    Outcome,
    audit_entries,
    chain_head,
    export_cells,
    export_rows,
    guard_cell,
    key_history,
)
from orders.services.audited import ServiceError
from orders.services.checkpoints import checkpoints_enabled
from orders.services.guests import GUEST_KINDS, lookup_hmac
from orders.services.revert import RevertRefused, is_revertable, revert_entry, revert_plan
from orders.tasks import verify_audit_chain
from orders.templatetags.audit import diff_rows, resource_label
from orders.views.common import HtmxHttpRequest


def describe(filters: AuditFilters) -> str:
    """The active filters in words, for the line above the list."""
    outcomes = dict(Outcome.CHOICES)
    parts = [
        f"by “{filters.username}”" if filters.username else "",
        f"action “{filters.action}”" if filters.action else "",
        f"on {resource_label(filters.resource_type)}s" if filters.resource_type else "",
        f"on order {filters.order_ref}" if filters.order_ref else "",
        f"touching key “{filters.key}”" if filters.key else "",
        f"where {outcomes[filters.outcome].lower()}" if filters.outcome else "",
        f"from {day_text(filters.since)}" if filters.since else "",
        f"until {day_text(filters.until)}" if filters.until else "",
    ]
    words = ", ".join(part for part in parts if part)
    if filters.lookups or filters.lookup_hmac:
        value = (
            f" of the value you typed (HMAC {filters.lookup_hmac[:12]}…)"
            if filters.lookup_hmac
            else ""
        )
        return f"Showing guest lookups{value}{', ' + words if words else ''}."
    return f"Showing changes {words}." if words else "Showing every change."


def _before_id(request: HtmxHttpRequest) -> int | None:
    value = request.GET.get("before", "")
    return int(value) if value.isdigit() else None


def _limit(request: HtmxHttpRequest) -> int:
    value = request.GET.get("limit", "")
    return min(int(value), 200) if value.isdigit() and int(value) > 0 else DEFAULT_LIMIT


@require_GET
@login_required
@permission_required("orders.view_auditentry", raise_exception=True)
def audit_list(request: HtmxHttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    filters = form.filters()
    # An invalid filter shows its error and no rows: never "every change" by mistake.
    page = (
        EventPage()
        if form.errors
        else audit_entries(filters=filters, before_id=_before_id(request), limit=_limit(request))
    )
    query: dict[str, str | int] = {
        k: v for k, v in request.GET.items() if k != "before" and isinstance(v, str) and v
    }
    checkpoints_on = checkpoints_enabled()
    # The latest checkpoint is shown only when checkpoints are on.
    checkpoint = AuditCheckpoint.objects.order_by("-id").first() if checkpoints_on else None
    verification = ChainVerification.objects.select_related("by").order_by("-at", "-id").first()
    context = {
        "title": "Audit trail",
        "form": form,
        "page": page,
        "changes": change_views(page),
        "description": "" if form.errors else describe(filters),
        "query": urlencode(query),
        "older_query": urlencode({**query, "before": page.next_before_id or ""}),
        "is_first_page": _before_id(request) is None,
        "verification": verification,
        "checkpoints_on": checkpoints_on,
        "checkpoint": checkpoint,
        "lookup_form": LookupValueForm(),
    }
    return render(request, "orders/audit_list.html", context)


@require_POST
@login_required
@permission_required("orders.view_auditentry", raise_exception=True)
def audit_lookup_value(request: HtmxHttpRequest) -> HttpResponse:
    """Find the lookups of a typed value: it is hashed here and only the hash goes on."""
    form = LookupValueForm(request.POST)
    if form.is_valid():
        try:
            kind, value = classify(form.cleaned_data["value"], form.cleaned_data["kind"] or "auto")
        except ValueError as exc:
            messages.error(request, str(exc))
            return redirect("audit-list")
        if kind in GUEST_KINDS:
            query = urlencode({"lookups": "on", "lookup_hmac": lookup_hmac(kind, value)})
            return redirect(f"{reverse('audit-list')}?{query}")
    messages.error(request, "Type an email address, a phone number or provider:id.")
    return redirect("audit-list")


@require_GET
@login_required
@permission_required("orders.view_auditentry", raise_exception=True)
def audit_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(AuditEntry, pk=pk)
    if entry.phase == AuditEntry.Phase.OUTCOME and entry.intent_id:
        return redirect("audit-detail", pk=entry.intent_id)
    outcome = entry.outcomes.order_by("-id").first()
    event = Event(entry, outcome)
    change = change_views([event])[0]
    applied = entry.phase == AuditEntry.Phase.OBSERVED or (
        outcome is not None and outcome.outcome == AuditEntry.Outcome.SUCCESS
    )
    after = (
        (outcome.after if outcome else None)
        if entry.phase == AuditEntry.Phase.INTENT
        else entry.after
    )
    context = {
        "title": f"Change #{entry.pk}",
        "event": event,
        "change": change,
        "entry": entry,
        "outcome": outcome,
        "applied": applied,
        "rows": diff_rows(entry.before, after if applied else entry.request_payload),
        "reverted_by": list(entry.reverted_by.filter(phase=AuditEntry.Phase.INTENT).order_by("id")),
        "revertable": applied and is_revertable(entry),
    }
    return render(request, "orders/audit_detail.html", context)


@require_GET
@login_required
@permission_required("orders.view_auditentry", raise_exception=True)
def audit_key_history(request: HtmxHttpRequest, key: str) -> HttpResponse:
    changes, next_before_id = key_history(key=key, before_id=_before_id(request))
    context = {
        "title": f"History of “{key}”",
        "key": key,
        "changes": changes,
        "next_before_id": next_before_id,
    }
    return render(request, "orders/key_history.html", context)


class _Echo:
    def write(self, value: str) -> str:
        return value


def export_lines(filters: AuditFilters) -> Iterator[str]:
    """The CSV export, line by line: a header, the rows, and the chain head at export time."""
    writer = csv.writer(_Echo())
    head_id, head_hash = chain_head()
    yield writer.writerow(DESCRIBED_COLUMNS)
    for row in export_rows(filters, up_to_id=head_id):
        yield writer.writerow([*export_cells(row), guard_cell(export_description(row))])
    scope = "complete" if filters.is_empty() else f"filtered: {describe(filters)}"
    yield writer.writerow([HEAD_MARKER, head_hash, str(head_id), timezone.now().isoformat(), scope])


@require_GET
@login_required
@permission_required("orders.export_auditentry", raise_exception=True)
def audit_export(request: HtmxHttpRequest) -> HttpResponse | StreamingHttpResponse:
    form = AuditFilterForm(request.GET)
    filters = form.filters()
    if form.errors:
        return HttpResponse(
            "Nothing exported: a filter is not valid. Correct it on the audit page, then export.",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    response = StreamingHttpResponse(export_lines(filters), content_type="text/csv")
    name = f"audit-{timezone.now():%Y%m%d-%H%M%S}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_POST
@login_required
@permission_required("orders.view_auditentry", raise_exception=True)
def audit_verify(request: HtmxHttpRequest) -> HttpResponse:
    verify_audit_chain.enqueue(actor_id=request.user.pk)
    messages.info(
        request,
        "Verifying the whole chain in the background; its result appears here when it is done.",
    )
    return redirect("audit-list")


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("orders.revert_auditentry", raise_exception=True)
def audit_revert(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(AuditEntry, pk=pk, phase=AuditEntry.Phase.INTENT)
    context: dict[str, Any] = {"title": f"Revert entry #{entry.pk}", "entry": entry}
    try:
        if request.method == "POST":
            done = revert_entry(actor=request.user, entry=entry)
            messages.success(
                request, f"Entry #{entry.pk} was reverted; see entry #{done[0].entry.pk}."
            )
            return redirect("audit-detail", pk=done[0].entry.pk)
        context["plan"] = revert_plan(entry=entry)
    except RevertRefused as exc:
        context.update(plan=exc.plan, error=exc.message)
    except (ServiceError, CdpError) as exc:
        context["error"] = exc.message
    return render(request, "orders/audit_revert.html", context)
