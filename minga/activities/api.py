"""Collective activities: the API router mounted under /api/v1/.

Activities (with named participants), campaigns and sign-ups, institutions (with contacts), engagements,
policy outcomes, harvested outcomes (with their review transitions) and stories. Reads go through
`visible_to`, writes through `services`, every write accepts `Idempotency-Key`. Personal data (named
participants, contact names, story tellers) is never returned to anonymous callers.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Sum
from ninja import Query, Router, Status

from minga.activities import services
from minga.activities.access import (
    access_activity,
    access_campaign,
    access_engagement,
    access_institution,
    access_outcome,
    access_policy_outcome,
    access_story,
)
from minga.activities.models import (
    Activity,
    ActivityType,
    Attendance,
    Campaign,
    CampaignSignup,
    Engagement,
    Institution,
    InstitutionContact,
    Outcome,
    PolicyOutcome,
    Story,
)
from minga.activities.schemas import (
    ActivityFilters,
    ActivityIn,
    ActivityOut,
    ActivityPatch,
    ActivityTypeIn,
    ActivityTypeOut,
    AttendanceIn,
    AttendanceOut,
    CampaignIn,
    CampaignOut,
    CampaignPatch,
    ContactIn,
    ContactOut,
    EngagementFilters,
    EngagementIn,
    EngagementOut,
    EngagementPatch,
    InstitutionFilters,
    InstitutionIn,
    InstitutionOut,
    InstitutionPatch,
    OutcomeFilters,
    OutcomeIn,
    OutcomeOut,
    OutcomePatch,
    OutcomeTransitionIn,
    PolicyOutcomeFilters,
    PolicyOutcomeIn,
    PolicyOutcomeOut,
    PolicyOutcomePatch,
    SignupIn,
    SignupOut,
    StoryFilters,
    StoryIn,
    StoryOut,
    StoryPatch,
)
from minga.activities.selectors import contact_rows
from minga.architecture.access import access_collective, access_group
from minga.architecture.models import Group
from minga.core.api_support import (
    ERROR_RESPONSES,
    ApiRequest,
    Page,
    PageParams,
    fields_as,
    idempotent,
    paginate,
    reference,
    references,
)
from minga.core.errors import DomainError
from minga.core.models import Collective
from minga.learning.models import Practice, Resource
from minga.measurement.models import Indicator
from minga.people.access import access_person

router = Router(tags=["activities"])

NAMES = {
    "group": "group_id",
    "participants": "participating_group_ids",
    "person": "person_id",
    "teller": "teller_id",
    "activity": "activity_id",
    "contributing_groups": "contributing_group_ids",
    "contributing_activities": "contributing_activity_ids",
    "policy_outcomes": "policy_outcome_ids",
    "engagements": "engagement_ids",
    "activities": "activity_ids",
    "outcomes": "outcome_ids",
    "groups": "group_ids",
    "indicators": "indicator_ids",
    "practices": "practice_ids",
    "resources": "resource_ids",
}
# Request field → (service argument, the linked model).
LINK_FIELDS: dict[str, tuple[str, Any]] = {
    "indicator_ids": ("indicators", Indicator),
    "practice_ids": ("practices", Practice),
    "resource_ids": ("resources", Resource),
}


# The same for a story's links.
STORY_LINK_FIELDS: dict[str, tuple[str, Any]] = {
    "activity_ids": ("activities", Activity),
    "outcome_ids": ("outcomes", Outcome),
    "group_ids": ("groups", Group),
}


def _links(
    user: Any, data: dict[str, Any], fields: dict[str, tuple[str, Any]] = LINK_FIELDS
) -> dict[str, Any]:
    """Pop the id lists of `fields` (by default `indicator_ids`, `practice_ids`, `resource_ids`) from
    `data` as visible objects (None stays None: the link is left alone)."""
    links: dict[str, Any] = {}
    for field, (name, model) in fields.items():
        if field in data:
            ids = data.pop(field)
            links[name] = None if ids is None else references(field, model.objects.visible_to(user), ids)
    return links


def _groups(user: Any, field: str, ids: list[int]) -> list[Group]:
    return references(field, Group.objects.visible_to(user), ids)


def _activity_type(collective: Collective, code: str | None) -> ActivityType | None:
    if not code:
        return None
    found = ActivityType.objects.filter(collective=collective, code=code).first()
    if found is None:
        raise DomainError.single(
            "unknown_type", f"No activity type {code!r} in this collective.", field="type"
        )
    return found


def _activities(user: Any) -> Any:
    return (
        Activity.objects.visible_to(user)
        .select_related("collective", "group", "type", "campaign")
        .prefetch_related(
            Prefetch("participants", queryset=Group.objects.only("id", "code", "name")),
            Prefetch("indicators", queryset=Indicator.objects.only("id")),
            Prefetch("practices", queryset=Practice.objects.only("id")),
            Prefetch("resources", queryset=Resource.objects.only("id")),
        )
    )


# --- activity types -------------------------------------------------------------------------------


@router.get("/activity-types", response={200: list[ActivityTypeOut], **ERROR_RESPONSES})
def list_activity_types(request: ApiRequest, collective: str) -> list[ActivityType]:
    """The collective's kinds of activity (its own vocabulary)."""
    found = access_collective(request.auth, collective)
    return list(ActivityType.objects.visible_to(request.auth).filter(collective=found))


