"""The collective architecture: groups in three layers, arranged as a tree, linked across it.

The tree is a materialised path: `path` is "/<root id>/<child id>/…/<own id>/". A subtree is one
indexed prefix filter and moving a subtree is one UPDATE (see `services.group_move`).
"""

from __future__ import annotations

from functools import reduce
from operator import or_
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from minga.core.choices import Visibility
from minga.core.models import Collective
from minga.core.scoping import Scope, scope_for


class Layer(models.TextChoices):
    ACTION = "action", "Action layer (grassroots groups)"
    NETWORK = "network", "Network layer (linking groups)"
    SUPPORT = "support", "Supporting layer (backbone team)"


class GroupStatus(models.TextChoices):
    FORMING = "forming", "Forming"
    ACTIVE = "active", "Active"
    DORMANT = "dormant", "Dormant"
    CLOSED = "closed", "Closed"


class GroupKind(models.Model):
    """A kind of group, configured per collective (country, region, district, chapter, working group…)."""

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="group_kinds")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=80)
    layer = models.CharField(max_length=10, choices=Layer.choices, default=Layer.ACTION)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["collective", "order", "name"]
        constraints = [models.UniqueConstraint(fields=["collective", "code"], name="groupkind_unique_code")]

    def __str__(self) -> str:
        return self.name


def _path_filter(paths: tuple[str, ...], field: str = "path") -> Q:
    return reduce(or_, (Q(**{f"{field}__startswith": p}) for p in paths), Q(pk__in=[]))


class GroupQuerySet(models.QuerySet["Group"]):
    def visible_to(self, user: Any) -> GroupQuerySet:
        """Groups `user` may see: published ones to everybody; shared ones to the collective's people;
        private ones to their own members and to the leads, coordinators and admins above them."""
        return self.filter(group_visibility_q(scope_for(user)))

    def editable_by(self, user: Any) -> GroupQuerySet:
        """Groups `user` may change: the whole collective for admins, the subtree for coordinators,
        their own group for leads."""
        scope = scope_for(user)
        if scope.is_superuser:
            return self.all()
        return self.filter(
            Q(collective_id__in=scope.admin_collectives)
            | _path_filter(scope.edit_paths)
            | Q(id__in=scope.lead_groups)
        )

    def within(self, group: Group, *, include_self: bool = True) -> GroupQuerySet:
        """The subtree under `group`."""
        qs = self.filter(path__startswith=group.path)
        return qs if include_self else qs.exclude(pk=group.pk)

    def in_collective(self, collective: Collective | int) -> GroupQuerySet:
        return self.filter(collective=collective)

    def roots(self) -> GroupQuerySet:
        return self.filter(parent__isnull=True)

    def active(self) -> GroupQuerySet:
        return self.exclude(status=GroupStatus.CLOSED)


def group_visibility_q(scope: Scope, prefix: str = "") -> Q:
    """The visibility rule for groups as a Q, reusable from related models (`prefix="group__"`)."""
    if scope.is_superuser:
        return Q()
    public = Q(
        **{
            f"{prefix}visibility": Visibility.PUBLIC,
            f"{prefix}collective__visibility": Visibility.PUBLIC,
        }
    )
    if scope.is_anonymous:
        return public
    return (
        public
        | Q(**{f"{prefix}collective_id__in": scope.admin_collectives})
        | Q(
            **{
                f"{prefix}collective_id__in": scope.member_collectives,
                f"{prefix}visibility__in": [Visibility.PUBLIC, Visibility.COLLECTIVE],
            }
        )
        | _path_filter(scope.view_paths, f"{prefix}path")
        | Q(**{f"{prefix}id__in": scope.member_groups})
    )


country_code_validator = RegexValidator(r"^[A-Z]{2}$", "Use a two-letter ISO country code, e.g. KE.")


