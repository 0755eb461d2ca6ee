"""Aggregate rows go with what they add up. `ValueAggregate` keeps no database foreign keys (migration
0008: their checks at commit were a third of a recomputation on PostgreSQL), so nothing in the database
stops a row from outliving its group, indicator, period or collective: Django's CASCADE must delete it on
every route, and the trigger of migration 0007 must still mark the collective's rows stale."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import Q

from minga.architecture.models import Group
from minga.core.choices import Role
from minga.core.models import Collective
from minga.demo.generate import DEMO_SLUG, demo_remove
from minga.measurement import aggregates
from minga.measurement.ingest import ValueIn, ValueWriter
from minga.measurement.models import (
    AggregateState,
    DataValue,
    Indicator,
    ReportingPeriod,
    ValueAggregate,
)
from tests.factories.architecture import make_group
from tests.factories.core import make_collective
from tests.factories.measurement import make_indicator, make_period
from tests.factories.people import make_member

TODAY = dt.date(2026, 11, 20)


def write(actor: Any, collective: Collective, values: list[tuple[Indicator, Group, str, float]]) -> None:
    """(indicator, group, period code, value) through the single writer, which keeps the aggregates."""
    writer = ValueWriter(actor=actor, collective=collective, source="api", today=TODAY)
    items = [
        ValueIn(indicator=i.code, group=g.code, period=p, value=v, option="", location=n)
        for n, (i, g, p, v) in enumerate(values)
    ]
    with transaction.atomic():
        outcome = writer.write(items)
    assert not outcome.rejected, outcome.rejected


def orphans() -> int:
    """Aggregate rows whose collective, indicator, period or node no longer exists."""
    return ValueAggregate.objects.filter(
        ~Q(collective_id__in=Collective.objects.values("pk"))
        | ~Q(indicator_id__in=Indicator.objects.values("pk"))
        | ~Q(period_id__in=ReportingPeriod.objects.values("pk"))
        | ~Q(node_id__in=Group.objects.values("pk"))
    ).count()


def nodes_of(**lookup: Any) -> set[int]:
    return set(ValueAggregate.objects.filter(**lookup).values_list("node_id", flat=True))


@pytest.fixture
def filled(world: Any) -> Any:
    """Alpha with current aggregates: two indicators over two months in both regions."""
    aggregates.reaggregate(collective=world.alpha)
    world.meals, world.visits = make_indicator(world.alpha), make_indicator(world.alpha)
    world.feb, world.march = make_period(world.alpha, "202602"), make_period(world.alpha, "202603")
    write(
        world.admin,
        world.alpha,
        [
            (indicator, group, period, value)
            for indicator in (world.meals, world.visits)
            for group, value in ((world.kibera, 3.0), (world.mombasa, 5.0))
            for period in ("202602", "202603")
        ],
    )
    assert aggregates.is_current(world.alpha.pk)
    # Nodes: Kenya (top level) and both regions under it.
    assert nodes_of(collective=world.alpha) == {world.kenya.pk, world.region_a.pk, world.region_b.pk}
    return world


def test_the_aggregate_table_keeps_no_database_foreign_keys(db: Any) -> None:
    # With them, every row a recomputation inserts is checked four times at commit on PostgreSQL.
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, ValueAggregate._meta.db_table)
    assert [name for name, c in constraints.items() if c["foreign_key"]] == []


def test_deleting_a_region_removes_its_rows_and_makes_the_rest_stale(filled: Any) -> None:
    world = filled
    # A parent is protected: the tree goes from the leaves up, as the demo's removal does it.
    world.kibera.delete()
    world.region_a.delete()
    assert nodes_of(collective=world.alpha) == {world.kenya.pk, world.region_b.pk}
    assert orphans() == 0
    # Kenya's rows still count Kibera's values: the trigger marked them stale, so rollups read the values.
    assert not aggregates.is_current(world.alpha.pk)
    aggregates.reaggregate(collective=world.alpha)
    kenya = ValueAggregate.objects.filter(node=world.kenya, indicator=world.meals, period=world.march).get()
    assert (kenya.total, kenya.reported) == (5.0, 1)


def test_deleting_a_top_level_group_removes_its_rows(filled: Any) -> None:
    world = filled
    for group in (world.kibera, world.mombasa, world.region_a, world.region_b, world.kenya):
        group.delete()
    assert not ValueAggregate.objects.filter(collective=world.alpha).exists()
    assert orphans() == 0
    assert not aggregates.is_current(world.alpha.pk)


def test_deleting_an_indicator_removes_its_rows_only(filled: Any) -> None:
    world = filled
    visits = ValueAggregate.objects.filter(indicator=world.visits).count()
    assert visits == 6  # three nodes x two months
    world.meals.delete()
    assert set(ValueAggregate.objects.values_list("indicator_id", flat=True)) == {world.visits.pk}
    assert ValueAggregate.objects.count() == visits
    assert orphans() == 0


def test_deleting_a_period_removes_its_rows_only(filled: Any) -> None:
    world = filled
    DataValue.objects.filter(period=world.feb).delete()  # a period with values can't be deleted
    world.feb.delete()
    assert set(ValueAggregate.objects.values_list("period_id", flat=True)) == {world.march.pk}
    assert orphans() == 0


def test_removing_a_collective_removes_its_rows_and_no_other(filled: Any) -> None:
    world = filled
    demo = make_collective(slug=DEMO_SLUG, name="Demo")
    root = make_group(demo, kind_code="country", name="Uganda", code="ug")
    district = make_group(demo, parent=root, kind_code="region", name="Gulu", code="ug-gul")
    club = make_group(demo, parent=district, name="Gulu club", code="ug-gul-club")
    admin = make_member(make_group(demo, kind_code="backbone", code="ug-bb"), Role.ADMIN).user
    aggregates.reaggregate(collective=demo)
    write(admin, demo, [(make_indicator(demo), club, "202603", 7.0)])
    assert nodes_of(collective=demo) == {root.pk, district.pk}
    alpha_rows = ValueAggregate.objects.filter(collective=world.alpha).count()

    demo_remove()

    assert not Collective.objects.filter(pk=demo.pk).exists()
    assert not ValueAggregate.objects.filter(collective_id=demo.pk).exists()
    assert not AggregateState.objects.filter(collective_id=demo.pk).exists()
    assert ValueAggregate.objects.filter(collective=world.alpha).count() == alpha_rows
    assert orphans() == 0
    assert aggregates.is_current(world.alpha.pk)  # another collective's groups went, not alpha's
