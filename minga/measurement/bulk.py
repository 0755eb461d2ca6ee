"""Data values as a bulk record type ("datavalues"): CSV/XLSX/JSON lines import and export through the
shared framework, so the web UI, the API (`/api/v1/imports`, `/api/v1/exports/datavalues`) and the CLI
(`minga import`, `minga export`) work for them as for people and groups.

The long layout: one row per value, matched by indicator, group, period and option. Rows are checked
and written by the same `ValueWriter` as the API and the web grid, a chunk at a time. Unlike the API, a
blank value in a file leaves the stored value alone (a sheet with empty cells deletes nothing).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db.models import QuerySet

from minga.core.bulk import ChunkOutcome, Column, Importer, RecordType, Rejection, SourceRow, register
from minga.core.errors import Problem
from minga.core.models import Collective
from minga.measurement import services
from minga.measurement.ingest import ValueIn, ValueWriter, format_value
from minga.measurement.models import DataValue, DisaggregationOption


class DataValueImporter(Importer):
    def __init__(self, *, actor: Any, collective: Collective) -> None:
        super().__init__(actor=actor, collective=collective)
        self.writer = ValueWriter(
            actor=actor, collective=collective, source=DataValue.Source.FILE, blank_deletes=False
        )

    def import_chunk(self, rows: Sequence[SourceRow]) -> ChunkOutcome:
        by_number = {row.number: row for row in rows}
        items = [
            ValueIn(
                indicator=row.values.get("indicator", ""),
                group=row.values.get("group", ""),
                period=row.values.get("period", ""),
                option=row.values.get("option", ""),
                value=row.values.get("value", ""),
                # A file without a comment column leaves stored comments alone; an empty cell clears one.
                comment=row.values["comment"] if "comment" in self.present else None,
                location=row.number,
            )
            for row in rows
        ]
        done = self.writer.write(items)
        outcome = ChunkOutcome(
            created=done.created, updated=done.updated + done.deleted, unchanged=done.unchanged
        )
        for number, problems in done.rejected:
            located = [
                Problem(code=p.code, message=p.message, field=p.field, row=number, column=p.field)
                for p in problems
            ]
            outcome.rejected.append(Rejection(by_number[number], located))
        return outcome


class DataValueRecordType(RecordType):
    name = "datavalues"
    label = "Indicator values"
    description = "Reported indicator values, one row per indicator, group, period and disaggregation."
    natural_key = "indicator, group, period and option"
    chunk_size = 5_000
    columns = (
        Column(
            "indicator",
            "Code of the indicator.",
            "members_active",
            required=True,
            aliases=("indicator_code",),
        ),
        Column("group", "Code of the group reporting.", "ke-nai-kib", required=True, aliases=("group_code",)),
        Column(
            "period",
            "ISO period: 2026W05 (week), 202603 (month), 2026Q1 (quarter) or 2026 (year).",
            "202603",
            required=True,
        ),
        Column(
            "option", "Disaggregation option (e.g. f.15-24), blank if none.", "", aliases=("disaggregation",)
        ),
        Column(
            "value",
            "The value: a number, yes/no or text. Blank leaves the stored value.",
            "24",
            required=True,
        ),
        Column("comment", "A note on the value.", "", max_length=500),
    )

    def importer(self, *, actor: Any, collective: Collective) -> Importer:
        return DataValueImporter(actor=actor, collective=collective)

    def can_import(self, actor: Any, collective: Collective) -> bool:
        return services.may_report(actor, collective)

    def export_rows(
        self, *, actor: Any, collective: Collective, filters: Mapping[str, str]
    ) -> Iterable[Sequence[Any]]:
        """The values `actor` may see in `collective`; filters: indicator (code), period (code), within
        (a group code: its subtree)."""
        qs = filtered_values(actor=actor, collective=collective, filters=filters)
        options = dict(
            DisaggregationOption.objects.filter(disaggregation__collective=collective).values_list(
                "pk", "code"
            )
        )
        rows = (
            qs.order_by("id")
            .values_list(
                "indicator__code",
                "group__code",
                "period__code",
                "option",
                "value",
                "text",
                "indicator__value_type",
                "comment",
            )
            .iterator(chunk_size=5_000)
        )
        return (
            (ind, grp, per, options.get(opt, ""), format_value(value, text, value_type), comment)
            for ind, grp, per, opt, value, text, value_type, comment in rows
        )


def filtered_values(*, actor: Any, collective: Collective, filters: Mapping[str, str]) -> QuerySet[DataValue]:
    """The values `actor` may see in `collective` under an export's filters: indicator (code), period
    (code), within (a group code: its subtree). Shared by the long and the wide layout."""
    from minga.architecture.models import Group
    from minga.measurement.periods import PeriodError, parse_period

    qs = DataValue.objects.visible_to(actor).filter(collective=collective)
    if filters.get("indicator"):
        qs = qs.filter(indicator__code=filters["indicator"])
    if filters.get("period"):
        try:
            qs = qs.filter(period__code=parse_period(filters["period"]).code)
        except PeriodError:
            qs = qs.none()
    if filters.get("within"):
        group = Group.objects.visible_to(actor).filter(collective=collective, code=filters["within"]).first()
        qs = qs.within(group) if group is not None else qs.none()
    return qs


DATAVALUES = register(DataValueRecordType())

from minga.measurement import bulk_wide  # noqa: E402, F401  (registers "datavalues-wide")