@router.post("/activity-types", response={201: ActivityTypeOut, **ERROR_RESPONSES})
@idempotent
def create_activity_type(request: ApiRequest, payload: ActivityTypeIn) -> Status[ActivityType]:
    """Add a kind of activity (backbone admins)."""
    user = request.auth
    collective = reference("collective", access_collective, user, payload.collective)
    kind = services.activity_type_create(
        actor=user,
        collective=collective,
        code=payload.code,
        name=payload.name,
        area=payload.area or "",
        order=payload.order,
    )
    return Status(201, kind)


# --- activities -----------------------------------------------------------------------------------


@router.get("/activities", response={200: Page[ActivityOut], **ERROR_RESPONSES})
def list_activities(request: ApiRequest, filters: Query[ActivityFilters]) -> dict[str, Any]:
    user = request.auth
    qs = _activities(user)
    if filters.collective:
        qs = qs.filter(collective__slug=filters.collective)
    if filters.area:
        qs = qs.filter(area=filters.area)
    if filters.group is not None:
        qs = qs.in_subtree(access_group(user, filters.group))
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.starts_from:
        qs = qs.filter(starts_on__gte=filters.starts_from)
    if filters.starts_until:
        qs = qs.filter(starts_on__lte=filters.starts_until)
    if filters.q:
        qs = qs.filter(title__icontains=filters.q)
    return paginate(qs, filters, keys=("id",))


@router.get("/activities/{activity_id}", response={200: ActivityOut, **ERROR_RESPONSES})
def get_activity(request: ApiRequest, activity_id: int) -> Activity:
    access_activity(request.auth, activity_id)
    result: Activity = _activities(request.auth).get(pk=activity_id)
    return result


@router.post("/activities", response={201: ActivityOut, **ERROR_RESPONSES})
@idempotent
def create_activity(request: ApiRequest, payload: ActivityIn) -> Status[Activity]:
    """Record an activity owned by a group you lead, coordinate or administer."""
    user = request.auth
    collective = reference("collective", access_collective, user, payload.collective)
    group = reference("group_id", access_group, user, payload.group_id, collective=collective)
    participants = _groups(user, "participating_group_ids", payload.participating_group_ids)
    data = payload.model_dump(exclude={"collective", "group_id", "participating_group_ids", "type"})
    links = _links(user, data)
    with fields_as(NAMES):
        activity = services.activity_create(
            actor=user,
            collective=collective,
            group=group,
            participants=participants,
            type=_activity_type(collective, payload.type),
            **links,
            **data,
        )
    return Status(201, _activities(user).get(pk=activity.pk))


