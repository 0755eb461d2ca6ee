"""Network metrics of a collective (or of one subtree), computed in the background and cached.

What is measured, on the *current* links between the groups that are not closed:
size and density, connected components, bridging groups (estimated betweenness and articulation
points), communities (Leiden, modularity), degree statistics, links by kind, the share of links that
cross regions, and reach (groups and people) for the scope and each of its direct children.

At 50,000 groups and 100,000 links networkx needs minutes for betweenness, so the graph goes to
igraph's C core (components, articulation points, Leiden, pivot-sampled betweenness), fed from numpy
arrays loaded with one `values_list` query. Random choices use fixed seeds so a
snapshot is reproducible. The whole computation takes a few seconds at that size (see
`bench/network.py`), which is why it runs as a task and the result is stored in `NetworkSnapshot`,
stamped with when it was made.

The graph is undirected and simple: a link A→B and a link B→A, or two links of different kinds
between the same pair, are one connection for the graph metrics (they still count as links).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db.models import Q
from django.utils import timezone

from minga.architecture.models import Group, GroupStatus, Link, NetworkSnapshot
from minga.core.models import AuditEntry, Collective

if TYPE_CHECKING:
    import igraph as ig

METRICS_VERSION = 1
SEED = 20_240_601
TOP_N = 10
# Betweenness is exact while sources x (groups + connections) stays under this (well under a second);
# above it, it is estimated from this many seeded pivots (≈25-45 ms each at 50k groups/100k links).
EXACT_BETWEENNESS_MAX_WORK = 3_000_000
BETWEENNESS_PIVOTS = 32
LEIDEN_ITERATIONS = 2
DEFAULT_MAX_AGE = dt.timedelta(hours=24)


# --- reading the graph ------------------------------------------------------------------------------


class NetworkGraph:
    """The groups and current links of a scope, as contiguous integer ids ready for igraph."""

    def __init__(
        self,
        *,
        group_ids: np.ndarray,
        paths: list[str],
        link_src: np.ndarray,
        link_dst: np.ndarray,
        link_kind: np.ndarray,
        kinds: list[str],
    ) -> None:
        self.group_ids = group_ids  # sorted database ids; position = vertex number
        self.paths = paths  # in the same order
        self.link_src = link_src  # vertex numbers, one per link row
        self.link_dst = link_dst
        self.link_kind = link_kind  # index into `kinds`
        self.kinds = kinds
        a = np.minimum(link_src, link_dst)
        b = np.maximum(link_src, link_dst)
        n = max(len(group_ids), 1)
        pairs = _distinct(a * n + b)
        self.edge_a = pairs // n
        self.edge_b = pairs % n

    @property
    def n(self) -> int:
        return len(self.group_ids)

    @property
    def pair_count(self) -> int:
        return len(self.edge_a)


def _scope_prefix(scope_group: Group | None) -> str:
    return scope_group.path if scope_group is not None else "/"


def load_graph(collective: Collective, scope_group: Group | None = None) -> NetworkGraph:
    """Two queries: the groups of the scope (id, path) and the collective's current links (ids, kind)."""
    groups = Group.objects.filter(collective=collective).exclude(status=GroupStatus.CLOSED)
    if scope_group is not None:
        groups = groups.filter(path__startswith=scope_group.path)
    group_rows = list(groups.order_by("id").values_list("id", "path"))
    group_ids = np.fromiter((r[0] for r in group_rows), dtype=np.int64, count=len(group_rows))
    paths = [r[1] for r in group_rows]

    link_rows = list(
        Link.objects.current()
        .filter(collective=collective)
        .order_by()
        .values_list("source_id", "target_id", "kind")
    )
    count = len(link_rows)
    src = np.fromiter((r[0] for r in link_rows), dtype=np.int64, count=count)
    dst = np.fromiter((r[1] for r in link_rows), dtype=np.int64, count=count)
    kind_index: dict[str, int] = {}
    kind = np.fromiter(
        (kind_index.setdefault(r[2], len(kind_index)) for r in link_rows), dtype=np.int64, count=count
    )
    # Map database ids to vertex numbers; links with an end outside the scope (or closed) drop out.
    src_v, src_ok = _vertex_numbers(group_ids, src)
    dst_v, dst_ok = _vertex_numbers(group_ids, dst)
    keep = src_ok & dst_ok & (src_v != dst_v)
    return NetworkGraph(
        group_ids=group_ids,
        paths=paths,
        link_src=src_v[keep],
        link_dst=dst_v[keep],
        link_kind=kind[keep],
        kinds=list(kind_index),
    )


