"""The architecture pages, for each kind of viewer: visitor, member, coordinator of another region,
admin of another collective, and the collective's admin."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from minga.architecture.models import Group, GroupSet, Link, NetworkSnapshot
from minga.architecture.services import group_update
from minga.core.choices import Role
from minga.core.models import AuditEntry
from tests.factories.architecture import kind, make_group, make_link
from tests.factories.people import make_member

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"architecture:{name}", args=args)


def detail(world, group):
    return url("group_detail", "alpha", group.pk)


# --- collective home ------------------------------------------------------------------------------


def test_home_shows_layers_people_and_network_to_the_admin(client, world):
    NetworkSnapshot.objects.create(
        collective=world.alpha,
        computed_at=dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC),
        metrics={
            "groups": 6,
            "links": 3,
            "density": 0.2,
            "components": {"count": 2},
            "communities": {"count": 3},
            "bridging": {"top_betweenness": [{"id": world.mombasa.pk, "name": "Mombasa Women", "score": 1}]},
        },
    )
    client.force_login(world.admin)
    html = client.get(url("collective_home", "alpha")).content.decode()
    assert "Alpha Collective" in html
    assert "Supporting layer" in html and "Network layer" in html and "Action layer" in html
    assert "people you can see" in html
    assert "Computed 1 Mar 2026" in html
    assert "Mombasa Women" in html  # a bridging group the admin may see


def test_home_hides_private_bridging_groups_and_people_from_visitors(client, world):
    NetworkSnapshot.objects.create(
        collective=world.alpha,
        computed_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
        metrics={"bridging": {"top_betweenness": [{"id": world.mombasa.pk, "name": "Mombasa Women"}]}},
    )
    html = client.get(url("collective_home", "alpha")).content.decode()
    assert "Mombasa Women" not in html
    assert "people you can see" not in html
    assert 'href="/c/alpha/groups/"' in html  # nav
    assert "People</a>" not in html


def test_home_draws_the_growth_chart_when_founding_dates_span_years(client, world):
    Group.objects.filter(pk=world.kenya.pk).update(founded_on=dt.date(2019, 5, 1))
    Group.objects.filter(pk=world.region_a.pk).update(founded_on=dt.date(2021, 5, 1))
    html = client.get(url("collective_home", "alpha")).content.decode()
    assert "<svg" in html
    assert "Figures by year" in html


def test_private_collective_home_is_404_for_visitors_and_other_collectives(client, world):
    world.alpha.visibility = "private"
    world.alpha.save()
    assert client.get(url("collective_home", "alpha")).status_code == 404
    client.force_login(world.beta_admin)
    assert client.get(url("collective_home", "alpha")).status_code == 404
    client.force_login(world.member)
    assert client.get(url("collective_home", "alpha")).status_code == 200


# --- directory ------------------------------------------------------------------------------------


def test_directory_lists_only_visible_groups(client, world):
    html = client.get(url("group_list", "alpha")).content.decode()
    assert "Kenya" in html and "Nairobi" in html
    assert "Kibera Youth" not in html and "Mombasa Women" not in html
    client.force_login(world.coordinator_a)
    html = client.get(url("group_list", "alpha")).content.decode()
    assert "Kibera Youth" in html and "Mombasa Women" not in html


def test_directory_filters_and_search(client, world):
    client.force_login(world.admin)
    html = client.get(url("group_list", "alpha"), {"q": "momb"}).content.decode()
    assert "Mombasa Women" in html and "Kibera Youth" not in html
    html = client.get(url("group_list", "alpha"), {"layer": "network"}).content.decode()
    assert '<td><span class="dot layer-network"' in html
    assert "Mombasa Women</a></td>" not in html
    html = client.get(url("group_list", "alpha"), {"kind": kind(world.alpha, "region").pk}).content.decode()
    assert "Nairobi</a></td>" in html and "Kenya</a></td>" not in html
    html = client.get(url("group_list", "alpha"), {"parent": world.kenya.pk}).content.decode()
    assert "Sub-groups of" in html and "Coast</a></td>" in html and "Kibera Youth</a></td>" not in html


def test_directory_filters_by_group_set_and_status(client, world):
    group_set = GroupSet.objects.create(collective=world.alpha, code="youth", name="Youth network")
    group_set.groups.add(world.kibera)
    group_update(actor=world.admin, group=world.mombasa, status="dormant")
    client.force_login(world.admin)
    html = client.get(url("group_list", "alpha"), {"group_set": group_set.pk}).content.decode()
    assert "Kibera Youth</a></td>" in html and "Mombasa Women</a></td>" not in html
    html = client.get(url("group_list", "alpha"), {"status": "dormant"}).content.decode()
    assert "Mombasa Women</a></td>" in html and "Kibera Youth</a></td>" not in html


def test_directory_htmx_request_returns_only_the_results(client, world):
    response = client.get(
        url("group_list", "alpha"), {"q": "ken"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"
    )
    html = response.content.decode()
    assert "Kenya" in html
    assert "<html" not in html and "Tree" not in html
    assert "HX-Request" in response["Vary"]


def test_directory_ignores_bad_filter_values(client, world):
    response = client.get(url("group_list", "alpha"), {"kind": "x", "layer": "nope", "after": "abc"})
    assert response.status_code == 200


def test_directory_pages_with_a_keyset(client, world):
    parent = make_group(world.alpha, name="Zone")
    for i in range(120):
        make_group(world.alpha, parent=parent, name=f"Town {i:03d}")
    client.force_login(world.admin)
    first = client.get(url("group_list", "alpha"), {"q": "Town"}).context["page"]
    assert [g.name for g in first.groups][:2] == ["Town 000", "Town 001"]
    assert len(first.groups) == 50 and first.count == 120 and first.prev_before is None
    second = client.get(url("group_list", "alpha"), {"q": "Town", "after": first.next_after}).context["page"]
    assert second.groups[0].name == "Town 050"
    back = client.get(url("group_list", "alpha"), {"q": "Town", "before": second.prev_before}).context["page"]
    assert [g.pk for g in back.groups] == [g.pk for g in first.groups]
    third = client.get(url("group_list", "alpha"), {"q": "Town", "after": second.next_after}).context["page"]
    assert len(third.groups) == 20 and third.next_after is None


def _many_groups(world, n):
    for i in range(n):
        g = make_group(world.alpha, parent=world.region_b, name=f"Extra {i}", place_name="Coast town")
        make_link(g, world.mombasa)
        make_member(g, Role.MEMBER, with_login=False)


@pytest.mark.parametrize("n", [3, 30])
def test_directory_query_count_does_not_grow_with_rows(client, world, django_assert_max_num_queries, n):
    _many_groups(world, n)
    client.force_login(world.coordinator_b)
    # session, user, scope, collective, switcher, kinds, sets, page, capped count, tree roots
    with django_assert_max_num_queries(10):
        response = client.get(url("group_list", "alpha"))
    assert response.status_code == 200
    with django_assert_max_num_queries(6):
        client.get(url("group_children", "alpha", world.region_b.pk))


@pytest.mark.parametrize("n", [3, 30])
def test_group_page_query_count_does_not_grow_with_rows(client, world, django_assert_max_num_queries, n):
    _many_groups(world, n)
    client.force_login(world.admin)
    with django_assert_max_num_queries(14):
        response = client.get(detail(world, world.region_b))
    assert response.status_code == 200
    with django_assert_max_num_queries(14):
        client.get(detail(world, world.mombasa))


def test_tree_children_fragment(client, world):
    client.force_login(world.coordinator_a)
    html = client.get(url("group_children", "alpha", world.region_a.pk)).content.decode()
    assert "Kibera Youth" in html and "<html" not in html
    html = client.get(url("group_children", "alpha", world.kenya.pk)).content.decode()
    assert "Nairobi" in html and "Coast" in html
    assert client.get(url("group_children", "alpha", world.region_b.pk)).status_code == 200
    assert client.get(url("group_children", "alpha", world.mombasa.pk)).status_code == 404


def test_tree_roots_include_a_members_own_group_under_a_private_parent(client, world):
    Group.objects.filter(pk__in=[world.kenya.pk, world.region_a.pk]).update(visibility="private")
    client.force_login(world.member)
    roots = client.get(url("group_list", "alpha")).context["roots"]
    assert world.kibera in roots


# --- group page -----------------------------------------------------------------------------------


def test_group_page_for_admin_shows_everything(client, world):
    make_link(world.kibera, world.mombasa, note="exchange visits")
    group_update(actor=world.admin, group=world.kibera, description="Youth of Kibera")
    client.force_login(world.admin)
    html = client.get(detail(world, world.kibera)).content.decode()
    assert 'aria-label="Breadcrumb"' in html and ">Kenya</a>" in html and ">Nairobi</a>" in html
    assert "Mombasa Women" in html  # the link
    assert "Members" in html and "Group lead" in html
    assert "History" in html and "group.update" in html
    assert ">Edit</a>" in html and ">Move</a>" in html


def test_group_page_for_member_hides_edit_history_and_other_regions_links(client, world):
    make_link(world.kibera, world.mombasa)
    client.force_login(world.member)
    html = client.get(detail(world, world.kibera)).content.decode()
    assert "Kibera Youth" in html
    assert "Mombasa Women" not in html  # private group of another region: the link is hidden too
    assert ">Edit</a>" not in html and "History" not in html
    assert 'id="people-h"' not in html  # members may not list the people of their group


def test_group_page_for_lead_shows_members_and_edit(client, world):
    client.force_login(world.lead)
    html = client.get(detail(world, world.kibera)).content.decode()
    assert 'id="people-h"' in html and ">Edit</a>" in html
    assert ">Move</a>" in html  # the page offers it; the move itself needs a destination they edit


def test_group_page_subtree_summary(client, world):
    client.force_login(world.admin)
    profile = client.get(detail(world, world.kenya)).context["profile"]
    assert profile.subtree_total == 4
    assert profile.subtree_by_layer == {"network": 2, "action": 2}


@pytest.mark.parametrize("viewer", ["anonymous", "member", "coordinator_a", "beta_admin"])
def test_mombasa_is_404_for_those_outside_its_region(client, world, viewer):
    if viewer != "anonymous":
        client.force_login(getattr(world, viewer))
    m = world.mombasa
    assert client.get(detail(world, m)).status_code == 404
    for name in ["group_edit", "group_move", "group_close", "link_create"]:
        assert client.get(url(name, "alpha", m.pk)).status_code == 404, name
        assert client.post(url(name, "alpha", m.pk), {"name": "Hacked"}).status_code == 404, name
    assert client.get(url("group_create", "alpha"), {"parent": m.pk}).status_code == 404
    assert client.post(url("group_create", "alpha") + f"?parent={m.pk}", {"name": "x"}).status_code == 404
    m.refresh_from_db()
    assert m.name == "Mombasa Women"


def test_group_of_another_collective_is_404_under_this_slug(client, world):
    client.force_login(world.superuser)
    assert client.get(url("group_detail", "alpha", world.beta_root.pk)).status_code == 404
    assert client.get(url("group_detail", "beta", world.beta_root.pk)).status_code == 200


def test_beta_admin_sees_alpha_public_groups_but_cannot_edit(client, world):
    client.force_login(world.beta_admin)
    assert client.get(detail(world, world.kenya)).status_code == 200
    assert client.get(url("group_edit", "alpha", world.kenya.pk)).status_code == 404
    assert client.get(url("group_create", "alpha")).status_code == 404


# --- create / edit / move / close -----------------------------------------------------------------


def _group_data(world, **overrides):
    data = {
        "name": "Likoni Savings",
        "code": "ke-cst-lik",
        "kind": kind(world.alpha, "group").pk,
        "layer": "",
        "status": "active",
        "visibility": "public",
        "country_code": "ke",
    }
    data.update(overrides)
    return data


def test_coordinator_creates_a_group_in_their_region(client, world):
    client.force_login(world.coordinator_b)
    page = client.get(url("group_create", "alpha"), {"parent": world.region_b.pk})
    assert page.status_code == 200 and "Coast" in page.content.decode()
    response = client.post(url("group_create", "alpha") + f"?parent={world.region_b.pk}", _group_data(world))
    assert response.status_code == 302
    group = Group.objects.get(code="ke-cst-lik")
    assert group.parent == world.region_b and group.layer == "action" and group.country_code == "KE"
    assert response["Location"] == detail(world, group)
    assert AuditEntry.objects.for_object(group).filter(action="group.create").exists()


def test_create_form_preselects_no_layer_and_the_group_takes_its_kinds(client, world):
    client.force_login(world.coordinator_b)
    page = client.get(url("group_create", "alpha"), {"parent": world.region_b.pk})
    form = page.context["form"]
    assert form["layer"].value() in ("", None)
    html = page.content.decode()
    assert '<option value="" selected>Same as the kind</option>' in html
    assert '<option value="action" selected>' not in html
    data = _group_data(world, code="ke-cst-dis", kind=kind(world.alpha, "district").pk, layer="")
    response = client.post(url("group_create", "alpha") + f"?parent={world.region_b.pk}", data)
    assert response.status_code == 302
    assert Group.objects.get(code="ke-cst-dis").layer == "network"  # the district kind's layer


def test_edit_form_shows_the_groups_own_layer(client, world):
    client.force_login(world.admin)
    page = client.get(url("group_edit", "alpha", world.region_a.pk))
    assert page.context["form"]["layer"].value() == "network"


def test_top_level_create_is_for_admins(client, world):
    client.force_login(world.coordinator_a)
    assert client.get(url("group_create", "alpha")).status_code == 404
    client.force_login(world.admin)
    response = client.post(
        url("group_create", "alpha"), _group_data(world, code="tz", kind=kind(world.alpha, "country").pk)
    )
    assert response.status_code == 302
    assert Group.objects.get(code="tz").parent is None


def test_create_form_shows_each_field_error_and_saves_nothing(client, world):
    client.force_login(world.admin)
    before = Group.objects.count()
    response = client.post(
        url("group_create", "alpha") + f"?parent={world.region_a.pk}",
        _group_data(
            world,
            name="",
            code="not a slug!",
            kind="",
            contact_email="nope",
            country_code="Kenya",
            latitude="abc",
            founded_on="2020-13-45",
        ),
    )
    assert response.status_code == 422
    form = response.context["form"]
    for name in ["name", "code", "kind", "contact_email", "country_code", "latitude", "founded_on"]:
        assert name in form.errors, name
        assert f'id="id_{name}_error"' in response.content.decode(), name
    assert Group.objects.count() == before


def test_service_problems_appear_next_to_their_fields(client, world):
    client.force_login(world.admin)
    before = Group.objects.count()
    response = client.post(
        url("group_create", "alpha") + f"?parent={world.region_a.pk}",
        _group_data(world, closed_on="2024-01-01", latitude="10", longitude="", status="active"),
    )
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert "A closing date needs the status 'closed'." in errors["closed_on"]
    assert "Give both latitude and longitude, or neither." in errors["latitude"]
    assert Group.objects.count() == before


def test_duplicate_code_is_refused_without_saving(client, world):
    client.force_login(world.admin)
    before = Group.objects.count()
    response = client.post(
        url("group_create", "alpha") + f"?parent={world.region_a.pk}", _group_data(world, code="ke")
    )
    assert response.status_code == 422
    assert "already exists" in response.context["form"].errors["code"][0]
    assert Group.objects.count() == before


def test_edit_group(client, world):
    client.force_login(world.coordinator_a)
    page = client.get(url("group_edit", "alpha", world.kibera.pk))
    assert page.status_code == 200 and 'value="Kibera Youth"' in page.content.decode()
    data = _group_data(world, name="Kibera Youth Network", code=world.kibera.code, visibility="private")
    response = client.post(url("group_edit", "alpha", world.kibera.pk), data)
    assert response.status_code == 302
    world.kibera.refresh_from_db()
    assert world.kibera.name == "Kibera Youth Network"


def test_edit_with_bad_dates_saves_nothing(client, world):
    client.force_login(world.admin)
    data = _group_data(
        world,
        name="Renamed",
        code=world.kibera.code,
        status="closed",
        founded_on="2020-01-01",
        closed_on="2019-01-01",
    )
    response = client.post(url("group_edit", "alpha", world.kibera.pk), data)
    assert response.status_code == 422
    assert "The group cannot close before it was founded." in response.context["form"].errors["closed_on"]
    world.kibera.refresh_from_db()
    assert world.kibera.name == "Kibera Youth" and world.kibera.status == "active"


def test_move_group_with_the_search(client, world):
    client.force_login(world.admin)
    page = client.get(url("group_move", "alpha", world.kibera.pk), {"q": "coast"})
    assert page.status_code == 200 and f'value="{world.region_b.pk}"' in page.content.decode()
    fragment = client.get(
        url("group_search", "alpha"), {"q": "a", "mode": "move", "group": world.kenya.pk}
    ).content.decode()
    assert "Backbone team" in fragment and "Nairobi" not in fragment  # not into its own subtree
    response = client.post(
        url("group_move", "alpha", world.kibera.pk), {"q": "coast", "new_parent": world.region_b.pk}
    )
    assert response.status_code == 302
    world.kibera.refresh_from_db()
    assert world.kibera.parent_id == world.region_b.pk and world.kibera.path.startswith(world.region_b.path)


def test_move_needs_a_choice_and_refuses_cycles(client, world):
    client.force_login(world.admin)
    response = client.post(url("group_move", "alpha", world.kenya.pk), {"q": "x"})
    assert response.status_code == 422
    assert "choose one of the results" in response.content.decode()
    response = client.post(url("group_move", "alpha", world.kenya.pk), {"new_parent": world.kibera.pk})
    assert response.status_code == 422
    assert "cannot move under itself" in response.content.decode()
    world.kenya.refresh_from_db()
    assert world.kenya.parent is None


def test_coordinator_cannot_move_into_another_region(client, world):
    client.force_login(world.coordinator_a)
    response = client.post(url("group_move", "alpha", world.kibera.pk), {"new_parent": world.region_b.pk})
    assert response.status_code == 422
    world.kibera.refresh_from_db()
    assert world.kibera.parent_id == world.region_a.pk


def test_close_group(client, world):
    client.force_login(world.coordinator_a)
    response = client.post(url("group_close", "alpha", world.kibera.pk), {"closed_on": "2025-06-30"})
    assert response.status_code == 302
    world.kibera.refresh_from_db()
    assert world.kibera.status == "closed" and world.kibera.closed_on == dt.date(2025, 6, 30)


def test_close_needs_a_date(client, world):
    client.force_login(world.coordinator_a)
    response = client.post(url("group_close", "alpha", world.kibera.pk), {"closed_on": ""})
    assert response.status_code == 422 and 'id="id_closed_on_error"' in response.content.decode()
    world.kibera.refresh_from_db()
    assert world.kibera.status == "active"


# --- links ----------------------------------------------------------------------------------------


def test_link_create_and_delete(client, world):
    client.force_login(world.coordinator_a)
    fragment = client.get(url("group_search", "alpha"), {"q": "co", "mode": "link", "group": world.kibera.pk})
    assert "Coast" in fragment.content.decode()
    response = client.post(
        url("link_create", "alpha", world.kibera.pk),
        {"other": world.region_b.pk, "direction": "out", "kind": "mentoring", "weight": "2"},
    )
    assert response.status_code == 302, response.context["form"].errors
    link = Link.objects.get(source=world.kibera, target=world.region_b)
    assert link.kind == "mentoring"
    response = client.post(url("link_delete", "alpha", link.pk), {"next": detail(world, world.kibera)})
    assert response.status_code == 302 and response["Location"] == detail(world, world.kibera)
    assert not Link.objects.filter(pk=link.pk).exists()


def test_link_form_errors_save_nothing(client, world):
    client.force_login(world.coordinator_a)
    response = client.post(
        url("link_create", "alpha", world.kibera.pk),
        {
            "direction": "out",
            "kind": "bogus",
            "weight": "-1",
            "started_on": "2024-05-01",
            "ended_on": "2024-01-01",
        },
    )
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert "q" in errors and "kind" in errors
    response = client.post(
        url("link_create", "alpha", world.kibera.pk),
        {"other": world.kibera.pk, "direction": "out", "kind": "partnership", "weight": "1"},
    )
    assert "A group cannot be linked to itself." in response.context["form"].errors["q"]
    response = client.post(
        url("link_create", "alpha", world.kibera.pk),
        {
            "other": world.region_b.pk,
            "direction": "in",
            "kind": "partnership",
            "weight": "1",
            "started_on": "2024-05-01",
            "ended_on": "2024-01-01",
        },
    )
    assert "The link cannot end before it starts." in response.context["form"].errors["ended_on"]
    assert not Link.objects.exists()


def test_link_to_an_invisible_group_is_refused(client, world):
    client.force_login(world.coordinator_a)
    response = client.post(
        url("link_create", "alpha", world.kibera.pk),
        {"other": world.mombasa.pk, "direction": "out", "kind": "partnership", "weight": "1"},
    )
    assert response.status_code == 422
    assert not Link.objects.exists()


def test_link_delete_is_404_for_those_who_cannot_edit(client, world):
    link = make_link(world.region_b, world.mombasa)
    for user in [world.member, world.coordinator_a, world.beta_admin]:
        client.force_login(user)
        assert client.post(url("link_delete", "alpha", link.pk)).status_code == 404
    client.logout()
    assert client.post(url("link_delete", "alpha", link.pk)).status_code == 404
    assert Link.objects.filter(pk=link.pk).exists()


# --- group sets -----------------------------------------------------------------------------------


def test_group_sets_list_detail_create_edit(client, world):
    client.force_login(world.admin)
    response = client.post(
        url("group_set_create", "alpha"),
        {
            "name": "Coastal",
            "code": "coastal",
            "kind": "thematic",
            "visibility": "public",
            "group_codes": "ke-cst, ke-cst-mom",
        },
    )
    assert response.status_code == 302
    group_set = GroupSet.objects.get(code="coastal")
    assert set(group_set.groups.all()) == {world.region_b, world.mombasa}
    assert "Coastal" in client.get(url("group_set_list", "alpha")).content.decode()
    assert "Mombasa Women" in client.get(url("group_set_detail", "alpha", group_set.pk)).content.decode()
    response = client.post(
        url("group_set_edit", "alpha", group_set.pk),
        {
            "name": "Coast",
            "code": "coastal",
            "kind": "cohort",
            "visibility": "public",
            "group_codes": "ke-cst",
        },
    )
    assert response.status_code == 302
    assert list(group_set.groups.all()) == [world.region_b]


def test_group_set_form_errors(client, world):
    client.force_login(world.admin)
    response = client.post(
        url("group_set_create", "alpha"),
        {"name": "", "code": "bad code", "kind": "x", "visibility": "public", "group_codes": "ke, nope"},
    )
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert {"name", "code", "kind"} <= set(errors)
    response = client.post(
        url("group_set_create", "alpha"),
        {"name": "Set", "code": "set", "kind": "thematic", "visibility": "public", "group_codes": "ke, nope"},
    )
    assert "nope" in response.context["form"].errors["group_codes"][0]
    assert not GroupSet.objects.exists()


def test_group_sets_are_edited_by_admins_only(client, world):
    group_set = GroupSet.objects.create(collective=world.alpha, code="s", name="S")
    for user in [world.coordinator_a, world.member, world.beta_admin]:
        client.force_login(user)
        assert client.get(url("group_set_create", "alpha")).status_code == 404
        assert client.get(url("group_set_edit", "alpha", group_set.pk)).status_code == 404
    client.force_login(world.beta_admin)
    assert client.get(url("group_set_detail", "beta", group_set.pk)).status_code == 404


def test_private_group_set_hidden_from_visitors(client, world):
    group_set = GroupSet.objects.create(
        collective=world.alpha, code="s", name="Secret set", visibility="private"
    )
    assert "Secret set" not in client.get(url("group_set_list", "alpha")).content.decode()
    assert client.get(url("group_set_detail", "alpha", group_set.pk)).status_code == 404


def test_group_set_delete_asks_first_then_deletes(client, world):
    group_set = GroupSet.objects.create(collective=world.alpha, code="s", name="Coastal")
    group_set.groups.set([world.region_b, world.mombasa])
    client.force_login(world.admin)
    detail_html = client.get(url("group_set_detail", "alpha", group_set.pk)).content.decode()
    assert url("group_set_delete", "alpha", group_set.pk) in detail_html
    page = client.get(url("group_set_delete", "alpha", group_set.pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Delete the set Coastal?" in html and "The 2 groups in it keep their place" in html
    assert GroupSet.objects.filter(pk=group_set.pk).exists()  # asking deletes nothing
    response = client.post(url("group_set_delete", "alpha", group_set.pk))
    assert response.status_code == 302 and response["Location"] == url("group_set_list", "alpha")
    assert not GroupSet.objects.filter(pk=group_set.pk).exists()
    assert Group.objects.filter(pk__in=[world.region_b.pk, world.mombasa.pk]).count() == 2
    assert AuditEntry.objects.filter(action="group_set.delete", target_id=str(group_set.pk)).exists()
    assert "was deleted" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize("who", ["anonymous", "member", "coordinator_a", "beta_admin"])
def test_group_set_delete_is_404_for_non_admins(client, world, who):
    group_set = GroupSet.objects.create(collective=world.alpha, code="s", name="Coastal")
    if who != "anonymous":
        client.force_login(getattr(world, who))
        detail_html = client.get(url("group_set_detail", "alpha", group_set.pk)).content.decode()
        assert url("group_set_delete", "alpha", group_set.pk) not in detail_html
    assert client.get(url("group_set_delete", "alpha", group_set.pk)).status_code == 404
    assert client.post(url("group_set_delete", "alpha", group_set.pk)).status_code == 404
    assert GroupSet.objects.filter(pk=group_set.pk).exists()


def test_group_set_delete_under_another_collectives_slug_is_404(client, world):
    group_set = GroupSet.objects.create(collective=world.alpha, code="s", name="Coastal")
    client.force_login(world.superuser)
    assert client.post(url("group_set_delete", "beta", group_set.pk)).status_code == 404
    assert GroupSet.objects.filter(pk=group_set.pk).exists()


# --- editing a link -------------------------------------------------------------------------------


def test_lead_edits_a_link_from_the_group_page(client, world):
    link = make_link(world.kibera, world.region_b, note="exchange visits")
    client.force_login(world.lead)
    html = client.get(detail(world, world.kibera)).content.decode()
    edit_url = url("link_edit", "alpha", link.pk)
    assert edit_url in html
    page = client.get(edit_url, {"next": detail(world, world.kibera)})
    assert page.status_code == 200 and 'value="exchange visits"' in page.content.decode()
    response = client.post(
        edit_url,
        {
            "kind": "mentoring",
            "weight": "3",
            "started_on": "2024-01-01",
            "ended_on": "",
            "note": "monthly mentoring",
            "next": detail(world, world.kibera),
        },
    )
    assert response.status_code == 302 and response["Location"] == detail(world, world.kibera)
    link.refresh_from_db()
    assert (link.kind, link.weight, link.note) == ("mentoring", 3.0, "monthly mentoring")
    assert (link.source_id, link.target_id) == (world.kibera.pk, world.region_b.pk)
    entry = AuditEntry.objects.get(action="link.update", target_id=str(link.pk))
    assert entry.changes["kind"] == ["partnership", "mentoring"]


def test_link_edit_shows_each_error_next_to_its_field_and_saves_nothing(client, world):
    link = make_link(world.kibera, world.region_b)
    client.force_login(world.coordinator_a)
    response = client.post(
        url("link_edit", "alpha", link.pk),
        {"kind": "bogus", "weight": "-1", "started_on": "2024-13-01", "note": "x" * 400},
    )
    assert response.status_code == 422
    html = response.content.decode()
    for field in ["kind", "weight", "started_on", "note"]:
        assert f'id="id_{field}_error"' in html, field
    response = client.post(
        url("link_edit", "alpha", link.pk),
        {"kind": "partnership", "weight": "1", "started_on": "2024-05-01", "ended_on": "2024-01-01"},
    )
    assert response.status_code == 422
    assert "The link cannot end before it starts." in response.context["form"].errors["ended_on"]
    link.refresh_from_db()
    assert link.started_on is None and link.weight == 1.0


def test_link_edit_is_offered_to_whoever_edits_the_other_end(client, world):
    link = make_link(world.region_b, world.kibera)
    client.force_login(world.lead)  # leads Kibera, not Coast
    html = client.get(detail(world, world.region_b)).content.decode()
    assert url("link_edit", "alpha", link.pk) in html
    client.force_login(world.coordinator_b)  # Coast's coordinator cannot see Kibera: no link at all
    assert (
        url("link_edit", "alpha", link.pk) not in client.get(detail(world, world.region_b)).content.decode()
    )


def test_link_edit_is_hidden_and_404_for_those_who_cannot_edit(client, world):
    link = make_link(world.region_b, world.mombasa)
    edit_url = url("link_edit", "alpha", link.pk)
    for user in [None, world.member, world.coordinator_a, world.beta_admin]:
        if user is None:
            client.logout()
        else:
            client.force_login(user)
        assert edit_url not in client.get(detail(world, world.region_b)).content.decode()
        assert client.get(edit_url).status_code == 404
        assert client.post(edit_url, {"kind": "mentoring", "weight": "1"}).status_code == 404
    link.refresh_from_db()
    assert link.kind == "partnership"


def test_link_edit_ignores_a_next_url_off_the_site(client, world):
    link = make_link(world.kibera, world.region_b)
    client.force_login(world.admin)
    response = client.post(
        url("link_edit", "alpha", link.pk),
        {"kind": "mentoring", "weight": "1", "next": "https://evil.example/"},
    )
    assert response["Location"] == detail(world, world.kibera)


def test_link_edit_and_set_delete_pages_have_bounded_queries(client, world, django_assert_max_num_queries):
    link = make_link(world.kibera, world.region_b)
    group_set = GroupSet.objects.create(collective=world.alpha, code="s", name="S")
    group_set.groups.set([world.kibera, world.mombasa, world.region_b])
    client.force_login(world.admin)
    # session, user, scope, collective, the link (with the visibility and edit rules), switcher
    with django_assert_max_num_queries(6):
        assert client.get(url("link_edit", "alpha", link.pk)).status_code == 200
    # session, user, scope, collective, the set, its group count, switcher
    with django_assert_max_num_queries(7):
        assert client.get(url("group_set_delete", "alpha", group_set.pk)).status_code == 200


def test_home_offers_the_question_box_and_the_sections_of_the_collective(client, world):
    html = client.get(url("collective_home", "alpha")).content.decode()
    assert f'action="{reverse("learning:ask", args=["alpha"])}"' in html
    for section in (
        "pathways:pathway_list",
        "activities:activity_list",
        "measurement:dashboard",
        "learning:index",
    ):
        assert f'href="{reverse(section, args=["alpha"])}"' in html
