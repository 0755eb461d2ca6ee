"""Rollups by each aggregation rule and breakdown, completeness, validation reports, period codes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from minga.core.scoping import scope_for
from minga.measurement import periods, selectors
from minga.measurement.models import Aggregation, ValidationRule, ValueType
from tests.factories.architecture import make_group
from tests.factories.measurement import make_indicator, make_period, make_sex_age, make_value


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (Aggregation.SUM, 15.0),
        (Aggregation.AVERAGE, 3.75),
        (Aggregation.MIN, 1.0),
        (Aggregation.MAX, 6.0),
        (Aggregation.LAST, 10.0),  # Kibera's March (4) + Mombasa's March (6)
        (Aggregation.COUNT, 2.0),
    ],
)
def test_each_aggregation_rule(world: Any, rule: str, expected: float) -> None:
    indicator = make_indicator(world.alpha, aggregation=rule)
    feb, march = make_period(world.alpha, "202602"), make_period(world.alpha, "202603")
    make_value(indicator, world.kibera, feb, 1)
    make_value(indicator, world.kibera, march, 4)
    make_value(indicator, world.mombasa, feb, 4)
    make_value(indicator, world.mombasa, march, 6)
    result = selectors.rollup(
        viewer=world.admin, indicator=indicator, area=selectors.Area(world.alpha), period_list=[feb, march]
    )
    assert result.total == pytest.approx(expected)


def test_last_value_by_period_sums_the_groups_of_each_period(world: Any) -> None:
    members = make_indicator(world.alpha, aggregation=Aggregation.LAST)
    feb, march = make_period(world.alpha, "202602"), make_period(world.alpha, "202603")
    make_value(members, world.kibera, feb, 20)
    make_value(members, world.kibera, march, 22)
    make_value(members, world.mombasa, feb, 30)  # Mombasa did not report in March
    result = selectors.rollup(
        viewer=world.admin,
        indicator=members,
        area=selectors.Area(world.alpha),
        period_list=[march, feb],
        by="period",
    )
    assert [(label, value) for _, label, value in result.cells] == [("202602", 50.0), ("202603", 22.0)]
    assert result.total == 52.0  # each group's latest: Kibera 22 (March), Mombasa 30 (February)


def test_breakdown_by_disaggregation_option(world: Any) -> None:
    sex_age = make_sex_age(world.alpha)
    enrolled = make_indicator(world.alpha, disaggregation=sex_age)
    options = {o.code: o.pk for o in sex_age.options.all()}
    march = make_period(world.alpha, "202603")
    make_value(enrolled, world.kibera, march, 3, option=options["f.0-14"])
    make_value(enrolled, world.mombasa, march, 5, option=options["f.0-14"])
    make_value(enrolled, world.kibera, march, 2, option=options["m.0-14"])
    result = selectors.rollup(
        viewer=world.admin,
        indicator=enrolled,
        area=selectors.Area(world.alpha),
        period_list=[march],
        by="option",
    )
    assert {label: value for _, label, value in result.cells} == {"Female, 0-14": 8.0, "Male, 0-14": 2.0}
    assert result.total == 10.0


def test_by_child_counts_deeper_groups_under_their_child_unit(world: Any) -> None:
    indicator = make_indicator(world.alpha)
    march = make_period(world.alpha, "202603")
    deeper = make_group(world.alpha, parent=world.kibera, name="Kibera youth choir")
    make_value(indicator, world.kibera, march, 3)
    make_value(indicator, deeper, march, 2)
    make_value(indicator, world.region_a, march, 1)  # the area's own group counts under itself
    area = selectors.Area(world.alpha, group=world.region_a)
    result = selectors.rollup(
        viewer=world.admin, indicator=indicator, area=area, period_list=[march], by="child"
    )
    assert {label: value for _, label, value in result.cells} == {"Kibera Youth": 5.0, "Nairobi": 1.0}


def test_group_set_area(world: Any) -> None:
    from minga.architecture.models import GroupSet

    indicator = make_indicator(world.alpha)
    march = make_period(world.alpha, "202603")
    make_value(indicator, world.kibera, march, 3)
    make_value(indicator, world.mombasa, march, 5)
    coast_set = GroupSet.objects.create(collective=world.alpha, code="coast", name="Coast")
    coast_set.groups.add(world.mombasa)
    area = selectors.Area(world.alpha, group_set=coast_set)
    assert (
        selectors.rollup(viewer=world.admin, indicator=indicator, area=area, period_list=[march]).total == 5.0
    )


def test_text_values_count_but_do_not_add(world: Any) -> None:
    stories = make_indicator(world.alpha, value_type=ValueType.TEXT, aggregation=Aggregation.COUNT)
    march = make_period(world.alpha, "202603")
    make_value(stories, world.kibera, march, None, text="We planted trees.")
    result = selectors.rollup(
        viewer=world.admin, indicator=stories, area=selectors.Area(world.alpha), period_list=[march]
    )
    assert result.total == 1.0


def test_rollup_query_count_is_constant(world: Any, django_assert_max_num_queries: Any) -> None:
    indicator = make_indicator(world.alpha)
    months = [make_period(world.alpha, f"2025{m:02d}") for m in range(1, 13)]
    for month in months:
        make_value(indicator, world.kibera, month, 1)
        make_value(indicator, world.mombasa, month, 2)
    area = selectors.Area(world.alpha, group=world.kenya)
    selectors.rollup(viewer=world.coordinator_a, indicator=indicator, area=area, period_list=months)  # scope
    with django_assert_max_num_queries(2):
        result = selectors.rollup(
            viewer=world.coordinator_a, indicator=indicator, area=area, period_list=months, by="child"
        )
    assert {label: value for _, label, value in result.cells} == {"Nairobi": 12.0}


def test_pivot_rows_columns_and_totals(world: Any) -> None:
    indicator = make_indicator(world.alpha)
    feb, march = make_period(world.alpha, "202602"), make_period(world.alpha, "202603")
    make_value(indicator, world.kibera, feb, 1)
    make_value(indicator, world.mombasa, march, 2)
    table = selectors.pivot(
        viewer=world.admin,
        indicator=indicator,
        area=selectors.Area(world.alpha, group=world.kenya),
        period_list=[march, feb],
    )
    assert table.columns == ["202602", "202603"]
    assert table.rows == [("Coast", [None, 2.0], 2.0), ("Nairobi", [1.0, None], 1.0)]
    assert (table.column_totals, table.total) == ([1.0, 2.0], 3.0)


def test_completeness_on_time_late_missing(world: Any) -> None:
    indicator = make_indicator(world.alpha)
    march = make_period(world.alpha, "202603", due_on=dt.date(2026, 4, 10))
    make_value(indicator, world.kibera, march, 1, created_at=dt.datetime(2026, 4, 20, tzinfo=dt.UTC))
    extra = make_group(world.alpha, parent=world.region_a, name="Late joiners")
    result = selectors.completeness(viewer=world.admin, area=selectors.Area(world.alpha), period=march)
    assert (result.expected, result.on_time, result.late, result.missing) == (3, 0, 1, 2)
    assert {g.name for g in result.missing_groups} == {"Mombasa Women", extra.name}
    mine = selectors.completeness(viewer=world.coordinator_a, area=selectors.Area(world.alpha), period=march)
    assert mine.expected == 2  # region A's two groups only


def test_completeness_reads_each_groups_first_entry_in_one_query(
    world: Any, django_assert_num_queries: Any
) -> None:
    indicator, other = make_indicator(world.alpha), make_indicator(world.alpha, code="other")
    march = make_period(world.alpha, "202603", due_on=dt.date(2026, 4, 10))
    # Kibera's first entry is on time, a later one is not; Mombasa's only entry is late.
    make_value(indicator, world.kibera, march, 1, created_at=dt.datetime(2026, 4, 2, tzinfo=dt.UTC))
    make_value(other, world.kibera, march, 1, created_at=dt.datetime(2026, 4, 30, tzinfo=dt.UTC))
    make_value(indicator, world.mombasa, march, 1, created_at=dt.datetime(2026, 4, 11, tzinfo=dt.UTC))
    for n in range(30):
        make_group(world.alpha, parent=world.region_b, name=f"Coast group {n}")
    scope_for(world.admin)  # the viewer's scope is loaded once per request
    with django_assert_num_queries(1):
        result = selectors.completeness(
            viewer=world.admin, area=selectors.Area(world.alpha), period=march, list_limit=5
        )
    assert (result.expected, result.on_time, result.late, result.missing) == (32, 1, 1, 30)
    assert len(result.reports) == 5
    first = {
        r.name: r.first_entry
        for r in selectors.completeness(
            viewer=world.admin, area=selectors.Area(world.alpha), period=march
        ).reports
        if r.first_entry
    }
    assert first == {
        "Kibera Youth": dt.datetime(2026, 4, 2, tzinfo=dt.UTC),
        "Mombasa Women": dt.datetime(2026, 4, 11, tzinfo=dt.UTC),
    }


def test_validation_report(world: Any) -> None:
    girls, children = make_indicator(world.alpha, code="girls"), make_indicator(world.alpha, code="children")
    ValidationRule.objects.create(
        collective=world.alpha, name="Girls within children", left=girls, right=children
    )
    march = make_period(world.alpha, "202603")
    make_value(girls, world.kibera, march, 9)
    make_value(children, world.kibera, march, 5)
    make_value(girls, world.mombasa, march, 2)
    make_value(children, world.mombasa, march, 5)
    found = selectors.validation_report(viewer=world.admin, area=selectors.Area(world.alpha), period=march)
    assert [(v.group_id, v.left, v.right) for v in found] == [(world.kibera.pk, 9.0, 5.0)]
    assert (
        selectors.validation_report(
            viewer=world.coordinator_b, area=selectors.Area(world.alpha), period=march
        )
        == []
    )


def test_dashboard_target_follows_the_rule(world: Any) -> None:
    from minga.measurement.models import Target

    members = make_indicator(world.alpha, aggregation=Aggregation.LAST)
    feb, march = make_period(world.alpha, "202602"), make_period(world.alpha, "202603")
    for period, value in ((feb, 40), (march, 45)):
        Target.objects.create(
            collective=world.alpha, indicator=members, group=world.kenya, period=period, value=value
        )
    data = selectors.dashboard(
        viewer=world.admin, indicator=members, area=selectors.Area(world.alpha), period_list=[feb, march]
    )
    assert data.target_total == 45


@pytest.mark.parametrize(
    ("code", "kind", "start", "end", "canonical"),
    [
        ("2026W05", "week", dt.date(2026, 1, 26), dt.date(2026, 2, 1), "2026W05"),
        ("2026-w1", "week", dt.date(2025, 12, 29), dt.date(2026, 1, 4), "2026W01"),
        ("202602", "month", dt.date(2026, 2, 1), dt.date(2026, 2, 28), "202602"),
        ("2024-02", "month", dt.date(2024, 2, 1), dt.date(2024, 2, 29), "202402"),
        ("2026Q4", "quarter", dt.date(2026, 10, 1), dt.date(2026, 12, 31), "2026Q4"),
        ("2026", "year", dt.date(2026, 1, 1), dt.date(2026, 12, 31), "2026"),
    ],
)
def test_period_codes(code: str, kind: str, start: dt.date, end: dt.date, canonical: str) -> None:
    spec = periods.parse_period(code)
    assert (spec.kind, spec.start, spec.end, spec.code) == (kind, start, end, canonical)
    assert periods.period_for(kind, start) == spec
    assert spec.next().previous() == spec


@pytest.mark.parametrize("code", ["202613", "2026W54", "2026Q5", "26", "March", "", "2026-1"])
def test_bad_period_codes(code: str) -> None:
    with pytest.raises(periods.PeriodError):
        periods.parse_period(code)


def test_the_grid_follows_the_form_of_the_groups_kind(world: Any) -> None:
    from minga.measurement.models import IndicatorSet, IndicatorSetItem

    first = make_indicator(world.alpha, name="Zebra crossings built")
    second = make_indicator(world.alpha, name="Apples sold")
    outside = make_indicator(world.alpha, name="Bees kept")
    form = IndicatorSet.objects.create(collective=world.alpha, code="monthly", name="Monthly")
    form.kinds.add(world.kibera.kind)
    IndicatorSetItem.objects.create(indicator_set=form, indicator=first, order=0)
    IndicatorSetItem.objects.create(indicator_set=form, indicator=second, order=1)
    found = selectors.indicators_for_group(world.kibera, day=dt.date(2026, 3, 1))
    assert found == [first, second, outside]
