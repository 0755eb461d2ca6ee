"""The people API for each kind of caller: nobody reads or changes people outside their reach (404), the
public sees nobody, and bad input is a 422 on the field with nothing written."""

from __future__ import annotations

import pytest

from minga.core.choices import Role
from minga.people.models import Membership, Person
from tests.factories.api import ApiClient, error_codes, error_fields
from tests.factories.people import make_person

ACTORS = ["anonymous", "member", "coordinator_a", "coordinator_b", "beta_admin", "admin"]


def client(world, actor: str) -> ApiClient:
    return ApiClient(None if actor == "anonymous" else getattr(world, actor))


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


def person_in(group, role=Role.MEMBER, **fields) -> Person:
    person = make_person(group.collective, **fields)
    Membership.objects.create(person=person, group=group, role=role)
    return person


@pytest.fixture
def people(world):
    """Wanjiku (Kibera, region A) and Amina (Mombasa, region B), without logins."""
    return {
        "wanjiku": person_in(world.kibera, full_name="Wanjiku Kamau", email="wanjiku@example.org"),
        "amina": person_in(world.mombasa, full_name="Amina Said", email="amina@example.org"),
    }


# who sees whom (beyond their own record)
REACH = {
    "anonymous": set(),
    "member": set(),
    "coordinator_a": {"wanjiku"},
    "coordinator_b": {"amina"},
    "beta_admin": set(),
    "admin": {"wanjiku", "amina"},
}
EDITS = {**REACH, "member": set()}


class TestPeopleRead:
    @pytest.mark.parametrize("actor", ACTORS)
    def test_list_and_get_show_only_people_within_reach(self, world, people, actor):
        api = client(world, actor)
        listed = ids(api.get("/people", {"collective": "alpha"}))
        for name, person in people.items():
            assert (person.pk in listed) is (name in REACH[actor])
            assert api.get(f"/people/{person.pk}").status_code == (200 if name in REACH[actor] else 404)

    def test_the_public_sees_nobody(self, world, people):
        assert ids(ApiClient().get("/people")) == set()

    def test_a_member_sees_their_own_record(self, world):
        own = Person.objects.get(user=world.member)
        assert ids(client(world, "member").get("/people")) == {own.pk}

    def test_filter_by_group_and_name(self, world, people):
        admin = client(world, "admin")
        in_kibera = ids(admin.get("/people", {"group": world.kibera.pk}))
        assert people["wanjiku"].pk in in_kibera and people["amina"].pk not in in_kibera
        assert ids(admin.get("/people", {"q": "amina"})) == {people["amina"].pk}
        assert client(world, "coordinator_a").get("/people", {"group": world.mombasa.pk}).status_code == 404

    @pytest.mark.parametrize("actor", ACTORS)
    def test_export_only_within_reach(self, world, people, actor):
        response = client(world, actor).get(f"/people/{people['amina'].pk}/export")
        if "amina" in REACH[actor]:
            assert response.status_code == 200
            data = response.json()
            assert data["email"] == "amina@example.org"
            assert [m["group_code"] for m in data["memberships"]] == ["ke-cst-mom"]
        else:
            assert response.status_code == 404


def person_body(world, **overrides):
    body = {"collective": "alpha", "full_name": "Baraka Otieno", "group_id": world.kibera.pk}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


class TestPersonCreate:
    @pytest.mark.parametrize(
        ("actor", "group", "status"),
        [
            ("anonymous", "kibera", 401),
            ("member", "kibera", 404),
            ("coordinator_a", "kibera", 201),
            ("coordinator_a", "mombasa", 422),  # a private group out of reach reads as unknown
            ("coordinator_b", "kibera", 422),
            ("beta_admin", "region_a", 404),
            ("admin", "mombasa", 201),
        ],
    )
    def test_who_may_register_whom_where(self, world, actor, group, status):
        before = Person.objects.count()
        response = client(world, actor).post("/people", person_body(world, group_id=getattr(world, group).pk))
        assert response.status_code == status, response.content
        assert Person.objects.count() == before + (status == 201)
        if status == 201:
            person = Person.objects.get(pk=response.json()["id"])
            assert person.memberships.get().group == getattr(world, group)

    def test_lead_adds_a_member_to_their_group(self, world):
        response = client(world, "lead").post("/people", person_body(world, email="Baraka@Example.org"))
        assert response.status_code == 201
        assert response.json()["email"] == "baraka@example.org"

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"full_name": None}, "full_name"),
            ({"full_name": ""}, "full_name"),
            ({"full_name": 42}, "full_name"),
            ({"email": "not-an-email"}, "email"),
            ({"email": "WANJIKU@example.org"}, "email"),
            ({"role": "king"}, "role"),
            ({"role": "admin"}, "role"),
            ({"started_on": "2025-02-30"}, "started_on"),
            ({"group_id": 999999}, "group_id"),
            ({"group_id": "kibera"}, "group_id"),
            ({"skills": "cooking"}, "skills"),
            ({"collective": "nowhere"}, "collective"),
            ({"consent_given_at": "2999-01-01T00:00:00Z", "consent_purpose": "x"}, "consent_given_at"),
            ({"preferred_language": "Klingon!"}, "preferred_language"),
            ({"preferred_language": "en GB"}, "preferred_language"),
            ({"preferred_language": "zh-Hant-TW-x"}, "preferred_language"),
        ],
    )
    def test_bad_input_is_422_on_the_field_and_writes_nothing(self, world, people, overrides, field):
        before = (Person.objects.count(), Membership.objects.count())
        response = client(world, "coordinator_a").post("/people", person_body(world, **overrides))
        assert response.status_code == 422, response.content
        assert field in error_fields(response), response.json()
        assert (Person.objects.count(), Membership.objects.count()) == before


