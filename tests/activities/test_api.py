"""The activities API: scoping, consent, review transitions, bad input, idempotency, query counts."""

from __future__ import annotations

from typing import Any

import pytest

from minga.activities.models import Activity, Outcome, OutcomeStatus
from tests.conftest import World
from tests.factories.activities import (
    make_activity,
    make_campaign,
    make_consenting_person,
    make_institution,
    make_outcome,
    make_signup,
    make_story,
)
from tests.factories.api import ApiClient, error_codes, error_fields

pytestmark = pytest.mark.django_db


def _activity_body(world: World, **overrides: Any) -> dict[str, Any]:
    return {
        "collective": "alpha",
        "group_id": world.kibera.pk,
        "area": "movement",
        "title": "Door-to-door water survey",
        "starts_on": "2025-05-10",
        "participants_total": 30,
        "participation": {"women": 18},
        **overrides,
    }


def test_list_is_scoped_and_its_query_count_pinned(world: World, django_assert_max_num_queries: Any) -> None:
    for i in range(12):
        make_activity(world.kibera if i % 2 else world.region_b, participants=[world.mombasa])
    anonymous = ApiClient()
    # The page, then one query each for participating groups, indicators, practices and resources.
    with django_assert_max_num_queries(5):
        body = anonymous.get("/activities", {"collective": "alpha"}).json()
    assert len(body["items"]) == 6  # Kibera is private
    admin = ApiClient(world.admin)
    with django_assert_max_num_queries(11):
        items = admin.get("/activities", {"collective": "alpha", "limit": 100}).json()["items"]
    assert len(items) == 12
    assert items[0]["participating_groups"][0]["code"] == "ke-cst-mom"
    coordinator_b = ApiClient(world.coordinator_b)
    assert len(coordinator_b.get("/activities", {"group": world.region_b.pk}).json()["items"]) == 6
    assert coordinator_b.get("/activities", {"group": world.region_a.pk}).json()["items"] == []
    private = Activity.objects.filter(group=world.kibera).first()
    assert private is not None
    assert ApiClient(world.coordinator_b).get(f"/activities/{private.pk}").status_code == 404
    assert ApiClient(world.beta_admin).get(f"/activities/{private.pk}").status_code == 404


def test_lead_creates_an_activity_once_with_an_idempotency_key(world: World) -> None:
    client = ApiClient(world.lead)
    first = client.post("/activities", _activity_body(world), **{"Idempotency-Key": "act-1"})
    again = client.post("/activities", _activity_body(world), **{"Idempotency-Key": "act-1"})
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert Activity.objects.count() == 1


def test_bad_activity_input_names_the_fields(world: World) -> None:
    client = ApiClient(world.lead)
    response = client.post("/activities", _activity_body(world, group_id=world.mombasa.pk))
    assert response.status_code == 422
    assert error_fields(response) == {"group_id"}
    response = client.post(
        "/activities", _activity_body(world, ends_on="2025-05-01", participation={"women": 99}, type="nope")
    )
    assert response.status_code == 422 and error_fields(response) == {"type"}
    response = client.post(
        "/activities", _activity_body(world, ends_on="2025-05-01", participation={"women": 99})
    )
    assert response.status_code == 422
    assert error_fields(response) == {"ends_on", "participation"}
    response = client.post("/activities", _activity_body(world, participating_group_ids=[world.beta_root.pk]))
    assert error_fields(response) == {"participating_group_ids"}
    assert ApiClient().post("/activities", _activity_body(world)).status_code == 401


def test_attendance_is_consented_and_hidden_from_the_public(world: World) -> None:
    activity = make_activity(world.region_a)
    consenting = make_consenting_person(world.region_a, full_name="Achieng Otieno")
    refusing = make_consenting_person(world.region_a, consent=False)
    admin = ApiClient(world.admin)
    ok = admin.post(f"/activities/{activity.pk}/attendance", {"person_id": consenting.pk})
    assert ok.status_code == 201
    refused = admin.post(f"/activities/{activity.pk}/attendance", {"person_id": refusing.pk})
    assert refused.status_code == 422 and error_codes(refused) == {"consent_required"}
    assert [a["person_name"] for a in admin.get(f"/activities/{activity.pk}/attendance").json()["items"]] == [
        "Achieng Otieno"
    ]
    assert ApiClient().get(f"/activities/{activity.pk}/attendance").json()["items"] == []
    assert ApiClient(world.coordinator_b).get(f"/activities/{activity.pk}/attendance").json()["items"] == []


