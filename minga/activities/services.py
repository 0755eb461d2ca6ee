"""Writes of the activities app. Each service checks reach and rules, writes in one transaction, audits.

Reach is that of the owner group: a lead for their own group, a coordinator for their subtree, an admin
for the whole collective (`highest_role_over`). Personal data enters only with consent: a named
participant, a named institution contact and a story's teller must be people who consented.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from minga.activities.models import (
    Activity,
    ActivityType,
    Area,
    Attendance,
    Campaign,
    CampaignSignup,
    Engagement,
    Institution,
    InstitutionContact,
    Outcome,
    OutcomeStatus,
    PolicyOutcome,
    Story,
)
from minga.architecture.models import Group
from minga.core.audit import audit_record, diff_fields, snapshot
from minga.core.choices import Role
from minga.core.errors import DomainError, NotFound, Problem, full_clean
from minga.core.models import Collective
from minga.core.scoping import scope_for
from minga.people.models import Person
from minga.people.services import highest_role_over

ACTIVITY_FIELDS = [
    "code",
    "area",
    "type",
    "title",
    "description",
    "starts_on",
    "ends_on",
    "place_name",
    "status",
    "outputs",
    "participants_total",
    "participation",
    "visibility",
]
INSTITUTION_FIELDS = ["name", "kind", "level", "country_code", "website", "notes", "group"]
ENGAGEMENT_FIELDS = ["kind", "occurred_on", "summary", "asks", "response", "activity"]
POLICY_FIELDS = [
    "title",
    "kind",
    "status",
    "decided_on",
    "contribution",
    "contribution_level",
    "evidence",
]
OUTCOME_FIELDS = [
    "title",
    "description",
    "actor",
    "happened_on",
    "place_name",
    "significance",
    "contribution",
    "sources",
    "substantiated_by",
]
STORY_FIELDS = ["title", "text", "teller_name", "consent_note", "told_on", "themes", "visibility"]
MAX_THEMES = 12


# --- shared checks --------------------------------------------------------------------------------


def _unknown(fields: Iterable[str], allowed: list[str]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise DomainError.single("unknown_field", f"Unknown fields: {', '.join(sorted(unknown))}.")


def _require_group_reach(actor: Any, group: Group, collective: Collective, field: str = "group") -> None:
    """The actor may act for `group` (lead of it, coordinator above it, admin of its collective)."""
    if group.collective_id != collective.pk:
        raise DomainError.single("invalid_group", "This group belongs to another collective.", field=field)
    if highest_role_over(actor, group) is None:
        raise DomainError.single(
            "outside_reach", "You may only record this for groups you lead or coordinate.", field=field
        )


def _require_admin_or_coordinator(actor: Any, group: Group, what: str) -> None:
    if highest_role_over(actor, group) not in (Role.ADMIN, Role.COORDINATOR):
        raise DomainError.single(
            "reviewer_required", f"Only a coordinator above the group or an admin may {what}.", field="status"
        )


def _is_admin(actor: Any, collective: Collective) -> bool:
    scope = scope_for(actor)
    return scope.is_superuser or collective.pk in scope.admin_collectives


def _same_collective(objs: Iterable[Any], collective: Collective, field: str) -> None:
    if any(o.collective_id != collective.pk for o in objs):
        raise DomainError.single(
            "invalid_reference", "These must belong to the same collective.", field=field
        )


def _consented(person: Person | None, collective: Collective, field: str) -> None:
    if person is None:
        return
    if person.collective_id != collective.pk:
        raise DomainError.single("invalid_person", "This person belongs to another collective.", field=field)
    if not person.has_consent:
        raise DomainError.single(
            "consent_required",
            "This person has not given consent to be named; record their consent first.",
            field=field,
        )


def _clean_themes(themes: Iterable[str]) -> list[str]:
    cleaned = list(dict.fromkeys(t.strip().lower()[:40] for t in themes if t and t.strip()))
    if len(cleaned) > MAX_THEMES:
        raise DomainError.single("too_many_themes", f"At most {MAX_THEMES} themes.", field="themes")
    return cleaned


def _participation_problems(total: int, participation: Any) -> list[Problem]:
    if not isinstance(participation, dict):
        return [Problem("invalid_participation", "Give counts by category.", field="participation")]
    problems = []
    for category, count in participation.items():
        if not isinstance(category, str) or not category.strip() or len(category) > 40:
            problems.append(
                Problem("invalid_category", "Categories are short names, e.g. women.", field="participation")
            )
        elif not isinstance(count, int) or isinstance(count, bool) or count < 0:
            problems.append(
                Problem(
                    "invalid_count",
                    f"The count for {category!r} must be a whole number ≥ 0.",
                    field="participation",
                )
            )
        elif count > total:
            problems.append(
                Problem(
                    "count_above_total",
                    f"{count} {category} is more than the {total} participants in total.",
                    field="participation",
                )
            )
    return problems


# --- activity types -------------------------------------------------------------------------------


@transaction.atomic
def activity_type_create(
    *, actor: Any, collective: Collective, code: str, name: str, area: str = "", order: int = 0
) -> ActivityType:
    """Add a kind of activity to the collective's vocabulary (backbone admins)."""
    if not _is_admin(actor, collective):
        raise DomainError.single("forbidden", "Only a backbone admin can configure activity types.")
    kind = ActivityType(collective=collective, code=code, name=name, area=area, order=order)
    full_clean(kind)
    kind.save()
    audit_record(
        actor=actor, action="activity_type.create", target=kind, changes={"code": code, "name": name}
    )
    return kind


