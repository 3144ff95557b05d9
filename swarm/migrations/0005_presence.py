# Presence moved to Redis (or process memory): no row per connection, no write per ping.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('swarm', '0004_figures'),
    ]

    operations = [
        migrations.DeleteModel(name='Presence'),
    ]
