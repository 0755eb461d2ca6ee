"""Pathways in a real browser on the tiny demo: a lead sends evidence, a coordinator verifies it, and
the funnel and the strategy timeline are legible (screenshots in /tmp/pathways-*.png)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from minga.demo.generate import DEMO_PASSWORD, demo_collective, generate_demo
from minga.pathways.models import GroupProgress, Pathway, ProgressEntry
from minga.people.models import Membership

pytestmark = pytest.mark.e2e


def _log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()


def test_lead_sends_evidence_coordinator_verifies_and_the_funnel_tells_the_story(
    page: Page, transactional_db: Any, log_in: Callable[[str, str], None], shot: Callable[[str], Path]
) -> None:
    generate_demo(size="tiny", seed=7, today=timezone.localdate(), with_metrics=False)
    collective = demo_collective()
    assert collective is not None
    pathway = Pathway.objects.get(collective=collective)
    slug = collective.slug
    lead_group = Membership.objects.get(person__user__email="lead@demo.minga.local", role="lead").group
    # Where the demo put the lead's group depends on the day; start the walk from the first stage, so the
    # next one ("Trained") asks for a coordinator's verification.
    GroupProgress.objects.filter(pathway=pathway, group=lead_group).update(
        stage=pathway.stages.get(order=0), stage_entered_on=timezone.localdate() - dt.timedelta(days=90)
    )

    # 1. The lead finds the pathway from the navigation and opens their group's journey.
    log_in("lead@demo.minga.local", DEMO_PASSWORD)
    page.goto(reverse("architecture:collective_home", args=[slug]))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Pathways").click()
    page.get_by_role("link", name=pathway.name).click()
    expect(page.get_by_role("heading", name="Vision")).to_be_visible()
    shot("pathway page")
    page.screenshot(path="/tmp/pathways-pathway.png", full_page=True)
    page.get_by_role("link", name=lead_group.name).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(lead_group.name)

    # 2. They confirm the next stage's criteria, describe what the group did and send it.
    for box in page.get_by_role("group", name=re.compile("Entry criteria")).get_by_role("checkbox").all():
        box.check()
    page.get_by_label("What the group did").fill("Both facilitators finished the course in March.")
    page.get_by_role("button", name=re.compile("Send for verification|Move to")).click()
    expect(page.get_by_role("status")).to_contain_text(re.compile("Sent|is now at"))
    page.screenshot(path="/tmp/pathways-journey.png", full_page=True)
    shot("journey after sending")
    sent = ProgressEntry.objects.filter(group=lead_group).order_by("-id").first()
    assert sent is not None and sent.evidence.startswith("Both facilitators")
    _log_out(page)

    # 3. The coordinator of the lead's region verifies the move from the queue.
    log_in("coordinator@demo.minga.local", DEMO_PASSWORD)
    page.goto(reverse("pathways:verification_queue", args=[slug, pathway.pk]))
    expect(page.get_by_role("heading", name="Verification queue")).to_be_visible()
    shot("verification queue")
    page.screenshot(path="/tmp/pathways-queue.png", full_page=True)
    assert sent.status == ProgressEntry.Status.PENDING
    page.get_by_role("button", name=f"Verify {lead_group.name}").click()
    expect(page.get_by_role("status")).to_contain_text(lead_group.name)
    sent.refresh_from_db()
    assert sent.status == ProgressEntry.Status.ACCEPTED
    _log_out(page)

    # 4. The admin sees the measured condition of the last stage on its page, then reads the funnel: a
    # chart and the same figures in a table.
    log_in("admin@demo.minga.local", DEMO_PASSWORD)
    last = pathway.stages.get(name="Self-sustaining")
    page.goto(reverse("pathways:stage_edit", args=[slug, pathway.pk, last.pk]))
    expect(page.get_by_role("heading", name="Measured conditions")).to_be_visible()
    expect(page.get_by_text("Members active ≥ 15 in each of the last 3 reported periods")).to_be_visible()
    page.screenshot(path="/tmp/pathways-stage.png", full_page=True)
    shot("stage with a measured condition")
    page.goto(reverse("pathways:funnel", args=[slug, pathway.pk]))
    expect(page.get_by_role("heading", name="Groups per stage")).to_be_visible()
    expect(page.locator(".funnel-chart svg")).to_be_visible()
    expect(page.get_by_role("rowheader", name="1. Forming")).to_be_visible()
    expect(page.get_by_role("heading", name="Cohorts by start quarter")).to_be_visible()
    page.screenshot(path="/tmp/pathways-funnel.png", full_page=True)
    shot("funnel")

    # 5. The strategy timeline shows decisions and pathway versions, newest first.
    page.goto(reverse("pathways:timeline", args=[slug]))
    expect(page.get_by_role("heading", name="Evidence can be photos and voice notes")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"version 1$"))).to_be_visible()
    page.screenshot(path="/tmp/pathways-timeline.png", full_page=True)
    shot("timeline")
