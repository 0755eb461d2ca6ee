"""The architecture API, endpoint by endpoint, for each kind of caller and for bad input.

Callers: anonymous, a member of Kibera (region A), the coordinator of region A, the coordinator of region
B, the admin of another collective, the admin of this one. Forbidden looks like missing (404), and a
refused or invalid write leaves the database as it was.
"""

from __future__ import annotations

import pytest

from minga.architecture.models import Group, GroupKind, GroupSet, GroupStatus, Link
from minga.core.choices import Visibility
from minga.core.models import Collective
from tests.factories.api import ApiClient, error_codes, error_fields
from tests.factories.architecture import make_group, make_link
from tests.factories.core import make_collective

ACTORS = ["anonymous", "member", "coordinator_a", "coordinator_b", "beta_admin", "admin"]


def client(world, actor: str) -> ApiClient:
    return ApiClient(None if actor == "anonymous" else getattr(world, actor))


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


# --- collectives ----------------------------------------------------------------------------------


class TestCollectives:
    def test_list_shows_public_collectives_and_private_ones_to_their_people(self, world):
        hidden = make_collective(slug="hidden", visibility=Visibility.PRIVATE)
        slugs = {c["slug"] for c in ApiClient().get("/collectives").json()["items"]}
        assert slugs == {"alpha", "beta"}
        assert "hidden" not in {c["slug"] for c in client(world, "admin").get("/collectives").json()["items"]}
        assert ApiClient().get("/collectives/hidden").status_code == 404
        assert ApiClient(world.superuser).get(f"/collectives/{hidden.slug}").status_code == 200

    @pytest.mark.parametrize("actor", ACTORS)
    def test_get_public_collective(self, world, actor):
        response = client(world, actor).get("/collectives/alpha")
        assert response.status_code == 200
        assert response.json()["name"] == "Alpha Collective"

    @pytest.mark.parametrize(
        ("actor", "status"),
        [
            ("anonymous", 401),
            ("member", 404),
            ("coordinator_a", 404),
            ("coordinator_b", 404),
            ("beta_admin", 404),
            ("admin", 200),
        ],
    )
    def test_only_the_collectives_admin_updates_it(self, world, actor, status):
        response = client(world, actor).patch("/collectives/alpha", {"mission": "Together"})
        assert response.status_code == status, response.content
        world.alpha.refresh_from_db()
        assert (world.alpha.mission == "Together") is (status == 200)

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"visibility": "everyone"}, "visibility"),
            ({"languages": "en"}, "languages"),
            ({"name": ""}, "name"),
            ({"name": None}, "name"),
        ],
    )
    def test_update_rejects_bad_input_and_writes_nothing(self, world, body, field):
        response = client(world, "admin").patch("/collectives/alpha", body)
        assert response.status_code == 422
        assert field in error_fields(response)
        assert Collective.objects.get(pk=world.alpha.pk).name == "Alpha Collective"


# --- group kinds ----------------------------------------------------------------------------------


class TestGroupKinds:
    @pytest.mark.parametrize("actor", ACTORS)
    def test_anyone_who_sees_the_collective_lists_its_kinds(self, world, actor):
        response = client(world, actor).get("/collectives/alpha/kinds")
        assert response.status_code == 200
        assert "region" in {k["code"] for k in response.json()}

    @pytest.mark.parametrize(
        ("actor", "status"),
        [
            ("anonymous", 401),
            ("member", 404),
            ("coordinator_a", 404),
            ("beta_admin", 404),
            ("admin", 201),
        ],
    )
    def test_only_admins_create_kinds(self, world, actor, status):
        before = GroupKind.objects.count()
        body = {"code": "ward", "name": "Ward", "layer": "network"}
        response = client(world, actor).post("/collectives/alpha/kinds", body)
        assert response.status_code == status, response.content
        assert GroupKind.objects.count() == before + (status == 201)

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"name": "Ward"}, "code"),
            ({"code": "ward"}, "name"),
            ({"code": "ward", "name": "Ward", "layer": "cosmic"}, "layer"),
            ({"code": "not a slug!", "name": "Ward"}, "code"),
            ({"code": "ward", "name": "Ward", "order": "first"}, "order"),
        ],
    )
    def test_create_rejects_bad_input(self, world, body, field):
        before = GroupKind.objects.count()
        response = client(world, "admin").post("/collectives/alpha/kinds", body)
        assert response.status_code == 422
        assert field in error_fields(response)
        assert GroupKind.objects.count() == before

    def test_duplicate_code_is_refused(self, world):
        before = GroupKind.objects.count()
        response = client(world, "admin").post("/collectives/alpha/kinds", {"code": "region", "name": "R"})
        assert response.status_code == 422
        assert GroupKind.objects.count() == before


