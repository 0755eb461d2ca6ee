"""Reading uploaded tables (CSV, XLSX, JSON lines) and writing exported ones.

Readers stream: a million-row CSV is never held in memory. Every problem with the file as a whole (empty,
damaged, not text, wrong encoding) is a `BulkFileError` carrying a plain-language `Problem`.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from minga.core.errors import Problem

FORMATS = ("csv", "xlsx", "jsonl")
EXPORT_FORMATS = ("csv", "xlsx", "json")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/x-ndjson; charset=utf-8",
}
EXTENSIONS = {"csv": "csv", "xlsx": "xlsx", "json": "jsonl"}
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, less the header row
# A cell beginning with one of these is run as a formula by spreadsheet programs ("=cmd|' /C calc'!A0").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_SNIFF_BYTES = 64 * 1024
_DELIMITERS = ",;\t|"
_UNDECODED = re.compile("[\udc80-\udcff]")  # bytes that did not decode, kept by "surrogateescape"
csv.field_size_limit(16 * 1024 * 1024)  # huge cells are reported per row by the runner, not as a crash


class BulkFileError(Exception):
    """The file can't be read as a table at all. Nothing is imported."""

    def __init__(self, code: str, message: str) -> None:
        self.problem = Problem(code=code, message=message)
        super().__init__(message)


def neutralise(value: str) -> str:
    """Stop a spreadsheet from running a text cell as a formula: prefix it with an apostrophe.

    Text that already looks neutralised ("'=x": apostrophes, then a trigger) gets one more apostrophe,
    so that `unneutralise` gives it back as it was."""
    if value.startswith(FORMULA_TRIGGERS) or (
        value[:1] == "'" and value.lstrip("'").startswith(FORMULA_TRIGGERS)
    ):
        return "'" + value
    return value


# First characters of the text `neutralise` may change (a trigger, or an apostrophe before one).
NEUTRALISE_FIRST = frozenset("".join(FORMULA_TRIGGERS) + "'")


def unneutralise(value: str) -> str:
    """Undo `neutralise`, so an exported file re-imports to the same values (round trip)."""
    if value[:1] == "'" and value.lstrip("'").startswith(FORMULA_TRIGGERS):
        return value[1:]
    return value


@dataclass
class Table:
    """An opened file: its header cells and a stream of (row number, cells) with the header as row 1."""

    headers: list[str]
    rows: Iterator[tuple[int, list[str]]]
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    warnings: list[str] = field(default_factory=list)
    _size: int = 0
    _handle: IO[Any] | None = None

    def fraction_read(self) -> float | None:
        """How far through the file the reader is (0 to 1), for progress bars; None when unknown."""
        if self._handle is None or not self._size:
            return None
        try:
            return min(1.0, self._handle.buffer.tell() / self._size)  # type: ignore[attr-defined]
        except (AttributeError, ValueError, OSError):
            return None

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()


def detect_format(path: Path, name: str = "") -> str:
    """The format from the file name's extension, else from its first bytes."""
    suffix = Path(name or path.name).suffix.lower().lstrip(".")
    if suffix in ("csv", "tsv", "txt"):
        return "csv"
    if suffix in ("xlsx", "xlsm"):
        return "xlsx"
    if suffix in ("jsonl", "ndjson", "json"):
        return "jsonl"
    with path.open("rb") as handle:
        head = handle.read(64)
    if head.startswith(b"PK"):
        return "xlsx"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return "jsonl"
    return "csv"


def open_table(
    path: Path, *, format: str | None = None, encoding: str | None = None, delimiter: str | None = None
) -> Table:
    """Open `path` as a table. Raises BulkFileError for a file that can't be read as one."""
    size = path.stat().st_size
    if size == 0:
        raise BulkFileError("empty_file", "The file is empty.")
    fmt = format or detect_format(path)
    if fmt == "xlsx":
        return _open_xlsx(path)
    if fmt not in ("csv", "jsonl"):
        raise BulkFileError("unknown_format", f"Unknown format {fmt!r}: use CSV, XLSX or JSON lines.")
    chosen = encoding or _detect_encoding(path)
    warnings = []
    if encoding is None and chosen == "cp1252":
        warnings.append(
            "The file is not UTF-8; it was read as Windows-1252 (Latin). Check accented letters in the "
            "preview, or save the file as UTF-8."
        )
    try:
        codecs.lookup(chosen)
    except LookupError:
        raise BulkFileError("unknown_encoding", f"Unknown text encoding {chosen!r}.") from None
    handle = path.open("r", encoding=chosen, newline="")
    try:
        table = _open_jsonl(handle) if fmt == "jsonl" else _open_csv(handle, delimiter)
    except BaseException:
        handle.close()
        raise
    table.encoding, table._size, table._handle = chosen, size, handle
    table.warnings.extend(warnings)
    return table


