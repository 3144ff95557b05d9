"""Vendors' service accounts: the identity their API keys act as (docs/api.md)."""

import django.db.models.deletion
from django.db import migrations, models


def service_accounts_for_vendors_with_keys(apps, schema_editor) -> None:
    """Existing keys keep working: each vendor that has one gets its service account."""
    User = apps.get_model("forum", "User")
    Vendor = apps.get_model("forum", "Vendor")
    for vendor in Vendor.objects.filter(api_keys__isnull=False).distinct():
        if User.objects.filter(service_vendor=vendor).exists():
            continue
        base = f"{vendor.handle}+api"
        username, n = base, 1
        while User.objects.filter(username__iexact=username).exists():
            n += 1
            username = f"{base}{n}"
        User.objects.create(
            username=username, display_name=f"{vendor.name} (API)"[:80], password="!", service_vendor=vendor
        )


class Migration(migrations.Migration):
    dependencies = [
        ('forum', '0012_figures'),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="service_vendor",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="service_account",
                to="forum.vendor",
            ),
        ),
        migrations.RunPython(service_accounts_for_vendors_with_keys, migrations.RunPython.noop),
    ]