def _distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values. (numpy 2's hash-based `np.unique` is several times slower on int64 here.)"""
    ordered = np.sort(values)
    if len(ordered) == 0:
        return ordered
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]


def _vertex_numbers(group_ids: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if len(group_ids) == 0:
        return np.zeros(len(ids), dtype=np.int64), np.zeros(len(ids), dtype=bool)
    pos = np.searchsorted(group_ids, ids)
    pos = np.minimum(pos, len(group_ids) - 1)
    return pos, group_ids[pos] == ids


# --- computing ----------------------------------------------------------------------------------------


def compute_network_metrics(collective: Collective, scope_group: Group | None = None) -> dict[str, Any]:
    """Every network figure for the collective, or for the subtree under `scope_group`, as plain JSON."""
    started = time.perf_counter()
    graph = load_graph(collective, scope_group)
    n, pairs = graph.n, graph.pair_count
    timings: dict[str, float] = {"load": time.perf_counter() - started}

    degree = np.bincount(np.concatenate([graph.edge_a, graph.edge_b]), minlength=n) if n else np.array([])
    metrics: dict[str, Any] = {
        "version": METRICS_VERSION,
        "scope": _scope_label(collective, scope_group),
        "groups": n,
        "links": len(graph.link_src),
        "connected_pairs": pairs,
        "density": (2.0 * pairs / (n * (n - 1))) if n > 1 else 0.0,
        "degree": _degree_stats(degree),
        "links_by_kind": _links_by_kind(graph),
        "cross_region": _cross_region(graph, scope_group),
    }

    # Imported here: web pages read snapshots through this module without loading igraph.
    import igraph as ig

    step = time.perf_counter()
    g = ig.Graph(n=n, edges=np.column_stack([graph.edge_a, graph.edge_b]) if pairs else [], directed=False)
    metrics["components"] = _components(g, degree)
    articulation = g.articulation_points() if n else []
    timings["components"] = time.perf_counter() - step

    step = time.perf_counter()
    metrics["communities"] = _communities(g)
    timings["communities"] = time.perf_counter() - step

    step = time.perf_counter()
    scores, method = _betweenness(g, degree)
    timings["betweenness"] = time.perf_counter() - step

    step = time.perf_counter()
    top_between = _top(scores, degree, TOP_N, positive_only=True)
    art = np.array(articulation, dtype=np.int64)
    top_art = art[np.lexsort((graph.group_ids[art], -degree[art]))][:TOP_N] if len(art) else art
    labels = _labels(graph.group_ids[np.concatenate([top_between, top_art])].tolist())
    metrics["bridging"] = {
        "betweenness_method": method,
        "top_betweenness": [
            {**labels[int(graph.group_ids[v])], "score": round(float(scores[v]), 6), "degree": int(degree[v])}
            for v in top_between
        ],
        "articulation_points": len(art),
        "top_articulation_points": [
            {**labels[int(graph.group_ids[v])], "degree": int(degree[v])} for v in top_art
        ],
    }
    metrics["reach"] = _reach(collective, scope_group, graph)
    timings["labels_and_reach"] = time.perf_counter() - step
    metrics["timings"] = {k: round(v, 3) for k, v in timings.items()}
    return metrics


def _scope_label(collective: Collective, scope_group: Group | None) -> dict[str, Any]:
    if scope_group is None:
        return {"collective": collective.slug, "group_id": None, "group_name": None}
    return {"collective": collective.slug, "group_id": scope_group.pk, "group_name": scope_group.name}


def _degree_stats(degree: np.ndarray) -> dict[str, float]:
    if len(degree) == 0:
        return {"mean": 0.0, "median": 0.0, "p90": 0.0, "max": 0}
    return {
        "mean": round(float(degree.mean()), 4),
        "median": float(np.median(degree)),
        "p90": float(np.percentile(degree, 90)),
        "max": int(degree.max()),
    }


def _links_by_kind(graph: NetworkGraph) -> dict[str, int]:
    counts = np.bincount(graph.link_kind, minlength=len(graph.kinds))
    return {graph.kinds[i]: int(c) for i, c in enumerate(counts) if c}


def _region_keys(graph: NetworkGraph, scope_group: Group | None) -> np.ndarray:
    """The region of each group: its ancestor one level below the scope (depth 1 for a collective).

    Groups above that level (a country, the scope itself) count as their own region.
    """
    level = scope_group.depth + 1 if scope_group is not None else 1
    keys = np.empty(graph.n, dtype=np.int64)
    for i, path in enumerate(graph.paths):
        parts = path[1:-1].split("/")
        keys[i] = int(parts[level] if len(parts) > level else parts[-1])
    return keys


def _cross_region(graph: NetworkGraph, scope_group: Group | None) -> dict[str, Any]:
    total = len(graph.link_src)
    if total == 0:
        return {"links": 0, "share": 0.0}
    keys = _region_keys(graph, scope_group)
    crossing = int(np.count_nonzero(keys[graph.link_src] != keys[graph.link_dst]))
    return {"links": crossing, "share": round(crossing / total, 4)}


def _components(g: ig.Graph, degree: np.ndarray) -> dict[str, Any]:
    n = g.vcount()
    if n == 0:
        return {"count": 0, "largest": 0, "largest_share": 0.0, "isolated_groups": 0, "largest_sizes": []}
    sizes = np.bincount(np.array(g.connected_components().membership, dtype=np.int64))
    ordered = np.sort(sizes)[::-1]
    return {
        "count": len(sizes),
        "largest": int(ordered[0]),
        "largest_share": round(float(ordered[0]) / n, 4),
        "isolated_groups": int(np.count_nonzero(degree == 0)),
        "largest_sizes": [int(s) for s in ordered[:TOP_N]],
    }


def _communities(g: ig.Graph) -> dict[str, Any]:
    if g.ecount() == 0:
        return {
            "method": "leiden-modularity",
            "count": g.vcount(),
            "nontrivial": 0,
            "modularity": 0.0,
            "largest_sizes": [1] * min(g.vcount(), TOP_N),
        }
    import igraph as ig

    # igraph draws from Python's `random` by default; a private generator keeps runs reproducible
    # without touching anyone else's random state.
    ig.set_random_number_generator(random.Random(SEED))
    try:
        clustering = g.community_leiden(objective_function="modularity", n_iterations=LEIDEN_ITERATIONS)
    finally:
        ig.set_random_number_generator(random)
    sizes = np.sort(np.bincount(np.array(clustering.membership, dtype=np.int64)))[::-1]
    return {
        "method": "leiden-modularity",
        "count": len(sizes),
        "nontrivial": int(np.count_nonzero(sizes > 1)),
        "modularity": round(float(g.modularity(clustering.membership)), 4),
        "largest_sizes": [int(s) for s in sizes[:TOP_N]],
    }


def _betweenness(g: ig.Graph, degree: np.ndarray) -> tuple[np.ndarray, str]:
    """Normalised betweenness: exact on small graphs, else estimated from seeded pivots (Brandes-Pich).

    The estimate runs the Brandes accumulation from `BETWEENNESS_PIVOTS` source groups drawn with a
    fixed seed among the connected ones, and scales by (connected groups / pivots). igraph's
    `betweenness(sources=…)` does this 2-3x faster here than networkit's `EstimateBetweenness` with as
    many samples (0.8-1.5 s against 2.4-3.3 s at 50k groups/100k links, 2 shared cores), single-threaded
    and reproducible.
    """
    n, m = g.vcount(), g.ecount()
    if n < 3 or m == 0:
        return np.zeros(n), "none"
    pair_norm = (n - 1) * (n - 2) / 2.0
    connected = np.flatnonzero(degree > 0)
    if len(connected) * (n + m) <= EXACT_BETWEENNESS_MAX_WORK:
        return np.asarray(g.betweenness(directed=False), dtype=np.float64) / pair_norm, "exact"
    rng = np.random.default_rng(SEED)
    pivots = np.sort(rng.choice(connected, BETWEENNESS_PIVOTS, replace=False))
    partial = np.asarray(g.betweenness(directed=False, sources=pivots.tolist()), dtype=np.float64)
    return partial * (
        len(connected) / BETWEENNESS_PIVOTS
    ) / pair_norm, f"estimate-{BETWEENNESS_PIVOTS}-pivots"


def _top(scores: np.ndarray, degree: np.ndarray, k: int, *, positive_only: bool) -> np.ndarray:
    """Vertex numbers of the `k` highest scores; ties go to the higher degree, then the lower id."""
    if len(scores) == 0:
        return np.array([], dtype=np.int64)
    candidates = np.flatnonzero(scores > 0) if positive_only else np.arange(len(scores))
    order = np.lexsort((candidates, -degree[candidates], -scores[candidates]))
    return candidates[order][:k]


def _labels(ids: list[int]) -> dict[int, dict[str, Any]]:
    rows = Group.objects.filter(pk__in=ids).values_list("id", "code", "name")
    return {pk: {"id": pk, "code": code, "name": name} for pk, code, name in rows}


def _reach(collective: Collective, scope_group: Group | None, graph: NetworkGraph) -> dict[str, Any]:
    """Groups and people for the scope and each direct child of it (the roots, for a collective).

    People are distinct persons with an active membership in a group of the subtree that is not
    closed. One query reads (group id, person id) pairs, without ordering; numpy counts the distinct
    persons per child. Only ids are read and only counts are stored.
    """
    from minga.people.models import Membership  # people builds on architecture; see STYLE.md

    level = scope_group.depth + 1 if scope_group is not None else 0
    # Child of the scope that holds each vertex (-1: the scope group itself).
    child_of = np.full(graph.n, -1, dtype=np.int64)
    for i, path in enumerate(graph.paths):
        parts = path[1:-1].split("/")
        if len(parts) > level:
            child_of[i] = int(parts[level])
    child_ids, child_index = np.unique(child_of, return_inverse=True)
    child_groups = dict(zip(child_ids.tolist(), np.bincount(child_index).tolist(), strict=True))

    memberships = Membership.objects.active().filter(group__collective=collective)
    if scope_group is not None:
        memberships = memberships.filter(group__path__startswith=scope_group.path)
    rows = list(memberships.order_by().values_list("group_id", "person_id"))
    group = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    person = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
    vertex, in_graph = _vertex_numbers(graph.group_ids, group)  # drops closed groups
    vertex, person = vertex[in_graph], person[in_graph]
    people_total = len(_distinct(person))
    stride = int(person.max(initial=0)) + 1
    pairs = _distinct(child_index[vertex] * stride + person)
    per_child = np.bincount(pairs // stride, minlength=len(child_ids))
    child_people = dict(zip(child_ids.tolist(), per_child.tolist(), strict=True))

    children = Group.objects.filter(collective=collective).exclude(status=GroupStatus.CLOSED)
    children = (
        children.filter(parent=scope_group)
        if scope_group is not None
        else children.filter(parent__isnull=True)
    )
    rows_out = [
        {
            "id": pk,
            "code": code,
            "name": name,
            "groups": child_groups.get(pk, 0),
            "people": child_people.get(pk, 0),
        }
        for pk, code, name in children.order_by().values_list("id", "code", "name")
    ]
    rows_out.sort(key=lambda r: (-r["groups"], -r["people"], r["name"]))
    return {"groups": graph.n, "people": people_total, "children": rows_out}


# --- the cache ----------------------------------------------------------------------------------------


def network_snapshot_create(*, collective: Collective, scope_group: Group | None = None) -> NetworkSnapshot:
    """Compute the metrics now and store them (a system write: the task and the CLI call it)."""
    if scope_group is not None and scope_group.collective_id != collective.pk:
        raise ValueError("The scope group belongs to another collective.")
    started = time.perf_counter()
    metrics = compute_network_metrics(collective, scope_group)
    seconds = time.perf_counter() - started
    return NetworkSnapshot.objects.create(
        collective=collective,
        scope_group=scope_group,
        computed_at=timezone.now(),
        seconds=round(seconds, 3),
        metrics=metrics,
    )


def latest_snapshot(collective: Collective, scope_group: Group | None = None) -> NetworkSnapshot | None:
    """The most recent snapshot for the collective (scope_group=None) or for that subtree."""
    return (
        NetworkSnapshot.objects.filter(collective=collective, scope_group=scope_group)
        .order_by("-computed_at", "-id")
        .first()
    )


def snapshot_is_stale(
    snapshot: NetworkSnapshot | None,
    *,
    max_age: dt.timedelta = DEFAULT_MAX_AGE,
    now: dt.datetime | None = None,
) -> bool:
    """True when there is no snapshot, it is older than `max_age`, or the architecture changed since.

    "Changed" means a group of the collective was saved, or a group/link write was audited, after the
    snapshot was computed: two cheap EXISTS queries.
    """
    if snapshot is None:
        return True
    now = now or timezone.now()
    if now - snapshot.computed_at > max_age:
        return True
    if Group.objects.filter(
        collective_id=snapshot.collective_id, updated_at__gt=snapshot.computed_at
    ).exists():
        return True
    return (
        AuditEntry.objects.filter(collective_id=snapshot.collective_id, at__gt=snapshot.computed_at)
        .filter(Q(action__startswith="group.") | Q(action__startswith="link."))
        .exists()
    )


__all__ = [
    "compute_network_metrics",
    "latest_snapshot",
    "load_graph",
    "network_snapshot_create",
    "snapshot_is_stale",
]
