"""Full-text search structures that differ by database (see forum/search.py)."""

from django.db import migrations

POSTGRES_FORWARD = "CREATE INDEX IF NOT EXISTS thread_search ON forum_thread USING gin (search_vector)"
POSTGRES_BACKWARD = "DROP INDEX IF EXISTS thread_search"
SQLITE_FORWARD = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS forum_thread_fts USING fts5("
    "title, question, answers, tokenize = 'porter unicode61 remove_diacritics 2')"
)
SQLITE_BACKWARD = "DROP TABLE IF EXISTS forum_thread_fts"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD)
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_BACKWARD)
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("forum", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
