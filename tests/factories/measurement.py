"""Factories for shared measurement: indicators, disaggregations, periods and values, inserted directly."""

from __future__ import annotations

import itertools
from typing import Any

from django.utils import timezone

from minga.architecture.models import Group
from minga.core.models import Collective
from minga.measurement import periods
from minga.measurement.models import (
    TOTAL,
    DataValue,
    Disaggregation,
    DisaggregationOption,
    Indicator,
    ReportingPeriod,
)

_seq = itertools.count(1)


def make_indicator(collective: Collective, **fields: Any) -> Indicator:
    n = next(_seq)
    kinds = fields.pop("kinds", None)
    indicator = Indicator.objects.create(
        collective=collective,
        code=fields.pop("code", f"ind-{n}"),
        name=fields.pop("name", f"Indicator {n}"),
        **fields,
    )
    if kinds:
        indicator.kinds.set(kinds)
    return indicator


def make_sex_age(collective: Collective, code: str = "sex_age") -> Disaggregation:
    """Sex (f, m) x age (0-14, 15-24, 25+): six options, f.0-14 … m.25+."""
    dis = Disaggregation.objects.create(
        collective=collective,
        code=code,
        name="Sex x age",
        categories=[
            {"code": "sex", "name": "Sex", "options": [["f", "Female"], ["m", "Male"]]},
            {"code": "age", "name": "Age", "options": [["0-14", "0-14"], ["15-24", "15-24"], ["25+", "25+"]]},
        ],
    )
    n = 0
    for sex, sex_name in (("f", "Female"), ("m", "Male")):
        for age in ("0-14", "15-24", "25+"):
            DisaggregationOption.objects.create(
                disaggregation=dis, code=f"{sex}.{age}", name=f"{sex_name}, {age}", order=n
            )
            n += 1
    return dis


def make_period(collective: Collective, code: str, **fields: Any) -> ReportingPeriod:
    spec = periods.parse_period(code)
    period, _ = ReportingPeriod.objects.get_or_create(
        collective=collective,
        code=spec.code,
        defaults={"kind": spec.kind, "start": spec.start, "end": spec.end, "due_on": spec.end, **fields},
    )
    return period


def make_value(
    indicator: Indicator,
    group: Group,
    period: ReportingPeriod,
    value: float | None,
    *,
    option: int = TOTAL,
    **fields: Any,
) -> DataValue:
    now = timezone.now()
    return DataValue.objects.create(
        collective=indicator.collective,
        indicator=indicator,
        group=group,
        period=period,
        option=option,
        value=value,
        created_at=fields.pop("created_at", now),
        updated_at=fields.pop("updated_at", now),
        **fields,
    )
