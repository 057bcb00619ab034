"""GIN indexes so the audit trail's extension-key filter stays fast at a million rows.

Partial on the extension resource types, which is the only place the filter looks, so the
indexes stay small.
"""

from django.db import migrations

COLUMNS = ("request_payload", "before", "after")
WHERE = "resource_type IN ('order_extension', 'order_item_extension')"


def create_indexes(apps, schema_editor):
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS audit_ext_{column}_gin "
            f'ON orders_auditentry USING gin ("{column}") WHERE {WHERE}'
        )


def drop_indexes(apps, schema_editor):
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS audit_ext_{column}_gin")


class Migration(migrations.Migration):
    dependencies = [("orders", "0004_jobs_and_verifications")]
    operations = [migrations.RunPython(create_indexes, drop_indexes)]