# --- activities -----------------------------------------------------------------------------------


def _activity_problems(activity: Activity) -> list[Problem]:
    problems = []
    if activity.ends_on and activity.starts_on and activity.ends_on < activity.starts_on:
        problems.append(
            Problem("dates_out_of_order", "An activity cannot end before it starts.", field="ends_on")
        )
    if activity.type is not None and activity.type.collective_id != activity.collective_id:
        problems.append(Problem("invalid_type", "This type belongs to another collective.", field="type"))
    problems += _participation_problems(activity.participants_total or 0, activity.participation)
    return problems


def _set_participants(activity: Activity, participants: list[Group] | None) -> None:
    if participants is None:
        return
    _same_collective(participants, activity.collective, "participants")
    activity.participants.set([g for g in participants if g.pk != activity.group_id])


def _set_links(obj: Activity | Outcome, links: dict[str, list[Any] | None]) -> None:
    """Links to indicators, practices and resources (measurement and learning): same collective only."""
    for name, items in links.items():
        if items is None:
            continue
        _same_collective(items, obj.collective, name)
        getattr(obj, name).set(items)


LINKS = ("indicators", "practices", "resources")


def _pop_links(fields: dict[str, Any], names: tuple[str, ...] = LINKS) -> dict[str, list[Any] | None]:
    return {name: fields.pop(name, None) for name in names}


@transaction.atomic
def activity_create(
    *,
    actor: Any,
    collective: Collective,
    group: Group,
    area: str,
    title: str,
    starts_on: dt.date,
    participants: list[Group] | None = None,
    **fields: Any,
) -> Activity:
    """Record an activity owned by `group` (which the actor leads, coordinates or administers), with
    optional `indicators`, `practices` and `resources` it relates to."""
    links = _pop_links(fields)
    _unknown(fields, ACTIVITY_FIELDS)
    _require_group_reach(actor, group, collective)
    activity = Activity(
        collective=collective, group=group, area=area, title=title, starts_on=starts_on, **fields
    )
    problems = _activity_problems(activity)
    if problems:
        raise DomainError(problems)
    full_clean(activity, exclude=["collective", "group"])
    try:
        with transaction.atomic():
            activity.save()
            if not activity.code:
                # Every activity gets a code, so exports re-import onto the same rows.
                activity.code = f"activity-{activity.pk}"
                Activity.objects.filter(pk=activity.pk).update(code=activity.code)
    except IntegrityError as error:
        raise DomainError.single("duplicate_code", "Another activity has this code.", field="code") from error
    _set_participants(activity, participants)
    _set_links(activity, links)
    audit_record(
        actor=actor, action="activity.create", target=activity, changes=snapshot(activity, ["area", "title"])
    )
    return activity


