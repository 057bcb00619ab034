"""Walking the audit chain on demand and keeping the result for the audit page."""

from __future__ import annotations

from typing import Any

from orders.audit import ChainReport, verify_table
from orders.checkpoints import CheckpointError
from orders.models import ChainVerification
from orders.services.checkpoints import (
    checkpoint_directory,
    checkpoints_enabled,
    own_verifier,
    verify_with_checkpoints,
)


def chain_sentence(report: ChainReport) -> str:
    broken = report.first_break
    if broken is None:
        return f"All {report.rows_checked} rows match; the chain is intact."
    return f"Chain broken at entry #{broken.entry_id}: {broken.reason}."


def record_verification(*, actor: Any) -> ChainVerification:
    """Walk the whole chain (and the signed checkpoints, when on) and keep the result."""
    ok, extra = True, ""
    if checkpoints_enabled():
        directory = checkpoint_directory()
        try:
            checked = verify_with_checkpoints(directory=directory, verifier=own_verifier())
        except CheckpointError as exc:
            report, ok, extra = verify_table(), False, exc.message
        else:
            report, ok = checked.chain, checked.ok
            extra = " ".join([checked.summary(directory), *checked.gaps])
    else:
        report = verify_table()
    broken = report.first_break
    return ChainVerification.objects.create(
        by=actor,
        ok=ok and report.ok,
        rows_checked=report.rows_checked,
        head_hash=report.head_hash,
        first_break_id=broken.entry_id if broken else None,
        message=" ".join(part for part in (chain_sentence(report), extra) if part),
    )
