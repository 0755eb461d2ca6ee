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
from minga.people.models import Person
from tests.factories.core import PASSWORD

pytestmark = pytest.mark.e2e


def person_name(user: Any) -> str:
    return str(Person.objects.get(user=user).full_name)


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

    # 3. The group directory shows the tree from the country down, and a table of groups.
    page.goto(reverse("architecture:group_list", args=[slug]))
    tree = page.get_by_role("navigation", name="Group tree")
    expect(tree.get_by_role("link", name="Kenya", exact=True)).to_be_visible()
    expect(tree.get_by_role("link", name="Nairobi", exact=True)).to_be_hidden()
    shot("group directory")

    # 4. Expanding the country shows its regions.
    toggle = tree.get_by_role("button", name="Sub-groups of Kenya")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(tree.get_by_role("link", name="Nairobi", exact=True)).to_be_visible()
    expect(tree.get_by_role("link", name="Coast", exact=True)).to_be_visible()
    shot("tree expanded")

    # 5. Searching finds a group of the coordinator's subtree…
    # The directory's own search form (the header's site-wide search is another landmark).
    search = page.get_by_role("main").get_by_role("search")
    search.get_by_label(re.compile(r"^Search")).fill("Kibera")
    search.get_by_role("button", name="Search").click()
    results = page.get_by_role("main").get_by_role("table")
    expect(results.get_by_role("link", name="Kibera Youth")).to_be_visible()
    expect(results.get_by_role("link")).to_have_count(1)
    # …and never the private group of another region.
    search.get_by_label(re.compile(r"^Search")).fill("Mombasa")
    search.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"[?&]q=Mombasa"))  # the results for this search are shown
    expect(page.get_by_role("main").get_by_role("link", name="Mombasa Women")).to_have_count(0)
    search.get_by_label(re.compile(r"^Search")).fill("Kibera")
    search.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"[?&]q=Kibera"))  # not the previous page's results, still there
    expect(results.get_by_role("link", name="Kibera Youth")).to_be_visible()
    shot("search results")

    # 6. The group page shows the group and where it sits in the tree.
    results.get_by_role("link", name="Kibera Youth").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kibera Youth")
    breadcrumb = page.get_by_role("navigation", name="Breadcrumb")
    expect(breadcrumb.get_by_role("link", name="Nairobi")).to_be_visible()
    shot("group page")

    # 7. Creating a sub-group of Nairobi: a bad code is explained next to the field…
    breadcrumb.get_by_role("link", name="Nairobi").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nairobi")
    page.get_by_role("link", name="Add a sub-group").click()
    expect(page.get_by_role("main")).to_contain_text("It will be part of Nairobi")
    form = page.get_by_role("main").locator("form")
    form.get_by_label(re.compile(r"^Name\b")).fill("Kawangware Readers")
    form.get_by_label(re.compile(r"^Code\b")).fill("Not a code!")
    form.get_by_label(re.compile(r"^Kind\b")).select_option(label="Grassroots group")
    form.get_by_role("button", name="Create the group").click()
    expect(form.get_by_label(re.compile(r"^Code\b"))).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_text(re.compile("letters, numbers, underscores or hyphens")).first).to_be_visible()
    assert not Group.objects.filter(name="Kawangware Readers").exists(), "step 7: a bad code was saved"
    shot("create group with a bad code")

    # …and a good one creates it under Nairobi and opens its page.
    form.get_by_label(re.compile(r"^Code\b")).fill("ke-nai-kaw")
    form.get_by_role("button", name="Create the group").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kawangware Readers")
    expect(
        page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Nairobi")
    ).to_be_visible()
    created = Group.objects.get(collective=world.alpha, code="ke-nai-kaw")
    assert created.parent_id == world.region_a.pk, "step 7: the new group is not under Nairobi"
    assert created.path == f"{world.region_a.path}{created.pk}/"
    shot("group created")

    # 8. The map draws the groups that have a place and the coordinator may see (Kibera, not Mombasa).
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Map").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Map of groups")
    expect(page.get_by_role("region", name=re.compile("^Map of the groups"))).to_be_visible()
    expect(page.locator("#map-status")).to_have_text("1 group on the map.")
    shot("map")

    # 9. The network page draws the groups the coordinator may see.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Network").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Network")
    expect(page.get_by_role("region", name=re.compile("^Network of groups"))).to_be_visible()
    expect(page.locator("#network-status")).to_contain_text("6 groups")
    expect(page.locator("#network canvas").first).to_be_visible()
    shot("network")

    # 10. The people page lists the people of the coordinator's region, not those of another region.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    people = page.get_by_role("main")
    expect(people.get_by_role("link", name=person_name(world.lead), exact=True)).to_be_visible()
    expect(people.get_by_role("link", name=person_name(world.member), exact=True)).to_be_visible()
    expect(people.get_by_role("link", name=person_name(world.coordinator_b), exact=True)).to_have_count(0)
    shot("people")

    # 11. The API documentation renders the OpenAPI spec, from our own static files.
    page.goto("/api/v1/docs")
    expect(page.get_by_text("Minga API").first).to_be_visible()
    expect(page.locator(".opblock").first).to_be_visible()
    shot("api docs")