class TestPersonChange:
    @pytest.mark.parametrize("actor", ACTORS)
    def test_who_may_update(self, world, people, actor):
        for name, person in people.items():
            response = client(world, actor).patch(f"/people/{person.pk}", {"full_name": "Changed"})
            allowed = name in EDITS[actor]
            expected = 200 if allowed else (401 if actor == "anonymous" else 404)
            assert response.status_code == expected, (name, response.content)
            assert (Person.objects.get(pk=person.pk).full_name == "Changed") is allowed

    @pytest.mark.parametrize(
        ("given", "stored"), [("hi", "hi"), ("PT-br", "pt-BR"), ("Kiswahili", "sw"), ("", "")]
    )
    def test_any_language_tag_is_kept_in_canonical_case(self, world, people, given, stored):
        wanjiku = people["wanjiku"]
        response = client(world, "admin").patch(f"/people/{wanjiku.pk}", {"preferred_language": given})
        assert response.status_code == 200 and response.json()["preferred_language"] == stored
        assert Person.objects.get(pk=wanjiku.pk).preferred_language == stored

    def test_people_update_their_own_record(self, world):
        own = Person.objects.get(user=world.member)
        response = client(world, "member").patch(f"/people/{own.pk}", {"preferred_language": "sw"})
        assert response.status_code == 200 and response.json()["preferred_language"] == "sw"

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"email": "nope"}, "email"),
            ({"email": "amina@example.org"}, "email"),
            ({"skills": [1, 2]}, "skills.0"),
            ({"full_name": ""}, "full_name"),
            ({"preferred_language": "not a language"}, "preferred_language"),
        ],
    )
    def test_update_bad_input(self, world, people, body, field):
        wanjiku = people["wanjiku"]
        response = client(world, "admin").patch(f"/people/{wanjiku.pk}", body)
        assert response.status_code == 422 and field in error_fields(response), response.content
        fresh = Person.objects.get(pk=wanjiku.pk)
        assert (fresh.full_name, fresh.email, fresh.skills) == ("Wanjiku Kamau", "wanjiku@example.org", [])

    @pytest.mark.parametrize("actor", ACTORS)
    def test_who_may_erase(self, world, people, actor):
        amina = people["amina"]
        response = client(world, actor).delete(f"/people/{amina.pk}")
        allowed = "amina" in EDITS[actor]
        assert response.status_code == (204 if allowed else 401 if actor == "anonymous" else 404)
        assert Person.objects.filter(pk=amina.pk).exists() is not allowed
        assert Membership.objects.filter(person_id=amina.pk).exists() is not allowed

    @pytest.mark.parametrize("actor", ACTORS)
    def test_who_may_record_consent(self, world, people, actor):
        wanjiku = people["wanjiku"]
        body = {"given": True, "purpose": "Programme records"}
        response = client(world, actor).post(f"/people/{wanjiku.pk}/consent", body)
        allowed = "wanjiku" in EDITS[actor]
        assert response.status_code == (200 if allowed else 401 if actor == "anonymous" else 404)
        assert Person.objects.get(pk=wanjiku.pk).has_consent is allowed
        if allowed:
            assert response.json()["has_consent"] is True

    @pytest.mark.parametrize(
        ("body", "field"),
        [({"given": True}, "consent_purpose"), ({"given": "maybe"}, "given"), ({}, "given")],
    )
    def test_consent_bad_input(self, world, people, body, field):
        wanjiku = people["wanjiku"]
        response = client(world, "admin").post(f"/people/{wanjiku.pk}/consent", body)
        assert response.status_code == 422 and field in error_fields(response), response.content
        assert not Person.objects.get(pk=wanjiku.pk).has_consent

    def test_withdraw_consent(self, world, people):
        wanjiku = people["wanjiku"]
        admin = client(world, "admin")
        assert (
            admin.post(f"/people/{wanjiku.pk}/consent", {"given": True, "purpose": "Records"}).status_code
            == 200
        )
        response = admin.post(f"/people/{wanjiku.pk}/consent", {"given": False})
        assert response.status_code == 200 and response.json()["has_consent"] is False


