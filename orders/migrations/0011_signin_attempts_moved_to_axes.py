from django.db import migrations


class Migration(migrations.Migration):
    """Failed sign-ins are counted by django-axes now (orders/signin.py)."""

    dependencies = [
        ("orders", "0010_audit_filter_pair_indexes"),
    ]

    operations = [
        migrations.DeleteModel(name="SignInAttempt"),
    ]