# --- groups: reading ------------------------------------------------------------------------------

PUBLIC_ALPHA = {"backbone", "kenya", "region_a", "region_b"}
SEES = {
    "anonymous": PUBLIC_ALPHA,
    "member": PUBLIC_ALPHA | {"kibera"},
    "coordinator_a": PUBLIC_ALPHA | {"kibera"},
    "coordinator_b": PUBLIC_ALPHA | {"mombasa"},
    "beta_admin": PUBLIC_ALPHA,
    "admin": PUBLIC_ALPHA | {"kibera", "mombasa"},
}


class TestGroupRead:
    @pytest.mark.parametrize("actor", ACTORS)
    def test_list_shows_exactly_the_visible_groups(self, world, actor):
        response = client(world, actor).get("/groups", {"collective": "alpha"})
        assert ids(response) == {getattr(world, name).pk for name in SEES[actor]}

    @pytest.mark.parametrize("actor", ACTORS)
    @pytest.mark.parametrize("group", ["kibera", "mombasa", "kenya"])
    def test_get_private_group_only_when_visible(self, world, actor, group):
        response = client(world, actor).get(f"/groups/{getattr(world, group).pk}")
        if group in SEES[actor]:
            assert response.status_code == 200
            assert response.json()["code"] == getattr(world, group).code
        else:
            assert response.status_code == 404
            assert error_codes(response) == {"not_found"}

    def test_missing_and_forbidden_look_the_same(self, world):
        forbidden = client(world, "coordinator_a").get(f"/groups/{world.mombasa.pk}")
        missing = client(world, "coordinator_a").get("/groups/999999")
        assert forbidden.status_code == missing.status_code == 404
        assert forbidden.json() == missing.json()

    def test_group_carries_kind_collective_and_place(self, world):
        data = client(world, "admin").get(f"/groups/{world.kibera.pk}").json()
        assert data["kind"] == "group" and data["collective"] == "alpha"
        assert data["parent_id"] == world.region_a.pk and data["latitude"] == -1.31

    def test_filters(self, world):
        admin = client(world, "admin")
        assert ids(admin.get("/groups", {"within": world.region_a.pk})) == {
            world.region_a.pk,
            world.kibera.pk,
        }
        assert ids(admin.get("/groups", {"collective": "alpha", "layer": "network"})) == {
            world.kenya.pk,
            world.region_a.pk,
            world.region_b.pk,
        }
        assert ids(admin.get("/groups", {"kind": "region"})) == {world.region_a.pk, world.region_b.pk}
        assert ids(admin.get("/groups", {"q": "mombasa"})) == {world.mombasa.pk}
        assert ids(admin.get("/groups", {"collective": "beta"})) == {
            world.beta_root.pk,
            *Group.objects.filter(code="beta-bb").values_list("pk", flat=True),
        }
        Group.objects.filter(pk=world.kibera.pk).update(status=GroupStatus.DORMANT)
        assert ids(admin.get("/groups", {"status": "dormant"})) == {world.kibera.pk}
        group_set = GroupSet.objects.create(collective=world.alpha, code="youth", name="Youth")
        group_set.groups.set([world.kibera, world.mombasa])
        assert ids(admin.get("/groups", {"set": group_set.pk})) == {world.kibera.pk, world.mombasa.pk}
        # the set is public, its private members stay private
        assert ids(client(world, "coordinator_a").get("/groups", {"set": group_set.pk})) == {world.kibera.pk}

    def test_within_a_group_you_cannot_see_is_404(self, world):
        response = client(world, "coordinator_a").get("/groups", {"within": world.mombasa.pk})
        assert response.status_code == 404

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"layer": "cosmic"}, "layer"),
            ({"status": "asleep"}, "status"),
            ({"within": "kibera"}, "within"),
            ({"limit": 0}, "limit"),
            ({"limit": 501}, "limit"),
            ({"cursor": "!!not-a-cursor"}, "cursor"),
        ],
    )
    def test_bad_filters_are_422_with_the_field(self, world, params, field):
        response = client(world, "admin").get("/groups", params)
        assert response.status_code == 422
        assert field in error_fields(response)


