"""One import run: read → map → validate and upsert chunk by chunk → report.

Two modes:
- ``all`` (the default): the whole run is one transaction. Any rejected row, a crash or a kill leaves
  the database exactly as before, and the report lists every rejected row.
- ``valid``: "import the valid rows, report the rest". Each chunk commits on its own together with the
  job's checkpoint (`on_chunk_committed` runs inside the chunk's transaction), so a run killed half way
  keeps whole chunks and resumes after the last one.

A dry run does all of the work, including the writes, and rolls it back: its counts are the real ones.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import DatabaseError, transaction

from minga.core.audit import audit_record
from minga.core.bulk.formats import BulkFileError, Table, is_bad_json, unneutralise
from minga.core.bulk.mapping import auto_mapping, check_mapping, data_columns
from minga.core.bulk.spec import ChunkOutcome, Importer, RecordType, Rejection, SourceRow
from minga.core.errors import Problem
from minga.core.models import Collective

MODES = ("all", "valid")
MAX_LISTED_PROBLEMS = 1_000  # the report lists this many; the rejected-rows file has them all
MAX_CELL = 10_000  # characters; longer cells are rejected with their row


@dataclass
class ImportReport:
    kind: str
    mode: str = "all"
    dry_run: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    committed: bool = False
    file_problems: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.file_problems and not self.rejected

    def summary(self) -> str:
        """The outcome in one plain sentence, as the UI, the CLI and the API show it."""
        done = (
            f"{self.created:,} created, {self.updated:,} updated, {self.unchanged:,} unchanged, "
            f"{self.rejected:,} rejected"
        )
        if self.file_problems:
            messages = " ".join(p["message"] for p in self.file_problems)
            if self.committed:  # "valid rows" mode keeps the chunks committed before the problem
                return f"Imported {self.rows:,} rows ({done}), then stopped: {messages}"
            return "Nothing was imported: " + messages
        counts = (
            f"{self.created:,} to create, {self.updated:,} to update, {self.unchanged:,} unchanged, "
            f"{self.rejected:,} rejected"
        )
        if self.dry_run:
            return f"Dry run of {self.rows:,} rows: {counts}. Nothing was saved."
        if not self.committed:
            return f"Nothing was imported: {self.rejected:,} of {self.rows:,} rows were rejected ({counts})."
        if self.rows and self.unchanged == self.rows:
            return f"Imported {self.rows:,} rows: all unchanged, nothing to do."
        return f"Imported {self.rows:,} rows: {done}."

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["summary"] = self.summary()
        data["ok"] = self.ok
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImportReport:
        names = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in names})


class _RollBack(Exception):
    """Raised inside the transaction to undo a dry run or a rejected all-or-nothing run."""


RejectedSink = Callable[[list[Rejection]], None]
Progress = Callable[[int, float | None], None]
ChunkCommitted = Callable[[int, ImportReport], None]


def run_import(
    *,
    record_type: RecordType,
    actor: Any,
    collective: Collective,
    table: Table,
    mapping: dict[str, str] | None = None,
    mode: str = "all",
    dry_run: bool = False,
    skip_rows: int = 0,
    resume_report: ImportReport | None = None,
    progress: Progress | None = None,
    on_rejected: RejectedSink | None = None,
    on_chunk_committed: ChunkCommitted | None = None,
) -> ImportReport:
    """Import `table` as `record_type` rows into `collective` on behalf of `actor`; see the module doc.

    `skip_rows` and `resume_report` continue a "valid rows" run that stopped: that many rows (in import
    order) were committed, with the counts in `resume_report`. `on_chunk_committed(rows_done, report)`
    runs inside each chunk's transaction, so a checkpoint saved there is exactly as durable as the chunk."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    started = time.perf_counter()
    report = resume_report or ImportReport(kind=record_type.name, mode=mode, dry_run=dry_run)
    report.warnings = list(dict.fromkeys([*report.warnings, *table.warnings]))
    if not record_type.can_import(actor, collective):
        report.file_problems.append(
            Problem(
                code="forbidden", message=f"You may not import {record_type.label.lower()} here."
            ).as_dict()
        )
        return report
    mapping = mapping if mapping is not None else auto_mapping(record_type.columns, table.headers)
    sources, problems, warnings = check_mapping(record_type.columns, table.headers, mapping)
    report.warnings = list(dict.fromkeys([*report.warnings, *warnings]))
    if problems:
        report.file_problems.extend(p.as_dict() for p in problems)
        return report

    importer = record_type.importer(actor=actor, collective=collective)
    importer.sources = {c.name: i for c, i in zip(record_type.columns, sources, strict=True) if i is not None}
    importer.data_columns = data_columns(record_type.columns, table.headers, mapping)
    # Importers that keep the file's order get each chunk's raw cells first (`Importer.skip_unchanged`);
    # those that reorder rows (parents first) need the whole stream mapped.
    raw_chunks = type(importer).arrange is Importer.arrange
    short_path = raw_chunks and type(importer).skip_unchanged is not Importer.skip_unchanged
    reader = _RowReader(record_type, len(table.headers), sources)
    rows: Iterator[Any] = table.rows if raw_chunks else importer.arrange(reader.source_rows(table.rows))
    if skip_rows:
        rows = itertools.islice(rows, skip_rows, None)
        importer.take_early_rejections()  # reported by the run being resumed
    done_here = 0

    def report_rows_done() -> int:
        return done_here

    def record(outcome: ChunkOutcome, chunk_rows: int) -> None:
        nonlocal done_here
        done_here += chunk_rows
        report.rows += chunk_rows
        report.created += outcome.created
        report.updated += outcome.updated
        report.unchanged += outcome.unchanged
        report.rejected += len(outcome.rejected)
        for rejection in outcome.rejected:
            for problem in rejection.problems:
                if len(report.problems) < MAX_LISTED_PROBLEMS:
                    report.problems.append(problem.as_dict())
        if on_rejected and outcome.rejected:
            on_rejected(outcome.rejected)

    def chunks() -> Iterator[tuple[list[SourceRow], int, int]]:
        """(rows to import, rows read, rows found unchanged on the short path) a chunk at a time."""
        while True:
            try:
                chunk = list(itertools.islice(rows, record_type.chunk_size))
            except BulkFileError as error:
                raise _FileFailed(error.problem) from None
            if not chunk:
                return
            if not raw_chunks:
                yield chunk, len(chunk), 0
            elif not short_path:
                yield list(reader.source_rows(chunk)), len(chunk), 0
            else:
                rest, unchanged = importer.skip_unchanged(chunk, reader.plain)
                yield list(reader.source_rows(rest)), len(chunk), unchanged

    def one_chunk(chunk: list[SourceRow], unchanged: int) -> ChunkOutcome:
        outcome = ChunkOutcome(unchanged=unchanged, rejected=importer.take_early_rejections())
        good: list[SourceRow] = []
        for row in chunk:
            bad = row.values.pop(_PROBLEM, None)
            if bad:
                code, column = row.values.pop(_CODE, "bad_row"), row.values.pop(_COLUMN, None)
                outcome.rejected.append(
                    Rejection(row, [Problem(code=code, message=bad, row=row.number, column=column)])
                )
            else:
                good.append(row)
        if good:
            outcome.add(importer.import_chunk(good))
        outcome.rejected.sort(key=lambda r: r.row.number)
        return outcome

    def audit() -> None:
        audit_record(
            actor=actor,
            action=f"{record_type.name}.import",
            target=collective,
            changes={
                k: getattr(report, k) for k in ("mode", "rows", "created", "updated", "unchanged", "rejected")
            },
        )

    try:
        if mode == "all":
            with transaction.atomic():
                for chunk, read, unchanged in chunks():
                    record(one_chunk(chunk, unchanged), read)
                    if progress:
                        progress(report.rows, table.fraction_read())
                late = importer.take_early_rejections()
                if late:
                    record(ChunkOutcome(rejected=late), 0)
                if dry_run or report.rejected:
                    raise _RollBack
                report.committed = True
                audit()  # in the import's transaction: no import without its entry, nor the reverse
        else:
            # A dry run keeps every chunk (as savepoints) until the end, so that each chunk sees what
            # the earlier ones would have made, as in the real run; then it undoes them all at once.
            with transaction.atomic() if dry_run else contextlib.nullcontext():
                for chunk, read, unchanged in chunks():
                    with transaction.atomic():
                        record(one_chunk(chunk, unchanged), read)
                        if on_chunk_committed and not dry_run:
                            on_chunk_committed(skip_rows + report_rows_done(), report)
                    if progress:
                        progress(report.rows, table.fraction_read())
                late = importer.take_early_rejections()
                if late:
                    record(ChunkOutcome(rejected=late), 0)
                if dry_run:
                    raise _RollBack
            report.committed = True
    except _RollBack:
        pass
    except _FileFailed as failed:
        report.committed = mode == "valid" and not dry_run and report.rows > 0
        report.file_problems.append(failed.problem.as_dict())
    except DatabaseError as error:
        report.committed = mode == "valid" and not dry_run and report.rows > 0
        report.file_problems.append(
            Problem(code="database_error", message=f"The database refused the import ({error}).").as_dict()
        )
    finally:
        table.close()
    report.seconds = round(report.seconds + time.perf_counter() - started, 3)
    if report.committed and mode == "valid":
        audit()  # after the last chunk, whatever stopped the run: the chunks committed stay
    return report