@transaction.atomic
def activity_update(
    *,
    actor: Any,
    activity: Activity,
    participants: list[Group] | None = None,
    group: Group | None = None,
    **changes: Any,
) -> Activity:
    """Change an activity; `group` moves it to another owner group within the actor's reach."""
    links = _pop_links(changes)
    _unknown(changes, ACTIVITY_FIELDS)
    locked = Activity.objects.editable_by(actor).select_for_update().filter(pk=activity.pk).first()
    if locked is None:
        raise NotFound("activity")
    before = snapshot(locked, [*ACTIVITY_FIELDS, "group"])
    if group is not None and group.pk != locked.group_id:
        _require_group_reach(actor, group, locked.collective)
        locked.group = group
    for name, value in changes.items():
        setattr(locked, name, value)
    problems = _activity_problems(locked)
    if problems:
        raise DomainError(problems)
    full_clean(locked, exclude=["collective", "group"])
    try:
        with transaction.atomic():
            locked.save()
    except IntegrityError as error:
        raise DomainError.single("duplicate_code", "Another activity has this code.", field="code") from error
    _set_participants(locked, participants)
    _set_links(locked, links)
    diff = diff_fields(locked, before, [*ACTIVITY_FIELDS, "group"])
    if diff or participants is not None or any(v is not None for v in links.values()):
        audit_record(actor=actor, action="activity.update", target=locked, changes=diff)
    return locked


@transaction.atomic
def activity_delete(*, actor: Any, activity: Activity) -> None:
    locked = Activity.objects.editable_by(actor).filter(pk=activity.pk).first()
    if locked is None:
        raise NotFound("activity")
    audit_record(actor=actor, action="activity.delete", target=locked)
    locked.delete()


# --- named participants ---------------------------------------------------------------------------


@transaction.atomic
def attendance_add(
    *, actor: Any, activity: Activity, person: Person, role: str = Attendance.Role.PARTICIPANT
) -> Attendance:
    """Name a participant of an activity: only a person of the collective who gave consent, and whom
    the actor may read."""
    if not Activity.objects.editable_by(actor).filter(pk=activity.pk).exists():
        raise NotFound("activity")
    if not Person.objects.visible_to(actor).filter(pk=person.pk).exists():
        raise DomainError.single(
            "unknown_reference", "No person with this id that you can see.", field="person"
        )
    _consented(person, activity.collective, "person")
    if role not in Attendance.Role.values:
        raise DomainError.single("invalid_role", f"Unknown role {role!r}.", field="role")
    attendance, created = Attendance.objects.get_or_create(
        activity=activity, person=person, defaults={"role": role}
    )
    if not created and attendance.role != role:
        attendance.role = role
        attendance.save(update_fields=["role"])
    audit_record(
        actor=actor,
        action="attendance.add",
        target=attendance,
        collective=activity.collective,
        target_repr=f"person #{person.pk} at activity #{activity.pk}",
    )
    return attendance


@transaction.atomic
def attendance_remove(*, actor: Any, attendance: Attendance) -> None:
    if not Activity.objects.editable_by(actor).filter(pk=attendance.activity_id).exists():
        raise NotFound("attendance")
    audit_record(
        actor=actor,
        action="attendance.remove",
        target=attendance,
        collective=attendance.activity.collective,
        target_repr=f"person #{attendance.person_id} at activity #{attendance.activity_id}",
    )
    attendance.delete()


# --- campaigns ------------------------------------------------------------------------------------


