"""One access function per object type. Missing and forbidden look the same (NotFound), by design."""

from __future__ import annotations

from typing import Any

from minga.architecture.models import Group, GroupKind, GroupSet, Link
from minga.core.errors import NotFound
from minga.core.models import Collective


def access_collective(user: Any, slug_or_id: str | int, *, for_edit: bool = False) -> Collective:
    """The collective `user` may see (or edit, with for_edit) by slug or id, else NotFound."""
    qs = Collective.objects.editable_by(user) if for_edit else Collective.objects.visible_to(user)
    lookup = {"pk": slug_or_id} if isinstance(slug_or_id, int) else {"slug": slug_or_id}
    obj = qs.filter(**lookup).first()
    if obj is None:
        raise NotFound("collective")
    return obj


def access_group(
    user: Any, group_id: int, *, for_edit: bool = False, collective: Collective | None = None
) -> Group:
    """The group `user` may see (or edit) by id, within `collective` when given, else NotFound."""
    qs = Group.objects.editable_by(user) if for_edit else Group.objects.visible_to(user)
    if collective is not None:
        qs = qs.filter(collective=collective)
    obj = qs.select_related("collective", "kind", "parent").filter(pk=group_id).first()
    if obj is None:
        raise NotFound("group")
    return obj


def access_group_set(user: Any, set_id: int, *, for_edit: bool = False) -> GroupSet:
    qs = GroupSet.objects.editable_by(user) if for_edit else GroupSet.objects.visible_to(user)
    obj = qs.select_related("collective").filter(pk=set_id).first()
    if obj is None:
        raise NotFound("group set")
    return obj


def access_link(user: Any, link_id: int, *, for_edit: bool = False) -> Link:
    qs = Link.objects.editable_by(user) if for_edit else Link.objects.visible_to(user)
    obj = qs.select_related("source", "target", "collective").filter(pk=link_id).first()
    if obj is None:
        raise NotFound("link")
    return obj


def access_group_kind(
    user: Any, kind_id: int, *, collective: Collective, for_edit: bool = False
) -> GroupKind:
    """A kind of group of `collective`: seen by whoever sees the collective, edited by its admins."""
    collectives = Collective.objects.editable_by(user) if for_edit else Collective.objects.visible_to(user)
    obj = (
        GroupKind.objects.filter(collective=collective, collective__in=collectives)
        .select_related("collective")
        .filter(pk=kind_id)
        .first()
    )
    if obj is None:
        raise NotFound("group kind")
    return obj
