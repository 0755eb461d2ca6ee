"""The full-text index over passages, one per database vendor.

- SQLite: an FTS5 table `learning_passage_fts` (rowid = passage id; Porter stemming, accents folded),
  written by `minga.learning.indexing` whenever passages are written.
- PostgreSQL: a generated tsvector column `search_vector` (title and heading weighted above the text)
  with a GIN index; the database keeps it in step by itself.
"""

from django.db import migrations

SQLITE_UP = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS learning_passage_fts USING fts5("
    "title, heading, text, tags, collective UNINDEXED, tokenize = 'porter unicode61 remove_diacritics 2')"
)
SQLITE_DOWN = "DROP TABLE IF EXISTS learning_passage_fts"
POSTGRES_UP = [
    "ALTER TABLE learning_passage ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english', coalesce(heading, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce(text, '')), 'C') || "
    "setweight(to_tsvector('simple', coalesce(tags, '')), 'B')) STORED",
    "CREATE INDEX learning_passage_search_idx ON learning_passage USING GIN (search_vector)",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS learning_passage_search_idx",
    "ALTER TABLE learning_passage DROP COLUMN IF EXISTS search_vector",
]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_UP)
    elif vendor == "postgresql":
        for statement in POSTGRES_UP:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_DOWN)
    elif vendor == "postgresql":
        for statement in POSTGRES_DOWN:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("learning", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
