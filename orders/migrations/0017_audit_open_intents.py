"""The intents without an outcome, kept by a trigger, for the audit list's unknown-outcome filter.

The trigger adds each intent as it is inserted and removes it when its outcome is, in the same
transaction, so the table agrees with the trail whoever writes to it. The table is filled
from the trail under a lock that holds writers off until the trigger is in place.

The partial indexes that the filter's range walks read (migrations 0015 and 0016) go: the
walk now reads the open intents instead.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TRACK = """
LOCK TABLE orders_auditentry IN SHARE ROW EXCLUSIVE MODE;

CREATE FUNCTION orders_auditentry_track_open_intents() RETURNS trigger AS $$
BEGIN
    IF NEW.phase = 'intent' THEN
        INSERT INTO orders_openintent (intent_id, actor_id, resource_type)
        VALUES (NEW.id, NEW.actor_id, NEW.resource_type);
    ELSE
        DELETE FROM orders_openintent WHERE intent_id = NEW.intent_id;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER orders_auditentry_open_intents
    AFTER INSERT ON orders_auditentry
    FOR EACH ROW WHEN (NEW.phase IN ('intent', 'outcome'))
    EXECUTE FUNCTION orders_auditentry_track_open_intents();

INSERT INTO orders_openintent (intent_id, actor_id, resource_type)
SELECT i.id, i.actor_id, i.resource_type FROM orders_auditentry i
WHERE i.phase = 'intent'
  AND NOT EXISTS (
      SELECT 1 FROM orders_auditentry o WHERE o.phase = 'outcome' AND o.intent_id = i.id
  );
"""

UNTRACK = """
DROP TRIGGER IF EXISTS orders_auditentry_open_intents ON orders_auditentry;
DROP FUNCTION IF EXISTS orders_auditentry_track_open_intents();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0016_audit_extension_open_intent_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="OpenIntent",
            fields=[
                (
                    "intent",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="orders.auditentry",
                    ),
                ),
                (
                    "actor",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                ("resource_type", models.CharField(max_length=32)),
            ],
            options={
                "indexes": [
                    models.Index(fields=["actor", "-intent"], name="open_intent_actor"),
                    models.Index(fields=["resource_type", "-intent"], name="open_intent_type"),
                ],
            },
        ),
        migrations.RunSQL(TRACK, UNTRACK),
        *(
            migrations.RemoveIndex(model_name="auditentry", name=f"audit_{phase}_{name}")
            for name in ("actor", "type", "ext")
            for phase in ("intent", "outcome")
        ),
    ]
