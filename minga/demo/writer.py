"""Set-based bulk inserts with precomputed ids, on SQLite (executemany) and PostgreSQL (COPY).

The ORM's `bulk_create` builds a model instance per row; at two million rows that alone takes longer
than the insert. Here rows are plain tuples, written through the driver inside the caller's transaction
(Django's connection, so `transaction.atomic` still holds). Column names come from the model's own
metadata, and a missing NOT NULL column is reported by name before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from django.core.management.color import no_style
from django.db import connection, models
from django.db.models import NOT_PROVIDED

Row = Sequence[object]


class BulkWriter:
    """Writes rows straight through the database driver, on the default connection."""

    def __init__(self) -> None:
        connection.ensure_connection()
        self.vendor = connection.vendor
        if self.vendor not in ("sqlite", "postgresql"):
            raise RuntimeError(f"The demo generator supports SQLite and PostgreSQL, not {self.vendor}.")
        self.written: set[type[models.Model]] = set()

    @property
    def utc_suffix(self) -> str:
        """How a UTC datetime is written as text: SQLite keeps naive UTC, PostgreSQL wants an offset."""
        return "" if self.vendor == "sqlite" else "+00"

    def next_id(self, model: type[models.Model]) -> int:
        table = connection.ops.quote_name(model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")
            return int(cursor.fetchone()[0])

    def insert(self, model: type[models.Model], columns: Sequence[str], rows: Iterable[Row]) -> int:
        """Insert `rows` (tuples in `columns` order) into `model`'s table; returns the row count."""
        extra_columns, extra_values = _defaults_for_missing(model, columns)
        if extra_columns:
            columns = [*columns, *extra_columns]
            rows = (tuple(row) + extra_values for row in rows)
        self.written.add(model)
        table = connection.ops.quote_name(model._meta.db_table)
        names = ", ".join(connection.ops.quote_name(c) for c in columns)
        raw = connection.connection
        count = 0
        if self.vendor == "sqlite":
            batch = rows if isinstance(rows, list) else list(rows)
            placeholders = ", ".join("?" for _ in columns)
            cursor = raw.cursor()
            try:
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", batch)
            finally:
                cursor.close()
            return len(batch)
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            write = copy.write_row
            for row in rows:
                write(row)
                count += 1
        return count

    def finish(self) -> None:
        """Move PostgreSQL's id sequences past the ids we chose (SQLite's AUTOINCREMENT follows by itself)."""
        if self.vendor != "postgresql" or not self.written:
            return
        statements = connection.ops.sequence_reset_sql(no_style(), sorted(self.written, key=str))
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)

    @contextmanager
    def bulk_load(self, *models_: type[models.Model]) -> Iterator[None]:
        """Drop the secondary indexes of these tables for the load and build them again afterwards; on
        PostgreSQL also their foreign keys, checked again in one pass when they are added back.

        Building an index from all the rows once is much cheaper than millions of random-order inserts
        into it (names are the worst), and one anti-join checks a foreign key far faster than a
        deferred trigger per row. All of it runs inside the caller's transaction, so a failure rolls
        back to the original schema; rows that break a unique index or a foreign key fail loudly when
        it is rebuilt. Constraint-backed indexes (primary keys, inline UNIQUE) stay. While the
        transaction lasts, these tables are locked for other writers (and on PostgreSQL for readers).
        """
        rebuild: list[str] = []
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                # ALTER TABLE refuses to run while deferred FK checks are pending (here or on a
                # referenced table): run the pending ones now.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for model in models_:
                table = model._meta.db_table
                quoted = connection.ops.quote_name(table)
                if self.vendor == "sqlite":
                    cursor.execute(
                        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                        "AND sql IS NOT NULL",
                        [table],
                    )
                    for name, sql in cursor.fetchall():
                        cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
                        rebuild.append(sql)
                    continue
                cursor.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = %s::regclass AND contype = 'f'",
                    [table],
                )
                for name, definition in cursor.fetchall():
                    cursor.execute(f"ALTER TABLE {quoted} DROP CONSTRAINT {connection.ops.quote_name(name)}")
                    rebuild.append(
                        f"ALTER TABLE {quoted} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}"
                    )
                cursor.execute(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                    "AND tablename = %s AND indexname NOT IN (SELECT conname FROM pg_constraint)",
                    [table],
                )
                for name, sql in cursor.fetchall():
                    cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
                    rebuild.insert(0, sql)  # indexes first: the foreign key checks use them
        yield
        with connection.cursor() as cursor:
            if self.vendor == "postgresql" and rebuild:
                # CREATE INDEX refuses to run while deferred FK checks are pending on the table.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for sql in rebuild:
                cursor.execute(sql)
            if self.vendor == "postgresql" and rebuild:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    def tune_for_load(self, *, cache_kib: int) -> None:
        """A page cache big enough to hold the whole load (SQLite): a spilled page goes to the WAL again
        at every spill, and random-order index inserts (names) would otherwise spill constantly."""
        if self.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size=-{int(cache_kib)}")

    def restore(self) -> None:
        if self.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size=-64000")


def _defaults_for_missing(
    model: type[models.Model], columns: Sequence[str]
) -> tuple[list[str], tuple[object, ...]]:
    """Columns the caller does not fill, with their default (so a field added later with a default
    does not break the generator), or a clear error for a NOT NULL column with none."""
    fields = {f.column: f for f in model._meta.concrete_fields}
    unknown = [c for c in columns if c not in fields]
    if unknown:
        raise RuntimeError(f"{model._meta.label}: no such columns {unknown}")
    extra_columns: list[str] = []
    extra_values: list[object] = []
    missing: list[str] = []
    for column, field in fields.items():
        assert column is not None
        if column in columns or field.primary_key or field.db_default is not NOT_PROVIDED:
            continue
        if field.has_default():
            extra_columns.append(column)
            extra_values.append(field.get_db_prep_save(field.get_default(), connection))
        elif not field.null:
            missing.append(column)
    if missing:
        raise RuntimeError(
            f"{model._meta.label} has NOT NULL columns without a default that the demo generator does not "
            f"fill: {missing}. Teach minga/demo/generate.py about them."
        )
    return extra_columns, tuple(extra_values)
