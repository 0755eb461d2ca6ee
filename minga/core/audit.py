"""The one way to write the audit log. Services call `audit_record` inside their transaction."""

from __future__ import annotations

from typing import Any

from django.db import models

from minga.core.models import AuditEntry, Collective


def _label(actor: Any) -> str:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return "system"
    return str(getattr(actor, "email", "") or getattr(actor, "username", "") or actor.pk)


def audit_record(
    *,
    actor: Any,
    action: str,
    target: models.Model,
    collective: Collective | None = None,
    changes: dict[str, Any] | None = None,
    target_repr: str | None = None,
) -> AuditEntry:
    """Append one entry: `actor` did `action` to `target` (with the field changes, old → new).

    `target_repr` replaces `str(target)` when that would put personal data into the append-only log.
    """
    if collective is None:
        collective = getattr(target, "collective", None)
        if collective is None and isinstance(target, Collective):
            collective = target
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEntry.objects.create(
        collective=collective,
        actor=actor if authenticated else None,
        actor_label=_label(actor),
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_repr=(str(target) if target_repr is None else target_repr)[:300],
        changes=_jsonable(changes or {}),
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, models.Model):
        return str(value)
    return str(value)


def diff_fields(instance: models.Model, before: dict[str, Any], fields: list[str]) -> dict[str, list[Any]]:
    """Field changes as {field: [old, new]} for the fields that actually changed."""
    changes: dict[str, list[Any]] = {}
    for name in fields:
        old = before.get(name)
        new = getattr(instance, name)
        if old != new:
            changes[name] = [_jsonable(old), _jsonable(new)]
    return changes


def snapshot(instance: models.Model, fields: list[str]) -> dict[str, Any]:
    return {name: getattr(instance, name) for name in fields}
