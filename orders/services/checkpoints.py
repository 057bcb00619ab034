"""Taking signed checkpoints of the audit chain, declaring restores, and verifying against them.

Checkpoints are written to AUDIT_CHECKPOINT_DIR and signed with the key in
AUDIT_SIGNING_KEY_FILE; the database holds neither. Taking one reads the chain head and the
rows added since the previous checkpoint, never the whole table.
"""

from __future__ import annotations

import getpass
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from orders.audit import ChainReport, append_entry, iter_table_rows, verify_rows
from orders.checkpoints import (
    TIME_FORMAT,
    Checkpoint,
    CheckpointError,
    Verifier,
    checkpoint_files,
    load_signing_key,
    open_note,
    write_note,
)
from orders.models import AuditCheckpoint, AuditEntry

logger = logging.getLogger(__name__)

RESEAL_ACTION = "audit.chain.reseal"
RESEAL_RESOURCE = "audit_chain"
# Serialises checkpoint takers (cron, worker, bulk jobs); chain writers are not blocked.
CHECKPOINT_LOCK_KEY = 0x0CD9_A0D1_7000_0002


class CheckpointsOff(CheckpointError):
    pass


def checkpoints_enabled() -> bool:
    return bool(settings.AUDIT_SIGNING_KEY_FILE)


def checkpoint_directory() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_DIR)


def _signing_key() -> Ed25519PrivateKey:
    if not checkpoints_enabled():
        raise CheckpointsOff("Signed checkpoints are off: AUDIT_SIGNING_KEY_FILE is not set.")
    return load_signing_key(Path(settings.AUDIT_SIGNING_KEY_FILE))


def own_verifier() -> Verifier:
    """The verifier key of this deployment's signing key (raises `CheckpointsOff`)."""
    return Verifier.for_key(settings.AUDIT_CHECKPOINT_ORIGIN, _signing_key().public_key())


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHECKPOINT_LOCK_KEY])


def _row_count(head_id: int, previous: AuditCheckpoint | None) -> int:
    """Rows up to `head_id`, counting only those added since `previous` while it still holds."""
    if (
        previous is not None
        and previous.last_id <= head_id
        and AuditEntry.objects.filter(pk=previous.last_id, hash=previous.head_hash).exists()
    ):
        added = AuditEntry.objects.filter(id__gt=previous.last_id, id__lte=head_id).count()
        return previous.row_count + added
    return AuditEntry.objects.filter(id__lte=head_id).count()


def checkpoint_take() -> AuditCheckpoint | None:
    """Sign the chain head and write it to a new file; None if the chain is empty or unchanged.

    Raises `CheckpointError` (off, unreadable key) and `OSError` (the directory).
    """
    key = _signing_key()
    verifier = Verifier.for_key(settings.AUDIT_CHECKPOINT_ORIGIN, key.public_key())
    with transaction.atomic():
        _lock()
        head = AuditEntry.objects.order_by("-id").values_list("id", "hash").first()
        previous = AuditCheckpoint.objects.order_by("-id").first()
        if head is None or (previous and (previous.last_id, previous.head_hash) == head):
            return None
        checkpoint = Checkpoint(
            origin=verifier.name,
            row_count=_row_count(head[0], previous),
            last_id=head[0],
            head_hash=head[1],
            time=timezone.now(),
        )
        write_note(
            checkpoint_directory(), checkpoint.file_name, checkpoint.sign(verifier.name, key)
        )
        return AuditCheckpoint.objects.create(
            at=checkpoint.time,
            origin=checkpoint.origin,
            row_count=checkpoint.row_count,
            last_id=checkpoint.last_id,
            head_hash=checkpoint.head_hash,
            file_name=checkpoint.file_name,
        )


def checkpoint_quietly() -> bool:
    """Take a checkpoint if they are on, logging (never raising) a failure; True if taken."""
    if not checkpoints_enabled():
        return False
    try:
        return checkpoint_take() is not None
    except (CheckpointError, OSError, DatabaseError):
        logger.exception("The audit checkpoint could not be taken")
        return False


def newest_checkpoint(directory: Path, verifier: Verifier) -> tuple[str, Checkpoint]:
    for path in reversed(checkpoint_files(directory)):
        try:
            return path.name, open_note(path.read_text(encoding="utf-8"), verifier)
        except (CheckpointError, OSError, UnicodeDecodeError):
            continue
    raise CheckpointError(f"{directory} holds no checkpoint signed by {verifier.name}.")


def chain_reseal(*, reason: str) -> AuditEntry:
    """Record in the chain that it was rewound (a restore) from the newest checkpoint to its head.

    Refuses if the chain still extends that checkpoint. Takes a new checkpoint afterwards.
    """
    if not reason.strip():
        raise CheckpointError("Give the reason for the reseal (e.g. which backup was restored).")
    verifier = own_verifier()
    name, newest = newest_checkpoint(checkpoint_directory(), verifier)
    if AuditEntry.objects.filter(pk=newest.last_id, hash=newest.head_hash).exists():
        raise CheckpointError(
            f"The chain still extends checkpoint {name}; there is no rewind to declare."
        )
    head = AuditEntry.objects.order_by("-id").values_list("id", "hash").first() or (0, "")
    entry = append_entry(
        actor_username=getpass.getuser(),
        action=RESEAL_ACTION,
        phase=AuditEntry.Phase.OBSERVED,
        resource_type=RESEAL_RESOURCE,
        request_payload={"reason": reason.strip()},
        before={
            "checkpoint": name,
            "row_count": newest.row_count,
            "last_id": newest.last_id,
            "hash": newest.head_hash,
            "time": newest.time.strftime(TIME_FORMAT),
        },
        after={
            "row_count": AuditEntry.objects.filter(id__lte=head[0]).count(),
            "last_id": head[0],
            "hash": head[1],
        },
    )
    checkpoint_take()
    return entry


