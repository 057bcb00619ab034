"""Reads: what the pages show, from CDP (`orders.selectors.orders`) and from the audit trail
(`orders.selectors.audit`). Nothing here writes."""

from orders.selectors.audit import (
    DEFAULT_LIMIT,
    DESCRIBED_COLUMNS,
    EXPORT_COLUMNS,
    HEAD_MARKER,
    AuditFilters,
    Event,
    EventPage,
    Outcome,
    audit_entries,
    audit_entries_for_order,
    chain_head,
    export_cells,
    export_rows,
    guard_cell,
    key_history,
    parse_export_cells,
    unguard_cell,
)

__all__ = [
    "DEFAULT_LIMIT",
    "DESCRIBED_COLUMNS",
    "EXPORT_COLUMNS",
    "HEAD_MARKER",
    "AuditFilters",
    "Event",
    "EventPage",
    "Outcome",
    "audit_entries",
    "audit_entries_for_order",
    "chain_head",
    "export_cells",
    "export_rows",
    "guard_cell",
    "key_history",
    "parse_export_cells",
    "unguard_cell",
]
