"""Reads of shared measurement: rollups over the tree, completeness, validation reports, the entry grid.

Every read starts from `DataValue.objects.visible_to(viewer)`, so a rollup only ever adds up what the
viewer may see (visitors: approved values of published indicators and public groups).

A rollup reads one index range — the natural key (indicator, period, group, option) — for an indicator
and a set of periods, joins the group for its `path` (the subtree filter and the child unit), and adds
up in Python by the indicator's aggregation rule. Where the pre-aggregated rows give exactly that
answer for this viewer (`aggregates.answers`: the viewer sees the whole area, the area's children keep
aggregates, the rule adds up across periods), the rollup reads those instead: a few hundred rows for
the whole collective rather than ~20,000 values per indicator at 10 million values (docs/measurement.md,
"Storage").
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Min, OuterRef, Q, Subquery

from minga.architecture.models import Group, GroupSet, GroupStatus, Layer
from minga.core.models import Collective
from minga.measurement import aggregates, periods, spans
from minga.measurement.models import (
    TOTAL,
    Aggregation,
    Approval,
    DataValue,
    DisaggregationOption,
    Indicator,
    IndicatorSet,
    IndicatorSetItem,
    ReportingPeriod,
    Target,
    ValidationRule,
)

BY_CHOICES = ("", "period", "child", "group", "option")


@dataclass(frozen=True)
class Area:
    """Where a rollup looks: a whole collective, a group's subtree, or the groups of a group set."""

    collective: Collective
    group: Group | None = None
    group_set: GroupSet | None = None

    @property
    def label(self) -> str:
        if self.group is not None:
            return self.group.name
        if self.group_set is not None:
            return self.group_set.name
        return self.collective.name

    def q(self) -> Q:
        """The filter of values (or targets) in the area."""
        if self.group is not None:
            return Q(group__path__startswith=self.group.path)
        if self.group_set is not None:
            return Q(group__in=self.group_set.groups.values("id"))
        return Q(collective_id=self.collective.pk)

    def child_key(self, group_id: int, path: str) -> int:
        """The child unit a value's group counts under: the next level below the area's group (or the
        top of the tree, for a whole collective); the group itself in a group set."""
        if self.group_set is not None:
            return group_id
        base = self.group.path if self.group is not None else "/"
        rest = path[len(base) :].strip("/")
        return int(rest.split("/")[0]) if rest else group_id


def aggregate(rule: str, rows: Iterable[tuple[int, int, int, float | None]]) -> float | None:
    """Add up (group, period order, option, value) rows by an indicator's rule.

    sum/average/min/max over the values; count: the number of groups that reported; last: each group's
    (and option's) value in its latest period, summed over groups — stocks such as active members."""
    rows = list(rows)
    if rule == Aggregation.COUNT:
        return float(len({g for g, _, _, _ in rows})) if rows else None
    numbers = [(g, p, o, v) for g, p, o, v in rows if v is not None]
    if not numbers:
        return None
    if rule == Aggregation.LAST:
        latest: dict[tuple[int, int], tuple[int, float]] = {}
        for g, p, o, v in numbers:
            seen = latest.get((g, o))
            if seen is None or p > seen[0]:
                latest[(g, o)] = (p, v)
        return sum(v for _, v in latest.values())
    values = [v for _, _, _, v in numbers]
    if rule == Aggregation.AVERAGE:
        return sum(values) / len(values)
    if rule == Aggregation.MIN:
        return min(values)
    if rule == Aggregation.MAX:
        return max(values)
    return sum(values)


@dataclass
class Rollup:
    indicator: Indicator
    area: Area
    periods: list[ReportingPeriod]
    by: str
    # key → (label, value); ordered for display
    cells: list[tuple[Any, str, float | None]] = field(default_factory=list)
    total: float | None = None
    values_read: int = 0  # values read, or aggregate rows when `from_aggregates`
    from_aggregates: bool = False

    def as_rows(self) -> list[dict[str, Any]]:
        return [{"key": key, "label": label, "value": value} for key, label, value in self.cells]


