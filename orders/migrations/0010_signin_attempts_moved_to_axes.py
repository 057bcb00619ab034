from django.db import migrations


class Migration(migrations.Migration):
    """Failed sign-ins are counted by django-axes now (orders/signin.py)."""

    dependencies = [
        ("orders", "0009_bulk_order_unresolved"),
    ]

    operations = [
        migrations.DeleteModel(name="SignInAttempt"),
    ]
