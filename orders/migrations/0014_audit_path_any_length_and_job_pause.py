from django.db import migrations, models


class Migration(migrations.Migration):
    """Audit rows keep field-delete paths of any length; a bulk job can say it is paused."""

    dependencies = [
        ("orders", "0013_identity_group_mappings"),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditentry",
            name="cdp_path",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="bulkjob",
            name="paused_until",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
