"""Writing and verifying the audit trail's hash chain.

Every row's `hash` is SHA-256 over its canonical content (every column but `id` and `hash`,
as sorted-key JSON) joined to the previous row's hash. Rows are chained in `id` order; the
writer serialises appends with a PostgreSQL advisory lock so two concurrent writers cannot
both chain onto the same predecessor.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction

from orders.models import AuditEntry

GENESIS_HASH = "0" * 64
# Any fixed 64-bit number works; it only has to be the same for every writer.
CHAIN_LOCK_KEY = 0x0CD9_A0D1_7000_0001

HASHED_FIELDS = (
    "at",
    "actor_id",
    "actor_username",
    "action",
    "phase",
    "resource_type",
    "resource_ref",
    "order_ref",
    "method",
    "cdp_path",
    "request_payload",
    "before",
    "after",
    "cdp_status",
    "outcome",
    "error_message",
    "request_id",
    "intent_id",
    "reverts_id",
    "job_id",
    "prev_hash",
)

SENSITIVE_KEY_PARTS = ("password", "secret", "token", "apikey", "api_key", "authorization")
MASK = "********"


def mask_secrets(value: Any) -> Any:
    """Return `value` with the values of credential-like keys replaced by a mask."""
    if isinstance(value, Mapping):
        return {
            key: MASK
            if any(part in str(key).lower().replace("-", "_") for part in SENSITIVE_KEY_PARTS)
            else mask_secrets(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [mask_secrets(item) for item in value]
    return value


def canonical_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_content(values: Mapping[str, Any]) -> str:
    """The exact text that is hashed for one row, given its column values."""
    content = {}
    for name in HASHED_FIELDS:
        value = values.get(name)
        if isinstance(value, datetime):
            value = canonical_time(value)
        content[name] = value
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def compute_hash(values: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_content(values).encode()).hexdigest()


def entry_values(entry: AuditEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in HASHED_FIELDS}


def append_entry(**fields: Any) -> AuditEntry:
    """Insert one audit row at the head of the chain and commit it.

    Raises whatever the database raises; callers that are about to change CDP treat any
    failure here as a reason not to make the change.
    """
    for name in ("request_payload", "before", "after"):
        if fields.get(name) is not None:
            fields[name] = mask_secrets(fields[name])
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
        last_hash = AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first()
        entry = AuditEntry(**fields, prev_hash=last_hash or GENESIS_HASH)
        entry.hash = compute_hash(entry_values(entry))
        entry.save(force_insert=True)
    return entry


@dataclass(frozen=True)
class ChainBreak:
    """The first row whose stored values do not match the chain."""

    position: int
    entry_id: int | None
    reason: str


@dataclass(frozen=True)
class ChainReport:
    rows_checked: int
    head_hash: str
    first_break: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.first_break is None


def verify_rows(rows: Iterable[Mapping[str, Any]]) -> ChainReport:
    """Walk rows in chain order and report the first one that does not match.

    Each row is a mapping with the hashed fields plus `id` and `hash`.
    """
    previous = GENESIS_HASH
    count = 0
    for count, row in enumerate(rows, start=1):
        entry_id = row.get("id")
        if row.get("prev_hash") != previous:
            return ChainReport(
                count - 1,
                previous,
                ChainBreak(count, entry_id, "its previous-hash does not match the row before it"),
            )
        if compute_hash(row) != row.get("hash"):
            return ChainReport(
                count - 1,
                previous,
                ChainBreak(count, entry_id, "its content does not match its hash"),
            )
        previous = row["hash"]
    return ChainReport(count, previous, None)


def iter_table_rows(batch_size: int = 5000) -> Iterator[dict[str, Any]]:
    """Every audit row in id order, in keyset-paged batches (constant memory)."""
    last_id = 0
    columns = ("id", "hash", *HASHED_FIELDS)
    while True:
        batch = list(
            AuditEntry.objects.filter(id__gt=last_id).order_by("id").values(*columns)[:batch_size]
        )
        if not batch:
            return
        yield from batch
        last_id = batch[-1]["id"]


def verify_table() -> ChainReport:
    return verify_rows(iter_table_rows())
