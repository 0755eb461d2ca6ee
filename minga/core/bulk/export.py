"""Exports: one way to turn a record type's rows into a CSV or JSON-lines stream, or an XLSX workbook.

The web page, the API and the CLI all export through `Export`, so they give the same bytes for the same
user and filters. CSV has up to three routes, fastest first, chosen per record type and database:

1. on PostgreSQL, a record type may give one SELECT of its CSV cells (`RecordType.export_csv_copy`): the
   server runs it as `COPY (…) TO STDOUT (FORMAT csv)` and writes the file itself, so Python only
   passes bytes along;
2. a record type may give its rows with their cells already joined (`RecordType.export_csv_joined`:
   people on SQLite, where the database joins them): `stream_joined` looks at a whole block of rows at
   once and, when no cell needs quoting or neutralising, writes it with two byte translations, so
   Python does next to nothing per row;
3. otherwise `export_rows` is written cell by cell (`formats.stream_csv` converts and neutralises).
All give the same table (tests compare them on the same records), and routes 2 and 3 the same bytes.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import IO, Any

from django.db import connection

from minga.core.bulk import formats
from minga.core.bulk.spec import RecordType
from minga.core.bulk.sql import is_postgres
from minga.core.models import Collective

_COPY_BLOCK = 256 * 1024  # bytes handed on at a time from a COPY stream

# `export_csv_joined` joins a row's cells with a byte that UTF-8 text never holds, and `stream_joined`
# a block's rows with another, so a cell can never be mistaken for a joint.
JOIN_BYTE = b"\xff"
_ROW_BYTE = b"\xfe"


def _look_table() -> bytes:
    """What `stream_joined` maps a block through to find, in one search each, a cell csv.writer would
    quote (its bytes → 2) and a cell that `formats.neutralise` may change (its first characters → 1,
    row joints → cell joints, so that "a joint then 1" finds them all)."""
    table = bytearray(range(256))
    for byte in "".join(formats.NEUTRALISE_FIRST).encode():
        table[byte] = 1
    for byte in b'",\r\n':  # the delimiter, the quote and the line ends: what makes csv.writer quote
        table[byte] = 2
    table[_ROW_BYTE[0]] = JOIN_BYTE[0]
    return bytes(table)


_LOOK = _look_table()
_WRITE = bytes.maketrans(JOIN_BYTE, b",")


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

    def _counted_blocks(self, blocks: Iterable[Sequence[bytes]]) -> Iterator[Sequence[bytes]]:
        for block in blocks:
            self.rows += len(block)
            yield block

    def csv(self) -> Iterator[bytes]:
        headers = self.headers
        if is_postgres():
            query = self.record_type.export_csv_copy(**self._scope())
            if query is not None:
                yield from self._copy(headers, *query)
                return
        joined = self.record_type.export_csv_joined(**self._scope())
        if joined is not None:
            yield from stream_joined(headers, self._counted_blocks(joined))
            return
        yield from formats.stream_csv(headers, self._counted(self.record_type.export_rows(**self._scope())))

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


def stream_joined(headers: Sequence[str], blocks: Iterable[Sequence[bytes]]) -> Iterator[bytes]:
    """The CSV `formats.stream_csv` writes, byte for byte, of rows given as their cells' UTF-8 joined by
    `JOIN_BYTE` (`RecordType.export_csv_joined`), a block at a time: a block in which no cell holds a
    delimiter, a quote or a line end, nor starts with a character `neutralise` may act on, is written as
    it is with its joints made commas; otherwise its rows are looked at one by one."""
    yield codecs.BOM_UTF8 + formats.csv_line(headers).encode()
    for rows in blocks:
        if not rows:
            continue
        block = _ROW_BYTE.join(rows)
        if _needs_a_look(block):
            yield _careful(rows)
        else:
            yield block.translate(_WRITE).replace(_ROW_BYTE, b"\r\n") + b"\r\n"


def _careful(rows: Iterable[bytes]) -> bytes:
    """Rows of a block that needs a closer look: each written as it is when it can be, else through
    csv.writer with its cells neutralised as `formats.stream_csv` does."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    suspect = formats.NEUTRALISE_FIRST
    parts: list[bytes] = []
    for row in rows:
        if _needs_a_look(row):
            cells = [cell.decode() for cell in row.split(JOIN_BYTE)]
            writer.writerow([formats.neutralise(c) if c[:1] in suspect else c for c in cells])
            parts.append(buffer.getvalue().encode())
            buffer.seek(0)
            buffer.truncate()
        else:
            parts.append(row.translate(_WRITE) + b"\r\n")
    return b"".join(parts)


def _needs_a_look(joined: bytes) -> bool:
    """Whether a row or block holds a cell csv.writer would quote or `neutralise` may change (or, rarely,
    a control character that merely looks like one of those marks)."""
    looked = joined.translate(_LOOK)
    return b"\x02" in looked or JOIN_BYTE + b"\x01" in looked or looked[:1] == b"\x01"
