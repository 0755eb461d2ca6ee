"""DHIS2 `dataValueSets` JSON in and out, through the collective's code mapping (`Dhis2Mapping`).

A DHIS2 data value names a data element, an organisation unit, a period and a category option combo,
by UID (`idScheme=UID`, the default) or by code (`idScheme=CODE`). The collective's mapping says which
indicator, group and disaggregation option each one is; DHIS2's period strings (2026W5, 202601,
2026Q1, 2026) are read as Minga's ISO codes, and a period mapping covers any other (e.g. 2026S1). The
default category option combo (`default`, UID `HllvX50cXC0`) is the indicator's total.

Import resolves every value to Minga codes and hands the batch to the one set-based writer
(`ingest.ValueWriter`, source "dhis2"): same validation, scoping, approval locks, history and audit as the
web grid, the API and file imports. Anything that does not resolve, or that the writer refuses, is a
conflict `{object, value}` as in DHIS2's import summary (`importCount`: imported, updated, ignored,
deleted). Export writes the values the caller reports for (admins: the collective; coordinators: their
subtree; leads: their group) with Minga codes mapped back to DHIS2's identifiers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast, Concat

from minga.architecture.models import Group
from minga.core.audit import audit_record
from minga.core.errors import DomainError, NotFound, Problem, full_clean
from minga.core.models import Collective
from minga.core.scoping import scope_for
from minga.measurement import periods, services
from minga.measurement.ingest import ValueIn, ValueWriter, format_value
from minga.measurement.models import (
    DataValue,
    DisaggregationOption,
    Indicator,
    IndicatorSet,
    IndicatorSetItem,
    ValueType,
)
from minga.measurement.models_dhis2 import Dhis2Kind, Dhis2Mapping

DEFAULT_COMBO_UID = "HllvX50cXC0"
DEFAULT_COMBOS = frozenset({"", "default", DEFAULT_COMBO_UID.lower()})
UID = "UID"
CODE = "CODE"
ID_SCHEMES = (UID, CODE)
CREATE_AND_UPDATE = "CREATE_AND_UPDATE"
CREATE = "CREATE"
UPDATE = "UPDATE"
STRATEGIES = (CREATE_AND_UPDATE, CREATE, UPDATE)
MAX_VALUES = 100_000
CHUNK = 5_000
_DAILY = re.compile(r"^[0-9]{8}$")
_UID_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

# The DHIS2 property each field of the writer's problems is about.
_PROPERTY = {
    "indicator": "dataElement",
    "group": "orgUnit",
    "period": "period",
    "option": "categoryOptionCombo",
    "value": "value",
    "comment": "comment",
}


# --- the mapping, both ways -----------------------------------------------------------------------


@dataclass
class MappingTable:
    """One collective's mapping, loaded once: DHIS2 identifier → Minga code, and back."""

    by_id: dict[tuple[str, str], str] = field(default_factory=dict)
    by_code: dict[tuple[str, str], str] = field(default_factory=dict)
    back: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)  # (kind, code) → (id, code)

    @classmethod
    def load(cls, collective: Collective) -> MappingTable:
        table = cls()
        for kind, dhis2_id, dhis2_code, code in Dhis2Mapping.objects.filter(
            collective=collective
        ).values_list("kind", "dhis2_id", "dhis2_code", "code"):
            if dhis2_id:
                table.by_id[(kind, dhis2_id)] = code
            if dhis2_code:
                table.by_code[(kind, dhis2_code.lower())] = code
            table.back[(kind, code.lower())] = (dhis2_id, dhis2_code)
        return table

    def to_minga(self, kind: str, ref: str, scheme: str) -> str | None:
        if scheme == CODE:
            return self.by_code.get((kind, ref.lower()))
        return self.by_id.get((kind, ref))

    def to_dhis2(self, kind: str, code: str, scheme: str) -> str | None:
        found = self.back.get((kind, code.lower()))
        if found is None:
            return None
        return (found[1] if scheme == CODE else found[0]) or None

    def period_to_minga(self, ref: str) -> str:
        """A DHIS2 period string as a Minga ISO code (a period mapping first). Raises PeriodError."""
        mapped = self.by_id.get((Dhis2Kind.PERIOD, ref)) or self.by_code.get((Dhis2Kind.PERIOD, ref.lower()))
        if mapped:
            return periods.parse_period(mapped).code
        if _DAILY.match(ref):
            raise periods.PeriodError(
                f"{ref!r} is a day: Minga reports by week, month, quarter or year. Map it on the DHIS2 "
                "page, or send the week or month."
            )
        return periods.parse_period(ref).code

    def period_to_dhis2(self, code: str) -> str:
        mapped = self.to_dhis2(Dhis2Kind.PERIOD, code, UID) or self.to_dhis2(Dhis2Kind.PERIOD, code, CODE)
        if mapped:
            return mapped
        spec = periods.parse_period(code)
        if spec.kind == periods.WEEK:  # DHIS2 writes weeks without the leading zero: 2026W5
            return f"{spec.start.isocalendar()[0]}W{spec.start.isocalendar()[1]}"
        return spec.code


