"""The dashboard's choropleth in a real browser on the tiny demo (whose countries, regions and districts
have made-up boundaries): the backbone admin opens a country's dashboard and sees its regions filled
by their figures, with the table of the same figures. Screenshots in the e2e screenshot folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from minga.architecture.models import Group
from minga.demo.generate import DEMO_PASSWORD, demo_collective, generate_demo

pytestmark = pytest.mark.e2e


def test_the_backbone_sees_a_country_as_a_choropleth_of_its_regions(
    page: Page, transactional_db: Any, log_in: Callable[[str, str], None], shot: Callable[[str], Path]
) -> None:
    generate_demo(size="tiny", seed=7, today=timezone.localdate(), with_metrics=False)
    collective = demo_collective()
    assert collective is not None
    country = Group.objects.filter(collective=collective, kind__code="country").order_by("id").first()
    assert country is not None and country.boundary is not None
    regions = list(Group.objects.filter(parent=country).values_list("name", flat=True))

    log_in("admin@demo.minga.local", DEMO_PASSWORD)
    page.goto(reverse("measurement:dashboard", args=[collective.slug]) + f"?within={country.pk}")
    figure = page.locator("figure.map")
    expect(figure).to_be_visible()
    shapes = figure.locator('svg path[aria-roledescription="geoshape"]')
    expect(shapes).to_have_count(len(regions))
    box = figure.locator("svg").bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 200  # drawn, not collapsed
    expect(figure.locator("figcaption")).to_contain_text("filled by its value")
    page.get_by_text("Figures on the map").click()
    for name in regions:
        expect(
            page.locator("details", has=page.get_by_text("Figures on the map")).locator("table")
        ).to_contain_text(name)
    shot("country choropleth")
