"""The dashboard's map as a choropleth: child units with a boundary are filled by their value (units
without data grey and said so), the others stay points; boundaries come only from groups the viewer
may see; the SVG stands alone (as a PDF needs it) and the page costs a bounded number of queries."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from minga.architecture.boundaries import _signed_area, boundaries_of, group_boundary_set
from minga.architecture.models import Group
from minga.core.charts import render_svg
from minga.measurement import charts, dashboards, selectors
from minga.measurement.charts import NO_DATA
from tests.factories.architecture import make_group
from tests.factories.measurement import make_indicator, make_period, make_value

pytestmark = pytest.mark.django_db


def square(x: float, y: float, size: float = 1.0) -> dict[str, Any]:
    return {
        "type": "Polygon",
        "coordinates": [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]],
    }


@pytest.fixture
def data(world: Any) -> dict[str, Any]:
    meetings = make_indicator(world.alpha, code="meetings", name="Meetings held", unit="meetings")
    march, april = make_period(world.alpha, "202603"), make_period(world.alpha, "202604")
    make_value(meetings, world.kibera, march, 3)
    make_value(meetings, world.kibera, april, 4)
    make_value(meetings, world.mombasa, april, 6)
    rift = make_group(world.alpha, parent=world.kenya, kind_code="region", name="Rift Valley", code="ke-rft")
    return {"meetings": meetings, "periods": [march, april], "rift": rift}


def with_boundaries(world: Any, data: dict[str, Any]) -> None:
    group_boundary_set(actor=world.admin, group=world.region_a, geometry=square(36.5, -1.8))
    group_boundary_set(actor=world.admin, group=data["rift"], geometry=square(35.0, -1.0))


def kenya_map(world: Any, data: dict[str, Any], viewer: Any) -> dashboards.UnitMap:
    area = selectors.Area(world.alpha, group=world.kenya)
    breakdown = selectors.rollup(
        viewer=viewer, indicator=data["meetings"], area=area, period_list=data["periods"], by="child"
    )
    return dashboards.unit_map(viewer=viewer, breakdown=breakdown, area=area)


def test_units_with_a_boundary_are_shapes_the_others_points_and_quiet_units_say_no_data(
    world: Any, data: dict[str, Any]
) -> None:
    with_boundaries(world, data)
    found = kenya_map(world, data, world.admin)
    assert found.is_choropleth
    assert [(label, value) for label, _, value in found.shapes] == [("Nairobi", 7.0), ("Rift Valley", None)]
    assert found.points == [("Coast", -4.04, 39.66, 6.0)]  # no boundary: at its located group
    assert found.missing == 1
    assert found.rows == [("Coast", 6.0, "point"), ("Nairobi", 7.0, "area"), ("Rift Valley", None, "area")]
    # Wound for d3-geo (exterior clockwise), else the shape would fill the whole globe.
    assert all(_signed_area(geometry["coordinates"][0]) < 0 for _, geometry, _ in found.shapes)


def test_without_boundaries_the_point_map_stays(world: Any, data: dict[str, Any]) -> None:
    found = kenya_map(world, data, world.admin)
    assert not found.is_choropleth
    assert ("Coast", -4.04, 39.66, 6.0) in found.points
    assert charts.unit_map_spec(found.shapes, found.points, title="meetings") == charts.map_spec(
        found.points, title="meetings"
    )


def test_boundaries_come_only_from_groups_the_viewer_may_see(world: Any, data: dict[str, Any]) -> None:
    group_boundary_set(actor=world.admin, group=world.kibera, geometry=square(36.7, -1.4, 0.1))  # private
    assert set(boundaries_of(world.admin, [world.kibera.pk])) == {world.kibera.pk}
    assert boundaries_of(world.coordinator_b, [world.kibera.pk]) == {}
    assert boundaries_of(None, [world.kibera.pk]) == {}


def test_the_spec_fills_by_value_and_names_units_without_data() -> None:
    shapes = [("A", square(0, 0), 3.0), ("B", square(1, 0), None)]
    spec = charts.choropleth_spec(shapes, [("C", 0.5, 3.0, 5.0)], title="meetings")
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks[:3] == ["geoshape", "geoshape", "circle"]
    filled, grey = spec["layer"][0], spec["layer"][1]
    assert filled["encoding"]["color"]["type"] == "quantitative"
    assert filled["encoding"]["color"]["title"] == "meetings"
    assert grey["encoding"]["fill"]["datum"] == NO_DATA and grey["mark"]["strokeDash"]
    svg = render_svg(spec)
    assert svg.count('aria-roledescription="geoshape"') == 2
    assert "No data" in svg and "meetings" in svg
    # Everything the other charts have: no script, no image, nothing fetched — it embeds in a PDF as is.
    assert "<script" not in svg and "<image" not in svg
    assert not re.search(r'(href|src)="(?!#)', svg)


def test_no_no_data_entry_when_every_unit_has_data() -> None:
    svg = render_svg(charts.choropleth_spec([("A", square(0, 0), 3.0)], [], title="meetings"))
    assert "No data" not in svg


def test_the_dashboard_draws_the_choropleth_with_its_table(
    world: Any, data: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    with_boundaries(world, data)
    browser = Client()
    browser.force_login(world.admin)
    url = reverse("measurement:dashboard", args=["alpha"])
    with django_assert_max_num_queries(30):
        response = browser.get(
            url, {"indicator": "meetings", "within": world.kenya.pk, "period": "202603:202604"}
        )
    assert response.status_code == 200
    html = response.content.decode()
    map_section = html[html.index('id="map-h"') :]
    assert 'aria-roledescription="geoshape"' in map_section
    assert "Grey with a dashed outline: no data for these periods (1 unit)" in map_section
    assert re.search(r"Rift Valley</th><td class=\"num\"><span class=\"muted\">no data", map_section)
    assert "a circle (no boundary)" in map_section  # Coast has none


def test_the_choropleth_costs_no_more_queries_than_the_point_map(world: Any, data: dict[str, Any]) -> None:
    browser = Client()
    browser.force_login(world.admin)
    url = reverse("measurement:dashboard", args=["alpha"])
    params = {"indicator": "meetings", "within": world.kenya.pk, "period": "202603:202604"}
    browser.get(url, params)  # warm the caches of the first request
    with CaptureQueriesContext(connection) as points:
        browser.get(url, params)
    with_boundaries(world, data)
    Group.objects.filter(pk=world.region_b.pk).update(boundary=square(39, -4.5))
    with CaptureQueriesContext(connection) as shapes:
        response = browser.get(url, params)
    assert response.context["unit_map"].is_choropleth and not response.context["unit_map"].points
    assert len(shapes) <= len(points)


def test_a_visitor_sees_the_public_units_shapes_without_figures_they_may_not_see(
    world: Any, data: dict[str, Any]
) -> None:
    with_boundaries(world, data)
    response = Client().get(reverse("measurement:dashboard", args=["alpha"]), {"within": world.kenya.pk})
    assert response.status_code == 200
    # Unapproved values are not public: to a visitor every unit is "no data", its outline still drawn.
    found = response.context["unit_map"]
    assert [(label, value) for label, value, _ in found.rows] == [("Nairobi", None), ("Rift Valley", None)]
    # Coast has no boundary and its only located group is private: a visitor can't place it.
    assert not found.points
    assert "Kibera" not in response.content.decode()


def test_a_saved_dashboard_draws_the_choropleth_too(world: Any, data: dict[str, Any]) -> None:
    with_boundaries(world, data)
    saved = dashboards.dashboard_save(
        actor=world.admin,
        collective=world.alpha,
        name="Kenya",
        indicators=["meetings"],
        within=world.kenya,
        period="202603:202604",
        charts=["map"],
    )
    browser = Client()
    browser.force_login(world.admin)
    response = browser.get(reverse("measurement:saved_dashboard", args=["alpha", saved.pk]))
    assert response.status_code == 200
    assert 'aria-roledescription="geoshape"' in response.content.decode()


def test_many_detailed_boundaries_are_drawn_with_no_detail_below_a_pixel(
    world: Any, data: dict[str, Any]
) -> None:
    import math

    from minga.architecture.boundaries import positions_in

    def blob(x: float, y: float) -> dict[str, Any]:
        # A jagged outline (a 300-point star, 0.008° deep): detail a stored boundary keeps.
        ring = [
            [x + r * math.cos(k / 300 * math.tau), y + r * math.sin(k / 300 * math.tau)]
            for k in range(300)
            for r in [0.4 if k % 2 else 0.392]
        ]
        return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}

    for n in range(80):
        unit = make_group(
            world.alpha, parent=world.kenya, kind_code="region", name=f"Unit {n:02d}", code=f"u{n}"
        )
        group_boundary_set(actor=world.admin, group=unit, geometry=blob(34 + (n % 10), -4 + n // 10))
    stored = sum(positions_in(g.boundary) for g in Group.objects.filter(code__startswith="u"))
    found = kenya_map(world, data, world.admin)
    drawn = sum(positions_in(geometry) for _, geometry, _ in found.shapes)
    assert len(found.shapes) == 80 and stored > dashboards.MAP_POSITIONS
    assert drawn < stored / 2  # 80 stars 0.4° wide on a 10° map: a pixel is ≈ 0.016°, their points less
    svg = render_svg(charts.unit_map_spec(found.shapes, found.points, title="meetings"))
    assert svg.count('aria-roledescription="geoshape"') == 80


def test_the_point_map_draws_units_without_data_too() -> None:
    svg = render_svg(charts.map_spec([("A", -1.0, 36.0, 5.0), ("B", -2.0, 37.0, None)], title="meetings"))
    assert svg.count('aria-roledescription="circle"') == 2
    assert "No data" in svg
    assert "No data" not in render_svg(charts.map_spec([("A", -1.0, 36.0, 5.0)], title="meetings"))