@router.patch("/activities/{activity_id}", response={200: ActivityOut, **ERROR_RESPONSES})
@idempotent
def update_activity(request: ApiRequest, activity_id: int, payload: ActivityPatch) -> Activity:
    user = request.auth
    activity = access_activity(user, activity_id, for_edit=True)
    changes = payload.model_dump(exclude_unset=True)
    group = None
    if "group_id" in changes:
        group = reference("group_id", access_group, user, changes.pop("group_id"))
    participants = None
    if "participating_group_ids" in changes:
        participants = _groups(user, "participating_group_ids", changes.pop("participating_group_ids") or [])
    if "type" in changes:
        changes["type"] = _activity_type(activity.collective, changes["type"])
    changes.update(_links(user, changes))
    with fields_as(NAMES):
        services.activity_update(
            actor=user, activity=activity, group=group, participants=participants, **changes
        )
    result: Activity = _activities(user).get(pk=activity.pk)
    return result


@router.delete("/activities/{activity_id}", response={204: None, **ERROR_RESPONSES})
@idempotent
def delete_activity(request: ApiRequest, activity_id: int) -> Status[None]:
    activity = access_activity(request.auth, activity_id, for_edit=True)
    services.activity_delete(actor=request.auth, activity=activity)
    return Status(204, None)


@router.get("/activities/{activity_id}/attendance", response={200: Page[AttendanceOut], **ERROR_RESPONSES})
def list_attendance(request: ApiRequest, activity_id: int, params: Query[PageParams]) -> dict[str, Any]:
    """Named participants: only people who consented and whom you may read (none for the public)."""
    activity = access_activity(request.auth, activity_id)
    qs = Attendance.objects.visible_to(request.auth).filter(activity=activity).select_related("person")
    return paginate(qs, params, keys=("id",))


@router.post("/activities/{activity_id}/attendance", response={201: AttendanceOut, **ERROR_RESPONSES})
@idempotent
def add_attendance(request: ApiRequest, activity_id: int, payload: AttendanceIn) -> Status[Attendance]:
    user = request.auth
    activity = access_activity(user, activity_id, for_edit=True)
    person = reference("person_id", access_person, user, payload.person_id)
    with fields_as(NAMES):
        attendance = services.attendance_add(actor=user, activity=activity, person=person, role=payload.role)
    return Status(201, attendance)


@router.delete("/activities/{activity_id}/attendance/{person_id}", response={204: None, **ERROR_RESPONSES})
@idempotent
def remove_attendance(request: ApiRequest, activity_id: int, person_id: int) -> Status[None]:
    activity = access_activity(request.auth, activity_id, for_edit=True)
    attendance = (
        Attendance.objects.visible_to(request.auth).filter(activity=activity, person_id=person_id).first()
    )
    if attendance is not None:
        services.attendance_remove(actor=request.auth, attendance=attendance)
    return Status(204, None)


# --- campaigns ------------------------------------------------------------------------------------


def _campaigns(user: Any) -> Any:
    return Campaign.objects.visible_to(user).select_related("activity").annotate(total=Sum("signups__count"))


@router.get("/campaigns", response={200: Page[CampaignOut], **ERROR_RESPONSES})
def list_campaigns(
    request: ApiRequest, params: Query[PageParams], collective: str | None = None
) -> dict[str, Any]:
    qs = _campaigns(request.auth)
    if collective:
        qs = qs.filter(activity__collective__slug=collective)
    return paginate(qs, params, keys=("id",))


@router.get("/campaigns/{campaign_id}", response={200: CampaignOut, **ERROR_RESPONSES})
def get_campaign(request: ApiRequest, campaign_id: int) -> Campaign:
    access_campaign(request.auth, campaign_id)
    result: Campaign = _campaigns(request.auth).get(pk=campaign_id)
    return result


@router.post("/campaigns", response={201: CampaignOut, **ERROR_RESPONSES})
@idempotent
def create_campaign(request: ApiRequest, payload: CampaignIn) -> Status[Campaign]:
    user = request.auth
    activity = reference("activity_id", access_activity, user, payload.activity_id, for_edit=True)
    with fields_as(NAMES):
        campaign = services.campaign_create(
            actor=user, activity=activity, **payload.model_dump(exclude={"activity_id"})
        )
    return Status(201, _campaigns(user).get(pk=campaign.pk))


