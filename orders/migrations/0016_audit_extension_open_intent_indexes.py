"""Extension intents by id and their outcomes by intent, for the unknown-outcome filter with a
key: the two sides of a range come out in one id order each, and are merged."""

from django.conf import settings
from django.db import migrations, models

EXTENSION_TYPES = ("order_extension", "order_item_extension")


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0015_audit_open_intent_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(
                condition=models.Q(("phase", phase), ("resource_type__in", EXTENSION_TYPES)),
                fields=[key],
                name=f"audit_{phase}_ext",
            ),
        )
        for phase, key in (("intent", "id"), ("outcome", "intent"))
    ]
