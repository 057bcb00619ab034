from django.db import migrations


class Migration(migrations.Migration):
    """Failed sign-ins are counted by django-axes now (orders/signin.py)."""

    dependencies = [
        ("orders", "0011_audit_read_phase"),
    ]

    operations = [
        migrations.DeleteModel(name="SignInAttempt"),
    ]