@transaction.atomic
def campaign_create(
    *,
    actor: Any,
    activity: Activity,
    goal: int,
    unit: str = "sign-ups",
    ask: str = "",
    closes_on: dt.date | None = None,
) -> Campaign:
    """Make a movement-building activity a campaign with a sign-up goal."""
    if not Activity.objects.editable_by(actor).filter(pk=activity.pk).exists():
        raise NotFound("activity")
    if activity.area != Area.MOVEMENT:
        raise DomainError.single(
            "not_movement", "Campaigns are movement-building activities.", field="activity"
        )
    if Campaign.objects.filter(activity=activity).exists():
        raise DomainError.single("campaign_exists", "This activity is already a campaign.", field="activity")
    campaign = Campaign(activity=activity, goal=goal, unit=unit or "sign-ups", ask=ask, closes_on=closes_on)
    if closes_on and closes_on < activity.starts_on:
        raise DomainError.single(
            "dates_out_of_order", "A campaign cannot close before it starts.", field="closes_on"
        )
    full_clean(campaign, exclude=["activity"])
    campaign.save()
    audit_record(
        actor=actor,
        action="campaign.create",
        target=campaign,
        collective=activity.collective,
        changes={"goal": goal},
    )
    return campaign


@transaction.atomic
def campaign_update(*, actor: Any, campaign: Campaign, **changes: Any) -> Campaign:
    _unknown(changes, ["goal", "unit", "ask", "closes_on"])
    if not Activity.objects.editable_by(actor).filter(pk=campaign.activity_id).exists():
        raise NotFound("campaign")
    before = snapshot(campaign, ["goal", "unit", "ask", "closes_on"])
    for name, value in changes.items():
        setattr(campaign, name, value)
    full_clean(campaign, exclude=["activity"])
    campaign.save()
    audit_record(
        actor=actor,
        action="campaign.update",
        target=campaign,
        collective=campaign.activity.collective,
        changes=diff_fields(campaign, before, ["goal", "unit", "ask", "closes_on"]),
    )
    return campaign


@transaction.atomic
def signup_record(
    *, actor: Any, campaign: Campaign, group: Group, count: int, signed_on: dt.date, note: str = ""
) -> CampaignSignup:
    """Add a count of sign-ups a group collected on a day (the actor must reach that group)."""
    collective = campaign.activity.collective
    _require_group_reach(actor, group, collective)
    if signed_on < campaign.activity.starts_on:
        raise DomainError.single(
            "before_start", "Sign-ups cannot come before the campaign starts.", field="signed_on"
        )
    if signed_on > timezone.localdate():
        raise DomainError.single(
            "in_future", "Sign-ups cannot be recorded for a future day.", field="signed_on"
        )
    signup = CampaignSignup(campaign=campaign, group=group, count=count, signed_on=signed_on, note=note)
    full_clean(signup, exclude=["campaign", "group"])
    signup.save()
    audit_record(
        actor=actor,
        action="campaign.signup",
        target=signup,
        collective=collective,
        changes={"count": count, "group": group.code, "signed_on": signed_on},
    )
    return signup


# --- institutions and engagements -----------------------------------------------------------------


def _may_steward(actor: Any, collective: Collective, group: Group | None) -> None:
    if group is None:
        if not _is_admin(actor, collective):
            raise DomainError.single(
                "group_required", "Name the group that holds this relationship.", field="group"
            )
        return
    _require_group_reach(actor, group, collective)


@transaction.atomic
def institution_create(
    *,
    actor: Any,
    collective: Collective,
    name: str,
    kind: str,
    level: str,
    group: Group | None = None,
    **fields: Any,
) -> Institution:
    """Add an institution the collective engages with; a non-admin names a group they reach as steward."""
    _unknown(fields, INSTITUTION_FIELDS)
    _may_steward(actor, collective, group)
    institution = Institution(collective=collective, name=name, kind=kind, level=level, group=group, **fields)
    full_clean(institution)
    institution.save()
    audit_record(actor=actor, action="institution.create", target=institution, changes={"name": name})
    return institution


