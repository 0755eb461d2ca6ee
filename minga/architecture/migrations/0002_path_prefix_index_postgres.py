"""On PostgreSQL a prefix LIKE uses a btree index only with the pattern operator class."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS group_path_prefix_idx "
            "ON architecture_group (path varchar_pattern_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS group_path_prefix_idx")


class Migration(migrations.Migration):
    dependencies = [("architecture", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
