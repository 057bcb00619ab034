"""The Content-Security-Policy's report endpoint (the policy itself is django-csp's, in settings).

Browsers POST a report here when a page tries something the policy forbids: the older
`application/csp-report` body (`report-uri`) or the Reporting API's `application/reports+json`
list. Each report becomes one log line, so a template that breaks the policy shows up in the
logs instead of only in a user's console.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

logger = logging.getLogger("cdpadmin.csp")

REPORT_CONTENT_TYPES = {"application/csp-report", "application/reports+json", "application/json"}
MAX_REPORT_BYTES = 16 * 1024
LOGGED_FIELDS = ("document-uri", "violated-directive", "effective-directive", "blocked-uri")


def _violations(payload: Any) -> list[dict[str, Any]]:
    """The violations in either format, with the Reporting API's camelCase names mapped."""
    if isinstance(payload, dict) and isinstance(payload.get("csp-report"), dict):
        return [payload["csp-report"]]
    reports = payload if isinstance(payload, list) else [payload]
    found = []
    for report in reports:
        body = report.get("body") if isinstance(report, dict) else None
        if isinstance(body, dict):
            found.append(
                {
                    "document-uri": body.get("documentURL"),
                    "violated-directive": body.get("effectiveDirective"),
                    "effective-directive": body.get("effectiveDirective"),
                    "blocked-uri": body.get("blockedURL"),
                }
            )
    return found


def _clean(value: Any) -> str:
    # Reports come from anyone: keep each field short and on one line.
    return json.dumps(str(value)[:300]) if value is not None else "-"


@csrf_exempt
@require_POST
def csp_report(request: HttpRequest) -> HttpResponse:
    content_type = (request.content_type or "").lower()
    if content_type not in REPORT_CONTENT_TYPES:
        return HttpResponse(status=415)
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_REPORT_BYTES:
        return HttpResponse(status=413)
    raw = request.read(MAX_REPORT_BYTES + 1)
    if len(raw) > MAX_REPORT_BYTES:
        return HttpResponse(status=413)
    try:
        violations = _violations(json.loads(raw))
    except (ValueError, UnicodeDecodeError):
        return HttpResponse(status=400)
    if not violations:
        return HttpResponse(status=400)
    for violation in violations:
        logger.warning(
            "CSP violation: %s",
            " ".join(f"{name}={_clean(violation.get(name))}" for name in LOGGED_FIELDS),
        )
    return HttpResponse(status=204)