@transaction.atomic
def institution_update(*, actor: Any, institution: Institution, **changes: Any) -> Institution:
    _unknown(changes, INSTITUTION_FIELDS)
    locked = Institution.objects.editable_by(actor).select_for_update().filter(pk=institution.pk).first()
    if locked is None:
        raise NotFound("institution")
    if "group" in changes and changes["group"] != locked.group:
        _may_steward(actor, locked.collective, changes["group"])
    before = snapshot(locked, INSTITUTION_FIELDS)
    for name, value in changes.items():
        setattr(locked, name, value)
    full_clean(locked)
    locked.save()
    audit_record(
        actor=actor,
        action="institution.update",
        target=locked,
        changes=diff_fields(locked, before, INSTITUTION_FIELDS),
    )
    return locked


@transaction.atomic
def contact_add(
    *, actor: Any, institution: Institution, role: str, person: Person | None = None, notes: str = ""
) -> InstitutionContact:
    """A role at an institution; a person is named only if they consented."""
    if not Institution.objects.editable_by(actor).filter(pk=institution.pk).exists():
        raise NotFound("institution")
    if person is not None and not Person.objects.visible_to(actor).filter(pk=person.pk).exists():
        raise DomainError.single(
            "unknown_reference", "No person with this id that you can see.", field="person"
        )
    _consented(person, institution.collective, "person")
    contact = InstitutionContact(institution=institution, role=role, person=person, notes=notes)
    full_clean(contact, exclude=["institution", "person"])
    contact.save()
    audit_record(
        actor=actor,
        action="institution.contact_add",
        target=contact,
        collective=institution.collective,
        target_repr=role,
    )
    return contact


@transaction.atomic
def engagement_create(
    *,
    actor: Any,
    institution: Institution,
    group: Group,
    kind: str,
    occurred_on: dt.date,
    summary: str,
    **fields: Any,
) -> Engagement:
    """Record a meeting, submission or joint work of `group` with `institution`."""
    _unknown(fields, ENGAGEMENT_FIELDS)
    collective = institution.collective
    _require_group_reach(actor, group, collective)
    activity = fields.get("activity")
    if activity is not None:
        _same_collective([activity], collective, "activity")
    engagement = Engagement(
        collective=collective,
        institution=institution,
        group=group,
        kind=kind,
        occurred_on=occurred_on,
        summary=summary,
        **fields,
    )
    full_clean(engagement, exclude=["collective", "institution", "group", "activity"])
    engagement.save()
    audit_record(
        actor=actor,
        action="engagement.create",
        target=engagement,
        changes={"kind": kind, "occurred_on": occurred_on},
    )
    return engagement


@transaction.atomic
def engagement_update(*, actor: Any, engagement: Engagement, **changes: Any) -> Engagement:
    _unknown(changes, ENGAGEMENT_FIELDS)
    locked = Engagement.objects.editable_by(actor).select_for_update().filter(pk=engagement.pk).first()
    if locked is None:
        raise NotFound("engagement")
    if changes.get("activity") is not None:
        _same_collective([changes["activity"]], locked.collective, "activity")
    before = snapshot(locked, ENGAGEMENT_FIELDS)
    for name, value in changes.items():
        setattr(locked, name, value)
    full_clean(locked, exclude=["collective", "institution", "group", "activity"])
    locked.save()
    audit_record(
        actor=actor,
        action="engagement.update",
        target=locked,
        changes=diff_fields(locked, before, ENGAGEMENT_FIELDS),
    )
    return locked


