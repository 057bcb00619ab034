"""The audit table is append-only in PostgreSQL and its hash chain catches tampering."""

from __future__ import annotations

import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction

from orders.audit import GENESIS_HASH, append_entry, verify_table
from orders.models import AuditEntry

pytestmark = pytest.mark.integration


def add_entry(n: int = 0, **extra: object) -> AuditEntry:
    fields = {
        "action": "orders.order.patch",
        "phase": AuditEntry.Phase.INTENT,
        "resource_type": "order",
        "resource_ref": f"00000000-0000-4000-8000-{n:012d}",
        "method": "PATCH",
        "before": {"price": 0, "status": "PENDING"},
        "request_payload": {"price": False, "label": "Größe ✓"},
    }
    fields.update(extra)
    return append_entry(**fields)


def test_rows_are_chained_from_genesis(db: None) -> None:
    first, second = add_entry(1), add_entry(2)

    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert verify_table().ok
    assert verify_table().rows_checked == 2


def test_values_keep_their_json_types_after_a_reload(db: None) -> None:
    entry = add_entry(1, after={"loyaltyTier": 9.0, "flag": False, "zero": 0, "text": "9"})

    reloaded = AuditEntry.objects.get(pk=entry.pk)

    assert reloaded.after == {"loyaltyTier": 9.0, "flag": False, "zero": 0, "text": "9"}
    assert type(reloaded.after["loyaltyTier"]) is float
    assert type(reloaded.after["flag"]) is bool
    assert verify_table().ok


def test_credentials_in_payloads_are_masked(db: None) -> None:
    entry = add_entry(1, request_payload={"apiToken": "s3cret", "Authorization": "Basic x"})

    assert entry.request_payload == {"apiToken": "********", "Authorization": "********"}


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE orders_auditentry SET action = 'orders.order.delete'",
        "DELETE FROM orders_auditentry",
    ],
)
def test_trigger_refuses_update_and_delete(db: None, statement: str) -> None:
    add_entry(1)

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        connection.cursor().execute(statement)

    assert AuditEntry.objects.count() == 1


def test_orm_update_and_delete_are_refused(db: None) -> None:
    entry = add_entry(1)

    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(error_message="edited")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()

    assert AuditEntry.objects.get(pk=entry.pk).error_message == ""


def test_trigger_refuses_truncate(db: None) -> None:
    add_entry(1)

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        cursor = connection.cursor()
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET LOCAL cdpadmin.allow_audit_truncate = 'off'")
        cursor.execute("TRUNCATE orders_auditentry CASCADE")

    assert AuditEntry.objects.count() == 1


def tamper(sql: str, params: list[object]) -> None:
    """Change a row behind the trigger's back, as someone with DDL rights could."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE orders_auditentry DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE orders_auditentry ENABLE TRIGGER USER")


def test_verify_audit_names_the_first_tampered_row(db: None) -> None:
    entries = [add_entry(n) for n in range(5)]
    call_command("verify_audit")

    tamper(
        "UPDATE orders_auditentry SET error_message = 'nothing happened' WHERE id = %s",
        [entries[2].pk],
    )

    with pytest.raises(CommandError, match=rf"row 3 \(entry id {entries[2].pk}\)"):
        call_command("verify_audit")


def test_verify_audit_catches_a_deleted_row(db: None) -> None:
    entries = [add_entry(n) for n in range(4)]

    tamper("DELETE FROM orders_auditentry WHERE id = %s", [entries[1].pk])

    report = verify_table()
    assert report.first_break is not None
    assert report.first_break.entry_id == entries[2].pk
    assert "previous-hash" in report.first_break.reason


def test_a_type_only_change_breaks_the_chain(db: None) -> None:
    entry = add_entry(1, after={"flag": 0})

    tamper("UPDATE orders_auditentry SET after = '{\"flag\": false}' WHERE id = %s", [entry.pk])

    assert verify_table().first_break is not None


def test_concurrent_writers_keep_one_valid_chain(transactional_db: None) -> None:
    errors: list[BaseException] = []

    def writer(worker: int) -> None:
        try:
            for n in range(10):
                add_entry(worker * 100 + n)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    report = verify_table()
    assert report.ok
    assert report.rows_checked == 40
