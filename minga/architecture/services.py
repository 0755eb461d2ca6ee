"""Writes to the collective architecture. Each service checks permission and rules, writes, audits.

Callers (views, API, CLI, imports) pass the acting user first; services raise `DomainError` with every
problem found, or `NotFound` when the actor may not reach an object.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone

from minga.architecture.models import Group, GroupKind, GroupSet, GroupStatus, Layer, Link
from minga.core import languages as language_tags
from minga.core.audit import audit_record, diff_fields, snapshot
from minga.core.errors import DomainError, NotFound, Problem, full_clean
from minga.core.models import Collective
from minga.core.scoping import scope_for

GROUP_EDITABLE_FIELDS = [
    "code",
    "name",
    "layer",
    "kind",
    "place_name",
    "admin_area",
    "country_code",
    "latitude",
    "longitude",
    "status",
    "founded_on",
    "closed_on",
    "contact_email",
    "description",
    "visibility",
]

MAX_DEPTH = 12


def _require_can_create_under(actor: Any, collective: Collective, parent: Group | None) -> None:
    scope = scope_for(actor)
    if scope.is_superuser or collective.pk in scope.admin_collectives:
        return
    if parent is not None and scope.covers_path(parent.path, for_edit=True):
        return
    if parent is None:
        raise DomainError.single(
            "forbidden", "Only a backbone admin can create a top-level group.", field="parent"
        )
    raise NotFound("group")


def _check_kind(collective: Collective, kind: GroupKind) -> list[Problem]:
    if kind.collective_id != collective.pk:
        return [Problem("invalid_kind", "This kind of group belongs to another collective.", field="kind")]
    return []


def _status_problems(group: Group) -> list[Problem]:
    problems = []
    if group.closed_on and group.status != GroupStatus.CLOSED:
        problems.append(
            Problem("closed_on_without_close", "A closing date needs the status 'closed'.", field="closed_on")
        )
    if group.closed_on and group.founded_on and group.closed_on < group.founded_on:
        problems.append(
            Problem("dates_out_of_order", "The group cannot close before it was founded.", field="closed_on")
        )
    if (group.latitude is None) != (group.longitude is None):
        problems.append(
            Problem("incomplete_point", "Give both latitude and longitude, or neither.", field="latitude")
        )
    return problems


@transaction.atomic
def group_create(
    *,
    actor: Any,
    collective: Collective,
    code: str,
    name: str,
    kind: GroupKind,
    parent: Group | None = None,
    layer: str | None = None,
    **fields: Any,
) -> Group:
    """Create a group under `parent` (or at the top, for admins). Layer defaults to the kind's layer."""
    if parent is not None and parent.collective_id != collective.pk:
        raise DomainError.single(
            "invalid_parent", "The parent group belongs to another collective.", field="parent"
        )
    _require_can_create_under(actor, collective, parent)
    unknown = set(fields) - set(GROUP_EDITABLE_FIELDS)
    if unknown:
        raise DomainError.single("unknown_field", f"Unknown fields: {', '.join(sorted(unknown))}.")
    group = Group(
        collective=collective,
        code=code,
        name=name,
        kind=kind,
        parent=parent,
        layer=layer or kind.layer,
        depth=(parent.depth + 1) if parent else 0,
        path="/pending/",
        **fields,
    )
    problems = _check_kind(collective, kind) + _status_problems(group)
    if group.depth > MAX_DEPTH:
        problems.append(
            Problem("too_deep", f"The tree may be at most {MAX_DEPTH + 1} levels deep.", field="parent")
        )
    if group.status == GroupStatus.CLOSED and not group.closed_on:
        group.closed_on = timezone.localdate()
    if problems:
        raise DomainError(problems)
    full_clean(group)
    group.status_changed_on = timezone.localdate()
    group.save()
    group.path = f"{parent.path if parent else '/'}{group.pk}/"
    Group.objects.filter(pk=group.pk).update(path=group.path)
    audit_record(
        actor=actor, action="group.create", target=group, changes=snapshot(group, ["code", "name", "path"])
    )
    return group