@transaction.atomic
def policy_outcome_create(
    *,
    actor: Any,
    institution: Institution,
    group: Group,
    title: str,
    kind: str,
    contribution: str,
    engagements: list[Engagement] | None = None,
    **fields: Any,
) -> PolicyOutcome:
    """Record a policy, budget or practice change at `institution` and how `group` contributed."""
    _unknown(fields, POLICY_FIELDS)
    collective = institution.collective
    _require_group_reach(actor, group, collective)
    policy = PolicyOutcome(
        collective=collective,
        institution=institution,
        group=group,
        title=title,
        kind=kind,
        contribution=contribution,
        **fields,
    )
    full_clean(policy, exclude=["collective", "institution", "group"])
    policy.save()
    if engagements:
        if any(e.institution_id != institution.pk for e in engagements):
            raise DomainError.single(
                "invalid_engagement", "Link engagements with the same institution.", field="engagements"
            )
        policy.engagements.set(engagements)
    audit_record(
        actor=actor, action="policy_outcome.create", target=policy, changes={"title": title, "kind": kind}
    )
    return policy


@transaction.atomic
def policy_outcome_update(*, actor: Any, policy_outcome: PolicyOutcome, **changes: Any) -> PolicyOutcome:
    _unknown(changes, POLICY_FIELDS)
    locked = PolicyOutcome.objects.editable_by(actor).select_for_update().filter(pk=policy_outcome.pk).first()
    if locked is None:
        raise NotFound("policy outcome")
    before = snapshot(locked, POLICY_FIELDS)
    for name, value in changes.items():
        setattr(locked, name, value)
    full_clean(locked, exclude=["collective", "institution", "group"])
    locked.save()
    audit_record(
        actor=actor,
        action="policy_outcome.update",
        target=locked,
        changes=diff_fields(locked, before, POLICY_FIELDS),
    )
    return locked


# --- outcomes (outcome harvesting) ----------------------------------------------------------------


def _set_contributions(
    outcome: Outcome,
    groups: list[Group] | None,
    activities: list[Activity] | None,
    policy_outcomes: list[PolicyOutcome] | None,
) -> None:
    if groups is not None:
        _same_collective(groups, outcome.collective, "contributing_groups")
        outcome.contributing_groups.set(groups)
    if activities is not None:
        _same_collective(activities, outcome.collective, "contributing_activities")
        outcome.contributing_activities.set(activities)
    if policy_outcomes is not None:
        _same_collective(policy_outcomes, outcome.collective, "policy_outcomes")
        outcome.policy_outcomes.set(policy_outcomes)


@transaction.atomic
def outcome_create(
    *,
    actor: Any,
    collective: Collective,
    group: Group,
    title: str,
    description: str,
    actor_changed: str,
    happened_on: dt.date,
    contributing_groups: list[Group] | None = None,
    contributing_activities: list[Activity] | None = None,
    policy_outcomes: list[PolicyOutcome] | None = None,
    **fields: Any,
) -> Outcome:
    """Harvest an outcome as a draft, owned by `group`. `actor_changed` is who changed (the social
    actor), not the user recording it. Contributing `practices` and related `indicators` are optional."""
    links = _pop_links(fields, ("indicators", "practices"))
    _unknown(fields, OUTCOME_FIELDS)
    _require_group_reach(actor, group, collective)
    if happened_on > timezone.localdate():
        raise DomainError.single(
            "in_future", "An outcome is a change that has happened.", field="happened_on"
        )
    outcome = Outcome(
        collective=collective,
        group=group,
        title=title,
        description=description,
        actor=actor_changed,
        happened_on=happened_on,
        **fields,
    )
    full_clean(outcome, exclude=["collective", "group"])
    outcome.save()
    _set_contributions(outcome, contributing_groups, contributing_activities, policy_outcomes)
    _set_links(outcome, links)
    audit_record(actor=actor, action="outcome.create", target=outcome, changes={"title": title})
    return outcome


