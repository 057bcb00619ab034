"""Partial indexes on intents and outcomes, for the audit list's unknown-outcome filter."""

from django.conf import settings
from django.db import migrations, models


def by(field: str, name: str) -> list[migrations.AddIndex]:
    return [
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(
                condition=models.Q(("phase", phase)),
                fields=[field, key],
                name=f"audit_{phase}_{name}",
            ),
        )
        for phase, key in (("intent", "id"), ("outcome", "intent"))
    ]


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0014_audit_path_any_length_and_job_pause"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(
                condition=models.Q(("phase", "outcome")),
                fields=["intent"],
                name="audit_outcome_intent",
            ),
        ),
        *by("actor", "actor"),
        *by("resource_type", "type"),
    ]
