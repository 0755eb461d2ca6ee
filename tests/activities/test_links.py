"""Links from activities and outcomes to indicators (measurement) and practices and resources (learning):
scoped references, same collective, and practices drawn in the contribution map."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from minga.activities import services
from minga.activities.models import Area, OutcomeStatus
from minga.activities.selectors import contribution_graph
from minga.core.errors import DomainError
from tests.conftest import World
from tests.factories.activities import make_activity, make_outcome
from tests.factories.api import ApiClient, error_fields
from tests.factories.learning import make_practice, make_resource
from tests.factories.measurement import make_indicator

pytestmark = pytest.mark.django_db


def test_api_links_an_activity_to_indicators_practices_and_resources(world: World) -> None:
    indicator = make_indicator(world.alpha)
    practice = make_practice(
        world.alpha, actor=world.admin, origin_group=world.region_a, title="Price mapping"
    )
    resource = make_resource(world.alpha, actor=world.admin, group=world.region_a)
    client = ApiClient(world.coordinator_a)
    body = {
        "collective": "alpha", "group_id": world.region_a.pk, "area": "data", "title": "Kiosk survey",
        "starts_on": "2025-03-01", "indicator_ids": [indicator.pk], "practice_ids": [practice.pk],
        "resource_ids": [resource.pk],
    }  # fmt: skip
    created = client.post("/activities", body)
    assert created.status_code == 201, created.json()
    out = created.json()
    assert (out["indicator_ids"], out["practice_ids"], out["resource_ids"]) == (
        [indicator.pk],
        [practice.pk],
        [resource.pk],
    )
    other = make_indicator(world.beta, code="beta-ind")
    refused = client.patch(f"/activities/{out['id']}", {"indicator_ids": [other.pk]})
    assert refused.status_code == 422 and error_fields(refused) <= {"indicator_ids"}
    cleared = client.patch(f"/activities/{out['id']}", {"practice_ids": []})
    assert cleared.json()["practice_ids"] == [] and cleared.json()["indicator_ids"] == [indicator.pk]
    page = Client()
    page.force_login(world.coordinator_a)
    html = page.get(reverse("activities:activity_detail", args=["alpha", out["id"]])).content.decode()
    assert indicator.name in html


def test_services_refuse_links_from_another_collective(world: World) -> None:
    practice = make_practice(world.beta, actor=world.beta_admin)
    with pytest.raises(DomainError) as error:
        services.activity_create(
            actor=world.admin, collective=world.alpha, group=world.kenya, area=Area.LEARNING, title="x",
            starts_on=make_activity(world.kenya).starts_on, practices=[practice],
        )  # fmt: skip
    assert {p.field for p in error.value.problems} == {"practices"}


def test_contribution_map_draws_practices_between_activities_and_the_outcome(world: World) -> None:
    practice = make_practice(
        world.alpha, actor=world.admin, origin_group=world.region_a, title="Price mapping"
    )
    activity = make_activity(world.region_a, title="Kiosk survey")
    activity.practices.set([practice])
    outcome = make_outcome(world.region_a, status=OutcomeStatus.PUBLISHED)
    outcome.contributing_activities.set([activity])
    outcome.practices.set([practice])
    graph = contribution_graph(world.admin, outcome)
    assert (f"a{activity.pk}", f"r{practice.pk}") in graph.edges
    assert (f"r{practice.pk}", f"o{outcome.pk}") in graph.edges
    assert [n.kind for n in graph.layer(2)] == ["practice"]
    api = ApiClient(world.admin).get(f"/outcomes/{outcome.pk}").json()
    assert api["practice_ids"] == [practice.pk]
