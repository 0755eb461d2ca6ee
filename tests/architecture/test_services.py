"""Tree operations and the rules of the architecture services, for each kind of actor."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from minga.architecture import services
from minga.architecture.models import Group, GroupStatus, Link
from minga.core.errors import DomainError, NotFound
from minga.core.models import AuditEntry
from tests.factories.architecture import kind, make_group


def codes(error: DomainError) -> set[str]:
    return {p.code for p in error.problems}


class TestGroupCreate:
    def test_coordinator_creates_group_in_own_subtree_with_path_and_audit(self, world):
        group = services.group_create(
            actor=world.coordinator_a,
            collective=world.alpha,
            code="ke-nai-new",
            name="New group",
            kind=kind(world.alpha, "group"),
            parent=world.region_a,
        )
        assert group.path == f"{world.region_a.path}{group.pk}/"
        assert group.depth == world.region_a.depth + 1
        assert group.layer == "action"
        assert AuditEntry.objects.for_object(group).filter(action="group.create").exists()

    @pytest.mark.parametrize(
        ("layer", "expected"), [(None, "network"), ("", "network"), ("action", "action")]
    )
    def test_without_a_layer_the_group_takes_its_kinds(self, world, layer, expected):
        group = services.group_create(
            actor=world.admin,
            collective=world.alpha,
            code="ke-new-district",
            name="New district",
            kind=kind(world.alpha, "district"),  # a network-layer kind
            parent=world.region_a,
            layer=layer,
        )
        assert group.layer == expected

    def test_coordinator_cannot_create_in_other_region(self, world):
        with pytest.raises(NotFound):
            services.group_create(
                actor=world.coordinator_a,
                collective=world.alpha,
                code="x",
                name="X",
                kind=kind(world.alpha, "group"),
                parent=world.region_b,
            )
        assert not Group.objects.filter(code="x").exists()

    @pytest.mark.parametrize("who", ["member", "lead", "beta_admin"])
    def test_others_cannot_create_under_a_region(self, world, who):
        with pytest.raises((NotFound, DomainError)):
            services.group_create(
                actor=getattr(world, who),
                collective=world.alpha,
                code="x",
                name="X",
                kind=kind(world.alpha, "group"),
                parent=world.region_a,
            )
        assert not Group.objects.filter(code="x").exists()

    def test_anonymous_cannot_create(self, world):
        with pytest.raises((NotFound, DomainError)):
            services.group_create(
                actor=AnonymousUser(),
                collective=world.alpha,
                code="x",
                name="X",
                kind=kind(world.alpha, "group"),
                parent=world.region_a,
            )

    def test_only_admin_creates_top_level(self, world):
        with pytest.raises(DomainError) as err:
            services.group_create(
                actor=world.coordinator_a,
                collective=world.alpha,
                code="ug",
                name="Uganda",
                kind=kind(world.alpha, "country"),
            )
        assert codes(err.value) == {"forbidden"}
        group = services.group_create(
            actor=world.admin,
            collective=world.alpha,
            code="ug",
            name="Uganda",
            kind=kind(world.alpha, "country"),
        )
        assert group.parent is None and group.path == f"/{group.pk}/"

    def test_reports_every_bad_field_and_saves_nothing(self, world):
        before = Group.objects.count()
        with pytest.raises(DomainError) as err:
            services.group_create(
                actor=world.admin,
                collective=world.alpha,
                code="ke",
                name="",
                kind=kind(world.alpha, "group"),
                parent=world.region_a,
                country_code="kenya",
                latitude=95.0,
                longitude=10.0,
                contact_email="not-an-email",
            )
        fields = {p.field for p in err.value.problems}
        assert {"name", "country_code", "latitude", "contact_email"} <= fields
        assert Group.objects.count() == before

    def test_duplicate_code_in_collective_is_rejected(self, world):
        with pytest.raises(DomainError) as err:
            services.group_create(
                actor=world.admin,
                collective=world.alpha,
                code="ke-nai",
                name="Dup",
                kind=kind(world.alpha, "region"),
                parent=world.kenya,
            )
        assert any(p.field in (None, "code") for p in err.value.problems)

    def test_same_code_in_another_collective_is_fine(self, world):
        services.group_create(
            actor=world.beta_admin,
            collective=world.beta,
            code="ke-nai",
            name="Lima",
            kind=kind(world.beta, "region"),
            parent=world.beta_root,
        )

    def test_half_a_point_is_rejected(self, world):
        with pytest.raises(DomainError) as err:
            services.group_create(
                actor=world.admin,
                collective=world.alpha,
                code="p",
                name="P",
                kind=kind(world.alpha, "group"),
                parent=world.region_a,
                latitude=1.0,
            )
        assert "incomplete_point" in codes(err.value)

    def test_kind_of_another_collective_is_rejected(self, world):
        with pytest.raises(DomainError) as err:
            services.group_create(
                actor=world.admin,
                collective=world.alpha,
                code="k",
                name="K",
                kind=kind(world.beta, "group"),
                parent=world.region_a,
            )
        assert "invalid_kind" in codes(err.value)

    def test_parent_of_another_collective_is_rejected(self, world):
        with pytest.raises(DomainError) as err:
            services.group_create(
                actor=world.admin,
                collective=world.alpha,
                code="k",
                name="K",
                kind=kind(world.alpha, "group"),
                parent=world.beta_root,
            )
        assert "invalid_parent" in codes(err.value)


class TestGroupMove:
    def test_move_rewrites_the_whole_subtree(self, world):
        deep = make_group(world.alpha, parent=world.kibera, name="Kibera cell")
        services.group_move(actor=world.admin, group=world.region_a, new_parent=world.backbone)
        world.region_a.refresh_from_db()
        world.kibera.refresh_from_db()
        deep.refresh_from_db()
        assert world.region_a.path == f"{world.backbone.path}{world.region_a.pk}/"
        assert world.kibera.path == f"{world.region_a.path}{world.kibera.pk}/"
        assert deep.path == f"{world.kibera.path}{deep.pk}/"
        assert (world.region_a.depth, world.kibera.depth, deep.depth) == (1, 2, 3)
        assert AuditEntry.objects.for_object(world.region_a).filter(action="group.move").exists()

    def test_move_into_own_subtree_is_a_cycle(self, world):
        with pytest.raises(DomainError) as err:
            services.group_move(actor=world.admin, group=world.kenya, new_parent=world.kibera)
        assert codes(err.value) == {"cycle"}
        world.kenya.refresh_from_db()
        assert world.kenya.parent is None

    def test_move_under_itself_is_a_cycle(self, world):
        with pytest.raises(DomainError):
            services.group_move(actor=world.admin, group=world.kenya, new_parent=world.kenya)

    def test_coordinator_cannot_move_group_into_other_region(self, world):
        with pytest.raises(NotFound):
            services.group_move(actor=world.coordinator_a, group=world.kibera, new_parent=world.region_b)
        world.kibera.refresh_from_db()
        assert world.kibera.parent_id == world.region_a.pk

    def test_coordinator_cannot_move_other_regions_group(self, world):
        with pytest.raises(NotFound):
            services.group_move(actor=world.coordinator_a, group=world.mombasa, new_parent=world.region_a)

    def test_scope_follows_the_move(self, world):
        services.group_move(actor=world.admin, group=world.mombasa, new_parent=world.region_a)
        visible = set(Group.objects.visible_to(world.coordinator_a).values_list("name", flat=True))
        assert "Mombasa Women" in visible
        assert "Mombasa Women" not in set(
            Group.objects.visible_to(world.coordinator_b).values_list("name", flat=True)
        )

    def test_move_to_top_level(self, world):
        services.group_move(actor=world.admin, group=world.region_b, new_parent=None)
        world.mombasa.refresh_from_db()
        assert world.mombasa.path == f"/{world.region_b.pk}/{world.mombasa.pk}/"


class TestGroupUpdateAndClose:
    def test_lead_updates_own_group_and_audit_keeps_old_and_new(self, world):
        services.group_update(actor=world.lead, group=world.kibera, description="We meet on Tuesdays")
        entry = AuditEntry.objects.for_object(world.kibera).get(action="group.update")
        assert entry.changes["description"] == ["", "We meet on Tuesdays"]
        assert entry.actor == world.lead

    def test_member_cannot_update(self, world):
        with pytest.raises(NotFound):
            services.group_update(actor=world.member, group=world.kibera, name="Hacked")
        world.kibera.refresh_from_db()
        assert world.kibera.name == "Kibera Youth"

    def test_close_sets_status_and_date(self, world):
        group = services.group_close(actor=world.coordinator_a, group=world.kibera)
        assert group.status == GroupStatus.CLOSED and group.closed_on is not None
        assert group.status_changed_on is not None

    def test_closing_date_without_closed_status_is_rejected(self, world):
        import datetime as dt

        with pytest.raises(DomainError) as err:
            services.group_update(actor=world.admin, group=world.kibera, closed_on=dt.date(2024, 1, 1))
        assert "closed_on_without_close" in codes(err.value)

    def test_unknown_field_is_rejected(self, world):
        with pytest.raises(DomainError) as err:
            services.group_update(actor=world.admin, group=world.kibera, path="/1/")
        assert codes(err.value) == {"unknown_field"}


class TestLinks:
    def test_coordinator_links_own_group_to_a_visible_group(self, world):
        link = services.link_create(
            actor=world.coordinator_a, source=world.kibera, target=world.kenya, kind="mentoring"
        )
        assert link.collective == world.alpha

    def test_cannot_link_to_a_group_one_cannot_see(self, world):
        with pytest.raises(NotFound):
            services.link_create(
                actor=world.coordinator_a, source=world.kibera, target=world.mombasa, kind="mentoring"
            )
        assert Link.objects.count() == 0

    def test_self_link_and_reversed_dates_are_rejected(self, world):
        import datetime as dt

        with pytest.raises(DomainError) as err:
            services.link_create(
                actor=world.admin,
                source=world.kibera,
                target=world.kibera,
                kind="partnership",
                started_on=dt.date(2024, 5, 1),
                ended_on=dt.date(2024, 1, 1),
            )
        assert codes(err.value) == {"self_link", "dates_out_of_order"}

    def test_cross_collective_link_is_rejected(self, world):
        with pytest.raises(DomainError):
            services.link_create(
                actor=world.admin, source=world.kenya, target=world.beta_root, kind="partnership"
            )


class TestGroupSets:
    def test_admin_creates_set_with_members(self, world):
        group_set = services.group_set_create(
            actor=world.admin,
            collective=world.alpha,
            code="climate",
            name="Climate",
            groups=[world.kibera, world.mombasa],
        )
        assert set(group_set.groups.all()) == {world.kibera, world.mombasa}

    def test_coordinator_cannot_create_sets(self, world):
        with pytest.raises(NotFound):
            services.group_set_create(actor=world.coordinator_a, collective=world.alpha, code="c", name="C")

    def test_set_cannot_hold_another_collectives_group(self, world):
        with pytest.raises(DomainError):
            services.group_set_create(
                actor=world.admin, collective=world.alpha, code="c", name="C", groups=[world.beta_root]
            )
        from minga.architecture.models import GroupSet

        assert not GroupSet.objects.filter(code="c").exists()


class TestGroupKinds:
    def test_admin_renames_and_moves_a_kind_audited_with_old_and_new(self, world):
        region = kind(world.alpha, "region")
        updated = services.group_kind_update(
            actor=world.admin, kind=region, name="Province", layer="support", order=9
        )
        assert (updated.name, updated.layer, updated.order, updated.code) == (
            "Province",
            "support",
            9,
            "region",
        )
        entry = AuditEntry.objects.for_object(region).get(action="group_kind.update")
        assert entry.changes["name"] == ["Regional network", "Province"]
        assert entry.collective_id == world.alpha.pk

    def test_existing_groups_keep_their_layer(self, world):
        services.group_kind_update(actor=world.admin, kind=kind(world.alpha, "region"), layer="support")
        world.region_a.refresh_from_db()
        assert world.region_a.layer == "network"

    def test_no_change_writes_no_audit_entry(self, world):
        region = kind(world.alpha, "region")
        services.group_kind_update(actor=world.admin, kind=region, name=region.name)
        assert not AuditEntry.objects.for_object(region).exists()

    @pytest.mark.parametrize("who", ["coordinator_a", "lead", "member", "beta_admin"])
    def test_only_the_collectives_admins_edit_kinds(self, world, who):
        with pytest.raises(NotFound):
            services.group_kind_update(actor=getattr(world, who), kind=kind(world.alpha, "region"), name="X")
        assert kind(world.alpha, "region").name == "Regional network"

    def test_code_cannot_change_and_bad_values_are_reported(self, world):
        region = kind(world.alpha, "region")
        with pytest.raises(DomainError) as error:
            services.group_kind_update(actor=world.admin, kind=region, code="province")
        assert codes(error.value) == {"unknown_field"}
        with pytest.raises(DomainError) as error:
            services.group_kind_update(actor=world.admin, kind=region, name="", layer="sky")
        assert {p.field for p in error.value.problems} == {"name", "layer"}
        assert kind(world.alpha, "region").name == "Regional network"

    def test_admin_adds_a_kind_and_duplicate_codes_are_refused(self, world):
        added = services.group_kind_create(
            actor=world.admin, collective=world.alpha, code="ward", name="Ward", layer="network"
        )
        assert AuditEntry.objects.for_object(added).filter(action="group_kind.create").exists()
        with pytest.raises(DomainError) as error:
            services.group_kind_create(actor=world.admin, collective=world.alpha, code="ward", name="Ward 2")
        assert [p.field for p in error.value.problems] == ["code"]


class TestCollectiveUpdate:
    def test_admin_changes_the_profile_audited(self, world):
        updated = services.collective_update(
            actor=world.admin, collective=world.alpha, name="Alpha", languages=["en", "sw", "pt-BR"]
        )
        assert updated.name == "Alpha" and updated.languages == ["en", "sw", "pt-BR"]
        entry = AuditEntry.objects.get(action="collective.update")
        assert entry.changes["name"] == ["Alpha Collective", "Alpha"]

    def test_languages_are_stored_in_canonical_case_once(self, world):
        updated = services.collective_update(
            actor=world.admin, collective=world.alpha, languages=["EN", "pt-br", "en", "zh-hant-tw"]
        )
        assert updated.languages == ["en", "pt-BR", "zh-Hant-TW"]

    @pytest.mark.parametrize("languages", [["english"], ["e"], ["en", "x y"], "en", [1]])
    def test_bad_language_codes_are_refused_on_their_field(self, world, languages):
        with pytest.raises(DomainError) as error:
            services.collective_update(actor=world.admin, collective=world.alpha, languages=languages)
        assert [p.field for p in error.value.problems] == ["languages"]

    @pytest.mark.parametrize("who", ["coordinator_a", "member", "beta_admin"])
    def test_only_admins_change_it(self, world, who):
        with pytest.raises(NotFound):
            services.collective_update(actor=getattr(world, who), collective=world.alpha, name="Hacked")
