"""The inbox sorts by a stored me-too count; indexes for the inbox's sorts and the vendor page's windows."""

from django.db import migrations, models
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce


def fill_metoo_counts(apps, schema_editor) -> None:
    """Each escalation gets its thread's me-too count, in one UPDATE (the actions keep it from here on)."""
    Escalation = apps.get_model("swarm", "Escalation")
    MeToo = apps.get_model("swarm", "MeToo")
    per_thread = MeToo.objects.filter(thread=OuterRef("thread")).values("thread").annotate(n=Count("pk")).values("n")
    Escalation.objects.update(metoo_count=Coalesce(Subquery(per_thread, output_field=IntegerField()), Value(0)))


class Migration(migrations.Migration):
    dependencies = [("swarm", "0008_hours")]

    operations = [
        migrations.AddField(
            model_name="escalation",
            name="metoo_count",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.RunPython(fill_metoo_counts, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="escalation",
            index=models.Index(fields=["vendor", "created_at"], name="escalation_window"),
        ),
        migrations.AddIndex(
            model_name="escalation",
            index=models.Index(
                fields=["vendor", "state", "-metoo_count", "customer_posted_at"], name="escalation_metoo"
            ),
        ),
        migrations.AddIndex(
            model_name="escalation",
            index=models.Index(fields=["vendor", "state", "customer_posted_at"], name="escalation_waiting"),
        ),
    ]