# --- memberships ----------------------------------------------------------------------------------


class TestMemberships:
    @pytest.mark.parametrize("actor", ACTORS)
    def test_list_shows_memberships_within_reach(self, world, people, actor):
        listed = ids(client(world, actor).get("/memberships"))
        for name, person in people.items():
            membership = person.memberships.get()
            assert (membership.pk in listed) is (name in REACH[actor])
            status = client(world, actor).get(f"/memberships/{membership.pk}").status_code
            assert status == (200 if name in REACH[actor] else 404)

    def test_filters(self, world, people):
        admin = client(world, "admin")
        wanjiku_m = people["wanjiku"].memberships.get()
        assert ids(admin.get("/memberships", {"person": people["wanjiku"].pk})) == {wanjiku_m.pk}
        leads = ids(admin.get("/memberships", {"group": world.kibera.pk, "role": "lead"}))
        assert leads == set(
            Membership.objects.filter(group=world.kibera, role="lead").values_list("pk", flat=True)
        )
        Membership.objects.filter(pk=wanjiku_m.pk).update(started_on="2020-01-01", ended_on="2021-01-01")
        assert wanjiku_m.pk not in ids(admin.get("/memberships", {"active": True}))
        assert ids(admin.get("/memberships", {"active": False})) == {wanjiku_m.pk}

    @pytest.mark.parametrize(
        ("actor", "status"),
        [
            ("anonymous", 401),
            ("member", 422),  # Wanjiku is out of a member's reach: unknown person
            ("coordinator_a", 201),
            ("coordinator_b", 422),
            ("beta_admin", 422),
            ("admin", 201),
        ],
    )
    def test_who_may_give_a_role(self, world, people, actor, status):
        before = Membership.objects.count()
        body = {"person_id": people["wanjiku"].pk, "group_id": world.region_a.pk, "role": "member"}
        response = client(world, actor).post("/memberships", body)
        assert response.status_code == status, response.content
        assert Membership.objects.count() == before + (status == 201)

    def test_lead_cannot_grant_lead(self, world, people):
        body = {"person_id": people["wanjiku"].pk, "group_id": world.kibera.pk, "role": "lead"}
        response = client(world, "lead").post("/memberships", body)
        assert response.status_code == 422 and error_codes(response) == {"role_too_high"}

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"person_id": None}, "person_id"),
            ({"person_id": 999999}, "person_id"),
            ({"group_id": 999999}, "group_id"),
            ({"role": "emperor"}, "role"),
            ({"started_on": "2025-01-10", "ended_on": "2025-01-01"}, "ended_on"),
            ({"started_on": "tomorrow"}, "started_on"),
            ({"role": "member", "group_id": "kibera"}, "group_id"),
            ({"group_id": "beta"}, "group_id"),
        ],
    )
    def test_create_bad_input(self, world, people, overrides, field):
        body = {
            "person_id": people["wanjiku"].pk,
            "group_id": world.region_a.pk,
            "role": "member",
        } | overrides
        if body["group_id"] == "beta":
            body["group_id"] = world.beta_root.pk
        body = {k: v for k, v in body.items() if v is not None}
        before = Membership.objects.count()
        response = client(world, "admin").post("/memberships", body)
        assert response.status_code == 422, response.content
        assert field in error_fields(response), response.json()
        assert Membership.objects.count() == before

    def test_duplicate_open_role_is_refused(self, world, people):
        body = {"person_id": people["wanjiku"].pk, "group_id": world.kibera.pk, "role": "member"}
        response = client(world, "admin").post("/memberships", body)
        assert response.status_code == 422 and error_fields(response) == {"role"}

    @pytest.mark.parametrize(
        ("actor", "status"),
        [
            ("anonymous", 401),
            ("member", 404),
            ("coordinator_a", 200),
            ("coordinator_b", 404),
            ("beta_admin", 404),
            ("admin", 200),
        ],
    )
    def test_who_may_end_a_membership(self, world, people, actor, status):
        membership = people["wanjiku"].memberships.get()
        response = client(world, actor).post(f"/memberships/{membership.pk}/end", {})
        assert response.status_code == status, response.content
        assert (Membership.objects.get(pk=membership.pk).ended_on is not None) is (status == 200)

    @pytest.mark.parametrize("body", [{"ended_on": "1999-01-01"}, {"ended_on": "soon"}])
    def test_end_bad_date(self, world, people, body):
        membership = people["wanjiku"].memberships.get()
        response = client(world, "admin").post(f"/memberships/{membership.pk}/end", body)
        assert response.status_code == 422 and error_fields(response) == {"ended_on"}
        assert Membership.objects.get(pk=membership.pk).ended_on is None
