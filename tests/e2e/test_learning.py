"""Learning in the browser: the learning home, the header search box, a practice with its spread, and
a question answered with citations that link to the exact passage."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from minga.learning import demo
from tests.factories.core import PASSWORD

pytestmark = pytest.mark.e2e


class _Quiet:
    def step(self, label: str, total: int | None = None) -> None:
        pass

    def advance(self, amount: int = 1) -> None:
        pass


def test_search_and_ask_with_citations(
    page: Page, world: Any, shot: Callable[[str], Path], log_in: Callable[[str, str], None]
) -> None:
    demo.populate(
        collective=world.alpha,
        actor=world.superuser,
        size="tiny",
        seed=1,
        today=dt.date(2026, 6, 1),
        progress=_Quiet(),
    )
    log_in(world.admin.email, PASSWORD)
    page.goto(reverse("learning:index", args=["alpha"]))
    expect(page.get_by_role("heading", name="Learning and what works")).to_be_visible()
    shot("learning home")

    page.get_by_label("Search Alpha Collective").fill("water point mapping")
    page.get_by_label("Search Alpha Collective").press("Enter")
    expect(page.locator(".search-results li").first).to_be_visible()
    expect(page.locator(".search-results mark").first).to_be_visible()
    shot("search results")

    page.goto(reverse("learning:index", args=["alpha"]))
    page.get_by_label("Ask what the material says").fill(
        "How is the value of one share calculated at share-out?"
    )
    page.get_by_role("button", name="Ask", exact=True).click()
    citation = page.locator(".citations a").first
    expect(citation).to_be_visible()
    expect(page.locator(".answer .lead")).to_contain_text("[1]")
    shot("answer with citations")
    citation.click()
    expect(page).to_have_url(re.compile(r"#passage-\d+$"))
    expect(page.locator(".passage:target")).to_be_visible()
    shot("cited passage")

    page.goto(reverse("learning:whats_working", args=["alpha"]))
    page.get_by_role("link", name="Savings circles with a three-key lockbox").click()
    expect(page.get_by_role("heading", name="How it spread")).to_be_visible()
    shot("practice page")


def test_groups_in_search_and_adoptions_on_the_map(
    page: Page, world: Any, shot: Callable[[str], Path], log_in: Callable[[str, str], None]
) -> None:
    from minga.learning.models import Adoption
    from tests.factories.architecture import make_group
    from tests.factories.learning import make_practice

    world.kibera.description = "Young people running a water kiosk and a borehole committee."
    world.kibera.save()
    practice = make_practice(world.alpha, actor=world.admin, title="Water point mapping")
    towns = [("Nyali Youth", -4.03, 39.71), ("Kilifi Farmers", -3.63, 39.85), ("Thika Savers", -1.04, 37.07)]
    Adoption.objects.create(practice=practice, group=world.kibera, adopted_on=dt.date(2024, 5, 1))
    Adoption.objects.create(
        practice=practice, group=world.mombasa, adopted_on=dt.date(2024, 9, 1), learned_from=world.kibera
    )
    for n, (name, lat, lon) in enumerate(towns):
        group = make_group(world.alpha, parent=world.region_b, name=name, latitude=lat, longitude=lon)
        Adoption.objects.create(
            practice=practice,
            group=group,
            adopted_on=dt.date(2025, 2 + n, 1),
            learned_from=world.mombasa if n % 2 == 0 else world.kibera,
        )
    log_in(world.admin.email, PASSWORD)
    page.goto(reverse("learning:practice_detail", args=["alpha", practice.pk]))
    expect(page.get_by_role("heading", name="Where it is used")).to_be_visible()
    expect(page.locator("figure.map svg")).to_be_visible()
    shot("practice map")

    page.get_by_label("Search Alpha Collective").fill("borehole kiosk")
    page.get_by_label("Search Alpha Collective").press("Enter")
    expect(page.locator(".search-results li").first).to_contain_text("Kibera Youth")
    shot("search groups")
