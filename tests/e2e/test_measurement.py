"""Shared measurement in a real browser on the tiny demo: a lead enters last month's figures in the grid
(each value saved as the lead moves on, on a phone too), the coordinator sees completeness and approves
the region, the backbone admin reads the dashboard and downloads the pivot. Screenshots in
/tmp/measurement-*.png."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from minga.demo.generate import DEMO_PASSWORD, demo_collective, generate_demo
from minga.measurement import periods
from minga.measurement.models import Approval, DataValue
from minga.people.models import Membership

pytestmark = pytest.mark.e2e


def _log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()


def test_lead_reports_coordinator_approves_backbone_reads_the_dashboard(
    page: Page, transactional_db: Any, log_in: Callable[[str, str], None], shot: Callable[[str], Path]
) -> None:
    generate_demo(size="tiny", seed=7, today=timezone.localdate(), with_metrics=False)
    collective = demo_collective()
    assert collective is not None
    slug = collective.slug
    lead_group = Membership.objects.get(person__user__email="lead@demo.minga.local", role="lead").group
    region = Membership.objects.filter(person__user__email="coordinator@demo.minga.local").first()
    assert region is not None
    month = periods.period_for(periods.MONTH, timezone.localdate()).previous().code

    # 1. The lead opens the grid of last month from the navigation and types two figures.
    log_in("lead@demo.minga.local", DEMO_PASSWORD)
    page.goto(reverse("architecture:collective_home", args=[slug]))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Measurement").click()
    page.get_by_role("link", name="Enter data").first.click()
    page.get_by_role("link", name=month).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(lead_group.name)
    members = page.get_by_label("Members active", exact=True)
    members.fill("27")
    members.press("Enter")  # moves on, and the row saves itself
    expect(page.locator("tr", has=members).locator(".cell-status")).to_contain_text("Saved")
    women = page.get_by_label("Women among active members", exact=True)
    women.fill("40")  # more women than members: kept, with the broken rule shown
    women.press("Enter")
    expect(page.locator("tr", has=women).locator(".cell-status")).to_contain_text(
        "Women within active members"
    )
    meetings = page.get_by_label("Meetings held", exact=True)
    meetings.fill("many")
    meetings.press("Enter")
    expect(page.locator("tr", has=meetings).locator(".cell-status")).to_contain_text("is not a number")
    shot("entry grid")
    page.screenshot(path="/tmp/measurement-entry.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path="/tmp/measurement-entry-phone.png", full_page=False)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert (
        DataValue.objects.get(group=lead_group, period__code=month, indicator__code="members_active").value
        == 27
    )
    _log_out(page)

    # 2. The coordinator sees who reported in the region and approves it.
    log_in("coordinator@demo.minga.local", DEMO_PASSWORD)
    page.goto(f"{reverse('measurement:completeness', args=[slug])}?within={region.group_id}&period={month}")
    expect(page.get_by_role("heading", name="Reporting")).to_be_visible()
    page.get_by_role("button", name=re.compile("^Approve")).click()
    expect(page.get_by_role("status")).to_contain_text("approved and locked")
    shot("completeness")
    page.screenshot(path="/tmp/measurement-completeness.png", full_page=True)
    assert Approval.objects.in_force().filter(group_id=region.group_id, period__code=month).exists()
    _log_out(page)

    # 3. The backbone admin reads the dashboard, drills into a country and downloads the pivot.
    log_in("admin@demo.minga.local", DEMO_PASSWORD)
    page.goto(reverse("measurement:dashboard", args=[slug]) + "?indicator=members_active")
    expect(page.get_by_role("heading", name="Members active")).to_be_visible()
    expect(page.locator("figure.chart svg").first).to_be_visible()
    expect(page.get_by_role("heading", name="Map")).to_be_visible()
    shot("dashboard")
    page.screenshot(path="/tmp/measurement-dashboard.png", full_page=True)
    page.get_by_role("textbox", name="Name (required)").fill("Members across the network")
    page.get_by_role("button", name="Save the dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Members across the network")
    expect(page.locator("figure.chart.map svg")).to_be_visible()
    page.screenshot(path="/tmp/measurement-saved-dashboard.png", full_page=True)
    page.get_by_role("link", name="← Dashboard").click()
    expect(page.get_by_role("link", name="Members across the network")).to_be_visible()
    page.get_by_role("link", name="Pivot table").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="XLSX").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    page.screenshot(path="/tmp/measurement-pivot.png", full_page=True)


def test_backbone_defines_an_indicator_and_sees_errors_per_field(
    page: Page, transactional_db: Any, log_in: Callable[[str, str], None], shot: Callable[[str], Path]
) -> None:
    from minga.measurement.models import Indicator

    generate_demo(size="tiny", seed=7, today=timezone.localdate(), with_metrics=False)
    collective = demo_collective()
    assert collective is not None
    log_in("admin@demo.minga.local", DEMO_PASSWORD)
    page.goto(reverse("measurement:indicator_list", args=[collective.slug]))
    page.get_by_role("link", name="New indicator").click()
    page.get_by_role("textbox", name="Code (required)").fill("water_points")
    page.get_by_role("textbox", name="Name (required)").fill("Water points repaired")
    page.get_by_label("Unit", exact=True).fill("water points")
    page.get_by_label("Min value").fill("10")
    page.get_by_label("Max value").fill("5")
    page.get_by_role("button", name="Define the indicator").click()
    expect(page.locator(".field.has-error")).to_contain_text("can't be below the minimum")
    page.screenshot(path="/tmp/measurement-indicator-form.png", full_page=True)
    shot("indicator form")
    page.get_by_label("Max value").fill("50")
    page.get_by_role("button", name="Define the indicator").click()
    expect(page.get_by_role("status")).to_contain_text("Water points repaired is defined")
    assert Indicator.objects.get(collective=collective, code="water_points").max_value == 50
