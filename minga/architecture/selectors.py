"""Reads of the collective architecture for pages: the directory, the group profile, the overview.

Each selector starts from `Group.objects.visible_to(user)` (or the matching QuerySet method of the other
models), so a page can show nothing its viewer may not see. They issue a fixed number of queries,
whatever the size of the collective.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from minga.architecture.models import (
    Group,
    GroupKind,
    GroupQuerySet,
    GroupSet,
    GroupStatus,
    Layer,
    Link,
    NetworkSnapshot,
    group_visibility_q,
)
from minga.core.models import AuditEntry, Collective
from minga.core.scoping import scope_for

DIRECTORY_PAGE_SIZE = 50
# Counting stops here: "1,000+ groups" is as useful as the exact figure and stays cheap at 50,000.
COUNT_CAP = 1000
CHILDREN_LIMIT = 100
SEARCH_LIMIT = 15


# --- the directory --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DirectoryFilters:
    q: str = ""
    layer: str = ""
    kind: int | None = None
    status: str = ""
    group_set: int | None = None
    parent: int | None = None

    @property
    def active(self) -> bool:
        return bool(
            self.q or self.layer or self.kind or self.status or self.group_set or self.parent is not None
        )


@dataclass
class DirectoryPage:
    groups: list[Group]
    count: int
    count_capped: bool
    next_after: int | None
    prev_before: int | None


def directory_queryset(user: Any, collective: Collective, filters: DirectoryFilters) -> GroupQuerySet:
    """Visible groups of `collective` matching `filters`, unordered."""
    qs = Group.objects.visible_to(user).in_collective(collective)
    if filters.q:
        qs = qs.filter(
            Q(name__icontains=filters.q) | Q(place_name__icontains=filters.q) | Q(code__iexact=filters.q)
        )
    if filters.layer:
        qs = qs.filter(layer=filters.layer)
    if filters.kind:
        qs = qs.filter(kind_id=filters.kind)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.group_set:
        qs = qs.filter(sets__id=filters.group_set)
    if filters.parent is not None:
        qs = qs.filter(parent_id=filters.parent)
    return qs


def group_directory(
    user: Any,
    collective: Collective,
    filters: DirectoryFilters,
    *,
    after: int | None = None,
    before: int | None = None,
    size: int = DIRECTORY_PAGE_SIZE,
) -> DirectoryPage:
    """One page of the directory, ordered by (name, id), with keyset paging.

    `after`/`before` are the id of the last/first row of the neighbouring page: the next page starts
    after that row's (name, id), so a deep page costs what the first one does (no OFFSET scan).
    At most four queries: the cursor row, the page, and a count capped at COUNT_CAP.
    """
    base = directory_queryset(user, collective, filters)
    cursor_id = after if after is not None else before
    qs = base
    backwards = False
    if cursor_id is not None:
        cursor = (
            Group.objects.filter(pk=cursor_id, collective=collective).values_list("name", flat=True).first()
        )
        if cursor is not None:
            if after is not None:
                qs = qs.filter(Q(name__gt=cursor) | Q(name=cursor, id__gt=cursor_id))
            else:
                backwards = True
                qs = qs.filter(Q(name__lt=cursor) | Q(name=cursor, id__lt=cursor_id))
    order = ("-name", "-id") if backwards else ("name", "id")
    rows = list(qs.select_related("kind", "parent").order_by(*order)[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    capped_count = base.order_by()[: COUNT_CAP + 1].count()
    has_prev = (cursor_id is not None) and (not backwards or more)
    has_next = more if not backwards else True
    return DirectoryPage(
        groups=rows,
        count=min(capped_count, COUNT_CAP),
        count_capped=capped_count > COUNT_CAP,
        next_after=rows[-1].pk if rows and has_next else None,
        prev_before=rows[0].pk if rows and has_prev else None,
    )


def directory_filters_from(
    *, user: Any, collective: Collective, params: Mapping[str, str]
) -> DirectoryFilters:
    """The directory's filters from its query parameters, read as the directory page reads them: a value
    the page would refuse (an unknown layer, another collective's kind, a group the user can't see) is
    ignored, so an export holds what the list showed."""

    def number(name: str) -> int | None:
        text = (params.get(name) or "").strip()
        return int(text) if text.isdigit() else None

    q = (params.get("q") or "").strip()
    layer = (params.get("layer") or "").strip()
    status = (params.get("status") or "").strip()
    kind = number("kind")
    group_set = number("group_set")
    parent = number("parent")
    if kind is not None and not GroupKind.objects.filter(collective=collective, pk=kind).exists():
        kind = None
    if (
        group_set is not None
        and not GroupSet.objects.visible_to(user).filter(collective=collective, pk=group_set).exists()
    ):
        group_set = None
    if (
        parent is not None
        and not Group.objects.visible_to(user).filter(collective=collective, pk=parent).exists()
    ):
        parent = None
    return DirectoryFilters(
        q=q if len(q) <= 100 else "",
        layer=layer if layer in Layer.values else "",
        kind=kind,
        status=status if status in GroupStatus.values else "",
        group_set=group_set,
        parent=parent,
    )


# The groups import's columns, in order (`architecture.bulk.GroupRecordType.columns` names them).
GROUP_EXPORT_FIELDS = (
    "code",
    "name",
    "kind__code",
    "layer",
    "parent__code",
    "place_name",
    "admin_area",
    "country_code",
    "latitude",
    "longitude",
    "status",
    "status_changed_on",
    "founded_on",
    "closed_on",
    "contact_email",
    "description",
    "visibility",
)


def group_export_rows(
    *, user: Any, collective: Collective, params: Mapping[str, str]
) -> Iterator[tuple[Any, ...]]:
    """The groups of the directory (what `user` may see, with its filters from `params`) as rows in the
    groups import's column order, the parent given by its code: an export re-imports unchanged.

    Ordered by path, so parents come before their children and a subtree stays together; streamed."""
    filters = directory_filters_from(user=user, collective=collective, params=params)
    rows = directory_queryset(user, collective, filters).order_by("path").values_list(*GROUP_EXPORT_FIELDS)
    yield from rows.iterator(chunk_size=5_000)


def tree_nodes(user: Any, collective: Collective, *, parent: Group | None = None) -> list[Group]:
    """Visible groups directly under `parent` (or the roots), each with `has_children` annotated.

    Roots are the visible groups whose parent is not visible, so a lead whose region is private still
    finds their own group at the top of the tree.
    """
    visible = Group.objects.visible_to(user).in_collective(collective)
    scope = scope_for(user)
    if parent is not None:
        qs = visible.filter(parent=parent)
    elif scope.is_superuser or collective.pk in scope.admin_collectives:
        qs = visible.filter(parent__isnull=True)  # they see every group: the roots are the roots
    else:
        qs = visible.filter(Q(parent__isnull=True) | ~Q(parent__in=visible.values("id")))
    qs = qs.annotate(has_children=Exists(Group.objects.filter(parent=OuterRef("pk"))))
    return list(qs.select_related("kind").order_by("name", "id")[:CHILDREN_LIMIT])


def group_candidates(
    user: Any,
    collective: Collective,
    q: str,
    *,
    editable: bool = False,
    exclude_subtree_of: Group | None = None,
) -> list[Group]:
    """Groups matching `q` by name or code for an autocomplete: visible ones, or editable ones (a new
    parent must be), never `exclude_subtree_of` or its descendants."""
    q = q.strip()
    if not q:
        return []
    qs = Group.objects.editable_by(user) if editable else Group.objects.visible_to(user)
    qs = qs.in_collective(collective).filter(Q(name__icontains=q) | Q(code__iexact=q))
    if exclude_subtree_of is not None:
        qs = qs.exclude(path__startswith=exclude_subtree_of.path)
    return list(qs.select_related("kind", "parent").order_by("name", "id")[:SEARCH_LIMIT])


# --- the group page -------------------------------------------------------------------------------


@dataclass
class GroupProfile:
    group: Group
    ancestors: list[Group]
    children: list[Group]
    children_more: bool
    links_out: list[Link]
    links_in: list[Link]
    subtree_by_layer: dict[str, int]
    subtree_by_status: dict[str, int]
    subtree_total: int
    sets: list[GroupSet]
    can_edit: bool
    is_admin: bool
    can_create_under: bool
    history: list[AuditEntry] = field(default_factory=list)
    # Links `user` may edit or remove: all of them when they edit the group, else those whose other
    # end they edit.
    editable_link_ids: set[int] = field(default_factory=set)


def group_profile(user: Any, group: Group) -> GroupProfile:
    """Everything the group page shows about the architecture around `group`, scoped to `user`.

    A fixed number of queries: ancestors, children, links, the subtree summary, sets, rights, history
    (and, for a viewer who does not edit the group, which of its links they edit).
    """
    scope = scope_for(user)
    visible = Group.objects.visible_to(user)
    ancestors = list(visible.filter(pk__in=group.ancestor_ids).order_by("depth"))
    children = list(
        visible.filter(parent=group).select_related("kind").order_by("name", "id")[: CHILDREN_LIMIT + 1]
    )
    links = list(
        Link.objects.visible_to(user)
        .filter(Q(source=group) | Q(target=group))
        .select_related("source", "target")
        .order_by("kind", "id")[:200]
    )
    by_layer: dict[str, int] = {}
    by_status: dict[str, int] = {}
    total = 0
    for row in visible.within(group, include_self=False).values("layer", "status").annotate(n=Count("id")):
        by_layer[row["layer"]] = by_layer.get(row["layer"], 0) + row["n"]
        by_status[row["status"]] = by_status.get(row["status"], 0) + row["n"]
        total += row["n"]
    is_admin = scope.is_superuser or group.collective_id in scope.admin_collectives
    can_edit = is_admin or Group.objects.editable_by(user).filter(pk=group.pk).exists()
    history = list(AuditEntry.objects.for_object(group)[:25]) if is_admin else []
    if can_edit:
        editable_link_ids = {link.pk for link in links}
    elif links and not scope.is_anonymous:
        editable_link_ids = set(
            Link.objects.editable_by(user)
            .filter(pk__in=[link.pk for link in links])
            .values_list("pk", flat=True)
        )
    else:
        editable_link_ids = set()
    return GroupProfile(
        group=group,
        ancestors=ancestors,
        children=children[:CHILDREN_LIMIT],
        children_more=len(children) > CHILDREN_LIMIT,
        links_out=[link for link in links if link.source_id == group.pk],
        links_in=[link for link in links if link.target_id == group.pk],
        subtree_by_layer=by_layer,
        subtree_by_status=by_status,
        subtree_total=total,
        sets=list(GroupSet.objects.visible_to(user).filter(groups=group).order_by("name")),
        can_edit=can_edit,
        is_admin=is_admin,
        can_create_under=is_admin or scope.covers_path(group.path, for_edit=True),
        history=history,
        editable_link_ids=editable_link_ids,
    )


def can_see_people_of(user: Any, group: Group) -> bool:
    """Whether `user` may see who belongs to `group`: admins of the collective and the coordinators and
    leads above or at the group (the same reach as `Person.objects.visible_to`)."""
    scope = scope_for(user)
    return (
        scope.is_superuser or group.collective_id in scope.admin_collectives or scope.covers_path(group.path)
    )


# --- the collective home --------------------------------------------------------------------------


@dataclass
class KindCount:
    kind: GroupKind
    total: int
    active: int


@dataclass
class LayerCount:
    layer: str
    label: str
    total: int = 0
    active: int = 0
    kinds: list[KindCount] = field(default_factory=list)


@dataclass
class CollectiveOverview:
    layers: list[LayerCount]
    total: int
    active: int
    with_point: int


def collective_overview(user: Any, collective: Collective) -> CollectiveOverview:
    """The three layers at a glance, counting visible groups only (growth over time: `growth.py`).

    Two queries: counts per (layer, kind, status), and the kinds.
    """
    visible = Group.objects.visible_to(user).in_collective(collective)
    rows = visible.values("layer", "kind_id").annotate(
        total=Count("id"),
        active=Count("id", filter=~Q(status=GroupStatus.CLOSED)),
        with_point=Count("id", filter=Q(latitude__isnull=False)),
    )
    kinds = {k.pk: k for k in GroupKind.objects.filter(collective=collective)}
    layers = {value: LayerCount(layer=value, label=label) for value, label in Layer.choices}
    with_point = 0
    for row in rows:
        layer = layers[row["layer"]]
        layer.total += row["total"]
        layer.active += row["active"]
        with_point += row["with_point"]
        kind = kinds.get(row["kind_id"])
        if kind is not None:
            layer.kinds.append(KindCount(kind=kind, total=row["total"], active=row["active"]))
    for layer in layers.values():
        layer.kinds.sort(key=lambda k: (k.kind.order, k.kind.name))
    total = sum(layer.total for layer in layers.values())
    # Supporting layer first: it reads top-down like the architecture itself.
    order = [Layer.SUPPORT, Layer.NETWORK, Layer.ACTION]
    return CollectiveOverview(
        layers=[layers[value] for value in order],
        total=total,
        active=sum(layer.active for layer in layers.values()),
        with_point=with_point,
    )


@dataclass
class NetworkSummary:
    computed_at: dt.datetime
    groups: int | None
    links: int | None
    density: float | None
    components: int | None
    communities: int | None
    bridging: list[Group]


def network_summary(user: Any, collective: Collective) -> NetworkSummary | None:
    """The headline figures of the latest network snapshot of the collective, or None before the first.

    Bridging groups are the top five by betweenness that `user` may see (names of private groups stay
    private): two queries.
    """
    # Same query as `network.latest_snapshot`, without importing numpy/igraph here.
    snapshot = (
        NetworkSnapshot.objects.filter(collective=collective, scope_group=None)
        .order_by("-computed_at", "-id")
        .first()
    )
    if snapshot is None:
        return None
    metrics: dict[str, Any] = snapshot.metrics or {}
    top = (metrics.get("bridging") or {}).get("top_betweenness") or []
    top_ids = [item["id"] for item in top if isinstance(item, dict) and "id" in item]
    visible = Group.objects.visible_to(user).in_collective(collective).in_bulk(top_ids)
    return NetworkSummary(
        computed_at=snapshot.computed_at,
        groups=metrics.get("groups"),
        links=metrics.get("links"),
        density=metrics.get("density"),
        components=(metrics.get("components") or {}).get("count"),
        communities=(metrics.get("communities") or {}).get("count"),
        bridging=[visible[pk] for pk in top_ids if pk in visible][:5],
    )


def sets_of_collective(user: Any, collective: Collective) -> QuerySet[GroupSet]:
    """Visible group sets of `collective`, each with the number of its groups `user` may see."""
    visible_members = group_visibility_q(scope_for(user), prefix="groups__")
    return (
        GroupSet.objects.visible_to(user)
        .filter(collective=collective)
        .annotate(group_count=Count("groups", filter=visible_members))
        .order_by("name")
    )


def is_collective_admin(user: Any, collective: Collective) -> bool:
    """Whether `user` runs `collective` (its backbone admins and platform operators): no query, the
    scope is already worked out for the request."""
    scope = scope_for(user)
    return scope.is_superuser or collective.pk in scope.admin_collectives


def may_create_group(user: Any, collective: Collective, parent: Group | None) -> bool:
    """Whether `user` may add a group under `parent` (or at the top): the rule `group_create` applies."""
    scope = scope_for(user)
    if scope.is_superuser or collective.pk in scope.admin_collectives:
        return True
    return parent is not None and scope.covers_path(parent.path, for_edit=True)


# --- people around a group (people builds on architecture: imported late, read-only) ---------------


@dataclass
class GroupPeople:
    memberships: list[Any]
    more: bool
    reached: int


MEMBERS_LIMIT = 100


def group_people(user: Any, group: Group) -> GroupPeople | None:
    """Who belongs to `group` (names and roles) and how many distinct people its subtree reaches, for
    users who may see people there; None for everybody else. Two queries."""
    if not can_see_people_of(user, group):
        return None
    from minga.people.models import Membership  # people builds on architecture; see STYLE.md

    scoped = Membership.objects.visible_to(user).active()
    members = list(
        scoped.filter(group=group)
        .select_related("person")
        .order_by("role", "person__full_name", "id")[: MEMBERS_LIMIT + 1]
    )
    reached = (
        scoped.filter(group__path__startswith=group.path)
        .exclude(group__status=GroupStatus.CLOSED)
        .values("person_id")
        .distinct()
        .count()
    )
    return GroupPeople(
        memberships=members[:MEMBERS_LIMIT], more=len(members) > MEMBERS_LIMIT, reached=reached
    )


def people_count(user: Any, collective: Collective) -> int | None:
    """How many people of `collective` `user` may see; None for visitors (they see nobody)."""
    if scope_for(user).is_anonymous:
        return None
    from minga.people.models import Person  # people builds on architecture; see STYLE.md

    return Person.objects.visible_to(user).filter(collective=collective).count()
