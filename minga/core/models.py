"""The tenant (Collective) and cross-cutting records: audit log, API tokens, idempotency keys."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.core.validators import FileExtensionValidator, RegexValidator
from django.db import models
from django.db.models import Q

from minga.core.choices import Visibility


class CollectiveQuerySet(models.QuerySet["Collective"]):
    def visible_to(self, user: Any) -> CollectiveQuerySet:
        """Collectives a user may see: public ones, and those where they hold any membership."""
        from minga.core.scoping import scope_for

        scope = scope_for(user)
        if scope.is_superuser:
            return self.all()
        return self.filter(Q(visibility=Visibility.PUBLIC) | Q(id__in=scope.member_collectives))

    def editable_by(self, user: Any) -> CollectiveQuerySet:
        """Collectives whose settings a user may change: those where they are a backbone admin."""
        from minga.core.scoping import scope_for

        scope = scope_for(user)
        if scope.is_superuser:
            return self.all()
        return self.filter(id__in=scope.admin_collectives)


class Collective(models.Model):
    """A tenant: one collective social innovation. Nothing of one collective is visible from another."""

    class CollectiveVisibility(models.TextChoices):
        PUBLIC = Visibility.PUBLIC.value, "Public profile"
        PRIVATE = Visibility.PRIVATE.value, "Private: members only"

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    mission = models.TextField("mission statement", blank=True)
    languages = models.JSONField(default=list, blank=True, help_text='Language codes, e.g. ["en", "es"].')
    logo = models.FileField(
        upload_to="logos/",
        blank=True,
        validators=[FileExtensionValidator(["png", "jpg", "jpeg", "svg", "webp"])],
    )
    visibility = models.CharField(
        max_length=12, choices=CollectiveVisibility.choices, default=CollectiveVisibility.PUBLIC
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CollectiveQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("The audit log is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("The audit log is append-only.")

    def for_object(self, obj: models.Model) -> AuditEntryQuerySet:
        return self.filter(target_type=obj._meta.label_lower, target_id=str(obj.pk))


class AuditEntry(models.Model):
    """Who changed what and when. Append-only: rows are never updated or deleted."""

    collective = models.ForeignKey(Collective, null=True, blank=True, on_delete=models.SET_NULL)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=60)
    target_type = models.CharField(max_length=80)
    target_id = models.CharField(max_length=64)
    target_repr = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id", "-at"], name="audit_target_idx")]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.target_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("The audit log is append-only.")


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A bearer token for the JSON API. Only its SHA-256 is stored; the raw value is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, default="cli")
    prefix = models.CharField(max_length=12, validators=[RegexValidator(r"^[A-Za-z0-9_-]+$")])
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @staticmethod
    def generate() -> str:
        return "mg_" + secrets.token_urlsafe(32)


class IdempotencyKey(models.Model):
    """The stored outcome of a write, so a retried request returns it instead of writing twice."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    key = models.CharField(max_length=200)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=300)
    body_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_unique_key")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"


class ImportJobQuerySet(models.QuerySet["ImportJob"]):
    def visible_to(self, user: Any) -> ImportJobQuerySet:
        """Import jobs `user` may follow: their own, and all of a collective they are a backbone admin of."""
        from minga.core.scoping import scope_for

        scope = scope_for(user)
        if scope.is_superuser:
            return self.all()
        if scope.is_anonymous:
            return self.none()
        return self.filter(Q(actor_id=scope.user_id) | Q(collective_id__in=scope.admin_collectives))


class ImportJob(models.Model):
    """An uploaded file on its way in: mapping, dry run, import, report, rejected rows (minga.core.bulk)."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Uploaded: check the column mapping"
        QUEUED = "queued", "Waiting for a worker"
        RUNNING = "running", "Running"
        CHECKED = "checked", "Dry run done: review and confirm"
        DONE = "done", "Imported"
        FAILED = "failed", "Nothing imported"
        INTERRUPTED = "interrupted", "Interrupted"

    class Mode(models.TextChoices):
        ALL = "all", "All or nothing"
        VALID = "valid", "Import the valid rows, report the rest"

    collective = models.ForeignKey(Collective, on_delete=models.CASCADE, related_name="import_jobs")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=40)
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    format = models.CharField(max_length=10, blank=True)
    encoding = models.CharField(max_length=30, blank=True)
    delimiter = models.CharField(max_length=1, blank=True)
    headers = models.JSONField(default=list, blank=True)
    mapping = models.JSONField(default=dict, blank=True)
    mode = models.CharField(max_length=5, choices=Mode.choices, default=Mode.ALL)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.UPLOADED)
    dry_run = models.BooleanField(default=True, help_text="Whether the current or last run was a dry run.")
    rows_done = models.PositiveIntegerField(default=0, help_text="Rows committed so far (valid-rows mode).")
    report = models.JSONField(default=dict, blank=True)
    rejected_file = models.FileField(upload_to="imports/rejected/%Y/%m/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["collective", "-created_at"], name="importjob_coll_idx")]

    def __str__(self) -> str:
        return f"Import of {self.kind} from {self.original_name}"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def can_resume(self) -> bool:
        return self.status == self.Status.INTERRUPTED and self.mode == self.Mode.VALID and not self.dry_run
