"""Exports: one way to turn a record type's rows into a CSV or JSON-lines stream, or an XLSX workbook.

The web page, the API and the CLI all export through `Export`, so they give the same bytes for the same
user and filters. CSV has up to three routes, fastest first, chosen per record type and database:

1. on PostgreSQL, a record type may give one SELECT of its CSV cells (`RecordType.export_csv_copy`): the
   server runs it as `COPY (…) TO STDOUT (FORMAT csv)` and writes the file itself, so Python only
   passes bytes along (people: several hundred thousand rows a second);
2. a record type may give rows already fit for CSV (`RecordType.export_csv_rows`: text, formula cells
   neutralised, or None), written by `csv.writer` without looking at each cell;
3. otherwise `export_rows` is written cell by cell (`formats.stream_csv` converts and neutralises).
All three give the same table (tests compare them on the same records).
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import IO, Any

from django.db import connection

from minga.core.bulk import formats
from minga.core.bulk.spec import RecordType
from minga.core.bulk.sql import is_postgres
from minga.core.models import Collective

_COPY_BLOCK = 256 * 1024  # bytes handed on at a time from a COPY stream


class Export:
    """The records of `record_type` that `actor` may see in `collective`, with a list's `filters`.

    Iterate `csv()` or `jsonl()` for the file's bytes (streamed: flat memory), or call `xlsx(handle)`;
    `rows` then says how many data rows were written."""

    def __init__(
        self, record_type: RecordType, *, actor: Any, collective: Collective, filters: Mapping[str, str]
    ) -> None:
        self.record_type = record_type
        self.actor = actor
        self.collective = collective
        self.filters = filters
        self.rows = 0

    @property
    def headers(self) -> list[str]:
        return self.record_type.export_headers(
            actor=self.actor, collective=self.collective, filters=self.filters
        )

    def _scope(self) -> dict[str, Any]:
        return {"actor": self.actor, "collective": self.collective, "filters": self.filters}

    def _counted(self, rows: Iterable[Sequence[Any]]) -> Iterator[Sequence[Any]]:
        for row in rows:
            self.rows += 1
            yield row

    def csv(self) -> Iterator[bytes]:
        headers = self.headers
        if is_postgres():
            query = self.record_type.export_csv_copy(**self._scope())
            if query is not None:
                yield from self._copy(headers, *query)
                return
        ready = self.record_type.export_csv_rows(**self._scope())
        if ready is not None:
            yield from formats.stream_csv(headers, self._counted(ready), ready=True)
        else:
            yield from formats.stream_csv(
                headers, self._counted(self.record_type.export_rows(**self._scope()))
            )

    def jsonl(self) -> Iterator[bytes]:
        yield from formats.stream_jsonl(
            self.headers, self._counted(self.record_type.export_rows(**self._scope()))
        )

    def xlsx(self, handle: IO[bytes]) -> None:
        """Write the workbook to `handle` (a file it can seek in); `BulkFileError` past a sheet's rows."""
        rows = self._counted(self.record_type.export_rows(**self._scope()))
        formats.write_xlsx(self.headers, rows, handle, title=self.record_type.label)

    def _copy(self, headers: list[str], sql: str, params: Sequence[Any]) -> Iterator[bytes]:
        """The header row as `stream_csv` writes it, then the server's own CSV of the query's rows."""
        yield codecs.BOM_UTF8 + formats.csv_line(headers, terminator="\n").encode()  # COPY ends lines so
        connection.ensure_connection()
        with connection.connection.cursor() as cursor:  # the driver's own: Django's wrapper has no copy()
            statement = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)"
            with cursor.copy(statement, params) as copy:
                pending = bytearray()
                for block in copy:
                    pending += block
                    if len(pending) >= _COPY_BLOCK:
                        yield bytes(pending)
                        pending.clear()
                if pending:
                    yield bytes(pending)
            self.rows += max(cursor.rowcount, 0)
