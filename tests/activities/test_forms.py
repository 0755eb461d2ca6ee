"""The write pages beyond the activity form: edit, campaign, institution, engagement, outcome, story."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from minga.activities.models import (
    Area,
    Campaign,
    Engagement,
    Institution,
    Outcome,
    OutcomeStatus,
    Story,
)
from tests.conftest import World
from tests.factories.activities import make_activity, make_institution, make_outcome, make_story

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _url(name: str, *args: Any) -> str:
    return reverse(f"activities:{name}", args=["alpha", *args])


def test_edit_form_shows_and_saves_participation(world: World) -> None:
    activity = make_activity(world.kibera, participants_total=20, participation={"women": 12})
    client = _client(world.lead)
    page = client.get(_url("activity_edit", activity.pk)).content.decode()
    assert "women: 12" in page
    response = client.post(
        _url("activity_edit", activity.pk),
        {"title": "Renamed", "area": "learning", "group": world.kibera.pk,
         "participants": [world.region_a.pk], "starts_on": "2025-06-01", "status": "done",
         "participants_total": "20", "participation": "women: 15", "visibility": "collective",
         "code": activity.code},
    )  # fmt: skip
    assert response.status_code == 302
    activity.refresh_from_db()
    assert (activity.title, activity.area, activity.participation) == ("Renamed", "learning", {"women": 15})
    assert list(activity.participants.all()) == [world.region_a]
    hidden = client.post(
        _url("activity_edit", activity.pk),
        {"title": "Renamed", "area": "learning", "group": world.kibera.pk, "participants": [world.mombasa.pk],
         "starts_on": "2025-06-01", "status": "done", "participants_total": "20", "visibility": "public"},
    )  # fmt: skip
    assert hidden.status_code == 422  # Mombasa is private and out of the lead's sight: not a choice


def test_campaign_from_a_movement_activity(world: World) -> None:
    activity = make_activity(world.kibera, area=Area.MOVEMENT)
    client = _client(world.lead)
    response = client.post(_url("campaign_create", activity.pk), {"goal": "300", "unit": "pledges"})
    campaign = Campaign.objects.get(activity=activity)
    assert response.status_code == 302 and campaign.goal == 300
    data = make_activity(world.kibera, area=Area.DATA)
    refused = client.post(_url("campaign_create", data.pk), {"goal": "300", "unit": "pledges"})
    assert refused.status_code == 422 and "movement-building" in refused.content.decode()


def test_institution_and_engagement_forms(world: World) -> None:
    client = _client(world.coordinator_a)
    response = client.post(
        _url("institution_create"),
        {"name": "Nairobi Water Board", "kind": "agency", "level": "regional", "group": world.region_a.pk},
    )
    institution = Institution.objects.get(name="Nairobi Water Board")
    assert response.status_code == 302 and institution.group == world.region_a
    missing_group = client.post(_url("institution_create"), {"name": "X", "kind": "agency", "level": "local"})
    assert missing_group.status_code == 422
    recorded = client.post(
        _url("institution_detail", institution.pk),
        {
            "group": world.kibera.pk,
            "kind": "meeting",
            "occurred_on": "2025-05-02",
            "summary": "Met the board",
        },
    )
    assert recorded.status_code == 302
    assert Engagement.objects.get(institution=institution).group == world.kibera
    other = make_institution(world.alpha)
    assert _client(world.member).post(
        _url("institution_detail", other.pk),
        {"group": world.kibera.pk, "kind": "meeting", "occurred_on": "2025-05-02", "summary": "x"},
    ).status_code in (302, 200)
    assert not Engagement.objects.filter(institution=other).exists()  # a member has no group to act for


def test_outcome_forms_and_review(world: World) -> None:
    activity = make_activity(world.kibera)
    client = _client(world.lead)
    response = client.post(
        _url("outcome_create"),
        {"title": "Prices posted", "description": "At every kiosk.", "actor_changed": "County",
         "happened_on": "2025-05-01", "group": world.kibera.pk, "contributing_activities": [activity.pk],
         "contributing_groups": [world.kibera.pk], "sources": "Photos"},
    )  # fmt: skip
    outcome = Outcome.objects.get(title="Prices posted")
    assert response.status_code == 302 and outcome.status == OutcomeStatus.DRAFT
    assert list(outcome.contributing_activities.all()) == [activity]
    edit = client.post(
        _url("outcome_edit", outcome.pk),
        {"title": "Prices posted at kiosks", "description": "At every kiosk.", "actor_changed": "County",
         "happened_on": "2025-05-01", "group": world.kibera.pk, "sources": "Photos",
         "contributing_activities": [activity.pk]},
    )  # fmt: skip
    assert edit.status_code == 302
    outcome.refresh_from_db()
    assert outcome.title == "Prices posted at kiosks" and outcome.actor == "County"
    # The lead cannot substantiate: the page says why and nothing changes.
    refused = client.post(_url("outcome_transition", outcome.pk), {"to": "substantiated"}, follow=True)
    assert "coordinator" in refused.content.decode()
    outcome.refresh_from_db()
    assert outcome.status == OutcomeStatus.DRAFT
    coordinator = _client(world.coordinator_a)
    page = coordinator.get(_url("outcome_detail", outcome.pk)).content.decode()
    assert "Mark substantiated" in page
    coordinator.post(
        _url("outcome_transition", outcome.pk), {"to": "substantiated", "substantiated_by": "Chief"}
    )
    outcome.refresh_from_db()
    assert outcome.status == OutcomeStatus.SUBSTANTIATED and outcome.substantiated_by == "Chief"
    assert client.get(_url("outcome_edit", outcome.pk)).status_code == 200
    locked = client.post(
        _url("outcome_edit", outcome.pk),
        {"title": "Changed", "description": "x", "actor_changed": "County", "happened_on": "2025-05-01",
         "group": world.kibera.pk},
    )  # fmt: skip
    assert locked.status_code == 422
    substantiated = make_outcome(world.mombasa, status=OutcomeStatus.SUBSTANTIATED)
    assert client.get(_url("outcome_edit", substantiated.pk)).status_code == 404


def test_story_form_and_withdrawal(world: World) -> None:
    client = _client(world.lead)
    response = client.post(
        _url("story_create"),
        {"title": "Our first loan", "text": "We saved for a year.", "group": world.kibera.pk,
         "teller_name": "Amina", "consent_note": "Signed form", "told_on": "2025-02-02",
         "themes": "Savings, dignity", "visibility": "public"},
    )  # fmt: skip
    story = Story.objects.get(title="Our first loan")
    assert response.status_code == 302 and story.themes == ["savings", "dignity"]
    assert _client(world.coordinator_b).post(_url("story_withdraw", story.pk)).status_code == 404
    assert client.post(_url("story_withdraw", story.pk)).status_code == 302
    assert not Story.objects.filter(pk=story.pk).exists()
    other = make_story(world.mombasa)
    assert client.post(_url("story_withdraw", other.pk)).status_code == 404
