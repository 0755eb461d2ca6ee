"""Groups and links as bulk record types: the group tree and the ties across it, in and out of files.

A groups row is matched to an existing group by its code and upserted (`groups`). Its parent is a code or
a path of names or codes ("Kenya / Nairobi / Kibera") and may come later in the file: the rows are put
parents first, and parent cycles and unknown parents refused, before anything is written (`tree`). A links
row is matched by (source, target, kind) (`links`). The rules and the scoping are those of
`architecture.services` (group_create, group_update, group_move, link_create, link_update), applied to a
chunk of rows at a time with a handful of queries. Exports come from `selectors.group_export_rows` and
`Link.objects.visible_to`, in the import's column order, so an exported file re-imports unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db.models import Q

from minga.architecture.bulk.groups import GroupImporter, is_admin
from minga.architecture.bulk.links import LINK_FIELDS, LinkImporter
from minga.architecture.models import Link
from minga.core.bulk import Column, Importer, RecordType, register
from minga.core.choices import Role
from minga.core.models import Collective
from minga.core.scoping import scope_for


def may_import_architecture(actor: Any, collective: Collective) -> bool:
    """Admins, and the coordinators and leads of `collective` (who change their part of it): no query."""
    scope = scope_for(actor)
    if is_admin(scope, collective):
        return True
    return any(cid == collective.pk and role in (Role.COORDINATOR, Role.LEAD) for cid, role in scope.roles)


class GroupRecordType(RecordType):
    name = "groups"
    label = "Groups"
    description = "Groups of the collective's architecture, each placed under its parent."
    natural_key = "code"
    chunk_size = 5_000
    columns = (
        Column(
            "code",
            "Short unique code of the group (letters, digits, hyphens): how it is found again.",
            "ke-nai-kib",
            required=True,
        ),
        Column("name", "The group's name.", "Kibera Youth", required=True),
        Column("kind", "Kind of group: its code or name (e.g. group, region).", "group", required=True),
        Column("layer", "action, network or support (blank: the kind's layer).", "action"),
        Column(
            "parent",
            "The parent group's code, or its path of names, e.g. Kenya / Nairobi (blank: top level).",
            "ke-nai",
            aliases=("parent_code",),
        ),
        Column(
            "place_name", "Where the group meets: a village, a neighbourhood.", "Kibera", aliases=("place",)
        ),
        Column("admin_area", "Administrative area (county, province…).", "Nairobi County"),
        Column("country_code", "Two-letter ISO country code.", "KE", aliases=("country",)),
        Column("latitude", "Decimal degrees (give latitude and longitude, or neither).", "-1.31"),
        Column("longitude", "Decimal degrees.", "36.78"),
        Column(
            "status", "forming, active, dormant or closed (blank: as it is; new groups: active).", "active"
        ),
        Column("status_changed_on", "When the status last changed (blank: today when it changes).", ""),
        Column("founded_on", "When the group was founded (YYYY-MM-DD).", "2019-05-01"),
        Column("closed_on", "When it closed (closed groups only; blank: today).", ""),
        Column("contact_email", "Email address to reach the group.", "kibera@example.org"),
        Column("description", "What the group does.", "Youth savings and advocacy group."),
        Column(
            "visibility",
            "public, collective or private (blank: as it is; new groups: public).",
            "public",
        ),
    )

    def importer(self, *, actor: Any, collective: Collective) -> Importer:
        return GroupImporter(actor=actor, collective=collective)

    def can_import(self, actor: Any, collective: Collective) -> bool:
        return may_import_architecture(actor, collective)

    def export_rows(
        self, *, actor: Any, collective: Collective, filters: Mapping[str, str]
    ) -> Iterable[Sequence[Any]]:
        from minga.architecture.selectors import group_export_rows

        return group_export_rows(user=actor, collective=collective, params=filters)


class LinkRecordType(RecordType):
    name = "links"
    label = "Links"
    description = "Ties between two groups of the collective: partnerships, mentoring, shared campaigns."
    natural_key = "source, target and kind"
    chunk_size = 5_000
    columns = (
        Column("source", "Code of the group the link starts from.", "ke-nai-kib", required=True),
        Column("target", "Code of the group it goes to.", "ke-cst-mom", required=True),
        Column(
            "kind",
            "partnership, mentoring, shared_campaign or information_flow.",
            "partnership",
            required=True,
        ),
        Column("weight", "How strong the tie is, 0 to 1000 (blank: 1).", "1"),
        Column("started_on", "When the tie started (YYYY-MM-DD).", "2022-01-15"),
        Column("ended_on", "When it ended (blank: still on).", ""),
        Column("note", "A short note.", "Joint savings training"),
    )

    def importer(self, *, actor: Any, collective: Collective) -> Importer:
        return LinkImporter(actor=actor, collective=collective)

    def can_import(self, actor: Any, collective: Collective) -> bool:
        return may_import_architecture(actor, collective)

    def export_rows(
        self, *, actor: Any, collective: Collective, filters: Mapping[str, str]
    ) -> Iterable[Sequence[Any]]:
        """Links `actor` sees (both ends visible) of `collective`, optionally of one `kind` or touching one
        `group` (by code), in the import's column order."""
        qs = Link.objects.visible_to(actor).filter(collective=collective)
        kind = (filters.get("kind") or "").strip()
        if kind:
            qs = qs.filter(kind=kind)
        group = (filters.get("group") or "").strip()
        if group:
            qs = qs.filter(Q(source__code=group) | Q(target__code=group))
        return (
            qs.order_by("id")
            .values_list("source__code", "target__code", "kind", *LINK_FIELDS)
            .iterator(chunk_size=5_000)
        )


GROUPS = register(GroupRecordType())
LINKS = register(LinkRecordType())

__all__ = ["GROUPS", "LINKS", "GroupImporter", "LinkImporter", "may_import_architecture"]
