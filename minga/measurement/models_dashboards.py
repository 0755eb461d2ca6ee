"""Dashboards saved by users: which indicators, over which area (a subtree or a group set), which
periods, which charts. Private to their owner unless shared with the collective; whoever opens one
sees only the data they may see (the rollups are scoped by the viewer, never by the owner)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from minga.architecture.models import Group, GroupSet
from minga.core.models import Collective
from minga.core.scoping import scope_for

CHARTS = [
    ("trend", "Trend and target"),
    ("breakdown", "Breakdown by unit"),
    ("map", "Map"),
    ("completeness", "Completeness"),
]
MAX_INDICATORS = 12


class SavedDashboardQuerySet(models.QuerySet["SavedDashboard"]):
    def visible_to(self, user: Any) -> SavedDashboardQuerySet:
        """Your own dashboards, and those shared with a collective you belong to."""
        scope = scope_for(user)
        if scope.is_superuser:
            return self.all()
        if scope.is_anonymous:
            return self.none()
        return self.filter(Q(owner_id=user.pk) | Q(shared=True, collective_id__in=scope.member_collectives))

    def editable_by(self, user: Any) -> SavedDashboardQuerySet:
        """Only the owner changes or deletes a dashboard."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(owner_id=user.pk)


class SavedDashboard(models.Model):
    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=120)
    indicators = models.JSONField(default=list, help_text="Indicator codes, in order.")
    within = models.ForeignKey(Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    group_set = models.ForeignKey(
        GroupSet, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    period = models.CharField(max_length=60, blank=True, help_text="Blank: the last 12 periods.")
    charts = models.JSONField(default=list)
    shared = models.BooleanField(default=False, help_text="Shared with the collective's people.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SavedDashboardQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["collective", "owner"], name="saveddashboard_owner_idx")]

    def __str__(self) -> str:
        return self.name
