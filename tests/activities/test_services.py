"""Writes: reach (lead / coordinator / admin), validation, consent rules, the outcome review workflow."""

from __future__ import annotations

import datetime as dt

import pytest

from minga.activities import services
from minga.activities.models import Activity, Area, Attendance, OutcomeStatus, Story
from minga.core.errors import DomainError, NotFound
from minga.core.models import AuditEntry
from tests.conftest import World
from tests.factories.activities import (
    make_activity,
    make_campaign,
    make_consenting_person,
    make_institution,
    make_outcome,
    make_story,
)

pytestmark = pytest.mark.django_db
DAY = dt.date(2025, 3, 4)


def _codes(error: pytest.ExceptionInfo[DomainError]) -> set[str]:
    return {p.code for p in error.value.problems}


def test_lead_records_an_activity_for_their_group_and_it_is_audited(world: World) -> None:
    activity = services.activity_create(
        actor=world.lead,
        collective=world.alpha,
        group=world.kibera,
        area=Area.LEARNING,
        title="Savings peer exchange",
        starts_on=DAY,
        participants=[world.mombasa],
        participants_total=40,
        participation={"women": 28, "youth": 15},
    )
    assert list(activity.participants.all()) == [world.mombasa]
    assert AuditEntry.objects.for_object(activity).get().action == "activity.create"


def test_lead_cannot_record_for_another_group_nor_a_member_for_their_own(world: World) -> None:
    for actor, group in (
        (world.lead, world.mombasa),
        (world.member, world.kibera),
        (world.beta_admin, world.kibera),
    ):
        with pytest.raises(DomainError) as error:
            services.activity_create(
                actor=actor, collective=world.alpha, group=group, area=Area.DATA, title="x", starts_on=DAY
            )
        assert _codes(error) == {"outside_reach"}


def test_bad_activity_input_is_reported_field_by_field(world: World) -> None:
    with pytest.raises(DomainError) as error:
        services.activity_create(
            actor=world.admin,
            collective=world.alpha,
            group=world.kenya,
            area="dancing",
            title="Drive",
            starts_on=DAY,
            ends_on=DAY - dt.timedelta(days=1),
            participants_total=10,
            participation={"women": 12, "youth": -1},
        )
    fields = {p.field for p in error.value.problems}
    assert {"ends_on", "participation"} <= fields
    assert {"dates_out_of_order", "count_above_total", "invalid_count"} <= _codes(error)
    with pytest.raises(DomainError) as error:
        services.activity_create(
            actor=world.admin,
            collective=world.alpha,
            group=world.kenya,
            area="dancing",
            title="x",
            starts_on=DAY,
        )
    assert {p.field for p in error.value.problems} == {"area"}
    with pytest.raises(DomainError) as error:
        services.activity_create(
            actor=world.admin,
            collective=world.beta,
            group=world.kenya,
            area=Area.DATA,
            title="x",
            starts_on=DAY,
        )
    assert _codes(error) == {"invalid_group"}


def test_activity_codes_are_unique_within_the_collective(world: World) -> None:
    make_activity(world.kenya, code="drive-1")
    with pytest.raises(DomainError) as error:
        services.activity_create(
            actor=world.admin,
            collective=world.alpha,
            group=world.kenya,
            area=Area.DATA,
            title="x",
            starts_on=DAY,
            code="drive-1",
        )
    assert {p.field for p in error.value.problems} == {"code"}


def test_coordinator_of_another_region_cannot_update(world: World) -> None:
    activity = make_activity(world.kibera)
    with pytest.raises(NotFound):
        services.activity_update(actor=world.coordinator_b, activity=activity, title="Hijacked")
    updated = services.activity_update(actor=world.coordinator_a, activity=activity, title="Renamed")
    assert updated.title == "Renamed"
    assert Activity.objects.get(pk=activity.pk).title == "Renamed"


def test_named_participants_need_consent(world: World) -> None:
    activity = make_activity(world.kibera)
    consenting = make_consenting_person(world.kibera)
    refusing = make_consenting_person(world.kibera, consent=False)
    services.attendance_add(actor=world.lead, activity=activity, person=consenting)
    with pytest.raises(DomainError) as error:
        services.attendance_add(actor=world.lead, activity=activity, person=refusing)
    assert _codes(error) == {"consent_required"}
    assert list(Attendance.objects.values_list("person_id", flat=True)) == [consenting.pk]
    entry = AuditEntry.objects.get(action="attendance.add")
    assert consenting.full_name not in entry.target_repr  # no personal data in the append-only log


def test_a_campaign_is_a_movement_activity_and_signups_are_scoped(world: World) -> None:
    data_drive = make_activity(world.kibera, area=Area.DATA)
    with pytest.raises(DomainError) as error:
        services.campaign_create(actor=world.lead, activity=data_drive, goal=100)
    assert _codes(error) == {"not_movement"}
    campaign = make_campaign(world.kenya, starts_on=dt.date(2025, 1, 1))
    services.signup_record(actor=world.lead, campaign=campaign, group=world.kibera, count=25, signed_on=DAY)
    with pytest.raises(DomainError) as error:
        services.signup_record(
            actor=world.lead, campaign=campaign, group=world.mombasa, count=5, signed_on=DAY
        )
    assert _codes(error) == {"outside_reach"}
    with pytest.raises(DomainError) as error:
        services.signup_record(
            actor=world.lead, campaign=campaign, group=world.kibera, count=5, signed_on=dt.date(2024, 1, 1)
        )
    assert _codes(error) == {"before_start"}


