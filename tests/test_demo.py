"""The demo generator: shape of the tree, logins and their reach, reproducibility, --if-absent, --reset."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from minga.architecture.models import Group, GroupSet, Link
from minga.core.choices import Role, Visibility
from minga.core.errors import DomainError
from minga.core.models import AuditEntry, Collective
from minga.core.scoping import scope_for
from minga.demo.generate import DEMO_PASSWORD, DemoResult, demo_collective, generate_demo
from minga.demo.plan import SIZES, plan_architecture
from minga.people.models import Membership, Person

TODAY = dt.date(2026, 3, 1)


def _generate(**kwargs: Any) -> DemoResult:
    options: dict[str, Any] = {"size": "tiny", "seed": 7, "today": TODAY, "with_metrics": False, **kwargs}
    return generate_demo(**options)


def _login(email: str) -> Any:
    return get_user_model().objects.get(email=email)


@pytest.fixture
def small(db: Any) -> DemoResult:
    return _generate(size="small")


@pytest.fixture
def tiny(db: Any) -> DemoResult:
    return _generate()


def test_small_demo_is_a_five_level_tree_of_about_300_groups(small: DemoResult) -> None:
    collective = demo_collective()
    groups = Group.objects.filter(collective=collective)
    assert groups.count() == small.groups == 300
    assert set(groups.values_list("depth", flat=True)) == {0, 1, 2, 3, 4}
    by_id = {g.pk: g for g in groups}
    for group in by_id.values():
        parent = by_id.get(group.parent_id) if group.parent_id else None
        assert group.path == f"{parent.path if parent else '/'}{group.pk}/"
        assert group.depth == (parent.depth + 1 if parent else 0)
    kinds_by_depth = {
        depth: set(
            groups.filter(depth=depth, layer__in=["network", "action"]).values_list("kind__code", flat=True)
        )
        for depth in range(5)
    }
    assert kinds_by_depth == {0: {"country"}, 1: {"region"}, 2: {"district"}, 3: {"cluster"}, 4: {"group"}}
    assert groups.filter(layer="support", kind__code="backbone").count() == 1
    assert groups.filter(layer="support", kind__code="working-group").count() == SIZES["small"].working_groups
    assert set(groups.values_list("country_code", flat=True)) >= {"KE", "PE", "IN"}


def test_small_demo_looks_like_a_real_movement(small: DemoResult) -> None:
    leaves = Group.objects.filter(collective=demo_collective(), depth=4)
    statuses = set(leaves.values_list("status", flat=True))
    assert statuses == {"forming", "active", "dormant", "closed"}
    assert not leaves.filter(status="closed", closed_on__isnull=True).exists()
    assert leaves.filter(visibility=Visibility.PUBLIC).count() > leaves.count() * 0.7
    assert leaves.exclude(visibility=Visibility.PUBLIC).exists()
    years = {d.year for d in leaves.values_list("founded_on", flat=True) if d is not None}
    assert len(years) >= 5  # growth over the years, for the charts
    assert not leaves.filter(latitude__isnull=True).exists()
    assert 4_500 <= Person.objects.filter(collective=demo_collective()).count() <= 5_500
    assert Person.objects.filter(user__isnull=False).count() == 5  # only the demo logins have users
    assert Membership.objects.filter(group__in=leaves, role=Role.LEAD).values("group").distinct().count() == (
        leaves.count()
    )
    kinds = set(Link.objects.filter(collective=demo_collective()).values_list("kind", flat=True))
    assert kinds == {"partnership", "mentoring", "shared_campaign", "information_flow"}
    assert GroupSet.objects.filter(collective=demo_collective(), kind="thematic").count() >= 5


def test_the_demo_collective_lists_the_languages_its_people_speak(small: DemoResult) -> None:
    collective = demo_collective()
    assert collective is not None
    spoken = set(Person.objects.filter(collective=collective).values_list("preferred_language", flat=True))
    assert collective.languages[0] == "en" and set(collective.languages) == spoken | {"en"}
    assert len(collective.languages) == len(set(collective.languages)) > 3


def test_links_join_two_groups_of_the_demo_with_ordered_dates(tiny: DemoResult) -> None:
    links = Link.objects.filter(collective=demo_collective()).select_related("source", "target")
    assert links.count() == tiny.links > 0
    for link in links:
        assert link.source_id != link.target_id
        assert link.source.collective_id == link.target.collective_id == link.collective_id
        assert link.ended_on is None or (link.started_on is not None and link.ended_on >= link.started_on)


def test_each_demo_login_holds_its_role(tiny: DemoResult) -> None:
    collective = demo_collective()
    assert collective is not None
    expected = {
        "admin@demo.minga.local": (Role.ADMIN, "backbone"),
        "coordinator@demo.minga.local": (Role.COORDINATOR, "region"),
        "lead@demo.minga.local": (Role.LEAD, "group"),
        "member@demo.minga.local": (Role.MEMBER, "group"),
        "observer@demo.minga.local": (Role.OBSERVER, "region"),
    }
    for email, (role, kind) in expected.items():
        user = _login(email)
        assert user.check_password(DEMO_PASSWORD)
        assert not user.is_superuser
        memberships = Membership.objects.filter(person__user=user)
        assert [(m.role, m.group.kind.code) for m in memberships] == [(role, kind)]
    operator = _login("operator@demo.minga.local")
    assert operator.is_superuser and operator.check_password(DEMO_PASSWORD)
    assert [login.email for login in tiny.logins] == ["operator@demo.minga.local", *expected]


def test_demo_lead_and_member_belong_to_a_group_in_the_coordinators_region(tiny: DemoResult) -> None:
    region = Membership.objects.get(person__user=_login("coordinator@demo.minga.local")).group
    for email in ("lead@demo.minga.local", "member@demo.minga.local"):
        group = Membership.objects.get(person__user=_login(email)).group
        assert group.path.startswith(region.path)
        assert group.status == "active"


def test_demo_coordinator_sees_their_subtree_only(tiny: DemoResult) -> None:
    coordinator = _login("coordinator@demo.minga.local")
    region = Membership.objects.get(person__user=coordinator).group
    scope = scope_for(coordinator)
    assert scope.view_paths == scope.edit_paths == (region.path,)
    editable = Group.objects.editable_by(coordinator)
    assert editable.count() == Group.objects.filter(path__startswith=region.path).count()
    outside_private = Group.objects.filter(
        collective=demo_collective(), visibility=Visibility.PRIVATE
    ).exclude(path__startswith=region.path)
    assert outside_private.exists()
    assert not Group.objects.visible_to(coordinator).filter(pk__in=outside_private).exists()
    people = Person.objects.visible_to(coordinator)
    assert people.exists()
    outside = people.exclude(memberships__group__path__startswith=region.path).exclude(user=coordinator)
    assert not outside.exists()
    assert people.count() < Person.objects.filter(collective=demo_collective()).count()


def test_same_seed_gives_the_same_collective(db: Any) -> None:
    first = _generate()
    codes = list(
        Group.objects.filter(collective=demo_collective()).order_by("code").values_list("code", "name")
    )
    people = list(Person.objects.filter(collective=demo_collective()).order_by("id").values_list("full_name"))
    second = _generate(reset=True)
    assert (first.groups, first.links, first.people) == (second.groups, second.links, second.people)
    again = Group.objects.filter(collective=demo_collective()).order_by("code").values_list("code", "name")
    assert list(again) == codes
    assert list(
        Person.objects.filter(collective=demo_collective()).order_by("id").values_list("full_name")
    ) == (people)


def test_another_seed_gives_another_collective() -> None:
    def names(seed: int) -> list[str]:
        plan = plan_architecture(size=SIZES["tiny"], seed=seed, first_id=1, today=TODAY)
        return [g.name for g in plan.leaves]

    assert names(1) == names(1)
    assert names(1) != names(2)


def test_if_absent_does_nothing_the_second_time(tiny: DemoResult) -> None:
    groups = Group.objects.count()
    again = _generate(if_absent=True)
    assert not again.created
    assert Group.objects.count() == groups
    assert Collective.objects.filter(slug="demo").count() == 1
    assert AuditEntry.objects.filter(action="demo.generate").count() == 1
    assert len(again.logins) == 6


def test_an_existing_demo_is_not_overwritten_by_accident(tiny: DemoResult) -> None:
    with pytest.raises(DomainError) as error:
        _generate()
    assert error.value.problems[0].code == "demo_exists"


def test_reset_rebuilds_the_demo_and_keeps_the_logins(tiny: DemoResult) -> None:
    old = demo_collective()
    assert old is not None
    admin_id = _login("admin@demo.minga.local").pk
    _generate(reset=True)
    new = demo_collective()
    assert new is not None and new.pk != old.pk
    assert not Person.objects.filter(collective_id=old.pk).exists()
    assert not Group.objects.filter(collective_id=old.pk).exists()
    assert _login("admin@demo.minga.local").pk == admin_id
    assert Membership.objects.filter(
        person__user_id=admin_id, group__collective=new, role=Role.ADMIN
    ).exists()


def test_generation_is_audited_once(tiny: DemoResult) -> None:
    entry = AuditEntry.objects.get(action="demo.generate")
    assert entry.collective == demo_collective()
    assert entry.actor == _login("operator@demo.minga.local")
    assert entry.changes["groups"] == tiny.groups
    assert entry.changes["size"] == "tiny"


def test_architecture_only_demo_has_no_people(db: Any) -> None:
    result = _generate(with_people=False)
    assert result.groups == Group.objects.filter(collective=demo_collective()).count() == SIZES["tiny"].groups
    assert not Person.objects.exists()


def test_new_rows_after_the_demo_get_fresh_ids(tiny: DemoResult) -> None:
    collective = demo_collective()
    assert collective is not None
    top = Group.objects.order_by("-id").first()
    assert top is not None
    created = Group.objects.create(
        collective=collective, code="after-demo", name="After", kind=top.kind, path="/x/", depth=0
    )
    assert created.pk > top.pk


def test_the_bulk_load_leaves_indexes_and_foreign_keys_as_they_were(db: Any) -> None:
    from django.db import connection

    def schema() -> dict[str, set[str]]:
        with connection.cursor() as cursor:
            return {
                model._meta.db_table: set(
                    connection.introspection.get_constraints(cursor, model._meta.db_table)
                )
                for model in (Person, Membership)
            }

    before = schema()
    _generate()
    assert schema() == before


def test_every_app_adds_its_part_and_search_is_ready_at_once(tiny: DemoResult) -> None:
    from minga.learning.indexing import search_index_stale

    for part in ("indicators", "data_values", "search_index_sources"):
        assert tiny.extras.get(part, 0) > 0, part
    collective = demo_collective()
    assert collective is not None
    # The groups and activities were indexed as the demo finished: the first search has nothing to catch up.
    assert search_index_stale(collective.pk) is False


def test_the_demos_dashboards_read_the_pre_aggregated_rollups(tiny: DemoResult) -> None:
    from minga.measurement import aggregates, selectors
    from minga.measurement.models import Aggregation, DataValue, Indicator, ReportingPeriod, ValueAggregate

    collective = demo_collective()
    assert collective is not None
    assert aggregates.is_current(collective.pk)
    assert ValueAggregate.objects.filter(collective=collective).exists()
    admin = get_user_model().objects.get(email="admin@demo.minga.local")
    indicator = (
        Indicator.objects.filter(collective=collective, aggregation=Aggregation.SUM)
        .filter(pk__in=DataValue.objects.values("indicator_id"))
        .first()
    )
    assert indicator is not None
    periods = list(
        ReportingPeriod.objects.filter(values__indicator=indicator).distinct().order_by("-start")[:12]
    )
    root = Group.objects.get(collective=collective, depth=0, layer="network", country_code="KE")
    area = selectors.Area(collective, group=root)
    answer = selectors.rollup(viewer=admin, indicator=indicator, area=area, period_list=periods, by="child")
    assert answer.from_aggregates
    values = DataValue.objects.filter(
        indicator=indicator, period__in=periods, group__path__startswith=root.path, option=0
    ).values_list("value", flat=True)
    expected = sum(v for v in values if v is not None)
    assert answer.total == pytest.approx(expected)
