"""Adoptions on the map: adopting groups with a location as points, "learned from" links as lines,
only what the viewer may see."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from minga.learning.models import Adoption
from minga.learning.selectors import practice_spread
from tests.factories.architecture import make_group
from tests.factories.learning import make_practice

pytestmark = pytest.mark.django_db


@pytest.fixture
def practice(world):
    practice = make_practice(world.alpha, actor=world.admin, title="Water point mapping")
    nyali = make_group(
        world.alpha, parent=world.region_b, name="Nyali Youth", latitude=-4.03, longitude=39.71
    )
    Adoption.objects.create(practice=practice, group=world.kibera, adopted_on=dt.date(2024, 5, 1))
    Adoption.objects.create(
        practice=practice, group=nyali, adopted_on=dt.date(2025, 2, 1), learned_from=world.kibera
    )
    Adoption.objects.create(
        practice=practice, group=world.region_a, adopted_on=dt.date(2025, 3, 1)
    )  # no point
    return practice


def test_points_and_learned_from_lines(world, practice):
    spec = practice_spread(world.admin, practice).map_spec
    assert spec is not None and spec["projection"] == {"type": "mercator"}
    lines, points, _labels = spec["layer"]
    assert {p["name"] for p in points["data"]["values"]} == {"Kibera Youth", "Nyali Youth"}
    assert lines["data"]["values"] == [{"lat": -1.31, "lon": 36.78, "lat2": -4.03, "lon2": 39.71}]


def test_hidden_groups_stay_off_the_map(world, practice):
    spec = practice_spread(world.coordinator_b, practice).map_spec  # cannot see Kibera
    assert spec is not None
    assert len(spec["layer"]) == 2  # points and names, no line: the teaching group is hidden
    assert {p["name"] for p in spec["layer"][0]["data"]["values"]} == {"Nyali Youth"}
    anonymous = practice_spread(None, practice).map_spec  # the public group only
    assert anonymous is not None
    assert {p["name"] for p in anonymous["layer"][0]["data"]["values"]} == {"Nyali Youth"}


def test_practice_page_draws_the_map(client, world, practice):
    client.force_login(world.admin)
    html = client.get(reverse("learning:practice_detail", args=["alpha", practice.pk])).content.decode()
    assert "Where it is used" in html and "<svg" in html
    client.force_login(world.coordinator_b)
    html = client.get(reverse("learning:practice_detail", args=["alpha", practice.pk])).content.decode()
    assert "Where it is used" in html and "Kibera" not in html