def _detect_encoding(path: Path) -> str:
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        raise BulkFileError(
            "not_text", "This is not a text file: CSV and JSON lines files must be text (UTF-8 preferred)."
        )
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=False)  # a character cut at the end of the sample is not an error
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1252"


def _open_csv(handle: IO[str], delimiter: str | None) -> Table:
    try:
        sample = handle.read(_SNIFF_BYTES)
    except UnicodeDecodeError as error:
        raise _decode_or_csv_error(error, 1, handle, delimiter or ",") from None
    handle.seek(0)
    if not sample.strip():
        raise BulkFileError("empty_file", "The file is empty.")
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
        except csv.Error:
            first_line = sample.splitlines()[0]
            delimiter = max(_DELIMITERS, key=first_line.count)
    reader = csv.reader(handle, delimiter=delimiter)
    try:
        headers = next(reader)
    except StopIteration:
        raise BulkFileError("empty_file", "The file is empty.") from None
    except (csv.Error, UnicodeDecodeError) as error:
        raise _decode_or_csv_error(error, 1, handle, delimiter) from None

    def rows() -> Iterator[tuple[int, list[str]]]:
        number = 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except (csv.Error, UnicodeDecodeError) as error:
                raise _decode_or_csv_error(error, number + 1, handle, delimiter) from None
            number += 1
            if cells and "".join(cells).strip():
                yield number, cells

    return Table(headers=headers, rows=rows(), format="csv", delimiter=delimiter)


def _decode_or_csv_error(error: Exception, row: int, handle: IO[str], delimiter: str | None) -> BulkFileError:
    if isinstance(error, UnicodeDecodeError):
        return _wrong_encoding(error, handle, delimiter, row)
    return BulkFileError("malformed_csv", f"Row {row}: the CSV is malformed ({error}).")


def _wrong_encoding(
    error: UnicodeDecodeError, handle: IO[str], delimiter: str | None, fallback: int
) -> BulkFileError:
    """The text is decoded a block at a time, ahead of the row being read: read the file again, keeping
    the bytes that don't decode as stand-ins, to name the row (and column) where they really are."""
    row, column = fallback, None
    try:
        encoding = getattr(handle, "encoding", None) or "utf-8"
        with open(handle.name, encoding=encoding, errors="surrogateescape", newline="") as again:
            records = csv.reader(again, delimiter=delimiter) if delimiter else ([line] for line in again)
            for number, cells in enumerate(records, start=1):
                bad = next((i for i, cell in enumerate(cells) if _UNDECODED.search(cell)), None)
                if bad is not None:
                    row, column = number, (bad + 1 if delimiter else None)
                    break
    except (OSError, csv.Error, UnicodeError, TypeError):
        pass  # keep the row the reader had reached
    where = f"Row {row}" + (f", column {column}" if column else "")
    return BulkFileError(
        "wrong_encoding",
        f"{where}: the text can't be read as {error.encoding}. Save the file as UTF-8 "
        "(or choose its encoding) and upload it again.",
    )


def _open_jsonl(handle: IO[str]) -> Table:
    """JSON lines: one object per line; its keys are the columns (those of the first 100 objects).

    Rows are numbered as the file's lines (there is no header line), so "row 7" is line 7."""
    headers: dict[str, None] = {}
    try:
        for index, line in enumerate(handle):
            if index >= 100:
                break
            try:
                obj = json.loads(line) if line.strip() else None
            except json.JSONDecodeError:
                continue  # reported as a bad row when reached
            if isinstance(obj, dict):
                headers.update(dict.fromkeys(obj))
    except UnicodeDecodeError as error:
        raise _wrong_encoding(error, handle, None, 1) from None
    handle.seek(0)
    if not headers:
        raise BulkFileError("not_jsonl", "No JSON object found: a JSON lines file has one {…} per line.")
    columns = list(headers)

    def rows() -> Iterator[tuple[int, list[str]]]:
        lines = enumerate(handle, start=1)
        number = 0
        while True:
            try:
                number, line = next(lines)
            except StopIteration:
                return
            except UnicodeDecodeError as error:
                raise _wrong_encoding(error, handle, None, number + 1) from None
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as error:
                yield number, [_BAD_JSON, f"not valid JSON ({error.msg})"]
                continue
            if not isinstance(obj, dict):
                yield number, [_BAD_JSON, "not a JSON object"]
                continue
            yield number, [_jsonl_cell(obj.get(c)) for c in columns]

    return Table(headers=columns, rows=rows(), format="jsonl")


