"""Reads behind the map and the network view: GeoJSON of groups, nodes and edges of the link graph.

Both start from `Group.objects.visible_to(user)`, so a private group of another region never reaches
the viewer's browser, and both read plain value rows (no model instances) in a fixed number of queries:
a map of 20,000 points or a graph of 2,000 nodes stays a few hundred milliseconds of server work.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from minga.architecture.models import Group, GroupKind, GroupStatus, Layer, Link, NetworkSnapshot
from minga.architecture.network import DEFAULT_MAX_AGE, latest_snapshot, snapshot_is_stale
from minga.architecture.tasks import network_refresh_pending
from minga.core.models import Collective
from minga.core.scoping import scope_for

MAP_POINT_CAP = 20_000
NETWORK_NODE_CAP = 2_000


@dataclass(frozen=True)
class MapFilters:
    layer: str = ""
    kind: str = ""  # a GroupKind code of the collective
    status: str = ""
    within: Group | None = None

    def __post_init__(self) -> None:
        # Unknown values filter nothing rather than everything: the UI only offers valid ones.
        if self.layer and self.layer not in Layer.values:
            object.__setattr__(self, "layer", "")
        if self.status and self.status not in GroupStatus.values:
            object.__setattr__(self, "status", "")


def map_groups(*, user: Any, collective: Collective, filters: MapFilters) -> Any:
    """Groups of `collective` that `user` may see and that have a point, filtered for the map."""
    qs = Group.objects.visible_to(user).filter(collective=collective, latitude__isnull=False)
    if filters.layer:
        qs = qs.filter(layer=filters.layer)
    if filters.kind:
        qs = qs.filter(kind__code=filters.kind)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.within is not None:
        qs = qs.within(filters.within)
    return qs


def groups_geojson(
    *, user: Any, collective: Collective, filters: MapFilters, cap: int = MAP_POINT_CAP
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of the visible groups with a point ([lon, lat], as GeoJSON wants).

    One query. Beyond `cap` points the collection is cut (`truncated: true`) and the page says so;
    narrowing the filters (a region, a layer) brings the rest into view.
    """
    rows = list(
        map_groups(user=user, collective=collective, filters=filters)
        .order_by("depth", "id")
        .values_list("id", "code", "name", "layer", "kind__name", "status", "latitude", "longitude")[
            : cap + 1
        ]
    )
    truncated = len(rows) > cap
    features = [
        {
            "type": "Feature",
            "id": pk,
            "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
            "properties": {"code": code, "name": name, "layer": layer, "kind": kind, "status": status},
        }
        for pk, code, name, layer, kind, status, lat, lon in rows[:cap]
    ]
    return {"type": "FeatureCollection", "features": features, "truncated": truncated, "cap": cap}


def map_filter_options(collective: Collective) -> dict[str, list[tuple[str, str]]]:
    """The choices the map offers: layers, the collective's kinds of group, statuses."""
    kinds = list(
        GroupKind.objects.filter(collective=collective).order_by("order", "name").values_list("code", "name")
    )
    return {"layers": list(Layer.choices), "kinds": kinds, "statuses": list(GroupStatus.choices)}


