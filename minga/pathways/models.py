"""Collective pathways: the shared journey groups travel together, and the collective's strategy log.

A `Pathway` (vision, principles, methods, practices) has ordered `Stage`s with entry criteria. Each
group's place on a pathway is one `GroupProgress` row (the current stage) plus its history of
`ProgressEntry` rows (every move forward, back, pending verification or refusal). `PathwayVersion`
snapshots a published pathway; `StrategyRevision` records dated changes of strategy. Everything is
scoped through the group tree (a progress row is visible when its group is) and through the collective
(a pathway is visible to whoever may see its collective at its visibility level).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import Q

from minga.architecture.models import Group, _path_filter, group_visibility_q
from minga.core.choices import Role, Visibility
from minga.core.models import Collective
from minga.core.scoping import Scope, scope_for

EVIDENCE_EXTENSIONS = ["pdf", "png", "jpg", "jpeg", "webp", "txt", "csv", "xlsx", "docx", "odt"]


def _collective_content_q(scope: Scope, prefix: str = "") -> Q:
    """Content of a collective with a `visibility` field (pathways, strategy revisions): public items
    of public collectives to everybody, collective-wide items to its people, private items to its
    backbone admins and coordinators, everything to its admins."""
    if scope.is_superuser:
        return Q()
    public = Q(
        **{f"{prefix}visibility": Visibility.PUBLIC, f"{prefix}collective__visibility": Visibility.PUBLIC}
    )
    if scope.is_anonymous:
        return public
    coordinating = {c for c, role in scope.roles if role == Role.COORDINATOR}
    return (
        public
        | Q(**{f"{prefix}collective_id__in": scope.admin_collectives})
        | Q(
            **{
                f"{prefix}collective_id__in": scope.member_collectives,
                f"{prefix}visibility__in": [Visibility.PUBLIC, Visibility.COLLECTIVE],
            }
        )
        | Q(**{f"{prefix}collective_id__in": coordinating})
    )


class PathwayQuerySet(models.QuerySet["Pathway"]):
    def visible_to(self, user: Any) -> PathwayQuerySet:
        """Pathways `user` may see: published ones at their visibility level; drafts only to the
        collective's backbone admins."""
        scope = scope_for(user)
        if scope.is_superuser:
            return self.all()
        published = Q(status=Pathway.Status.PUBLISHED) & _collective_content_q(scope)
        return self.filter(published | Q(collective_id__in=scope.admin_collectives))

    def editable_by(self, user: Any) -> PathwayQuerySet:
        """Pathways `user` may change: those of collectives where they are a backbone admin."""
        scope = scope_for(user)
        if scope.is_superuser:
            return self.all()
        return self.filter(collective_id__in=scope.admin_collectives)

    def published(self) -> PathwayQuerySet:
        return self.filter(status=Pathway.Status.PUBLISHED)


