"""DHIS2 `dataValueSets` JSON in and out, so a collective that reports to a DHIS2 instance exchanges data
without retyping.

A DHIS2 value names a data element, an org unit, a period and a category option combo, by UID or by
code. A `Dhis2Mapping` (sent with the request) translates DHIS2's identifiers to Minga's codes —
`{"dataElement": {uid: indicator code}, "orgUnit": {uid: group code}, "categoryOptionCombo": {uid:
option code}, "period": {dhis2 period: ISO code}}` — and anything it does not list is taken as a Minga
code already (DHIS2's `idScheme=CODE`). DHIS2's period codes (202603, 2026W5, 2026Q1, 2026) are Minga's.
The default category option combo (`default`, UID `HllvX50cXC0`) is the total.

Import goes through `services.datavalues_upsert` (source "dhis2"): same rules, scoping and history as
every other way in, and DHIS2's summary shape (imported, updated, ignored, deleted, conflicts).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from minga.core.models import Collective
from minga.measurement import periods, services
from minga.measurement.ingest import ValueIn, format_value
from minga.measurement.models import DataValue, DisaggregationOption, ReportingPeriod

DEFAULT_COMBOS = frozenset({"", "default", "HllvX50cXC0"})
MAX_VALUES = services.MAX_BATCH


@dataclass
class Dhis2Mapping:
    data_elements: dict[str, str] = field(default_factory=dict)
    org_units: dict[str, str] = field(default_factory=dict)
    combos: dict[str, str] = field(default_factory=dict)
    periods: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Dhis2Mapping:
        data = data or {}
        return cls(
            data_elements={str(k): str(v) for k, v in (data.get("dataElement") or {}).items()},
            org_units={str(k): str(v) for k, v in (data.get("orgUnit") or {}).items()},
            combos={str(k): str(v) for k, v in (data.get("categoryOptionCombo") or {}).items()},
            periods={str(k): str(v) for k, v in (data.get("period") or {}).items()},
        )

    def reversed(self) -> Dhis2Mapping:
        return Dhis2Mapping(
            data_elements={v: k for k, v in self.data_elements.items()},
            org_units={v: k for k, v in self.org_units.items()},
            combos={v: k for k, v in self.combos.items()},
            periods={v: k for k, v in self.periods.items()},
        )


def dhis2_import(
    *, actor: Any, collective: Collective, value_set: Mapping[str, Any], mapping: Dhis2Mapping, dry_run: bool
) -> dict[str, Any]:
    """Import a `dataValueSets` payload; answers DHIS2's import summary."""
    default_period = str(value_set.get("period") or "")
    default_unit = str(value_set.get("orgUnit") or "")
    raw_values = list(value_set.get("dataValues") or [])
    items: list[ValueIn] = []
    names: list[str] = []
    for index, raw in enumerate(raw_values):
        element = str(raw.get("dataElement") or "")
        unit = str(raw.get("orgUnit") or default_unit)
        period = str(raw.get("period") or default_period)
        combo = str(raw.get("categoryOptionCombo") or "")
        names.append(element or f"dataValues[{index}]")
        items.append(
            ValueIn(
                indicator=mapping.data_elements.get(element, element),
                group=mapping.org_units.get(unit, unit),
                period=mapping.periods.get(period, period),
                option="" if combo in DEFAULT_COMBOS else mapping.combos.get(combo, combo),
                value=raw.get("value"),
                comment=str(raw.get("comment") or ""),
                location=index,
            )
        )
    outcome = services.datavalues_upsert(
        actor=actor, collective=collective, values=items, source=DataValue.Source.DHIS2, dry_run=dry_run
    )
    conflicts = [
        {"object": names[index], "value": problem.message, "errorCode": problem.code, "index": index}
        for index, problems in outcome.rejected
        for problem in problems
    ]
    status = "SUCCESS" if not conflicts else ("WARNING" if outcome.created or outcome.updated else "ERROR")
    return {
        "responseType": "ImportSummary",
        "status": status,
        "dryRun": dry_run,
        "description": "Import process completed successfully"
        if status == "SUCCESS"
        else "Some values were ignored: see the conflicts.",
        "importCount": {
            "imported": outcome.created,
            "updated": outcome.updated,
            "ignored": len(outcome.rejected) + outcome.unchanged,
            "deleted": outcome.deleted,
        },
        "conflicts": conflicts,
    }


def dhis2_export(
    *, viewer: Any, collective: Collective, period_codes: list[str], within: Any, mapping: Dhis2Mapping
) -> dict[str, Any]:
    """The values `viewer` may see as a `dataValueSets` payload, with Minga's codes mapped back to DHIS2's
    identifiers where the mapping names them. No personal data: who entered a value is left out."""
    qs = DataValue.objects.visible_to(viewer).filter(collective=collective)
    if period_codes:
        codes = [periods.parse_period(code).code for code in period_codes]
        qs = qs.filter(period__in=ReportingPeriod.objects.filter(collective=collective, code__in=codes))
    if within is not None:
        qs = qs.within(within)
    back = mapping.reversed()
    options = dict(
        DisaggregationOption.objects.filter(disaggregation__collective=collective).values_list("pk", "code")
    )
    values = []
    for indicator, group, period, option, value, text, value_type, comment, updated in qs.order_by(
        "id"
    ).values_list(
        "indicator__code",
        "group__code",
        "period__code",
        "option",
        "value",
        "text",
        "indicator__value_type",
        "comment",
        "updated_at",
    ):
        combo = options.get(option, "")
        item = {
            "dataElement": back.data_elements.get(indicator, indicator),
            "period": back.periods.get(period, period),
            "orgUnit": back.org_units.get(group, group),
            "categoryOptionCombo": back.combos.get(combo, combo) if combo else "HllvX50cXC0",
            "value": "true" if value_type == "yes_no" and value else format_value(value, text, value_type),
            "lastUpdated": updated.isoformat(),
        }
        if value_type == "yes_no" and not value:
            item["value"] = "false"
        if comment:
            item["comment"] = comment
        values.append(item)
    return {"dataValues": values}