def periods_between(collective: Collective, kind: str, first: str, last: str) -> list[ReportingPeriod]:
    """The stored periods of `kind` from code `first` to `last` included, oldest first."""
    start = periods.parse_period(first).start
    end = periods.parse_period(last).end
    return list(
        ReportingPeriod.objects.filter(
            collective=collective, kind=kind, start__gte=start, end__lte=end
        ).order_by("start")
    )


def recent_periods(collective: Collective, kind: str, count: int, *, until: dt.date) -> list[ReportingPeriod]:
    """The stored periods among the `count` periods of `kind` that end with the one holding `until`."""
    specs = periods.last_periods(kind, count, until=until)
    stored = {
        p.code: p
        for p in ReportingPeriod.objects.filter(collective=collective, code__in=[s.code for s in specs])
    }
    return [stored[s.code] for s in specs if s.code in stored]


def rollup(
    *, viewer: Any, indicator: Indicator, area: Area, period_list: Sequence[ReportingPeriod], by: str = ""
) -> Rollup:
    """`indicator` over `area` and `period_list`, by period, child unit, group or disaggregation option
    (or one total), by the indicator's aggregation rule, from the values `viewer` may see. Two queries
    (values; labels of the child units or options)."""
    result = Rollup(indicator=indicator, area=area, periods=sorted(period_list, key=lambda p: p.start), by=by)
    if aggregates.answers(viewer=viewer, indicator=indicator, area=area, by=by):
        answered = _rollup_from_aggregates(viewer, result)
        if answered is not None:
            return answered
    rows, flat = _read(viewer, indicator, area, result.periods)
    result.values_read = len(rows)
    rule = indicator.aggregation
    result.total = aggregate(rule, flat)
    if not by:
        return result
    buckets: dict[Any, list[tuple[int, int, int, float | None]]] = defaultdict(list)
    for (g, path, _, _, _, _), item in zip(rows, flat, strict=True):
        if by == "period":
            key: Any = item[1]
        elif by == "child":
            key = area.child_key(g, path)
        elif by == "group":
            key = g
        else:
            key = item[2]
        buckets[key].append(item)
    labels = _labels(viewer, by, area, result.periods, buckets)
    if by == "period":
        keys: list[Any] = list(range(len(result.periods)))
    else:
        keys = sorted(buckets, key=lambda k: labels.get(k, str(k)))
    result.cells = [(k, labels.get(k, str(k)), aggregate(rule, buckets.get(k, []))) for k in keys]
    return result


def _rollup_from_aggregates(viewer: Any, result: Rollup) -> Rollup | None:
    """`rollup` from the pre-aggregated rows, for the cases `aggregates.answers` allows; None when
    they are not current."""
    by, rule = result.by, result.indicator.aggregation
    reading: dict[str, Any] = {
        "indicator": result.indicator,
        "area": result.area,
        "period_list": result.periods,
    }
    if rule in spans.SPAN_RULES and len(result.periods) > 1:
        # The total (and each unit's or option's figure) is each series' latest over the whole range,
        # from the span rows; a period's own figure is its per-period row, as with one period.
        rows = spans.partials(**reading, by_child=by == "child")
        cell_rows = aggregates.partials(**reading, by_child=False) if by == "period" and rows else rows
    else:
        rows = cell_rows = aggregates.partials(**reading, by_child=by == "child")
    if rows is None or cell_rows is None:
        return None
    result.values_read = len(rows) + (len(cell_rows) if cell_rows is not rows else 0)
    result.from_aggregates = True
    order = {p.pk: n for n, p in enumerate(result.periods)}
    total = aggregates.Partial()
    for row in rows:
        total.merge(*row[3:])
    buckets: dict[Any, aggregates.Partial] = {}
    for row in cell_rows if by else ():
        unit, period_id, option = row[:3]
        key = order[period_id] if by == "period" else unit if by == "child" else option
        bucket = buckets.get(key)
        if bucket is None:
            bucket = buckets[key] = aggregates.Partial()
        bucket.merge(*row[3:])
    result.total = total.value(rule) if rows else None
    if not by:
        return result
    labels = _labels(viewer, by, result.area, result.periods, buckets)
    if by == "period":
        keys: list[Any] = list(range(len(result.periods)))
    else:
        keys = sorted(buckets, key=lambda k: labels.get(k, str(k)))
    result.cells = [
        (k, labels.get(k, str(k)), buckets[k].value(rule) if k in buckets else None) for k in keys
    ]
    return result


