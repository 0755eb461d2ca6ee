"""Reads behind the architecture pages: scoped, and a fixed number of queries."""

from __future__ import annotations

import datetime as dt

import pytest

from minga.architecture import selectors
from minga.architecture.models import Group, NetworkSnapshot
from minga.architecture.selectors import DirectoryFilters
from minga.core.choices import Role
from minga.people.models import Membership
from tests.factories.architecture import make_group, make_link
from tests.factories.people import make_member

pytestmark = pytest.mark.django_db


def test_directory_is_scoped_to_the_viewer(world):
    def names(user):
        return {g.name for g in selectors.group_directory(user, world.alpha, DirectoryFilters()).groups}

    assert "Kibera Youth" not in names(None)
    assert "Kibera Youth" in names(world.member) and "Mombasa Women" not in names(world.member)
    assert {"Kibera Youth", "Mombasa Women"} <= names(world.admin)
    assert "Peru" not in names(world.superuser)


def test_directory_count_is_capped(world, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 3)
    page = selectors.group_directory(world.admin, world.alpha, DirectoryFilters())
    assert page.count == 3 and page.count_capped
    page = selectors.group_directory(world.admin, world.alpha, DirectoryFilters(q="Kenya"))
    assert page.count == 1 and not page.count_capped


def test_directory_keyset_handles_equal_names(world):
    for _ in range(5):
        make_group(world.alpha, parent=world.kenya, name="Same")
    first = selectors.group_directory(world.admin, world.alpha, DirectoryFilters(q="Same"), size=2)
    second = selectors.group_directory(
        world.admin, world.alpha, DirectoryFilters(q="Same"), size=2, after=first.next_after
    )
    third = selectors.group_directory(
        world.admin, world.alpha, DirectoryFilters(q="Same"), size=2, after=second.next_after
    )
    ids = [g.pk for page in (first, second, third) for g in page.groups]
    assert len(ids) == 5 == len(set(ids)) and ids == sorted(ids)
    assert third.next_after is None


def test_directory_search_matches_place_and_exact_code(world):
    Group.objects.filter(pk=world.region_b.pk).update(place_name="Mombasa County")
    names = {
        g.name
        for g in selectors.group_directory(world.admin, world.alpha, DirectoryFilters(q="county")).groups
    }
    assert names == {"Coast"}
    names = {
        g.name
        for g in selectors.group_directory(world.admin, world.alpha, DirectoryFilters(q="KE-NAI")).groups
    }
    assert names == {"Nairobi"}


def test_tree_nodes_mark_nodes_with_children(world):
    roots = selectors.tree_nodes(world.admin, world.alpha)
    # has_children and group_count are annotations the selectors add (mypy sees the bare model).
    assert [(g.name, g.has_children) for g in roots] == [  # type: ignore[attr-defined]
        ("Backbone team", False),
        ("Kenya", True),
    ]
    children = selectors.tree_nodes(world.admin, world.alpha, parent=world.kenya)
    assert [g.name for g in children] == ["Coast", "Nairobi"]


def test_group_candidates_for_a_move_are_editable_and_outside_the_subtree(world):
    found = selectors.group_candidates(world.coordinator_a, world.alpha, "o", editable=True)
    assert {g.name for g in found} == {"Nairobi", "Kibera Youth"}
    found = selectors.group_candidates(
        world.admin, world.alpha, "a", editable=True, exclude_subtree_of=world.kenya
    )
    assert {g.name for g in found} == {"Backbone team"}
    assert selectors.group_candidates(world.admin, world.alpha, "  ") == []


def test_group_profile_is_scoped(world, django_assert_max_num_queries):
    make_link(world.kibera, world.mombasa)
    make_link(world.region_a, world.kibera)
    with django_assert_max_num_queries(9):
        profile = selectors.group_profile(world.coordinator_a, world.kibera)
    assert [a.name for a in profile.ancestors] == ["Kenya", "Nairobi"]
    assert profile.links_out == [] and [link.source for link in profile.links_in] == [world.region_a]
    assert profile.can_edit and not profile.is_admin and profile.history == []
    profile = selectors.group_profile(world.admin, world.kenya)
    assert profile.subtree_total == 4 and profile.subtree_by_status == {"active": 4}
    assert [c.name for c in profile.children] == ["Coast", "Nairobi"]
    assert profile.is_admin and profile.can_create_under


