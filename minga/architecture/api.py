"""The architecture API: collectives, kinds of group, groups (the tree), group sets and links.

Handlers are thin: parse, call one access function / service, return. Reads go through `visible_to`,
writes through the same services as the UI, so every rule holds here too.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from ninja import Field, Query, Router, Schema, Status

from minga.architecture import boundaries, services
from minga.architecture.access import access_collective, access_group, access_group_set, access_link
from minga.architecture.models import Group, GroupKind, GroupSet, Link
from minga.architecture.schemas import (
    CollectiveFilters,
    CollectiveOut,
    CollectivePatch,
    GroupCloseIn,
    GroupFilters,
    GroupIn,
    GroupKindIn,
    GroupKindOut,
    GroupMoveIn,
    GroupOut,
    GroupPatch,
    GroupSetDetailOut,
    GroupSetFilters,
    GroupSetIn,
    GroupSetOut,
    GroupSetPatch,
    LinkFilters,
    LinkIn,
    LinkOut,
    LinkPatch,
)
from minga.core.api_support import (
    ERROR_RESPONSES,
    ApiRequest,
    Page,
    fields_as,
    idempotent,
    paginate,
    reference,
    references,
)
from minga.core.errors import DomainError
from minga.core.models import Collective

router = Router(tags=["architecture"])

NAME_ORDER = ("name", "id")
# Services name their arguments after objects; requests carry ids.
GROUP_FIELDS = {"parent": "parent_id"}
SET_FIELDS = {"groups": "group_ids"}
LINK_FIELDS = {"source": "source_id", "target": "target_id"}


def _changes(payload: Any, *, exclude: set[str] | None = None) -> dict[str, Any]:
    """The fields a PATCH actually sent (absent fields stay as they are)."""
    return payload.model_dump(exclude_unset=True, exclude=exclude or set())


def _kind(collective: Collective, code: str) -> GroupKind:
    kind = GroupKind.objects.filter(collective=collective, code=code).first()
    if kind is None:
        raise DomainError.single(
            "unknown_kind", f"The collective has no kind of group with code “{code}”.", field="kind"
        )
    return kind


# --- collectives ----------------------------------------------------------------------------------


@router.get("/collectives", response=Page[CollectiveOut], tags=["collectives"])
def list_collectives(request: ApiRequest, filters: Query[CollectiveFilters]) -> dict[str, Any]:
    qs = Collective.objects.visible_to(request.auth)
    if filters.q:
        qs = qs.filter(name__icontains=filters.q)
    return paginate(qs, filters, keys=NAME_ORDER)


@router.get("/collectives/{slug}", response={200: CollectiveOut, **ERROR_RESPONSES}, tags=["collectives"])
def get_collective(request: ApiRequest, slug: str) -> Collective:
    return access_collective(request.auth, slug)


@router.patch("/collectives/{slug}", response={200: CollectiveOut, **ERROR_RESPONSES}, tags=["collectives"])
@idempotent
def update_collective(request: ApiRequest, slug: str, payload: CollectivePatch) -> Collective:
    collective = access_collective(request.auth, slug, for_edit=True)
    return services.collective_update(actor=request.auth, collective=collective, **_changes(payload))


@router.get(
    "/collectives/{slug}/kinds", response={200: list[GroupKindOut], **ERROR_RESPONSES}, tags=["kinds"]
)
def list_group_kinds(request: ApiRequest, slug: str) -> Any:
    collective = access_collective(request.auth, slug)
    return GroupKind.objects.filter(collective=collective).order_by("order", "name", "id")


@router.post("/collectives/{slug}/kinds", response={201: GroupKindOut, **ERROR_RESPONSES}, tags=["kinds"])
@idempotent
def create_group_kind(request: ApiRequest, slug: str, payload: GroupKindIn) -> Status[GroupKind]:
    collective = access_collective(request.auth, slug)
    kind = services.group_kind_create(actor=request.auth, collective=collective, **payload.model_dump())
    return Status(201, kind)


# --- groups ---------------------------------------------------------------------------------------


@router.get("/groups", response={200: Page[GroupOut], **ERROR_RESPONSES}, tags=["groups"])
def list_groups(request: ApiRequest, filters: Query[GroupFilters]) -> dict[str, Any]:
    """Groups you can see, by name. Filters combine (AND)."""
    user = request.auth
    qs = Group.objects.visible_to(user).select_related("collective", "kind")
    if filters.collective:
        qs = qs.filter(collective__slug=filters.collective)
    if filters.within is not None:
        qs = qs.within(access_group(user, filters.within))
    if filters.layer:
        qs = qs.filter(layer=filters.layer)
    if filters.kind:
        qs = qs.filter(kind__code=filters.kind)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.q:
        qs = qs.filter(Q(name__icontains=filters.q) | Q(place_name__icontains=filters.q))
    if filters.set is not None:
        qs = qs.filter(sets=access_group_set(user, filters.set))
    return paginate(qs, filters, keys=NAME_ORDER)


@router.get("/groups/{group_id}", response={200: GroupOut, **ERROR_RESPONSES}, tags=["groups"])
def get_group(request: ApiRequest, group_id: int) -> Group:
    return access_group(request.auth, group_id)


@router.post("/groups", response={201: GroupOut, **ERROR_RESPONSES}, tags=["groups"])
@idempotent
def create_group(request: ApiRequest, payload: GroupIn) -> Status[Group]:
    """Create a group under `parent_id` (coordinators: in their subtree; admins: anywhere)."""
    user = request.auth
    parent = None
    if payload.parent_id is not None:
        parent = reference("parent_id", access_group, user, payload.parent_id)
    if payload.collective is not None:
        collective = reference("collective", access_collective, user, payload.collective)
    elif parent is not None:
        collective = parent.collective
    else:
        raise DomainError.single("required", "Give the collective (or a parent group).", field="collective")
    fields = payload.model_dump(exclude={"collective", "parent_id", "code", "name", "kind", "layer"})
    with fields_as(GROUP_FIELDS):
        group = services.group_create(
            actor=user,
            collective=collective,
            parent=parent,
            code=payload.code,
            name=payload.name,
            kind=_kind(collective, payload.kind),
            layer=payload.layer,
            **fields,
        )
    return Status(201, group)


@router.patch("/groups/{group_id}", response={200: GroupOut, **ERROR_RESPONSES}, tags=["groups"])
@idempotent
def update_group(request: ApiRequest, group_id: int, payload: GroupPatch) -> Group:
    group = access_group(request.auth, group_id, for_edit=True)
    changes = _changes(payload)
    if "kind" in changes:
        changes["kind"] = _kind(group.collective, changes["kind"] or "")
    return services.group_update(actor=request.auth, group=group, **changes)


@router.post("/groups/{group_id}/move", response={200: GroupOut, **ERROR_RESPONSES}, tags=["groups"])
@idempotent
def move_group(request: ApiRequest, group_id: int, payload: GroupMoveIn) -> Group:
    """Move the group and its whole subtree under `parent_id` (null: to the top)."""
    user = request.auth
    group = access_group(user, group_id, for_edit=True)
    parent = None
    if payload.parent_id is not None:
        parent = reference("parent_id", access_group, user, payload.parent_id)
    with fields_as(GROUP_FIELDS):
        return services.group_move(actor=user, group=group, new_parent=parent)


@router.post("/groups/{group_id}/close", response={200: GroupOut, **ERROR_RESPONSES}, tags=["groups"])
@idempotent
def close_group(request: ApiRequest, group_id: int, payload: GroupCloseIn) -> Group:
    group = access_group(request.auth, group_id, for_edit=True)
    return services.group_close(actor=request.auth, group=group, closed_on=payload.closed_on)


# --- group sets -----------------------------------------------------------------------------------


def _set_detail(user: Any, group_set: GroupSet) -> GroupSet:
    """The set with `group_ids`: its members that `user` can see (a public set may hold private groups)."""
    visible = Group.objects.visible_to(user).filter(sets=group_set).order_by("id")
    group_set.group_ids = list(visible.values_list("id", flat=True))  # type: ignore[attr-defined]
    return group_set


@router.get("/group-sets", response={200: Page[GroupSetOut], **ERROR_RESPONSES}, tags=["group sets"])
def list_group_sets(request: ApiRequest, filters: Query[GroupSetFilters]) -> dict[str, Any]:
    qs = GroupSet.objects.visible_to(request.auth).select_related("collective")
    if filters.collective:
        qs = qs.filter(collective__slug=filters.collective)
    return paginate(qs, filters, keys=NAME_ORDER)


@router.get("/group-sets/{set_id}", response={200: GroupSetDetailOut, **ERROR_RESPONSES}, tags=["group sets"])
def get_group_set(request: ApiRequest, set_id: int) -> GroupSet:
    return _set_detail(request.auth, access_group_set(request.auth, set_id))


@router.post("/group-sets", response={201: GroupSetDetailOut, **ERROR_RESPONSES}, tags=["group sets"])
@idempotent
def create_group_set(request: ApiRequest, payload: GroupSetIn) -> Status[GroupSet]:
    user = request.auth
    collective = reference("collective", access_collective, user, payload.collective)
    groups = references("group_ids", Group.objects.visible_to(user), payload.group_ids)
    with fields_as(SET_FIELDS):
        group_set = services.group_set_create(
            actor=user,
            collective=collective,
            groups=groups,
            **payload.model_dump(exclude={"collective", "group_ids"}),
        )
    return Status(201, _set_detail(user, group_set))


@router.patch(
    "/group-sets/{set_id}", response={200: GroupSetDetailOut, **ERROR_RESPONSES}, tags=["group sets"]
)
@idempotent
def update_group_set(request: ApiRequest, set_id: int, payload: GroupSetPatch) -> GroupSet:
    user = request.auth
    group_set = access_group_set(user, set_id, for_edit=True)
    changes = _changes(payload, exclude={"group_ids"})
    groups = None
    if payload.group_ids is not None:
        groups = references("group_ids", Group.objects.visible_to(user), payload.group_ids)
    with fields_as(SET_FIELDS):
        group_set = services.group_set_update(actor=user, group_set=group_set, groups=groups, **changes)
    return _set_detail(user, group_set)


@router.delete("/group-sets/{set_id}", response={204: None, **ERROR_RESPONSES}, tags=["group sets"])
@idempotent
def delete_group_set(request: ApiRequest, set_id: int) -> Status[None]:
    group_set = access_group_set(request.auth, set_id, for_edit=True)
    services.group_set_delete(actor=request.auth, group_set=group_set)
    return Status(204, None)


# --- links ----------------------------------------------------------------------------------------


@router.get("/links", response={200: Page[LinkOut], **ERROR_RESPONSES}, tags=["links"])
def list_links(request: ApiRequest, filters: Query[LinkFilters]) -> dict[str, Any]:
    user = request.auth
    qs = Link.objects.visible_to(user).select_related("collective")
    if filters.collective:
        qs = qs.filter(collective__slug=filters.collective)
    if filters.group is not None:
        group = access_group(user, filters.group)
        qs = qs.filter(Q(source=group) | Q(target=group))
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    return paginate(qs, filters, keys=("id",))


@router.get("/links/{link_id}", response={200: LinkOut, **ERROR_RESPONSES}, tags=["links"])
def get_link(request: ApiRequest, link_id: int) -> Link:
    return access_link(request.auth, link_id)


@router.post("/links", response={201: LinkOut, **ERROR_RESPONSES}, tags=["links"])
@idempotent
def create_link(request: ApiRequest, payload: LinkIn) -> Status[Link]:
    user = request.auth
    source = reference("source_id", access_group, user, payload.source_id)
    target = reference("target_id", access_group, user, payload.target_id)
    with fields_as(LINK_FIELDS):
        link = services.link_create(
            actor=user,
            source=source,
            target=target,
            **payload.model_dump(exclude={"source_id", "target_id"}),
        )
    return Status(201, link)


@router.patch("/links/{link_id}", response={200: LinkOut, **ERROR_RESPONSES}, tags=["links"])
@idempotent
def update_link(request: ApiRequest, link_id: int, payload: LinkPatch) -> Link:
    link = access_link(request.auth, link_id, for_edit=True)
    return services.link_update(actor=request.auth, link=link, **_changes(payload))


@router.delete("/links/{link_id}", response={204: None, **ERROR_RESPONSES}, tags=["links"])
@idempotent
def delete_link(request: ApiRequest, link_id: int) -> Status[None]:
    link = access_link(request.auth, link_id, for_edit=True)
    services.link_delete(actor=request.auth, link=link)
    return Status(204, None)


# --- boundaries -----------------------------------------------------------------------------------


class BoundaryOut(Schema):
    group: int
    code: str
    boundary: dict[str, Any] | None
    positions: int


class BoundaryIn(Schema):
    """A GeoJSON Polygon or MultiPolygon in WGS84 longitude/latitude (or a Feature holding one, or a
    FeatureCollection of one feature). It is checked and simplified before it is stored."""

    boundary: Any


class BoundaryImportIn(Schema):
    collective: str
    geojson: Any = Field(..., description="A GeoJSON FeatureCollection; each feature names its group.")
    match_property: str = Field("code", description="The feature property holding the group code.")
    dry_run: bool = False


class BoundaryImportOut(Schema):
    features: int
    matched: int
    saved: int
    dry_run: bool


class FeatureErrorOut(Schema):
    """A bad feature, in the usual error shape plus its index in the collection and its group code."""

    code: str
    message: str
    field: str
    index: int
    group: str


class BoundaryImportErrorsOut(Schema):
    errors: list[FeatureErrorOut]


def _boundary_out(group: Group) -> dict[str, Any]:
    return {
        "group": group.pk,
        "code": group.code,
        "boundary": group.boundary,
        "positions": boundaries.positions_in(group.boundary),
    }


@router.get("/groups/{group_id}/boundary", response={200: BoundaryOut, **ERROR_RESPONSES}, tags=["groups"])
def get_group_boundary(request: ApiRequest, group_id: int) -> dict[str, Any]:
    """The group's boundary as stored (simplified), or null."""
    return _boundary_out(access_group(request.auth, group_id))