def _scheme(value: str | None, default: str = UID, name: str = "idScheme") -> str:
    scheme = (value or default).strip().upper()
    if scheme not in ID_SCHEMES:
        raise DomainError.single("invalid", f"Use {name}=UID or {name}=CODE.", field=name)
    return scheme


@dataclass(frozen=True)
class Schemes:
    data_element: str = UID
    org_unit: str = UID
    combo: str = UID

    @classmethod
    def parse(
        cls,
        id_scheme: str | None = None,
        data_element: str | None = None,
        org_unit: str | None = None,
        combo: str | None = None,
    ) -> Schemes:
        base = _scheme(id_scheme)
        return cls(
            _scheme(data_element, base, "dataElementIdScheme"),
            _scheme(org_unit, base, "orgUnitIdScheme"),
            _scheme(combo, base, "categoryOptionComboIdScheme"),
        )

    def as_dict(self) -> dict[str, str]:
        return {
            "dataElementIdScheme": self.data_element,
            "orgUnitIdScheme": self.org_unit,
            "categoryOptionComboIdScheme": self.combo,
        }


# --- import ---------------------------------------------------------------------------------------


@dataclass
class ImportSummary:
    """DHIS2's import summary: counts and conflicts (grouped by object and message, with the indexes of
    the values in `dataValues`)."""

    dry_run: bool
    strategy: str
    schemes: Schemes
    imported: int = 0
    updated: int = 0
    ignored: int = 0
    deleted: int = 0
    accepted: int = 0  # values that passed every check (written, unchanged or skipped by the strategy)
    conflicts: dict[tuple[str, str, str, str], list[int]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def conflict(self, index: int, obj: str, prop: str, code: str, message: str) -> None:
        self.conflicts.setdefault((obj, message, prop, code), []).append(index)

    @property
    def status(self) -> str:
        if not self.conflicts:
            return "SUCCESS"
        return "WARNING" if (self.imported or self.updated or self.deleted or self.accepted) else "ERROR"

    def as_dict(self) -> dict[str, Any]:
        status = self.status
        return {
            "responseType": "ImportSummary",
            "status": status,
            "importOptions": {
                "dryRun": self.dry_run,
                "importStrategy": self.strategy,
                "idSchemes": self.schemes.as_dict(),
            },
            "description": {
                "SUCCESS": "Import process completed successfully",
                "WARNING": "Import process completed: some values were ignored, see the conflicts.",
                "ERROR": "No value was imported: see the conflicts.",
            }[status],
            "importCount": {
                "imported": self.imported,
                "updated": self.updated,
                "ignored": self.ignored,
                "deleted": self.deleted,
            },
            "conflicts": [
                {"object": obj, "value": message, "property": prop, "errorCode": code, "indexes": indexes}
                for (obj, message, prop, code), indexes in self.conflicts.items()
            ],
            "warnings": self.warnings,
        }


def parse_payload(text: str | bytes) -> dict[str, Any]:
    """A `dataValueSets` JSON document, or a DomainError saying what is wrong with it."""
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as error:
        raise DomainError.single(
            "invalid_json", f"This is not JSON ({error}). Send a DHIS2 dataValueSets JSON file.", field="file"
        ) from None
    check_payload(data)
    return data


def check_payload(data: Any) -> None:
    if not isinstance(data, dict):
        raise DomainError.single(
            "invalid_payload", 'Send a JSON object: {"dataValues": [...]}.', field="dataValues"
        )
    values = data.get("dataValues")
    if not isinstance(values, list):
        raise DomainError.single(
            "invalid_payload", 'The object needs a "dataValues" list.', field="dataValues"
        )
    if len(values) > MAX_VALUES:
        raise DomainError.single(
            "batch_too_large",
            f"Send at most {MAX_VALUES:,} values at a time (got {len(values):,}).",
            field="dataValues",
        )


def _text(raw: dict[str, Any], key: str, default: str = "") -> str:
    value = raw.get(key)
    return default if value is None else str(value).strip()


def _resolve(
    raw: Any,
    index: int,
    defaults: dict[str, str],
    table: MappingTable,
    schemes: Schemes,
    summary: ImportSummary,
) -> tuple[ValueIn, dict[str, str]] | None:
    """The value in Minga's codes, or None after recording its conflicts."""
    if not isinstance(raw, dict):
        summary.conflict(
            index, f"dataValues[{index}]", "dataValue", "invalid", "A data value is a JSON object."
        )
        return None
    sent = {
        "dataElement": _text(raw, "dataElement"),
        "orgUnit": _text(raw, "orgUnit") or defaults["orgUnit"],
        "period": _text(raw, "period") or defaults["period"],
        "categoryOptionCombo": _text(raw, "categoryOptionCombo"),
        "attributeOptionCombo": _text(raw, "attributeOptionCombo") or defaults["attributeOptionCombo"],
        "value": "" if raw.get("value") is None else str(raw.get("value")),
    }
    failed: list[str] = []

    def bad(prop: str, code: str, message: str) -> None:
        failed.append(prop)
        summary.conflict(index, sent.get(prop) or f"dataValues[{index}]", prop, code, message)

    indicator = group = period = option = None
    if not sent["dataElement"]:
        bad("dataElement", "required", "Give the dataElement.")
    else:
        indicator = table.to_minga(Dhis2Kind.INDICATOR, sent["dataElement"], schemes.data_element)
        if indicator is None:
            bad(
                "dataElement",
                "unknown_data_element",
                f"Data element not mapped to an indicator ({schemes.data_element}): map it on the DHIS2 "
                "page.",
            )
    if not sent["orgUnit"]:
        bad("orgUnit", "required", "Give the orgUnit.")
    else:
        group = table.to_minga(Dhis2Kind.GROUP, sent["orgUnit"], schemes.org_unit)
        if group is None:
            bad(
                "orgUnit",
                "unknown_org_unit",
                f"Organisation unit not mapped to a group ({schemes.org_unit}): map it on the DHIS2 page.",
            )
    if not sent["period"]:
        bad("period", "required", "Give the period, e.g. 202603.")
    else:
        try:
            period = table.period_to_minga(sent["period"])
        except periods.PeriodError as error:
            bad("period", "invalid_period", str(error))
    combo = sent["categoryOptionCombo"]
    if combo.lower() in DEFAULT_COMBOS:
        option = ""
    else:
        option = table.to_minga(Dhis2Kind.OPTION, combo, schemes.combo)
        if option is None:
            bad(
                "categoryOptionCombo",
                "unknown_combo",
                "Category option combo not mapped to a disaggregation option: map it on the DHIS2 page.",
            )
    if sent["attributeOptionCombo"].lower() not in DEFAULT_COMBOS:
        bad(
            "attributeOptionCombo",
            "unknown_attribute_combo",
            "Minga has no attribute option combos: send the default one.",
        )
    if failed:
        return None
    value: Any = None if raw.get("deleted") is True else raw.get("value")
    assert indicator is not None and group is not None and period is not None and option is not None
    item = ValueIn(
        indicator=indicator,
        group=group,
        period=period,
        option=option,
        value=value,
        comment=None if raw.get("comment") is None else _text(raw, "comment"),
        location=index,
    )
    return item, sent


def _existing_keys(collective: Collective, items: Sequence[ValueIn]) -> set[tuple[str, str, str, str]]:
    """(indicator, group, period, option code) of the stored values among `items` (for CREATE/UPDATE)."""
    rows: list[tuple[str, str, str, int]] = []
    for start in range(0, len(items), CHUNK):  # bounded IN lists (SQLite's variable limit)
        part = items[start : start + CHUNK]
        rows += DataValue.objects.filter(
            collective=collective,
            indicator__code__in={i.indicator for i in part},
            group__code__in={i.group for i in part},
            period__code__in={i.period for i in part},
        ).values_list("indicator__code", "group__code", "period__code", "option")
    if not rows:
        return set()
    option_codes = dict(
        DisaggregationOption.objects.filter(pk__in={r[3] for r in rows if r[3]}).values_list("pk", "code")
    )
    return {(ind, grp, per, option_codes.get(opt, "").lower()) for ind, grp, per, opt in rows}


def dhis2_import(
    *,
    actor: Any,
    collective: Collective,
    payload: Any,
    dry_run: bool = False,
    strategy: str = CREATE_AND_UPDATE,
    schemes: Schemes | None = None,
    today: dt.date | None = None,
) -> ImportSummary:
    """Import a `dataValueSets` document into `collective`, as `actor` reports (values out of their
    reach are conflicts). Returns DHIS2's import summary; with `dry_run` nothing is written."""
    strategy = (strategy or CREATE_AND_UPDATE).strip().upper()
    if strategy not in STRATEGIES:
        raise DomainError.single(
            "invalid", f"importStrategy is one of {', '.join(STRATEGIES)}.", field="importStrategy"
        )
    if not services.may_report(actor, collective):
        raise NotFound("collective")
    check_payload(payload)
    schemes = schemes or Schemes()
    summary = ImportSummary(dry_run=dry_run, strategy=strategy, schemes=schemes)
    table = MappingTable.load(collective)
    defaults = {
        "orgUnit": _text(payload, "orgUnit"),
        "period": _text(payload, "period"),
        "attributeOptionCombo": _text(payload, "attributeOptionCombo"),
    }
    resolved: list[tuple[ValueIn, dict[str, str]]] = []
    for index, raw in enumerate(payload["dataValues"]):
        found = _resolve(raw, index, defaults, table, schemes, summary)
        if found is not None:
            resolved.append(found)
    sent_by_index = {item.location: sent for item, sent in resolved}
    items = [item for item, _ in resolved]
    if strategy != CREATE_AND_UPDATE:
        stored = _existing_keys(collective, items)
        keep = []
        for item in items:
            exists = (item.indicator, item.group, item.period, item.option.lower()) in stored
            if exists == (strategy == UPDATE):
                keep.append(item)
            else:
                summary.ignored += 1
                summary.accepted += 1
        items = keep
    writer = ValueWriter(actor=actor, collective=collective, source=DataValue.Source.DHIS2, today=today)
    with transaction.atomic():
        for start in range(0, len(items), CHUNK):
            outcome = writer.write(items[start : start + CHUNK], dry_run=dry_run)
            summary.imported += outcome.created
            summary.updated += outcome.updated
            summary.deleted += outcome.deleted
            summary.ignored += outcome.unchanged
            summary.accepted += outcome.created + outcome.updated + outcome.deleted + outcome.unchanged
            for index, problems in outcome.rejected:
                sent = sent_by_index[index]
                for problem in problems:
                    prop = _PROPERTY.get(problem.field or "", "dataValue")
                    summary.conflict(
                        index, sent.get(prop) or sent["dataElement"], prop, problem.code, problem.message
                    )
            summary.warnings.extend(w.message for w in outcome.warnings)
        rejected = {i for indexes in summary.conflicts.values() for i in indexes}
        summary.ignored += len(rejected)
        if not dry_run and (summary.imported or summary.updated or summary.deleted):
            audit_record(
                actor=actor,
                action="datavalues.dhis2_import",
                target=collective,
                changes={
                    "imported": summary.imported,
                    "updated": summary.updated,
                    "deleted": summary.deleted,
                    "ignored": summary.ignored,
                    "strategy": strategy,
                },
            )
    return summary


# --- export ---------------------------------------------------------------------------------------


@dataclass
class Export:
    payload: dict[str, Any]
    unmapped: int  # values left out: their indicator, group or option has no DHIS2 identifier


def reporting_values(viewer: Any, collective: Collective) -> Any:
    """The values `viewer` reports for in `collective`: admins all, coordinators their subtree, leads
    their group. Anyone else (members, visitors, other collectives) gets NotFound."""
    if not services.may_report(viewer, collective):
        raise NotFound("collective")
    qs = DataValue.objects.filter(collective=collective)
    scope = scope_for(viewer)
    if scope.is_superuser or collective.pk in scope.admin_collectives:
        return qs
    return qs.filter(group__in=Group.objects.editable_by(viewer).filter(collective=collective).values("id"))


def find_group(viewer: Any, collective: Collective, ref: str, table: MappingTable, scheme: str) -> Group:
    """A group by its DHIS2 identifier (mapping) or its Minga code, among those `viewer` may see."""
    code = table.to_minga(Dhis2Kind.GROUP, ref, scheme) or ref
    group = Group.objects.visible_to(viewer).filter(collective=collective, code=code).first()
    if group is None:
        raise NotFound("orgUnit")
    return group


def find_indicators(
    collective: Collective,
    table: MappingTable,
    scheme: str,
    *,
    elements: Iterable[str] = (),
    data_set: str = "",
) -> list[int] | None:
    """Indicator ids named by data elements (or Minga codes) and/or a data set (or indicator set code);
    None when neither is given (all indicators)."""
    elements = [e for e in elements if e]
    if not elements and not data_set:
        return None
    ids: set[int] = set()
    if elements:
        codes = [table.to_minga(Dhis2Kind.INDICATOR, e, scheme) or e for e in elements]
        found = dict(
            Indicator.objects.filter(collective=collective, code__in=codes).values_list("code", "pk")
        )
        missing = [e for e, c in zip(elements, codes, strict=True) if c not in found]
        if missing:
            raise DomainError.single(
                "unknown_reference", f"No indicator for {', '.join(missing)}.", field="dataElement"
            )
        ids |= set(found.values())
    if data_set:
        code = table.to_minga(Dhis2Kind.DATASET, data_set, scheme) or data_set
        indicator_set = IndicatorSet.objects.filter(collective=collective, code=code).first()
        if indicator_set is None:
            raise DomainError.single("unknown_reference", f"No data set {data_set!r}.", field="dataSet")
        ids |= set(
            IndicatorSetItem.objects.filter(indicator_set=indicator_set).values_list(
                "indicator_id", flat=True
            )
        )
    return sorted(ids)


def dhis2_export(
    *,
    viewer: Any,
    collective: Collective,
    indicator_ids: Sequence[int] | None = None,
    period_codes: Sequence[str] = (),
    org_unit: Group | None = None,
    children: bool = False,
    schemes: Schemes | None = None,
    data_set: str = "",
) -> Export:
    """The values `viewer` reports for as a `dataValueSets` document, identified the DHIS2 way.

    `period_codes` may be DHIS2 or Minga codes; `org_unit` with `children` takes its subtree, without
    only the unit itself (as DHIS2). Values whose indicator, group or option has no DHIS2 identifier in
    the chosen scheme are left out and counted in `unmapped`."""
    schemes = schemes or Schemes()
    table = MappingTable.load(collective)
    qs = reporting_values(viewer, collective)
    if indicator_ids is not None:
        qs = qs.filter(indicator_id__in=indicator_ids)
    if period_codes:
        try:
            codes = [table.period_to_minga(p) for p in period_codes]
        except periods.PeriodError as error:
            raise DomainError.single("invalid_period", str(error), field="period") from None
        qs = qs.filter(period__code__in=codes)
    if org_unit is not None:
        qs = qs.within(org_unit) if children else qs.filter(group=org_unit)
    options = dict(
        DisaggregationOption.objects.filter(disaggregation__collective=collective).values_list("pk", "code")
    )
    default_combo = "default" if schemes.combo == CODE else DEFAULT_COMBO_UID
    values: list[dict[str, Any]] = []
    unmapped = 0
    period_names: dict[str, str] = {}
    rows = qs.order_by("period__start", "indicator__code", "group__code", "option").values_list(
        "indicator__code",
        "group__code",
        "period__code",
        "option",
        "value",
        "text",
        "indicator__value_type",
        "comment",
        "created_at",
        "updated_at",
    )
    for ind, grp, per, opt, value, text, value_type, comment, created, updated in rows.iterator(
        chunk_size=5_000
    ):
        element = table.to_dhis2(Dhis2Kind.INDICATOR, ind, schemes.data_element)
        unit = table.to_dhis2(Dhis2Kind.GROUP, grp, schemes.org_unit)
        combo = (
            default_combo
            if not opt
            else table.to_dhis2(Dhis2Kind.OPTION, options.get(opt, ""), schemes.combo)
        )
        if element is None or unit is None or combo is None:
            unmapped += 1
            continue
        if per not in period_names:
            period_names[per] = table.period_to_dhis2(per)
        if value_type == ValueType.YES_NO:
            shown = "" if value is None else ("true" if value else "false")
        else:
            shown = format_value(value, text, value_type)
        item: dict[str, Any] = {
            "dataElement": element,
            "period": period_names[per],
            "orgUnit": unit,
            "categoryOptionCombo": combo,
            "attributeOptionCombo": default_combo,
            "value": shown,
            "storedBy": "minga",
            "created": created.isoformat(),
            "lastUpdated": updated.isoformat(),
            "followup": False,
        }
        if comment:
            item["comment"] = comment
        values.append(item)
    payload: dict[str, Any] = {}
    if data_set:
        payload["dataSet"] = data_set
    if len(period_names) == 1:
        payload["period"] = next(iter(period_names.values()))
    if org_unit is not None:
        found = table.to_dhis2(Dhis2Kind.GROUP, org_unit.code, schemes.org_unit)
        if found:
            payload["orgUnit"] = found
    payload["dataValues"] = values
    return Export(payload, unmapped)


# --- the mapping's services -----------------------------------------------------------------------


def make_uid(*parts: object) -> str:
    """A stable DHIS2-shaped UID (11 characters, a letter first) for a Minga object."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    chars = [_UID_ALPHABET[digest[0] % 52]]
    chars += [_UID_ALPHABET[b % len(_UID_ALPHABET)] for b in digest[1:11]]
    return "".join(chars)


def _minga_exists(collective: Collective, kind: str, code: str) -> bool:
    if kind == Dhis2Kind.INDICATOR:
        return Indicator.objects.filter(collective=collective, code=code).exists()
    if kind == Dhis2Kind.GROUP:
        return Group.objects.filter(collective=collective, code=code).exists()
    if kind == Dhis2Kind.OPTION:
        return DisaggregationOption.objects.filter(
            disaggregation__collective=collective, code__iexact=code
        ).exists()
    if kind == Dhis2Kind.DATASET:
        return IndicatorSet.objects.filter(collective=collective, code=code).exists()
    try:
        periods.parse_period(code)
    except periods.PeriodError:
        return False
    return True


def _check_mapping(mapping: Dhis2Mapping) -> None:
    problems = []
    mapping.dhis2_id = mapping.dhis2_id.strip()
    mapping.dhis2_code = mapping.dhis2_code.strip()
    mapping.code = mapping.code.strip()
    if mapping.kind not in Dhis2Kind.values:
        raise DomainError.single("invalid", f"kind is one of {', '.join(Dhis2Kind.values)}.", field="kind")
    if not mapping.dhis2_id and not mapping.dhis2_code:
        raise DomainError.single("required", "Give the DHIS2 id, the DHIS2 code, or both.", field="dhis2_id")
    if mapping.kind == Dhis2Kind.PERIOD:
        try:
            mapping.code = periods.parse_period(mapping.code).code
        except periods.PeriodError as error:
            raise DomainError.single("invalid_period", str(error), field="code") from None
    elif not _minga_exists(mapping.collective, mapping.kind, mapping.code):
        raise DomainError.single(
            "unknown_reference",
            f"There is no {mapping.kind} {mapping.code!r} in this collective.",
            field="code",
        )
    clash = Dhis2Mapping.objects.filter(collective=mapping.collective, kind=mapping.kind).exclude(
        pk=mapping.pk
    )
    if clash.filter(code=mapping.code).exists():
        problems.append(("code", f"{mapping.code!r} is already mapped."))
    if mapping.dhis2_id and clash.filter(dhis2_id=mapping.dhis2_id).exists():
        problems.append(("dhis2_id", f"The DHIS2 id {mapping.dhis2_id!r} is already mapped."))
    if mapping.dhis2_code and clash.filter(dhis2_code=mapping.dhis2_code).exists():
        problems.append(("dhis2_code", f"The DHIS2 code {mapping.dhis2_code!r} is already mapped."))
    if problems:
        raise DomainError(Problem(code="duplicate", message=m, field=f) for f, m in problems)
    full_clean(mapping, exclude=["collective"])


def access_mapping(user: Any, mapping_id: int, *, for_edit: bool = False) -> Dhis2Mapping:
    qs = Dhis2Mapping.objects.editable_by(user) if for_edit else Dhis2Mapping.objects.visible_to(user)
    obj = qs.select_related("collective").filter(pk=mapping_id).first()
    if obj is None:
        raise NotFound("mapping")
    return obj


@transaction.atomic
def dhis2_mapping_create(
    *,
    actor: Any,
    collective: Collective,
    kind: str,
    code: str,
    dhis2_id: str = "",
    dhis2_code: str = "",
    name: str = "",
) -> Dhis2Mapping:
    services._require_admin(actor, collective)
    mapping = Dhis2Mapping(
        collective=collective, kind=kind, code=code, dhis2_id=dhis2_id, dhis2_code=dhis2_code, name=name
    )
    _check_mapping(mapping)
    mapping.save()
    audit_record(actor=actor, action="dhis2_mapping.create", target=mapping, collective=collective)
    return mapping


@transaction.atomic
def dhis2_mapping_update(*, actor: Any, mapping: Dhis2Mapping, **changes: Any) -> Dhis2Mapping:
    services._require_admin(actor, mapping.collective)
    allowed = {"code", "dhis2_id", "dhis2_code", "name"}
    unknown = set(changes) - allowed
    if unknown:
        raise DomainError.single("invalid", f"Cannot change {', '.join(sorted(unknown))}.")
    before = {f: getattr(mapping, f) for f in changes}
    for name, value in changes.items():
        setattr(mapping, name, value if value is not None else "")
    _check_mapping(mapping)
    mapping.save()
    audit_record(
        actor=actor,
        action="dhis2_mapping.update",
        target=mapping,
        collective=mapping.collective,
        changes={f: [before[f], getattr(mapping, f)] for f in changes if before[f] != getattr(mapping, f)},
    )
    return mapping


@transaction.atomic
def dhis2_mapping_delete(*, actor: Any, mapping: Dhis2Mapping) -> None:
    services._require_admin(actor, mapping.collective)
    audit_record(actor=actor, action="dhis2_mapping.delete", target=mapping, collective=mapping.collective)
    mapping.delete()


@transaction.atomic
def dhis2_mappings_generate(
    *, actor: Any, collective: Collective, kinds: Sequence[str] | None = None, batch_size: int = 2_000
) -> dict[str, int]:
    """Map every indicator, group, option and indicator set not mapped yet, with its Minga code as the
    DHIS2 code and a stable generated UID: a starting point for a DHIS2 instance set up from Minga's
    definitions (or for a test instance). Returns the count created per kind."""
    services._require_admin(actor, collective)
    kinds = list(kinds or [Dhis2Kind.INDICATOR, Dhis2Kind.GROUP, Dhis2Kind.OPTION, Dhis2Kind.DATASET])
    sources: dict[str, Any] = {
        Dhis2Kind.INDICATOR: Indicator.objects.filter(collective=collective).values_list("code", "name"),
        Dhis2Kind.GROUP: Group.objects.filter(collective=collective).values_list("code", "name"),
        Dhis2Kind.OPTION: DisaggregationOption.objects.filter(disaggregation__collective=collective)
        .order_by("code")
        .values_list("code", "name")
        .distinct(),
        Dhis2Kind.DATASET: IndicatorSet.objects.filter(collective=collective).values_list("code", "name"),
    }
    counts: dict[str, int] = {}
    for kind in kinds:
        if kind not in sources:
            raise DomainError.single("invalid", f"Cannot generate mappings of kind {kind!r}.", field="kinds")
        taken = Dhis2Mapping.objects.filter(collective=collective, kind=kind)
        mapped = {c.lower() for c in taken.values_list("code", flat=True)}
        taken_ids = set(taken.values_list("dhis2_id", flat=True))
        taken_codes = {c.lower() for c in taken.values_list("dhis2_code", flat=True)}
        new: list[Dhis2Mapping] = []
        seen: set[str] = set()
        for code, name in sources[kind]:
            if not code or code.lower() in mapped or code.lower() in seen:
                continue
            seen.add(code.lower())
            uid = make_uid(collective.pk, kind, code)
            new.append(
                Dhis2Mapping(
                    collective=collective,
                    kind=kind,
                    code=code,
                    dhis2_id="" if uid in taken_ids else uid,
                    dhis2_code="" if code.lower() in taken_codes else code[:100],
                    name=name[:200],
                )
            )
        new = [m for m in new if m.dhis2_id or m.dhis2_code]
        Dhis2Mapping.objects.bulk_create(new, batch_size=batch_size)
        counts[kind] = len(new)
    if any(counts.values()):
        audit_record(actor=actor, action="dhis2_mapping.generate", target=collective, changes=counts)
    return counts


def mappings_for(user: Any, collective: Collective, kind: str = "", search: str = "") -> Any:
    qs = Dhis2Mapping.objects.visible_to(user).filter(collective=collective)
    if kind:
        qs = qs.filter(kind=kind)
    if search:
        qs = qs.filter(
            Q(code__icontains=search) | Q(dhis2_id__icontains=search) | Q(dhis2_code__icontains=search)
        )
    return qs


@dataclass
class MappingBatch:
    """What `dhis2_mappings_upsert` did: counts, and each refused row with its reasons."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": len({p.row for p in self.rejected}),
            "problems": [p.as_dict() for p in self.rejected],
        }


