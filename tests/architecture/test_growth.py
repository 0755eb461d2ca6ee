"""Growth over time, counted over what the user may see."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from minga.architecture.growth import growth_series
from minga.architecture.models import Group
from minga.people.models import Membership
from tests.factories.architecture import make_link
from tests.factories.people import make_person

THIS_YEAR = f"{timezone.localdate().year:04d}"


def _dated(world):
    """Kibera founded 2019; Mombasa (private, the other region) founded 2020 with a member since 2020
    and a link to Kibera since 2021; a Kibera membership that ran from 2019 to 2021."""
    Group.objects.filter(pk=world.kibera.pk).update(founded_on=dt.date(2019, 3, 1))
    Group.objects.filter(pk=world.mombasa.pk).update(founded_on=dt.date(2020, 5, 1))
    Membership.objects.create(
        person=make_person(world.alpha), group=world.mombasa, started_on=dt.date(2020, 6, 1)
    )
    Membership.objects.create(
        person=make_person(world.alpha),
        group=world.kibera,
        started_on=dt.date(2019, 6, 1),
        ended_on=dt.date(2021, 1, 31),
    )
    make_link(world.kibera, world.mombasa, started_on=dt.date(2021, 2, 1))


def by_period(series):
    return {p.period: p for p in series.points}


def test_admin_sees_every_group_person_and_link(world):
    _dated(world)
    points = by_period(growth_series(world.alpha, user=world.admin))
    assert points["2019"].groups_founded == 1
    assert points["2020"].groups_founded == 1
    assert points["2020"].groups_active == 2
    assert points["2020"].memberships_started == 1
    assert points["2020"].members_active == 2
    assert points["2021"].memberships_ended == 1
    assert points["2021"].members_active == 1
    assert points["2021"].links_started == 1
    # the rest of the tree was recorded today, without a founding date
    assert points[THIS_YEAR].groups_active == Group.objects.filter(collective=world.alpha).count()


def test_coordinator_does_not_count_a_private_group_of_another_region(world):
    _dated(world)
    points = by_period(growth_series(world.alpha, user=world.coordinator_a))
    assert "2020" not in points or points["2020"].groups_founded == 0
    assert points["2020"].memberships_started == 0  # Mombasa's member stays out
    assert points["2021"].links_started == 0  # one end of the link is out of sight
    visible = Group.objects.visible_to(world.coordinator_a).filter(collective=world.alpha).count()
    assert points[THIS_YEAR].groups_active == visible
    assert not Group.objects.visible_to(world.coordinator_a).filter(pk=world.mombasa.pk).exists()


def test_scope_group_limits_to_the_subtree(world):
    _dated(world)
    points = by_period(growth_series(world.alpha, world.region_a, user=world.admin))
    assert points["2019"].groups_founded == 1
    assert points["2020"].groups_founded == 0
    assert points[THIS_YEAR].groups_active == 2  # Nairobi and Kibera


def test_years_without_events_are_filled(world):
    _dated(world)
    periods = [p.period for p in growth_series(world.alpha, user=world.admin).points]
    assert periods == [str(y) for y in range(2019, int(THIS_YEAR) + 1)]


def test_monthly_series(world):
    _dated(world)
    points = by_period(growth_series(world.alpha, user=world.admin, period="month"))
    assert points["2019-03"].groups_founded == 1
    assert points["2019-04"].groups_active == 1
    assert points["2021-02"].links_started == 1


def test_anonymous_sees_public_groups_only_and_no_people_of_private_groups(world):
    _dated(world)
    points = by_period(growth_series(world.alpha, user=None))
    assert "2019" not in points  # Kibera is private
    assert all(p.memberships_started == 0 for p in points.values() if p.period != THIS_YEAR)


def test_another_collective_shows_only_its_own_public_groups(world):
    _dated(world)
    Group.objects.filter(pk=world.beta_root.pk).update(visibility="private")
    points = by_period(growth_series(world.beta, user=world.admin))
    assert list(points) == [THIS_YEAR]
    assert points[THIS_YEAR].groups_active == 1  # beta's backbone; its private Peru group stays out
    # People are only ever counted: the beta admin's membership of the (public) backbone.
    assert points[THIS_YEAR].memberships_started == 1