@transaction.atomic
def outcome_update(
    *,
    actor: Any,
    outcome: Outcome,
    contributing_groups: list[Group] | None = None,
    contributing_activities: list[Activity] | None = None,
    policy_outcomes: list[PolicyOutcome] | None = None,
    **changes: Any,
) -> Outcome:
    """Edit a draft. A substantiated or published outcome goes back to draft before it changes, so
    what was reviewed is what is shown."""
    if "actor_changed" in changes:
        changes["actor"] = changes.pop("actor_changed")
    links = _pop_links(changes, ("indicators", "practices"))
    _unknown(changes, OUTCOME_FIELDS)
    locked = Outcome.objects.editable_by(actor).select_for_update().filter(pk=outcome.pk).first()
    if locked is None:
        raise NotFound("outcome")
    if locked.status != OutcomeStatus.DRAFT:
        raise DomainError.single(
            "not_draft", "Only a draft can be edited: return the outcome to draft first.", field="status"
        )
    fields = OUTCOME_FIELDS
    before = snapshot(locked, fields)
    for name, value in changes.items():
        setattr(locked, name, value)
    if locked.happened_on > timezone.localdate():
        raise DomainError.single(
            "in_future", "An outcome is a change that has happened.", field="happened_on"
        )
    full_clean(locked, exclude=["collective", "group"])
    locked.save()
    _set_contributions(locked, contributing_groups, contributing_activities, policy_outcomes)
    _set_links(locked, links)
    audit_record(
        actor=actor, action="outcome.update", target=locked, changes=diff_fields(locked, before, fields)
    )
    return locked


# Which review step leads where, and what each step is called in the audit log.
TRANSITIONS: dict[str, dict[str, str]] = {
    OutcomeStatus.DRAFT: {OutcomeStatus.SUBSTANTIATED: "outcome.substantiate"},
    OutcomeStatus.SUBSTANTIATED: {
        OutcomeStatus.PUBLISHED: "outcome.publish",
        OutcomeStatus.DRAFT: "outcome.return_to_draft",
    },
    OutcomeStatus.PUBLISHED: {OutcomeStatus.SUBSTANTIATED: "outcome.unpublish"},
}


def outcome_next_statuses(outcome: Outcome) -> list[str]:
    return list(TRANSITIONS.get(outcome.status, {}))


@transaction.atomic
def outcome_transition(
    *, actor: Any, outcome: Outcome, to: str, substantiated_by: str | None = None
) -> Outcome:
    """Move an outcome through review: draft → substantiated (sources, a contribution and who
    substantiated it are required; reviewed by a coordinator above the group or an admin, who is not
    the only author) → published (admins and coordinators), and back."""
    locked = Outcome.objects.editable_by(actor).select_for_update().filter(pk=outcome.pk).first()
    if locked is None:
        raise NotFound("outcome")
    action = TRANSITIONS.get(locked.status, {}).get(to)
    if action is None:
        raise DomainError.single(
            "invalid_transition",
            f"An outcome cannot go from {locked.get_status_display().lower()} to {to}.",
            field="status",
        )
    if to != OutcomeStatus.DRAFT:
        # Substantiating, publishing and unpublishing are review steps: not for the group's lead alone.
        _require_admin_or_coordinator(actor, locked.group, "review outcomes")
    if to == OutcomeStatus.SUBSTANTIATED and locked.status == OutcomeStatus.DRAFT:
        if substantiated_by is not None:
            locked.substantiated_by = substantiated_by.strip()
        problems = []
        if not locked.sources.strip():
            problems.append(
                Problem("sources_required", "Say where the information comes from.", field="sources")
            )
        if not locked.substantiated_by.strip():
            problems.append(
                Problem(
                    "substantiation_required",
                    "Name who independently confirmed the outcome.",
                    field="substantiated_by",
                )
            )
        if not locked.contribution.strip() and not (
            locked.contributing_groups.exists() or locked.contributing_activities.exists()
        ):
            problems.append(
                Problem(
                    "contribution_required",
                    "Describe how the collective contributed, or link contributing groups or activities.",
                    field="contribution",
                )
            )
        if problems:
            raise DomainError(problems)
        locked.substantiated_at = timezone.now()
    if to == OutcomeStatus.PUBLISHED:
        locked.published_at = timezone.now()
    if to == OutcomeStatus.DRAFT or (
        to == OutcomeStatus.SUBSTANTIATED and locked.status == OutcomeStatus.PUBLISHED
    ):
        locked.published_at = None
    if to == OutcomeStatus.DRAFT:
        locked.substantiated_at = None
    before = locked.status
    locked.status = to
    locked.reviewed_by = actor if getattr(actor, "is_authenticated", False) else None
    locked.save()
    audit_record(actor=actor, action=action, target=locked, changes={"status": [before, to]})
    return locked


