"""Data values in the wide layout ("datavalues-wide"): one row per group and period, one column per
indicator, as a reporting form looks in a spreadsheet.

    group,period,members_active,meetings_held,children_enrolled:f.15-24,children_enrolled:m.15-24
    ke-nai-kib,202603,24,3,10,12

Columns `group` and `period` are declared; every other column of the file is an indicator column,
headed by the indicator's code, or `CODE:option` for one option of a disaggregated indicator (the
option's code, e.g. `f.15-24`; an indicator code never holds a colon). A blank cell is no value: it
leaves the stored value alone, as in the long layout.

Every cell goes through the same `ValueWriter` as the long layout, the API and the web grid (same
checks, scoping, approval locks, history and idempotent upsert). A row is the unit of a file: when any
of its values is refused, none of them is written, the row is rejected with each refused value's column
header, and it goes to the rejected-rows file whole. The report's `rows` and `rejected` count rows;
`created`, `updated` and `unchanged` count values (cells).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from minga.core.bulk import ChunkOutcome, Column, Importer, RecordType, Rejection, SourceRow, register
from minga.core.errors import Problem
from minga.core.models import Collective
from minga.measurement import periods, services
from minga.measurement.ingest import Outcome, ValueIn, ValueWriter, format_value
from minga.measurement.models import (
    DataValue,
    DisaggregationOption,
    Indicator,
    IndicatorSet,
)

KIND = "datavalues-wide"
OPTION_SEPARATOR = ":"
MAX_CELL = 500  # the longest value (a text) the writer keeps
INDICATOR_COLUMN = "indicator value"  # the `many` column every indicator column of a file feeds
_ROW_FIELDS = ("group", "period")


def column_header(indicator_code: str, option_code: str = "") -> str:
    """The header of an indicator's column: its code, or CODE:option for one of its options."""
    return f"{indicator_code}{OPTION_SEPARATOR}{option_code}" if option_code else indicator_code


def split_header(header: str) -> tuple[str, str]:
    """(indicator code, option code) of an indicator column's header."""
    code, _, option = header.partition(OPTION_SEPARATOR)
    return code.strip(), option.strip()


class _Rollback(Exception):
    """Undoes a chunk's writes (a savepoint) when some of its rows must be rejected whole."""


class WideValueImporter(Importer):
    def __init__(self, *, actor: Any, collective: Collective) -> None:
        super().__init__(actor=actor, collective=collective)
        self.writer = self._new_writer()
        self.first_row: dict[tuple[str, str], int] = {}  # (group, period) → the row that gave it first

    def _new_writer(self) -> ValueWriter:
        return ValueWriter(
            actor=self.actor, collective=self.collective, source=DataValue.Source.FILE, blank_deletes=False
        )

    def import_chunk(self, rows: Sequence[SourceRow]) -> ChunkOutcome:
        outcome = ChunkOutcome()
        problems: dict[int, list[Problem]] = {}  # row number → problems
        items: list[ValueIn] = []
        cells: list[tuple[SourceRow, str]] = []  # an item's location → its row and column header
        for row in rows:
            row_problems = self._row_problems(row)
            if row_problems:
                problems[row.number] = row_problems
                continue
            group, period = row.values["group"], row.values["period"]
            for header, cell in self.data_cells(row):
                code, option = split_header(header)
                if len(cell) > MAX_CELL or "\x00" in cell:
                    problems.setdefault(row.number, []).append(
                        Problem(
                            code="bad_cell",
                            message=f"Use at most {MAX_CELL} characters, and no NUL character.",
                            row=row.number,
                            column=header,
                            field="value",
                        )
                    )
                    continue
                items.append(ValueIn(code, group, period, cell, option, None, len(cells)))
                cells.append((row, header))
        if problems:  # a row with a bad cell is written not at all
            items = [item for item in items if cells[item.location][0].number not in problems]
        done = self._write(items, cells, problems)
        outcome.created, outcome.updated, outcome.unchanged = done.created, done.updated, done.unchanged
        by_number = {row.number: row for row in rows}
        for number, found in problems.items():
            outcome.rejected.append(Rejection(by_number[number], found))
        return outcome

    def _row_problems(self, row: SourceRow) -> list[Problem]:
        """A row's own problems: a missing group or period, or the same group and period twice."""
        found = [
            Problem(code="required", message=f"Give the {name}.", row=row.number, column=name, field=name)
            for name in _ROW_FIELDS
            if not row.values.get(name)
        ]
        if found:
            return found
        try:
            period = periods.parse_period(row.values["period"]).code
        except periods.PeriodError:
            period = row.values["period"]  # reported by the writer, on each value
        first = self.first_row.setdefault((row.values["group"], period), row.number)
        if first != row.number:
            return [
                Problem(
                    code="duplicate_row",
                    message=f"Row {first} holds the same group and period: merge the two rows.",
                    row=row.number,
                    column="period",
                    field="period",
                )
            ]
        return []

    def _write(
        self, items: list[ValueIn], cells: list[tuple[SourceRow, str]], problems: dict[int, list[Problem]]
    ) -> Outcome:
        """Write `items`; when some are refused, undo the chunk and write the values of the other rows
        only, so that a row is written whole or not at all."""
        if not items:
            return Outcome()
        refused: Outcome | None = None
        try:
            with transaction.atomic():
                done = self.writer.write(items)
                if done.rejected:
                    refused = done
                    raise _Rollback
        except _Rollback:
            pass
        if refused is None:
            return done
        bad_rows: set[int] = set()
        for location, value_problems in refused.rejected:
            row, header = cells[location]
            bad_rows.add(row.number)
            listed = problems.setdefault(row.number, [])
            for p in value_problems:
                # A group's or period's problem is the same for every value of the row: say it once.
                column = p.field if p.field in _ROW_FIELDS else header
                message = p.message
                if p.code == "duplicate_in_batch":  # the writer names the other value by its index
                    message = "Another column of this row holds the same indicator and option."
                located = Problem(code=p.code, message=message, row=row.number, column=column, field=p.field)
                if column == header or located not in listed:
                    listed.append(located)
        # The writer keeps look-ups (periods it created) that the savepoint undid: start a fresh one.
        self.writer = self._new_writer()
        kept = [item for item in items if cells[item.location][0].number not in bad_rows]
        return self.writer.write(kept) if kept else Outcome()


