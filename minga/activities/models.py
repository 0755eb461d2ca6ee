"""Collective activities in five areas, the institutions they influence, and the evidence of contribution.

Everything here belongs to a group of the architecture (the *owner group*) and is scoped through it: a
record is visible when its owner group is visible *and* its own visibility allows it (`record_visibility_q`).
Personal data (named participants, contacts, story tellers) is shown only to those who may read the person
(`Person.objects.visible_to`) and only for people who gave consent.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from minga.architecture.models import Group, _path_filter, country_code_validator, group_visibility_q
from minga.core.choices import Visibility
from minga.core.models import Collective
from minga.core.scoping import Scope, scope_for
from minga.people.models import Person


class Area(models.TextChoices):
    """The five areas of collective activity."""

    MOVEMENT = "movement", "Movement building"
    DATA = "data", "Strengthening data systems"
    INSTITUTIONS = "institutions", "Influencing institutions"
    LEARNING = "learning", "Hosting learning communities"
    SYSTEMIC = "systemic", "Investing in systemic solutions"


def record_visibility_q(scope: Scope, *, group: str = "group__", own: str = "") -> Q:
    """Visible records: the owner group is visible to the scope, and the record's own `visibility`
    (public / collective / private) lets the scope in. Private records are seen by the owner group's
    people and those above it (leads, coordinators, admins)."""
    if scope.is_superuser:
        return Q()
    group_q = group_visibility_q(scope, group)
    public = Q(**{f"{own}visibility": Visibility.PUBLIC})
    if scope.is_anonymous:
        return group_q & public
    return group_q & (
        public
        | Q(**{f"{group}collective_id__in": scope.admin_collectives})
        | Q(
            **{
                f"{group}collective_id__in": scope.member_collectives,
                f"{own}visibility": Visibility.COLLECTIVE,
            }
        )
        | _path_filter(scope.view_paths, f"{group}path")
        | Q(**{f"{group}id__in": scope.member_groups})
    )


def editable_q(scope: Scope, *, group: str = "group__") -> Q:
    """Records whose owner group the scope may edit: admins the collective, coordinators their subtree,
    leads their own group."""
    if scope.is_superuser:
        return Q()
    return (
        Q(**{f"{group}collective_id__in": scope.admin_collectives})
        | _path_filter(scope.edit_paths, f"{group}path")
        | Q(**{f"{group}id__in": scope.lead_groups})
    )


class ScopedQuerySet(models.QuerySet[Any]):
    """`visible_to` / `editable_by` for a model with an owner `group` and a `visibility` field."""

    group_prefix = "group__"
    has_visibility = True

    def visible_to(self, user: Any) -> Any:
        """Records `user` may see: owner group visible and the record's own visibility allows it."""
        scope = scope_for(user)
        if self.has_visibility:
            return self.filter(record_visibility_q(scope, group=self.group_prefix))
        return self.filter(group_visibility_q(scope, self.group_prefix))

    def editable_by(self, user: Any) -> Any:
        """Records `user` may change: those of groups they may edit."""
        return self.filter(editable_q(scope_for(user), group=self.group_prefix))


class ActivityTypeQuerySet(models.QuerySet["ActivityType"]):
    def visible_to(self, user: Any) -> ActivityTypeQuerySet:
        """Types of the collectives `user` may see (configuration vocabulary, no personal data)."""
        return self.filter(collective__in=Collective.objects.visible_to(user))


class ActivityType(models.Model):
    """A kind of activity, configured per collective (campaign, training, data drive, policy dialogue…)."""

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="activity_types")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=80)
    area = models.CharField(
        max_length=14, choices=Area.choices, blank=True, help_text="The area it usually serves (optional)."
    )
    order = models.PositiveSmallIntegerField(default=0)

    objects = ActivityTypeQuerySet.as_manager()

    class Meta:
        ordering = ["collective", "order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["collective", "code"], name="activitytype_unique_code")
        ]

    def __str__(self) -> str:
        return self.name


class ActivityStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    UNDER_WAY = "under_way", "Under way"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class ActivityQuerySet(ScopedQuerySet):
    def in_subtree(self, group: Group) -> ActivityQuerySet:
        """Activities owned by `group` or a group below it, or in which such a group takes part."""
        return self.filter(
            Q(group__path__startswith=group.path)
            | Q(
                pk__in=Activity.participants.through.objects.filter(
                    group__path__startswith=group.path
                ).values("activity_id")
            )
        )


class Activity(models.Model):
    """Something the collective does together, in one of the five areas, owned by one group."""

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="activities")
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="activities", help_text="The owner group."
    )
    participants = models.ManyToManyField(
        Group, related_name="joined_activities", blank=True, verbose_name="participating groups"
    )
    code = models.SlugField(
        max_length=60, blank=True, help_text="Optional unique code, used by imports to find it again."
    )
    area = models.CharField(max_length=14, choices=Area.choices)
    type = models.ForeignKey(
        ActivityType, null=True, blank=True, on_delete=models.SET_NULL, related_name="activities"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    place_name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=ActivityStatus.choices, default=ActivityStatus.PLANNED)
    outputs = models.TextField(
        blank=True, help_text="What the activity produced: materials, decisions, data."
    )
    participants_total = models.PositiveIntegerField(default=0)
    participation = models.JSONField(
        default=dict, blank=True, help_text='Counts by category, e.g. {"women": 30, "youth": 12}.'
    )
    visibility = models.CharField(max_length=12, choices=Visibility.choices, default=Visibility.PUBLIC)
    indicators = models.ManyToManyField(
        "measurement.Indicator", related_name="collective_activities", blank=True
    )
    practices = models.ManyToManyField("learning.Practice", related_name="collective_activities", blank=True)
    resources = models.ManyToManyField("learning.Resource", related_name="collective_activities", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name_plural = "activities"
        constraints = [
            models.UniqueConstraint(
                fields=["collective", "code"], condition=~Q(code=""), name="activity_unique_code"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="activity_dates_ordered",
            ),
        ]
        indexes = [
            models.Index(fields=["collective", "-starts_on"], name="activity_coll_start_idx"),
            models.Index(fields=["collective", "area", "starts_on"], name="activity_coll_area_idx"),
            models.Index(fields=["group", "-starts_on"], name="activity_group_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class AttendanceQuerySet(models.QuerySet["Attendance"]):
    def visible_to(self, user: Any) -> AttendanceQuerySet:
        """Named participants `user` may read: a visible activity, a person they may read, with consent.
        The public sees none."""
        scope = scope_for(user)
        if scope.is_anonymous:
            return self.none()
        return self.filter(
            activity__in=Activity.objects.visible_to(user).values("id"),
            person__in=Person.objects.visible_to(user).consented().values("id"),
        )


class Attendance(models.Model):
    """A named participant of an activity. Only people who gave consent may be named."""

    class Role(models.TextChoices):
        PARTICIPANT = "participant", "Participant"
        FACILITATOR = "facilitator", "Facilitator"
        SPEAKER = "speaker", "Speaker"

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="attendances")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="attendances")
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.PARTICIPANT)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AttendanceQuerySet.as_manager()

    class Meta:
        ordering = ["activity", "person__full_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "person"], name="attendance_unique_person")
        ]

    def __str__(self) -> str:
        return f"{self.person} at {self.activity}"


class CampaignQuerySet(ScopedQuerySet):
    group_prefix = "activity__group__"

    def visible_to(self, user: Any) -> Any:
        """Campaigns of activities `user` may see."""
        return self.filter(activity__in=Activity.objects.visible_to(user).values("id"))


