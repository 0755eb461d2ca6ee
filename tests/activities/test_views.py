"""The activities pages: scoping (404 for forbidden), forms, the five areas, campaign, institution
timeline, the contribution map, stories without personal data for the public, query-count pins."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from minga.activities.models import Activity, Attendance, InstitutionContact, OutcomeStatus
from tests.conftest import World
from tests.factories.activities import (
    make_activity,
    make_campaign,
    make_consenting_person,
    make_engagement,
    make_institution,
    make_outcome,
    make_policy_outcome,
    make_signup,
    make_story,
)

pytestmark = pytest.mark.django_db


def _client(user: Any = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _url(name: str, *args: Any) -> str:
    return reverse(f"activities:{name}", args=["alpha", *args])


def test_list_hides_private_groups_activities_and_pins_queries(
    world: World, django_assert_max_num_queries: Any
) -> None:
    for i in range(30):
        make_activity(world.kibera if i % 3 == 0 else world.region_b, title=f"Meeting {i}")
    with django_assert_max_num_queries(9):
        public = _client().get(_url("activity_list"))
    assert public.status_code == 200
    assert public.content.decode().count("Meeting ") == 20
    client = _client(world.admin)
    with django_assert_max_num_queries(12):
        admin = client.get(_url("activity_list"), {"area": "movement", "q": "Meeting"})
    assert admin.content.decode().count("Meeting ") == 30
    filtered = _client(world.admin).get(_url("activity_list"), {"group": world.region_a.pk})
    assert filtered.content.decode().count("Meeting ") == 10


def test_activity_page_is_404_outside_reach_and_names_only_consented_people(world: World) -> None:
    activity = make_activity(world.kibera, title="Savings circle")
    person = make_consenting_person(world.kibera, full_name="Zawadi Mwangi")
    Attendance.objects.create(activity=activity, person=person)
    url = _url("activity_detail", activity.pk)
    assert _client().get(url).status_code == 404
    assert _client(world.coordinator_b).get(url).status_code == 404
    assert _client(world.beta_admin).get(url).status_code == 404
    page = _client(world.lead).get(url).content.decode()
    assert "Zawadi Mwangi" in page
    public_activity = make_activity(world.region_a, title="Open forum")
    Attendance.objects.create(activity=public_activity, person=person)
    assert "Zawadi" not in _client().get(_url("activity_detail", public_activity.pk)).content.decode()


def test_lead_records_an_activity_through_the_form(world: World) -> None:
    client = _client(world.lead)
    assert client.get(_url("activity_create")).status_code == 200
    response = client.post(
        _url("activity_create"),
        {
            "title": "Water point mapping",
            "area": "data",
            "group": world.kibera.pk,
            "starts_on": "2025-04-02",
            "status": "done",
            "participants_total": "25",
            "participation": "women: 14\nyouth: 9",
            "visibility": "public",
        },
    )
    activity = Activity.objects.get(title="Water point mapping")
    assert response.status_code == 302
    assert activity.participation == {"women": 14, "youth": 9}
    bad = client.post(
        _url("activity_create"),
        {
            "title": "x",
            "area": "data",
            "group": world.kibera.pk,
            "starts_on": "2025-04-02",
            "status": "done",
            "participants_total": "5",
            "participation": "women: 9",
            "visibility": "public",
        },
    )
    assert bad.status_code == 422
    assert "more than the 5 participants" in bad.content.decode()
    other = client.post(
        _url("activity_create"),
        {
            "title": "x",
            "area": "data",
            "group": world.mombasa.pk,
            "starts_on": "2025-04-02",
            "status": "done",
            "participants_total": "0",
            "visibility": "public",
        },
    )
    assert other.status_code == 422  # not a choice for this lead
    assert _client(world.coordinator_b).get(_url("activity_edit", activity.pk)).status_code == 404


def test_calendar_shows_the_month(world: World) -> None:
    make_activity(world.region_a, title="Budget hearing", starts_on=dt.date(2025, 6, 12))
    page = _client().get(_url("activity_calendar"), {"month": "2025-06"}).content.decode()
    assert "Budget hearing" in page and "June 2025" in page
    assert (
        "Budget hearing"
        not in _client().get(_url("activity_calendar"), {"month": "2025-07"}).content.decode()
    )


def test_five_areas_side_by_side_with_momentum_and_group_matrix(world: World) -> None:
    today = timezone.localdate()
    for i, area in enumerate(["movement", "data", "institutions", "learning", "systemic", "movement"]):
        make_activity(
            world.region_a, area=area, starts_on=today - dt.timedelta(days=40 * i), participants_total=10
        )
    page = _client().get(_url("areas")).content.decode()
    assert "Strengthening data systems" in page and "Investing in systemic solutions" in page
    assert "<svg" in page  # momentum chart
    assert "Kenya" in page  # the matrix row of the top group
    sub = _client().get(_url("areas"), {"group": world.kenya.pk}).content.decode()
    assert "Nairobi" in sub and "Coast" in sub
    assert _client().get(_url("areas"), {"group": world.kibera.pk}).status_code == 404


def test_campaign_page_has_a_thermometer_and_takes_signups(world: World) -> None:
    campaign = make_campaign(world.kenya, goal=400, starts_on=dt.date(2025, 1, 1))
    make_signup(campaign, world.region_a, 100, dt.date(2025, 2, 1))
    make_signup(campaign, world.region_b, 50, dt.date(2025, 2, 20))
    url = _url("campaign_detail", campaign.pk)
    page = _client().get(url).content.decode()
    assert "150" in page and "37.5%" in page and "<svg" in page
    client = _client(world.coordinator_a)
    response = client.post(url, {"group": world.region_a.pk, "count": "20", "signed_on": "2025-03-01"})
    assert response.status_code == 302
    assert "170" in _client().get(url).content.decode()
    assert (
        _client(world.coordinator_b)
        .post(url, {"group": world.region_a.pk, "count": "5", "signed_on": "2025-03-01"})
        .status_code
        == 422
    )


def test_institution_timeline_and_contacts(world: World) -> None:
    institution = make_institution(world.alpha, name="Ministry of Water")
    make_engagement(institution, world.region_a, summary="Presented the kiosk survey")
    make_engagement(institution, world.kibera, summary="Private group meeting")
    make_policy_outcome(institution, world.region_a, title="Kiosk tariff cap", decided_on=dt.date(2025, 9, 1))
    person = make_consenting_person(world.region_a, full_name="Grace Wairimu")
    InstitutionContact.objects.create(institution=institution, role="Permanent Secretary", person=person)
    page = _client().get(_url("institution_detail", institution.pk)).content.decode()
    assert "Presented the kiosk survey" in page and "Kiosk tariff cap" in page
    assert "Private group meeting" not in page
    assert "Permanent Secretary" in page and "Grace Wairimu" not in page
    assert (
        "Grace Wairimu"
        in _client(world.admin).get(_url("institution_detail", institution.pk)).content.decode()
    )
    listing = _client().get(_url("institution_list")).content.decode()
    assert "Ministry of Water" in listing


def test_outcome_page_draws_the_contribution_map_and_reviews(world: World) -> None:
    survey = make_activity(world.region_a, title="Kiosk price survey", participants=[world.kenya])
    hidden = make_activity(world.kibera, title="Hidden circle")
    institution = make_institution(world.alpha)
    policy = make_policy_outcome(institution, world.region_a, title="Tariff cap adopted")
    outcome = make_outcome(
        world.region_a,
        title="Prices fell",
        sources="Gazette",
        substantiated_by="Ward office",
        contribution="Survey and hearings",
    )
    outcome.contributing_activities.set([survey, hidden])
    outcome.contributing_groups.set([world.kenya])
    outcome.policy_outcomes.set([policy])
    url = _url("outcome_detail", outcome.pk)
    assert _client().get(url).status_code == 404  # a draft
    page = _client(world.coordinator_a).get(url).content.decode()
    assert "<svg" in page and "Kiosk price survey" in page and "Tariff cap adopted" in page
    assert "Hidden circle" in page  # coordinator_a reaches Kibera
    assert "Hidden circle" not in _client(world.coordinator_b).get(url).content.decode()
    response = _client(world.coordinator_a).post(
        _url("outcome_transition", outcome.pk), {"to": "substantiated"}
    )
    assert response.status_code == 302
    outcome.refresh_from_db()
    assert outcome.status == OutcomeStatus.SUBSTANTIATED
    _client(world.admin).post(_url("outcome_transition", outcome.pk), {"to": "published"})
    outcome.refresh_from_db()
    assert outcome.status == OutcomeStatus.PUBLISHED
    public = _client().get(url).content.decode()
    assert "Kiosk price survey" in public and "Hidden circle" not in public


def test_outcome_list_query_count(world: World, django_assert_max_num_queries: Any) -> None:
    for _ in range(15):
        make_outcome(world.region_b, status=OutcomeStatus.PUBLISHED)
    with django_assert_max_num_queries(6):
        assert _client().get(_url("outcome_list")).status_code == 200


def test_stories_never_show_the_teller_to_the_public(world: World) -> None:
    make_story(world.region_a, title="The day the tap ran", teller_name="Mama Njeri", themes=["water"])
    make_story(world.region_b, title="Coast water", themes=["water", "women"])
    public = _client().get(_url("story_list")).content.decode()
    assert "The day the tap ran" in public and "Mama Njeri" not in public
    assert "Mama Njeri" in _client(world.coordinator_b).get(_url("story_list")).content.decode()
    themes = _client().get(_url("story_themes")).content.decode()
    assert "Nairobi" in themes and "Coast" in themes and "water" in themes
    lead = _client(world.lead)
    missing = lead.post(
        _url("story_create"),
        {
            "title": "t",
            "text": "x",
            "group": world.kibera.pk,
            "consent_note": "",
            "told_on": "2025-01-01",
            "visibility": "public",
        },
    )
    assert missing.status_code == 422


def test_other_list_pages_keep_a_constant_query_count(
    world: World, django_assert_max_num_queries: Any
) -> None:
    institution = make_institution(world.alpha)
    for i in range(12):
        make_engagement(make_institution(world.alpha), world.region_a)
        make_story(world.region_a if i % 2 else world.region_b, themes=["water", f"t{i % 3}"])
        campaign = make_campaign(world.kenya)
        make_signup(campaign, world.region_a, 5)
        make_policy_outcome(institution, world.region_b)
    client = _client(world.coordinator_a)
    for name, limit in (
        ("institution_list", 10),
        ("story_list", 9),
        ("story_themes", 9),
        ("campaign_list", 8),
        ("areas", 12),
    ):
        with django_assert_max_num_queries(limit):
            assert client.get(_url(name)).status_code == 200, name
    with django_assert_max_num_queries(12):
        assert client.get(_url("institution_detail", institution.pk)).status_code == 200