@transaction.atomic
def group_update(*, actor: Any, group: Group, **changes: Any) -> Group:
    """Change a group's fields (not its place in the tree: see `group_move`)."""
    group = _lock_editable(actor, group)
    unknown = set(changes) - set(GROUP_EDITABLE_FIELDS)
    if unknown:
        raise DomainError.single("unknown_field", f"Unknown fields: {', '.join(sorted(unknown))}.")
    before = snapshot(group, GROUP_EDITABLE_FIELDS)
    for name, value in changes.items():
        setattr(group, name, value)
    if "kind" in changes:
        problems = _check_kind(group.collective, group.kind)
        if problems:
            raise DomainError(problems)
    if group.status == GroupStatus.CLOSED and not group.closed_on:
        group.closed_on = timezone.localdate()
    if (
        group.status != GroupStatus.CLOSED
        and before["status"] == GroupStatus.CLOSED
        and "closed_on" not in changes
    ):
        group.closed_on = None
    problems = _status_problems(group)
    if problems:
        raise DomainError(problems)
    full_clean(group)
    if group.status != before["status"]:
        group.status_changed_on = timezone.localdate()
    group.save()
    diff = diff_fields(group, before, GROUP_EDITABLE_FIELDS)
    if diff:
        audit_record(actor=actor, action="group.update", target=group, changes=diff)
    return group


@transaction.atomic
def group_close(*, actor: Any, group: Group, closed_on: dt.date | None = None) -> Group:
    """Close a group (it stays in history, its subtree stays where it is)."""
    return group_update(
        actor=actor, group=group, status=GroupStatus.CLOSED, closed_on=closed_on or timezone.localdate()
    )


@transaction.atomic
def group_move(*, actor: Any, group: Group, new_parent: Group | None) -> Group:
    """Move `group` and its whole subtree under `new_parent`: one UPDATE rewrites every path below.

    The actor must be able to edit both the group and the destination; a group cannot move into its
    own subtree.
    """
    group = _lock_editable(actor, group)
    if new_parent is not None:
        if new_parent.collective_id != group.collective_id:
            raise DomainError.single(
                "invalid_parent", "The new parent belongs to another collective.", field="parent"
            )
        new_parent = Group.objects.get(pk=new_parent.pk)  # fresh path, inside this transaction
        if new_parent.path.startswith(group.path):
            raise DomainError.single(
                "cycle", "A group cannot move under itself or one of its own sub-groups.", field="parent"
            )
    _require_can_create_under(actor, group.collective, new_parent)
    if (new_parent.pk if new_parent else None) == group.parent_id:
        return group
    old_path = group.path
    new_path = f"{new_parent.path if new_parent else '/'}{group.pk}/"
    depth_delta = ((new_parent.depth + 1) if new_parent else 0) - group.depth
    deepest = (
        Group.objects.filter(path__startswith=old_path)
        .order_by("-depth")
        .values_list("depth", flat=True)
        .first()
    ) or group.depth
    if deepest + depth_delta > MAX_DEPTH:
        raise DomainError.single(
            "too_deep", f"The tree may be at most {MAX_DEPTH + 1} levels deep.", field="parent"
        )
    old_parent = group.parent
    Group.objects.filter(path__startswith=old_path).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
        depth=F("depth") + depth_delta,
    )
    Group.objects.filter(pk=group.pk).update(parent=new_parent)
    group.refresh_from_db()
    audit_record(
        actor=actor,
        action="group.move",
        target=group,
        changes={
            "parent": [str(old_parent) if old_parent else None, str(new_parent) if new_parent else None]
        },
    )
    return group


def _lock_editable(actor: Any, group: Group) -> Group:
    locked = (
        Group.objects.editable_by(actor)
        .select_for_update()
        .select_related("collective", "kind")
        .filter(pk=group.pk)
        .first()
    )
    if locked is None:
        raise NotFound("group")
    return locked


# --- group kinds ----------------------------------------------------------------------------------


@transaction.atomic
def group_kind_create(
    *, actor: Any, collective: Collective, code: str, name: str, layer: str = Layer.ACTION, order: int = 0
) -> GroupKind:
    """Add a kind of group to the collective's vocabulary (admins only)."""
    if not Collective.objects.editable_by(actor).filter(pk=collective.pk).exists():
        raise NotFound("collective")
    kind = GroupKind(collective=collective, code=code, name=name, layer=layer, order=order)
    full_clean(kind)
    kind.save()
    audit_record(actor=actor, action="group_kind.create", target=kind, collective=collective)
    return kind


GROUP_KIND_EDITABLE_FIELDS = ["name", "layer", "order"]


