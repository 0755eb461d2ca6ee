"""Request and response shapes of the architecture API (collectives, kinds, groups, sets, links)."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Schema

from minga.architecture.models import Group, GroupSet, GroupStatus, Layer, Link
from minga.core.api_support import PageParams
from minga.core.choices import Visibility
from minga.core.models import Collective

# --- collectives ----------------------------------------------------------------------------------


class CollectiveOut(Schema):
    id: int
    slug: str
    name: str
    mission: str
    languages: list[str]
    visibility: str
    created_at: dt.datetime
    updated_at: dt.datetime


class CollectivePatch(Schema):
    name: str | None = None
    mission: str | None = None
    languages: list[str] | None = None
    visibility: Collective.CollectiveVisibility | None = None


class CollectiveFilters(PageParams):
    q: str | None = Field(None, description="Name contains (case-insensitive).")


# --- group kinds ----------------------------------------------------------------------------------


class GroupKindOut(Schema):
    id: int
    code: str
    name: str
    layer: str
    order: int


class GroupKindIn(Schema):
    code: str
    name: str
    layer: Layer = Layer.ACTION
    order: int = Field(0, ge=0, le=32767)


# --- groups ---------------------------------------------------------------------------------------


class GroupOut(Schema):
    id: int
    collective: str = Field(description="The collective's slug.")
    code: str
    name: str
    layer: str
    kind: str = Field(description="The kind's code.")
    parent_id: int | None
    depth: int
    place_name: str
    admin_area: str
    country_code: str
    latitude: float | None
    longitude: float | None
    status: str
    status_changed_on: dt.date | None
    founded_on: dt.date | None
    closed_on: dt.date | None
    contact_email: str
    description: str
    visibility: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_collective(obj: Group) -> str:
        return obj.collective.slug

    @staticmethod
    def resolve_kind(obj: Group) -> str:
        return obj.kind.code


class _GroupFields(Schema):
    """Fields a group is created or changed with (besides its place in the tree)."""

    place_name: str = ""
    admin_area: str = ""
    country_code: str = Field("", description="Two-letter ISO code, e.g. KE.")
    latitude: float | None = None
    longitude: float | None = None
    founded_on: dt.date | None = None
    contact_email: str = ""
    description: str = ""
    visibility: Visibility = Visibility.PUBLIC


class GroupIn(_GroupFields):
    collective: str | None = Field(None, description="Slug; may be left out when `parent_id` is given.")
    parent_id: int | None = Field(None, description="Leave out for a top-level group (admins only).")
    code: str
    name: str
    kind: str = Field(description="Code of a kind of group of the collective, e.g. 'group'.")
    layer: Layer | None = Field(None, description="Defaults to the kind's layer.")
    status: GroupStatus = GroupStatus.ACTIVE


class GroupPatch(Schema):
    code: str | None = None
    name: str | None = None
    kind: str | None = None
    layer: Layer | None = None
    place_name: str | None = None
    admin_area: str | None = None
    country_code: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    status: GroupStatus | None = None
    founded_on: dt.date | None = None
    closed_on: dt.date | None = None
    contact_email: str | None = None
    description: str | None = None
    visibility: Visibility | None = None


class GroupMoveIn(Schema):
    parent_id: int | None = Field(description="The new parent; null moves the group to the top.")


class GroupCloseIn(Schema):
    closed_on: dt.date | None = Field(None, description="Defaults to today.")


class GroupFilters(PageParams):
    collective: str | None = Field(None, description="Collective slug.")
    within: int | None = Field(None, description="Only this group's subtree (the group included).")
    layer: Layer | None = None
    kind: str | None = Field(None, description="Kind code.")
    status: GroupStatus | None = None
    q: str | None = Field(None, description="Name or place contains (case-insensitive).")
    set: int | None = Field(None, description="Only members of this group set.")


# --- group sets -----------------------------------------------------------------------------------


class GroupSetOut(Schema):
    id: int
    collective: str
    code: str
    name: str
    kind: str
    description: str
    visibility: str
    created_at: dt.datetime

    @staticmethod
    def resolve_collective(obj: GroupSet) -> str:
        return obj.collective.slug


class GroupSetDetailOut(GroupSetOut):
    group_ids: list[int] = Field(description="Members you can see; list them with /groups?set=<id>.")


class GroupSetIn(Schema):
    collective: str
    code: str
    name: str
    kind: GroupSet.Kind = GroupSet.Kind.THEMATIC
    description: str = ""
    visibility: Visibility = Visibility.PUBLIC
    group_ids: list[int] = Field(default_factory=list)


class GroupSetPatch(Schema):
    code: str | None = None
    name: str | None = None
    kind: GroupSet.Kind | None = None
    description: str | None = None
    visibility: Visibility | None = None
    group_ids: list[int] | None = Field(None, description="Replaces the members when given.")


class GroupSetFilters(PageParams):
    collective: str | None = None


# --- links ----------------------------------------------------------------------------------------


class LinkOut(Schema):
    id: int
    collective: str
    source_id: int
    target_id: int
    kind: str
    weight: float
    started_on: dt.date | None
    ended_on: dt.date | None
    note: str
    created_at: dt.datetime

    @staticmethod
    def resolve_collective(obj: Link) -> str:
        return obj.collective.slug


class LinkIn(Schema):
    source_id: int
    target_id: int
    kind: Link.Kind
    weight: float = 1.0
    started_on: dt.date | None = None
    ended_on: dt.date | None = None
    note: str = ""


class LinkPatch(Schema):
    kind: Link.Kind | None = None
    weight: float | None = None
    started_on: dt.date | None = None
    ended_on: dt.date | None = None
    note: str | None = None


class LinkFilters(PageParams):
    collective: str | None = None
    group: int | None = Field(None, description="Links with this group at either end.")
    kind: Link.Kind | None = None
