"""The audit benchmark and its seeder, at a size the suite can afford."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from orders.models import AuditEntry
from tests.bench.audit import measure_audit, measure_checkpoints

pytestmark = pytest.mark.integration


def test_the_benchmark_seeds_a_valid_chain_and_reports_every_number(db, capsys) -> None:
    results = measure_audit(2_000, runs=2, own_database=False)

    assert AuditEntry.objects.count() == 2_000
    assert results["audit_export_lines"] == 2_002
    for name in ("audit_first_page_ms", "audit_filtered_page_ms", "audit_export_peak_mb"):
        assert results[name] > 0
    call_command("verify_audit")
    assert "OK: 2000 rows in the audit table match" in capsys.readouterr().out


def test_seeded_rows_mix_every_kind_of_event(db) -> None:
    call_command("seed_audit", rows=3_000, orders=50)

    phases = set(AuditEntry.objects.values_list("phase", flat=True).distinct())
    outcomes = set(AuditEntry.objects.values_list("outcome", flat=True).distinct())
    assert phases == {"intent", "outcome", "observed"}
    assert outcomes == {"", "success", "failure"}
    assert AuditEntry.objects.filter(resource_type="order_extension").exists()


def test_the_checkpoint_benchmark_reports_both_figures_on_a_valid_chain(db) -> None:
    results = measure_checkpoints(500, runs=2, own_database=False)

    assert results["checkpoint_ms"] > 0 and results["verify_with_checkpoints_s"] >= 0
    assert results["verify_with_checkpoints_rows"] == 502
    assert results["verify_with_checkpoints_count"] == 3
