"""Who sees which activities, outcomes, stories and named participants (anonymous, member, other
region's coordinator, other collective's admin, admin)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from minga.activities.models import (
    Activity,
    Attendance,
    CampaignSignup,
    Engagement,
    Institution,
    InstitutionContact,
    Outcome,
    OutcomeStatus,
    Story,
)
from minga.activities.selectors import contact_rows
from minga.core.choices import Visibility
from tests.conftest import World
from tests.factories.activities import (
    make_activity,
    make_campaign,
    make_consenting_person,
    make_engagement,
    make_institution,
    make_outcome,
    make_signup,
    make_story,
)

pytestmark = pytest.mark.django_db


def _ids(qs: Any) -> set[int]:
    return set(qs.values_list("pk", flat=True))


def test_private_groups_activities_are_seen_only_by_its_people_and_those_above(world: World) -> None:
    public = make_activity(world.region_a)
    private_group = make_activity(world.kibera)  # Kibera is a private group
    collective_only = make_activity(world.region_a, visibility=Visibility.COLLECTIVE)
    expected = {
        "anonymous": (AnonymousUser(), {public.pk}),
        "member": (world.member, {public.pk, private_group.pk, collective_only.pk}),
        "lead": (world.lead, {public.pk, private_group.pk, collective_only.pk}),
        "coordinator_a": (world.coordinator_a, {public.pk, private_group.pk, collective_only.pk}),
        "coordinator_b": (world.coordinator_b, {public.pk, collective_only.pk}),
        "beta_admin": (world.beta_admin, {public.pk}),
        "admin": (world.admin, {public.pk, private_group.pk, collective_only.pk}),
        "superuser": (world.superuser, {public.pk, private_group.pk, collective_only.pk}),
    }
    for name, (user, ids) in expected.items():
        assert _ids(Activity.objects.visible_to(user)) == ids, name


def test_only_editors_of_the_owner_group_may_edit(world: World) -> None:
    mine = make_activity(world.kibera)
    other = make_activity(world.mombasa)
    assert _ids(Activity.objects.editable_by(world.lead)) == {mine.pk}
    assert _ids(Activity.objects.editable_by(world.member)) == set()
    assert _ids(Activity.objects.editable_by(world.coordinator_a)) == {mine.pk}
    assert _ids(Activity.objects.editable_by(world.coordinator_b)) == {other.pk}
    assert _ids(Activity.objects.editable_by(world.admin)) == {mine.pk, other.pk}
    assert _ids(Activity.objects.editable_by(world.beta_admin)) == set()


def test_outcome_drafts_stay_inside_the_owner_groups_reach(world: World) -> None:
    draft = make_outcome(world.region_a)
    substantiated = make_outcome(world.region_a, status=OutcomeStatus.SUBSTANTIATED)
    published = make_outcome(world.region_a, status=OutcomeStatus.PUBLISHED)
    assert _ids(Outcome.objects.visible_to(AnonymousUser())) == {published.pk}
    assert _ids(Outcome.objects.visible_to(world.beta_admin)) == {published.pk}
    # another region's coordinator: a collective member, so substantiated evidence, but no drafts
    assert _ids(Outcome.objects.visible_to(world.coordinator_b)) == {substantiated.pk, published.pk}
    assert _ids(Outcome.objects.visible_to(world.coordinator_a)) == {draft.pk, substantiated.pk, published.pk}
    assert _ids(Outcome.objects.visible_to(world.admin)) == {draft.pk, substantiated.pk, published.pk}


def test_stories_follow_their_visibility_and_vanish_when_the_teller_withdraws(world: World) -> None:
    teller = make_consenting_person(world.region_a)
    public = make_story(world.region_a, teller=teller)
    internal = make_story(world.region_a, visibility=Visibility.COLLECTIVE)
    assert _ids(Story.objects.visible_to(AnonymousUser())) == {public.pk}
    assert _ids(Story.objects.visible_to(world.beta_admin)) == {public.pk}
    assert _ids(Story.objects.visible_to(world.coordinator_b)) == {public.pk, internal.pk}
    teller.consent_withdrawn_at = teller.consent_given_at
    teller.save()
    assert _ids(Story.objects.visible_to(world.admin)) == {internal.pk}


def test_named_participants_are_never_public_and_need_consent(world: World) -> None:
    activity = make_activity(world.region_a)
    consenting = make_consenting_person(world.region_a)
    refusing = make_consenting_person(world.region_a, consent=False)
    Attendance.objects.create(activity=activity, person=consenting)
    Attendance.objects.create(activity=activity, person=refusing)  # e.g. consent withdrawn since
    assert not Attendance.objects.visible_to(AnonymousUser()).exists()
    assert not Attendance.objects.visible_to(world.beta_admin).exists()
    assert not Attendance.objects.visible_to(world.coordinator_b).exists()  # can't read those people
    names = set(Attendance.objects.visible_to(world.admin).values_list("person_id", flat=True))
    assert names == {consenting.pk}
    assert set(Attendance.objects.visible_to(world.coordinator_a).values_list("person_id", flat=True)) == {
        consenting.pk
    }


def test_institution_contacts_show_roles_to_all_and_names_only_with_consent(world: World) -> None:
    institution = make_institution(world.alpha)
    person = make_consenting_person(world.region_a, full_name="Wanjiru Kamau")
    InstitutionContact.objects.create(institution=institution, role="Director of Water", person=person)
    InstitutionContact.objects.create(institution=institution, role="Budget officer")
    assert [(r.role, r.name) for r in contact_rows(AnonymousUser(), institution)] == [
        ("Budget officer", None),
        ("Director of Water", None),
    ]
    assert ("Director of Water", "Wanjiru Kamau") in [
        (r.role, r.name) for r in contact_rows(world.admin, institution)
    ]
    assert ("Director of Water", None) in [
        (r.role, r.name) for r in contact_rows(world.coordinator_b, institution)
    ]
    assert [r.name for r in contact_rows(world.beta_admin, institution)] == [None, None]
    assert Institution.objects.visible_to(world.beta_admin).filter(pk=institution.pk).exists()  # public body


def test_engagements_and_signups_follow_the_group(world: World) -> None:
    institution = make_institution(world.alpha)
    private = make_engagement(institution, world.kibera)
    public = make_engagement(institution, world.region_b)
    assert _ids(Engagement.objects.visible_to(AnonymousUser())) == {public.pk}
    assert _ids(Engagement.objects.visible_to(world.coordinator_b)) == {public.pk}
    assert _ids(Engagement.objects.visible_to(world.coordinator_a)) == {public.pk, private.pk}
    campaign = make_campaign(world.kenya)
    make_signup(campaign, world.kibera, 40)
    make_signup(campaign, world.mombasa, 10)
    assert CampaignSignup.objects.visible_to(AnonymousUser()).count() == 0
    assert CampaignSignup.objects.visible_to(world.coordinator_a).count() == 1
    assert CampaignSignup.objects.visible_to(world.admin).count() == 2
