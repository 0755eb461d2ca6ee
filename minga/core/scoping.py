"""What a user may reach, worked out once per request from their active memberships.

Every `visible_to(user)` / `editable_by(user)` QuerySet method builds its filter from a `Scope`, so the
rule "a coordinator sees their subtree, a lead their group, the public what is published" is written in
one place. The scope is read through the user's reverse relations (user → persons → memberships → group)
so that `core` imports no domain app; see docs/adr/0002-scoping.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone

from minga.core.choices import Role

_CACHE_ATTR = "_minga_scope"


@dataclass(frozen=True)
class Scope:
    user_id: int | None = None
    is_superuser: bool = False
    # collectives where the user is a backbone admin: everything in them
    admin_collectives: frozenset[int] = frozenset()
    # collectives where the user holds any active membership: sees what is shared with the collective
    member_collectives: frozenset[int] = frozenset()
    # coordinator and lead groups: the whole subtree is visible, people included
    view_paths: tuple[str, ...] = ()
    # coordinator groups: the whole subtree is editable
    edit_paths: tuple[str, ...] = ()
    # lead groups: the group itself is editable
    lead_groups: frozenset[int] = frozenset()
    # member/observer groups: visible even when private
    member_groups: frozenset[int] = frozenset()
    # (collective id, role) pairs, for "highest role in this collective" questions
    roles: frozenset[tuple[int, str]] = field(default_factory=frozenset)

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None

    def covers_path(self, path: str, *, for_edit: bool = False) -> bool:
        paths = self.edit_paths if for_edit else self.view_paths
        return any(path.startswith(p) for p in paths)


ANONYMOUS = Scope()


def scope_for(user: Any) -> Scope:
    """The scope of `user` (anonymous users and None get the public scope). Cached on the user object."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ANONYMOUS
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    scope = _load_scope(user)
    setattr(user, _CACHE_ATTR, scope)
    return scope


def forget_scope(user: Any) -> None:
    """Drop the cached scope after the user's memberships changed within the same request."""
    if user is not None and hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def _load_scope(user: Any) -> Scope:
    if user.is_superuser:
        return Scope(user_id=user.pk, is_superuser=True)
    today = timezone.localdate()
    from django.contrib.auth import get_user_model

    rows = (
        get_user_model()
        # One filter() call so both conditions apply to the same membership row.
        .objects.filter(
            Q(persons__memberships__ended_on__isnull=True) | Q(persons__memberships__ended_on__gte=today),
            pk=user.pk,
            persons__memberships__started_on__lte=today,
        )
        .values_list(
            "persons__memberships__role",
            "persons__memberships__group_id",
            "persons__memberships__group__path",
            "persons__memberships__group__collective_id",
        )
    )
    admin: set[int] = set()
    member_c: set[int] = set()
    view: set[str] = set()
    edit: set[str] = set()
    lead: set[int] = set()
    member_g: set[int] = set()
    roles: set[tuple[int, str]] = set()
    for role, group_id, path, collective_id in rows:
        if role is None:
            continue
        member_c.add(collective_id)
        roles.add((collective_id, role))
        if role == Role.ADMIN:
            admin.add(collective_id)
        elif role == Role.COORDINATOR:
            view.add(path)
            edit.add(path)
        elif role == Role.LEAD:
            view.add(path)
            lead.add(group_id)
        member_g.add(group_id)
    return Scope(
        user_id=user.pk,
        admin_collectives=frozenset(admin),
        member_collectives=frozenset(member_c),
        view_paths=_outermost(view),
        edit_paths=_outermost(edit),
        lead_groups=frozenset(lead),
        member_groups=frozenset(member_g),
        roles=frozenset(roles),
    )


def _outermost(paths: set[str]) -> tuple[str, ...]:
    """Drop paths nested inside another one: the filter stays as short as the user's real reach."""
    result: list[str] = []
    for path in sorted(paths, key=len):
        if not any(path.startswith(p) for p in result):
            result.append(path)
    return tuple(sorted(result))
