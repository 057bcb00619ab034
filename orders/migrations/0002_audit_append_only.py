"""Make the audit table append-only in PostgreSQL.

UPDATE and DELETE are always refused. TRUNCATE is refused unless the session has set
`cdpadmin.allow_audit_truncate` to `on`, which only the test harness does (Django's test
flush truncates every table between transactional tests).
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION orders_auditentry_refuse_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'TRUNCATE'
       AND coalesce(current_setting('cdpadmin.allow_audit_truncate', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION USING
        MESSAGE = 'orders_auditentry is append-only: ' || TG_OP || ' refused',
        ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER orders_auditentry_no_update_delete
    BEFORE UPDATE OR DELETE ON orders_auditentry
    FOR EACH ROW EXECUTE FUNCTION orders_auditentry_refuse_change();

CREATE TRIGGER orders_auditentry_no_truncate
    BEFORE TRUNCATE ON orders_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION orders_auditentry_refuse_change();
"""

DROP = """
DROP TRIGGER IF EXISTS orders_auditentry_no_truncate ON orders_auditentry;
DROP TRIGGER IF EXISTS orders_auditentry_no_update_delete ON orders_auditentry;
DROP FUNCTION IF EXISTS orders_auditentry_refuse_change();
"""


def create_triggers(apps, schema_editor):
    schema_editor.execute(CREATE)


def drop_triggers(apps, schema_editor):
    schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]
    operations = [migrations.RunPython(create_triggers, drop_triggers)]