def _read(
    viewer: Any, indicator: Indicator, area: Area, period_list: list[ReportingPeriod]
) -> tuple[list[tuple[int, str, int, int, float | None, str]], list[tuple[int, int, int, float | None]]]:
    """The visible values of `indicator` in `area` and the periods (one query), and the same as
    (group, period order, option, value) for `aggregate`."""
    order = {p.pk: n for n, p in enumerate(period_list)}
    if not order:
        return [], []
    rows = list(
        DataValue.objects.visible_to(viewer)
        .filter(area.q(), indicator=indicator, period_id__in=list(order))
        .values_list("group_id", "group__path", "period_id", "option", "value", "text")
        .order_by()
    )
    counting = indicator.aggregation == Aggregation.COUNT
    flat = [
        (g, order[p], o, v if v is not None or not t else (1.0 if counting else None))
        for g, _, p, o, v, t in rows
    ]
    return rows, flat


@dataclass
class Pivot:
    """Child units (rows) x periods (columns), each cell by the indicator's rule; totals both ways."""

    indicator: Indicator
    columns: list[str]
    rows: list[tuple[str, list[float | None], float | None]]
    column_totals: list[float | None]
    total: float | None


def pivot(*, viewer: Any, indicator: Indicator, area: Area, period_list: Sequence[ReportingPeriod]) -> Pivot:
    """The table behind the pivot page and its CSV/XLSX export: two queries."""
    ordered = sorted(period_list, key=lambda p: p.start)
    rows, flat = _read(viewer, indicator, area, ordered)
    rule = indicator.aggregation
    cells: dict[tuple[int, int], list[tuple[int, int, int, float | None]]] = defaultdict(list)
    by_child: dict[int, list[tuple[int, int, int, float | None]]] = defaultdict(list)
    by_period: dict[int, list[tuple[int, int, int, float | None]]] = defaultdict(list)
    for (g, path, _, _, _, _), item in zip(rows, flat, strict=True):
        child = area.child_key(g, path)
        cells[(child, item[1])].append(item)
        by_child[child].append(item)
        by_period[item[1]].append(item)
    labels = _labels(viewer, "child", area, ordered, by_child)
    children = sorted(by_child, key=lambda k: labels.get(k, str(k)))
    return Pivot(
        indicator=indicator,
        columns=[p.code for p in ordered],
        rows=[
            (
                labels.get(child, str(child)),
                [aggregate(rule, cells.get((child, n), [])) for n in range(len(ordered))],
                aggregate(rule, by_child[child]),
            )
            for child in children
        ],
        column_totals=[aggregate(rule, by_period.get(n, [])) for n in range(len(ordered))],
        total=aggregate(rule, flat),
    )


def _labels(
    viewer: Any, by: str, area: Area, period_list: list[ReportingPeriod], buckets: dict[Any, Any]
) -> dict[Any, str]:
    if by == "period":
        return {n: p.code for n, p in enumerate(period_list)}
    if by == "option":
        names = dict(DisaggregationOption.objects.filter(pk__in=list(buckets)).values_list("pk", "name"))
        names[TOTAL] = "Total"
        return names
    return dict(Group.objects.visible_to(viewer).filter(pk__in=list(buckets)).values_list("pk", "name"))


def targets_for(
    *, viewer: Any, indicator: Indicator, area: Area, period_list: Sequence[ReportingPeriod]
) -> dict[int, float]:
    """Period id → target of `indicator` for the area: the area group's own target, or for a whole
    collective the sum of its top-level groups' targets."""
    qs = Target.objects.visible_to(viewer).filter(indicator=indicator, period__in=list(period_list))
    if area.group is not None:
        qs = qs.filter(group=area.group)
    elif area.group_set is not None:
        qs = qs.filter(group__in=area.group_set.groups.values("id"))
    else:
        qs = qs.filter(group__parent__isnull=True, group__collective=area.collective)
    found: dict[int, float] = defaultdict(float)
    for period_id, value in qs.values_list("period_id", "value"):
        found[period_id] += value
    return dict(found)


# --- completeness ---------------------------------------------------------------------------------