@router.patch("/campaigns/{campaign_id}", response={200: CampaignOut, **ERROR_RESPONSES})
@idempotent
def update_campaign(request: ApiRequest, campaign_id: int, payload: CampaignPatch) -> Campaign:
    campaign = access_campaign(request.auth, campaign_id, for_edit=True)
    services.campaign_update(actor=request.auth, campaign=campaign, **payload.model_dump(exclude_unset=True))
    result: Campaign = _campaigns(request.auth).get(pk=campaign.pk)
    return result


@router.get("/campaigns/{campaign_id}/signups", response={200: Page[SignupOut], **ERROR_RESPONSES})
def list_signups(request: ApiRequest, campaign_id: int, params: Query[PageParams]) -> dict[str, Any]:
    campaign = access_campaign(request.auth, campaign_id)
    return paginate(CampaignSignup.objects.visible_to(request.auth).filter(campaign=campaign), params)


@router.post("/campaigns/{campaign_id}/signups", response={201: SignupOut, **ERROR_RESPONSES})
@idempotent
def record_signups(request: ApiRequest, campaign_id: int, payload: SignupIn) -> Status[Any]:
    """Add the sign-ups a group collected on a day (a group you lead, coordinate or administer)."""
    user = request.auth
    campaign = access_campaign(user, campaign_id)
    group = reference("group_id", access_group, user, payload.group_id)
    with fields_as(NAMES):
        signup = services.signup_record(
            actor=user, campaign=campaign, group=group, **payload.model_dump(exclude={"group_id"})
        )
    return Status(201, signup)


# --- institutions and engagements -----------------------------------------------------------------


@router.get("/institutions", response={200: Page[InstitutionOut], **ERROR_RESPONSES})
def list_institutions(request: ApiRequest, filters: Query[InstitutionFilters]) -> dict[str, Any]:
    qs = Institution.objects.visible_to(request.auth).select_related("collective")
    if filters.collective:
        qs = qs.filter(collective__slug=filters.collective)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.q:
        qs = qs.filter(name__icontains=filters.q)
    return paginate(qs, filters, keys=("id",))


@router.get("/institutions/{institution_id}", response={200: InstitutionOut, **ERROR_RESPONSES})
def get_institution(request: ApiRequest, institution_id: int) -> Institution:
    return access_institution(request.auth, institution_id)


@router.post("/institutions", response={201: InstitutionOut, **ERROR_RESPONSES})
@idempotent
def create_institution(request: ApiRequest, payload: InstitutionIn) -> Status[Institution]:
    user = request.auth
    collective = reference("collective", access_collective, user, payload.collective)
    group = None
    if payload.group_id is not None:
        group = reference("group_id", access_group, user, payload.group_id, collective=collective)
    with fields_as(NAMES):
        institution = services.institution_create(
            actor=user,
            collective=collective,
            group=group,
            **payload.model_dump(exclude={"collective", "group_id"}),
        )
    return Status(201, institution)


@router.patch("/institutions/{institution_id}", response={200: InstitutionOut, **ERROR_RESPONSES})
@idempotent
def update_institution(request: ApiRequest, institution_id: int, payload: InstitutionPatch) -> Institution:
    institution = access_institution(request.auth, institution_id, for_edit=True)
    return services.institution_update(
        actor=request.auth, institution=institution, **payload.model_dump(exclude_unset=True)
    )


@router.get("/institutions/{institution_id}/contacts", response={200: list[ContactOut], **ERROR_RESPONSES})
def list_contacts(request: ApiRequest, institution_id: int) -> list[dict[str, Any]]:
    """Roles at the institution; a name only for a consented person you may read."""
    institution = access_institution(request.auth, institution_id)
    return [row.as_dict() for row in contact_rows(request.auth, institution)]


@router.post("/institutions/{institution_id}/contacts", response={201: ContactOut, **ERROR_RESPONSES})
@idempotent
def add_contact(request: ApiRequest, institution_id: int, payload: ContactIn) -> Status[dict[str, Any]]:
    user = request.auth
    institution = access_institution(user, institution_id, for_edit=True)
    person = None
    if payload.person_id is not None:
        person = reference("person_id", access_person, user, payload.person_id)
    with fields_as(NAMES):
        contact: InstitutionContact = services.contact_add(
            actor=user, institution=institution, role=payload.role, person=person, notes=payload.notes
        )
    return Status(201, {"id": contact.pk, "role": contact.role, "name": person.full_name if person else None})