@transaction.atomic
def group_kind_update(*, actor: Any, kind: GroupKind, **changes: Any) -> GroupKind:
    """Rename a kind of group, or change its layer or its place in lists (admins only).

    The code stays: imports and the API name kinds by it. A new layer is the default for groups created
    from now on; existing groups keep theirs.
    """
    locked = (
        GroupKind.objects.select_for_update()
        .filter(pk=kind.pk, collective__in=Collective.objects.editable_by(actor))
        .first()
    )
    if locked is None:
        raise NotFound("group kind")
    unknown = set(changes) - set(GROUP_KIND_EDITABLE_FIELDS)
    if unknown:
        raise DomainError.single("unknown_field", f"Unknown fields: {', '.join(sorted(unknown))}.")
    before = snapshot(locked, GROUP_KIND_EDITABLE_FIELDS)
    for name, value in changes.items():
        setattr(locked, name, value)
    full_clean(locked)
    locked.save()
    diff = diff_fields(locked, before, GROUP_KIND_EDITABLE_FIELDS)
    if diff:
        audit_record(
            actor=actor, action="group_kind.update", target=locked, collective=locked.collective, changes=diff
        )
    return locked


# --- group sets -----------------------------------------------------------------------------------


@transaction.atomic
def group_set_create(
    *,
    actor: Any,
    collective: Collective,
    code: str,
    name: str,
    kind: str = GroupSet.Kind.THEMATIC,
    description: str = "",
    visibility: str = "public",
    groups: list[Group] | None = None,
) -> GroupSet:
    """Create a cross-cutting network of groups (admins only)."""
    if not Collective.objects.editable_by(actor).filter(pk=collective.pk).exists():
        raise NotFound("collective")
    group_set = GroupSet(
        collective=collective, code=code, name=name, kind=kind, description=description, visibility=visibility
    )
    full_clean(group_set)
    group_set.save()
    if groups:
        _set_members(group_set, groups)
    audit_record(actor=actor, action="group_set.create", target=group_set)
    return group_set


@transaction.atomic
def group_set_update(
    *, actor: Any, group_set: GroupSet, groups: list[Group] | None = None, **changes: Any
) -> GroupSet:
    """Change a group set's fields and, when `groups` is given, replace its members."""
    locked = GroupSet.objects.editable_by(actor).select_for_update().filter(pk=group_set.pk).first()
    if locked is None:
        raise NotFound("group set")
    fields = ["code", "name", "kind", "description", "visibility"]
    unknown = set(changes) - set(fields)
    if unknown:
        raise DomainError.single("unknown_field", f"Unknown fields: {', '.join(sorted(unknown))}.")
    before = snapshot(locked, fields)
    for name, value in changes.items():
        setattr(locked, name, value)
    full_clean(locked)
    locked.save()
    diff: dict[str, Any] = diff_fields(locked, before, fields)
    if groups is not None:
        _set_members(locked, groups)
        diff["groups"] = len(groups)
    audit_record(actor=actor, action="group_set.update", target=locked, changes=diff)
    return locked


def _set_members(group_set: GroupSet, groups: list[Group]) -> None:
    foreign = [g.code for g in groups if g.collective_id != group_set.collective_id]
    if foreign:
        raise DomainError.single(
            "invalid_group", f"Groups from another collective: {', '.join(foreign)}.", field="groups"
        )
    group_set.groups.set(groups)


@transaction.atomic
def group_set_delete(*, actor: Any, group_set: GroupSet) -> None:
    locked = GroupSet.objects.editable_by(actor).filter(pk=group_set.pk).first()
    if locked is None:
        raise NotFound("group set")
    audit_record(actor=actor, action="group_set.delete", target=locked)
    locked.delete()


# --- links ----------------------------------------------------------------------------------------


@transaction.atomic
def link_create(
    *,
    actor: Any,
    source: Group,
    target: Group,
    kind: str,
    weight: float = 1.0,
    started_on: dt.date | None = None,
    ended_on: dt.date | None = None,
    note: str = "",
) -> Link:
    """Record a tie between two groups. The actor must edit one end and see the other."""
    if source.collective_id != target.collective_id:
        raise DomainError.single(
            "cross_collective", "Both groups must belong to the same collective.", field="target"
        )
    visible = Group.objects.visible_to(actor)
    editable = Group.objects.editable_by(actor)
    ends = {source.pk, target.pk}
    if visible.filter(pk__in=ends).count() != len(ends):
        raise NotFound("group")
    if not editable.filter(pk__in=ends).exists():
        raise NotFound("group")
    link = Link(
        collective_id=source.collective_id,
        source=source,
        target=target,
        kind=kind,
        weight=weight,
        started_on=started_on,
        ended_on=ended_on,
        note=note,
    )
    problems = []
    if source.pk == target.pk:
        problems.append(Problem("self_link", "A group cannot be linked to itself.", field="target"))
    if started_on and ended_on and ended_on < started_on:
        problems.append(
            Problem("dates_out_of_order", "The link cannot end before it starts.", field="ended_on")
        )
    if problems:
        raise DomainError(problems)
    full_clean(link)
    link.save()
    audit_record(actor=actor, action="link.create", target=link)
    return link


