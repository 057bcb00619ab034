from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from orders.audit import ChainBreak, ChainReport, compute_hash, verify_rows, verify_table
from orders.checkpoints import CheckpointError, read_verifier
from orders.selectors import (
    DESCRIBED_COLUMNS,
    EXPORT_COLUMNS,
    HEAD_MARKER,
    parse_export_cells,
)
from orders.services.checkpoints import verify_with_checkpoints


class ExportFormatError(CommandError):
    pass


def _lines(path: Path) -> Iterator[tuple[int, list[str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        if tuple(next(reader, ())) not in (EXPORT_COLUMNS, DESCRIBED_COLUMNS):
            raise ExportFormatError(f"{path} is not an audit export: its header row differs.")
        yield from enumerate(reader, start=2)


def read_head(path: Path) -> list[str] | None:
    """The trailing chain-head line of an export; it must be the last line."""
    head = None
    for line, cells in _lines(path):
        if head is not None:
            raise ExportFormatError(f"Line {line} comes after the chain-head line.")
        if cells and cells[0] == HEAD_MARKER:
            head = cells
    return head


def iter_export(path: Path) -> Iterator[dict[str, Any]]:
    """The rows of an export, one at a time, with their hashed values restored."""
    for line, cells in _lines(path):
        if cells and cells[0] == HEAD_MARKER:
            return
        try:
            yield parse_export_cells(cells)
        except ValueError as exc:
            raise ExportFormatError(f"Line {line} cannot be read: {exc}.") from exc


def verify_each_row(rows: Iterable[dict[str, Any]]) -> ChainReport:
    """A filtered export is not a contiguous chain: check every row against its own hash."""
    position, last_hash = 0, ""
    for position, row in enumerate(rows, start=1):
        if compute_hash(row) != row["hash"]:
            reason = "its content does not match its hash"
            return ChainReport(position - 1, last_hash, ChainBreak(position, row["id"], reason))
        last_hash = row["hash"]
    return ChainReport(position, last_hash, None)


class Command(BaseCommand):
    help = "Recompute the audit trail's hash chain and name the first row that does not match."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--file", type=Path, help="Check a CSV export (from /audit/export.csv) instead."
        )
        parser.add_argument(
            "--checkpoints",
            type=Path,
            metavar="DIR",
            help="Also check that the chain still extends every signed checkpoint in DIR.",
        )
        parser.add_argument(
            "--public-key",
            metavar="KEY",
            help="The verifier key the checkpoints must be signed by (as printed, or a file).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["checkpoints"] is not None:
            self.verify_checkpoints(Path(options["checkpoints"]), options["public_key"])
            return
        if options["file"] is None:
            report = verify_table()
            self.report(report, source="the audit table")
            return
        self.verify_file(Path(options["file"]))

    def verify_checkpoints(self, directory: Path, public_key: str | None) -> None:
        if not public_key:
            raise CommandError("--checkpoints needs --public-key: the key they must be signed by.")
        try:
            checked = verify_with_checkpoints(
                directory=directory, verifier=read_verifier(public_key)
            )
        except CheckpointError as exc:
            raise CommandError(exc.message) from exc
        if not checked.checkpoints:
            raise CommandError(f"There is no checkpoint in {directory} to verify against.")
        for gap in checked.gaps:
            self.stdout.write(gap)
        if checked.violations:
            raise CommandError(checked.summary(directory))
        self.report(checked.chain, source="the audit table")
        self.stdout.write(checked.summary(directory))

    def verify_file(self, path: Path) -> None:
        head = read_head(path)
        if head is None:
            raise CommandError(f"{path} has no chain-head line: the export is incomplete.")
        complete = len(head) > 4 and head[4] == "complete"
        rows = iter_export(path)
        report = verify_rows(rows) if complete else verify_each_row(rows)
        self.report(report, source=str(path), in_file=True)
        if complete and report.head_hash != head[1]:
            raise CommandError(
                f"The last row of {path} is not the chain head recorded at export time "
                f"({head[1]}): rows are missing at the end."
            )

    def report(self, report: ChainReport, *, source: str, in_file: bool = False) -> None:
        if report.first_break is None:
            self.stdout.write(
                f"OK: {report.rows_checked} rows in {source} match; chain head {report.head_hash}."
            )
            return
        broken = report.first_break
        where = f"row {broken.position}"
        if in_file:
            # Line numbers let someone find the row in a spreadsheet (line 1 is the header).
            where = f"row {broken.position} (line {broken.position + 1})"
        raise CommandError(
            f"Chain broken in {source} at {where} (entry id {broken.entry_id}): "
            f"{broken.reason}. The {report.rows_checked} rows before it match."
        )
