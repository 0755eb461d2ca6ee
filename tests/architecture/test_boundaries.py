"""Group boundaries: a bad GeoJSON is refused with where and why, a good one is stored simplified and
wound the RFC 7946 way; only those who may edit a group set its boundary (page, API, bulk upload, CLI);
a bulk upload stores every feature or none, naming each bad one."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from typer.testing import CliRunner

from minga.architecture import boundaries
from minga.architecture.models import Group
from minga.cli import app
from minga.core.errors import DomainError, NotFound
from minga.core.models import AuditEntry
from tests.factories.api import ApiClient

pytestmark = pytest.mark.django_db


def square(x: float = 36.7, y: float = -1.4, size: float = 0.2, *, clockwise: bool = False) -> dict[str, Any]:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring[::-1] if clockwise else ring]}


def circle(points: int, *, x: float = 36.8, y: float = -1.3, radius: float = 0.1) -> dict[str, Any]:
    ring = [
        [x + radius * math.cos(2 * math.pi * k / points), y + radius * math.sin(2 * math.pi * k / points)]
        for k in range(points)
    ]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def poly(*positions: Any) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [list(positions)]}


def feature(code: str | None, geometry: Any, **props: Any) -> dict[str, Any]:
    properties = {"code": code, **props} if code is not None else props
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def collection(*features: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def browser(user: Any) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


# --- validation and normalisation -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("geometry", "code", "where"),
    [
        ({"type": "Point", "coordinates": [36.8, -1.3]}, "wrong_type", ""),
        ({"type": "LineString", "coordinates": [[0, 0], [1, 1]]}, "wrong_type", ""),
        ("POLYGON((0 0, 1 0, 1 1, 0 0))", "not_a_geometry", ""),
        ({"type": "Polygon", "coordinates": []}, "no_rings", "coordinates"),
        ({"type": "MultiPolygon", "coordinates": []}, "no_coordinates", "coordinates"),
        (poly([0, 0], [1, 0], [0, 0]), "short_ring", "coordinates[0]"),
        (poly([0, 0], [1, 0], [1, 1], [0, 1]), "ring_not_closed", "coordinates[0]"),
        (poly([0, 0], [1, 0], ["1", 1], [0, 0]), "bad_position", "coordinates[0][2]"),
        (poly([0, 0], [1, 0], [True, 1], [0, 0]), "bad_position", "coordinates[0][2]"),
        (poly([0, 0], [1, 0], [math.nan, 1], [0, 0]), "out_of_range", "coordinates[0][2]"),
        (poly([0, 0], [181, 0], [1, 1], [0, 0]), "out_of_range", "coordinates[0][1]"),
        (poly([0, 0], [1, 0], [2, 0], [0, 0]), "degenerate", "coordinates[0]"),
        (
            {"type": "MultiPolygon", "coordinates": [square()["coordinates"], [[[0, 0], [1, 0], [1, 1]]]]},
            "short_ring",
            "coordinates[1][0]",
        ),
        (
            {**square(), "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32737"}}},
            "not_wgs84",
            "",
        ),
    ],
)  # fmt: skip
def test_bad_geometries_are_refused_with_where_and_why(geometry: Any, code: str, where: str) -> None:
    with pytest.raises(DomainError) as error:
        boundaries.boundary_clean(geometry)
    problem = error.value.problems[0]
    assert problem.code == code and problem.field == "boundary"
    assert where in problem.message


def test_swapped_coordinates_and_projected_files_get_a_hint() -> None:
    swapped = {"type": "Polygon", "coordinates": [[[-1.3, 36.8], [-1.3, 95.0], [-1.1, 95.0], [-1.3, 36.8]]]}
    assert "swapped" in boundaries.boundary_defects(swapped)[0].message
    utm = poly([256000, 9850000], [257000, 9850000], [257000, 9851000], [256000, 9850000])
    assert "projected" in boundaries.boundary_defects(utm)[0].message


def test_a_geometry_over_the_size_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(boundaries, "MAX_POSITIONS", 500)
    with pytest.raises(DomainError) as error:
        boundaries.boundary_clean(circle(600))
    assert error.value.problems[0].code == "too_large"
    with pytest.raises(DomainError) as error:
        boundaries.parse_geojson(b"x" * 2000, limit=1000)
    assert error.value.problems[0].code == "too_large"


def test_unparsable_text_says_where_it_breaks() -> None:
    with pytest.raises(DomainError) as error:
        boundaries.parse_geojson('{"type": "Polygon",\n "coordinates": [[[0, 0], }')
    assert error.value.problems[0].code == "invalid_json"
    assert "line 2" in error.value.problems[0].message


def test_a_clean_boundary_is_simplified_rounded_and_wound_counter_clockwise() -> None:
    stored = boundaries.boundary_clean(circle(2000) | {"coordinates": [circle(2000)["coordinates"][0][::-1]]})
    ring = stored["coordinates"][0]
    assert stored["type"] == "Polygon"
    assert 16 < len(ring) < 400  # 2,000 positions on a 20 km circle: a few dozen are enough at ≈50 m
    assert ring[0] == ring[-1]
    assert boundaries._signed_area(ring) > 0  # exterior counter-clockwise (RFC 7946)
    assert all(round(v, 5) == v for position in ring for v in position)
    # Nothing moved by more than the tolerance: every kept position lies on the circle.
    assert all(abs(math.hypot(x - 36.8, y + 1.3) - 0.1) < 1e-4 for x, y in ring)


def test_holes_wind_clockwise_altitude_is_dropped_and_tiny_islets_go() -> None:
    outer = [[0.0, 0.0, 12.0], [1.0, 0.0, 12.0], [1.0, 1.0, 12.0], [0.0, 1.0, 12.0], [0.0, 0.0, 12.0]]
    hole = [[0.2, 0.2], [0.8, 0.2], [0.8, 0.8], [0.2, 0.8], [0.2, 0.2]]  # counter-clockwise: wrong
    islet = [[5.0, 5.0], [5.00001, 5.0], [5.00001, 5.00001], [5.0, 5.0]]
    stored = boundaries.boundary_clean({"type": "MultiPolygon", "coordinates": [[outer, hole], [islet]]})
    assert stored["type"] == "Polygon"  # the islet is below the tolerance
    exterior, inner = stored["coordinates"]
    assert all(len(p) == 2 for p in exterior)
    assert boundaries._signed_area(exterior) > 0 > boundaries._signed_area(inner)


def test_d3_gets_the_exterior_clockwise() -> None:
    stored = boundaries.boundary_clean(square())
    assert boundaries._signed_area(boundaries.rewound_for_d3(stored)["coordinates"][0]) < 0


def test_a_feature_or_a_collection_of_one_is_read_as_its_geometry() -> None:
    assert boundaries.geometry_of(feature("x", square())) == square()
    assert boundaries.geometry_of(collection(feature("x", square()))) == square()
    with pytest.raises(DomainError) as error:
        boundaries.geometry_of(collection(feature("x", square()), feature("y", square())))
    assert error.value.problems[0].code == "one_feature_expected"


# --- one group's boundary: who may set it ---------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "target", "allowed"),
    [
        ("admin", "region_b", True),
        ("coordinator_a", "region_a", True),
        ("coordinator_a", "kibera", True),
        ("coordinator_a", "region_b", False),
        ("lead", "kibera", True),
        ("member", "kibera", False),
        ("beta_admin", "region_a", False),
        ("superuser", "kenya", True),
    ],
)
def test_whoever_may_edit_the_group_sets_its_boundary(
    world: Any, actor: str, target: str, allowed: bool
) -> None:
    group = getattr(world, target)
    if not allowed:
        with pytest.raises(NotFound):
            boundaries.group_boundary_set(actor=getattr(world, actor), group=group, geometry=square())
        assert Group.objects.get(pk=group.pk).boundary is None
        return
    boundaries.group_boundary_set(actor=getattr(world, actor), group=group, geometry=square(clockwise=True))
    stored = Group.objects.get(pk=group.pk).boundary
    assert stored is not None and boundaries._signed_area(stored["coordinates"][0]) > 0
    entry = AuditEntry.objects.get(action="group.boundary", target_id=str(group.pk))
    assert entry.changes == {"boundary_positions": [0, 5]}


def test_clearing_a_boundary(world: Any) -> None:
    boundaries.group_boundary_set(actor=world.admin, group=world.region_a, geometry=square())
    boundaries.group_boundary_set(actor=world.admin, group=world.region_a, geometry=None)
    assert Group.objects.get(pk=world.region_a.pk).boundary is None
    assert AuditEntry.objects.filter(action="group.boundary_clear").count() == 1


def test_the_boundary_page_uploads_pastes_and_shows_it(world: Any) -> None:
    url = reverse("architecture:group_boundary", args=["alpha", world.region_a.pk])
    c = browser(world.coordinator_a)
    assert c.get(url).status_code == 200
    upload = SimpleUploadedFile("nairobi.geojson", json.dumps(feature("ke-nai", square())).encode())
    response = c.post(url, {"file": upload})
    assert response.status_code == 302
    assert Group.objects.get(pk=world.region_a.pk).boundary is not None
    shown = c.get(url).content.decode()
    assert "<svg" in shown and "5 positions" in shown
    pasted = c.post(url, {"text": json.dumps(circle(400))})
    assert pasted.status_code == 302
    assert boundaries.positions_in(Group.objects.get(pk=world.region_a.pk).boundary) > 5
    assert c.post(url, {"clear": "on"}).status_code == 302
    assert Group.objects.get(pk=world.region_a.pk).boundary is None


def test_the_boundary_page_explains_a_bad_file_and_keeps_the_old_boundary(world: Any) -> None:
    boundaries.group_boundary_set(actor=world.admin, group=world.region_a, geometry=square())
    url = reverse("architecture:group_boundary", args=["alpha", world.region_a.pk])
    unclosed = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}
    response = browser(world.admin).post(url, {"text": json.dumps(unclosed)})
    assert response.status_code == 422
    assert "A ring must end where it starts" in response.content.decode()
    broken = browser(world.admin).post(url, {"text": "{not json"})
    assert broken.status_code == 422 and "Not valid JSON" in broken.content.decode()
    assert Group.objects.get(pk=world.region_a.pk).boundary == boundaries.boundary_clean(square())


@pytest.mark.parametrize("actor", ["anonymous", "member", "coordinator_b", "beta_admin"])
def test_the_boundary_page_is_a_404_for_those_who_cannot_edit_the_group(world: Any, actor: str) -> None:
    user = None if actor == "anonymous" else getattr(world, actor)
    url = reverse("architecture:group_boundary", args=["alpha", world.region_a.pk])
    assert browser(user).get(url).status_code in (404, 302)  # anonymous: to the login page
    assert browser(user).post(url, {"text": json.dumps(square())}).status_code in (404, 302)
    assert Group.objects.get(pk=world.region_a.pk).boundary is None


# --- API -------------------------------------------------------------------------------------------


def test_api_reads_sets_and_deletes_a_boundary(world: Any) -> None:
    api = ApiClient(world.coordinator_a)
    url = f"/groups/{world.region_a.pk}/boundary"
    assert api.get(url).json() == {
        "group": world.region_a.pk,
        "code": "ke-nai",
        "boundary": None,
        "positions": 0,
    }
    put = api.client.put(
        f"/api/v1{url}",
        json.dumps({"boundary": feature("ke-nai", square())}),
        content_type="application/json",
    )
    assert put.status_code == 200
    assert put.json()["boundary"] == boundaries.boundary_clean(square()) and put.json()["positions"] == 5
    assert ApiClient(world.admin).get(url).json()["positions"] == 5
    assert api.delete(url).status_code == 204
    assert Group.objects.get(pk=world.region_a.pk).boundary is None


def test_api_refuses_a_bad_boundary_on_its_field_and_others_groups(world: Any) -> None:
    api = ApiClient(world.coordinator_a)
    bad = api.client.put(
        f"/api/v1/groups/{world.region_a.pk}/boundary",
        json.dumps({"boundary": {"type": "Point", "coordinates": [0, 0]}}),
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0] | {"message": ""} == {
        "code": "wrong_type",
        "field": "boundary",
        "message": "",
    }
    other = api.client.put(
        f"/api/v1/groups/{world.region_b.pk}/boundary",
        json.dumps({"boundary": square()}),
        content_type="application/json",
    )
    assert other.status_code == 404
    assert ApiClient(world.beta_admin).get(f"/groups/{world.kibera.pk}/boundary").status_code == 404
    assert ApiClient().get(f"/groups/{world.kibera.pk}/boundary").status_code in (401, 404)


# --- bulk upload -----------------------------------------------------------------------------------


def test_import_stores_every_boundary_when_all_features_are_good(world: Any) -> None:
    document = collection(feature("ke-nai", square()), feature("ke-cst", square(39.5, -4.2)))
    report = boundaries.boundaries_import(actor=world.admin, collective=world.alpha, document=document)
    assert report.ok and report.saved == 2
    stored = dict(Group.objects.filter(boundary__isnull=False).values_list("code", "boundary"))
    assert set(stored) == {"ke-nai", "ke-cst"}
    assert AuditEntry.objects.filter(action="group.boundary").count() == 2


def test_import_is_all_or_nothing_and_names_each_bad_feature(world: Any) -> None:
    document = collection(
        feature("ke-nai", square()),
        feature("ke-cst", {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}),
        feature("nowhere", square()),
        feature(None, square(), name="No code"),
        feature("ke-nai", square()),
        {"type": "Polygon", "coordinates": square()["coordinates"]},
    )
    report = boundaries.boundaries_import(actor=world.admin, collective=world.alpha, document=document)
    assert not report.ok and report.saved == 0
    assert [(p.index, p.code, p.reason) for p in report.problems] == [
        (1, "ke-cst", "ring_not_closed"),
        (2, "nowhere", "unknown_group"),
        (3, "", "no_code"),
        (4, "ke-nai", "duplicate"),
        (5, "", "not_a_feature"),
    ]
    assert not Group.objects.filter(boundary__isnull=False).exists()


def test_a_coordinator_imports_only_into_her_subtree(world: Any) -> None:
    document = collection(feature("ke-nai", square()), feature("ke-cst", square()), feature("pe", square()))
    report = boundaries.boundaries_import(
        actor=world.coordinator_a, collective=world.alpha, document=document
    )
    assert [(p.index, p.reason) for p in report.problems] == [(1, "unknown_group"), (2, "unknown_group")]
    assert "ke-cst" in report.problems[0].message
    assert not Group.objects.filter(boundary__isnull=False).exists()
    only_mine = collection(feature("ke-nai", square()), feature("ke-nai-kib", square(36.75, -1.32, 0.02)))
    assert (
        boundaries.boundaries_import(
            actor=world.coordinator_a, collective=world.alpha, document=only_mine
        ).saved
        == 2
    )


def test_a_dry_run_checks_everything_and_stores_nothing(world: Any) -> None:
    document = collection(feature("ke-nai", square()))
    report = boundaries.boundaries_import(
        actor=world.admin, collective=world.alpha, document=document, dry_run=True
    )
    assert report.ok and report.matched == ["ke-nai"] and report.saved == 0
    assert not Group.objects.filter(boundary__isnull=False).exists()


def test_features_are_matched_by_another_property(world: Any) -> None:
    document = collection(feature(None, square(), ADM1_PCODE="ke-nai"))
    report = boundaries.boundaries_import(
        actor=world.admin, collective=world.alpha, document=document, match_property="ADM1_PCODE"
    )
    assert report.saved == 1 and Group.objects.get(code="ke-nai").boundary is not None


def test_import_refuses_what_is_not_a_collection(world: Any) -> None:
    documents: list[Any] = [square(), {"type": "FeatureCollection", "features": []}, []]
    for document in documents:
        with pytest.raises(DomainError):
            boundaries.boundaries_import(actor=world.admin, collective=world.alpha, document=document)


def test_the_import_page_reports_per_feature_then_saves_a_good_file(world: Any) -> None:
    url = reverse("architecture:boundaries_import", args=["alpha"])
    c = browser(world.coordinator_a)
    assert c.get(url).status_code == 200
    bad = collection(feature("ke-nai", square()), feature("ke-cst", square()))
    response = c.post(
        url, {"file": SimpleUploadedFile("b.geojson", json.dumps(bad).encode()), "match_property": "code"}
    )
    assert response.status_code == 422
    text = response.content.decode()
    assert "Nothing was saved" in text and "ke-cst" in text and "unknown_group" in text
    assert not Group.objects.filter(boundary__isnull=False).exists()
    good = collection(feature("ke-nai", square()))
    saved = c.post(
        url, {"file": SimpleUploadedFile("g.geojson", json.dumps(good).encode()), "match_property": "code"}
    )
    assert saved.status_code == 302 and Group.objects.get(code="ke-nai").boundary is not None


@pytest.mark.parametrize("actor", ["member", "beta_admin"])
def test_the_import_page_is_a_404_for_those_who_edit_no_group_there(world: Any, actor: str) -> None:
    assert (
        browser(getattr(world, actor))
        .get(reverse("architecture:boundaries_import", args=["alpha"]))
        .status_code
        == 404
    )


def test_api_import_answers_422_per_feature_or_the_counts(world: Any) -> None:
    api = ApiClient(world.admin)
    bad = api.post(
        "/boundaries/import",
        {"collective": "alpha", "geojson": collection(feature("ke-nai", square()), feature("zz", square()))},
    )
    assert bad.status_code == 422
    [error] = bad.json()["errors"]
    assert (error["index"], error["group"], error["code"], error["field"]) == (
        1,
        "zz",
        "unknown_group",
        "geojson.features[1]",
    )
    assert not Group.objects.filter(boundary__isnull=False).exists()
    dry = api.post(
        "/boundaries/import",
        {"collective": "alpha", "dry_run": True, "geojson": collection(feature("ke-nai", square()))},
    )
    assert dry.status_code == 200 and dry.json() == {"features": 1, "matched": 1, "saved": 0, "dry_run": True}
    good = api.post(
        "/boundaries/import", {"collective": "alpha", "geojson": collection(feature("ke-nai", square()))}
    )
    assert good.status_code == 200 and good.json()["saved"] == 1
    assert ApiClient(world.beta_admin).post(
        "/boundaries/import", {"collective": "alpha", "geojson": collection(feature("ke-nai", square()))}
    ).status_code in (404, 422)


def test_cli_import_all_or_nothing(world: Any, tmp_path: Path) -> None:
    runner = CliRunner()
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps(collection(feature("ke-nai", square()), feature("zz", square()))))
    result = runner.invoke(
        app, ["boundaries", "import", str(bad), "--collective", "alpha", "--as", world.admin.email]
    )
    assert result.exit_code == 1
    assert "feature 1 (zz)" in result.output and "Nothing saved" in result.output
    good = tmp_path / "good.geojson"
    good.write_text(json.dumps(collection(feature("ke-nai", square()))))
    dry = runner.invoke(
        app,
        ["boundaries", "import", str(good), "--collective", "alpha", "--as", world.admin.email, "--dry-run"],
    )
    assert dry.exit_code == 0 and not Group.objects.filter(boundary__isnull=False).exists()
    done = runner.invoke(
        app, ["boundaries", "import", str(good), "--collective", "alpha", "--as", world.admin.email]
    )
    assert done.exit_code == 0 and "1 boundaries saved" in done.output
    assert Group.objects.get(code="ke-nai").boundary is not None
    as_coordinator = runner.invoke(
        app, ["boundaries", "import", str(good), "--collective", "alpha", "--as", world.coordinator_b.email]
    )
    assert as_coordinator.exit_code == 1


def test_the_group_edit_form_uploads_a_boundary_and_comes_back(world: Any) -> None:
    c = browser(world.coordinator_a)
    edit = reverse("architecture:group_edit", args=["alpha", world.region_a.pk])
    page = c.get(edit).content.decode()
    boundary_url = reverse("architecture:group_boundary", args=["alpha", world.region_a.pk])
    assert f'action="{boundary_url}"' in page and 'name="file"' in page and 'name="text"' in page
    upload = SimpleUploadedFile("nairobi.geojson", json.dumps(square()).encode())
    response = c.post(boundary_url, {"file": upload, "next": edit})
    assert response.status_code == 302 and response["Location"] == edit
    assert Group.objects.get(pk=world.region_a.pk).boundary is not None
    elsewhere = c.post(boundary_url, {"text": json.dumps(square()), "next": "https://example.org/"})
    assert elsewhere["Location"] == boundary_url
