"""What a record type declares to take part in imports and exports."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, KeysView, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from minga.core.bulk.formats import unneutralise
from minga.core.errors import Problem
from minga.core.models import Collective


@dataclass(frozen=True)
class Column:
    """A column of a record type's files: its header, what it holds, an example and whether it's needed."""

    name: str
    description: str
    example: str = ""
    required: bool = False
    aliases: tuple[str, ...] = ()
    max_length: int | None = None
    # A column fed by any number of the file's columns, each carrying data under its own header (the
    # wide layout of data values: one column per indicator). Header cells matching no other column are
    # mapped to it; their cells reach the importer through `Importer.data_cells`, not `SourceRow.values`.
    # At most one per record type.
    many: bool = False


@dataclass
class SourceRow:
    """One data row of an uploaded file, after column mapping.

    `number` is the row as the user sees it in a spreadsheet (the header is row 1); `values` maps column
    names to stripped text ("" when empty); `raw` keeps the cells as read, for the rejected-rows file.
    """

    number: int
    values: dict[str, str]
    raw: list[str] = field(default_factory=list)


@dataclass
class Rejection:
    row: SourceRow
    problems: list[Problem]


@dataclass
class ChunkOutcome:
    """What an importer did with a chunk of rows (or would do, on a dry run)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)

    def add(self, other: ChunkOutcome) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.rejected.extend(other.rejected)


def row_problem(row: SourceRow, code: str, message: str, column: str | None = None) -> Problem:
    return Problem(code=code, message=message, row=row.number, column=column)


class Importer(ABC):
    """Validates and upserts the rows of one import run, a chunk at a time.

    One instance serves one run, so it may keep state across chunks (keys already seen in the file,
    lookup tables). `import_chunk` is called inside the runner's transaction; it must use set-based SQL
    (a few queries per chunk, never one per row), apply the same rules and scoping as the forms and the
    API, and report bad rows instead of raising.
    """

    def __init__(self, *, actor: Any, collective: Collective) -> None:
        self.actor = actor
        self.collective = collective
        # Column name → index of the file's cell that feeds it, for the columns the file provides (set by
        # the runner). A column that is absent leaves a field alone (see `present`), while a column that
        # is present but empty clears it; `skip_unchanged` reads raw cells by these indexes.
        self.sources: dict[str, int] = {}
        # (index, header) of the file's columns mapped to the record type's `many` column (set by the
        # runner; empty for other record types).
        self.data_columns: list[tuple[int, str]] = []
        self._early: list[Rejection] = []

    @property
    def present(self) -> KeysView[str]:
        """The names of the columns the file provides."""
        return self.sources.keys()

    def data_cells(self, row: SourceRow) -> Iterator[tuple[str, str]]:
        """(header, cell) of `row`'s non-blank cells under `data_columns`: stripped, un-neutralised."""
        cells = row.raw
        for index, header in self.data_columns:
            cell = cells[index].strip() if index < len(cells) else ""
            if cell:
                yield header, unneutralise(cell) if cell[:1] == "'" else cell

    def arrange(self, rows: Iterator[SourceRow]) -> Iterator[SourceRow]:
        """The order in which rows are imported. Default: as in the file. Groups reorder parents first."""
        return rows

    def skip_unchanged(
        self, rows: list[tuple[int, list[str]]], plain: Callable[[list[tuple[int, list[str]]]], list[bool]]
    ) -> tuple[list[tuple[int, list[str]]], int]:
        """An optional short path for re-imports, given a chunk's (row number, raw cells) before they are
        mapped: (the rows still to import, how many of the others there were). The others are counted
        unchanged and not imported, so take a row only when `import_chunk` would find it valid and
        unchanged, with nothing to write; it must also leave the importer's state (keys seen in the file)
        as `import_chunk` would. `plain(rows)[i]` says whether row i's cells are read by the full path as
        they are (no edge whitespace to strip, no leading quote to un-neutralise) and its shape is right
        (width, lengths, no NUL); the short path should look at plain rows only. Only for importers that keep
        the file's order (no `arrange`). Default: no short path."""
        return rows, 0

    def reject_early(self, row: SourceRow, problems: list[Problem]) -> None:
        """Reject a row while arranging (e.g. a cycle); reported with the next chunk."""
        self._early.append(Rejection(row, problems))

    def take_early_rejections(self) -> list[Rejection]:
        early, self._early = self._early, []
        return early

    @abstractmethod
    def import_chunk(self, rows: Sequence[SourceRow]) -> ChunkOutcome: ...


class RecordType(ABC):
    """A kind of record that can be imported and exported: declare columns, key, importer and export."""

    name: ClassVar[str]  # "people": used in URLs, the API and the CLI
    label: ClassVar[str]  # "People"
    description: ClassVar[str]
    natural_key: ClassVar[str]  # in words: "code", "email or external id"
    columns: ClassVar[tuple[Column, ...]]
    chunk_size: ClassVar[int] = 5_000

    @abstractmethod
    def importer(self, *, actor: Any, collective: Collective) -> Importer: ...

    @abstractmethod
    def export_rows(
        self, *, actor: Any, collective: Collective, filters: Mapping[str, str]
    ) -> Iterable[Sequence[Any]]:
        """The rows `actor` may see, with the list page's `filters`, as tuples in `columns` order."""

    def can_import(self, actor: Any, collective: Collective) -> bool:
        """Whether `actor` may import this kind of record into `collective` at all (rows are scoped too)."""
        return True

    def export_headers(self, *, actor: Any, collective: Collective, filters: Mapping[str, str]) -> list[str]:
        """The header row of an export with `filters`: the columns' names, unless the layout is wide."""
        return self.headers

    def export_csv_joined(
        self, *, actor: Any, collective: Collective, filters: Mapping[str, str]
    ) -> Iterable[Sequence[bytes]] | None:
        """Optionally, the rows of `export_rows` in blocks (lists), each row its cells' UTF-8 text joined
        by `export.JOIN_BYTE`, written as `formats.export_cell` writes them but neither neutralised nor
        quoted: `export.stream_joined` writes a block in one go when nothing in it needs either. For
        record types exported by the million. None (the default): not offered."""
        return None

    def export_csv_copy(
        self, *, actor: Any, collective: Collective, filters: Mapping[str, str]
    ) -> tuple[str, Sequence[Any]] | None:
        """Optionally, on PostgreSQL, one SELECT (SQL and parameters) of the cells of `export_rows` as CSV
        text, formula cells neutralised, empty text as NULL: the server writes it as CSV with COPY.
        None (the default): not offered."""
        return None

    def template_links(self, *, collective: Collective) -> list[tuple[str, str]]:
        """(label, URL) of templates made for `collective` beside the generic one (e.g. one per form)."""
        return []

    @property
    def many_column(self) -> Column | None:
        return next((c for c in self.columns if c.many), None)

    @property
    def headers(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


_REGISTRY: dict[str, RecordType] = {}


def register(record_type: RecordType) -> RecordType:
    """Make a record type importable and exportable. Called from the owning app's AppConfig.ready()."""
    _REGISTRY[record_type.name] = record_type
    return record_type


def record_types() -> list[RecordType]:
    return list(_REGISTRY.values())


def get_record_type(name: str) -> RecordType:
    """The record type called `name`; KeyError when there is none."""
    return _REGISTRY[name]
