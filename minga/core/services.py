"""Writes owned by `core`: API tokens (create, revoke) and the look-up the API authenticates with; the
purge of old idempotency keys.

A token is shown once, when it is made; only its SHA-256 is stored, with a short prefix so people can
tell their tokens apart and revoke one by name.

`actor=None` means the operator at the console (`minga token …`), who may manage anyone's tokens; the
audit log records it as "system". Signed-in users manage their own; platform operators anyone's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from minga.core.audit import audit_record
from minga.core.errors import DomainError, NotFound
from minga.core.models import ApiToken, IdempotencyKey, hash_token

PREFIX_LENGTH = 10
# `last_used_at` is for humans ("is this token still used?"): minute precision is plenty and spares a
# write on every request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
# How long a write's `Idempotency-Key` is remembered: a retry within a day replays the first answer;
# after that the same key is a new request.
IDEMPOTENCY_KEY_LIFETIME = dt.timedelta(hours=24)


def _require_self_or_superuser(actor: Any, user: Any) -> None:
    if actor is None:  # the console
        return
    if not getattr(actor, "is_authenticated", False):
        raise NotFound("user")
    if actor.pk != user.pk and not actor.is_superuser:
        raise NotFound("user")


@transaction.atomic
def api_token_create(*, actor: Any | None, user: Any, name: str = "cli") -> tuple[ApiToken, str]:
    """Make a token for `user` (by the user themself, a platform operator or the console).

    Returns the token and its raw value; the raw value is not stored and cannot be shown again.
    """
    _require_self_or_superuser(actor, user)
    name = name.strip()
    if not name:
        raise DomainError.single("required", "Give the token a name.", field="name")
    if len(name) > ApiToken._meta.get_field("name").max_length:  # type: ignore[operator]
        raise DomainError.single("too_long", "The name is too long (100 characters at most).", field="name")
    raw = ApiToken.generate()
    token = ApiToken.objects.create(
        user=user, name=name, prefix=raw[:PREFIX_LENGTH], key_hash=hash_token(raw)
    )
    audit_record(actor=actor, action="api_token.create", target=token, changes={"name": name})
    return token, raw


@transaction.atomic
def api_token_revoke(*, actor: Any | None, token: ApiToken) -> ApiToken:
    """Revoke a token; requests that carry it are refused from now on. Revoking twice is harmless."""
    _require_self_or_superuser(actor, token.user)
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="api_token.revoke", target=locked)
    return locked


def api_token_list(*, actor: Any | None, user: Any) -> list[ApiToken]:
    """The tokens of `user`, newest first, revoked ones included (they say when they were revoked)."""
    _require_self_or_superuser(actor, user)
    return list(ApiToken.objects.filter(user=user).order_by("-created_at", "-id"))


def api_token_find(*, actor: Any | None, prefix: str) -> ApiToken:
    """The token whose prefix is `prefix`, among those `actor` may manage (NotFound otherwise, and for
    an ambiguous prefix)."""
    qs = ApiToken.objects.select_related("user").filter(prefix=prefix)
    if actor is not None and not getattr(actor, "is_superuser", False):
        if not getattr(actor, "is_authenticated", False):
            raise NotFound("token")
        qs = qs.filter(user_id=actor.pk)
    matches = list(qs[:2])
    if len(matches) != 1:
        raise NotFound("token")
    return matches[0]


def api_token_authenticate(raw: str) -> Any | None:
    """The active user a raw token belongs to, or None for an unknown, revoked or inactive one."""
    token = (
        ApiToken.objects.active()
        .select_related("user")
        .filter(key_hash=hash_token(raw), user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def idempotency_key_purge(
    *, older_than: dt.timedelta = IDEMPOTENCY_KEY_LIFETIME, now: dt.datetime | None = None
) -> int:
    """Forget the idempotency keys claimed more than `older_than` ago; returns how many were deleted.

    A system write, safe to run at any time and as often as wanted (one DELETE): the background task
    `purge_idempotency_keys` runs it, queued now and then by the API itself. Not audited: a key records
    a request's answer for retries, not a change to anyone's data.
    """
    cutoff = (now or timezone.now()) - older_than
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