def indicator_columns(indicators: Iterable[Indicator]) -> list[tuple[Indicator, str, str]]:
    """(indicator, option code, header) of each column of `indicators`: one per indicator, or one per
    option of a disaggregated one (in the options' order). Two queries at most."""
    indicators = list(indicators)
    options: dict[int, list[str]] = {}
    dis_ids = {i.disaggregation_id for i in indicators if i.disaggregation_id}
    if dis_ids:
        for dis, code in DisaggregationOption.objects.filter(disaggregation_id__in=dis_ids).values_list(
            "disaggregation_id", "code"
        ):
            options.setdefault(dis, []).append(code)
    columns: list[tuple[Indicator, str, str]] = []
    for indicator in indicators:
        if indicator.disaggregation_id:
            columns += [
                (indicator, o, column_header(indicator.code, o))
                for o in options.get(indicator.disaggregation_id, [])
            ]
        else:
            columns.append((indicator, "", indicator.code))
    return columns


def set_indicators(indicator_set: IndicatorSet) -> list[Indicator]:
    """The indicators of a form, in its order."""
    return [
        item.indicator for item in indicator_set.items.select_related("indicator").order_by("order", "id")
    ]


class WideValueRecordType(RecordType):
    name = KIND
    label = "Indicator values (wide)"
    description = (
        "Reported indicator values, one row per group and period with one column per indicator "
        "(CODE:option for each option of a broken-down indicator), as a reporting form looks."
    )
    natural_key = "group and period, then each column's indicator and option"
    chunk_size = 1_000  # rows; each carries one value per indicator column
    columns = (
        Column("group", "Code of the group reporting.", "ke-nai-kib", required=True, aliases=("group_code",)),
        Column(
            "period",
            "ISO period: 2026W05 (week), 202603 (month), 2026Q1 (quarter) or 2026 (year).",
            "202603",
            required=True,
        ),
        Column(
            INDICATOR_COLUMN,
            "A column headed by an indicator's code (CODE:option for one option of a broken-down "
            "indicator, e.g. children_enrolled:f.15-24); its cells are that indicator's values, blank "
            "for none. Every other column of the file is read as one.",
            "24",
            required=True,
            many=True,
        ),
    )

    def importer(self, *, actor: Any, collective: Collective) -> Importer:
        return WideValueImporter(actor=actor, collective=collective)

    def can_import(self, actor: Any, collective: Collective) -> bool:
        return services.may_report(actor, collective)

    def template_links(self, *, collective: Collective) -> list[tuple[str, str]]:
        from django.urls import reverse

        # The page listing a template per form (no query here: the imports page pins its count).
        return [("one per indicator set", reverse("measurement:files", args=[collective.slug]))]

    def _export_columns(
        self, *, actor: Any, collective: Collective, filters: Mapping[str, str]
    ) -> list[tuple[Indicator, str, str]]:
        """The indicator columns of an export: the form's (`set`, its code or id), one indicator's
        (`indicator`), or else every indicator of the collective that `actor` may see."""
        indicators = Indicator.objects.visible_to(actor).filter(collective=collective)
        if filters.get("set"):
            key = filters["set"]
            found = IndicatorSet.objects.visible_to(actor).filter(collective=collective)
            found = found.filter(pk=int(key)) if key.isdigit() else found.filter(code=key)
            chosen = found.first()
            return indicator_columns(set_indicators(chosen)) if chosen else []
        if filters.get("indicator"):
            indicators = indicators.filter(code=filters["indicator"])
        return indicator_columns(indicators.order_by("code"))

    def export_headers(self, *, actor: Any, collective: Collective, filters: Mapping[str, str]) -> list[str]:
        columns = self._export_columns(actor=actor, collective=collective, filters=filters)
        return ["group", "period", *(header for _, _, header in columns)]

    def export_rows(
        self, *, actor: Any, collective: Collective, filters: Mapping[str, str]
    ) -> Iterable[Sequence[Any]]:
        """One row per group and period with a value `actor` may see; filters: set (a form's code or
        id) or indicator (a code), period (a code), within (a group code: its subtree)."""
        from minga.measurement.bulk import filtered_values

        columns = self._export_columns(actor=actor, collective=collective, filters=filters)
        if not columns:
            return iter(())
        position: dict[tuple[int, str], int] = {}
        types: dict[int, str] = {}
        for index, (indicator, option, _) in enumerate(columns):
            position[(indicator.pk, option)] = index
            types[indicator.pk] = indicator.value_type
        option_codes = dict(
            DisaggregationOption.objects.filter(disaggregation__collective=collective).values_list(
                "pk", "code"
            )
        )
        qs = filtered_values(actor=actor, collective=collective, filters=filters).filter(
            indicator_id__in=types
        )
        rows = (
            qs.order_by("group__code", "period__code")
            .values_list("group__code", "period__code", "indicator_id", "option", "value", "text")
            .iterator(chunk_size=5_000)
        )
        return _pivot(rows, position, types, option_codes, len(columns))


