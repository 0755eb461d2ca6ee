"""People of a collective and the roles they hold in its groups.

Personal data is kept minimal: a name, optional contact, preferred language and a consent record. A
Person may have a login (`user`); most members never do.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from minga.architecture.models import Group, _path_filter
from minga.core.choices import Role
from minga.core.models import Collective
from minga.core.scoping import scope_for

# A language tag's room (`core.languages`): "zh-Hant-TW" fits.
LANGUAGE_LENGTH = 10


class PersonQuerySet(models.QuerySet["Person"]):
    def visible_to(self, user: Any) -> PersonQuerySet:
        """People whose record `user` may read: admins all of their collective, coordinators and leads
        the people of their subtree/group, everyone their own record. The public sees nobody."""
        scope = scope_for(user)
        if scope.is_superuser:
            return self.all()
        if scope.is_anonymous:
            return self.none()
        in_reach = Membership.objects.filter(person=OuterRef("pk")).filter(
            _path_filter(scope.view_paths, "group__path")
        )
        return self.filter(
            Q(collective_id__in=scope.admin_collectives) | Q(user_id=scope.user_id) | Exists(in_reach)
        )

    def editable_by(self, user: Any) -> PersonQuerySet:
        """People `user` may change: as `visible_to`, except that leads and coordinators edit only
        people of the groups they may edit."""
        scope = scope_for(user)
        if scope.is_superuser:
            return self.all()
        if scope.is_anonymous:
            return self.none()
        in_reach = Membership.objects.filter(person=OuterRef("pk")).filter(
            _path_filter(scope.edit_paths, "group__path") | Q(group_id__in=scope.lead_groups)
        )
        return self.filter(
            Q(collective_id__in=scope.admin_collectives) | Q(user_id=scope.user_id) | Exists(in_reach)
        )

    def consented(self) -> PersonQuerySet:
        return self.filter(consent_given_at__isnull=False, consent_withdrawn_at__isnull=True)


class Person(models.Model):
    """Someone taking part in a collective. One per collective; a login may be shared across them."""

    # No single-column indexes on these keys: the composite and partial indexes below serve every lookup,
    # and each index costs on every insert (bulk imports write a million rows; see bench/import_people.py).
    collective = models.ForeignKey(
        Collective, on_delete=models.CASCADE, related_name="people", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="persons",
        db_index=False,
    )
    full_name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    external_id = models.CharField(max_length=100, blank=True, help_text="An identifier from another system.")
    preferred_language = models.CharField(max_length=LANGUAGE_LENGTH, blank=True, default="en")
    skills = models.JSONField(default=list, blank=True, help_text="Competencies and skills, as short tags.")
    consent_purpose = models.CharField(max_length=300, blank=True)
    consent_given_at = models.DateTimeField(null=True, blank=True)
    consent_withdrawn_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["full_name", "id"]
        verbose_name_plural = "people"
        constraints = [
            models.UniqueConstraint(
                fields=["collective", "email"], condition=~Q(email=""), name="person_unique_email"
            ),
            models.UniqueConstraint(
                fields=["collective", "external_id"],
                condition=~Q(external_id=""),
                name="person_unique_external_id",
            ),
            models.UniqueConstraint(
                fields=["collective", "user"], condition=Q(user__isnull=False), name="person_unique_user"
            ),
        ]
        indexes = [
            models.Index(fields=["collective", "full_name"], name="person_coll_name_idx"),
            # Most people have no login: index only those who do.
            models.Index(fields=["user"], condition=Q(user__isnull=False), name="person_user_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def has_consent(self) -> bool:
        return self.consent_given_at is not None and self.consent_withdrawn_at is None


class MembershipQuerySet(models.QuerySet["Membership"]):
    def visible_to(self, user: Any) -> MembershipQuerySet:
        """Memberships `user` may read: those of people they may read, in groups they may see."""
        scope = scope_for(user)
        if scope.is_superuser:
            return self.all()
        if scope.is_anonymous:
            return self.none()
        return self.filter(
            Q(group__collective_id__in=scope.admin_collectives)
            | _path_filter(scope.view_paths, "group__path")
            | Q(person__user_id=scope.user_id)
        )

    def editable_by(self, user: Any) -> MembershipQuerySet:
        """Memberships `user` may change: those in groups they may edit."""
        scope = scope_for(user)
        if scope.is_superuser:
            return self.all()
        return self.filter(group__in=Group.objects.editable_by(user).values("id"))

    def active(self, on: Any = None) -> MembershipQuerySet:
        day = on or timezone.localdate()
        return self.filter(Q(ended_on__isnull=True) | Q(ended_on__gte=day), started_on__lte=day)


class Membership(models.Model):
    """A person's role in a group over a span of dates. A person may hold several."""

    # Served by the composite indexes below (person, group) and (group, role).
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships", db_index=False)
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships", db_index=False)
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.MEMBER)
    started_on = models.DateField(default=timezone.localdate)
    ended_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["group", "role", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="membership_dates_ordered",
            ),
            models.UniqueConstraint(
                fields=["person", "group", "role"],
                condition=Q(ended_on__isnull=True),
                name="membership_unique_open_role",
            ),
        ]
        indexes = [
            models.Index(fields=["group", "role"], name="membership_group_role_idx"),
            models.Index(fields=["person", "group"], name="membership_person_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.get_role_display()} of {self.group}"


class Invitation(models.Model):
    """An emailed link that lets a person set a password and take up a role in a group."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="invitations")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.MEMBER)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation of {self.person} to {self.group}"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.expires_at > timezone.now()