@dataclass
class GroupReport:
    group_id: int
    name: str
    code: str
    status: str  # on_time, late, missing
    first_entry: dt.datetime | None = None


@dataclass
class Completeness:
    period: ReportingPeriod
    expected: int = 0
    on_time: int = 0
    late: int = 0
    missing_groups: list[GroupReport] = field(default_factory=list)
    reports: list[GroupReport] = field(default_factory=list)

    @property
    def reported(self) -> int:
        return self.on_time + self.late

    @property
    def missing(self) -> int:
        return self.expected - self.reported

    @property
    def rate(self) -> float:
        return self.reported / self.expected if self.expected else 0.0


def reporting_groups(viewer: Any, area: Area, indicator_ids: Sequence[int] | None = None) -> Any:
    """The action-layer groups of `area` that `viewer` may see and that are expected to report (open
    ones; of the kinds that report the indicators, when those name kinds)."""
    qs = (
        Group.objects.visible_to(viewer)
        .filter(collective=area.collective, layer=Layer.ACTION)
        .exclude(status=GroupStatus.CLOSED)
    )
    if area.group is not None:
        qs = qs.within(area.group)
    elif area.group_set is not None:
        qs = qs.filter(sets=area.group_set)
    if indicator_ids:
        kinds = set(
            Indicator.kinds.through.objects.filter(indicator_id__in=indicator_ids).values_list(
                "groupkind_id", flat=True
            )
        )
        if kinds:
            qs = qs.filter(kind_id__in=kinds)
    return qs


def completeness(
    *,
    viewer: Any,
    area: Area,
    period: ReportingPeriod,
    indicator_set: IndicatorSet | None = None,
    list_limit: int = 500,
) -> Completeness:
    """Which groups of `area` reported for `period` (any value of the set's indicators, or of any
    indicator), on time (first entry by the period's due date) or late, and which are missing.
    One query without a set (each group's first entry is one index seek, in the same query as the
    groups); with a set, two plus one per 5,000 groups."""
    indicator_ids = list(indicator_set.indicators.values_list("id", flat=True)) if indicator_set else None
    expected = reporting_groups(viewer, area, indicator_ids).order_by("name", "id")
    first: dict[int, dt.datetime] = {}
    if indicator_ids is None:
        # Any indicator: each group's first entry is the first entry of its (group, period) range of the
        # index (group, period, created_at) — one seek per group, in the same query as the groups.
        earliest = DataValue.objects.filter(group_id=OuterRef("pk"), period=period).order_by("created_at")
        rows = expected.annotate(first=Subquery(earliest.values("created_at")[:1]))
        groups = []
        for pk, name, code, entry in rows.values_list("pk", "name", "code", "first"):
            groups.append((pk, name, code))
            if entry is not None:
                first[pk] = entry
    else:
        groups = list(expected.values_list("pk", "name", "code"))
        # The groups' first entries for the set's indicators, from the index (group, period, created_at).
        ids = [pk for pk, _, _ in groups]
        for start in range(0, len(ids), 5_000):
            values = DataValue.objects.filter(
                group_id__in=ids[start : start + 5_000], period=period, indicator_id__in=indicator_ids
            )
            first.update(
                values.values("group_id").annotate(first=Min("created_at")).values_list("group_id", "first")
            )
    result = Completeness(period=period)
    due = period.due_on
    for pk, name, code in groups:
        result.expected += 1
        entry = first.get(pk)
        if entry is None:
            if len(result.missing_groups) < list_limit:
                result.missing_groups.append(GroupReport(pk, name, code, "missing"))
            if len(result.reports) < list_limit:
                result.reports.append(GroupReport(pk, name, code, "missing"))
            continue
        late = entry.date() > due
        if late:
            result.late += 1
        else:
            result.on_time += 1
        if len(result.reports) < list_limit:
            result.reports.append(GroupReport(pk, name, code, "late" if late else "on_time", entry))
    return result


# --- validation rules -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    rule: ValidationRule
    group_id: int
    period_id: int
    left: float
    right: float

    @property
    def message(self) -> str:
        return (
            f"{self.rule.name}: {self.rule.left.code} = {self.left:g} is not "
            f"{self.rule.get_operator_display()} {self.rule.right.code} = {self.right:g}."
        )


