"""Adding and removing community members from the community page and the API."""

from __future__ import annotations

import pytest
from django.urls import reverse

from minga.core.choices import Role
from minga.learning.models import CommunityMember
from minga.people.models import Membership
from tests.factories.api import ApiClient
from tests.factories.learning import make_community
from tests.factories.people import make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def community(world):
    return make_community(world.alpha, actor=world.admin, group=world.kibera, name="Savings circle leads")


def test_page_adds_and_removes_a_member(client, world, community):
    person = make_person(world.alpha, full_name="Achieng Otieno", email="achieng@example.org")
    Membership.objects.create(person=person, group=world.kibera, role=Role.MEMBER)  # the lead reads her
    page = reverse("learning:community_detail", args=["alpha", community.pk])
    add = reverse("learning:community_member_add", args=["alpha", community.pk])
    client.force_login(world.lead)
    assert "Add a person" in client.get(page).content.decode()
    response = client.post(add, {"email": "ACHIENG@example.org", "role": "facilitator"})
    assert response.status_code == 302
    member = CommunityMember.objects.get(community=community, person=person)
    assert member.role == "facilitator"
    assert "Achieng Otieno" in client.get(page).content.decode()
    client.post(add, {"email": "nobody@example.org"})
    assert CommunityMember.objects.filter(community=community).count() == 1
    remove = reverse("learning:community_member_remove", args=["alpha", community.pk, person.pk])
    assert client.post(remove).status_code == 302
    assert not CommunityMember.objects.filter(community=community).exists()


@pytest.mark.parametrize("actor", ["coordinator_b", "member", "beta_admin"])
def test_only_editors_change_members(client, world, community, actor):
    person = make_person(world.alpha, email="someone@example.org")
    client.force_login(getattr(world, actor))
    add = reverse("learning:community_member_add", args=["alpha", community.pk])
    assert client.post(add, {"email": "someone@example.org"}).status_code == 404
    assert not CommunityMember.objects.filter(person=person).exists()


def test_api_sets_and_removes(world, community):
    person = make_person(world.alpha, full_name="Baraka")
    other = make_person(world.beta, full_name="Rosa")
    api = ApiClient(world.admin)
    path = f"/learning/communities/{community.pk}/members"
    response = api.post(path, {"person_id": person.pk, "role": "member"}, **{"Idempotency-Key": "m-1"})
    assert response.status_code == 200
    assert response.json() == {"community_id": community.pk, "person_id": person.pk, "role": "member"}
    assert api.post(path, {"person_id": person.pk, "role": "facilitator"}).json()["role"] == "facilitator"
    assert api.post(path, {"person_id": other.pk}).status_code == 422  # another collective's person
    assert api.post(path, {"person_id": person.pk, "role": "boss"}).status_code == 422
    assert ApiClient(world.coordinator_b).post(path, {"person_id": person.pk}).status_code == 404
    assert api.delete(f"{path}/{person.pk}").status_code == 204
    assert api.delete(f"{path}/{person.pk}").status_code == 404
    assert not CommunityMember.objects.filter(community=community).exists()