@transaction.atomic
def link_update(*, actor: Any, link: Link, **changes: Any) -> Link:
    locked = Link.objects.editable_by(actor).select_for_update().filter(pk=link.pk).first()
    if locked is None:
        raise NotFound("link")
    fields = ["kind", "weight", "started_on", "ended_on", "note"]
    unknown = set(changes) - set(fields)
    if unknown:
        raise DomainError.single("unknown_field", f"Unknown fields: {', '.join(sorted(unknown))}.")
    before = snapshot(locked, fields)
    for name, value in changes.items():
        setattr(locked, name, value)
    if locked.started_on and locked.ended_on and locked.ended_on < locked.started_on:
        raise DomainError.single(
            "dates_out_of_order", "The link cannot end before it starts.", field="ended_on"
        )
    full_clean(locked)
    locked.save()
    audit_record(
        actor=actor, action="link.update", target=locked, changes=diff_fields(locked, before, fields)
    )
    return locked


@transaction.atomic
def link_delete(*, actor: Any, link: Link) -> None:
    locked = Link.objects.editable_by(actor).filter(pk=link.pk).first()
    if locked is None:
        raise NotFound("link")
    audit_record(actor=actor, action="link.delete", target=locked)
    locked.delete()


# --- collectives ----------------------------------------------------------------------------------

COLLECTIVE_FIELDS = ["name", "mission", "languages", "visibility", "logo"]


@transaction.atomic
def collective_update(*, actor: Any, collective: Collective, **changes: Any) -> Collective:
    """Change a collective's profile (admins of that collective)."""
    locked = Collective.objects.editable_by(actor).select_for_update().filter(pk=collective.pk).first()
    if locked is None:
        raise NotFound("collective")
    unknown = set(changes) - set(COLLECTIVE_FIELDS)
    if unknown:
        raise DomainError.single("unknown_field", f"Unknown fields: {', '.join(sorted(unknown))}.")
    before = snapshot(locked, COLLECTIVE_FIELDS)
    for name, value in changes.items():
        setattr(locked, name, value)
    problems: list[Problem] = []
    if "languages" in changes:
        try:  # codes only: a collective lists its languages as codes
            locked.languages = language_tags.clean_list(changes["languages"], field="languages", names=False)
        except DomainError as error:
            problems += error.problems
    try:
        locked.full_clean()
    except ValidationError as error:
        problems += DomainError.from_validation_error(error).problems
    if problems:
        raise DomainError(problems)
    locked.save()
    audit_record(
        actor=actor,
        action="collective.update",
        target=locked,
        changes=diff_fields(locked, before, COLLECTIVE_FIELDS),
    )
    return locked


@transaction.atomic
def collective_create(
    *,
    actor: Any,
    slug: str,
    name: str,
    mission: str = "",
    languages: list[str] | None = None,
    visibility: str = "public",
) -> Collective:
    """Create a collective with the default kinds of group (platform operators only)."""
    if not scope_for(actor).is_superuser:
        raise DomainError.single("forbidden", "Only a platform operator can create a collective.")
    tags = language_tags.clean_list(languages or ["en"], field="languages", names=False)
    collective = Collective(slug=slug, name=name, mission=mission, languages=tags, visibility=visibility)
    full_clean(collective)
    collective.save()
    for order, (code, kind_name, layer) in enumerate(DEFAULT_KINDS):
        GroupKind.objects.create(collective=collective, code=code, name=kind_name, layer=layer, order=order)
    audit_record(actor=actor, action="collective.create", target=collective)
    return collective


DEFAULT_KINDS: list[tuple[str, str, str]] = [
    ("backbone", "Backbone team", Layer.SUPPORT),
    ("working-group", "Working group", Layer.SUPPORT),
    ("country", "Country network", Layer.NETWORK),
    ("region", "Regional network", Layer.NETWORK),
    ("district", "District network", Layer.NETWORK),
    ("group", "Grassroots group", Layer.ACTION),
    ("chapter", "Chapter", Layer.ACTION),
]