# --- groups: writing ------------------------------------------------------------------------------


def group_body(world, **overrides):
    body = {"parent_id": world.region_a.pk, "code": "ke-nai-new", "name": "New group", "kind": "group"}
    body.update(overrides)
    return body


class TestGroupCreate:
    @pytest.mark.parametrize(
        ("actor", "parent", "status"),
        [
            ("anonymous", "region_a", 401),
            ("member", "kibera", 404),
            ("coordinator_a", "region_a", 201),
            ("coordinator_a", "region_b", 404),
            ("coordinator_b", "region_a", 404),
            ("beta_admin", "region_a", 404),
            ("admin", "region_b", 201),
        ],
    )
    def test_who_may_create_where(self, world, actor, parent, status):
        before = Group.objects.count()
        response = client(world, actor).post(
            "/groups", group_body(world, parent_id=getattr(world, parent).pk)
        )
        assert response.status_code == status, response.content
        assert Group.objects.count() == before + (status == 201)
        if status == 201:
            data = response.json()
            group = Group.objects.get(pk=data["id"])
            assert group.path == f"{getattr(world, parent).path}{group.pk}/"
            assert data["collective"] == "alpha" and data["layer"] == "action"

    def test_admin_creates_a_top_level_group_in_their_collective(self, world):
        body = {
            "collective": "alpha",
            "code": "ug",
            "name": "Uganda",
            "kind": "country",
            "country_code": "UG",
        }
        response = client(world, "admin").post("/groups", body)
        assert response.status_code == 201
        assert response.json()["parent_id"] is None

    def test_a_coordinator_cannot_create_a_top_level_group(self, world):
        before = Group.objects.count()
        body = {"collective": "alpha", "code": "ug", "name": "Uganda", "kind": "country"}
        response = client(world, "coordinator_a").post("/groups", body)
        assert response.status_code == 422
        assert Group.objects.count() == before

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"code": None}, "code"),
            ({"name": None}, "name"),
            ({"kind": None}, "kind"),
            ({"latitude": "north"}, "latitude"),
            ({"parent_id": "region"}, "parent_id"),
            ({"parent_id": 999999}, "parent_id"),
            ({"latitude": 95.0, "longitude": 10.0}, "latitude"),
            ({"latitude": 10.0, "longitude": 200.0}, "longitude"),
            ({"latitude": 10.0}, "latitude"),
            ({"country_code": "kenya"}, "country_code"),
            ({"country_code": "ke"}, "country_code"),
            ({"founded_on": "2024-02-31"}, "founded_on"),
            ({"founded_on": "yesterday"}, "founded_on"),
            ({"kind": "galaxy"}, "kind"),
            ({"status": "asleep"}, "status"),
            ({"visibility": "secret"}, "visibility"),
            ({"contact_email": "not-an-email"}, "contact_email"),
            ({"code": "has spaces"}, "code"),
            ({"code": "ke-nai-kib"}, "code"),
            ({"collective": "nowhere", "parent_id": None}, "collective"),
        ],
    )
    def test_bad_input_is_422_on_the_field_and_writes_nothing(self, world, overrides, field):
        body = group_body(world, **overrides)
        body = {k: v for k, v in body.items() if v is not None or k in {"parent_id"}}
        before = Group.objects.count()
        response = client(world, "admin").post("/groups", body)
        assert response.status_code == 422, response.content
        assert field in error_fields(response), response.json()
        assert Group.objects.count() == before

    def test_a_parent_you_cannot_see_reads_like_a_missing_one(self, world):
        hidden = client(world, "coordinator_a").post("/groups", group_body(world, parent_id=world.mombasa.pk))
        missing = client(world, "coordinator_a").post("/groups", group_body(world, parent_id=999999))
        assert hidden.status_code == missing.status_code == 422
        assert hidden.json() == missing.json()

    def test_malformed_json_is_400(self, world):
        before = Group.objects.count()
        response = client(world, "admin").post("/groups", '{"code": ')
        assert response.status_code == 400
        assert error_codes(response) == {"malformed_request"}
        assert Group.objects.count() == before


