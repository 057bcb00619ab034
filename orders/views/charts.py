"""Pictures loaded into pages after they render: the audit trail's changes per day."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from orders.charts import audit_daily_outcomes, daily_chart
from orders.views.common import HtmxHttpRequest


@require_GET
@vary_on_headers("HX-Request")
@login_required
@permission_required("orders.view_auditentry", raise_exception=True)
def audit_activity(request: HtmxHttpRequest) -> HttpResponse:
    """Changes per day for the last 30 days, by outcome, as an SVG with its numbers."""
    chart = daily_chart(audit_daily_outcomes(days=30))
    page = "includes/audit_activity" if request.htmx else "audit_activity"
    template = f"orders/{page}.html"
    return render(request, template, {"chart": chart, "title": "Changes per day"})
