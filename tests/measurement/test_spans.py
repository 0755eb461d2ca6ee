"""Span rows: "last value" and "count of reporting groups" over several periods from pre-aggregated rows,
equal to the value scan, kept by the writer, rebuilt by the recomputation and by a change of rule."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from minga.measurement import aggregates, selectors, services
from minga.measurement.models import Aggregation, ValueSpan, ValueType
from minga.measurement.spans import NEVER
from tests.factories.measurement import make_indicator, make_period, make_sex_age
from tests.measurement.test_aggregates import assert_matches_recomputation, figures, scan, write

QUARTER = ("202601", "202602", "202603")


@pytest.fixture
def current(world: Any) -> Any:
    aggregates.reaggregate(collective=world.alpha)
    for code in QUARTER:
        make_period(world.alpha, code)
    return world


def rollup(world: Any, indicator: Any, codes: tuple[str, ...] = QUARTER, **kwargs: Any) -> selectors.Rollup:
    args: dict[str, Any] = {
        "viewer": world.admin,
        "indicator": indicator,
        "area": kwargs.pop("area", selectors.Area(world.alpha)),
        "period_list": [make_period(world.alpha, code) for code in codes],
        "by": kwargs.pop("by", "child"),
    }
    result = selectors.rollup(**args)
    assert figures(result) == figures(scan(**args))
    return result


def test_last_value_takes_each_groups_latest_in_the_range(current: Any) -> None:
    world = current
    members = make_indicator(world.alpha, aggregation=Aggregation.LAST)
    write(
        world,
        [
            (members, world.kibera, "202601", 10),
            (members, world.kibera, "202602", 12),
            (members, world.mombasa, "202601", 7),  # silent since January: still counts 7
            (members, world.kibera, "202603", 15),
        ],
    )
    whole = rollup(world, members)
    assert whole.from_aggregates and whole.total == 22.0
    # A range ending before Kibera's last report takes its February figure.
    early = rollup(world, members, ("202601", "202602"))
    assert early.from_aggregates and early.total == 19.0
    assert {label: v for _, label, v in early.cells} == {"Kenya": 19.0}
    by_period = rollup(world, members, by="period")
    assert [v for _, _, v in by_period.cells] == [17.0, 12.0, 15.0] and by_period.total == 22.0
    assert_matches_recomputation(world.alpha)


def test_count_counts_each_group_once_over_the_range(current: Any) -> None:
    world = current
    reporting = make_indicator(world.alpha, aggregation=Aggregation.COUNT, value_type=ValueType.TEXT)
    write(
        world,
        [
            (reporting, world.kibera, "202601", "met"),
            (reporting, world.kibera, "202603", "met"),
            (reporting, world.mombasa, "202602", "met"),
            (reporting, world.kenya, "202602", "met"),  # the unit's own report, beside its children
        ],
    )
    result = rollup(world, reporting)
    assert result.from_aggregates and result.total == 3.0
    in_kenya = rollup(world, reporting, area=selectors.Area(world.alpha, group=world.kenya))
    assert in_kenya.from_aggregates
    assert {label: v for _, label, v in in_kenya.cells} == {"Kenya": 1.0, "Nairobi": 1.0, "Coast": 1.0}
    assert_matches_recomputation(world.alpha)


def test_updates_and_deletes_move_a_value_between_spans(current: Any) -> None:
    world = current
    members = make_indicator(world.alpha, aggregation=Aggregation.LAST)
    write(world, [(members, world.kibera, code, n) for n, code in enumerate(QUARTER, start=1)])
    write(world, [(members, world.kibera, "202603", "")])  # March deleted: February is the latest again
    assert rollup(world, members).total == 2.0
    write(world, [(members, world.kibera, "202602", 20), (members, world.kibera, "202601", "")])
    assert rollup(world, members).total == 20.0
    assert_matches_recomputation(world.alpha)
    assert set(ValueSpan.objects.filter(indicator=members).values_list("next_start", flat=True)) == {NEVER}


def test_a_range_with_a_gap_is_read_from_the_values(current: Any) -> None:
    """January and March without February: Kibera's January figure is its latest of the two, though its
    next report (February) comes before March; the span rows can't tell, so the scan answers."""
    world = current
    members = make_indicator(world.alpha, aggregation=Aggregation.LAST)
    write(
        world,
        [
            (members, world.kibera, "202601", 1),
            (members, world.kibera, "202602", 2),
            (members, world.mombasa, "202603", 5),
        ],
    )
    result = rollup(world, members, ("202601", "202603"))
    assert not result.from_aggregates and result.total == 6.0


def test_last_value_by_option(current: Any) -> None:
    world = current
    enrolled = make_indicator(
        world.alpha, aggregation=Aggregation.LAST, disaggregation=make_sex_age(world.alpha)
    )
    write(
        world,
        [
            (enrolled, world.kibera, "202601", 3, "f.0-14"),
            (enrolled, world.kibera, "202602", 4, "f.0-14"),
            (enrolled, world.kibera, "202601", 5, "m.0-14"),  # the boys' figure is January's
        ],
    )
    result = rollup(world, enrolled, by="option")
    assert result.from_aggregates
    assert {label: v for _, label, v in result.cells} == {"Female, 0-14": 4.0, "Male, 0-14": 5.0}
    assert result.total == 9.0


def test_changing_an_indicators_rule_rebuilds_its_spans(current: Any) -> None:
    world = current
    members = make_indicator(world.alpha)
    write(world, [(members, world.kibera, "202601", 10), (members, world.kibera, "202602", 12)])
    assert not ValueSpan.objects.filter(indicator=members).exists()
    services.indicator_update(actor=world.admin, indicator=members, aggregation=Aggregation.LAST)
    result = rollup(world, members)
    assert result.from_aggregates and result.total == 12.0
    assert_matches_recomputation(world.alpha)
    services.indicator_update(actor=world.admin, indicator=members, aggregation=Aggregation.SUM)
    assert not ValueSpan.objects.filter(indicator=members).exists()
    assert rollup(world, members).total == 22.0


def test_a_rollup_over_twelve_periods_is_two_queries(current: Any) -> None:
    world = current
    members = make_indicator(world.alpha, aggregation=Aggregation.LAST)
    months = tuple(f"2025{m:02d}" for m in range(1, 13))
    write(world, [(members, world.kibera, code, n) for n, code in enumerate(months)])
    period_list = [make_period(world.alpha, code) for code in months]
    with CaptureQueriesContext(connection) as queries:
        result = selectors.rollup(
            viewer=world.admin,
            indicator=members,
            area=selectors.Area(world.alpha),
            period_list=period_list,
            by="child",
        )
    assert result.from_aggregates and result.total == 11.0
    assert len(queries) <= 2  # the span rows; the labels of the units


def test_visible_to_keeps_span_rows_from_those_who_do_not_see_the_whole_subtree(current: Any) -> None:
    world = current
    members = make_indicator(world.alpha, aggregation=Aggregation.LAST)
    write(world, [(members, world.kibera, "202601", 3), (members, world.mombasa, "202601", 5)])
    assert ValueSpan.objects.visible_to(world.admin).count() == 3  # Kenya and its two regions
    assert set(ValueSpan.objects.visible_to(world.coordinator_a).values_list("node", flat=True)) == {
        world.region_a.pk
    }
    assert not ValueSpan.objects.visible_to(world.member).exists()
    assert not ValueSpan.objects.visible_to(world.beta_admin).exists()