class Campaign(models.Model):
    """A movement-building campaign: an activity with a sign-up goal, counted group by group."""

    activity = models.OneToOneField(Activity, on_delete=models.CASCADE, related_name="campaign")
    goal = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    unit = models.CharField(
        max_length=60, default="sign-ups", help_text="What is counted: sign-ups, pledges…"
    )
    ask = models.TextField(blank=True, help_text="What people sign up to.")
    closes_on = models.DateField(null=True, blank=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-activity__starts_on", "-id"]

    def __str__(self) -> str:
        return f"Campaign: {self.activity}"


class CampaignSignupQuerySet(ScopedQuerySet):
    has_visibility = False

    def visible_to(self, user: Any) -> Any:
        """Sign-ups of visible campaigns by groups `user` may see (counts only, never people)."""
        return self.filter(
            group_visibility_q(scope_for(user), "group__"),
            campaign__in=Campaign.objects.visible_to(user).values("id"),
        )


class CampaignSignup(models.Model):
    """A count of sign-ups a group collected on a day (counts only: no names)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="signups")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="campaign_signups")
    count = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    signed_on = models.DateField()
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CampaignSignupQuerySet.as_manager()

    class Meta:
        ordering = ["signed_on", "id"]
        indexes = [models.Index(fields=["campaign", "signed_on"], name="signup_campaign_day_idx")]

    def __str__(self) -> str:
        return f"{self.count} by {self.group} on {self.signed_on}"


class InstitutionQuerySet(models.QuerySet["Institution"]):
    def visible_to(self, user: Any) -> InstitutionQuerySet:
        """Institutions of collectives `user` may see: public bodies, no personal data."""
        return self.filter(collective__in=Collective.objects.visible_to(user))

    def editable_by(self, user: Any) -> InstitutionQuerySet:
        """Admins edit all of their collective's institutions; others those their group stewards."""
        scope = scope_for(user)
        if scope.is_superuser:
            return self.all()
        return self.filter(Q(collective_id__in=scope.admin_collectives) | editable_q(scope))


class Institution(models.Model):
    """A body the collective seeks to influence: a ministry, a municipality, an agency, a company."""

    class Kind(models.TextChoices):
        MINISTRY = "ministry", "Ministry"
        MUNICIPALITY = "municipality", "Municipality or local government"
        AGENCY = "agency", "Public agency"
        PARLIAMENT = "parliament", "Parliament or council"
        COMPANY = "company", "Company"
        FUNDER = "funder", "Funder or development bank"
        OTHER = "other", "Other"

    class Level(models.TextChoices):
        LOCAL = "local", "Local"
        REGIONAL = "regional", "Regional"
        NATIONAL = "national", "National"
        INTERNATIONAL = "international", "International"

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="institutions")
    group = models.ForeignKey(
        Group,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stewarded_institutions",
        help_text="The group that holds the relationship (its people may edit it).",
    )
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=14, choices=Kind.choices)
    level = models.CharField(max_length=14, choices=Level.choices)
    country_code = models.CharField(max_length=2, blank=True, validators=[country_code_validator])
    website = models.URLField(blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InstitutionQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["collective", "name"], name="institution_unique_name")]

    def __str__(self) -> str:
        return self.name


class InstitutionContactQuerySet(models.QuerySet["InstitutionContact"]):
    def visible_to(self, user: Any) -> InstitutionContactQuerySet:
        """Contacts of visible institutions. Roles are public; names are shown only through
        `InstitutionContact.display_name_for` (consented people the reader may read)."""
        return self.filter(institution__in=Institution.objects.visible_to(user).values("id"))


class InstitutionContact(models.Model):
    """A role at an institution (e.g. "Director of Water Services"), with a person only when consented."""

    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="contacts")
    role = models.CharField(max_length=200)
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="institution_roles"
    )
    notes = models.CharField(max_length=300, blank=True)

    objects = InstitutionContactQuerySet.as_manager()

    class Meta:
        ordering = ["role", "id"]

    def __str__(self) -> str:
        return self.role


class EngagementQuerySet(ScopedQuerySet):
    has_visibility = False


