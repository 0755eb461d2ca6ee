"""One access function per object type of the activities app: NotFound for missing and forbidden alike."""

from __future__ import annotations

from typing import Any

from django.db import models

from minga.activities.models import (
    Activity,
    ActivityType,
    Campaign,
    Engagement,
    Institution,
    Outcome,
    PolicyOutcome,
    Story,
)
from minga.core.errors import NotFound
from minga.core.models import Collective


def _one(qs: models.QuerySet[Any], pk: int, what: str, collective: Collective | None) -> Any:
    if collective is not None:
        qs = qs.filter(collective=collective)
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise NotFound(what)
    return obj


def access_activity(
    user: Any, activity_id: int, *, for_edit: bool = False, collective: Collective | None = None
) -> Activity:
    """The activity `user` may see (or edit: owner group editable), else NotFound."""
    qs = Activity.objects.visible_to(user)
    if for_edit:
        qs = qs.editable_by(user)
    return _one(qs.select_related("collective", "group", "type"), activity_id, "activity", collective)


def access_activity_type(user: Any, type_id: int, *, collective: Collective | None = None) -> ActivityType:
    return _one(ActivityType.objects.visible_to(user), type_id, "activity type", collective)


def access_campaign(user: Any, campaign_id: int, *, for_edit: bool = False) -> Campaign:
    qs = Campaign.objects.visible_to(user)
    if for_edit:
        qs = qs.filter(activity__in=Activity.objects.editable_by(user).values("id"))
    obj = (
        qs.select_related("activity", "activity__group", "activity__collective")
        .filter(pk=campaign_id)
        .first()
    )
    if obj is None:
        raise NotFound("campaign")
    return obj


def access_institution(
    user: Any, institution_id: int, *, for_edit: bool = False, collective: Collective | None = None
) -> Institution:
    qs = Institution.objects.visible_to(user)
    if for_edit:
        qs = qs.editable_by(user)
    return _one(qs.select_related("collective", "group"), institution_id, "institution", collective)


def access_engagement(user: Any, engagement_id: int, *, for_edit: bool = False) -> Engagement:
    qs = Engagement.objects.visible_to(user)
    if for_edit:
        qs = qs.editable_by(user)
    return _one(qs.select_related("institution", "group", "collective"), engagement_id, "engagement", None)


def access_policy_outcome(user: Any, policy_outcome_id: int, *, for_edit: bool = False) -> PolicyOutcome:
    qs = PolicyOutcome.objects.visible_to(user)
    if for_edit:
        qs = qs.editable_by(user)
    return _one(
        qs.select_related("institution", "group", "collective"), policy_outcome_id, "policy outcome", None
    )


def access_outcome(
    user: Any, outcome_id: int, *, for_edit: bool = False, collective: Collective | None = None
) -> Outcome:
    qs = Outcome.objects.visible_to(user)
    if for_edit:
        qs = qs.editable_by(user)
    return _one(qs.select_related("collective", "group"), outcome_id, "outcome", collective)


def access_story(
    user: Any,
    story_id: int,
    *,
    for_edit: bool = False,
    for_withdraw: bool = False,
    collective: Collective | None = None,
) -> Story:
    """A story `user` may see (edit; withdraw: edit, or told it), else NotFound. A story whose teller
    withdrew their consent is seen by nobody, and so can't be found again either."""
    qs = Story.objects.visible_to(user)
    if for_edit:
        qs = qs.editable_by(user)
    if for_withdraw:
        qs = qs.withdrawable_by(user)
    return _one(qs.select_related("collective", "group", "teller"), story_id, "story", collective)
