"""Event kinds become a registry (forum.timeline.kinds): the column loses its DB choices.

Clears that used to be recorded as their "set" kind with a marker in the data
become their own kinds, so old history reads the same as new.
"""

from django.db import migrations, models


def split_clears(apps, schema_editor):
    Event = apps.get_model("forum", "Event")
    Event.objects.filter(kind="outdated", data__cleared=True).update(kind="outdated_cleared", data={})
    for event in Event.objects.filter(kind="duplicate", data__canonical=None).only("pk", "data"):
        event.kind = "duplicate_cleared"
        event.data = {"previous": event.data.get("previous")}
        event.save(update_fields=["kind", "data"])


def join_clears(apps, schema_editor):
    Event = apps.get_model("forum", "Event")
    Event.objects.filter(kind="outdated_cleared").update(kind="outdated", data={"cleared": True})
    for event in Event.objects.filter(kind="duplicate_cleared").only("pk", "data"):
        event.kind = "duplicate"
        event.data = {"canonical": None, "previous": event.data.get("previous")}
        event.save(update_fields=["kind", "data"])
    Event.objects.filter(kind="vote_withdrawn").update(kind="voted")


class Migration(migrations.Migration):
    dependencies = [('forum', '0013_limits')]

    operations = [
        migrations.AlterField(model_name="event", name="kind", field=models.CharField(max_length=40)),
        migrations.RunPython(split_clears, join_clears),
    ]