class Engagement(models.Model):
    """A contact between a group and an institution: a meeting, a submission, joint work."""

    class Kind(models.TextChoices):
        MEETING = "meeting", "Meeting"
        SUBMISSION = "submission", "Submission"
        JOINT_WORK = "joint_work", "Joint work"
        HEARING = "hearing", "Public hearing"
        LETTER = "letter", "Letter or petition"

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="engagements")
    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="engagements")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="engagements")
    activity = models.ForeignKey(
        Activity, null=True, blank=True, on_delete=models.SET_NULL, related_name="engagements"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    occurred_on = models.DateField()
    summary = models.TextField()
    asks = models.TextField(blank=True, help_text="What the collective asked for.")
    response = models.TextField(blank=True, help_text="What the institution answered or committed to.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = EngagementQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_on", "-id"]
        indexes = [models.Index(fields=["institution", "-occurred_on"], name="engagement_inst_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} with {self.institution} on {self.occurred_on}"


class PolicyOutcomeQuerySet(ScopedQuerySet):
    has_visibility = False


class PolicyOutcome(models.Model):
    """A policy, budget or practice change at an institution, and the collective's part in it."""

    class Kind(models.TextChoices):
        POLICY = "policy", "Policy change"
        BUDGET = "budget", "Budget change"
        PRACTICE = "practice", "Practice change"

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        IN_PROGRESS = "in_progress", "In progress"
        ADOPTED = "adopted", "Adopted"
        IMPLEMENTED = "implemented", "Implemented"
        BLOCKED = "blocked", "Blocked"
        REVERSED = "reversed", "Reversed"

    class Contribution(models.TextChoices):
        MINOR = "minor", "Minor: one voice among many"
        SIGNIFICANT = "significant", "Significant"
        DECISIVE = "decisive", "Decisive: unlikely without the collective"

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="policy_outcomes")
    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="policy_outcomes")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="policy_outcomes")
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PROPOSED)
    decided_on = models.DateField(null=True, blank=True)
    contribution = models.TextField(help_text="How the collective contributed.")
    contribution_level = models.CharField(
        max_length=12, choices=Contribution.choices, default=Contribution.SIGNIFICANT
    )
    evidence = models.TextField(blank=True, help_text="Documents, minutes, news items that show it.")
    engagements = models.ManyToManyField(Engagement, related_name="policy_outcomes", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PolicyOutcomeQuerySet.as_manager()

    class Meta:
        ordering = ["-decided_on", "-id"]

    def __str__(self) -> str:
        return self.title


class OutcomeStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBSTANTIATED = "substantiated", "Substantiated"
    PUBLISHED = "published", "Published"


class OutcomeQuerySet(models.QuerySet["Outcome"]):
    def visible_to(self, user: Any) -> OutcomeQuerySet:
        """Outcomes `user` may see. Published ones follow the owner group's visibility; drafts and
        substantiated ones are the collective's internal evidence: the owner group's people and those
        above it see drafts, any member of the collective sees substantiated ones."""
        scope = scope_for(user)
        if scope.is_superuser:
            return self.all()
        published = Q(status=OutcomeStatus.PUBLISHED) & group_visibility_q(scope, "group__")
        if scope.is_anonymous:
            return self.filter(published)
        internal = (
            Q(group__collective_id__in=scope.admin_collectives)
            | _path_filter(scope.view_paths, "group__path")
            | Q(group_id__in=scope.member_groups)
        )
        substantiated = Q(
            status=OutcomeStatus.SUBSTANTIATED, group__collective_id__in=scope.member_collectives
        ) & group_visibility_q(scope, "group__")
        return self.filter(published | substantiated | internal)

    def editable_by(self, user: Any) -> OutcomeQuerySet:
        return self.filter(editable_q(scope_for(user)))


class Outcome(models.Model):
    """A harvested outcome: a change in an actor's behaviour, relations, policies or practice, and how
    the collective contributed to it. Reviewed: draft → substantiated → published."""

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="outcomes")
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="outcomes", help_text="The group that harvested it."
    )
    title = models.CharField(max_length=200)
    description = models.TextField(help_text="What changed.")
    actor = models.CharField("changed actor", max_length=200, help_text="Who changed, or for whom.")
    happened_on = models.DateField()
    place_name = models.CharField(max_length=200, blank=True)
    significance = models.TextField(blank=True, help_text="Why it matters.")
    contribution = models.TextField(blank=True, help_text="How the collective contributed.")
    contributing_groups = models.ManyToManyField(Group, related_name="contributed_outcomes", blank=True)
    contributing_activities = models.ManyToManyField(
        Activity, related_name="contributed_outcomes", blank=True
    )
    policy_outcomes = models.ManyToManyField(PolicyOutcome, related_name="outcomes", blank=True)
    practices = models.ManyToManyField(
        "learning.Practice",
        related_name="harvested_outcomes",
        blank=True,
        verbose_name="contributing practices",
    )
    indicators = models.ManyToManyField(
        "measurement.Indicator", related_name="harvested_outcomes", blank=True
    )
    sources = models.TextField(blank=True, help_text="Where the information comes from.")
    substantiated_by = models.CharField(
        max_length=300, blank=True, help_text="Who independently confirmed it (a role, an organisation)."
    )
    status = models.CharField(max_length=14, choices=OutcomeStatus.choices, default=OutcomeStatus.DRAFT)
    substantiated_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OutcomeQuerySet.as_manager()

    class Meta:
        ordering = ["-happened_on", "-id"]
        indexes = [models.Index(fields=["collective", "status", "-happened_on"], name="outcome_coll_idx")]

    def __str__(self) -> str:
        return self.title


