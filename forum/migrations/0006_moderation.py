# Reserved so parallel work chains without merge migrations; filled by the work it is named after.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("forum", "0005_event_kinds")]

    operations = []
