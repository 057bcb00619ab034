"""Signed checkpoints catch what a database superuser can do to the trail behind the trigger."""

from __future__ import annotations

import base64
import hashlib
import io
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from orders.audit import HASHED_FIELDS, append_entry, compute_hash, verify_table
from orders.checkpoints import (
    Checkpoint,
    CheckpointError,
    Verifier,
    generate_key,
    open_note,
    write_note,
)
from orders.models import AuditCheckpoint, AuditEntry, ChainVerification
from orders.services.bulk import bulk_job_create
from orders.services.checkpoints import checkpoint_take
from orders.tasks import (
    run_bulk_job,
    schedule_audit_checkpoints,
    take_audit_checkpoint,
    verify_audit_chain,
)
from tests.factories import seed_order

pytestmark = pytest.mark.integration

ORIGIN = "cdpadmin.test/audit"


@dataclass
class Keys:
    directory: Path
    key_file: Path
    verifier: str


@pytest.fixture
def keys(settings: Any, tmp_path: Path) -> Keys:
    key_file = tmp_path / "signing-key.pem"
    key = generate_key(key_file)
    settings.AUDIT_SIGNING_KEY_FILE = str(key_file)
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path / "checkpoints")
    settings.AUDIT_CHECKPOINT_ORIGIN = ORIGIN
    verifier = str(Verifier.for_key(ORIGIN, key.public_key()))
    return Keys(tmp_path / "checkpoints", key_file, verifier)


def add_rows(count: int, start: int = 0) -> list[AuditEntry]:
    return [
        append_entry(
            action="orders.order.patch",
            phase=AuditEntry.Phase.INTENT,
            resource_type="order",
            resource_ref=f"00000000-0000-4000-8000-{n:012d}",
            method="PATCH",
            before={"price": n},
            request_payload={"price": n + 1},
        )
        for n in range(start, start + count)
    ]


@pytest.fixture
def checkpointed(db: None, keys: Keys) -> tuple[list[AuditEntry], list[str]]:
    """Twenty rows with a checkpoint after the tenth and one after the twentieth."""
    rows = add_rows(10)
    first = checkpoint_take()
    rows += add_rows(10, start=10)
    second = checkpoint_take()
    assert first and second
    return rows, [first.file_name, second.file_name]


def verify(keys: Keys) -> str:
    out = io.StringIO()
    call_command(
        "verify_audit",
        "--checkpoints",
        str(keys.directory),
        "--public-key",
        keys.verifier,
        stdout=out,
    )
    return out.getvalue()