class StoryQuerySet(ScopedQuerySet):
    def visible_to(self, user: Any) -> Any:
        """Stories `user` may see; a story whose named teller withdrew consent is shown to nobody."""
        consented = Q(teller__isnull=True) | Q(
            teller__consent_given_at__isnull=False, teller__consent_withdrawn_at__isnull=True
        )
        return super().visible_to(user).filter(consented)

    def withdrawable_by(self, user: Any) -> Any:
        """Stories `user` may withdraw: those they may edit, and those they told themselves (a teller
        takes their consent back without asking anyone)."""
        scope = scope_for(user)
        if scope.is_anonymous:
            return self.none()
        return self.filter(Q(pk__in=self.editable_by(user).values("pk")) | Q(teller__user_id=scope.user_id))

    def told_by(self, user: Any) -> Any:
        """Stories whose named teller is `user`'s person record."""
        scope = scope_for(user)
        return self.none() if scope.is_anonymous else self.filter(teller__user_id=scope.user_id)


class Story(models.Model):
    """A short first-person or group narrative, shared with the teller's consent."""

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="stories")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="stories")
    title = models.CharField(max_length=200)
    text = models.TextField()
    teller_name = models.CharField(
        max_length=120, blank=True, help_text="How the teller wants to be named (never shown to the public)."
    )
    teller = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="stories"
    )
    consent_note = models.CharField(
        max_length=300, help_text="How and when the teller agreed to share the story."
    )
    consent_recorded_at = models.DateTimeField()
    told_on = models.DateField()
    themes = models.JSONField(default=list, blank=True, help_text="Short theme tags.")
    activities = models.ManyToManyField(Activity, related_name="stories", blank=True)
    outcomes = models.ManyToManyField(Outcome, related_name="stories", blank=True)
    groups = models.ManyToManyField(Group, related_name="linked_stories", blank=True)
    visibility = models.CharField(max_length=12, choices=Visibility.choices, default=Visibility.COLLECTIVE)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = StoryQuerySet.as_manager()

    class Meta:
        ordering = ["-told_on", "-id"]
        verbose_name_plural = "stories"

    def __str__(self) -> str:
        return self.title
