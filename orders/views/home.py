"""The home page: each role starts where its work is."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from orders.home import changes_to_check, latest_jobs, my_recent_changes, recently_viewed
from orders.views.common import HtmxHttpRequest


@require_GET
@login_required
def home(request: HtmxHttpRequest) -> HttpResponse:
    user = request.user
    if not user.has_perm("orders.view_orders"):
        if user.has_perm("orders.view_auditentry"):
            return redirect("audit-list")
        return render(request, "orders/home.html", {"title": "Home", "nothing_to_do": True})
    sees_trail = user.has_perm("orders.view_auditentry")
    context = {
        "title": "Home",
        "recent_orders": recently_viewed(user=user),
        "my_changes": my_recent_changes(user=user),
        "jobs": latest_jobs() if user.has_perm("orders.run_bulk_tagging") else None,
        "to_check": changes_to_check(user=None if sees_trail else user),
        "sees_trail": sees_trail,
    }
    return render(request, "orders/home.html", context)