@router.get("/engagements", response={200: Page[EngagementOut], **ERROR_RESPONSES})
def list_engagements(request: ApiRequest, filters: Query[EngagementFilters]) -> dict[str, Any]:
    qs = Engagement.objects.visible_to(request.auth).select_related("institution")
    if filters.collective:
        qs = qs.filter(collective__slug=filters.collective)
    if filters.institution is not None:
        qs = qs.filter(institution_id=filters.institution)
    if filters.group is not None:
        qs = qs.filter(group__path__startswith=access_group(request.auth, filters.group).path)
    return paginate(qs, filters, keys=("id",))


@router.get("/engagements/{engagement_id}", response={200: EngagementOut, **ERROR_RESPONSES})
def get_engagement(request: ApiRequest, engagement_id: int) -> Engagement:
    return access_engagement(request.auth, engagement_id)


@router.post("/engagements", response={201: EngagementOut, **ERROR_RESPONSES})
@idempotent
def create_engagement(request: ApiRequest, payload: EngagementIn) -> Status[Engagement]:
    user = request.auth
    institution = reference("institution_id", access_institution, user, payload.institution_id)
    group = reference("group_id", access_group, user, payload.group_id)
    activity = None
    if payload.activity_id is not None:
        activity = reference("activity_id", access_activity, user, payload.activity_id)
    with fields_as(NAMES):
        engagement = services.engagement_create(
            actor=user,
            institution=institution,
            group=group,
            activity=activity,
            **payload.model_dump(exclude={"institution_id", "group_id", "activity_id"}),
        )
    return Status(201, engagement)


@router.patch("/engagements/{engagement_id}", response={200: EngagementOut, **ERROR_RESPONSES})
@idempotent
def update_engagement(request: ApiRequest, engagement_id: int, payload: EngagementPatch) -> Engagement:
    engagement = access_engagement(request.auth, engagement_id, for_edit=True)
    return services.engagement_update(
        actor=request.auth, engagement=engagement, **payload.model_dump(exclude_unset=True)
    )


@router.get("/policy-outcomes", response={200: Page[PolicyOutcomeOut], **ERROR_RESPONSES})
def list_policy_outcomes(request: ApiRequest, filters: Query[PolicyOutcomeFilters]) -> dict[str, Any]:
    qs = PolicyOutcome.objects.visible_to(request.auth).prefetch_related("engagements")
    if filters.collective:
        qs = qs.filter(collective__slug=filters.collective)
    if filters.institution is not None:
        qs = qs.filter(institution_id=filters.institution)
    return paginate(qs, filters, keys=("id",))


@router.get("/policy-outcomes/{policy_outcome_id}", response={200: PolicyOutcomeOut, **ERROR_RESPONSES})
def get_policy_outcome(request: ApiRequest, policy_outcome_id: int) -> PolicyOutcome:
    return access_policy_outcome(request.auth, policy_outcome_id)


@router.post("/policy-outcomes", response={201: PolicyOutcomeOut, **ERROR_RESPONSES})
@idempotent
def create_policy_outcome(request: ApiRequest, payload: PolicyOutcomeIn) -> Status[PolicyOutcome]:
    user = request.auth
    institution = reference("institution_id", access_institution, user, payload.institution_id)
    group = reference("group_id", access_group, user, payload.group_id)
    engagements = references("engagement_ids", Engagement.objects.visible_to(user), payload.engagement_ids)
    with fields_as(NAMES):
        policy = services.policy_outcome_create(
            actor=user,
            institution=institution,
            group=group,
            engagements=engagements,
            **payload.model_dump(exclude={"institution_id", "group_id", "engagement_ids"}),
        )
    return Status(201, policy)