def test_campaign_thermometer_and_signups(world: World) -> None:
    campaign = make_campaign(world.kenya, goal=200)
    make_signup(campaign, world.region_a, 50)
    response = ApiClient(world.coordinator_a).post(
        f"/campaigns/{campaign.pk}/signups",
        {"group_id": world.kibera.pk, "count": 30, "signed_on": "2025-06-02"},
    )
    assert response.status_code == 201
    body = ApiClient().get(f"/campaigns/{campaign.pk}").json()
    assert (body["total"], body["percent"]) == (80, 40.0)
    bad = ApiClient(world.coordinator_b).post(
        f"/campaigns/{campaign.pk}/signups",
        {"group_id": world.kibera.pk, "count": 0, "signed_on": "2025-06-02"},
    )
    assert bad.status_code == 422


def test_institutions_engagements_and_policy_outcomes(world: World) -> None:
    client = ApiClient(world.coordinator_a)
    inst = client.post(
        "/institutions",
        {
            "collective": "alpha",
            "name": "Nairobi Water Board",
            "kind": "agency",
            "level": "regional",
            "group_id": world.region_a.pk,
        },
    )
    assert inst.status_code == 201, inst.json()
    iid = inst.json()["id"]
    eng = client.post(
        "/engagements",
        {
            "institution_id": iid,
            "group_id": world.kibera.pk,
            "kind": "submission",
            "occurred_on": "2025-02-01",
            "summary": "Submitted kiosk price survey",
            "asks": "Publish tariffs",
        },
    )
    assert eng.status_code == 201
    policy = client.post(
        "/policy-outcomes",
        {
            "institution_id": iid,
            "group_id": world.region_a.pk,
            "title": "Tariffs posted at kiosks",
            "kind": "practice",
            "status": "adopted",
            "contribution": "Survey data and hearings",
            "engagement_ids": [eng.json()["id"]],
        },
    )
    assert policy.status_code == 201 and policy.json()["engagement_ids"] == [eng.json()["id"]]
    contact = client.post(f"/institutions/{iid}/contacts", {"role": "Chief executive"})
    assert contact.status_code == 201
    assert ApiClient().get(f"/institutions/{iid}/contacts").json() == [
        {"id": contact.json()["id"], "role": "Chief executive", "name": None}
    ]
    # private Kibera's engagement is not public
    assert ApiClient().get("/engagements", {"institution": iid}).json()["items"] == []
    other = make_institution(world.alpha)
    assert (
        ApiClient(world.coordinator_b).patch(f"/institutions/{other.pk}", {"notes": "x"}).status_code == 404
    )


