"""Request and response shapes of the measurement API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema

from minga.core.api_support import PageParams
from minga.core.choices import Visibility
from minga.measurement.models import Aggregation, Frequency, ValueType
from minga.measurement.services import MAX_BATCH


class ValueItem(Schema):
    indicator: str = Field(description="The indicator's code.", max_length=60)
    group: str = Field(description="The group's code.", max_length=60)
    period: str = Field(description="ISO period: 2026W05, 202603, 2026Q1 or 2026.", max_length=12)
    option: str = Field("", description="Disaggregation option code (e.g. f.15-24); blank if none.")
    value: Any = Field(None, description='Number, yes/no, or text; null or "" deletes the stored value.')
    comment: str | None = Field(
        None, max_length=500, description='Omitted or null: the stored comment stays; "" clears it.'
    )


class DataValuesIn(Schema):
    collective: str = Field(description="The collective's slug.")
    dry_run: bool = Field(False, description="Check everything, write nothing.")
    values: list[ValueItem] = Field(max_length=MAX_BATCH)


class RejectedItem(Schema):
    index: int = Field(description="Position of the value in `values` (from 0).")
    code: str
    message: str
    field: str | None = None


class WarningItem(Schema):
    code: str
    message: str


class DataValuesOut(Schema):
    dry_run: bool
    created: int
    updated: int
    unchanged: int
    deleted: int
    rejected: int
    rejections: list[RejectedItem]
    warnings: list[WarningItem]


class DataValueOut(Schema):
    id: int
    indicator: str
    group: str
    period: str
    option: str
    value: float | None
    text: str
    comment: str
    source: str
    updated_at: dt.datetime


class DataValueFilters(PageParams):
    collective: str
    indicator: str | None = Field(None, description="Indicator code.")
    within: int | None = Field(None, description="Only the subtree of this group id.")
    period: str | None = Field(None, description="One period code.")


class IndicatorOut(Schema):
    id: int
    collective: str
    code: str
    name: str
    description: str
    unit: str
    value_type: str
    aggregation: str
    disaggregation: str | None
    options: list[str]
    frequency: str
    kinds: list[str]
    min_value: float | None
    max_value: float | None
    required: bool
    sdg_target: str
    iris_code: str
    active_from: dt.date | None
    active_until: dt.date | None
    visibility: str


class IndicatorIn(Schema):
    collective: str
    code: str = Field(max_length=60)
    name: str = Field(max_length=200)
    description: str = ""
    unit: str = Field("", max_length=40)
    value_type: ValueType = ValueType.INTEGER
    aggregation: Aggregation = Aggregation.SUM
    disaggregation: str | None = Field(None, description="Code of a disaggregation of the collective.")
    frequency: Frequency = Frequency.MONTH
    kinds: list[str] = Field(default_factory=list, description="Codes of the kinds of group that report it.")
    min_value: float | None = None
    max_value: float | None = None
    required: bool = False
    sdg_target: str = ""
    iris_code: str = ""
    active_from: dt.date | None = None
    active_until: dt.date | None = None
    visibility: Visibility = Visibility.PUBLIC


class IndicatorPatch(Schema):
    name: str | None = None
    description: str | None = None
    unit: str | None = None
    value_type: ValueType | None = None
    aggregation: Aggregation | None = None
    kinds: list[str] | None = None
    min_value: float | None = None
    max_value: float | None = None
    required: bool | None = None
    sdg_target: str | None = None
    iris_code: str | None = None
    active_from: dt.date | None = None
    active_until: dt.date | None = None
    visibility: Visibility | None = None


class IndicatorFilters(PageParams):
    collective: str | None = None


class PeriodOut(Schema):
    id: int
    code: str
    kind: str
    start: dt.date
    end: dt.date
    due_on: dt.date
    closes_on: dt.date | None


class PeriodIn(Schema):
    collective: str
    code: str
    due_on: dt.date | None = None
    closes_on: dt.date | None = None


class PeriodFilters(PageParams):
    collective: str
    kind: Frequency | None = None


class AnalyticsFilters(Schema):
    collective: str
    indicator: str = Field(description="Indicator code.")
    within: int | None = Field(None, description="Group id: its subtree (default: the whole collective).")
    set: int | None = Field(None, description="Group set id: its groups (instead of `within`).")
    period: str = Field("", description="202601:202612, 202601,202602, one code, or blank for the last 12.")
    by: str = Field("", description="'' (total), period, child, group or option.")


class AnalyticsCell(Schema):
    key: Any
    label: str
    value: float | None


class AnalyticsOut(Schema):
    indicator: str
    aggregation: str
    area: str
    periods: list[str]
    by: str
    total: float | None
    cells: list[AnalyticsCell]
    targets: dict[str, float]


class ApprovalIn(Schema):
    collective: str
    group: int = Field(description="Group id: its subtree is approved.")
    period: str


class ApprovalOut(Schema):
    id: int
    group: int
    period: str
    approved_at: dt.datetime
    revoked_at: dt.datetime | None
    revoke_reason: str


class UnlockIn(Schema):
    reason: str = Field(min_length=1, max_length=500)


class CompletenessOut(Schema):
    period: str
    expected: int
    on_time: int
    late: int
    missing: int
    rate: float
    missing_groups: list[str]


class TargetIn(Schema):
    collective: str
    indicator: str = Field(description="Indicator code.")
    group: int = Field(description="Group id: the target is for its subtree.")
    period: str
    value: float
    note: str = Field("", max_length=300)


class TargetOut(Schema):
    id: int
    indicator: str
    group: int
    period: str
    value: float
    note: str


class ViolationOut(Schema):
    rule: str
    group: int
    period: str
    left: float
    right: float
    message: str