@router.patch("/policy-outcomes/{policy_outcome_id}", response={200: PolicyOutcomeOut, **ERROR_RESPONSES})
@idempotent
def update_policy_outcome(
    request: ApiRequest, policy_outcome_id: int, payload: PolicyOutcomePatch
) -> PolicyOutcome:
    policy = access_policy_outcome(request.auth, policy_outcome_id, for_edit=True)
    return services.policy_outcome_update(
        actor=request.auth, policy_outcome=policy, **payload.model_dump(exclude_unset=True)
    )


# --- outcomes -------------------------------------------------------------------------------------


def _outcomes(user: Any) -> Any:
    return (
        Outcome.objects.visible_to(user)
        .select_related("collective")
        .prefetch_related(
            "contributing_groups", "contributing_activities", "policy_outcomes", "practices", "indicators"
        )
    )


def _outcome_links(user: Any, changes: dict[str, Any]) -> dict[str, Any]:
    links: dict[str, Any] = {}
    if changes.get("contributing_group_ids") is not None:
        links["contributing_groups"] = _groups(
            user, "contributing_group_ids", changes["contributing_group_ids"]
        )
    if changes.get("contributing_activity_ids") is not None:
        links["contributing_activities"] = references(
            "contributing_activity_ids",
            Activity.objects.visible_to(user),
            changes["contributing_activity_ids"],
        )
    if changes.get("policy_outcome_ids") is not None:
        links["policy_outcomes"] = references(
            "policy_outcome_ids", PolicyOutcome.objects.visible_to(user), changes["policy_outcome_ids"]
        )
    for key in ("contributing_group_ids", "contributing_activity_ids", "policy_outcome_ids"):
        changes.pop(key, None)
    links.update(_links(user, changes))
    return links


@router.get("/outcomes", response={200: Page[OutcomeOut], **ERROR_RESPONSES})
def list_outcomes(request: ApiRequest, filters: Query[OutcomeFilters]) -> dict[str, Any]:
    qs = _outcomes(request.auth)
    if filters.collective:
        qs = qs.filter(collective__slug=filters.collective)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.group is not None:
        qs = qs.filter(group__path__startswith=access_group(request.auth, filters.group).path)
    return paginate(qs, filters, keys=("id",))


@router.get("/outcomes/{outcome_id}", response={200: OutcomeOut, **ERROR_RESPONSES})
def get_outcome(request: ApiRequest, outcome_id: int) -> Outcome:
    access_outcome(request.auth, outcome_id)
    result: Outcome = _outcomes(request.auth).get(pk=outcome_id)
    return result


@router.post("/outcomes", response={201: OutcomeOut, **ERROR_RESPONSES})
@idempotent
def create_outcome(request: ApiRequest, payload: OutcomeIn) -> Status[Outcome]:
    """Harvest an outcome (as a draft)."""
    user = request.auth
    collective = reference("collective", access_collective, user, payload.collective)
    group = reference("group_id", access_group, user, payload.group_id, collective=collective)
    data = payload.model_dump(exclude={"collective", "group_id"})
    links = _outcome_links(user, data)
    data["actor_changed"] = data.pop("actor")
    with fields_as(NAMES):
        outcome = services.outcome_create(actor=user, collective=collective, group=group, **links, **data)
    return Status(201, _outcomes(user).get(pk=outcome.pk))


@router.patch("/outcomes/{outcome_id}", response={200: OutcomeOut, **ERROR_RESPONSES})
@idempotent
def update_outcome(request: ApiRequest, outcome_id: int, payload: OutcomePatch) -> Outcome:
    user = request.auth
    outcome = access_outcome(user, outcome_id, for_edit=True)
    changes = payload.model_dump(exclude_unset=True)
    links = _outcome_links(user, changes)
    if "actor" in changes:
        changes["actor_changed"] = changes.pop("actor")
    with fields_as(NAMES):
        services.outcome_update(actor=user, outcome=outcome, **links, **changes)
    result: Outcome = _outcomes(user).get(pk=outcome.pk)
    return result


