"""Set-based SQL for bulk paths, written once for SQLite and PostgreSQL.

Bulk imports never save() row by row: they look rows up with one `IN` query per chunk and write with
`executemany` (SQLite) or `COPY` (PostgreSQL), which is what "a raw insert" costs; see bench/.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def in_list(column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
    """`column IN (…)` as SQL and parameters; one array parameter on PostgreSQL."""
    if is_postgres():
        return f"{column} = ANY(%s)", [list(values)]
    if not values:
        return "1 = 0", []
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def utc_day(column: str) -> str:
    """SQL for the UTC day of a datetime column as "YYYY-MM-DD" text (NULL stays NULL), read without the
    driver's datetime conversion. SQLite stores UTC as "YYYY-MM-DD HH:MM:SS…" text."""
    if is_postgres():
        return f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')"
    return f"substr({column}, 1, 10)"


def json_text(column: str) -> str:
    """SQL for a JSON column as its text, on both databases (PostgreSQL would decode `jsonb`)."""
    return f"{column}::text" if is_postgres() else column


def select(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def insert_rows(table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert `rows` into `table`: COPY on PostgreSQL, one executemany on SQLite."""
    if not rows:
        return
    with connection.cursor() as cursor:
        if is_postgres():
            names = ", ".join(columns)
            # COPY goes through the raw psycopg cursor: turn its errors into Django's (IntegrityError…),
            # as for every other query, so callers catch one kind of database error.
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def update_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """UPDATE `table` SET columns… WHERE id = last value of each row."""
    rows = list(rows)
    if not rows:
        return
    assignments = ", ".join(f"{c} = %s" for c in columns)
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {assignments} WHERE id = %s", rows)


def allocate_ids(table: str, count: int) -> list[int]:
    """Reserve `count` primary keys for rows about to be inserted, so a bulk insert needs no read-back.

    PostgreSQL hands them out from the table's sequence (safe under concurrency). SQLite has one writer
    at a time and Django opens its transactions IMMEDIATE, so inside the caller's transaction nobody
    else can insert: the ids after the highest ever used (AUTOINCREMENT's `sqlite_sequence`) are ours.
    Must be called inside `transaction.atomic()`."""
    if count <= 0:
        return []
    with connection.cursor() as cursor:
        if is_postgres():
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count]
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        highest = cursor.fetchone()[0]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        start = max(highest, row[0] if row else 0) + 1
        return list(range(start, start + count))
