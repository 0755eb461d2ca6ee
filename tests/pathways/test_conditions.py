"""Indicator conditions on stages: evaluated against the group's reported values at every submission,
through the services, the pages and the API."""

from __future__ import annotations

import pytest
from django.urls import reverse

from minga.core.errors import DomainError, NotFound
from minga.pathways import services
from minga.pathways.models import ProgressEntry
from tests.factories.api import ApiClient, error_codes
from tests.factories.measurement import make_indicator, make_period, make_value
from tests.factories.pathways import make_pathway, place, stages_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(world):
    pathway = make_pathway(world.alpha)
    first, _, running = stages_of(pathway)
    members = make_indicator(world.alpha, code="members_active", name="Members active")
    progress = place(world.kibera, first)
    # kibera skips "Trained" for these tests: running activities is its next stage
    progress.stage = stages_of(pathway)[1]
    progress.save()
    condition = services.stage_condition_add(
        actor=world.admin, stage=running, indicator=members, threshold=20, periods=3
    )
    return pathway, running, members, condition


def _report(world, indicator, values):
    for month, value in zip(("2026-01", "2026-02", "2026-03"), values, strict=False):
        make_value(indicator, world.kibera, make_period(world.alpha, month), value)


def test_unmet_condition_blocks_the_move_and_says_what_was_reported(world, setup):
    pathway, running, members, _ = setup
    _report(world, members, [25, 18, 22])
    with pytest.raises(DomainError) as error:
        services.progress_submit(
            actor=world.lead,
            pathway=pathway,
            group=world.kibera,
            stage=running,
            checklist=running.checklist,
            evidence="We ran the clean-up",
        )
    [problem] = error.value.problems
    assert problem.code == "condition_unmet" and problem.field == "conditions"
    assert "Members active ≥ 20 in each of the last 3 reported periods" in problem.message
    assert "22 (202603), 18 (202602), 25 (202601)" in problem.message


def test_too_few_periods_do_not_meet_the_condition(world, setup):
    pathway, running, members, _ = setup
    _report(world, members, [30, 30])
    with pytest.raises(DomainError) as error:
        services.progress_submit(
            actor=world.lead, pathway=pathway, group=world.kibera, stage=running, checklist=running.checklist
        )
    assert {p.code for p in error.value.problems} == {"condition_unmet", "evidence_required"}


def test_met_conditions_count_as_evidence(world, setup):
    pathway, running, members, _ = setup
    _report(world, members, [21, 20, 35])
    entry = services.progress_submit(
        actor=world.lead, pathway=pathway, group=world.kibera, stage=running, checklist=running.checklist
    )
    assert entry.status == ProgressEntry.Status.ACCEPTED and entry.evidence == ""


def test_conditions_are_the_admins_and_need_a_numeric_indicator_of_the_collective(world, setup):
    pathway, running, _, condition = setup
    text = make_indicator(world.alpha, code="story", value_type="text")
    foreign = make_indicator(world.beta, code="members_active")
    with pytest.raises(NotFound):
        services.stage_condition_add(actor=world.coordinator_a, stage=running, indicator=text, threshold=1)
    with pytest.raises(DomainError) as error:
        services.stage_condition_add(actor=world.admin, stage=running, indicator=text, threshold=1)
    assert {p.code for p in error.value.problems} == {"not_numeric"}
    with pytest.raises(DomainError) as error:
        services.stage_condition_add(actor=world.admin, stage=running, indicator=foreign, threshold=1)
    assert {p.code for p in error.value.problems} == {"invalid_indicator"}
    assert pathway.versions.last().snapshot["stages"][2]["conditions"] == [condition.describe()]
    services.stage_condition_remove(actor=world.admin, condition=condition)
    assert not running.conditions.exists()


def test_journey_shows_the_checks_to_the_lead_only(client, world, setup):
    pathway, _, members, _ = setup
    _report(world, members, [25, 18, 22])
    page = reverse("pathways:journey", args=["alpha", pathway.pk, world.kibera.pk])
    client.force_login(world.lead)
    html = client.get(page).content.decode()
    assert "Not yet" in html and "18 (202602)" in html
    client.force_login(world.member)
    html = client.get(page).content.decode()
    assert "18 (202602)" not in html


def test_admin_adds_and_removes_a_condition_on_the_stage_page(client, world, setup):
    pathway, running, members, condition = setup
    client.force_login(world.admin)
    add = reverse("pathways:stage_condition_add", args=["alpha", pathway.pk, running.pk])
    client.post(
        add,
        {
            "condition-indicator": members.pk,
            "condition-comparison": "lte",
            "condition-threshold": "5",
            "condition-periods": "1",
        },
    )
    assert running.conditions.count() == 2
    html = client.get(reverse("pathways:stage_edit", args=["alpha", pathway.pk, running.pk])).content.decode()
    assert "Members active ≤ 5 in the last reported period" in html
    client.force_login(world.coordinator_a)
    remove = reverse("pathways:stage_condition_remove", args=["alpha", condition.pk])
    assert client.post(remove).status_code == 404


def test_conditions_over_the_api(world, setup):
    pathway, running, members, _ = setup
    api = ApiClient(world.admin)
    created = api.post(
        f"/stages/{running.pk}/conditions", {"indicator_id": members.pk, "threshold": 3, "periods": 2}
    )
    assert created.status_code == 201 and created.json()["indicator"] == "members_active"
    stages = api.get(f"/pathways/{pathway.pk}/stages").json()
    assert len(stages[2]["conditions"]) == 2
    bad = api.post(
        f"/stages/{running.pk}/conditions", {"indicator_id": members.pk, "threshold": 3, "periods": 99}
    )
    assert bad.status_code == 422
    assert ApiClient(world.coordinator_a).delete(f"/conditions/{created.json()['id']}").status_code == 404
    assert api.delete(f"/conditions/{created.json()['id']}").status_code == 204
    _report(world, members, [1, 1, 1])
    submit = ApiClient(world.lead).post(
        f"/pathways/{pathway.pk}/progress/submit",
        {
            "group_id": world.kibera.pk,
            "stage_id": running.pk,
            "checklist": running.checklist,
            "evidence": "x",
        },
    )
    assert submit.status_code == 422 and error_codes(submit) == {"condition_unmet"}


def test_timeline_shows_indicator_and_target_changes_to_those_who_see_them(client, world, setup):
    from minga.measurement.services import indicator_update, target_set

    _, _, members, _ = setup
    indicator_update(actor=world.admin, indicator=members, description="People at two meetings or more")
    period = make_period(world.alpha, "2026-06")
    target_set(actor=world.admin, indicator=members, group=world.kibera, period=period, value=25)
    target_set(actor=world.admin, indicator=members, group=world.mombasa, period=period, value=30)
    timeline = reverse("pathways:timeline", args=["alpha"])
    client.force_login(world.admin)
    html = client.get(timeline).content.decode()
    assert "Indicator introduced: Members active" in html
    assert "Indicator changed: Members active" in html and "description" in html
    assert "Targets set: Members active" in html and "2 group targets set or changed" in html
    client.force_login(world.coordinator_b)  # sees Mombasa's target, not Kibera's (a private group)
    html = client.get(timeline, {"kind": "target"}).content.decode()
    assert "1 group target set or changed" in html
    client.logout()  # both groups are private: a visitor sees no target
    assert "Targets set" not in client.get(timeline).content.decode()
