from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from orders.audit import ChainReport, verify_table


class Command(BaseCommand):
    help = "Recompute the audit trail's hash chain and name the first row that does not match."

    def handle(self, *args: Any, **options: Any) -> None:
        report = verify_table()
        self.report(report, source="the audit table")

    def report(self, report: ChainReport, *, source: str) -> None:
        if report.first_break is None:
            self.stdout.write(
                f"OK: {report.rows_checked} rows in {source} match; chain head {report.head_hash}."
            )
            return
        broken = report.first_break
        raise CommandError(
            f"Chain broken in {source} at row {broken.position} (entry id {broken.entry_id}): "
            f"{broken.reason}. The {report.rows_checked} rows before it match."
        )