class Pathway(models.Model):
    """A collective's shared journey: why (vision), how (principles, methods, practices), and stages."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="pathways")
    name = models.CharField(max_length=200)
    summary = models.CharField(max_length=300, blank=True)
    vision = models.TextField(blank=True, help_text="Markdown: paragraphs, lists, **bold**, headings.")
    principles = models.TextField(blank=True, help_text="Markdown.")
    methods = models.TextField(blank=True, help_text="Markdown.")
    practices = models.TextField(blank=True, help_text="Markdown.")
    language = models.CharField(max_length=12, default="en", help_text="Language code of the texts.")
    owner = models.ForeignKey(
        Group,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_pathways",
        help_text="The team that looks after this pathway (usually a backbone working group).",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    visibility = models.CharField(max_length=12, choices=Visibility.choices, default=Visibility.PUBLIC)
    version = models.PositiveIntegerField(default=0, help_text="Number of the latest published version.")
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PathwayQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["collective", "name"], name="pathway_unique_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class PathwayVersionQuerySet(models.QuerySet["PathwayVersion"]):
    def visible_to(self, user: Any) -> PathwayVersionQuerySet:
        """Versions of the pathways `user` may see."""
        return self.filter(pathway__in=Pathway.objects.visible_to(user))


class PathwayVersion(models.Model):
    """A snapshot of a pathway (texts and stages) taken when it is published and at each later change."""

    pathway = models.ForeignKey(Pathway, on_delete=models.CASCADE, related_name="versions")
    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="+")
    number = models.PositiveIntegerField()
    snapshot = models.JSONField(default=dict)
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    objects = PathwayVersionQuerySet.as_manager()

    class Meta:
        ordering = ["pathway", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["pathway", "number"], name="pathwayversion_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.pathway} v{self.number}"


class StageQuerySet(models.QuerySet["Stage"]):
    def visible_to(self, user: Any) -> StageQuerySet:
        """Stages of the pathways `user` may see."""
        return self.filter(pathway__in=Pathway.objects.visible_to(user))


class Stage(models.Model):
    """One step of a pathway. `checklist` lists what a group must have done to enter it."""

    pathway = models.ForeignKey(Pathway, on_delete=models.CASCADE, related_name="stages")
    order = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    checklist = models.JSONField(
        default=list, blank=True, help_text="Entry criteria: items a group confirms to enter this stage."
    )
    requires_verification = models.BooleanField(
        default=False, help_text="A coordinator of the group's subtree must confirm the move."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = StageQuerySet.as_manager()

    class Meta:
        ordering = ["pathway", "order", "id"]
        indexes = [models.Index(fields=["pathway", "order"], name="stage_pathway_order_idx")]

    def __str__(self) -> str:
        return self.name


class StageConditionQuerySet(models.QuerySet["StageCondition"]):
    def visible_to(self, user: Any) -> StageConditionQuerySet:
        """Conditions of the stages of pathways `user` may see."""
        return self.filter(stage__pathway__in=Pathway.objects.visible_to(user))


class StageCondition(models.Model):
    """An entry criterion measured by an indicator: e.g. “Members active ≥ 20 in each of the last 3
    reported periods”. Evaluated against the group's own reported values (measurement's DataValue)."""

    class Comparison(models.TextChoices):
        AT_LEAST = "gte", "at least"
        AT_MOST = "lte", "at most"

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="conditions")
    indicator = models.ForeignKey(
        "measurement.Indicator", on_delete=models.CASCADE, related_name="stage_conditions"
    )
    comparison = models.CharField(max_length=3, choices=Comparison.choices, default=Comparison.AT_LEAST)
    threshold = models.FloatField()
    periods = models.PositiveSmallIntegerField(
        default=1, help_text="In each of the group's last N reported periods (1 to 24)."
    )

    objects = StageConditionQuerySet.as_manager()

    class Meta:
        ordering = ["stage", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(periods__gte=1, periods__lte=24), name="stagecondition_periods_range"
            )
        ]

    def __str__(self) -> str:
        return self.describe()

    def describe(self) -> str:
        sign = "≥" if self.comparison == self.Comparison.AT_LEAST else "≤"
        amount = f"{self.threshold:g}"
        span = (
            "in the last reported period"
            if self.periods == 1
            else f"in each of the last {self.periods} reported periods"
        )
        return f"{self.indicator.name} {sign} {amount} {span}"

    def holds_for(self, value: float) -> bool:
        if self.comparison == self.Comparison.AT_LEAST:
            return value >= self.threshold
        return value <= self.threshold


class GroupProgressQuerySet(models.QuerySet["GroupProgress"]):
    def visible_to(self, user: Any) -> GroupProgressQuerySet:
        """Progress of the groups `user` may see, on pathways they may see."""
        scope = scope_for(user)
        if scope.is_superuser:
            return self.all()
        return self.filter(group_visibility_q(scope, "group__")).filter(
            pathway__in=Pathway.objects.visible_to(user)
        )

    def within(self, group: Group) -> GroupProgressQuerySet:
        return self.filter(group__path__startswith=group.path)


class GroupProgress(models.Model):
    """Where one group stands on one pathway. The history is in `entries`."""

    pathway = models.ForeignKey(Pathway, on_delete=models.CASCADE, related_name="progress")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="pathway_progress")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="current_groups")
    started_on = models.DateField(help_text="When the group entered the pathway's first recorded stage.")
    stage_entered_on = models.DateField()
    updated_at = models.DateTimeField(auto_now=True)

    objects = GroupProgressQuerySet.as_manager()

    class Meta:
        ordering = ["pathway", "group"]
        constraints = [
            models.UniqueConstraint(fields=["pathway", "group"], name="groupprogress_unique_group")
        ]
        indexes = [
            models.Index(fields=["pathway", "stage"], name="progress_pathway_stage_idx"),
            models.Index(fields=["pathway", "stage_entered_on"], name="progress_pathway_entered_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.group} @ {self.stage}"


class ProgressEntryQuerySet(models.QuerySet["ProgressEntry"]):
    def visible_to(self, user: Any) -> ProgressEntryQuerySet:
        """History rows of the groups `user` may see, on pathways they may see."""
        scope = scope_for(user)
        if scope.is_superuser:
            return self.all()
        return self.filter(group_visibility_q(scope, "group__")).filter(
            pathway__in=Pathway.objects.visible_to(user)
        )

    def verifiable_by(self, user: Any) -> ProgressEntryQuerySet:
        """Pending entries `user` may verify: in their coordinated subtrees, or anywhere for admins."""
        scope = scope_for(user)
        pending = self.filter(status=ProgressEntry.Status.PENDING)
        if scope.is_superuser:
            return pending
        return pending.filter(
            Q(pathway__collective_id__in=scope.admin_collectives)
            | _path_filter(scope.edit_paths, "group__path")
        )

    def pending(self) -> ProgressEntryQuerySet:
        return self.filter(status=ProgressEntry.Status.PENDING)


class ProgressEntry(models.Model):
    """One row of a group's journey: it entered `stage` on `entered_on` (or asked to, or was refused)."""

    class Kind(models.TextChoices):
        START = "start", "Joined the pathway"
        FORWARD = "forward", "Moved forward"
        BACK = "back", "Moved back"
        BULK = "bulk", "Recorded by a coordinator"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for verification"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Not accepted"

    pathway = models.ForeignKey(Pathway, on_delete=models.CASCADE, related_name="entries")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="pathway_entries")
    # Empty only while a group's request to join at a first stage that needs verification waits: the
    # group has no progress until a coordinator accepts it.
    progress = models.ForeignKey(
        GroupProgress, null=True, blank=True, on_delete=models.CASCADE, related_name="entries"
    )
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACCEPTED)
    entered_on = models.DateField()
    left_on = models.DateField(null=True, blank=True, help_text="When the group moved on from this stage.")
    evidence = models.TextField(blank=True)
    links = models.JSONField(default=list, blank=True)
    evidence_file = models.FileField(
        upload_to="pathways/evidence/%Y/%m/",
        blank=True,
        validators=[FileExtensionValidator(EVIDENCE_EXTENSIONS)],
    )
    checklist = models.JSONField(default=list, blank=True, help_text="The checklist items confirmed.")
    reason = models.TextField(blank=True, help_text="Why the group moved back, or why it was not accepted.")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField()
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)

    objects = ProgressEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-entered_on", "-id"]
        verbose_name_plural = "progress entries"
        constraints = [
            models.UniqueConstraint(
                fields=["progress"], condition=Q(status="pending"), name="progressentry_one_pending"
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=models.F("entered_on")),
                name="progressentry_dates_ordered",
            ),
        ]
        indexes = [
            models.Index(fields=["progress", "-entered_on"], name="entry_progress_idx"),
            models.Index(fields=["pathway", "status"], name="entry_pathway_status_idx"),
            models.Index(fields=["pathway", "stage", "left_on"], name="entry_pathway_stage_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.group} → {self.stage} ({self.get_status_display()})"


class StrategyRevisionQuerySet(models.QuerySet["StrategyRevision"]):
    def visible_to(self, user: Any) -> StrategyRevisionQuerySet:
        """Strategy revisions `user` may see, at their visibility level (as for pathways)."""
        return self.filter(_collective_content_q(scope_for(user)))

    def editable_by(self, user: Any) -> StrategyRevisionQuerySet:
        scope = scope_for(user)
        if scope.is_superuser:
            return self.all()
        return self.filter(collective_id__in=scope.admin_collectives)


class StrategyRevision(models.Model):
    """A dated change of the collective's strategy: what changed, why, on what evidence, who decided."""

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="strategy_revisions")
    decided_on = models.DateField()
    title = models.CharField(max_length=200)
    what_changed = models.TextField()
    why = models.TextField()
    evidence = models.TextField(blank=True)
    decided_by = models.CharField(
        max_length=200, help_text="Who decided: a body or role (e.g. “Backbone assembly”), not a person."
    )
    link = models.URLField(blank=True, help_text="A governance decision or minutes, when there is one.")
    pathway = models.ForeignKey(
        Pathway, null=True, blank=True, on_delete=models.SET_NULL, related_name="strategy_revisions"
    )
    visibility = models.CharField(max_length=12, choices=Visibility.choices, default=Visibility.COLLECTIVE)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = StrategyRevisionQuerySet.as_manager()

    class Meta:
        ordering = ["-decided_on", "-id"]
        indexes = [models.Index(fields=["collective", "-decided_on"], name="strategy_coll_date_idx")]

    def __str__(self) -> str:
        return f"{self.decided_on}: {self.title}"
