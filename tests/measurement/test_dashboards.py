"""Saved dashboards (service, pages, API) and the map: private unless shared, and whoever opens one sees
only the figures they may see; the map places units by their own or their subtree's coordinates."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from minga.architecture.models import GroupSet
from minga.core.errors import DomainError, NotFound
from minga.core.models import AuditEntry
from minga.measurement import charts, dashboards, selectors
from minga.measurement.models_dashboards import SavedDashboard
from tests.factories.api import ApiClient, error_fields
from tests.factories.measurement import make_indicator, make_period, make_value

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def data(world: Any) -> dict[str, Any]:
    meetings = make_indicator(world.alpha, code="meetings", name="Meetings held", unit="meetings")
    hidden = make_indicator(world.alpha, code="hidden", name="Hidden", visibility="private")
    march, april = make_period(world.alpha, "202603"), make_period(world.alpha, "202604")
    make_value(meetings, world.kibera, march, 3)
    make_value(meetings, world.kibera, april, 4)
    make_value(meetings, world.mombasa, april, 6)
    return {"meetings": meetings, "hidden": hidden}


def save(world: Any, actor: str = "admin", **over: Any) -> SavedDashboard:
    fields: dict[str, Any] = {
        "name": "Meetings in Kenya",
        "indicators": ["meetings"],
        "within": world.kenya,
        "period": "202603:202604",
        "charts": ["trend", "breakdown", "map"],
        "shared": True,
    } | over
    return dashboards.dashboard_save(actor=getattr(world, actor), collective=world.alpha, **fields)


def page(world: Any, actor: str) -> Client:
    c = Client()
    if actor != "anonymous":
        c.force_login(getattr(world, actor))
    return c


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"indicators": []}, "indicators"),
        ({"indicators": ["nope"]}, "indicators"),
        ({"indicators": [f"i{n}" for n in range(13)]}, "indicators"),
        ({"period": "2026-13"}, "period"),
        ({"charts": []}, "charts"),
        ({"charts": ["pie"]}, "charts"),
    ],
)
def test_bad_settings_are_refused_per_field(world: Any, data: dict[str, Any], over: Any, field: str) -> None:
    with pytest.raises(DomainError) as error:
        save(world, **over)
    assert field in {p.field for p in error.value.problems}
    assert not SavedDashboard.objects.exists()


def test_a_subtree_and_a_set_at_once_or_another_collectives_group_are_refused(
    world: Any, data: dict[str, Any]
) -> None:
    group_set = GroupSet.objects.create(collective=world.alpha, code="s", name="S")
    with pytest.raises(DomainError):
        save(world, group_set=group_set)
    with pytest.raises(DomainError):
        save(world, within=world.beta_root)


def test_people_of_another_collective_cannot_save(world: Any, data: dict[str, Any]) -> None:
    with pytest.raises(NotFound):
        save(world, "beta_admin")


@pytest.mark.parametrize(
    ("actor", "total"),
    [("admin", 13), ("coordinator_a", 7), ("coordinator_b", 6)],
)
def test_a_shared_dashboard_shows_each_viewer_their_own_figures(
    world: Any, data: dict[str, Any], actor: str, total: float
) -> None:
    saved = save(world)
    opened = dashboards.dashboard_open(viewer=getattr(world, actor), dashboard=saved, today=TODAY)
    assert [p.trend.total for p in opened.panels] == [total]
    response = page(world, actor).get(reverse("measurement:saved_dashboard", args=["alpha", saved.pk]))
    assert response.status_code == 200
    assert response.context["panels"][0]["data"].trend.total == total


def test_an_indicator_no_longer_defined_is_named_and_left_out(world: Any, data: dict[str, Any]) -> None:
    saved = save(world, indicators=["hidden", "meetings"], within=None)
    data["hidden"].delete()
    opened = dashboards.dashboard_open(viewer=world.admin, dashboard=saved, today=TODAY)
    assert [p.indicator.code for p in opened.panels] == ["meetings"]
    assert opened.missing == ["hidden"]


def test_an_area_the_viewer_cannot_see_shows_nothing(world: Any, data: dict[str, Any]) -> None:
    saved = save(world, within=world.kibera)  # a private group
    opened = dashboards.dashboard_open(viewer=world.coordinator_b, dashboard=saved, today=TODAY)
    assert opened.area is None and opened.panels == []


@pytest.mark.parametrize("actor", ["anonymous", "member", "coordinator_b", "beta_admin"])
def test_a_private_dashboard_is_missing_for_others(world: Any, data: dict[str, Any], actor: str) -> None:
    saved = save(world, shared=False)
    url = reverse("measurement:saved_dashboard", args=["alpha", saved.pk])
    assert page(world, actor).get(url).status_code == 404
    if actor != "anonymous":
        assert ApiClient(getattr(world, actor)).get(f"/dashboards/{saved.pk}").status_code == 404


def test_a_shared_dashboard_is_missing_for_another_collective(world: Any, data: dict[str, Any]) -> None:
    saved = save(world)
    assert (
        page(world, "beta_admin")
        .get(reverse("measurement:saved_dashboard", args=["alpha", saved.pk]))
        .status_code
        == 404
    )
    assert (
        page(world, "member")
        .get(reverse("measurement:saved_dashboard", args=["alpha", saved.pk]))
        .status_code
        == 200
    )


def test_only_the_owner_deletes(world: Any, data: dict[str, Any]) -> None:
    saved = save(world)
    url = reverse("measurement:saved_dashboard_delete", args=["alpha", saved.pk])
    assert page(world, "coordinator_a").post(url).status_code == 404
    assert page(world, "admin").post(url).status_code == 302
    assert not SavedDashboard.objects.exists()


def test_save_from_the_dashboard_page_and_find_it_listed(
    world: Any, data: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    browser = page(world, "coordinator_a")
    response = browser.post(
        reverse("measurement:dashboard_save", args=["alpha"]),
        {
            "name": "Nairobi meetings",
            "indicators": ["meetings"],
            "charts": ["trend", "map"],
            "within": world.region_a.pk,
            "period": "202603:202604",
        },
    )
    saved = SavedDashboard.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/dashboards/{saved.pk}/")
    assert (saved.owner, saved.within, saved.shared) == (world.coordinator_a, world.region_a, False)
    with django_assert_max_num_queries(30):
        listed = browser.get(reverse("measurement:dashboard", args=["alpha"]), {"indicator": "meetings"})
    assert "Nairobi meetings" in listed.content.decode()
    assert (
        "Nairobi meetings"
        not in page(world, "coordinator_b")
        .get(reverse("measurement:dashboard", args=["alpha"]))
        .content.decode()
    )
    with django_assert_max_num_queries(30):
        opened = browser.get(reverse("measurement:saved_dashboard", args=["alpha", saved.pk]))
    assert opened.status_code == 200 and b"<svg" in opened.content


def test_a_bad_save_says_why_and_saves_nothing(world: Any, data: dict[str, Any]) -> None:
    response = page(world, "admin").post(
        reverse("measurement:dashboard_save", args=["alpha"]),
        {"name": "", "indicators": ["meetings"]},
        follow=True,
    )
    assert "not saved" in response.content.decode()
    assert not SavedDashboard.objects.exists()


# --- API ------------------------------------------------------------------------------------------


def test_api_crud_with_idempotency(world: Any, data: dict[str, Any]) -> None:
    api = ApiClient(world.coordinator_a)
    body = {
        "collective": "alpha",
        "name": "Mine",
        "indicators": ["meetings"],
        "within": "ke-nai",
        "shared": True,
    }
    first = api.post("/dashboards", body, **{"Idempotency-Key": "dash-1"})
    assert first.status_code == 201, first.content
    again = api.post("/dashboards", body, **{"Idempotency-Key": "dash-1"})
    assert again.json()["id"] == first.json()["id"] and SavedDashboard.objects.count() == 1
    reused = api.post("/dashboards", {**body, "name": "Other"}, **{"Idempotency-Key": "dash-1"})
    assert reused.status_code == 422
    dashboard_id = first.json()["id"]
    assert first.json()["within"] == "ke-nai" and first.json()["mine"] is True
    changed = api.patch(f"/dashboards/{dashboard_id}", {"name": "Renamed", "charts": ["map"]})
    assert changed.status_code == 200 and changed.json()["name"] == "Renamed"
    bad = api.patch(f"/dashboards/{dashboard_id}", {"charts": ["pie"]})
    assert bad.status_code == 422 and "charts" in error_fields(bad)
    other = ApiClient(world.coordinator_b)
    assert other.get(f"/dashboards/{dashboard_id}").json()["mine"] is False
    assert other.patch(f"/dashboards/{dashboard_id}", {"name": "x"}).status_code == 404
    assert other.delete(f"/dashboards/{dashboard_id}").status_code == 404
    assert api.delete(f"/dashboards/{dashboard_id}").status_code == 204
    assert not SavedDashboard.objects.exists()


def test_api_bad_references(world: Any, data: dict[str, Any]) -> None:
    api = ApiClient(world.coordinator_b)
    body = {"collective": "alpha", "name": "X", "indicators": ["meetings"]}
    assert "within" in error_fields(api.post("/dashboards", {**body, "within": "ke-nai-kib"}))  # private
    assert "indicators" in error_fields(api.post("/dashboards", {**body, "indicators": ["nope"]}))
    assert ApiClient(world.beta_admin).post("/dashboards", body).status_code in (404, 422)
    assert ApiClient(None).post("/dashboards", body).status_code == 401


def test_api_list_is_scoped(world: Any, data: dict[str, Any], django_assert_max_num_queries: Any) -> None:
    save(world, name="Shared")
    save(world, name="Private", shared=False)
    save(world, "coordinator_b", name="Coast", shared=False, within=world.region_b)
    with django_assert_max_num_queries(8):
        names = {d["name"] for d in ApiClient(world.coordinator_b).get("/dashboards").json()["items"]}
    assert names == {"Shared", "Coast"}
    assert ApiClient(world.beta_admin).get("/dashboards").json()["items"] == []


# --- the map --------------------------------------------------------------------------------------


def test_map_places_units_by_their_own_or_their_subtrees_coordinates(
    world: Any, data: dict[str, Any]
) -> None:
    area = selectors.Area(world.alpha)
    period_list = selectors.periods_from(world.alpha, "month", "202603:202604", today=TODAY)
    breakdown = selectors.rollup(
        viewer=world.admin, indicator=data["meetings"], area=area, period_list=period_list, by="child"
    )
    points = selectors.map_points(viewer=world.admin, breakdown=breakdown, area=area)
    assert len(points) == 1
    label, lat, lon, value = points[0]
    assert (label, value) == ("Kenya", 13)
    assert lat == pytest.approx((-1.31 - 4.04) / 2) and lon == pytest.approx((36.78 + 39.66) / 2)
    inside = selectors.Area(world.alpha, group=world.region_a)
    breakdown = selectors.rollup(
        viewer=world.admin, indicator=data["meetings"], area=inside, period_list=period_list, by="child"
    )
    [(label, lat, lon, value)] = selectors.map_points(viewer=world.admin, breakdown=breakdown, area=inside)
    assert (label, value) == ("Kibera Youth", 7)
    assert lat == pytest.approx(-1.31) and lon == pytest.approx(36.78)
    svg = charts.map_spec(points, title="meetings")
    assert svg["projection"]["type"] == "equirectangular" and svg["data"]["values"][0]["value"] == 13


def test_map_only_places_what_the_viewer_may_see(world: Any, data: dict[str, Any]) -> None:
    area = selectors.Area(world.alpha)
    period_list = selectors.periods_from(world.alpha, "month", "202603:202604", today=TODAY)
    breakdown = selectors.rollup(
        viewer=world.coordinator_b, indicator=data["meetings"], area=area, period_list=period_list, by="child"
    )
    [(label, lat, lon, value)] = selectors.map_points(
        viewer=world.coordinator_b, breakdown=breakdown, area=area
    )
    assert (label, value) == ("Kenya", 6)
    assert lat == pytest.approx(-4.04) and lon == pytest.approx(39.66)  # Kibera is not visible to her


def test_dashboard_page_shows_the_map(world: Any, data: dict[str, Any]) -> None:
    response = page(world, "admin").get(
        reverse("measurement:dashboard", args=["alpha"]), {"indicator": "meetings", "period": "202603:202604"}
    )
    assert response.context["map_points"][0][0] == "Kenya"
    assert "Map" in response.content.decode() and response.content.decode().count("<svg") >= 3


def test_dashboard_over_a_group_set(world: Any, data: dict[str, Any]) -> None:
    coast = GroupSet.objects.create(collective=world.alpha, code="coast", name="Coastal groups")
    coast.groups.add(world.mombasa)
    response = page(world, "admin").get(
        reverse("measurement:dashboard", args=["alpha"]),
        {"indicator": "meetings", "period": "202603:202604", "set": str(coast.pk)},
    )
    assert response.status_code == 200
    assert response.context["data"].trend.total == 6
    assert response.context["area"].label == "Coastal groups"
    beta_set = GroupSet.objects.create(collective=world.beta, code="b", name="Beta set")
    other = page(world, "admin").get(reverse("measurement:dashboard", args=["alpha"]), {"set": beta_set.pk})
    assert other.status_code == 404


def test_the_dashboard_page_offers_the_collectives_group_sets_to_pick(
    world: Any, data: dict[str, Any]
) -> None:
    coast = GroupSet.objects.create(collective=world.alpha, code="coast", name="Coastal groups")
    coast.groups.add(world.mombasa)
    GroupSet.objects.create(collective=world.beta, code="b", name="Beta set")
    url = reverse("measurement:dashboard", args=["alpha"])
    html = page(world, "admin").get(url, {"indicator": "meetings"}).content.decode()
    assert f'<option value="{coast.pk}">Set: Coastal groups</option>' in html and "Beta set" not in html
    picked = page(world, "admin").get(url, {"indicator": "meetings", "set": str(coast.pk)}).content.decode()
    assert f'<option value="{coast.pk}" selected>Set: Coastal groups</option>' in picked
    assert "By group of the set" in picked
    # Inside a subtree the page keeps to it: no set to pick there.
    inside = (
        page(world, "admin").get(url, {"indicator": "meetings", "within": world.kenya.pk}).content.decode()
    )
    assert 'name="set"' not in inside.split("</form>")[0]


def edit_url(saved: SavedDashboard) -> str:
    return reverse("measurement:saved_dashboard_edit", args=["alpha", saved.pk])


def test_the_owner_renames_and_reconfigures_a_dashboard_on_its_page(world: Any, data: dict[str, Any]) -> None:
    saved = save(world)
    coast = GroupSet.objects.create(collective=world.alpha, code="coast", name="Coastal groups")
    browser = page(world, "admin")
    opened = browser.get(reverse("measurement:saved_dashboard", args=["alpha", saved.pk])).content.decode()
    assert edit_url(saved) in opened
    form = browser.get(edit_url(saved)).content.decode()
    assert (
        'value="Meetings in Kenya"' in form and f'<option value="within:{world.kenya.pk}" selected>' in form
    )
    response = browser.post(
        edit_url(saved),
        {
            "name": "Coastal meetings",
            "indicators": ["meetings"],
            "area": f"set:{coast.pk}",
            "period": "202604",
            "charts": ["trend"],
        },
    )
    assert response.status_code == 302
    saved.refresh_from_db()
    assert (saved.name, saved.within, saved.group_set, saved.period, saved.charts, saved.shared) == (
        "Coastal meetings",
        None,
        coast,
        "202604",
        ["trend"],
        False,
    )
    assert AuditEntry.objects.for_object(saved).filter(action="dashboard.update").exists()


def test_a_bad_change_is_shown_on_its_field_and_saves_nothing(world: Any, data: dict[str, Any]) -> None:
    saved = save(world)
    response = page(world, "admin").post(
        edit_url(saved),
        {"name": "Renamed", "indicators": ["meetings"], "area": "", "period": "2026-13", "charts": ["trend"]},
    )
    assert response.status_code == 422
    assert 'id="id_period_error"' in response.content.decode()
    saved.refresh_from_db()
    assert (saved.name, saved.period) == ("Meetings in Kenya", "202603:202604")


@pytest.mark.parametrize("actor", ["coordinator_a", "member", "anonymous"])
def test_only_the_owner_changes_a_dashboard(world: Any, data: dict[str, Any], actor: str) -> None:
    saved = save(world)
    response = page(world, actor).post(
        edit_url(saved), {"name": "Taken", "indicators": ["meetings"], "charts": ["trend"]}
    )
    assert response.status_code == 404
    saved.refresh_from_db()
    assert saved.name == "Meetings in Kenya"
