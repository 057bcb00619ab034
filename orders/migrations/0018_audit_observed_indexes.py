"""Partial indexes on observed rows, by action and by resource type.

For the audit list's observed-outcome filter paired with an action, a type or a key.
"""

from django.db import migrations, models


def observed_by(field: str, name: str) -> migrations.AddIndex:
    return migrations.AddIndex(
        model_name="auditentry",
        index=models.Index(
            condition=models.Q(("phase", "observed")),
            fields=[field, "-id"],
            name=f"audit_observed_{name}",
        ),
    )


class Migration(migrations.Migration):
    dependencies = [("orders", "0017_audit_open_intents")]

    operations = [observed_by("action", "action"), observed_by("resource_type", "type")]