@router.put("/groups/{group_id}/boundary", response={200: BoundaryOut, **ERROR_RESPONSES}, tags=["groups"])
@idempotent
def set_group_boundary(request: ApiRequest, group_id: int, payload: BoundaryIn) -> dict[str, Any]:
    """Set the group's boundary (whoever may edit the group)."""
    group = access_group(request.auth, group_id, for_edit=True)
    geometry = boundaries.geometry_of(payload.boundary)
    group = boundaries.group_boundary_set(actor=request.auth, group=group, geometry=geometry)
    return _boundary_out(group)


@router.delete("/groups/{group_id}/boundary", response={204: None, **ERROR_RESPONSES}, tags=["groups"])
@idempotent
def delete_group_boundary(request: ApiRequest, group_id: int) -> Status[None]:
    group = access_group(request.auth, group_id, for_edit=True)
    boundaries.group_boundary_set(actor=request.auth, group=group, geometry=None)
    return Status(204, None)


@router.post(
    "/boundaries/import",
    response={200: BoundaryImportOut, **ERROR_RESPONSES, 422: BoundaryImportErrorsOut},
    tags=["groups"],
)
@idempotent
def import_boundaries(request: ApiRequest, payload: BoundaryImportIn) -> Status[dict[str, Any]]:
    """Boundaries of many groups from a FeatureCollection, matched by `match_property` (the group code):
    all stored, or — 422 — none, with one error per bad feature (its index, group code and reason)."""
    collective = reference("collective", access_collective, request.auth, payload.collective)
    report = boundaries.boundaries_import(
        actor=request.auth,
        collective=collective,
        document=payload.geojson,
        match_property=payload.match_property,
        dry_run=payload.dry_run,
    )
    if not report.ok:
        errors = [
            {
                "code": p.reason,
                "message": f"Feature {p.index}{f' ({p.code})' if p.code else ''}: {p.message}",
                "field": f"geojson.features[{p.index}]",
                "index": p.index,
                "group": p.code,
            }
            for p in report.problems
        ]
        return Status(422, {"errors": errors})
    return Status(200, report.as_dict())