def rule_violations(
    *, rules: Sequence[ValidationRule], cells: Iterable[tuple[int, Any]], proposed: Sequence[Any] = ()
) -> list[Violation]:
    """The rules broken in these (group, period) cells, comparing totals over the disaggregation; a rule
    is checked only where both sides have a value. `proposed` (writer rows) overrides stored values, so a
    dry run warns as the real run would."""
    wanted: set[tuple[int, int]] = {(g, p) for g, p in cells if p is not None}
    if not rules or not wanted:
        return []
    indicator_ids = {r.left_id for r in rules} | {r.right_id for r in rules}
    groups = {g for g, _ in wanted}
    period_ids = {p for _, p in wanted}
    stored: dict[tuple[int, int, int, int], float] = {}
    for ind, grp, per, opt, value in DataValue.objects.filter(
        indicator_id__in=indicator_ids, group_id__in=groups, period_id__in=period_ids, value__isnull=False
    ).values_list("indicator_id", "group_id", "period_id", "option", "value"):
        stored[(ind, grp, per, opt)] = float(value or 0)
    for r in proposed:
        key = (r.indicator.pk, r.group[0], r.period.pk, r.option)
        if r.delete or r.value is None:
            stored.pop(key, None)
        else:
            stored[key] = r.value
    totals: dict[tuple[int, int, int], float] = defaultdict(float)
    for (ind, grp, per, _), number in stored.items():
        totals[(ind, grp, per)] += number
    found = []
    for rule in rules:
        for grp, per in sorted(wanted):
            left = totals.get((rule.left_id, grp, per))
            right = totals.get((rule.right_id, grp, per))
            if left is not None and right is not None and not rule.holds(left, right):
                found.append(Violation(rule, grp, per, left, right))
    return found


def validation_report(
    *, viewer: Any, area: Area, period: ReportingPeriod, limit: int = 500
) -> list[Violation]:
    """The collective's validation rules broken in `area` for `period`, among values `viewer` may see."""
    rules = list(ValidationRule.objects.filter(collective=area.collective).select_related("left", "right"))
    if not rules:
        return []
    indicator_ids = {r.left_id for r in rules} | {r.right_id for r in rules}
    cells = set(
        DataValue.objects.visible_to(viewer)
        .filter(area.q(), period=period, indicator_id__in=indicator_ids)
        .values_list("group_id", "period_id")
        .distinct()
    )
    return rule_violations(rules=rules, cells=cells)[:limit]


# --- approvals ------------------------------------------------------------------------------------


def approval_covering(group: Group, period: ReportingPeriod) -> Approval | None:
    """The approval in force on `group` or an ancestor for `period`, if any."""
    paths = [
        group.path[: group.path.index(f"/{i}/") + len(f"/{i}/")] for i in [*group.ancestor_ids, group.pk]
    ]
    return (
        Approval.objects.in_force()
        .filter(period=period, group__path__in=paths)
        .select_related("group", "approved_by")
        .order_by("group__depth")
        .first()
    )


# --- the entry grid -------------------------------------------------------------------------------


@dataclass
class GridRow:
    indicator: Indicator
    option_id: int
    option_code: str
    option_name: str
    value: str
    comment: str

    @property
    def key(self) -> str:
        """The cell's name in the grid form: v-<key> for the value, c-<key> for the comment."""
        return f"{self.indicator.pk}-{self.option_id}"


def indicators_for_group(group: Group, *, day: dt.date) -> list[Indicator]:
    """The indicators a group reports: those whose kinds include the group's kind (or name no kind),
    active on `day`, of its collective; in the order of the forms (indicator sets) of the group's kind,
    then by name. Two queries."""
    qs = (
        Indicator.objects.filter(collective_id=group.collective_id)
        .filter(Q(kinds=group.kind_id) | Q(kinds__isnull=True))
        .active_on(day)
        .select_related("disaggregation")
        .distinct()
    )
    form_order: dict[int, tuple[int, int]] = {}
    for set_id, indicator_id, order in (
        IndicatorSetItem.objects.filter(indicator_set__collective_id=group.collective_id)
        .filter(Q(indicator_set__kinds=group.kind_id) | Q(indicator_set__kinds__isnull=True))
        .order_by("indicator_set_id", "order")
        .values_list("indicator_set_id", "indicator_id", "order")
    ):
        form_order.setdefault(indicator_id, (set_id, order))
    last = (1 << 62, 0)
    return sorted(qs, key=lambda i: (form_order.get(i.pk, last), i.name.lower(), i.pk))