@contextmanager
def trigger_disabled() -> Iterator[Any]:
    """What a superuser can do: switch off the append-only trigger (migration 0002)."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "ALTER TABLE orders_auditentry DISABLE TRIGGER orders_auditentry_no_update_delete"
        )
        try:
            yield cursor
        finally:
            cursor.execute(
                "ALTER TABLE orders_auditentry ENABLE TRIGGER orders_auditentry_no_update_delete"
            )


def delete_rows_after(entry: AuditEntry) -> None:
    with trigger_disabled() as cursor:
        cursor.execute("DELETE FROM orders_auditentry WHERE id > %s", [entry.pk])


def rehash_from(entry_id: int) -> None:
    """Recompute every hash from `entry_id` on, as someone covering their tracks would."""
    previous = AuditEntry.objects.filter(id__lt=entry_id).order_by("-id").first()
    prev_hash = previous.hash if previous else "0" * 64
    with trigger_disabled() as cursor:
        for entry in AuditEntry.objects.filter(id__gte=entry_id).order_by("id"):
            values = {name: getattr(entry, name) for name in HASHED_FIELDS}
            values["prev_hash"] = prev_hash
            new_hash = compute_hash(values)
            cursor.execute(
                "UPDATE orders_auditentry SET prev_hash = %s, hash = %s WHERE id = %s",
                [prev_hash, new_hash, entry.pk],
            )
            prev_hash = new_hash


def test_the_untouched_chain_passes(checkpointed, keys: Keys) -> None:
    out = verify(keys)

    assert "OK: 20 rows in the audit table match" in out
    assert f"It extends all 2 signed checkpoints in {keys.directory}." in out


def test_deleting_the_newest_rows_names_the_checkpoint(checkpointed, keys: Keys) -> None:
    rows, names = checkpointed
    delete_rows_after(rows[14])
    assert verify_table().ok  # the shortened chain is still a valid chain on its own

    with pytest.raises(CommandError, match=rf"Checkpoint {names[1]} is violated:.*deleted"):
        verify(keys)


def test_a_rewritten_early_row_with_every_later_hash_recomputed_fails(
    checkpointed, keys: Keys
) -> None:
    rows, names = checkpointed
    with trigger_disabled() as cursor:
        cursor.execute(
            "UPDATE orders_auditentry SET before = '{\"price\": 1000}' WHERE id = %s", [rows[2].pk]
        )
    rehash_from(rows[2].pk)
    assert verify_table().ok

    with pytest.raises(CommandError, match=rf"Checkpoint {names[0]} is violated:.*rewritten"):
        verify(keys)


def test_two_rows_with_their_content_swapped_fail(checkpointed, keys: Keys) -> None:
    rows, names = checkpointed
    first, second = rows[3], rows[6]
    columns = ", ".join(f'"{name}" = s."{name}"' for name in HASHED_FIELDS if name != "prev_hash")
    with trigger_disabled() as cursor:
        cursor.execute(
            f"UPDATE orders_auditentry AS t SET {columns} FROM orders_auditentry AS s "  # noqa: S608
            "WHERE (t.id, s.id) IN ((%s, %s), (%s, %s))",
            [first.pk, second.pk, second.pk, first.pk],
        )
    rehash_from(first.pk)
    assert AuditEntry.objects.get(pk=first.pk).resource_ref == second.resource_ref
    assert verify_table().ok

    with pytest.raises(CommandError, match=rf"Checkpoint {names[0]} is violated"):
        verify(keys)


def test_a_checkpoint_signed_with_another_key_fails(checkpointed, keys: Keys, tmp_path) -> None:
    rows, _ = checkpointed
    other = generate_key(tmp_path / "other.pem")
    head = rows[-1]
    forged = Checkpoint(ORIGIN, 20, head.pk, head.hash, head.at)
    name = "29991231T000000000000Z-20.checkpoint"
    write_note(keys.directory, name, forged.sign(ORIGIN, other))

    with pytest.raises(
        CommandError, match=rf"Checkpoint {name} is refused: it carries no signature"
    ):
        verify(keys)


def test_a_checkpoint_edited_after_signing_fails(checkpointed, keys: Keys) -> None:
    _, names = checkpointed
    path = keys.directory / names[0]
    note = path.read_text().replace("\n10\n", "\n9\n", 1)
    path.chmod(0o644)
    path.write_text(note)

    with pytest.raises(CommandError, match=rf"{names[0]} is refused: .*does not match its text"):
        verify(keys)


def test_a_declared_reseal_passes_and_reports_the_gap(checkpointed, keys: Keys) -> None:
    rows, names = checkpointed
    delete_rows_after(rows[14])  # as a restore from a backup taken after row 15 does
    out = io.StringIO()

    call_command(
        "audit_checkpoint", "--reseal", "--reason", "Restored the 02:00 backup", stdout=out
    )

    assert f"from checkpoint {names[1]} to row 15" in out.getvalue()
    reseal = AuditEntry.objects.order_by("-id").first()
    assert reseal.action == "audit.chain.reseal" and reseal.after["row_count"] == 15
    add_rows(2, start=100)
    checkpoint_take()
    result = verify(keys)
    assert f"Declared gap: checkpoint {names[1]} (20 rows) is no longer in the chain" in result
    assert f"entry #{reseal.pk}" in result and "Restored the 02:00 backup" in result
    assert "It extends all 4 signed checkpoints" in result


def test_a_reseal_is_refused_while_the_chain_still_extends_the_checkpoint(checkpointed) -> None:
    with pytest.raises(CommandError, match="still extends checkpoint"):
        call_command("audit_checkpoint", "--reseal", "--reason", "no restore happened")


def test_a_checkpoint_of_an_unchanged_chain_is_skipped_and_files_are_never_replaced(
    db: None, keys: Keys
) -> None:
    add_rows(3)
    out = io.StringIO()
    call_command("audit_checkpoint", stdout=out)
    call_command("audit_checkpoint", stdout=out)

    files = list(keys.directory.iterdir())
    assert len(files) == 1 and AuditCheckpoint.objects.count() == 1
    assert "Wrote checkpoint" in out.getvalue() and "Skipped" in out.getvalue()
    with pytest.raises(FileExistsError):
        write_note(keys.directory, files[0].name, "replacement\n")


@pytest.mark.parametrize("rows", [5, 50])
def test_taking_a_checkpoint_costs_the_same_queries_however_long_the_chain(
    db: None, keys: Keys, rows: int, django_assert_num_queries
) -> None:
    add_rows(rows)
    checkpoint_take()
    add_rows(1, start=rows)

    with django_assert_num_queries(8):
        assert checkpoint_take() is not None
    assert AuditCheckpoint.objects.order_by("-id").first().row_count == rows + 1


def test_the_note_follows_the_signed_note_layout(db: None, keys: Keys) -> None:
    rows = add_rows(2)
    taken = checkpoint_take()
    note = (keys.directory / taken.file_name).read_text()
    text, signature_line = note.split("\n\n")

    assert text.split("\n") == [
        ORIGIN,
        "2",
        base64.b64encode(bytes.fromhex(rows[-1].hash)).decode(),
        f"last-id {rows[-1].pk}",
        f"time {taken.at:%Y-%m-%dT%H:%M:%S.%fZ}",
    ]
    name, key_id_and_signature = signature_line.removeprefix("— ").rstrip("\n").split(" ")
    raw = base64.b64decode(key_id_and_signature)
    verifier = Verifier.parse(keys.verifier)
    assert name == ORIGIN and len(raw) == 4 + 64 and raw[:4] == verifier.key_id
    public = base64.b64decode(keys.verifier.split("+", 2)[2])
    assert public[:1] == b"\x01"
    assert raw[:4] == hashlib.sha256(ORIGIN.encode() + b"\n" + public).digest()[:4]
    assert open_note(note, verifier).row_count == 2


def test_keys_are_written_private_and_the_verifier_key_is_printed(keys: Keys, tmp_path) -> None:
    path = tmp_path / "new-key.pem"
    call_command("audit_checkpoint", "--generate-key", str(path), stdout=io.StringIO())
    out = io.StringIO()
    call_command("audit_checkpoint", "--public-key", stdout=out)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert out.getvalue().strip() == keys.verifier
    with pytest.raises(CommandError, match="already exists"):
        call_command("audit_checkpoint", "--generate-key", str(path))


def test_the_verifier_key_may_come_from_a_file_and_must_be_consistent(
    checkpointed, keys: Keys, tmp_path
) -> None:
    key_file = tmp_path / "verifier.txt"
    key_file.write_text(keys.verifier + "\n")
    call_command(
        "verify_audit",
        "--checkpoints",
        str(keys.directory),
        "--public-key",
        str(key_file),
        stdout=io.StringIO(),
    )
    name, key_id, public = keys.verifier.split("+", 2)
    with pytest.raises(CheckpointError, match="wrong key id"):
        Verifier.parse(f"{name}+00000000+{public}")


def test_without_a_signing_key_checkpoints_are_off(db: None, settings) -> None:
    settings.AUDIT_SIGNING_KEY_FILE = ""
    add_rows(1)

    with pytest.raises(CommandError, match="Signed checkpoints are off"):
        call_command("audit_checkpoint")


@pytest.mark.django_db(transaction=True)
def test_a_bulk_job_ends_with_a_checkpoint(sandbox, marketing_user, keys: Keys) -> None:
    ref = seed_order(sandbox, referenceId="CHECKPOINT-1")["ref"]
    job = bulk_job_create(
        actor=marketing_user,
        set_pairs={"campaign": "spring"},
        remove_keys=[],
        targets=[(ref, ref)],
        enqueue=False,
    )

    run_bulk_job.call(job_id=str(job.id))

    latest = AuditCheckpoint.objects.get()
    assert latest.row_count == AuditEntry.objects.count() >= 2
    assert (keys.directory / latest.file_name).is_file()


@pytest.mark.django_db(transaction=True)
def test_the_worker_checkpoints_every_interval_and_never_doubles_the_cycle(keys: Keys) -> None:
    add_rows(2)
    assert schedule_audit_checkpoints(delay_s=0) is True
    assert schedule_audit_checkpoints(delay_s=0) is False

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    assert AuditCheckpoint.objects.get().row_count == 2
    waiting = DBTaskResult.objects.get(
        task_path=take_audit_checkpoint.module_path, status=TaskResultStatus.READY
    )
    assert 290 < (waiting.run_after - timezone.now()).total_seconds() <= 300


def test_the_audit_page_says_when_checkpoints_are_off(auditor_client, settings) -> None:
    settings.AUDIT_SIGNING_KEY_FILE = ""

    html = auditor_client.get("/audit/").content.decode()

    assert "Signed checkpoints are off: set AUDIT_SIGNING_KEY_FILE" in html


def test_the_audit_page_shows_the_latest_checkpoint_and_its_verification(
    checkpointed, keys: Keys, auditor_client
) -> None:
    rows, names = checkpointed
    verify_audit_chain.call(actor_id=None)

    html = auditor_client.get("/audit/").content.decode()

    assert f"Latest signed checkpoint: 20 rows up to entry #{rows[-1].pk}" in html
    assert names[1] in html
    assert f"It extends all 2 signed checkpoints in {keys.directory}." in html


def test_the_background_verification_names_a_violated_checkpoint(
    checkpointed, keys: Keys, auditor_client
) -> None:
    rows, names = checkpointed
    delete_rows_after(rows[14])

    assert verify_audit_chain.call(actor_id=None) is False

    verification = ChainVerification.objects.get()
    assert f"Checkpoint {names[1]} is violated" in verification.message
    assert f"Checkpoint {names[1]} is violated" in auditor_client.get("/audit/").content.decode()


def test_the_reseal_entry_reads_as_a_declaration_on_the_audit_pages(
    checkpointed, keys: Keys, auditor_client
) -> None:
    rows, names = checkpointed
    delete_rows_after(rows[14])
    call_command(
        "audit_checkpoint", "--reseal", "--reason", "Restored <b>backup</b>", stdout=io.StringIO()
    )
    reseal = AuditEntry.objects.order_by("-id").first()

    listing = auditor_client.get("/audit/").content.decode()
    detail = auditor_client.get(f"/audit/{reseal.pk}/").content.decode()

    sentence = (
        f"{reseal.actor_username} declared that the trail was restored from a backup: "
        f"rewound from checkpoint {names[1]} to row 15."
    )
    assert sentence in listing and "Declared by an operator" in listing
    assert sentence in detail and "Restored &lt;b&gt;backup&lt;/b&gt;" in detail