def test_outcome_review_over_the_api(world: World) -> None:
    activity = make_activity(world.kibera)
    lead = ApiClient(world.lead)
    created = lead.post(
        "/outcomes",
        {
            "collective": "alpha",
            "group_id": world.kibera.pk,
            "title": "Chief opens the water committee",
            "description": "Women now sit on the committee.",
            "actor": "Location chief",
            "happened_on": "2025-04-01",
            "contributing_activity_ids": [activity.pk],
        },
    )
    assert created.status_code == 201, created.json()
    oid = created.json()["id"]
    assert created.json()["status"] == "draft"
    refused = lead.post(f"/outcomes/{oid}/transition", {"to": "substantiated"})
    assert refused.status_code == 422 and error_codes(refused) == {"reviewer_required"}
    coord = ApiClient(world.coordinator_a)
    missing = coord.post(f"/outcomes/{oid}/transition", {"to": "substantiated"})
    assert error_codes(missing) == {"sources_required", "substantiation_required"}
    assert lead.patch(f"/outcomes/{oid}", {"sources": "Committee minutes"}).status_code == 200
    ok = coord.post(
        f"/outcomes/{oid}/transition", {"to": "substantiated", "substantiated_by": "Ward administrator"}
    )
    assert ok.status_code == 200 and ok.json()["status"] == "substantiated"
    assert ApiClient().get(f"/outcomes/{oid}").status_code == 404  # not published yet
    assert coord.post(f"/outcomes/{oid}/transition", {"to": "published"}).json()["status"] == "published"
    # Kibera is private: even published, the public does not see its outcome
    assert ApiClient().get(f"/outcomes/{oid}").status_code == 404
    assert ApiClient(world.coordinator_b).get(f"/outcomes/{oid}").status_code == 404  # nor another region
    assert ApiClient(world.admin).get(f"/outcomes/{oid}").status_code == 200
    assert Outcome.objects.get(pk=oid).status == OutcomeStatus.PUBLISHED
    assert (
        ApiClient(world.member).post(f"/outcomes/{oid}/transition", {"to": "substantiated"}).status_code
        == 404
    )


def test_outcome_list_query_count(world: World, django_assert_max_num_queries: Any) -> None:
    for _ in range(10):
        make_outcome(world.region_b, status=OutcomeStatus.PUBLISHED)
    with django_assert_max_num_queries(6):
        items = ApiClient().get("/outcomes", {"collective": "alpha"}).json()["items"]
    assert len(items) == 10


def test_stories_hide_the_teller_from_the_public_and_need_consent(world: World) -> None:
    make_story(world.region_a, teller_name="Mama Njeri", themes=["water", "women"])
    public = ApiClient().get("/stories", {"collective": "alpha"}).json()["items"]
    assert [s["teller_name"] for s in public] == [None]
    assert ApiClient(world.coordinator_b).get("/stories").json()["items"][0]["teller_name"] == "Mama Njeri"
    assert len(ApiClient().get("/stories", {"theme": "water"}).json()["items"]) == 1
    assert ApiClient().get("/stories", {"theme": "housing"}).json()["items"] == []
    lead = ApiClient(world.lead)
    body = {
        "collective": "alpha",
        "group_id": world.kibera.pk,
        "title": "Our kiosk",
        "text": "…",
        "told_on": "2025-03-01",
        "consent_note": "",
    }
    refused = lead.post("/stories", body)
    assert refused.status_code == 422 and error_fields(refused) == {"consent_note"}
    refusing = make_consenting_person(world.kibera, consent=False)
    refused = lead.post("/stories", {**body, "consent_note": "Recorded verbally", "teller_id": refusing.pk})
    assert error_fields(refused) == {"teller_id"}
    created = lead.post("/stories", {**body, "consent_note": "Recorded verbally", "themes": ["Water"]})
    assert created.status_code == 201 and created.json()["themes"] == ["water"]
    assert lead.delete(f"/stories/{created.json()['id']}").status_code == 204
    assert lead.get(f"/stories/{created.json()['id']}").status_code == 404


def test_activity_types_are_configured_by_admins(world: World) -> None:
    admin = ApiClient(world.admin)
    created = admin.post(
        "/activity-types", {"collective": "alpha", "code": "data-drive", "name": "Data drive", "area": "data"}
    )
    assert created.status_code == 201
    assert [t["code"] for t in ApiClient().get("/activity-types", {"collective": "alpha"}).json()] == [
        "data-drive"
    ]
    refused = ApiClient(world.coordinator_a).post(
        "/activity-types", {"collective": "alpha", "code": "x", "name": "X"}
    )
    assert refused.status_code == 422 and error_codes(refused) == {"forbidden"}
    duplicate = admin.post("/activity-types", {"collective": "alpha", "code": "data-drive", "name": "Again"})
    assert duplicate.status_code == 422
    used = ApiClient(world.lead).post("/activities", _activity_body(world, type="data-drive"))
    assert used.status_code == 201 and used.json()["type"] == "data-drive"
