"""Network metrics on a small hand-made graph, the snapshot cache, the task and the refresh request.

The graph (collective "net"), under one country K with regions RA and RB:

    RA: a1 ─ a2 ─ a3 ─ H ─┐          a1─a2─a3 is a triangle, so is b1─b2─b3;
        (a1 ─ a3)         │          H joins them: the bridge whose removal disconnects
        y (no links)      │
    RB: b1 ─ b2 ─ b3 ─────┘ (H ─ b1, the only link across regions)
        x1 ─ x2           a second component
    plus: a1 ─ x1 ended last year (left out), and a link from a1 to a closed group z (left out).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from minga.architecture import services
from minga.architecture.models import GroupStatus, Link, NetworkSnapshot
from minga.architecture.network import (
    compute_network_metrics,
    latest_snapshot,
    network_snapshot_create,
    snapshot_is_stale,
)
from minga.architecture.tasks import compute_network_metrics as compute_task
from minga.architecture.tasks import network_refresh_request
from minga.core.errors import NotFound
from minga.people.models import Membership
from tests.factories.architecture import make_group, make_link
from tests.factories.core import make_collective
from tests.factories.people import make_member, make_person

TODAY = timezone.localdate()
LAST_YEAR = TODAY - dt.timedelta(days=365)


@pytest.fixture
def net(db):
    c = make_collective(slug="net")
    k = make_group(c, kind_code="country", name="K")
    ra = make_group(c, parent=k, kind_code="region", name="RA")
    rb = make_group(c, parent=k, kind_code="region", name="RB")
    g: dict[str, Any] = {"collective": c, "K": k, "RA": ra, "RB": rb}
    for name in ("a1", "a2", "a3", "H", "y"):
        g[name] = make_group(c, parent=ra, name=name)
    for name in ("b1", "b2", "b3", "x1", "x2"):
        g[name] = make_group(c, parent=rb, name=name)
    g["z"] = make_group(c, parent=ra, name="z", status=GroupStatus.CLOSED, closed_on=LAST_YEAR)
    for s, t in [("a1", "a2"), ("a2", "a3"), ("a1", "a3"), ("a3", "H"), ("H", "b1")]:
        make_link(g[s], g[t])
    for s, t in [("b1", "b2"), ("b2", "b3"), ("b1", "b3"), ("x1", "x2")]:
        make_link(g[s], g[t], kind=Link.Kind.MENTORING)
    make_link(g["a2"], g["a1"], kind=Link.Kind.SHARED_CAMPAIGN)  # same pair again: a link, not a new tie
    make_link(g["a1"], g["x1"], started_on=LAST_YEAR - dt.timedelta(days=30), ended_on=LAST_YEAR)
    make_link(g["a1"], g["z"])
    return g


def test_size_density_and_links_by_kind(net):
    m = compute_network_metrics(net["collective"])
    # 13 open groups: K, RA, RB, a1 a2 a3 H y, b1 b2 b3 x1 x2 (z is closed)
    assert m["groups"] == 13
    assert m["links"] == 10  # the ended link and the link to the closed group are left out
    assert m["connected_pairs"] == 9
    assert m["density"] == pytest.approx(2 * 9 / (13 * 12))
    assert m["links_by_kind"] == {"partnership": 5, "mentoring": 4, "shared_campaign": 1}
    assert m["degree"]["max"] == 3


def test_components_and_isolated_groups(net):
    c = compute_network_metrics(net["collective"])["components"]
    # the 7-group barbell, x1─x2, and four isolated groups (K, RA, RB, y)
    assert c["count"] == 6
    assert c["largest"] == 7
    assert c["largest_share"] == pytest.approx(7 / 13, abs=1e-4)
    assert c["isolated_groups"] == 4
    assert c["largest_sizes"][:2] == [7, 2]


def test_bridge_is_articulation_point_with_highest_betweenness(net):
    b = compute_network_metrics(net["collective"])["bridging"]
    assert b["betweenness_method"] == "exact"
    assert b["top_betweenness"][0]["id"] == net["H"].pk
    assert b["top_betweenness"][0]["name"] == "H"
    assert b["articulation_points"] == 3  # a3, H, b1
    assert {p["id"] for p in b["top_articulation_points"]} == {net["a3"].pk, net["H"].pk, net["b1"].pk}
    # ordered by degree: a3 and b1 (3) before H (2)
    assert b["top_articulation_points"][-1]["id"] == net["H"].pk


def test_cross_region_share(net):
    assert compute_network_metrics(net["collective"])["cross_region"] == {"links": 1, "share": 0.1}


def test_communities_are_reproducible(net):
    first = compute_network_metrics(net["collective"])["communities"]
    second = compute_network_metrics(net["collective"])["communities"]
    assert first == second
    assert first["nontrivial"] >= 2
    assert first["modularity"] > 0.3


def test_reach_counts_distinct_people_with_active_memberships(net):
    p1 = make_member(net["a1"], with_login=False)
    Membership.objects.create(person=p1, group=net["b1"], role="member")  # same person, other region
    make_member(net["a1"], with_login=False)
    make_member(net["H"], with_login=False)
    gone = make_person(net["collective"])
    Membership.objects.create(person=gone, group=net["b2"], started_on=LAST_YEAR, ended_on=LAST_YEAR)
    later = make_person(net["collective"])
    Membership.objects.create(person=later, group=net["b2"], started_on=TODAY + dt.timedelta(days=10))
    closed = make_person(net["collective"])
    Membership.objects.create(person=closed, group=net["z"])

    reach = compute_network_metrics(net["collective"])["reach"]
    assert reach["people"] == 3
    assert [(r["name"], r["groups"], r["people"]) for r in reach["children"]] == [("K", 13, 3)]

    scoped = compute_network_metrics(net["collective"], net["K"])["reach"]
    assert {r["name"]: (r["groups"], r["people"]) for r in scoped["children"]} == {
        "RA": (6, 3),
        "RB": (6, 1),
    }


def test_scope_keeps_only_links_inside_the_subtree(net):
    m = compute_network_metrics(net["collective"], net["RA"])
    assert m["groups"] == 6  # RA, a1, a2, a3, H, y
    assert m["links"] == 5  # the triangle, a3─H and the repeated a2→a1; H─b1 leaves the subtree
    assert m["connected_pairs"] == 4
    assert m["scope"]["group_id"] == net["RA"].pk
    # Inside a subtree the "regions" are the scope's direct children: here every group is its own.
    assert m["cross_region"] == {"links": 5, "share": 1.0}
    assert compute_network_metrics(net["collective"], net["K"])["cross_region"] == {"links": 1, "share": 0.1}


def test_other_collective_is_not_counted(net):
    other = make_collective()
    a, b = make_group(other), make_group(other)
    make_link(a, b)
    assert compute_network_metrics(net["collective"])["links"] == 10


def test_empty_collective(db):
    m = compute_network_metrics(make_collective())
    assert m["groups"] == 0 and m["links"] == 0 and m["density"] == 0.0
    assert m["components"]["count"] == 0
    assert m["bridging"]["top_betweenness"] == []


# --- the cache, the task, the refresh request ----------------------------------------------------------


def test_task_stores_snapshot_with_computed_at(net):
    before = timezone.now()
    result = compute_task.call(net["collective"].pk)
    snapshot = NetworkSnapshot.objects.get(pk=result["snapshot_id"])
    assert snapshot.computed_at >= before
    assert snapshot.scope_group is None
    assert snapshot.metrics["groups"] == 13
    assert snapshot.seconds >= 0
    assert latest_snapshot(net["collective"]) == snapshot
    assert latest_snapshot(net["collective"], net["RA"]) is None


def test_task_for_a_subtree(net):
    result = compute_task.call(net["collective"].pk, net["RA"].pk)
    snapshot = NetworkSnapshot.objects.get(pk=result["snapshot_id"])
    assert snapshot.scope_group == net["RA"]
    assert latest_snapshot(net["collective"], net["RA"]) == snapshot


def test_staleness(world):
    assert snapshot_is_stale(None)
    snapshot = network_snapshot_create(collective=world.alpha)
    assert not snapshot_is_stale(snapshot)
    assert snapshot_is_stale(snapshot, now=snapshot.computed_at + dt.timedelta(days=2))
    services.link_create(actor=world.admin, source=world.kibera, target=world.mombasa, kind="partnership")
    assert snapshot_is_stale(snapshot)


def test_refresh_request_enqueues_once_on_commit(world, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        network_refresh_request(actor=world.admin, collective=world.alpha)
    assert len(callbacks) == 1
    with django_capture_on_commit_callbacks(execute=True):
        network_refresh_request(actor=world.admin, collective=world.alpha)
    queued = DBTaskResult.objects.filter(task_path=compute_task.module_path)
    assert queued.count() == 1
    assert queued.get().args_kwargs["args"] == [world.alpha.pk, None]
    with django_capture_on_commit_callbacks(execute=True):
        network_refresh_request(actor=world.coordinator_a, collective=world.alpha, scope_group=world.region_a)
    assert queued.count() == 2


@pytest.mark.parametrize("who", ["member", "lead", "coordinator_b", "beta_admin"])
def test_refresh_request_refused_outside_reach(world, who):
    with pytest.raises(NotFound):
        network_refresh_request(actor=getattr(world, who), collective=world.alpha, scope_group=world.region_a)


def test_coordinator_cannot_refresh_whole_collective(world):
    with pytest.raises(NotFound):
        network_refresh_request(actor=world.coordinator_a, collective=world.alpha)