def _pivot(
    rows: Iterable[tuple[str, str, int, int, float | None, str]],
    position: dict[tuple[int, str], int],
    types: dict[int, str],
    option_codes: dict[int, str],
    width: int,
) -> Iterator[list[Any]]:
    """Values ordered by group and period → one row per (group, period), streamed."""
    key: tuple[str, str] | None = None
    cells: list[str] = []
    for group, period, indicator_id, option, value, text in rows:
        if (group, period) != key:
            if key is not None:
                yield [*key, *cells]
            key, cells = (group, period), [""] * width
        index = position.get((indicator_id, option_codes.get(option, "")))
        if index is not None:
            cells[index] = format_value(value, text, types[indicator_id])
    if key is not None:
        yield [*key, *cells]


def set_template_type(indicator_set: IndicatorSet) -> RecordType:
    """The wide record type with the form's indicator columns declared, for its blank template."""
    today = timezone.localdate()
    example_period = periods.period_for(indicator_set.frequency, today).code
    described = []
    for indicator, option, header in indicator_columns(set_indicators(indicator_set)):
        what = indicator.name + (f", option {option}" if option else "")
        unit = f" ({indicator.unit})" if indicator.unit else ""
        described.append(Column(header, f"{what}{unit}: {indicator.get_value_type_display().lower()}.", ""))
    group, period, _ = WideValueRecordType.columns
    attrs = {
        "label": indicator_set.name[:31] or "Values",
        "columns": (
            Column(group.name, group.description, "", required=True),
            Column(period.name, period.description, example_period, required=True),
            *described,
        ),
    }
    return type("SetTemplate", (WideValueRecordType,), attrs)()


DATAVALUES_WIDE = register(WideValueRecordType())
