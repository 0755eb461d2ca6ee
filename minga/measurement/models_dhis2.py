"""The code mapping between a collective and the DHIS2 instance it reports to.

A row says "DHIS2 `dhis2_id` (or `dhis2_code`) of this kind is Minga's `code`": a data element is an
indicator, an organisation unit is a group, a category option combo is a disaggregation option, a
data set is an indicator set, and (rarely needed) a DHIS2 period is a Minga period code. Codes rather
than foreign keys, because a mapping may name a period or an option before it is stored.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q

from minga.core.models import Collective
from minga.core.scoping import scope_for


class Dhis2Kind(models.TextChoices):
    INDICATOR = "indicator", "Indicator (data element)"
    GROUP = "group", "Group (organisation unit)"
    OPTION = "option", "Disaggregation option (category option combo)"
    DATASET = "dataset", "Indicator set (data set)"
    PERIOD = "period", "Period"


class Dhis2MappingQuerySet(models.QuerySet["Dhis2Mapping"]):
    def visible_to(self, user: Any) -> Dhis2MappingQuerySet:
        """Mappings are definitions: members of the collective see them (they contain no personal
        data, but the identifiers of another system are the collective's business)."""
        scope = scope_for(user)
        if scope.is_superuser:
            return self.all()
        return self.filter(collective_id__in=scope.member_collectives)

    def editable_by(self, user: Any) -> Dhis2MappingQuerySet:
        """The backbone admins maintain the mapping."""
        scope = scope_for(user)
        if scope.is_superuser:
            return self.all()
        return self.filter(collective_id__in=scope.admin_collectives)


class Dhis2Mapping(models.Model):
    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="dhis2_mappings")
    kind = models.CharField(max_length=10, choices=Dhis2Kind.choices)
    dhis2_id = models.CharField(
        "DHIS2 id", max_length=50, blank=True, help_text="The UID in DHIS2, e.g. fbfJHSPpUQD."
    )
    dhis2_code = models.CharField("DHIS2 code", max_length=100, blank=True)
    code = models.CharField("Minga code", max_length=100, help_text="The indicator, group, option… code.")
    name = models.CharField(max_length=200, blank=True, help_text="The name in DHIS2 (for people).")

    objects = Dhis2MappingQuerySet.as_manager()

    class Meta:
        ordering = ["collective", "kind", "code", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["collective", "kind", "dhis2_id"],
                condition=~Q(dhis2_id=""),
                name="dhis2mapping_unique_id",
            ),
            models.UniqueConstraint(
                fields=["collective", "kind", "dhis2_code"],
                condition=~Q(dhis2_code=""),
                name="dhis2mapping_unique_code",
            ),
            models.UniqueConstraint(fields=["collective", "kind", "code"], name="dhis2mapping_unique_minga"),
            models.CheckConstraint(
                condition=~Q(dhis2_id="") | ~Q(dhis2_code=""), name="dhis2mapping_has_identifier"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.dhis2_id or self.dhis2_code} → {self.code}"