def network_graph(
    *,
    user: Any,
    collective: Collective,
    within: Group | None = None,
    include_tree: bool = True,
    include_closed: bool = False,
    cap: int = NETWORK_NODE_CAP,
) -> dict[str, Any]:
    """Nodes and edges of the visible part of the collective's network, for a graph drawing.

    Nodes are the visible groups (of the subtree under `within`, when given), the top of the tree first,
    at most `cap` of them. Edges are the current links between two included nodes, plus (with
    `include_tree`) the parent → child ties. Degree counts links only. Bridging groups come from the
    latest network snapshot of that scope (or of the whole collective) — only their ids are used, and
    only those already among the visible nodes. Three to four queries.
    """
    groups = Group.objects.visible_to(user).filter(collective=collective)
    if within is not None:
        groups = groups.within(within)
    if not include_closed:
        groups = groups.active()
    rows = list(
        groups.order_by("depth", "name", "id").values_list(
            "id", "code", "name", "layer", "status", "parent_id", "depth"
        )[: cap + 1]
    )
    truncated = len(rows) > cap
    rows = rows[:cap]
    ids = [row[0] for row in rows]
    id_set = set(ids)

    links: list[tuple[int, int, int, str, float]] = []
    if ids:
        links = list(
            Link.objects.visible_to(user)
            .current()
            .filter(collective=collective, source_id__in=ids, target_id__in=ids)
            .values_list("id", "source_id", "target_id", "kind", "weight")
        )
    degree: dict[int, int] = dict.fromkeys(ids, 0)
    for _, source, target, _, _ in links:
        degree[source] += 1
        degree[target] += 1

    snapshot = latest_snapshot(collective, within) if within is not None else None
    if snapshot is None:
        snapshot = latest_snapshot(collective)
    bridging: set[int] = set()
    if snapshot is not None:
        metrics = snapshot.metrics.get("bridging", {}) if isinstance(snapshot.metrics, dict) else {}
        for key in ("top_betweenness", "top_articulation_points"):
            for item in metrics.get(key, []) or []:
                if isinstance(item, dict) and item.get("id") in id_set:
                    bridging.add(int(item["id"]))

    nodes = [
        {
            "data": {
                "id": f"g{pk}",
                "pk": pk,
                "code": code,
                "label": name,
                "layer": layer,
                "status": status,
                "degree": degree[pk],
                "bridging": pk in bridging,
            }
        }
        for pk, code, name, layer, status, _parent, _depth in rows
    ]
    edges = [
        {
            "data": {
                "id": f"l{pk}",
                "source": f"g{source}",
                "target": f"g{target}",
                "kind": kind,
                "weight": weight,
            }
        }
        for pk, source, target, kind, weight in links
    ]
    if include_tree:
        edges += [
            {"data": {"id": f"t{pk}", "source": f"g{parent}", "target": f"g{pk}", "kind": "tree"}}
            for pk, _code, _name, _layer, _status, parent, _depth in rows
            if parent in id_set
        ]
    return {
        "nodes": nodes,
        "edges": edges,
        "truncated": truncated,
        "cap": cap,
        "links": len(links),
        "bridging": len(bridging),
        "snapshot_at": snapshot.computed_at.isoformat() if snapshot is not None else None,
    }


SUBTREE_CHOICES_LIMIT = 300


def subtree_choices(user: Any, collective: Collective) -> list[tuple[int, str]]:
    """Groups to offer as "show only the subtree under…": visible network and support groups (the
    upper levels of the tree), indented by depth. Capped; any visible group id works in the URL."""
    rows = (
        Group.objects.visible_to(user)
        .filter(collective=collective, layer__in=[Layer.NETWORK, Layer.SUPPORT])
        .order_by("path")
        .values_list("id", "name", "depth")[:SUBTREE_CHOICES_LIMIT]
    )
    return [(pk, "\u2003" * depth + name) for pk, name, depth in rows]


# --- the freshness of the network metrics ---------------------------------------------------------


@dataclass(frozen=True)
class NetworkStatus:
    """Which snapshot of the network metrics a page shows, how old it is, and whether to refresh it."""

    snapshot: NetworkSnapshot | None
    # The snapshot is of the whole collective although the page shows a subtree (none of its own yet).
    of_whole_collective: bool
    # Why the figures should be recomputed: "missing", "old" (more than a day), "changed" (groups or
    # links changed since); "" when they are fresh.
    stale_reason: str
    can_refresh: bool
    refresh_queued: bool

    @property
    def stale(self) -> bool:
        return bool(self.stale_reason)


def network_status(
    user: Any, collective: Collective, within: Group | None = None, *, now: dt.datetime | None = None
) -> NetworkStatus:
    """The snapshot behind the network view of `within` (or of the whole collective) and its freshness.

    Refreshing is for the collective's admins. At most five queries: the snapshot (two when a subtree
    has none of its own), the two "changed since" checks, and, for admins, whether a refresh is queued.
    """
    snapshot = latest_snapshot(collective, within) if within is not None else None
    of_whole = within is not None and snapshot is None
    if snapshot is None:
        snapshot = latest_snapshot(collective)
    now = now or timezone.now()
    if snapshot is None:
        reason = "missing"
    elif now - snapshot.computed_at > DEFAULT_MAX_AGE:
        reason = "old"
    elif snapshot_is_stale(snapshot, now=now):
        reason = "changed"
    else:
        reason = ""
    scope = scope_for(user)
    can_refresh = scope.is_superuser or collective.pk in scope.admin_collectives
    queued = can_refresh and network_refresh_pending(collective.pk, within.pk if within else None)
    return NetworkStatus(
        snapshot=snapshot,
        of_whole_collective=of_whole,
        stale_reason=reason,
        can_refresh=can_refresh,
        refresh_queued=queued,
    )
