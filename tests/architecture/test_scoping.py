"""The one scoping rule, checked role by role."""

from django.contrib.auth.models import AnonymousUser

from minga.architecture.models import Group
from minga.people.models import Person


def names(qs):
    return set(qs.values_list("name", flat=True))


def test_anonymous_sees_only_published_groups_of_public_collectives(world):
    visible = names(Group.objects.visible_to(AnonymousUser()))
    assert "Kenya" in visible and "Peru" in visible
    assert "Kibera Youth" not in visible and "Mombasa Women" not in visible


def test_coordinator_sees_own_subtree_private_groups_but_not_other_region(world):
    visible = names(Group.objects.visible_to(world.coordinator_a))
    assert "Kibera Youth" in visible
    assert "Mombasa Women" not in visible


def test_coordinator_edits_only_own_subtree(world):
    editable = names(Group.objects.editable_by(world.coordinator_a))
    assert editable == {"Nairobi", "Kibera Youth"}


def test_lead_edits_own_group_only(world):
    assert names(Group.objects.editable_by(world.lead)) == {"Kibera Youth"}


def test_member_edits_nothing_but_sees_own_private_group(world):
    assert names(Group.objects.editable_by(world.member)) == set()
    assert "Kibera Youth" in names(Group.objects.visible_to(world.member))


def test_admin_of_one_collective_cannot_see_private_groups_of_another(world):
    assert "Kibera Youth" not in names(Group.objects.visible_to(world.beta_admin))
    assert names(Group.objects.editable_by(world.beta_admin)) == names(
        Group.objects.filter(collective=world.beta)
    )


def test_people_are_hidden_from_the_public_and_from_other_regions(world):
    assert Person.objects.visible_to(AnonymousUser()).count() == 0
    seen_by_b = set(Person.objects.visible_to(world.coordinator_b).values_list("user__email", flat=True))
    assert world.lead.email not in seen_by_b
    seen_by_a = set(Person.objects.visible_to(world.coordinator_a).values_list("user__email", flat=True))
    assert {world.lead.email, world.member.email} <= seen_by_a
