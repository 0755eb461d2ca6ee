"""The activities part of the demo: two years across five areas, institutions, outcomes, stories."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from minga.activities.models import (
    Activity,
    Area,
    Campaign,
    CampaignSignup,
    Engagement,
    Institution,
    Outcome,
    PolicyOutcome,
    Story,
)
from minga.demo.generate import demo_collective, generate_demo

TODAY = dt.date(2026, 3, 1)


@pytest.fixture
def demo(db: Any) -> Any:
    result = generate_demo(size="tiny", seed=7, today=TODAY, with_metrics=False)
    return result


def test_two_years_of_activities_in_all_five_areas(demo: Any) -> None:
    collective = demo_collective()
    activities = Activity.objects.filter(collective=collective)
    assert activities.count() == demo.extras["activities"] >= 60
    assert set(activities.values_list("area", flat=True)) == set(Area.values)
    days = list(activities.values_list("starts_on", flat=True))
    assert min(days) <= TODAY - dt.timedelta(days=600) and max(days) > TODAY - dt.timedelta(days=60)
    assert not activities.filter(code="").exists()
    assert Campaign.objects.filter(activity__collective=collective).count() >= 3
    assert CampaignSignup.objects.filter(campaign__activity__collective=collective).exists()


def test_institutions_outcomes_and_stories(demo: Any) -> None:
    collective = demo_collective()
    assert Institution.objects.filter(collective=collective).count() >= 10
    assert Engagement.objects.filter(collective=collective).count() >= 30
    assert PolicyOutcome.objects.filter(collective=collective).count() >= 7
    outcomes = Outcome.objects.filter(collective=collective)
    assert outcomes.count() >= 15
    assert set(outcomes.values_list("status", flat=True)) == {"draft", "substantiated", "published"}
    assert not outcomes.exclude(status="draft").filter(substantiated_by="").exists()
    assert all(o.contributing_activities.exists() for o in outcomes)
    stories = Story.objects.filter(collective=collective)
    assert stories.count() >= 20
    assert not stories.filter(consent_note="").exists()
    themes = {t for s in stories for t in s.themes}
    assert {"water", "savings", "women's leadership"} <= themes
