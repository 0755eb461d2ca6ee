"""Request and response shapes of the activities API."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

from minga.activities.models import (
    Activity,
    Area,
    Attendance,
    Campaign,
    Engagement,
    Institution,
    Outcome,
    OutcomeStatus,
    PolicyOutcome,
    Story,
)
from minga.core.api_support import PageParams
from minga.core.choices import Visibility


class GroupRef(Schema):
    id: int
    code: str
    name: str


class ActivityOut(Schema):
    id: int
    collective: str
    code: str
    area: str
    type: str | None
    title: str
    description: str
    group: GroupRef
    participating_groups: list[GroupRef]
    starts_on: dt.date
    ends_on: dt.date | None
    place_name: str
    status: str
    outputs: str
    participants_total: int
    participation: dict[str, int]
    visibility: str
    campaign_id: int | None
    indicator_ids: list[int]
    practice_ids: list[int]
    resource_ids: list[int]

    @staticmethod
    def resolve_indicator_ids(obj: Activity) -> list[int]:
        return [i.pk for i in obj.indicators.all()]

    @staticmethod
    def resolve_practice_ids(obj: Activity) -> list[int]:
        return [p.pk for p in obj.practices.all()]

    @staticmethod
    def resolve_resource_ids(obj: Activity) -> list[int]:
        return [r.pk for r in obj.resources.all()]

    @staticmethod
    def resolve_collective(obj: Activity) -> str:
        return obj.collective.slug

    @staticmethod
    def resolve_type(obj: Activity) -> str | None:
        return obj.type.code if obj.type else None

    @staticmethod
    def resolve_participating_groups(obj: Activity) -> list[GroupRef]:
        return [GroupRef(id=g.pk, code=g.code, name=g.name) for g in obj.participants.all()]

    @staticmethod
    def resolve_campaign_id(obj: Activity) -> int | None:
        campaign = getattr(obj, "campaign", None)
        return campaign.pk if campaign is not None else None


class ActivityIn(Schema):
    collective: str = Field(description="Collective slug.")
    group_id: int = Field(description="The owner group (one you lead, coordinate or administer).")
    area: Area
    type: str | None = Field(None, description="Activity type code of the collective.")
    title: str
    description: str = ""
    starts_on: dt.date
    ends_on: dt.date | None = None
    place_name: str = ""
    status: str = "planned"
    outputs: str = ""
    code: str = ""
    participants_total: int = Field(0, ge=0)
    participation: dict[str, int] = Field(default_factory=dict)
    participating_group_ids: list[int] = Field(default_factory=list)
    visibility: Visibility = Visibility.PUBLIC
    indicator_ids: list[int] = Field(default_factory=list, description="Indicators it relates to.")
    practice_ids: list[int] = Field(default_factory=list, description="Practices it applies or spreads.")
    resource_ids: list[int] = Field(default_factory=list, description="Library resources it used.")


class ActivityPatch(Schema):
    group_id: int | None = None
    area: Area | None = None
    type: str | None = None
    title: str | None = None
    description: str | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    place_name: str | None = None
    status: str | None = None
    outputs: str | None = None
    code: str | None = None
    participants_total: int | None = Field(None, ge=0)
    participation: dict[str, int] | None = None
    participating_group_ids: list[int] | None = None
    visibility: Visibility | None = None
    indicator_ids: list[int] | None = None
    practice_ids: list[int] | None = None
    resource_ids: list[int] | None = None


class ActivityFilters(PageParams):
    collective: str | None = Field(None, description="Collective slug.")
    area: Area | None = None
    group: int | None = Field(None, description="Activities of this group's subtree (owner or participant).")
    status: str | None = None
    starts_from: dt.date | None = None
    starts_until: dt.date | None = None
    q: str | None = Field(None, description="Title contains.")


class AttendanceOut(Schema):
    id: int
    activity_id: int
    person_id: int
    person_name: str
    role: str

    @staticmethod
    def resolve_person_name(obj: Attendance) -> str:
        return obj.person.full_name


class AttendanceIn(Schema):
    person_id: int
    role: str = "participant"


class CampaignOut(Schema):
    id: int
    activity_id: int
    title: str
    goal: int
    unit: str
    ask: str
    closes_on: dt.date | None
    total: int
    percent: float

    @staticmethod
    def resolve_title(obj: Campaign) -> str:
        return obj.activity.title

    @staticmethod
    def resolve_total(obj: Campaign) -> int:
        return int(getattr(obj, "total", 0) or 0)

    @staticmethod
    def resolve_percent(obj: Campaign) -> float:
        total = int(getattr(obj, "total", 0) or 0)
        return round(100 * total / obj.goal, 1) if obj.goal else 0.0


class CampaignIn(Schema):
    activity_id: int
    goal: int = Field(ge=1)
    unit: str = "sign-ups"
    ask: str = ""
    closes_on: dt.date | None = None


class CampaignPatch(Schema):
    goal: int | None = Field(None, ge=1)
    unit: str | None = None
    ask: str | None = None
    closes_on: dt.date | None = None


class SignupIn(Schema):
    group_id: int
    count: int = Field(ge=1)
    signed_on: dt.date
    note: str = ""


class SignupOut(Schema):
    id: int
    campaign_id: int
    group_id: int
    count: int
    signed_on: dt.date
    note: str


class ContactOut(Schema):
    id: int
    role: str
    name: str | None = Field(None, description="Only for consented people you may read.")


class InstitutionOut(Schema):
    id: int
    collective: str
    name: str
    kind: str
    level: str
    country_code: str
    website: str
    notes: str
    group_id: int | None

    @staticmethod
    def resolve_collective(obj: Institution) -> str:
        return obj.collective.slug


class InstitutionIn(Schema):
    collective: str
    name: str
    kind: Institution.Kind
    level: Institution.Level
    country_code: str = ""
    website: str = ""
    notes: str = ""
    group_id: int | None = Field(None, description="The steward group (required unless you are an admin).")


class InstitutionPatch(Schema):
    name: str | None = None
    kind: Institution.Kind | None = None
    level: Institution.Level | None = None
    country_code: str | None = None
    website: str | None = None
    notes: str | None = None


class InstitutionFilters(PageParams):
    collective: str | None = None
    kind: Institution.Kind | None = None
    q: str | None = None


class ContactIn(Schema):
    role: str
    person_id: int | None = Field(None, description="Only a person who gave consent.")
    notes: str = ""


class EngagementOut(Schema):
    id: int
    institution_id: int
    institution: str
    group_id: int
    activity_id: int | None
    kind: str
    occurred_on: dt.date
    summary: str
    asks: str
    response: str

    @staticmethod
    def resolve_institution(obj: Engagement) -> str:
        return obj.institution.name


class EngagementIn(Schema):
    institution_id: int
    group_id: int
    kind: Engagement.Kind
    occurred_on: dt.date
    summary: str
    asks: str = ""
    response: str = ""
    activity_id: int | None = None


class EngagementPatch(Schema):
    kind: Engagement.Kind | None = None
    occurred_on: dt.date | None = None
    summary: str | None = None
    asks: str | None = None
    response: str | None = None


class EngagementFilters(PageParams):
    collective: str | None = None
    institution: int | None = None
    group: int | None = None


class PolicyOutcomeOut(Schema):
    id: int
    institution_id: int
    group_id: int
    title: str
    kind: str
    status: str
    decided_on: dt.date | None
    contribution: str
    contribution_level: str
    evidence: str
    engagement_ids: list[int]

    @staticmethod
    def resolve_engagement_ids(obj: PolicyOutcome) -> list[int]:
        return [e.pk for e in obj.engagements.all()]


class PolicyOutcomeIn(Schema):
    institution_id: int
    group_id: int
    title: str
    kind: PolicyOutcome.Kind
    status: PolicyOutcome.Status = PolicyOutcome.Status.PROPOSED
    decided_on: dt.date | None = None
    contribution: str
    contribution_level: PolicyOutcome.Contribution = PolicyOutcome.Contribution.SIGNIFICANT
    evidence: str = ""
    engagement_ids: list[int] = Field(default_factory=list)


class PolicyOutcomePatch(Schema):
    title: str | None = None
    status: PolicyOutcome.Status | None = None
    decided_on: dt.date | None = None
    contribution: str | None = None
    contribution_level: PolicyOutcome.Contribution | None = None
    evidence: str | None = None


class PolicyOutcomeFilters(PageParams):
    collective: str | None = None
    institution: int | None = None


class OutcomeOut(Schema):
    id: int
    collective: str
    group_id: int
    title: str
    description: str
    actor: str
    happened_on: dt.date
    place_name: str
    significance: str
    contribution: str
    sources: str
    substantiated_by: str
    status: str
    substantiated_at: dt.datetime | None
    published_at: dt.datetime | None
    contributing_group_ids: list[int]
    contributing_activity_ids: list[int]
    policy_outcome_ids: list[int]
    practice_ids: list[int]
    indicator_ids: list[int]

    @staticmethod
    def resolve_practice_ids(obj: Outcome) -> list[int]:
        return [p.pk for p in obj.practices.all()]

    @staticmethod
    def resolve_indicator_ids(obj: Outcome) -> list[int]:
        return [i.pk for i in obj.indicators.all()]

    @staticmethod
    def resolve_collective(obj: Outcome) -> str:
        return obj.collective.slug

    @staticmethod
    def resolve_contributing_group_ids(obj: Outcome) -> list[int]:
        return [g.pk for g in obj.contributing_groups.all()]

    @staticmethod
    def resolve_contributing_activity_ids(obj: Outcome) -> list[int]:
        return [a.pk for a in obj.contributing_activities.all()]

    @staticmethod
    def resolve_policy_outcome_ids(obj: Outcome) -> list[int]:
        return [p.pk for p in obj.policy_outcomes.all()]


class OutcomeIn(Schema):
    collective: str
    group_id: int
    title: str
    description: str
    actor: str = Field(description="Who changed (the social actor), or for whom.")
    happened_on: dt.date
    place_name: str = ""
    significance: str = ""
    contribution: str = ""
    sources: str = ""
    substantiated_by: str = ""
    contributing_group_ids: list[int] = Field(default_factory=list)
    contributing_activity_ids: list[int] = Field(default_factory=list)
    policy_outcome_ids: list[int] = Field(default_factory=list)
    practice_ids: list[int] = Field(default_factory=list, description="Contributing practices.")
    indicator_ids: list[int] = Field(default_factory=list, description="Indicators the change shows in.")


class OutcomePatch(Schema):
    title: str | None = None
    description: str | None = None
    actor: str | None = None
    happened_on: dt.date | None = None
    place_name: str | None = None
    significance: str | None = None
    contribution: str | None = None
    sources: str | None = None
    substantiated_by: str | None = None
    contributing_group_ids: list[int] | None = None
    contributing_activity_ids: list[int] | None = None
    policy_outcome_ids: list[int] | None = None
    practice_ids: list[int] | None = None
    indicator_ids: list[int] | None = None


class OutcomeTransitionIn(Schema):
    to: OutcomeStatus
    substantiated_by: str | None = Field(None, description="Who confirmed it (when substantiating).")


class OutcomeFilters(PageParams):
    collective: str | None = None
    status: OutcomeStatus | None = None
    group: int | None = None


class StoryOut(Schema):
    id: int
    collective: str
    group_id: int
    title: str
    text: str
    teller_name: str | None = Field(None, description="Hidden from anonymous callers.")
    told_on: dt.date
    themes: list[str]
    visibility: str
    activity_ids: list[int]
    outcome_ids: list[int]
    group_ids: list[int] = Field(description="Other groups the story is about (those you may see).")

    @staticmethod
    def resolve_collective(obj: Story) -> str:
        return obj.collective.slug

    @staticmethod
    def resolve_group_ids(obj: Story) -> list[int]:
        return [g.pk for g in obj.groups.all()]

    @staticmethod
    def resolve_activity_ids(obj: Story) -> list[int]:
        return [a.pk for a in obj.activities.all()]

    @staticmethod
    def resolve_outcome_ids(obj: Story) -> list[int]:
        return [o.pk for o in obj.outcomes.all()]


class StoryIn(Schema):
    collective: str
    group_id: int
    title: str
    text: str
    consent_note: str = Field(description="How and when the teller agreed to share it (required).")
    told_on: dt.date
    teller_name: str = ""
    teller_id: int | None = Field(None, description="A person of the collective who gave consent.")
    themes: list[str] = Field(default_factory=list)
    visibility: Visibility = Visibility.COLLECTIVE
    activity_ids: list[int] = Field(default_factory=list)
    outcome_ids: list[int] = Field(default_factory=list)
    group_ids: list[int] = Field(default_factory=list, description="Other groups the story is about.")


class StoryPatch(Schema):
    title: str | None = None
    text: str | None = None
    teller_name: str | None = None
    consent_note: str | None = None
    told_on: dt.date | None = None
    themes: list[str] | None = None
    visibility: Visibility | None = None
    activity_ids: list[int] | None = Field(None, description="Replaces the linked activities.")
    outcome_ids: list[int] | None = Field(None, description="Replaces the linked outcomes.")
    group_ids: list[int] | None = Field(None, description="Replaces the other groups it is about.")


class StoryFilters(PageParams):
    collective: str | None = None
    theme: str | None = None
    group: int | None = None
    teller: Literal["me"] | None = Field(None, description="`me`: the stories you told.")


class ActivityTypeOut(Schema):
    id: int
    code: str
    name: str
    area: str


class ActivityTypeIn(Schema):
    collective: str
    code: str
    name: str
    area: Area | None = None
    order: int = 0