class Group(models.Model):
    """A node of the architecture: a grassroots group, a network unit or a backbone team."""

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="groups")
    code = models.SlugField(
        max_length=60, help_text="Short unique code within the collective, used by imports and the API."
    )
    name = models.CharField(max_length=200)
    layer = models.CharField(max_length=10, choices=Layer.choices, default=Layer.ACTION)
    kind = models.ForeignKey(GroupKind, on_delete=models.PROTECT, related_name="groups")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=500, editable=False, db_index=True)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    place_name = models.CharField(max_length=200, blank=True)
    admin_area = models.CharField("administrative area", max_length=200, blank=True)
    country_code = models.CharField(max_length=2, blank=True, validators=[country_code_validator])
    latitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    # A GeoJSON Polygon/MultiPolygon (WGS84), validated and simplified by `boundaries.boundary_clean`
    # before it is stored: written only through `boundaries.group_boundary_set` / `boundaries_import`.
    boundary = models.JSONField(null=True, blank=True, editable=False)
    status = models.CharField(max_length=10, choices=GroupStatus.choices, default=GroupStatus.ACTIVE)
    status_changed_on = models.DateField(null=True, blank=True)
    founded_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    contact_email = models.EmailField(blank=True)
    description = models.TextField(blank=True)
    visibility = models.CharField(max_length=12, choices=Visibility.choices, default=Visibility.PUBLIC)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = GroupQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["collective", "code"], name="group_unique_code"),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="group_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="group_longitude_range",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="group_point_complete",
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(status=GroupStatus.CLOSED),
                name="group_closed_on_only_when_closed",
            ),
        ]
        indexes = [
            models.Index(fields=["collective", "name"], name="group_coll_name_idx"),
            models.Index(fields=["collective", "layer", "status"], name="group_coll_layer_idx"),
            models.Index(fields=["parent", "name"], name="group_parent_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/")[:-1] if part]

    @property
    def has_point(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class GroupSetQuerySet(models.QuerySet["GroupSet"]):
    def visible_to(self, user: Any) -> GroupSetQuerySet:
        """Group sets `user` may see: same visibility rule as groups, applied to the set itself."""
        scope = scope_for(user)
        if scope.is_superuser:
            return self.all()
        public = Q(visibility=Visibility.PUBLIC, collective__visibility=Visibility.PUBLIC)
        if scope.is_anonymous:
            return self.filter(public)
        return self.filter(
            public
            | Q(collective_id__in=scope.admin_collectives)
            | Q(
                collective_id__in=scope.member_collectives,
                visibility__in=[Visibility.PUBLIC, Visibility.COLLECTIVE],
            )
        )

    def editable_by(self, user: Any) -> GroupSetQuerySet:
        """Group sets are the backbone's: admins of the collective edit them."""
        scope = scope_for(user)
        if scope.is_superuser:
            return self.all()
        return self.filter(collective_id__in=scope.admin_collectives)


class GroupSet(models.Model):
    """A named cross-cutting network of groups: a thematic network, a cohort, a campaign alliance."""

    class Kind(models.TextChoices):
        THEMATIC = "thematic", "Thematic network"
        COHORT = "cohort", "Cohort"
        CAMPAIGN = "campaign", "Campaign alliance"
        OTHER = "other", "Other"

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="group_sets")
    code = models.SlugField(max_length=60)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.THEMATIC)
    description = models.TextField(blank=True)
    visibility = models.CharField(max_length=12, choices=Visibility.choices, default=Visibility.PUBLIC)
    groups = models.ManyToManyField(Group, related_name="sets", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = GroupSetQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["collective", "code"], name="groupset_unique_code")]

    def __str__(self) -> str:
        return self.name


class LinkQuerySet(models.QuerySet["Link"]):
    def visible_to(self, user: Any) -> LinkQuerySet:
        """Links whose two ends `user` may both see."""
        scope = scope_for(user)
        if scope.is_superuser:
            return self.all()
        visible = Group.objects.visible_to(user).values("id")
        return self.filter(source__in=visible, target__in=visible)

    def editable_by(self, user: Any) -> LinkQuerySet:
        """Links `user` may change: they can edit at least one end (and see the other)."""
        scope = scope_for(user)
        if scope.is_superuser:
            return self.all()
        editable = Group.objects.editable_by(user).values("id")
        return self.visible_to(user).filter(Q(source__in=editable) | Q(target__in=editable))

    def current(self) -> LinkQuerySet:
        from django.utils import timezone

        today = timezone.localdate()
        return self.filter(Q(ended_on__isnull=True) | Q(ended_on__gte=today))


class Link(models.Model):
    """A tie between two groups of the same collective, the stuff the network layer is made of."""

    class Kind(models.TextChoices):
        PARTNERSHIP = "partnership", "Partnership"
        MENTORING = "mentoring", "Mentoring"
        SHARED_CAMPAIGN = "shared_campaign", "Shared campaign"
        INFORMATION_FLOW = "information_flow", "Information flow"

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="links")
    source = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    weight = models.FloatField(default=1.0, validators=[MinValueValidator(0.0), MaxValueValidator(1000.0)])
    started_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LinkQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=~Q(source=models.F("target")), name="link_not_self"),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True)
                | Q(started_on__isnull=True)
                | Q(ended_on__gte=models.F("started_on")),
                name="link_dates_ordered",
            ),
            models.CheckConstraint(condition=Q(weight__gte=0), name="link_weight_positive"),
            models.UniqueConstraint(fields=["source", "target", "kind"], name="link_unique_kind"),
        ]
        indexes = [models.Index(fields=["collective", "kind"], name="link_coll_kind_idx")]

    def __str__(self) -> str:
        return f"{self.source} → {self.target} ({self.get_kind_display()})"


class NetworkSnapshot(models.Model):
    """Network metrics computed in the background, served from here, stamped with when they were made."""

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="network_snapshots")
    scope_group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE)
    computed_at = models.DateTimeField()
    seconds = models.FloatField(default=0)
    metrics = models.JSONField(default=dict)

    class Meta:
        ordering = ["-computed_at"]
        get_latest_by = "computed_at"
        indexes = [models.Index(fields=["collective", "scope_group", "-computed_at"], name="netsnap_idx")]

    def __str__(self) -> str:
        return f"{self.collective} network @ {self.computed_at:%Y-%m-%d %H:%M}"