# Keys of `SourceRow.values` that carry a problem found while reading a row (a ragged row, a bad JSON
# line, a huge cell…) to `run_import`, which rejects the row with it instead of importing it.
_PROBLEM, _CODE, _COLUMN = "\x00problem", "\x00code", "\x00column"


class _FileFailed(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(problem.message)


# A cell of a NUL-joined row that starts with a quote, which `source_rows` may un-neutralise.
_QUOTED = re.compile(r"(?:^|\x00)'")


class _RowReader:
    """Turns a file's rows into SourceRows: mapped, stripped, un-neutralised; malformed rows carry a
    problem. Also says which raw rows are plain enough for an importer's short path."""

    def __init__(self, record_type: RecordType, width: int, sources: list[int | None]) -> None:
        self.width = width
        self.plan = [
            (c.name, index, c.max_length or MAX_CELL)
            for c, index in zip(record_type.columns, sources, strict=True)
        ]
        self.present = [(name, index) for name, index, _ in self.plan if index is not None]
        self.absent = {name: "" for name, index, _ in self.plan if index is None}
        self.shortest_limit = min(limit for _, _, limit in self.plan)
        self.limited = [(index, limit) for _, index, limit in self.plan if index is not None]

    def plain(self, rows: list[tuple[int, list[str]]]) -> list[bool]:
        """For each row, whether `source_rows` would take its cells as they are and find nothing wrong
        with its shape: as many cells as the header, none too long, no NUL, and none that it would strip
        (edge whitespace) or un-neutralise (a leading quote). An importer's short path may compare such
        cells with stored values as they are."""
        width, limit, limited = self.width, self.shortest_limit, self.limited
        strip, quoted = str.strip, _QUOTED.search
        answers = []
        for _, cells in rows:
            line = "\x00".join(cells)  # NUL: no cell of a plain row holds one
            answers.append(
                len(cells) == width
                and line.count("\x00") == width - 1
                and list(map(strip, cells)) == cells
                and ("'" not in line or quoted(line) is None)
                and (max(map(len, cells)) <= limit or all(len(cells[i]) <= most for i, most in limited))
            )
        return answers

    def source_rows(self, rows: Iterable[tuple[int, list[str]]]) -> Iterator[SourceRow]:
        plan, present, absent = self.plan, self.present, self.absent
        width, shortest_limit = self.width, self.shortest_limit
        for number, cells in rows:
            values: dict[str, str] = {}
            bad_json = is_bad_json(cells)
            if bad_json:
                values[_PROBLEM] = f"Row {number} is {bad_json}."
                yield SourceRow(number, values, [])
                continue
            if len(cells) > width and any(c.strip() for c in cells[width:]):
                values[_PROBLEM] = (
                    f"Row {number} has {len(cells)} cells but the header has {width} columns: "
                    "a delimiter or quote is probably out of place."
                )
                yield SourceRow(number, values, cells)
                continue
            # The common case in C-level calls (dict comprehension, max, join); the per-cell checks below
            # run only for rows that need them. This loop sees every row of million-row files.
            count = len(cells)
            values = {name: cells[i].strip() if i < count else "" for name, i in present}
            values.update(absent)
            if cells and max(map(len, cells)) > shortest_limit:
                for name, _, limit in plan:
                    if len(values[name]) > limit:
                        length = len(values[name])
                        values[_PROBLEM] = (
                            f"Column {name!r} is too long ({length:,} characters; at most {limit:,})."
                        )
                        values[_CODE], values[_COLUMN] = "too_long", name
                        break
            joined = "".join(cells)
            if "\x00" in joined:
                # PostgreSQL can't store it, and no spreadsheet means it: a sign of a damaged or binary file.
                nul = next((name for name, _ in present if "\x00" in values[name]), None)
                if nul is not None:
                    values[_PROBLEM] = "The cell holds a NUL character (\\0): the file is probably damaged."
                    values[_CODE], values[_COLUMN] = "bad_cell", nul
            if "'" in joined:
                for name, _ in present:
                    if values[name][:1] == "'":
                        values[name] = unneutralise(values[name])
            yield SourceRow(number, values, cells)