_BAD_JSON = "\x00bad-json"  # marker the runner turns into a row problem


def is_bad_json(cells: list[str]) -> str | None:
    return cells[1] if len(cells) == 2 and cells[0] == _BAD_JSON else None


def _jsonl_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "; ".join(_jsonl_cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def _open_xlsx(path: Path) -> Table:
    from openpyxl import load_workbook

    damaged = BulkFileError(
        "damaged_xlsx", "The XLSX file is damaged or incomplete. Save it again from your spreadsheet program."
    )
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        iterator = sheet.iter_rows(values_only=True)
        first = next(iterator, None)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError, IndexError):
        raise damaged from None
    except Exception as error:  # openpyxl raises a wide range of parser errors for broken XML
        raise damaged from error
    if first is None:
        workbook.close()
        raise BulkFileError("empty_file", "The spreadsheet's first sheet is empty.")
    headers = [_xlsx_cell(v) for v in first]
    while headers and not headers[-1]:
        headers.pop()

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for number, values in enumerate(iterator, start=2):
                cells = [_xlsx_cell(v) for v in values]
                if any(cells):
                    yield number, cells
        except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError) as error:
            raise damaged from error
        finally:
            workbook.close()

    return Table(headers=headers, rows=rows(), format="xlsx")


def _xlsx_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# --- writing -----------------------------------------------------------------------------------------


def export_cell(value: Any) -> Any:
    """A value as it goes into a file: dates as ISO text, lists joined with "; ", None as empty."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "; ".join(map(str, value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def csv_line(cells: Sequence[Any], *, terminator: str = "\r\n") -> str:
    """One CSV line as `stream_csv` writes it (the header row of an export written by other means)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=terminator).writerow(cells)
    return buffer.getvalue()


def stream_csv(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], *, batch: int = 2_000
) -> Iterator[bytes]:
    """CSV in UTF-8 with a BOM (so spreadsheet programs read accents right), text cells neutralised."""
    yield codecs.BOM_UTF8 + csv_line(headers).encode()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    # The loop runs for every cell of millions of rows: `neutralise` is called only for text starting
    # with a character it may act on, and rows are written a batch at a time.
    suspect = NEUTRALISE_FIRST
    pending: list[list[Any]] = []
    for row in rows:
        pending.append(
            [
                (neutralise(v) if v[:1] in suspect else v) if isinstance(v, str) else _exported_text(v)
                for v in row
            ]
        )
        if len(pending) >= batch:
            writer.writerows(pending)
            pending.clear()
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    if pending:
        writer.writerows(pending)
        yield buffer.getvalue().encode()


def _exported_text(value: Any) -> Any:
    """A value that is not text, as a CSV cell: a list joined ("=a; b") may start a formula too."""
    cell = export_cell(value)
    return neutralise(cell) if isinstance(cell, str) and cell[:1] in NEUTRALISE_FIRST else cell


def stream_jsonl(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], *, batch: int = 2_000
) -> Iterator[bytes]:
    """JSON lines: one object per row, keys in column order. No neutralising: JSON is not a spreadsheet."""
    lines: list[str] = []
    for row in rows:
        obj = {h: (None if v is None else _json_value(v)) for h, v in zip(headers, row, strict=True)}
        lines.append(json.dumps(obj, ensure_ascii=False))
        if len(lines) >= batch:
            yield ("\n".join(lines) + "\n").encode()
            lines = []
    if lines:
        yield ("\n".join(lines) + "\n").encode()


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def write_xlsx(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], target: IO[bytes], *, title: str
) -> int:
    """Write an XLSX workbook (write-only mode: flat memory) to `target`; returns the number of rows.

    Raises BulkFileError past Excel's 1,048,575 data rows: use CSV or JSON for more."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31] or "Sheet1")
    sheet.append(list(headers))
    count = 0
    for row in rows:
        count += 1
        if count > XLSX_MAX_ROWS:
            raise BulkFileError("too_many_rows", "More rows than a spreadsheet holds: export as CSV or JSON.")
        sheet.append([neutralise(v) if isinstance(v, str) else export_cell(v) for v in row])
    workbook.save(target)
    return count
