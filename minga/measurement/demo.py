"""The measurement part of the demo: a grassroots network's indicators (some by sex x age), its monthly
form, two years of monthly values from the action-layer groups, targets per country, a validation
rule, and approvals of older months by region.

Called by `minga.demo.generate` inside the demo transaction once groups and people exist. Values are
written with set-based inserts (`core.bulk.sql.insert_rows`); sizes scale the months and the
indicators that get values so that "tiny" stays under a second and "large" stays in minutes.

The story the demo tells: the lead's group has not reported last month yet (the lead enters it), the
latest months are not approved (the coordinator approves their region), older ones are.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from minga.architecture.models import Group, GroupKind, GroupStatus, Layer
from minga.core.bulk.sql import insert_rows
from minga.core.models import Collective
from minga.measurement import demo_dhis2, periods, services
from minga.measurement.ingest import DUE_AFTER_DAYS
from minga.measurement.models import (
    Aggregation,
    Approval,
    DataValue,
    Indicator,
    ReportingPeriod,
    Target,
    ValueType,
)

# (code, name, unit, value type, aggregation, disaggregated, SDG target, IRIS+ code, base, spread)
# `base` is the typical monthly value for a group of 25 members, `spread` its relative noise.
INDICATORS: tuple[tuple[str, str, str, str, str, bool, str, str, float, float], ...] = (
    ("members_active", "Members active", "people", "integer", "last", False, "", "PI4060", 25, 0.15),
    ("members_women", "Women among active members", "people", "integer", "last", False, "5.5", "", 14, 0.2),
    ("meetings_held", "Meetings held", "meetings", "integer", "sum", False, "", "", 4, 0.35),
    ("attendance_rate", "Average meeting attendance", "%", "percentage", "average", False, "", "", 72, 0.12),
    ("savings_mobilised", "Savings mobilised", "KES", "number", "sum", False, "1.4", "PI5376", 9000, 0.3),
    (
        "loans_disbursed",
        "Loans disbursed to members",
        "loans",
        "integer",
        "sum",
        False,
        "1.4",
        "PI8330",
        3,
        0.6,
    ),
    (
        "children_enrolled",
        "Children enrolled in school",
        "children",
        "integer",
        "last",
        True,
        "4.1",
        "PI2389",
        6,
        0.3,
    ),
    ("girls_enrolled", "Girls enrolled in school", "girls", "integer", "last", False, "4.5", "", 3, 0.3),
    ("training_participants", "People trained", "people", "integer", "sum", True, "4.4", "PI2998", 8, 0.5),
    (
        "households_reached",
        "Households reached",
        "households",
        "integer",
        "sum",
        False,
        "1.2",
        "PI9409",
        18,
        0.4,
    ),
    ("new_members", "New members joined", "people", "integer", "sum", False, "", "", 2, 0.8),
    ("members_left", "Members who left", "people", "integer", "sum", False, "", "", 1, 0.9),
    ("youth_members", "Youth members (15-24)", "people", "integer", "last", False, "8.6", "", 7, 0.25),
    (
        "campaign_actions",
        "Campaign actions taken part in",
        "actions",
        "integer",
        "sum",
        False,
        "16.7",
        "",
        1,
        0.9,
    ),
    (
        "petitions_signed",
        "Petition signatures gathered",
        "signatures",
        "integer",
        "sum",
        False,
        "16.7",
        "",
        40,
        0.8,
    ),
    (
        "local_meetings_officials",
        "Meetings with local officials",
        "meetings",
        "integer",
        "sum",
        False,
        "16.7",
        "",
        1,
        1.0,
    ),
    ("trees_planted", "Trees planted", "trees", "integer", "sum", False, "15.2", "PI6372", 60, 0.9),
    (
        "water_points_maintained",
        "Water points maintained",
        "water points",
        "integer",
        "max",
        False,
        "6.1",
        "",
        2,
        0.5,
    ),
    ("health_referrals", "Health referrals made", "referrals", "integer", "sum", False, "3.8", "", 5, 0.7),
    ("food_baskets", "Food baskets distributed", "baskets", "integer", "sum", False, "2.1", "", 12, 0.9),
    ("mentoring_sessions", "Peer mentoring sessions", "sessions", "integer", "sum", False, "", "", 2, 0.6),
    ("practices_tried", "Promising practices tried", "practices", "integer", "sum", False, "", "", 0.4, 1.0),
    (
        "income_generating",
        "Members with an income activity",
        "people",
        "integer",
        "last",
        False,
        "8.5",
        "PI3193",
        11,
        0.3,
    ),
    ("volunteer_hours", "Volunteer hours", "hours", "number", "sum", False, "", "", 90, 0.5),
    ("funds_raised_locally", "Funds raised locally", "KES", "number", "sum", False, "17.3", "", 2500, 0.7),
    ("has_bank_account", "Group has a bank account", "", "yes_no", "sum", False, "8.10", "", 1, 0.0),
    ("safeguarding_focal", "Safeguarding focal person named", "", "yes_no", "sum", False, "", "", 1, 0.0),
    ("solidarity_fund", "Solidarity fund contributions", "KES", "number", "sum", False, "1.3", "", 800, 0.5),
    (
        "disputes_resolved",
        "Disputes resolved in the group",
        "disputes",
        "integer",
        "sum",
        False,
        "16.3",
        "",
        0.5,
        1.0,
    ),
    ("highlight", "Highlight of the month", "", "text", "count", False, "", "", 0, 0.0),
)

HIGHLIGHTS = (
    "Opened a savings box with the new members.",
    "Met the ward officer about the water point.",
    "Trained members on bookkeeping.",
    "Planted trees along the school fence.",
    "Shared the seed-saving practice with a neighbour group.",
    "Held a community dialogue on girls' schooling.",
)

# Per size: (months of values, how many indicators get values, share of groups that report at all).
SCALE: dict[str, tuple[int, int, float]] = {
    "tiny": (6, 8, 1.0),
    "small": (24, 20, 1.0),
    "medium": (24, 10, 1.0),
    "large": (12, 6, 1.0),
}
VALUE_COLUMNS = (
    "collective_id", "indicator_id", "group_id", "period_id", "option", "value", "text", "comment", "source",
    "entered_by_id", "created_at", "updated_at",
)  # fmt: skip
BATCH = 20_000


def populate(
    *, collective: Collective, actor: Any, size: str, seed: int, today: dt.date, progress: Any
) -> dict[str, int]:
    """Add the measurement demo to `collective`; returns counts of what was made."""
    rng = random.Random(seed * 7_919 + 5)
    months, with_values, _ = SCALE.get(size, SCALE["small"])
    progress.step("Measurement: indicators", len(INDICATORS))
    sex_age = services.disaggregation_create(
        actor=actor,
        collective=collective,
        code="sex_age",
        name="Sex x age band",
        categories=[
            {"code": "sex", "name": "Sex", "options": [["f", "Female"], ["m", "Male"]]},
            {"code": "age", "name": "Age", "options": [["0-14", "0-14"], ["15-24", "15-24"], ["25+", "25+"]]},
        ],
    )
    options = list(sex_age.options.order_by("order").values_list("pk", "code"))
    group_kind = GroupKind.objects.filter(collective=collective, code="group").first()
    kinds = [group_kind] if group_kind else []
    indicators: list[Indicator] = []
    start = periods.period_for(periods.MONTH, today).previous()
    first_month = start
    for _ in range(months - 1):
        first_month = first_month.previous()
    for code, name, unit, value_type, aggregation, disaggregated, sdg, iris, _, _ in INDICATORS:
        indicators.append(
            services.indicator_create(
                actor=actor,
                collective=collective,
                code=code,
                name=name,
                unit=unit,
                value_type=value_type,
                aggregation=aggregation,
                disaggregation=sex_age if disaggregated else None,
                kinds=kinds,
                min_value=0 if value_type in (ValueType.INTEGER, ValueType.NUMBER) else None,
                required=code in ("members_active", "meetings_held"),
                sdg_target=sdg,
                iris_code=iris,
                active_from=first_month.start,
                description=f"Reported monthly by each grassroots group. {name}.",
            )
        )
        progress.advance()
    by_code = {i.code: i for i in indicators}
    services.indicator_set_create(
        actor=actor,
        collective=collective,
        code="monthly-report",
        name="Monthly group report",
        indicators=indicators,
        kinds=kinds,
    )
    services.validation_rule_create(
        actor=actor,
        collective=collective,
        name="Girls enrolled within children enrolled",
        left=by_code["girls_enrolled"],
        operator="<=",
        right=by_code["children_enrolled"],
    )
    services.validation_rule_create(
        actor=actor,
        collective=collective,
        name="Women within active members",
        left=by_code["members_women"],
        operator="<=",
        right=by_code["members_active"],
    )
    month_specs = periods.period_range(first_month, start)
    ReportingPeriod.objects.bulk_create(
        [
            ReportingPeriod(
                collective=collective,
                kind=s.kind,
                code=s.code,
                start=s.start,
                end=s.end,
                due_on=s.end + dt.timedelta(days=DUE_AFTER_DAYS),
            )
            for s in month_specs
        ]
    )
    stored = dict(ReportingPeriod.objects.filter(collective=collective).values_list("code", "pk"))
    month_ids = [(s, stored[s.code]) for s in month_specs]
    values = _values(
        collective=collective,
        indicators=indicators[:with_values],
        options=options,
        months=month_ids,
        rng=rng,
        today=today,
        progress=progress,
    )
    targets = _targets(collective, by_code, month_ids)
    approvals = _approvals(collective, actor, month_ids, today)
    return {
        "indicators": len(indicators),
        "data_values": values,
        "targets": targets,
        "approvals": approvals,
        # Codes for exchanging values with a DHIS2 instance, so the DHIS2 page works at once.
        **demo_dhis2.populate(collective=collective, actor=actor, progress=progress),
    }


def _lead_group_ids() -> set[int]:
    """The demo lead's groups (read through the login's reverse relations: no import of people)."""
    User = get_user_model()
    return {
        pk
        for pk in User.objects.filter(email="lead@demo.minga.local").values_list(
            "persons__memberships__group_id", flat=True
        )
        if pk
    }


def _values(
    *,
    collective: Collective,
    indicators: list[Indicator],
    options: list[tuple[int, str]],
    months: list[tuple[periods.PeriodSpec, int]],
    rng: random.Random,
    today: dt.date,
    progress: Any,
) -> int:
    groups = list(
        Group.objects.filter(collective=collective, layer=Layer.ACTION).values_list(
            "pk", "founded_on", "status", "closed_on"
        )
    )
    skip_last = _lead_group_ids()
    spec = {row[0]: row for row in INDICATORS}
    now = timezone.now()
    ops = connection.ops
    progress.step("Measurement: values", len(groups))
    rows: list[tuple[Any, ...]] = []
    written = 0
    last_code = months[-1][0].code if months else ""
    option_shares = [0.12, 0.14, 0.24, 0.1, 0.13, 0.27]  # f/m x 0-14, 15-24, 25+
    for group_id, founded_on, status, closed_on in groups:
        scale = rng.lognormvariate(0, 0.35)  # group size relative to a 25-member group
        growth = rng.uniform(-0.005, 0.03)  # per month
        diligence = rng.uniform(0.75, 0.99)  # how often the group reports
        for n, (month, period_id) in enumerate(months):
            if founded_on is not None and founded_on > month.end:
                continue
            if status == GroupStatus.CLOSED and closed_on is not None and closed_on < month.start:
                continue
            if month.code == last_code and (group_id in skip_last or rng.random() < 0.35):
                continue  # last month: the lead (and a third of the groups) have not reported yet
            if rng.random() > diligence:
                continue
            delay = rng.choice((2, 4, 6, 8, 9, 12, 15, 21))
            entered = dt.datetime.combine(month.end + dt.timedelta(days=delay), dt.time(9), tzinfo=dt.UTC)
            stamp = ops.adapt_datetimefield_value(min(entered, now))
            trend = scale * (1 + growth * n)
            for indicator in indicators:
                _, _, _, value_type, _, disaggregated, _, _, base, spread = spec[indicator.code]
                text = ""
                if value_type == ValueType.TEXT:
                    value: float | None = None
                    text = rng.choice(HIGHLIGHTS)
                elif value_type == ValueType.YES_NO:
                    value = 1.0 if rng.random() < min(0.95, 0.4 + n * 0.03 + scale * 0.1) else 0.0
                elif indicator.aggregation == Aggregation.COUNT:
                    value = 1.0
                else:
                    raw = base * trend * max(0.0, rng.gauss(1, spread))
                    if value_type == ValueType.PERCENTAGE:
                        value = round(min(100.0, max(0.0, base * rng.gauss(1, spread))), 1)
                    elif value_type == ValueType.INTEGER:
                        value = float(round(raw))
                    else:
                        value = round(raw, -1)
                if disaggregated and value is not None:
                    for (option_id, _), share in zip(options, option_shares, strict=True):
                        part = float(round(value * share * 2))
                        rows.append(
                            (collective.pk, indicator.pk, group_id, period_id, option_id, part, "", "",
                             DataValue.Source.DEMO, None, stamp, stamp)
                        )  # fmt: skip
                else:
                    rows.append(
                        (collective.pk, indicator.pk, group_id, period_id, 0, value, text, "",
                         DataValue.Source.DEMO, None, stamp, stamp)
                    )  # fmt: skip
            if len(rows) >= BATCH:
                insert_rows(DataValue._meta.db_table, VALUE_COLUMNS, rows)
                written += len(rows)
                rows = []
        progress.advance()
    insert_rows(DataValue._meta.db_table, VALUE_COLUMNS, rows)
    return written + len(rows)


def _targets(collective: Collective, by_code: dict[str, Indicator], months: list[tuple[Any, int]]) -> int:
    """Monthly targets per country for members active and savings: 10% above what its groups did on
    average in the first months, rising 1% a month."""
    countries = list(
        Group.objects.filter(collective=collective, parent__isnull=True)
        .exclude(layer=Layer.SUPPORT)
        .values_list("pk", "path")
    )
    made = []
    for code in ("members_active", "savings_mobilised"):
        indicator = by_code[code]
        for country_id, path in countries:
            first_ids = [pid for _, pid in months[:3]]
            baseline = DataValue.objects.filter(
                indicator=indicator, period_id__in=first_ids, group__path__startswith=path
            ).values_list("value", flat=True)
            total = sum(v for v in baseline if v is not None) / max(1, len(first_ids))
            if not total:
                continue
            for n, (_, period_id) in enumerate(months):
                made.append(
                    Target(
                        collective=collective,
                        indicator=indicator,
                        group_id=country_id,
                        period_id=period_id,
                        value=round(total * 1.1 * (1 + 0.01 * n), -1 if code == "savings_mobilised" else 0),
                    )
                )
    Target.objects.bulk_create(made, batch_size=2_000)
    return len(made)


def _approvals(collective: Collective, actor: Any, months: list[tuple[Any, int]], today: dt.date) -> int:
    """Regions approved their data up to three months ago; the latest months wait for approval."""
    regions = list(
        Group.objects.filter(collective=collective, depth=1)
        .exclude(layer=Layer.SUPPORT)
        .values_list("pk", flat=True)
    )
    cutoff = today - dt.timedelta(days=100)
    stamp = timezone.now()
    made = [
        Approval(
            collective=collective, group_id=region, period_id=period_id, approved_by=actor, approved_at=stamp
        )
        for month, period_id in months
        if month.end < cutoff
        for region in regions
    ]
    Approval.objects.bulk_create(made, batch_size=2_000)
    return len(made)


def finish(*, collective: Collective, progress: Any) -> dict[str, int]:
    """Build the pre-aggregated rollups once every app has written its values (they are loaded raw, as
    a restore would be), so the demo's dashboards read them as a real collective's would."""
    from minga.measurement.aggregates import reaggregate

    progress.step("Measurement: pre-aggregated rollups")
    return {"aggregate_rows": reaggregate(collective=collective).rows}