@router.post("/outcomes/{outcome_id}/transition", response={200: OutcomeOut, **ERROR_RESPONSES})
@idempotent
def transition_outcome(request: ApiRequest, outcome_id: int, payload: OutcomeTransitionIn) -> Outcome:
    """Review: draft → substantiated → published, or back (substantiated → draft, published →
    substantiated). Substantiating and publishing need a coordinator above the group or an admin."""
    user = request.auth
    outcome = access_outcome(user, outcome_id, for_edit=True)
    services.outcome_transition(
        actor=user, outcome=outcome, to=payload.to, substantiated_by=payload.substantiated_by
    )
    result: Outcome = _outcomes(user).get(pk=outcome.pk)
    return result


# --- stories --------------------------------------------------------------------------------------


def _stories(user: Any) -> Any:
    return (
        Story.objects.visible_to(user)
        .select_related("collective")
        .prefetch_related(
            Prefetch("activities", Activity.objects.visible_to(user)),
            Prefetch("outcomes", Outcome.objects.visible_to(user)),
            Prefetch("groups", Group.objects.visible_to(user)),
        )
    )


def _story_out(user: Any, story: Story) -> Story:
    """Anonymous callers never see who told a story."""
    if not getattr(user, "is_authenticated", False):
        story.teller_name = None  # type: ignore[assignment]
    return story


@router.get("/stories", response={200: Page[StoryOut], **ERROR_RESPONSES})
def list_stories(request: ApiRequest, filters: Query[StoryFilters]) -> dict[str, Any]:
    user = request.auth
    qs = _stories(user)
    if filters.collective:
        qs = qs.filter(collective__slug=filters.collective)
    if filters.group is not None:
        qs = qs.filter(group__path__startswith=access_group(user, filters.group).path)
    if filters.teller == "me":
        qs = qs & Story.objects.told_by(user)
    page = paginate(qs, filters, keys=("id",))
    if filters.theme:
        # Themes are a JSON list: filtered after the page is read, which keeps SQLite and PostgreSQL alike.
        page["items"] = [s for s in page["items"] if filters.theme.lower() in s.themes]
    page["items"] = [_story_out(user, s) for s in page["items"]]
    return page


@router.get("/stories/{story_id}", response={200: StoryOut, **ERROR_RESPONSES})
def get_story(request: ApiRequest, story_id: int) -> Story:
    access_story(request.auth, story_id)
    return _story_out(request.auth, _stories(request.auth).get(pk=story_id))


@router.post("/stories", response={201: StoryOut, **ERROR_RESPONSES})
@idempotent
def create_story(request: ApiRequest, payload: StoryIn) -> Status[Story]:
    """Share a story; the consent note is required, and a named teller must have given consent."""
    user = request.auth
    collective = reference("collective", access_collective, user, payload.collective)
    group = reference("group_id", access_group, user, payload.group_id, collective=collective)
    teller = None
    if payload.teller_id is not None:
        teller = reference("teller_id", access_person, user, payload.teller_id)
    data = payload.model_dump(exclude={"collective", "group_id", "teller_id"})
    links = _links(user, data, STORY_LINK_FIELDS)
    with fields_as(NAMES):
        story = services.story_create(
            actor=user, collective=collective, group=group, teller=teller, **links, **data
        )
    return Status(201, _stories(user).get(pk=story.pk))


@router.patch("/stories/{story_id}", response={200: StoryOut, **ERROR_RESPONSES})
@idempotent
def update_story(request: ApiRequest, story_id: int, payload: StoryPatch) -> Story:
    story = access_story(request.auth, story_id, for_edit=True)
    changes = payload.model_dump(exclude_unset=True)
    links = _links(request.auth, changes, STORY_LINK_FIELDS)
    with fields_as(NAMES):
        services.story_update(actor=request.auth, story=story, **links, **changes)
    result: Story = _stories(request.auth).get(pk=story.pk)
    return result


@router.delete("/stories/{story_id}", response={204: None, **ERROR_RESPONSES})
@idempotent
def withdraw_story(request: ApiRequest, story_id: int) -> Status[None]:
    """The teller withdrew consent (or says so themselves): the story is deleted."""
    story = access_story(request.auth, story_id, for_withdraw=True)
    services.story_withdraw(actor=request.auth, story=story)
    return Status(204, None)
