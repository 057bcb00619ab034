"""Partial indexes on observed rows, for the observed-outcome filter paired with an action, a type or a key."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0017_audit_open_intents"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(
                condition=models.Q(("phase", "observed")),
                fields=["action", "-id"],
                name="audit_observed_action",
            ),
        ),
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(
                condition=models.Q(("phase", "observed")),
                fields=["resource_type", "-id"],
                name="audit_observed_type",
            ),
        ),
    ]