# --- stories --------------------------------------------------------------------------------------


@transaction.atomic
def story_create(
    *,
    actor: Any,
    collective: Collective,
    group: Group,
    title: str,
    text: str,
    consent_note: str,
    told_on: dt.date,
    teller: Person | None = None,
    activities: list[Activity] | None = None,
    outcomes: list[Outcome] | None = None,
    groups: list[Group] | None = None,
    **fields: Any,
) -> Story:
    """Share a story told with consent: the consent note is required, and a named teller must be a
    person who consented."""
    _unknown(fields, STORY_FIELDS)
    _require_group_reach(actor, group, collective)
    if not consent_note.strip():
        raise DomainError.single(
            "consent_required", "Say how the teller agreed to share this story.", field="consent_note"
        )
    if teller is not None and not Person.objects.visible_to(actor).filter(pk=teller.pk).exists():
        raise DomainError.single(
            "unknown_reference", "No person with this id that you can see.", field="teller"
        )
    _consented(teller, collective, "teller")
    fields["themes"] = _clean_themes(fields.get("themes") or [])
    story = Story(
        collective=collective,
        group=group,
        title=title,
        text=text,
        consent_note=consent_note.strip(),
        consent_recorded_at=timezone.now(),
        told_on=told_on,
        teller=teller,
        **fields,
    )
    full_clean(story, exclude=["collective", "group", "teller"])
    story.save()
    _set_story_links(story, activities, outcomes, groups)
    audit_record(actor=actor, action="story.create", target=story, changes={"title": title})
    return story


def _set_story_links(
    story: Story,
    activities: list[Activity] | None,
    outcomes: list[Outcome] | None,
    groups: list[Group] | None,
) -> None:
    if activities is not None:
        _same_collective(activities, story.collective, "activities")
        story.activities.set(activities)
    if outcomes is not None:
        _same_collective(outcomes, story.collective, "outcomes")
        story.outcomes.set(outcomes)
    if groups is not None:
        _same_collective(groups, story.collective, "groups")
        story.groups.set(groups)


@transaction.atomic
def story_update(
    *,
    actor: Any,
    story: Story,
    activities: list[Activity] | None = None,
    outcomes: list[Outcome] | None = None,
    groups: list[Group] | None = None,
    **changes: Any,
) -> Story:
    _unknown(changes, STORY_FIELDS)
    locked = Story.objects.editable_by(actor).select_for_update().filter(pk=story.pk).first()
    if locked is None:
        raise NotFound("story")
    if "themes" in changes:
        changes["themes"] = _clean_themes(changes["themes"] or [])
    if "consent_note" in changes and not (changes["consent_note"] or "").strip():
        raise DomainError.single(
            "consent_required", "Say how the teller agreed to share this story.", field="consent_note"
        )
    before = snapshot(locked, STORY_FIELDS)
    for name, value in changes.items():
        setattr(locked, name, value)
    full_clean(locked, exclude=["collective", "group", "teller"])
    locked.save()
    _set_story_links(locked, activities, outcomes, groups)
    audit_record(
        actor=actor,
        action="story.update",
        target=locked,
        changes=diff_fields(locked, before, ["title", "themes", "visibility"]),
    )
    return locked


@transaction.atomic
def story_withdraw(*, actor: Any, story: Story) -> None:
    """The teller withdrew consent: the story is deleted (the audit log keeps only that it was)."""
    locked = Story.objects.withdrawable_by(actor).filter(pk=story.pk).first()
    if locked is None:
        raise NotFound("story")
    audit_record(actor=actor, action="story.withdraw", target=locked, target_repr=f"story #{locked.pk}")
    locked.delete()