class TestGroupUpdate:
    @pytest.mark.parametrize(
        ("actor", "group", "status"),
        [
            ("anonymous", "kibera", 401),
            ("member", "kibera", 404),
            ("coordinator_a", "kibera", 200),
            ("coordinator_a", "mombasa", 404),
            ("coordinator_b", "kibera", 404),
            ("beta_admin", "region_a", 404),
            ("admin", "mombasa", 200),
        ],
    )
    def test_who_may_update(self, world, actor, group, status):
        target = getattr(world, group)
        response = client(world, actor).patch(f"/groups/{target.pk}", {"name": "Renamed"})
        assert response.status_code == status, response.content
        assert (Group.objects.get(pk=target.pk).name == "Renamed") is (status == 200)

    def test_patch_changes_only_the_fields_sent(self, world):
        response = client(world, "coordinator_a").patch(
            f"/groups/{world.kibera.pk}", {"place_name": "Kibera", "kind": "chapter"}
        )
        assert response.status_code == 200
        kibera = Group.objects.get(pk=world.kibera.pk)
        assert kibera.place_name == "Kibera" and kibera.kind.code == "chapter"
        assert kibera.name == "Kibera Youth" and kibera.latitude == -1.31

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"latitude": 91}, "latitude"),
            ({"latitude": None}, "latitude"),
            ({"country_code": "KEN"}, "country_code"),
            ({"closed_on": "2024-01-01"}, "closed_on"),
            ({"status": "closed", "founded_on": "2024-01-01", "closed_on": "2023-01-01"}, "closed_on"),
            ({"founded_on": "01/02/2024"}, "founded_on"),
            ({"code": "ke-cst-mom"}, "code"),
            ({"kind": "galaxy"}, "kind"),
            ({"name": None}, "name"),
        ],
    )
    def test_bad_input_is_422_and_nothing_changes(self, world, body, field):
        before = Group.objects.values().get(pk=world.kibera.pk)
        response = client(world, "admin").patch(f"/groups/{world.kibera.pk}", body)
        assert response.status_code == 422, response.content
        assert field in error_fields(response), response.json()
        assert Group.objects.values().get(pk=world.kibera.pk) == before


class TestGroupMoveAndClose:
    @pytest.mark.parametrize(
        ("actor", "group", "parent", "status"),
        [
            ("anonymous", "kibera", "region_b", 401),
            ("member", "kibera", "region_b", 404),
            ("coordinator_a", "kibera", "region_b", 404),
            ("coordinator_b", "mombasa", "region_a", 404),
            ("beta_admin", "kibera", "region_b", 404),
            ("admin", "kibera", "region_b", 200),
        ],
    )
    def test_who_may_move(self, world, actor, group, parent, status):
        target, new_parent = getattr(world, group), getattr(world, parent)
        response = client(world, actor).post(f"/groups/{target.pk}/move", {"parent_id": new_parent.pk})
        assert response.status_code == status, response.content
        moved = Group.objects.get(pk=target.pk)
        assert (moved.parent_id == new_parent.pk) is (status == 200)
        if status == 200:
            assert moved.path == f"{new_parent.path}{moved.pk}/"

    def test_moving_under_own_subtree_is_a_cycle(self, world):
        before = list(Group.objects.order_by("pk").values_list("pk", "path"))
        response = client(world, "admin").post(
            f"/groups/{world.kenya.pk}/move", {"parent_id": world.kibera.pk}
        )
        assert response.status_code == 422
        assert error_codes(response) == {"cycle"} and error_fields(response) == {"parent_id"}
        assert list(Group.objects.order_by("pk").values_list("pk", "path")) == before

    @pytest.mark.parametrize(
        ("body", "field"),
        [({}, "parent_id"), ({"parent_id": "up"}, "parent_id"), ({"parent_id": 999999}, "parent_id")],
    )
    def test_move_bad_input(self, world, body, field):
        response = client(world, "admin").post(f"/groups/{world.kibera.pk}/move", body)
        assert response.status_code == 422
        assert field in error_fields(response)
        assert Group.objects.get(pk=world.kibera.pk).parent_id == world.region_a.pk

    def test_move_to_the_top(self, world):
        response = client(world, "admin").post(f"/groups/{world.region_b.pk}/move", {"parent_id": None})
        assert response.status_code == 200 and response.json()["parent_id"] is None
        assert Group.objects.get(pk=world.mombasa.pk).path == f"/{world.region_b.pk}/{world.mombasa.pk}/"

    @pytest.mark.parametrize(
        ("actor", "status"),
        [
            ("anonymous", 401),
            ("member", 404),
            ("coordinator_b", 404),
            ("beta_admin", 404),
            ("coordinator_a", 200),
        ],
    )
    def test_who_may_close(self, world, actor, status):
        response = client(world, actor).post(f"/groups/{world.kibera.pk}/close", {"closed_on": "2025-06-30"})
        assert response.status_code == status, response.content
        kibera = Group.objects.get(pk=world.kibera.pk)
        assert (kibera.status == GroupStatus.CLOSED) is (status == 200)
        if status == 200:
            assert str(kibera.closed_on) == "2025-06-30" and response.json()["status"] == "closed"

    @pytest.mark.parametrize("body", [{"closed_on": "someday"}, {"closed_on": "2025-02-30"}])
    def test_close_bad_date(self, world, body):
        response = client(world, "admin").post(f"/groups/{world.kibera.pk}/close", body)
        assert response.status_code == 422 and "closed_on" in error_fields(response)
        assert Group.objects.get(pk=world.kibera.pk).status == GroupStatus.ACTIVE

    def test_close_before_founding_is_refused(self, world):
        Group.objects.filter(pk=world.kibera.pk).update(founded_on="2024-01-01")
        response = client(world, "admin").post(
            f"/groups/{world.kibera.pk}/close", {"closed_on": "2023-01-01"}
        )
        assert response.status_code == 422 and "closed_on" in error_fields(response)
        assert Group.objects.get(pk=world.kibera.pk).status == GroupStatus.ACTIVE


