"""Reads behind the people pages: search and filters respect reach; offered roles stay below one's own."""

from __future__ import annotations

from minga.core.choices import Role
from minga.people import selectors
from minga.people.models import Membership, Person
from tests.factories.people import make_person


def person_in(group, role=Role.MEMBER, **fields):
    person = make_person(group.collective, **fields)
    Membership.objects.create(person=person, group=group, role=role)
    return person


def search(user, collective, **filters):
    found = selectors.person_search(
        user=user, collective=collective, filters=selectors.PersonFilters(**filters)
    )
    return {p.full_name for p in found}


def test_search_matches_name_or_email_case_insensitively(world):
    person_in(world.kibera, full_name="Grace Wanjiru", email="gw@example.org")
    person_in(world.kibera, full_name="Other", email="GRACE.other@example.org")
    assert search(world.admin, world.alpha, q="grace") == {"Grace Wanjiru", "Other"}


def test_group_filter_covers_the_subtree_and_only_current_roles(world):
    current = person_in(world.kibera, full_name="Current")
    former = person_in(world.kibera, full_name="Former")
    Membership.objects.filter(person=former).update(started_on="2020-01-01", ended_on="2020-12-31")
    assert current.full_name in search(world.admin, world.alpha, group=world.kenya)
    assert "Former" not in search(world.admin, world.alpha, group=world.kenya)


def test_current_memberships_are_the_visible_ones(world):
    person = person_in(world.kibera, full_name="Dual")
    Membership.objects.create(person=person, group=world.mombasa, role=Role.MEMBER)
    found = selectors.person_search(
        user=world.lead, collective=world.alpha, filters=selectors.PersonFilters(q="Dual")
    )
    assert [m.group for m in found[0].current_memberships] == [world.kibera]  # type: ignore[attr-defined]


def test_search_stays_inside_the_collective(world):
    person_in(world.beta_root, full_name="Beta Person")
    assert "Beta Person" not in search(world.superuser, world.alpha)


def test_grantable_roles_stay_below_ones_own(world):
    values = lambda user: {v for v, _ in selectors.grantable_roles(user, world.alpha)}  # noqa: E731
    assert values(world.admin) == set(Role.values)
    assert values(world.coordinator_a) == {"lead", "member", "observer"}
    assert values(world.lead) == {"member", "observer"}
    assert values(world.member) == set()
    assert values(world.beta_admin) == set()


def test_profile_actions(world):
    me = Person.objects.get(user=world.member)
    own = selectors.person_profile(user=world.member, person=me)
    assert own.is_self and own.can_edit and not own.can_manage and not own.can_invite
    by_lead = selectors.person_profile(user=world.lead, person=me)
    assert by_lead.can_manage and not by_lead.can_invite  # already has a login
