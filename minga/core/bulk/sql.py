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
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:  # type: ignore[attr-defined]
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
