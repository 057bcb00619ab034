"""A CSV export can be checked on its own: `verify_audit --file` recomputes its chain."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from orders.audit import append_entry
from orders.models import AuditEntry
from orders.selectors import guard_cell, unguard_cell
from tests.orders.audit_helpers import ORDER_A, ORDER_B, record_change

pytestmark = pytest.mark.integration


def export(client, tmp_path: Path, query: str = "") -> Path:
    response = client.get(f"/audit/export.csv{query}")
    assert response.status_code == 200
    path = tmp_path / "export.csv"
    path.write_bytes(b"".join(response.streaming_content))
    return path


def rows_of(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text())))


def fill(user) -> None:
    record_change(actor=user, payload={"price": 0}, before={"price": False}, after={"price": 0})
    record_change(
        actor=user, order_ref=ORDER_B, outcome=AuditEntry.Outcome.FAILURE, payload={"p": "=1+1"}
    )
    append_entry(
        action="orders.order.observed_change",
        phase=AuditEntry.Phase.OBSERVED,
        resource_type="order",
        order_ref=ORDER_A,
        actor_username='=HYPERLINK("http://evil")',
        error_message="@SUM(A1)",
        request_payload=-5,
        before={"label": "'quoted"},
        after={"label": "Größe ✓", "price": 9.0},
    )


def test_an_untouched_export_verifies_and_names_the_chain_head(
    auditor_client, auditor_user, tmp_path, capsys
) -> None:
    fill(auditor_user)
    path = export(auditor_client, tmp_path)

    call_command("verify_audit", file=str(path))

    head = AuditEntry.objects.latest("id").hash
    assert f"OK: 5 rows in {path} match; chain head {head}." in capsys.readouterr().out
    assert rows_of(path)[-1][:3] == [
        "# chain head at export time",
        head,
        str(AuditEntry.objects.latest("id").pk),
    ]


def test_cells_that_a_spreadsheet_would_run_are_guarded(auditor_client, auditor_user, tmp_path):
    fill(auditor_user)

    text = export(auditor_client, tmp_path).read_text()

    assert "'=HYPERLINK" in text
    assert "'@SUM(A1)" in text
    assert ",'-5," in text
    for value in ("=x", "+x", "-x", "@x", "\tx", "\rx", "'x", "plain"):
        assert unguard_cell(guard_cell(value)) == value


def test_altering_one_cell_is_caught_and_the_row_named(
    auditor_client, auditor_user, tmp_path
) -> None:
    fill(auditor_user)
    path = export(auditor_client, tmp_path)
    rows = rows_of(path)
    price = rows[0].index("after")
    assert rows[2][price] == '{"price": 0}'
    rows[2][price] = '{"price": false}'
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)

    with pytest.raises(CommandError, match=r"at row 2 \(line 3\) \(entry id \d+\): its content"):
        call_command("verify_audit", file=str(path))


def test_a_row_deleted_from_a_complete_export_is_caught(auditor_client, auditor_user, tmp_path):
    fill(auditor_user)
    path = export(auditor_client, tmp_path)
    rows = rows_of(path)
    del rows[2]
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)

    with pytest.raises(CommandError, match="previous-hash does not match"):
        call_command("verify_audit", file=str(path))


def test_a_cut_off_export_is_caught(auditor_client, auditor_user, tmp_path) -> None:
    fill(auditor_user)
    path = export(auditor_client, tmp_path)
    rows = rows_of(path)
    del rows[-2]
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)

    with pytest.raises(CommandError, match="rows are missing at the end"):
        call_command("verify_audit", file=str(path))


def test_a_filtered_export_holds_the_orders_changes_whole_and_verifies_row_by_row(
    auditor_client, auditor_user, tmp_path, capsys
) -> None:
    fill(auditor_user)

    path = export(auditor_client, tmp_path, f"?order_ref={ORDER_B}")
    call_command("verify_audit", file=str(path))

    rows = rows_of(path)
    assert [row[rows[0].index("phase")] for row in rows[1:-1]] == ["intent", "outcome"]
    assert rows[-1][4].startswith("filtered: ")
    assert "OK: 2 rows" in capsys.readouterr().out


def test_the_live_table_check_is_unchanged(auditor_user, capsys) -> None:
    fill(auditor_user)

    call_command("verify_audit")

    assert "OK: 5 rows in the audit table match" in capsys.readouterr().out
