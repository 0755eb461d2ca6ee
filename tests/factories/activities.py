"""Factories for the activities app: rows inserted directly (no permission checks), with sane defaults."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.utils import timezone

from minga.activities.models import (
    Activity,
    Area,
    Campaign,
    CampaignSignup,
    Engagement,
    Institution,
    Outcome,
    OutcomeStatus,
    PolicyOutcome,
    Story,
)
from minga.architecture.models import Group
from minga.core.choices import Visibility
from minga.people.models import Membership, Person

_seq = itertools.count(1)
DAY = dt.date(2025, 6, 1)


def make_activity(group: Group, **fields: Any) -> Activity:
    n = next(_seq)
    participants = fields.pop("participants", [])
    activity = Activity.objects.create(
        collective=group.collective,
        group=group,
        area=fields.pop("area", Area.MOVEMENT),
        title=fields.pop("title", f"Activity {n}"),
        starts_on=fields.pop("starts_on", DAY),
        visibility=fields.pop("visibility", Visibility.PUBLIC),
        **fields,
    )
    if participants:
        activity.participants.set(participants)
    return activity


def make_campaign(group: Group, *, goal: int = 1000, **fields: Any) -> Campaign:
    activity = make_activity(group, area=Area.MOVEMENT, **fields)
    return Campaign.objects.create(activity=activity, goal=goal)


def make_signup(campaign: Campaign, group: Group, count: int, signed_on: dt.date = DAY) -> CampaignSignup:
    return CampaignSignup.objects.create(campaign=campaign, group=group, count=count, signed_on=signed_on)


def make_institution(collective: Any, **fields: Any) -> Institution:
    n = next(_seq)
    return Institution.objects.create(
        collective=collective,
        name=fields.pop("name", f"Ministry {n}"),
        kind=fields.pop("kind", Institution.Kind.MINISTRY),
        level=fields.pop("level", Institution.Level.NATIONAL),
        **fields,
    )


def make_engagement(institution: Institution, group: Group, **fields: Any) -> Engagement:
    return Engagement.objects.create(
        collective=institution.collective,
        institution=institution,
        group=group,
        kind=fields.pop("kind", Engagement.Kind.MEETING),
        occurred_on=fields.pop("occurred_on", DAY),
        summary=fields.pop("summary", "Met the water directorate."),
        **fields,
    )


def make_policy_outcome(institution: Institution, group: Group, **fields: Any) -> PolicyOutcome:
    return PolicyOutcome.objects.create(
        collective=institution.collective,
        institution=institution,
        group=group,
        title=fields.pop("title", "Water kiosks budget line"),
        kind=fields.pop("kind", PolicyOutcome.Kind.BUDGET),
        contribution=fields.pop("contribution", "Costed proposal and two hearings."),
        **fields,
    )


def make_outcome(group: Group, status: str = OutcomeStatus.DRAFT, **fields: Any) -> Outcome:
    n = next(_seq)
    return Outcome.objects.create(
        collective=group.collective,
        group=group,
        title=fields.pop("title", f"Outcome {n}"),
        description=fields.pop("description", "The county now publishes water kiosk prices."),
        actor=fields.pop("actor", "County water department"),
        happened_on=fields.pop("happened_on", DAY),
        status=status,
        **fields,
    )


def make_story(group: Group, **fields: Any) -> Story:
    n = next(_seq)
    return Story.objects.create(
        collective=group.collective,
        group=group,
        title=fields.pop("title", f"Story {n}"),
        text=fields.pop("text", "We started saving together in 2021."),
        teller_name=fields.pop("teller_name", "Amina"),
        consent_note=fields.pop("consent_note", "Verbal consent at the group meeting."),
        consent_recorded_at=timezone.now(),
        told_on=fields.pop("told_on", DAY),
        themes=fields.pop("themes", ["savings"]),
        visibility=fields.pop("visibility", Visibility.PUBLIC),
        **fields,
    )


def make_consenting_person(group: Group, *, consent: bool = True, **fields: Any) -> Person:
    person = Person.objects.create(
        collective=group.collective,
        full_name=fields.pop("full_name", f"Named Person {next(_seq)}"),
        consent_purpose="Named in activity records" if consent else "",
        consent_given_at=timezone.now() if consent else None,
        **fields,
    )
    Membership.objects.create(person=person, group=group, started_on=dt.date(2020, 1, 1))
    return person