def _minga_codes(collective: Collective, kind: str, codes: set[str]) -> set[str]:
    """Which of `codes` name an object of `kind` in `collective` (in lower case; option codes are matched
    without regard to case, as the writer does)."""
    found: set[str] = set()
    wanted = sorted(codes)
    for start in range(0, len(wanted), CHUNK):
        part = wanted[start : start + CHUNK]
        if kind == Dhis2Kind.OPTION:  # a collective has a few dozen options: read them all
            options = DisaggregationOption.objects.filter(disaggregation__collective=collective)
            found |= {c.lower() for c in options.values_list("code", flat=True)} & {p.lower() for p in part}
            continue
        models: dict[str, Any] = {"indicator": Indicator, "group": Group, "dataset": IndicatorSet}
        model = models[kind]
        found |= {
            c.lower()
            for c in model.objects.filter(collective=collective, code__in=part).values_list("code", flat=True)
        }
    return found


@transaction.atomic
def dhis2_mappings_upsert(
    *, actor: Any, collective: Collective, rows: Sequence[dict[str, Any]], dry_run: bool = False
) -> MappingBatch:
    """Create or update many mappings at once, by (kind, Minga code): e.g. the organisation units of a
    DHIS2 metadata export matched to groups. Rows are {kind, code, dhis2_id, dhis2_code, name}; a row
    that breaks a rule is refused with its reasons (its `row` is its index) and the others are written."""
    services._require_admin(actor, collective)
    if len(rows) > MAX_VALUES:
        raise DomainError.single("batch_too_large", f"Send at most {MAX_VALUES:,} mappings at a time.")
    result = MappingBatch()
    stored = {(m.kind, m.code.lower()): m for m in Dhis2Mapping.objects.filter(collective=collective)}
    clean: list[tuple[int, str, str, str, str, str]] = []
    for index, raw in enumerate(rows):
        if not isinstance(raw, dict):
            result.rejected.append(Problem(code="invalid", message="A mapping is an object.", row=index))
            continue
        kind, code, dhis2_id, dhis2_code, name = (
            str(raw.get(k) or "").strip() for k in ("kind", "code", "dhis2_id", "dhis2_code", "name")
        )
        kind = kind.lower()

        def bad(field_name: str, code_: str, message: str, index: int = index) -> None:
            result.rejected.append(Problem(code=code_, message=message, field=field_name, row=index))

        before = len(result.rejected)
        if kind not in Dhis2Kind.values:
            bad("kind", "invalid", f"kind is one of {', '.join(Dhis2Kind.values)}.")
        if not code:
            bad("code", "required", "Give the Minga code.")
        if not dhis2_id and not dhis2_code:
            bad("dhis2_id", "required", "Give the DHIS2 id, the DHIS2 code, or both.")
        if len(dhis2_id) > 50 or len(dhis2_code) > 100 or len(code) > 100 or len(name) > 200:
            bad("code", "too_long", "An id has at most 50 characters, a code 100, a name 200.")
        if kind == Dhis2Kind.PERIOD and code:
            try:
                code = periods.parse_period(code).code
            except periods.PeriodError as error:
                bad("code", "invalid_period", str(error))
        if len(result.rejected) == before:
            clean.append((index, kind, code, dhis2_id, dhis2_code, name))
    by_kind: dict[str, set[str]] = {}
    for _, kind, code, *_rest in clean:
        if kind != Dhis2Kind.PERIOD:
            by_kind.setdefault(kind, set()).add(code)
    existing = {kind: _minga_codes(collective, kind, codes) for kind, codes in by_kind.items()}
    # Rows that may be written: known Minga object, once per batch.
    accepted: dict[tuple[str, str], tuple[int, str, str, str, str, str]] = {}
    for index, kind, code, dhis2_id, dhis2_code, name in clean:
        key = (kind, code.lower())
        if kind != Dhis2Kind.PERIOD and code.lower() not in existing.get(kind, set()):
            result.rejected.append(
                Problem(
                    "unknown_reference", f"There is no {kind} {code!r} in this collective.", "code", index
                )
            )
        elif key in accepted:
            result.rejected.append(
                Problem("duplicate", f"{code!r} is mapped twice in this batch.", "code", index)
            )
        else:
            accepted[key] = (index, kind, code, dhis2_id, dhis2_code, name)
    # DHIS2 ids and codes stay unique in the state after the batch: the rows it does not touch keep
    # theirs (so ids may move between rows of the batch), and a row that claims one already held is
    # refused; refusing a stored row keeps its old id, which may refuse another: repeat until stable.
    while True:
        owners: dict[tuple[str, str, str], tuple[str, str]] = {}
        for key, m in stored.items():
            if key not in accepted:
                if m.dhis2_id:
                    owners[("id", m.kind, m.dhis2_id)] = key
                if m.dhis2_code:
                    owners[("code", m.kind, m.dhis2_code.lower())] = key
        clashes: list[tuple[tuple[str, str], Problem]] = []
        for key, (index, kind, _code, dhis2_id, dhis2_code, _name) in accepted.items():
            for what, value, shown in (("id", dhis2_id, dhis2_id), ("code", dhis2_code.lower(), dhis2_code)):
                if value and owners.setdefault((what, kind, value), key) != key:
                    clashes.append(
                        (
                            key,
                            Problem(
                                "duplicate",
                                f"The DHIS2 {what} {shown!r} is already mapped.",
                                f"dhis2_{what}",
                                index,
                            ),
                        )
                    )
        if not clashes:
            break
        for key, problem in clashes:
            if accepted.pop(key, None) is not None:
                result.rejected.append(problem)
    creates: list[Dhis2Mapping] = []
    updates: list[Dhis2Mapping] = []
    for key, (_index, kind, code, dhis2_id, dhis2_code, name) in accepted.items():
        current = stored.get(key)
        if current is None:
            creates.append(
                Dhis2Mapping(
                    collective=collective,
                    kind=kind,
                    code=code,
                    dhis2_id=dhis2_id,
                    dhis2_code=dhis2_code,
                    name=name,
                )
            )
        elif (current.dhis2_id, current.dhis2_code, current.name) == (
            dhis2_id,
            dhis2_code,
            name or current.name,
        ):
            result.unchanged += 1
        else:
            current.dhis2_id, current.dhis2_code, current.name = dhis2_id, dhis2_code, name or current.name
            updates.append(current)
    result.rejected.sort(key=lambda p: p.row or 0)
    result.created, result.updated = len(creates), len(updates)
    if not dry_run:
        Dhis2Mapping.objects.bulk_create(creates, batch_size=2_000)
        # Ids and codes may move from one row to another: park the rows being changed on a placeholder id
        # of their own first, so the unique indexes hold at every step (PostgreSQL checks them per row).
        for start in range(0, len(updates), 2_000):
            Dhis2Mapping.objects.filter(pk__in=[m.pk for m in updates[start : start + 2_000]]).update(
                dhis2_id=Concat(Value("~"), Cast("id", output_field=CharField())), dhis2_code=""
            )
        Dhis2Mapping.objects.bulk_update(updates, ["dhis2_id", "dhis2_code", "name"], batch_size=2_000)
        if result.created or result.updated:
            audit_record(
                actor=actor,
                action="dhis2_mapping.upsert",
                target=collective,
                changes={
                    "created": result.created,
                    "updated": result.updated,
                    "rejected": len(result.rejected),
                },
            )
    return result