# --- group sets -----------------------------------------------------------------------------------


@pytest.fixture
def youth(world):
    group_set = GroupSet.objects.create(collective=world.alpha, code="youth", name="Youth network")
    group_set.groups.set([world.kibera, world.mombasa, world.region_a])
    return group_set


class TestGroupSets:
    @pytest.mark.parametrize("actor", ACTORS)
    def test_members_listed_are_only_those_you_can_see(self, world, youth, actor):
        response = client(world, actor).get(f"/group-sets/{youth.pk}")
        assert response.status_code == 200
        expected = {world.region_a.pk} | {
            getattr(world, g).pk for g in ("kibera", "mombasa") if g in SEES[actor]
        }
        assert set(response.json()["group_ids"]) == expected

    def test_private_set_is_hidden_from_other_collectives_and_the_public(self, world):
        private = GroupSet.objects.create(
            collective=world.alpha, code="core", name="Core", visibility=Visibility.COLLECTIVE
        )
        assert client(world, "anonymous").get(f"/group-sets/{private.pk}").status_code == 404
        assert client(world, "beta_admin").get(f"/group-sets/{private.pk}").status_code == 404
        assert client(world, "member").get(f"/group-sets/{private.pk}").status_code == 200
        assert private.pk not in ids(client(world, "anonymous").get("/group-sets"))
        assert private.pk in ids(client(world, "member").get("/group-sets", {"collective": "alpha"}))

    @pytest.mark.parametrize(
        ("actor", "status"),
        [("anonymous", 401), ("member", 404), ("coordinator_a", 404), ("beta_admin", 404), ("admin", 201)],
    )
    def test_only_admins_create_sets(self, world, actor, status):
        body = {"collective": "alpha", "code": "coast", "name": "Coast", "group_ids": [world.region_b.pk]}
        response = client(world, actor).post("/group-sets", body)
        assert response.status_code == status, response.content
        assert GroupSet.objects.filter(code="coast").exists() is (status == 201)
        if status == 201:
            assert response.json()["group_ids"] == [world.region_b.pk]

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"code": None}, "code"),
            ({"kind": "club"}, "kind"),
            ({"group_ids": [999999]}, "group_ids"),
            ({"group_ids": "all"}, "group_ids"),
            ({"group_ids": ["beta_root"]}, "group_ids.0"),
            ({"collective": "nowhere"}, "collective"),
        ],
    )
    def test_create_bad_input(self, world, overrides, field):
        body = {"collective": "alpha", "code": "coast", "name": "Coast"} | overrides
        body = {k: v for k, v in body.items() if v is not None}
        response = client(world, "admin").post("/group-sets", body)
        assert response.status_code == 422, response.content
        assert field in error_fields(response)
        assert not GroupSet.objects.filter(name="Coast").exists()

    def test_groups_of_another_collective_cannot_join(self, world):
        body = {"collective": "alpha", "code": "coast", "name": "Coast", "group_ids": [world.beta_root.pk]}
        response = client(world, "admin").post("/group-sets", body)
        assert response.status_code == 422 and error_fields(response) == {"group_ids"}
        assert not GroupSet.objects.filter(code="coast").exists()

    def test_duplicate_code(self, world, youth):
        body = {"collective": "alpha", "code": "youth", "name": "Youth again"}
        response = client(world, "admin").post("/group-sets", body)
        assert response.status_code == 422
        assert GroupSet.objects.filter(code="youth").count() == 1

    @pytest.mark.parametrize(
        ("actor", "status"),
        [("anonymous", 401), ("member", 404), ("coordinator_a", 404), ("beta_admin", 404), ("admin", 200)],
    )
    def test_only_admins_update_sets(self, world, youth, actor, status):
        response = client(world, actor).patch(
            f"/group-sets/{youth.pk}", {"name": "Youth", "group_ids": [world.kibera.pk]}
        )
        assert response.status_code == status, response.content
        youth.refresh_from_db()
        assert (youth.name == "Youth") is (status == 200)
        assert set(youth.groups.values_list("pk", flat=True)) == (
            {world.kibera.pk} if status == 200 else {world.kibera.pk, world.mombasa.pk, world.region_a.pk}
        )

    def test_patch_without_group_ids_keeps_members(self, world, youth):
        response = client(world, "admin").patch(f"/group-sets/{youth.pk}", {"description": "Under 30"})
        assert response.status_code == 200
        assert youth.groups.count() == 3

    @pytest.mark.parametrize(
        ("actor", "status"),
        [("anonymous", 401), ("member", 404), ("coordinator_a", 404), ("beta_admin", 404), ("admin", 204)],
    )
    def test_only_admins_delete_sets(self, world, youth, actor, status):
        response = client(world, actor).delete(f"/group-sets/{youth.pk}")
        assert response.status_code == status, response.content
        assert GroupSet.objects.filter(pk=youth.pk).exists() is (status != 204)