def entry_grid(
    *, group: Group, period_spec: periods.PeriodSpec, indicators: Sequence[Indicator]
) -> list[GridRow]:
    """One row per indicator (and option, for a disaggregated one) with the stored value and comment.
    Three queries: the period, the options, the values."""
    from minga.measurement.ingest import format_value

    period = ReportingPeriod.objects.filter(collective_id=group.collective_id, code=period_spec.code).first()
    stored: dict[tuple[int, int], tuple[float | None, str, str]] = {}
    if period is not None:
        for ind, opt, value, text, comment in DataValue.objects.filter(
            group=group, period=period
        ).values_list("indicator_id", "option", "value", "text", "comment"):
            stored[(ind, opt)] = (value, text, comment)
    options: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    dis_ids = {i.disaggregation_id for i in indicators if i.disaggregation_id}
    for pk, dis, code, name in DisaggregationOption.objects.filter(disaggregation_id__in=dis_ids).values_list(
        "pk", "disaggregation_id", "code", "name"
    ):
        options[dis].append((pk, code, name))
    rows = []
    for indicator in indicators:
        cells = options[indicator.disaggregation_id] if indicator.disaggregation_id else [(TOTAL, "", "")]
        for pk, code, name in cells:
            value, text, comment = stored.get((indicator.pk, pk), (None, "", ""))
            shown = format_value(value, text, indicator.value_type)
            rows.append(GridRow(indicator, pk, code, name, shown, comment))
    return rows


def options_by_indicator(indicators: Sequence[Indicator]) -> dict[int, list[int]]:
    """Indicator id → its option ids in order ([0] for an indicator without disaggregation): one query."""
    dis_ids = {i.disaggregation_id for i in indicators if i.disaggregation_id}
    by_dis: dict[int, list[int]] = defaultdict(list)
    for pk, dis in DisaggregationOption.objects.filter(disaggregation_id__in=dis_ids).values_list(
        "pk", "disaggregation_id"
    ):
        by_dis[dis].append(pk)
    return {i.pk: by_dis[i.disaggregation_id] if i.disaggregation_id else [TOTAL] for i in indicators}


def stored_period(collective: Collective | int, code: str) -> ReportingPeriod | None:
    return ReportingPeriod.objects.filter(collective=collective, code=code).first()


def option_codes_by_id(ids: Iterable[int]) -> dict[int, str]:
    """Option id → code (0 → "")."""
    wanted = [i for i in ids if i]
    codes = (
        dict(DisaggregationOption.objects.filter(pk__in=wanted).values_list("pk", "code")) if wanted else {}
    )
    codes[TOTAL] = ""
    return codes


def option_codes(indicators: Sequence[Indicator]) -> dict[int, str]:
    """Option id → code for the indicators' disaggregations (0 → "")."""
    dis_ids = {i.disaggregation_id for i in indicators if i.disaggregation_id}
    codes = dict(DisaggregationOption.objects.filter(disaggregation_id__in=dis_ids).values_list("pk", "code"))
    codes[TOTAL] = ""
    return codes


# --- analytics requests (API, dashboard, pivot) ---------------------------------------------------


def periods_from(
    collective: Collective, kind: str, text: str, *, today: dt.date, default_count: int = 12
) -> list[ReportingPeriod]:
    """Stored periods named by `text`: "202601:202612" (a range), "202601,202603" (a list), one code, or
    blank (the last `default_count` periods of `kind` up to today). Raises `periods.PeriodError`."""
    text = (text or "").strip()
    if not text:
        return recent_periods(collective, kind, default_count, until=today)
    if ":" in text:
        first, _, last = text.partition(":")
        a, b = periods.parse_period(first), periods.parse_period(last)
        if a.kind != b.kind:
            raise periods.PeriodError("Both ends of a range must be periods of the same kind.")
        return periods_between(collective, a.kind, a.code, b.code)
    codes = [periods.parse_period(part).code for part in text.split(",") if part.strip()]
    stored = {p.code: p for p in ReportingPeriod.objects.filter(collective=collective, code__in=codes)}
    return sorted((stored[c] for c in codes if c in stored), key=lambda p: p.start)


