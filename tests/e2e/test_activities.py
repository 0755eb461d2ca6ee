"""Collective activities in a real browser, on the demo collective: the five areas side by side, an
outcome's contribution map, a campaign thermometer, themes across regions, and the public view of a
story (no teller's name). Screenshots go to the session's folder and to /tmp/activities-*.png."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Count
from django.urls import reverse
from playwright.sync_api import Page, expect

from minga.activities.models import Campaign, Outcome, OutcomeStatus, Story
from minga.core.choices import Visibility
from minga.demo.generate import DEMO_PASSWORD, demo_collective, generate_demo

pytestmark = pytest.mark.e2e


def test_admin_reads_the_five_areas_and_a_contribution_map(
    page: Page, transactional_db: Any, log_in: Callable[[str, str], None], shot: Callable[[str], Path]
) -> None:
    generate_demo(size="tiny", seed=7, today=dt.date.today(), with_metrics=False)
    collective = demo_collective()
    assert collective is not None
    slug = collective.slug

    def keep(step: str) -> None:
        shutil.copy(shot(step), f"/tmp/activities-{step.replace(' ', '-')}.png")

    log_in("admin@demo.minga.local", DEMO_PASSWORD)
    page.goto(reverse("activities:areas", args=[slug]))
    expect(page.get_by_role("heading", name="Strengthening data systems")).to_be_visible()
    expect(page.locator("figure.chart svg")).to_be_visible()
    keep("five areas")
    page.get_by_role("table").get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Five areas:")
    keep("five areas subtree")

    outcome = (
        Outcome.objects.filter(collective=collective, status=OutcomeStatus.PUBLISHED)
        .annotate(n=Count("contributing_activities"))
        .order_by("-n", "id")
        .first()
    )
    assert outcome is not None
    page.goto(reverse("activities:outcome_detail", args=[slug, outcome.pk]))
    expect(page.locator("svg.contribution-map")).to_be_visible()
    expect(page.locator("svg.contribution-map")).to_contain_text("Activities")
    keep("contribution map")

    campaign = Campaign.objects.filter(activity__collective=collective).order_by("id").first()
    assert campaign is not None
    page.goto(reverse("activities:campaign_detail", args=[slug, campaign.pk]))
    expect(page.locator(".thermo span")).to_be_visible()
    keep("campaign")

    page.goto(reverse("activities:story_themes", args=[slug]))
    expect(page.get_by_role("link", name="water", exact=True)).to_be_visible()
    keep("themes")

    page.goto(reverse("activities:activity_calendar", args=[slug]))
    keep("calendar")


def test_the_public_reads_a_story_without_its_teller(
    page: Page, transactional_db: Any, shot: Callable[[str], Path]
) -> None:
    generate_demo(size="tiny", seed=7, today=dt.date.today(), with_metrics=False)
    collective = demo_collective()
    assert collective is not None
    story = (
        Story.objects.filter(collective=collective, visibility=Visibility.PUBLIC, group__visibility="public")
        .order_by("id")
        .first()
    )
    assert story is not None and story.teller_name
    page.goto(reverse("activities:story_detail", args=[collective.slug, story.pk]))
    expect(page.get_by_role("heading", level=1)).to_have_text(story.title)
    expect(page.locator("main")).not_to_contain_text(story.teller_name.split(",")[0] + ",")
    expect(page.locator("main")).to_contain_text(re.compile("Told by a member of"))
    shot("public story")