# --- links ----------------------------------------------------------------------------------------


@pytest.fixture
def links(world):
    return {
        "kibera_mombasa": make_link(world.kibera, world.mombasa),
        "kibera_region_b": make_link(world.kibera, world.region_b, kind=Link.Kind.MENTORING),
        "regions": make_link(world.region_a, world.region_b, kind=Link.Kind.INFORMATION_FLOW),
    }


LINKS_SEEN = {
    "anonymous": {"regions"},
    "member": {"regions", "kibera_region_b"},
    "coordinator_a": {"regions", "kibera_region_b"},
    "coordinator_b": {"regions"},
    "beta_admin": {"regions"},
    "admin": {"regions", "kibera_region_b", "kibera_mombasa"},
}


class TestLinks:
    @pytest.mark.parametrize("actor", ACTORS)
    def test_a_link_is_visible_when_both_ends_are(self, world, links, actor):
        assert ids(client(world, actor).get("/links")) == {links[n].pk for n in LINKS_SEEN[actor]}
        for name, link in links.items():
            status = client(world, actor).get(f"/links/{link.pk}").status_code
            assert status == (200 if name in LINKS_SEEN[actor] else 404)

    def test_filter_by_group_and_kind(self, world, links):
        admin = client(world, "admin")
        assert ids(admin.get("/links", {"group": world.kibera.pk})) == {
            links["kibera_mombasa"].pk,
            links["kibera_region_b"].pk,
        }
        assert ids(admin.get("/links", {"kind": "mentoring"})) == {links["kibera_region_b"].pk}
        assert client(world, "coordinator_b").get("/links", {"group": world.kibera.pk}).status_code == 404

    @pytest.mark.parametrize(
        ("actor", "source", "target", "status"),
        [
            ("anonymous", "region_a", "kenya", 401),
            ("member", "kibera", "kenya", 404),
            ("coordinator_a", "kibera", "kenya", 201),
            ("coordinator_a", "region_b", "kenya", 404),
            ("coordinator_b", "kibera", "region_b", 422),  # kibera is invisible to B: unknown reference
            ("beta_admin", "region_a", "kenya", 404),
            ("admin", "mombasa", "kenya", 201),
        ],
    )
    def test_who_may_link(self, world, actor, source, target, status):
        before = Link.objects.count()
        body = {
            "source_id": getattr(world, source).pk,
            "target_id": getattr(world, target).pk,
            "kind": "partnership",
        }
        response = client(world, actor).post("/links", body)
        assert response.status_code == status, response.content
        assert Link.objects.count() == before + (status == 201)

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"kind": "friendship"}, "kind"),
            ({"kind": None}, "kind"),
            ({"target_id": None}, "target_id"),
            ({"target_id": 999999}, "target_id"),
            ({"target_id": "kenya"}, "target_id"),
            ({"weight": -1}, "weight"),
            ({"weight": "heavy"}, "weight"),
            ({"started_on": "2025-01-01", "ended_on": "2024-01-01"}, "ended_on"),
            ({"started_on": "2025-13-01"}, "started_on"),
            ({"self": True}, "target_id"),
            ({"target_id": "beta"}, "target_id"),
        ],
    )
    def test_create_bad_input(self, world, overrides, field):
        body = {
            "source_id": world.region_a.pk,
            "target_id": world.kenya.pk,
            "kind": "partnership",
        } | overrides
        if body.pop("self", False):
            body["target_id"] = body["source_id"]
        if body.get("target_id") == "beta":
            body["target_id"] = world.beta_root.pk
        body = {k: v for k, v in body.items() if v is not None}
        before = Link.objects.count()
        response = client(world, "admin").post("/links", body)
        assert response.status_code == 422, response.content
        assert field in error_fields(response), response.json()
        assert Link.objects.count() == before

    def test_duplicate_link_is_refused(self, world, links):
        body = {"source_id": world.region_a.pk, "target_id": world.region_b.pk, "kind": "information_flow"}
        response = client(world, "admin").post("/links", body)
        assert response.status_code == 422
        assert Link.objects.filter(source=world.region_a, target=world.region_b).count() == 1

    @pytest.mark.parametrize(
        ("actor", "link", "status"),
        [
            ("anonymous", "regions", 401),
            ("member", "regions", 404),
            ("coordinator_a", "regions", 200),
            ("coordinator_b", "kibera_region_b", 404),
            ("beta_admin", "regions", 404),
            ("admin", "kibera_mombasa", 200),
        ],
    )
    def test_who_may_update_and_delete(self, world, links, actor, link, status):
        target = links[link]
        response = client(world, actor).patch(f"/links/{target.pk}", {"weight": 3})
        assert response.status_code == status, response.content
        assert (Link.objects.get(pk=target.pk).weight == 3) is (status == 200)
        response = client(world, actor).delete(f"/links/{target.pk}")
        assert response.status_code == (204 if status == 200 else status)
        assert Link.objects.filter(pk=target.pk).exists() is (status != 200)

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"ended_on": "2000-01-01", "started_on": "2001-01-01"}, "ended_on"),
            ({"weight": -5}, "weight"),
            ({"kind": "rivalry"}, "kind"),
            ({"ended_on": "never"}, "ended_on"),
        ],
    )
    def test_update_bad_input(self, world, links, body, field):
        link = links["regions"]
        response = client(world, "admin").patch(f"/links/{link.pk}", body)
        assert response.status_code == 422 and field in error_fields(response), response.content
        fresh = Link.objects.get(pk=link.pk)
        assert fresh.weight == 1.0 and fresh.ended_on is None and fresh.kind == Link.Kind.INFORMATION_FLOW


def test_private_groups_of_region_b_never_leak_through_lists(world):
    hidden = make_group(world.alpha, parent=world.mombasa, name="Deep secret", visibility=Visibility.PRIVATE)
    coordinator_a = client(world, "coordinator_a")
    assert hidden.pk not in ids(coordinator_a.get("/groups", {"q": "secret"}))
    assert coordinator_a.get(f"/groups/{hidden.pk}").status_code == 404
