"""Pre-aggregated rollups: kept right by every kind of write, rebuilt by the recomputation, made stale by
group moves, and read only where they give what the value scan gives to that viewer."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minga.architecture import services as architecture
from minga.architecture.models import Group
from minga.measurement import aggregates, selectors
from minga.measurement.ingest import ValueIn, ValueWriter
from minga.measurement.models import (
    AggregateState,
    Aggregation,
    DataValue,
    ReportingPeriod,
    ValueAggregate,
    ValueSpan,
    ValueType,
)
from tests.factories.architecture import make_group
from tests.factories.databases import on_sqlite_file
from tests.factories.measurement import make_indicator, make_period, make_sex_age

TODAY = dt.date(2026, 11, 20)
ROW = tuple[int, int, int, int, float, int, int, float | None, float | None]


def write(world: Any, values: list[tuple[Any, ...]], *, actor: Any = None, source: str = "api") -> Any:
    """(indicator, group, period code, value[, option code]) through the single writer, as an admin."""
    writer = ValueWriter(actor=actor or world.admin, collective=world.alpha, source=source, today=TODAY)
    items = [
        ValueIn(
            indicator=v[0].code,
            group=v[1].code,
            period=v[2],
            value=v[3],
            option=v[4] if len(v) > 4 else "",
            location=n,
        )
        for n, v in enumerate(values)
    ]
    with transaction.atomic():
        outcome = writer.write(items)
    assert not outcome.rejected, outcome.rejected
    return outcome


def stored(collective: Any) -> set[ROW]:
    return {
        (
            r.indicator_id,
            r.period_id,
            r.node_id,
            r.option,
            round(r.total, 9),
            r.numbers,
            r.reported,
            r.minimum,
            r.maximum,
        )
        for r in ValueAggregate.objects.filter(collective=collective)
    }


def stored_spans(collective: Any) -> set[tuple[Any, ...]]:
    return {
        (
            r.indicator_id,
            r.period_id,
            r.node_id,
            r.option,
            r.next_start,
            round(r.total, 9),
            r.numbers,
            r.reported,
        )
        for r in ValueSpan.objects.filter(collective=collective)
    }


def assert_matches_recomputation(collective: Any) -> None:
    """The rows the writer kept (aggregates and spans) equal the rows a full recomputation makes."""
    kept, kept_spans = stored(collective), stored_spans(collective)
    aggregates.reaggregate(collective=collective)
    assert kept == stored(collective)
    assert kept_spans == stored_spans(collective)


def scan(**kwargs: Any) -> selectors.Rollup:
    """The rollup as the value scan gives it (aggregates set aside for the call)."""
    collective = kwargs["area"].collective
    current = aggregates.is_current(collective.pk)
    AggregateState.objects.filter(collective=collective).update(current=False)
    try:
        result = selectors.rollup(**kwargs)
    finally:
        AggregateState.objects.filter(collective=collective).update(current=current)
    assert not result.from_aggregates
    return result


def figures(result: selectors.Rollup) -> tuple[Any, ...]:
    return (
        None if result.total is None else pytest.approx(result.total),
        [(key, label, None if v is None else pytest.approx(v)) for key, label, v in result.cells],
    )


@pytest.fixture
def current(world: Any) -> Any:
    """The alpha collective with (empty) aggregates marked current, as after `reaggregate`."""
    aggregates.reaggregate(collective=world.alpha)
    return world


# --- the rules -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "by", "expected_total", "expected_cells"),
    [
        (Aggregation.SUM, "child", 15.0, {"Kenya": 15.0}),
        (Aggregation.AVERAGE, "child", 3.75, {"Kenya": 3.75}),
        (Aggregation.MIN, "child", 1.0, {"Kenya": 1.0}),
        (Aggregation.MAX, "child", 6.0, {"Kenya": 6.0}),
        # "last" and "count" over two periods: each group's latest value, each group once (span rows)
        (Aggregation.LAST, "period", 10.0, {"202602": 5.0, "202603": 10.0}),
        (Aggregation.COUNT, "period", 2.0, {"202602": 2.0, "202603": 2.0}),
        (Aggregation.LAST, "child", 10.0, {"Kenya": 10.0}),
        (Aggregation.COUNT, "child", 2.0, {"Kenya": 2.0}),
        (Aggregation.LAST, "", 10.0, {}),
    ],
)
def test_each_rule_from_aggregates_matches_the_scan(
    current: Any, rule: str, by: str, expected_total: float, expected_cells: dict[str, float]
) -> None:
    world = current
    indicator = make_indicator(world.alpha, aggregation=rule)
    feb, march = make_period(world.alpha, "202602"), make_period(world.alpha, "202603")
    write(
        world,
        [
            (indicator, world.kibera, "202602", 1),
            (indicator, world.kibera, "202603", 4),
            (indicator, world.mombasa, "202602", 4),
            (indicator, world.mombasa, "202603", 6),
        ],
    )
    args: dict[str, Any] = {
        "viewer": world.admin,
        "indicator": indicator,
        "area": selectors.Area(world.alpha),
        "period_list": [feb, march],
        "by": by,
    }
    result = selectors.rollup(**args)
    assert {label: value for _, label, value in result.cells} == pytest.approx(expected_cells)
    assert figures(result) == figures(scan(**args))
    assert result.from_aggregates and result.total == pytest.approx(expected_total)
    one_period = selectors.rollup(**{**args, "period_list": [march], "by": "child"})
    assert one_period.from_aggregates
    assert figures(one_period) == figures(scan(**{**args, "period_list": [march], "by": "child"}))


def test_collective_rollup_reads_the_top_level_rows_not_the_values(current: Any) -> None:
    world = current
    indicator = make_indicator(world.alpha)
    march = make_period(world.alpha, "202603")
    write(
        world,
        [
            (indicator, world.kibera, "202603", 3),
            (indicator, world.mombasa, "202603", 5),
            (indicator, world.region_a, "202603", 2),
        ],
    )
    result = selectors.rollup(
        viewer=world.admin,
        indicator=indicator,
        area=selectors.Area(world.alpha),
        period_list=[march],
        by="child",
    )
    assert result.from_aggregates
    assert result.values_read == 1  # Kenya's row
    assert [(label, value) for _, label, value in result.cells] == [("Kenya", 10.0)]


def test_a_units_own_values_count_beside_its_children(current: Any) -> None:
    world = current
    indicator = make_indicator(world.alpha)
    march = make_period(world.alpha, "202603")
    write(world, [(indicator, world.kenya, "202603", 7), (indicator, world.kibera, "202603", 3)])
    args: dict[str, Any] = {
        "viewer": world.admin,
        "indicator": indicator,
        "area": selectors.Area(world.alpha, group=world.kenya),
        "period_list": [march],
        "by": "child",
    }
    result = selectors.rollup(**args)
    assert result.from_aggregates
    assert {label: value for _, label, value in result.cells} == {"Kenya": 7.0, "Nairobi": 3.0}
    assert figures(result) == figures(scan(**args))


def test_disaggregation_by_option_and_total(current: Any) -> None:
    world = current
    sex_age = make_sex_age(world.alpha)
    enrolled = make_indicator(world.alpha, disaggregation=sex_age)
    march = make_period(world.alpha, "202603")
    write(
        world,
        [
            (enrolled, world.kibera, "202603", 3, "f.0-14"),
            (enrolled, world.mombasa, "202603", 5, "f.0-14"),
            (enrolled, world.kibera, "202603", 2, "m.0-14"),
        ],
    )
    args: dict[str, Any] = {
        "viewer": world.admin,
        "indicator": enrolled,
        "area": selectors.Area(world.alpha),
        "period_list": [march],
        "by": "option",
    }
    result = selectors.rollup(**args)
    assert result.from_aggregates
    assert {label: value for _, label, value in result.cells} == {"Female, 0-14": 8.0, "Male, 0-14": 2.0}
    assert result.total == 10.0
    assert figures(result) == figures(scan(**args))


def test_count_of_a_disaggregated_indicator_counts_groups_once_by_the_scan(current: Any) -> None:
    world = current
    sex_age = make_sex_age(world.alpha)
    reporting = make_indicator(world.alpha, disaggregation=sex_age, aggregation=Aggregation.COUNT)
    march = make_period(world.alpha, "202603")
    write(
        world,
        [(reporting, world.kibera, "202603", 3, "f.0-14"), (reporting, world.kibera, "202603", 2, "m.0-14")],
    )
    result = selectors.rollup(
        viewer=world.admin, indicator=reporting, area=selectors.Area(world.alpha), period_list=[march]
    )
    assert not result.from_aggregates
    assert result.total == 1.0  # one group, two options


def test_count_includes_text_values(current: Any) -> None:
    world = current
    story = make_indicator(world.alpha, value_type=ValueType.TEXT, aggregation=Aggregation.COUNT)
    march = make_period(world.alpha, "202603")
    write(world, [(story, world.kibera, "202603", "We met twice"), (story, world.mombasa, "202603", "Rain")])
    result = selectors.rollup(
        viewer=world.admin, indicator=story, area=selectors.Area(world.alpha), period_list=[march], by="child"
    )
    assert result.from_aggregates and result.total == 2.0
    assert_matches_recomputation(world.alpha)


# --- every kind of write keeps them right --------------------------------------------------------------


def test_creates_updates_deletes_and_comments_keep_the_rows_equal_to_a_recomputation(current: Any) -> None:
    world = current
    indicator = make_indicator(world.alpha, aggregation=Aggregation.MIN)
    make_period(world.alpha, "202603")
    write(
        world,
        [
            (indicator, world.kibera, "202603", 3),
            (indicator, world.mombasa, "202603", 5),
            (indicator, world.region_b, "202603", 9),
        ],
    )
    assert_matches_recomputation(world.alpha)
    write(world, [(indicator, world.kibera, "202603", 8)])  # the minimum goes up: read again
    assert_matches_recomputation(world.alpha)
    assert ValueAggregate.objects.get(node=world.kenya, indicator=indicator).minimum == 5.0
    write(world, [(indicator, world.mombasa, "202603", "")])  # deleted (a blank, from the API)
    assert_matches_recomputation(world.alpha)
    assert ValueAggregate.objects.get(node=world.kenya, indicator=indicator).minimum == 8.0
    assert not ValueAggregate.objects.filter(
        node=world.region_b.parent, indicator=indicator, reported=0
    ).exists()
    write(world, [(indicator, world.kibera, "202603", "")])
    assert not ValueAggregate.objects.filter(
        node=world.region_a, indicator=indicator
    ).exists()  # emptied: gone
    assert_matches_recomputation(world.alpha)
    writer = ValueWriter(actor=world.admin, collective=world.alpha, source="api", today=TODAY)
    with transaction.atomic():
        writer.write(
            [
                ValueIn(
                    indicator=indicator.code,
                    group=world.region_b.code,
                    period="202603",
                    value="9",
                    comment="checked",
                )
            ]
        )
    assert_matches_recomputation(world.alpha)


def test_a_dry_run_changes_nothing(current: Any) -> None:
    world = current
    indicator = make_indicator(world.alpha)
    make_period(world.alpha, "202603")
    writer = ValueWriter(actor=world.admin, collective=world.alpha, source="api", today=TODAY)
    with transaction.atomic():
        writer.write(
            [ValueIn(indicator=indicator.code, group=world.kibera.code, period="202603", value="4")],
            dry_run=True,
        )
    assert not ValueAggregate.objects.exists()


def test_file_imports_keep_them_right(current: Any, tmp_path: Any) -> None:
    from minga.core.bulk import get_record_type
    from minga.core.bulk.formats import open_table
    from minga.core.bulk.runner import run_import

    world = current
    indicator = make_indicator(world.alpha, code="members")
    make_period(world.alpha, "202603")
    path = tmp_path / "values.csv"
    path.write_text(
        f"indicator,group,period,option,value,comment\nmembers,{world.kibera.code},202603,,12,\n"
        f"members,{world.mombasa.code},202603,,30,\n"
    )
    report = run_import(
        record_type=get_record_type("datavalues"),
        actor=world.admin,
        collective=world.alpha,
        table=open_table(path),
    )
    assert report.created == 2
    assert ValueAggregate.objects.get(node=world.kenya, indicator=indicator).total == 42.0
    assert_matches_recomputation(world.alpha)


def test_the_api_keeps_them_right(current: Any) -> None:
    from tests.factories.api import ApiClient

    world = current
    indicator = make_indicator(world.alpha, code="members")
    make_period(world.alpha, "202603")
    body = {
        "collective": "alpha",
        "values": [{"indicator": "members", "group": world.kibera.code, "period": "202603", "value": 7}],
    }
    response = ApiClient(world.lead).post("/datavalues", body)
    assert response.status_code == 200, response.content
    assert ValueAggregate.objects.get(node=world.kenya, indicator=indicator).total == 7.0
    assert_matches_recomputation(world.alpha)


def test_values_written_while_aggregates_are_stale_are_counted_by_the_next_recomputation(world: Any) -> None:
    indicator = make_indicator(world.alpha)
    march = make_period(world.alpha, "202603")
    write(world, [(indicator, world.kibera, "202603", 3)])  # no aggregates yet: the writer skips them
    assert not ValueAggregate.objects.exists()
    args: dict[str, Any] = {
        "viewer": world.admin,
        "indicator": indicator,
        "area": selectors.Area(world.alpha),
        "period_list": [march],
        "by": "child",
    }
    assert not selectors.rollup(**args).from_aggregates
    aggregates.reaggregate(collective=world.alpha)
    result = selectors.rollup(**args)
    assert result.from_aggregates and result.total == 3.0


def test_a_recomputation_over_stale_rows_deletes_inserts_and_updates_only_what_changed(current: Any) -> None:
    world = current
    indicator = make_indicator(world.alpha)
    for code in ("202602", "202603"):
        make_period(world.alpha, code)
    write(
        world,
        [
            (indicator, world.kibera, "202602", 3),
            (indicator, world.kibera, "202603", 2),
            (indicator, world.mombasa, "202603", 5),
        ],
    )

    def rows() -> dict[tuple[str, str], tuple[int, float]]:
        found = ValueAggregate.objects.filter(indicator=indicator).select_related("node", "period")
        return {(r.node.name, r.period.code): (r.pk, r.total) for r in found}

    before = rows()
    # Stale (as after a raw load): the writer leaves the rows as they were.
    AggregateState.objects.filter(collective=world.alpha).update(current=False)
    write(world, [(indicator, world.kibera, "202602", 4), (indicator, world.region_b, "202602", 1)])
    DataValue.objects.filter(indicator=indicator, group=world.mombasa).delete()
    assert rows() == before

    aggregates.reaggregate(collective=world.alpha)
    after = rows()
    assert {key: total for key, (_, total) in after.items()} == {
        ("Kenya", "202602"): 5.0,  # changed
        ("Nairobi", "202602"): 4.0,  # changed
        ("Coast", "202602"): 1.0,  # new
        ("Kenya", "202603"): 2.0,  # changed
        ("Nairobi", "202603"): 2.0,  # unchanged; Coast's March row is gone
    }
    # Rows that stay are updated in place (or left alone), not deleted and inserted again.
    for key in (("Kenya", "202602"), ("Nairobi", "202602"), ("Kenya", "202603"), ("Nairobi", "202603")):
        assert after[key][0] == before[key][0]
    kept = stored(world.alpha)
    ValueAggregate.objects.all().delete()
    aggregates.reaggregate(collective=world.alpha)
    assert stored(world.alpha) == kept  # the same rows as a recomputation into an empty table


def test_a_recomputation_adds_up_values_whose_ids_are_too_wide_to_pack(current: Any) -> None:
    # SQLite sums by an integer key packing the four ids; ids this far apart don't fit in it, so each
    # value is summed on its own and the values under one node must still be added up.
    world = current
    make_indicator(world.alpha)  # a low id beside the high one
    indicator = make_indicator(world.alpha, id=2**31 - 1)
    make_period(world.alpha, "202602")
    march = make_period(world.alpha, "202603")
    ReportingPeriod.objects.filter(pk=march.pk).update(id=2**31 - 1)
    mathare = make_group(world.alpha, parent=world.region_a, name="Mathare")
    write(
        world,
        [
            (indicator, world.kibera, "202603", 3),
            (indicator, mathare, "202603", 4),
            (indicator, world.mombasa, "202603", 6),
        ],
    )
    assert_matches_recomputation(world.alpha)
    totals = {
        (r.node.name, r.total, r.numbers, r.reported)
        for r in ValueAggregate.objects.filter(indicator=indicator).select_related("node")
    }
    assert totals == {("Kenya", 13.0, 3, 3), ("Nairobi", 7.0, 2, 2), ("Coast", 6.0, 1, 1)}


# --- the tree changes ----------------------------------------------------------------------------------


def test_moving_a_group_makes_rollups_read_the_values_until_recomputed(current: Any) -> None:
    world = current
    indicator = make_indicator(world.alpha)
    march = make_period(world.alpha, "202603")
    write(world, [(indicator, world.kibera, "202603", 3), (indicator, world.mombasa, "202603", 5)])
    args: dict[str, Any] = {
        "viewer": world.admin,
        "indicator": indicator,
        "area": selectors.Area(world.alpha, group=world.kenya),
        "period_list": [march],
        "by": "child",
    }
    before = selectors.rollup(**args)
    assert before.from_aggregates
    assert {label: v for _, label, v in before.cells} == {"Nairobi": 3.0, "Coast": 5.0}
    architecture.group_move(actor=world.admin, group=world.mombasa, new_parent=world.region_a)
    assert not aggregates.is_current(world.alpha.pk)
    after = selectors.rollup(**args)
    assert not after.from_aggregates
    assert {label: v for _, label, v in after.cells} == {"Nairobi": 8.0}
    aggregates.reaggregate(collective=world.alpha)
    again = selectors.rollup(**args)
    assert again.from_aggregates and figures(again) == figures(after)


def test_a_new_group_does_not_make_them_stale(current: Any) -> None:
    world = current
    make_group(world.alpha, parent=world.kibera, name="Kibera choir")
    assert aggregates.is_current(world.alpha.pk)


def test_deleting_a_group_makes_them_stale(current: Any) -> None:
    world = current
    indicator = make_indicator(world.alpha)
    write(world, [(indicator, world.kibera, "202603", 3)])
    DataValue.objects.filter(group=world.kibera).delete()
    world.kibera.delete()
    assert not aggregates.is_current(world.alpha.pk)


# --- who sees what -------------------------------------------------------------------------------------


def test_a_coordinator_gets_the_figures_of_what_she_may_see(current: Any) -> None:
    world = current
    indicator = make_indicator(world.alpha)
    march = make_period(world.alpha, "202603")
    write(world, [(indicator, world.kibera, "202603", 3), (indicator, world.mombasa, "202603", 5)])
    whole: dict[str, Any] = {
        "indicator": indicator,
        "area": selectors.Area(world.alpha),
        "period_list": [march],
        "by": "child",
    }
    mine = selectors.rollup(viewer=world.coordinator_a, **whole)
    # Mombasa is private and in the other region: the aggregates would show it, so the scan answers.
    assert not mine.from_aggregates and mine.total == 3.0
    assert figures(mine) == figures(scan(viewer=world.coordinator_a, **whole))
    # Over her own region she sees every value: its row answers.
    own: dict[str, Any] = {
        "indicator": indicator,
        "area": selectors.Area(world.alpha, group=world.region_a),
        "period_list": [march],
        "by": "period",
    }
    result = selectors.rollup(viewer=world.coordinator_a, **own)
    assert result.from_aggregates and result.total == 3.0
    assert figures(result) == figures(scan(viewer=world.coordinator_a, **own))


@pytest.mark.parametrize("viewer", ["member", "lead", "beta_admin", "anonymous"])
def test_others_are_answered_by_the_scan(current: Any, viewer: str) -> None:
    from django.contrib.auth.models import AnonymousUser

    world = current
    indicator = make_indicator(world.alpha)
    march = make_period(world.alpha, "202603")
    write(world, [(indicator, world.kibera, "202603", 3), (indicator, world.mombasa, "202603", 5)])
    user = AnonymousUser() if viewer == "anonymous" else getattr(world, viewer)
    args: dict[str, Any] = {
        "viewer": user,
        "indicator": indicator,
        "area": selectors.Area(world.alpha),
        "period_list": [march],
        "by": "child",
    }
    result = selectors.rollup(**args)
    assert not result.from_aggregates
    assert figures(result) == figures(scan(**args))


def test_visible_to_keeps_aggregates_from_those_who_do_not_see_the_whole_subtree(current: Any) -> None:
    world = current
    indicator = make_indicator(world.alpha)
    write(world, [(indicator, world.kibera, "202603", 3), (indicator, world.mombasa, "202603", 5)])
    assert ValueAggregate.objects.visible_to(world.admin).count() == 3  # Kenya and its two regions
    assert set(ValueAggregate.objects.visible_to(world.coordinator_a).values_list("node", flat=True)) == {
        world.region_a.pk
    }
    assert not ValueAggregate.objects.visible_to(world.member).exists()
    assert not ValueAggregate.objects.visible_to(world.beta_admin).exists()


# --- random data ---------------------------------------------------------------------------------------

CODES = itertools.count()
RULES = [
    Aggregation.SUM,
    Aggregation.AVERAGE,
    Aggregation.MIN,
    Aggregation.MAX,
    Aggregation.LAST,
    Aggregation.COUNT,
]
writes = st.lists(
    st.tuples(
        st.integers(0, 6),  # group
        st.sampled_from(["202601", "202602", "202603"]),
        st.one_of(st.none(), st.integers(-50, 50)),  # None: delete
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rule=st.sampled_from(RULES), batches=st.lists(writes, min_size=1, max_size=4))
def test_random_writes_match_the_scan_and_the_recomputation(
    current: Any, rule: str, batches: list[list[tuple[int, str, int | None]]]
) -> None:
    world = current
    indicator = make_indicator(world.alpha, aggregation=rule, code=f"random{next(CODES)}")
    AggregateState.objects.filter(collective=world.alpha).update(current=True)
    choir = Group.objects.filter(code="kib-choir").first() or make_group(
        world.alpha, parent=world.kibera, name="Kibera choir", code="kib-choir"
    )
    groups = [world.kibera, world.mombasa, world.region_a, world.region_b, world.kenya, world.backbone, choir]
    period_list = [make_period(world.alpha, code) for code in ("202601", "202602", "202603")]
    for batch in batches:
        seen: dict[tuple[int, str], int | None] = {}
        for g, p, v in batch:
            seen[(g, p)] = v  # one value per key and batch
        write(world, [(indicator, groups[g], p, "" if v is None else v) for (g, p), v in seen.items()])
    assert_matches_recomputation(world.alpha)
    for area in (
        selectors.Area(world.alpha),
        selectors.Area(world.alpha, group=world.kenya),
        selectors.Area(world.alpha, group=world.region_a),
    ):
        for by in ("", "period", "child"):
            for chosen in (period_list, period_list[-1:]):
                args: dict[str, Any] = {
                    "viewer": world.admin,
                    "indicator": indicator,
                    "area": area,
                    "period_list": chosen,
                    "by": by,
                }
                result = selectors.rollup(**args)
                assert figures(result) == figures(scan(**args))
                # Every rule over several periods too: "last" and "count" from the span rows.
                assert result.from_aggregates or area.group is not None


def test_recomputation_from_the_cli(current: Any) -> None:
    from typer.testing import CliRunner

    from minga.cli import app

    world = current
    indicator = make_indicator(world.alpha)
    write(world, [(indicator, world.kibera, "202603", 3)])
    AggregateState.objects.filter(collective=world.alpha).update(current=False)
    ValueAggregate.objects.all().delete()
    result = CliRunner().invoke(app, ["measurement", "reaggregate", "--collective", "alpha"])
    assert result.exit_code == 0, result.output
    assert "alpha: 2 aggregate rows" in result.output  # Kenya and Nairobi
    assert aggregates.is_current(world.alpha.pk)
    assert ValueAggregate.objects.get(node=world.kenya).total == 3.0


# --- the recomputation in two halves (SQLite) ----------------------------------------------------------


@pytest.fixture
def file_database(transactional_db: Any, tmp_path: Any) -> Any:
    """Every connection of the test on a file copy of the SQLite test database with the production
    settings: the in-memory shared-cache one can't be opened by the recomputation's second connection."""
    if connection.vendor != "sqlite":
        pytest.skip("only SQLite sums on a second connection")
    with on_sqlite_file(tmp_path / "halves.sqlite3"):
        yield


def exact(collective: Any) -> list[tuple[Any, ...]]:
    return sorted(
        ValueAggregate.objects.filter(collective=collective).values_list(
            "indicator_id",
            "period_id",
            "node_id",
            "option",
            "total",
            "numbers",
            "reported",
            "minimum",
            "maximum",
        )
    )


@pytest.mark.django_db(transaction=True)
def test_a_recomputation_in_two_halves_makes_exactly_the_rows_of_one(
    file_database: Any, world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sex_age = make_sex_age(world.alpha)
    enrolled = make_indicator(world.alpha, disaggregation=sex_age)
    visits = make_indicator(world.alpha)
    for code in ("202602", "202603"):
        make_period(world.alpha, code)
    groups = [world.kibera, world.mombasa] + [
        make_group(world.alpha, parent=parent, name=f"Group {n}")
        for n, parent in enumerate([world.region_a, world.region_b] * 5)
    ]
    # Two rounds over the same keys, so the values of one row lie in both halves of the ids. Whole
    # numbers: a float adds them up exactly in any order (partial sums of other values may differ in the
    # last bit, as the writer's running sums may).
    for round_ in range(2):
        write(
            world,
            [
                (indicator, group, period, (n % 7) * 3 - round_ * 4, *option)
                for n, group in enumerate(groups[round_::2])
                for period in ("202602", "202603")
                for indicator, option in ((visits, ()), (enrolled, ("f.0-14",)), (enrolled, ("m.25+",)))
            ],
        )
    halves: list[Any] = []
    real = aggregates._sum_apart

    def counted(*args: Any) -> Any:
        halves.append(args)
        return real(*args)

    monkeypatch.setattr(aggregates, "_sum_apart", counted)

    monkeypatch.setattr(aggregates, "PARALLEL_FROM", 1)
    aggregates.reaggregate(collective=world.alpha)
    assert len(halves) == 1  # the second connection summed the upper half
    in_halves = exact(world.alpha)
    ValueAggregate.objects.all().delete()
    monkeypatch.setattr(aggregates, "PARALLEL_FROM", 10**12)
    aggregates.reaggregate(collective=world.alpha)
    assert len(halves) == 1
    assert exact(world.alpha) == in_halves
    assert in_halves and {row[2] for row in in_halves} >= {
        world.kenya.pk,
        world.region_a.pk,
        world.region_b.pk,
    }
