"""Browsers' CSP violation reports are accepted without a CSRF token and logged, one line each."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

pytestmark = pytest.mark.integration

LEGACY_REPORT = {
    "csp-report": {
        "document-uri": "https://cdpadmin.example.com/orders/",
        "violated-directive": "script-src-elem",
        "effective-directive": "script-src-elem",
        "blocked-uri": "inline",
        "original-policy": "default-src 'self'",
    }
}
REPORTING_API_REPORT = [
    {
        "type": "csp-violation",
        "url": "https://cdpadmin.example.com/audit/",
        "body": {
            "documentURL": "https://cdpadmin.example.com/audit/",
            "effectiveDirective": "img-src",
            "blockedURL": "https://evil.example/pixel.gif",
        },
    }
]


def csp_logs(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "cdpadmin.csp"]


@pytest.mark.parametrize(
    ("content_type", "payload", "expected"),
    [
        ("application/csp-report", LEGACY_REPORT, 'blocked-uri="inline"'),
        ("application/reports+json", REPORTING_API_REPORT, 'violated-directive="img-src"'),
    ],
    ids=["report-uri", "reporting-api"],
)
def test_a_violation_report_is_accepted_and_logged_once(
    db: None, caplog: pytest.LogCaptureFixture, content_type: str, payload: object, expected: str
) -> None:
    caplog.set_level(logging.WARNING, logger="cdpadmin.csp")
    client = Client(enforce_csrf_checks=True)

    response = client.post("/csp-report/", json.dumps(payload), content_type=content_type)

    assert response.status_code == 204
    lines = csp_logs(caplog)
    assert len(lines) == 1
    assert lines[0].startswith("CSP violation: ")
    assert expected in lines[0]
    assert "\n" not in lines[0]


def test_a_report_with_newlines_in_its_fields_stays_on_one_log_line(
    db: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="cdpadmin.csp")
    hostile = {"csp-report": {"blocked-uri": "x\nFAKE LOG LINE", "document-uri": "y" * 5000}}

    Client().post("/csp-report/", json.dumps(hostile), content_type="application/csp-report")

    (line,) = csp_logs(caplog)
    assert "\n" not in line
    assert len(line) < 1000


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        ("text/plain", json.dumps(LEGACY_REPORT), 415),
        ("application/csp-report", "{not json", 400),
        ("application/csp-report", json.dumps({"something": "else"}), 400),
        ("application/csp-report", json.dumps({"csp-report": {"x": "y" * 20_000}}), 413),
    ],
    ids=["wrong-type", "not-json", "not-a-report", "too-large"],
)
def test_anything_but_a_small_report_is_refused_and_not_logged(
    db: None, caplog: pytest.LogCaptureFixture, content_type: str, body: str, status: int
) -> None:
    caplog.set_level(logging.WARNING, logger="cdpadmin.csp")

    response = Client().post("/csp-report/", body, content_type=content_type)

    assert response.status_code == status
    assert csp_logs(caplog) == []


def test_reports_are_posted_only(db: None) -> None:
    assert Client().get("/csp-report/").status_code == 405