def test_group_people_counts_distinct_active_people_in_the_subtree(world):
    person = make_member(world.kibera, Role.MEMBER, with_login=False)
    Membership.objects.create(person=person, group=world.region_a, role=Role.OBSERVER)
    make_member(world.kibera, Role.MEMBER, with_login=False, full_name="Gone").memberships.update(
        started_on=dt.date(2020, 1, 1), ended_on=dt.date(2021, 1, 1)
    )
    people = selectors.group_people(world.coordinator_a, world.region_a)
    assert people is not None
    # coordinator_a, the lead, the member and the new person; the ended membership does not count
    assert people.reached == 4
    assert selectors.group_people(world.member, world.kibera) is None
    assert selectors.group_people(None, world.kenya) is None
    assert selectors.group_people(world.coordinator_b, world.kibera) is None


def test_collective_overview_counts_visible_groups(world):
    Group.objects.filter(pk=world.kenya.pk).update(founded_on=dt.date(2018, 1, 1))
    Group.objects.filter(pk=world.kibera.pk).update(founded_on=dt.date(2020, 1, 1))
    Group.objects.filter(pk=world.mombasa.pk).update(founded_on=dt.date(2020, 6, 1))
    admin = selectors.collective_overview(world.admin, world.alpha)
    assert admin.total == 6
    assert [(layer.layer, layer.total) for layer in admin.layers] == [
        ("support", 1),
        ("network", 3),
        ("action", 2),
    ]
    assert admin.with_point == 2
    visitor = selectors.collective_overview(None, world.alpha)
    assert visitor.total == 4


def test_network_summary_reads_the_latest_snapshot(world):
    assert selectors.network_summary(world.admin, world.alpha) is None
    for day, groups in [(1, 5), (2, 6)]:
        NetworkSnapshot.objects.create(
            collective=world.alpha,
            computed_at=dt.datetime(2026, 1, day, tzinfo=dt.UTC),
            metrics={
                "groups": groups,
                "links": 2,
                "density": 0.1,
                "components": {"count": 3},
                "communities": {"count": 2},
                "bridging": {
                    "top_betweenness": [
                        {"id": world.mombasa.pk, "name": "x"},
                        {"id": world.region_b.pk, "name": "y"},
                    ]
                },
            },
        )
    summary = selectors.network_summary(world.admin, world.alpha)
    assert summary is not None
    assert (summary.groups, summary.components, summary.communities) == (6, 3, 2)
    assert summary.bridging == [world.mombasa, world.region_b]
    assert selectors.network_summary(None, world.alpha).bridging == [world.region_b]  # type: ignore[union-attr]


def test_sets_count_only_visible_groups(world):
    from minga.architecture.models import GroupSet

    group_set = GroupSet.objects.create(collective=world.alpha, code="s", name="S")
    group_set.groups.add(world.kibera, world.kenya)
    public_sets = selectors.sets_of_collective(None, world.alpha)
    admin_sets = selectors.sets_of_collective(world.admin, world.alpha)
    assert [s.group_count for s in public_sets] == [1]  # type: ignore[attr-defined]
    assert [s.group_count for s in admin_sets] == [2]  # type: ignore[attr-defined]


def test_may_create_group(world):
    assert selectors.may_create_group(world.admin, world.alpha, None)
    assert not selectors.may_create_group(world.coordinator_a, world.alpha, None)
    assert selectors.may_create_group(world.coordinator_a, world.alpha, world.kibera)
    assert not selectors.may_create_group(world.coordinator_a, world.alpha, world.mombasa)
    assert not selectors.may_create_group(world.lead, world.alpha, world.kibera)