def test_institution_needs_a_steward_group_unless_admin(world: World) -> None:
    with pytest.raises(DomainError) as error:
        services.institution_create(
            actor=world.coordinator_a,
            collective=world.alpha,
            name="Nairobi Water",
            kind="agency",
            level="local",
        )
    assert _codes(error) == {"group_required"}
    inst = services.institution_create(
        actor=world.coordinator_a,
        collective=world.alpha,
        name="Nairobi Water",
        kind="agency",
        level="local",
        group=world.region_a,
    )
    with pytest.raises(NotFound):
        services.institution_update(actor=world.coordinator_b, institution=inst, notes="x")
    refusing = make_consenting_person(world.region_a, consent=False)
    with pytest.raises(DomainError) as error:
        services.contact_add(actor=world.coordinator_a, institution=inst, role="Director", person=refusing)
    assert _codes(error) == {"consent_required"}
    contact = services.contact_add(actor=world.coordinator_a, institution=inst, role="Director")
    assert contact.person is None


def test_review_workflow_draft_substantiated_published(world: World) -> None:
    activity = make_activity(world.kibera)
    outcome = services.outcome_create(
        actor=world.lead,
        collective=world.alpha,
        group=world.kibera,
        title="County publishes kiosk prices",
        description="Prices are posted at every kiosk.",
        actor_changed="County water department",
        happened_on=DAY,
        contributing_activities=[activity],
    )
    assert outcome.status == OutcomeStatus.DRAFT
    # a lead may not review their own group's outcome
    with pytest.raises(DomainError) as error:
        services.outcome_transition(actor=world.lead, outcome=outcome, to=OutcomeStatus.SUBSTANTIATED)
    assert _codes(error) == {"reviewer_required"}
    # substantiation needs sources and who confirmed it
    with pytest.raises(DomainError) as error:
        services.outcome_transition(
            actor=world.coordinator_a, outcome=outcome, to=OutcomeStatus.SUBSTANTIATED
        )
    assert _codes(error) == {"sources_required", "substantiation_required"}
    services.outcome_update(actor=world.lead, outcome=outcome, sources="Kiosk photos; county gazette")
    done = services.outcome_transition(
        actor=world.coordinator_a,
        outcome=outcome,
        to=OutcomeStatus.SUBSTANTIATED,
        substantiated_by="Chair of the county water committee",
    )
    assert done.status == OutcomeStatus.SUBSTANTIATED and done.substantiated_at is not None
    # no skipping back to edit a reviewed outcome
    with pytest.raises(DomainError) as error:
        services.outcome_update(actor=world.lead, outcome=done, title="Changed after review")
    assert _codes(error) == {"not_draft"}
    with pytest.raises(DomainError) as error:
        services.outcome_transition(actor=world.admin, outcome=done, to=OutcomeStatus.DRAFT + "x")
    assert _codes(error) == {"invalid_transition"}
    published = services.outcome_transition(actor=world.admin, outcome=done, to=OutcomeStatus.PUBLISHED)
    assert published.status == OutcomeStatus.PUBLISHED and published.published_at is not None
    with pytest.raises(DomainError) as error:
        services.outcome_transition(actor=world.admin, outcome=published, to=OutcomeStatus.DRAFT)
    assert _codes(error) == {"invalid_transition"}
    actions = list(AuditEntry.objects.for_object(outcome).order_by("id").values_list("action", flat=True))
    assert actions == ["outcome.create", "outcome.update", "outcome.substantiate", "outcome.publish"]


def test_other_region_coordinator_cannot_review(world: World) -> None:
    outcome = make_outcome(world.kibera, sources="x", substantiated_by="y", contribution="z")
    with pytest.raises(NotFound):
        services.outcome_transition(
            actor=world.coordinator_b, outcome=outcome, to=OutcomeStatus.SUBSTANTIATED
        )


def test_outcomes_are_changes_that_happened(world: World) -> None:
    with pytest.raises(DomainError) as error:
        services.outcome_create(
            actor=world.admin,
            collective=world.alpha,
            group=world.kenya,
            title="t",
            description="d",
            actor_changed="a",
            happened_on=dt.date.today() + dt.timedelta(days=3),
        )
    assert _codes(error) == {"in_future"}


def test_a_story_needs_consent_and_a_named_teller_who_consented(world: World) -> None:
    kwargs = dict(
        actor=world.lead,
        collective=world.alpha,
        group=world.kibera,
        title="How we saved",
        text="…",
        told_on=DAY,
    )
    with pytest.raises(DomainError) as error:
        services.story_create(**kwargs, consent_note="  ")
    assert _codes(error) == {"consent_required"}
    refusing = make_consenting_person(world.kibera, consent=False)
    with pytest.raises(DomainError) as error:
        services.story_create(**kwargs, consent_note="Signed form", teller=refusing)
    assert _codes(error) == {"consent_required"}
    story = services.story_create(
        **kwargs,
        consent_note="Signed form",
        themes=["Savings", "savings", " water "],
    )
    assert story.themes == ["savings", "water"]


def test_withdrawing_a_story_deletes_it_and_keeps_no_text(world: World) -> None:
    story = make_story(world.kibera, title="Amina's first loan")
    services.story_withdraw(actor=world.lead, story=story)
    assert not Story.objects.filter(pk=story.pk).exists()
    entry = AuditEntry.objects.get(action="story.withdraw")
    assert "Amina" not in entry.target_repr
    institution = make_institution(world.alpha)
    assert institution.pk