@dataclass(frozen=True)
class CheckpointReport:
    """The chain walked once, and every checkpoint file compared with it."""

    chain: ChainReport
    total_rows: int
    checkpoints: int
    violations: tuple[str, ...]
    gaps: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.chain.ok and not self.violations

    def summary(self, directory: Path) -> str:
        if self.violations:
            more = len(self.violations) - 1
            return self.violations[0] + (f" ({more} more checkpoints violated.)" if more else "")
        if not self.checkpoints:
            return f"There is no checkpoint in {directory} yet."
        which = "the" if self.checkpoints == 1 else f"all {self.checkpoints}"
        plural = "" if self.checkpoints == 1 else "s"
        return f"It extends {which} signed checkpoint{plural} in {directory}."


def _mismatch(checkpoint: Checkpoint, found: tuple[int, str] | None, total: int) -> str | None:
    entry = f"entry #{checkpoint.last_id}"
    if found is None:
        return (
            f"it covers {checkpoint.row_count} rows up to {entry}, but the chain has {total} "
            f"rows and no {entry}: rows were deleted"
        )
    position, stored_hash = found
    if stored_hash != checkpoint.head_hash:
        return (
            f"{entry} now has hash {stored_hash[:16]}…, but the checkpoint signed "
            f"{checkpoint.head_hash[:16]}…: the chain up to it was rewritten"
        )
    if position != checkpoint.row_count:
        return (
            f"{entry} is row {position} of the chain, but the checkpoint signed it as row "
            f"{checkpoint.row_count}: rows before it were added or removed"
        )
    return None


def _declared_by(
    checkpoint: Checkpoint, reseals: Sequence[Mapping[str, Any]]
) -> Mapping[str, Any] | None:
    """The reseal entry that declares `checkpoint` rewound: taken no later, covering lost rows."""
    for reseal in reseals:
        before, after = reseal["before"] or {}, reseal["after"] or {}
        try:
            sealed_at = datetime.strptime(before["time"], TIME_FORMAT).replace(
                tzinfo=checkpoint.time.tzinfo
            )
            kept = int(after["row_count"])
        except (KeyError, TypeError, ValueError):
            continue
        if checkpoint.time <= sealed_at and checkpoint.row_count > kept:
            return reseal
    return None


def _read(directory: Path, verifier: Verifier) -> list[tuple[str, Checkpoint | str]]:
    if not directory.is_dir():
        raise CheckpointError(f"{directory} is not a directory of checkpoints.")
    notes: list[tuple[str, Checkpoint | str]] = []
    for path in checkpoint_files(directory):
        try:
            notes.append((path.name, open_note(path.read_text(encoding="utf-8"), verifier)))
        except CheckpointError as exc:
            notes.append((path.name, exc.message))
        except (OSError, UnicodeDecodeError) as exc:
            notes.append((path.name, f"it cannot be read ({exc})"))
    return notes


def verify_with_checkpoints(*, directory: Path, verifier: Verifier) -> CheckpointReport:
    """Walk the chain once, checking its hashes and, for each checkpoint, its row and hash.

    A checkpoint the chain no longer matches is a declared gap when a reseal entry covers it
    (see `chain_reseal`), and a violation otherwise; so is a file `verifier` did not sign.
    """
    notes = _read(directory, verifier)
    wanted = {note.last_id for _, note in notes if isinstance(note, Checkpoint)}
    found: dict[int, tuple[int, str]] = {}
    total = 0

    def rows() -> Any:
        nonlocal total
        for total, row in enumerate(iter_table_rows(), start=1):  # noqa: B007
            if row["id"] in wanted:
                found[row["id"]] = (total, row["hash"])
            yield row

    walk = rows()
    chain = verify_rows(walk)
    for _ in walk:  # past a break too, so every checkpoint is still compared
        pass
    reseals = list(
        AuditEntry.objects.filter(action=RESEAL_ACTION)
        .order_by("id")
        .values("id", "at", "before", "after", "request_payload")
    )
    violations, gaps = [], []
    for name, note in notes:
        if isinstance(note, str):
            violations.append(f"Checkpoint {name} is refused: {note}.")
            continue
        problem = _mismatch(note, found.get(note.last_id), total)
        if problem is None:
            continue
        reseal = _declared_by(note, reseals)
        if reseal is None:
            violations.append(f"Checkpoint {name} is violated: {problem}.")
        else:
            reason = (reseal["request_payload"] or {}).get("reason", "")
            gaps.append(
                f"Declared gap: checkpoint {name} ({note.row_count} rows) is no longer in the "
                f"chain; entry #{reseal['id']} records that the trail was rewound to row "
                f"{reseal['after'].get('row_count')} on {reseal['at']:%d %b %Y %H:%M} UTC: {reason}"
            )
    return CheckpointReport(chain, total, len(notes), tuple(violations), tuple(gaps))