@dataclass
class Dashboard:
    indicator: Indicator
    area: Area
    periods: list[ReportingPeriod]
    trend: Rollup
    breakdown: Rollup
    targets: dict[int, float]
    completeness: Completeness | None

    @property
    def points(self) -> list[tuple[str, float | None, float | None]]:
        """(period code, actual, target) for the trend chart and its table."""
        return [
            (p.code, value, self.targets.get(p.pk))
            for p, (_, _, value) in zip(self.trend.periods, self.trend.cells, strict=True)
        ]

    @property
    def target_total(self) -> float | None:
        """The targets over the periods by the indicator's rule: the latest one for a stock (last),
        their mean for an average, else their sum."""
        if not self.targets:
            return None
        ordered = [self.targets[p.pk] for p in self.periods if p.pk in self.targets]
        if self.indicator.aggregation == Aggregation.LAST:
            return ordered[-1]
        if self.indicator.aggregation in (Aggregation.AVERAGE, Aggregation.MIN, Aggregation.MAX):
            return sum(ordered) / len(ordered)
        return sum(ordered)


def dashboard(
    *, viewer: Any, indicator: Indicator, area: Area, period_list: Sequence[ReportingPeriod]
) -> Dashboard:
    """What the dashboard shows for one indicator over an area: the trend by period, the breakdown by
    child unit, targets, and completeness of the latest period (a handful of queries)."""
    trend = rollup(viewer=viewer, indicator=indicator, area=area, period_list=period_list, by="period")
    breakdown = rollup(viewer=viewer, indicator=indicator, area=area, period_list=period_list, by="child")
    latest = trend.periods[-1] if trend.periods else None
    return Dashboard(
        indicator=indicator,
        area=area,
        periods=trend.periods,
        trend=trend,
        breakdown=breakdown,
        targets=targets_for(viewer=viewer, indicator=indicator, area=area, period_list=period_list),
        completeness=completeness(viewer=viewer, area=area, period=latest, list_limit=20) if latest else None,
    )


# --- the map --------------------------------------------------------------------------------------

MAP_MAX_POINTS = 300


def map_points(*, viewer: Any, breakdown: Rollup, area: Area) -> list[tuple[str, float, float, float | None]]:
    """(label, latitude, longitude, value) of the units of a breakdown by child unit, for the map.

    A unit with its own coordinates is placed there; a network unit without them at the mean of the
    located groups of its subtree that the viewer may see (one query for all of them). Units that can't
    be placed are left out. At most `MAP_MAX_POINTS`."""
    cells = breakdown.cells[:MAP_MAX_POINTS]
    if not cells:
        return []
    ids = [key for key, _, _ in cells]
    groups = {
        g.pk: g
        for g in Group.objects.visible_to(viewer)
        .filter(pk__in=ids)
        .only("id", "path", "latitude", "longitude")
    }
    located: dict[int, tuple[float, float]] = {
        pk: (float(g.latitude), float(g.longitude))
        for pk, g in groups.items()
        if g.latitude is not None and g.longitude is not None
    }
    unplaced = [groups[pk] for pk in ids if pk in groups and pk not in located]
    if unplaced:
        by_path = {g.path: g.pk for g in unplaced}
        sums: dict[int, list[float]] = {}
        prefix = Q()
        for path in by_path:
            prefix |= Q(path__startswith=path)
        rows = (
            Group.objects.visible_to(viewer)
            .filter(prefix, latitude__isnull=False, longitude__isnull=False)
            .values_list("path", "latitude", "longitude")
        )
        for path, lat, lon in rows.iterator(chunk_size=5000):
            for base, pk in by_path.items():
                if path.startswith(base):
                    acc = sums.setdefault(pk, [0.0, 0.0, 0.0])
                    acc[0] += float(lat or 0)
                    acc[1] += float(lon or 0)
                    acc[2] += 1
                    break
        for pk, (lat_sum, lon_sum, n) in sums.items():
            located[pk] = (lat_sum / n, lon_sum / n)
    return [(label, *located[key], value) for key, label, value in cells if key in located]
