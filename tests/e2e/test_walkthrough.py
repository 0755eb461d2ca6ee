"""A network coordinator's first visit, walked in a real browser, one screenshot per step.

Each step says what a coordinator does and what they should see; a failing step names itself in the
assertion message, so the report reads as "step N (what) failed".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from minga.architecture.models import Group
from tests.factories.core import PASSWORD

pytestmark = pytest.mark.e2e


def test_coordinator_walks_the_collective(
    page: Page, world: Any, log_in: Callable[[str, str], None], shot: Callable[[str], Path]
) -> None:
    slug = world.alpha.slug

    # 1. Log in with email and password.
    log_in(world.coordinator_a.email, PASSWORD)
    shot("logged in")

    # 2. The collective's home page names the collective.
    page.goto(reverse("architecture:collective_home", args=[slug]))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Alpha Collective")
    shot("collective home")

    # 3. The group directory shows the tree from the country down.
    page.goto(reverse("architecture:group_list", args=[slug]))
    directory = page.get_by_role("main")
    expect(directory.get_by_role("link", name="Kenya", exact=True)).to_be_visible()
    shot("group directory")

    # 4. Expanding the country shows its regions.
    page.get_by_role("button", name=re.compile("Kenya|expand", re.I)).first.click()
    expect(directory.get_by_role("link", name="Nairobi", exact=True)).to_be_visible()
    shot("tree expanded")

    # 5. Searching finds a group of the coordinator's subtree…
    search = page.get_by_role("searchbox").first
    search.fill("Kibera")
    search.press("Enter")
    expect(directory.get_by_role("link", name="Kibera Youth")).to_be_visible()
    # …and never one of another region, private to its own people.
    expect(directory.get_by_role("link", name="Mombasa Women")).to_have_count(0)
    shot("search results")

    # 6. The group page shows the group and where it sits in the tree.
    directory.get_by_role("link", name="Kibera Youth").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kibera Youth")
    expect(page.get_by_role("main").get_by_role("link", name="Nairobi").first).to_be_visible()
    shot("group page")

    # 7. Creating a sub-group of Nairobi: a bad code is explained next to the field…
    page.goto(reverse("architecture:group_detail", args=[slug, world.region_a.pk]))
    add_child = re.compile("add a (sub-?group|group)|new (sub-?group|group)", re.I)
    page.get_by_role("link", name=add_child).first.click()
    form = page.locator("form").filter(has=page.get_by_label(re.compile(r"^Code\b")))
    form.get_by_label(re.compile(r"^Name\b")).fill("Kawangware Readers")
    form.get_by_label(re.compile(r"^Code\b")).fill("Not a code!")
    form.get_by_role("button", name=re.compile("create|save|add", re.I)).click()
    expect(page.get_by_text(re.compile("letters, numbers, underscores or hyphens", re.I))).to_be_visible()
    shot("create group with a bad code")

    # …and a good one creates it, under Nairobi, and shows its page.
    form.get_by_label(re.compile(r"^Code\b")).fill("ke-nai-kaw")
    form.get_by_role("button", name=re.compile("create|save|add", re.I)).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kawangware Readers")
    created = Group.objects.get(collective=world.alpha, code="ke-nai-kaw")
    assert created.parent_id == world.region_a.pk, "step 7: the new group is not under Nairobi"
    assert created.path.startswith(world.region_a.path)
    shot("group created")

    # 8. The map draws the groups that have a place.
    page.goto(reverse("architecture:map", args=[slug]))
    expect(page.locator(".leaflet-container")).to_be_visible()
    expect(page.locator(".leaflet-marker-icon, .leaflet-interactive").first).to_be_visible()
    shot("map")

    # 9. The network page draws the groups and their links.
    page.goto(reverse("architecture:network", args=[slug]))
    expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile("network", re.I))
    expect(page.locator("canvas").first).to_be_visible()
    shot("network")

    # 10. The API documentation renders the OpenAPI spec.
    page.goto("/api/v1/docs")
    expect(page.get_by_text("Minga API").first).to_be_visible()
    expect(page.locator(".opblock").first).to_be_visible()
    shot("api docs")
