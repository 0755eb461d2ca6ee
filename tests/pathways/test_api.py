"""The pathways API for each caller: anonymous, member, coordinators of both regions, another
collective's admin, the admin. Same rules as the pages, since both call the same services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from minga.core.choices import Visibility
from minga.pathways.models import GroupProgress, ProgressEntry, StrategyRevision
from tests.factories.api import ApiClient, error_codes, error_fields
from tests.factories.architecture import make_group
from tests.factories.pathways import make_pathway, place, stages_of

pytestmark = pytest.mark.django_db


def client_for(world, who):
    return ApiClient(None if who == "anonymous" else getattr(world, who))


@pytest.fixture
def pathway(world):
    return make_pathway(world.alpha, name="Neighbourhood pathway")


@pytest.mark.parametrize(
    ("who", "names"),
    [
        ("anonymous", ["Neighbourhood pathway"]),
        ("member", ["Neighbourhood pathway"]),
        ("coordinator_b", ["Neighbourhood pathway"]),
        ("beta_admin", ["Neighbourhood pathway"]),
        ("admin", ["Draft", "Neighbourhood pathway"]),
    ],
)
def test_list_pathways_per_caller(world, pathway, who, names):
    make_pathway(world.alpha, name="Draft", published=False)
    response = client_for(world, who).get("/collectives/alpha/pathways")
    assert response.status_code == 200
    assert [p["name"] for p in response.json()["items"]] == names


def test_private_collective_pathways_are_hidden_from_outsiders(world):
    world.alpha.visibility = Visibility.PRIVATE
    world.alpha.save()
    pathway = make_pathway(world.alpha)
    assert client_for(world, "anonymous").get(f"/pathways/{pathway.pk}").status_code == 404
    assert client_for(world, "beta_admin").get(f"/pathways/{pathway.pk}").status_code == 404
    assert client_for(world, "member").get(f"/pathways/{pathway.pk}").status_code == 200


@pytest.mark.parametrize(
    ("who", "status"), [("anonymous", 401), ("coordinator_a", 404), ("beta_admin", 404), ("admin", 201)]
)
def test_create_pathway(world, who, status):
    response = client_for(world, who).post("/collectives/alpha/pathways", {"name": "New", "vision": "V"})
    assert response.status_code == status


def test_admin_builds_and_publishes_a_pathway_over_the_api(world):
    api = client_for(world, "admin")
    pathway = api.post("/collectives/alpha/pathways", {"name": "P", "owner_id": world.backbone.pk}).json()
    bad_owner = api.post("/collectives/alpha/pathways", {"name": "Q", "owner_id": world.beta_root.pk})
    assert bad_owner.status_code == 422 and error_fields(bad_owner) == {"owner_id"}
    first = api.post(
        f"/pathways/{pathway['id']}/stages", {"name": "Forming", "checklist": ["We meet"]}
    ).json()
    second = api.post(
        f"/pathways/{pathway['id']}/stages", {"name": "Trained", "requires_verification": True}
    ).json()
    published = api.post(f"/pathways/{pathway['id']}/publish", {"note": "First"})
    assert published.status_code == 200 and published.json()["version"] == 1
    assert [s["name"] for s in published.json()["stages"]] == ["Forming", "Trained"]
    order = api.post(f"/pathways/{pathway['id']}/stages/order", {"stage_ids": [second["id"], first["id"]]})
    assert [s["name"] for s in order.json()] == ["Trained", "Forming"]
    api.patch(f"/pathways/{pathway['id']}", {"vision": "Now with a vision", "note": "Vision written"})
    versions = api.get(f"/pathways/{pathway['id']}/versions").json()
    assert [v["number"] for v in versions] == [3, 2, 1]
    assert versions[0]["note"] == "Vision written" and ["add", "Now with a vision"] in versions[0]["diff"]
    assert api.delete(f"/stages/{first['id']}").status_code == 204


def test_submit_verify_and_history_over_the_api(world, pathway):
    first, trained, _ = stages_of(pathway)
    place(world.kibera, first)
    body = {
        "group_id": world.kibera.pk,
        "stage_id": trained.pk,
        "evidence": "12 facilitators trained",
        "checklist": trained.checklist,
        "links": ["https://example.org/report"],
    }
    assert (
        client_for(world, "member").post(f"/pathways/{pathway.pk}/progress/submit", body).status_code == 404
    )
    response = client_for(world, "lead").post(f"/pathways/{pathway.pk}/progress/submit", body)
    assert response.status_code == 201 and response.json()["status"] == "pending"
    entry_id = response.json()["id"]
    assert client_for(world, "coordinator_b").post(f"/entries/{entry_id}/verify").status_code == 404
    pending = client_for(world, "coordinator_a").get(f"/pathways/{pathway.pk}/entries", {"status": "pending"})
    assert [e["id"] for e in pending.json()["items"]] == [entry_id]
    for outsider in ("anonymous", "member", "coordinator_b"):  # evidence is for those who act for the group
        assert client_for(world, outsider).get(f"/pathways/{pathway.pk}/entries").json()["items"] == []
    verified = client_for(world, "coordinator_a").post(f"/entries/{entry_id}/verify")
    assert verified.status_code == 200 and verified.json()["status"] == "accepted"
    progress = client_for(world, "admin").get(f"/pathways/{pathway.pk}/progress").json()["items"]
    assert [(p["group_name"], p["stage_name"]) for p in progress] == [("Kibera Youth", "Trained")]


def test_submit_reports_every_problem_with_its_field(world, pathway):
    first, _, running = stages_of(pathway)
    place(world.kibera, first)
    response = client_for(world, "lead").post(
        f"/pathways/{pathway.pk}/progress/submit",
        {"group_id": world.kibera.pk, "stage_id": running.pk, "links": ["javascript:alert(1)"]},
    )
    assert response.status_code == 422
    assert error_codes(response) == {
        "not_next_stage",
        "checklist_incomplete",
        "invalid_link",
        "evidence_required",
    }
    assert error_fields(response) == {"stage_id", "checklist", "links", "evidence"}
    unknown = client_for(world, "lead").post(
        f"/pathways/{pathway.pk}/progress/submit", {"group_id": world.mombasa.pk, "stage_id": running.pk}
    )
    assert unknown.status_code == 422 and error_fields(unknown) == {"group_id"}
    not_json = client_for(world, "lead").post(f"/pathways/{pathway.pk}/progress/submit", "{oops")
    assert not_json.status_code in (400, 422)


def test_reject_and_move_back_over_the_api(world, pathway):
    first, trained, running = stages_of(pathway)
    progress = place(world.kibera, first)
    entry = ProgressEntry.objects.create(
        pathway=pathway,
        group=world.kibera,
        progress=progress,
        stage=trained,
        kind="forward",
        status="pending",
        entered_on=timezone.localdate(),
        submitted_at=timezone.now(),
    )
    api = client_for(world, "coordinator_a")
    assert api.post(f"/entries/{entry.pk}/reject", {"reason": ""}).status_code == 422
    assert api.post(f"/entries/{entry.pk}/reject", {"reason": "Send the list"}).json()["status"] == "rejected"
    GroupProgress.objects.filter(pk=progress.pk).update(stage=running)
    back = client_for(world, "lead").post(
        f"/pathways/{pathway.pk}/progress/move-back",
        {"group_id": world.kibera.pk, "stage_id": first.pk, "reason": "Lost facilitators"},
    )
    assert back.status_code == 201 and back.json()["kind"] == "back"


def test_batch_update_is_idempotent_and_scoped(world, pathway):
    trained = stages_of(pathway)[1]
    for i in range(5):
        make_group(world.alpha, parent=world.region_a, name=f"N{i}")
    body = {"within": world.region_a.pk, "stage_id": trained.pk, "note": "Training roll"}
    url = f"/pathways/{pathway.pk}/progress/batch"
    assert client_for(world, "coordinator_b").post(url, body).status_code == 404
    assert client_for(world, "lead").post(url, body).status_code == 404
    api = client_for(world, "coordinator_a")
    first = api.post(url, body, **{"Idempotency-Key": "roll-1"})
    again = api.post(url, body, **{"Idempotency-Key": "roll-1"})
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() == {"moved": 6}
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert ProgressEntry.objects.filter(pathway=pathway).count() == 6
    assert api.post(url, {**body, "note": ""}).status_code == 422


def test_funnel_over_the_api_counts_what_the_caller_sees(world, pathway, django_assert_max_num_queries):
    first, trained, _ = stages_of(pathway)
    place(world.kibera, trained)
    place(world.mombasa, first)
    api = client_for(world, "admin")
    with django_assert_max_num_queries(12):
        response = api.get(f"/pathways/{pathway.pk}/funnel")
    stages = response.json()["stages"]
    assert [(s["now"], s["reached"]) for s in stages] == [(1, 2), (1, 1), (0, 0)]
    coast = client_for(world, "coordinator_b").get(f"/pathways/{pathway.pk}/funnel").json()
    assert [s["now"] for s in coast["stages"]] == [1, 0, 0]  # kibera is private to Nairobi
    within = api.get(f"/pathways/{pathway.pk}/funnel", {"within": world.region_a.pk}).json()
    assert [s["now"] for s in within["stages"]] == [0, 1, 0]


def test_progress_list_query_count_is_flat(world, pathway, django_assert_max_num_queries):
    first = stages_of(pathway)[0]
    for i in range(30):
        place(make_group(world.alpha, parent=world.region_a, name=f"G{i}"), first)
    api = client_for(world, "admin")
    with django_assert_max_num_queries(8):
        response = api.get(f"/pathways/{pathway.pk}/progress", {"limit": 100})
    assert len(response.json()["items"]) == 30


def test_strategy_revisions_and_timeline(world, pathway):
    body = {
        "decided_on": "2025-03-01",
        "title": "Mentoring stage added",
        "what_changed": "A fourth stage",
        "why": "Groups asked",
        "decided_by": "Assembly",
        "pathway_id": pathway.pk,
    }
    assert (
        client_for(world, "coordinator_a").post("/collectives/alpha/strategy-revisions", body).status_code
        == 404
    )
    created = client_for(world, "admin").post("/collectives/alpha/strategy-revisions", body)
    assert created.status_code == 201
    future = {**body, "decided_on": str(timezone.localdate() + dt.timedelta(days=3))}
    assert error_codes(client_for(world, "admin").post("/collectives/alpha/strategy-revisions", future)) == {
        "future_date"
    }
    assert StrategyRevision.objects.count() == 1
    assert client_for(world, "anonymous").get("/collectives/alpha/strategy-revisions").json()["items"] == []
    timeline = client_for(world, "member").get("/collectives/alpha/timeline").json()
    assert [e["kind"] for e in timeline] == ["strategy"]
    assert timeline[0]["title"] == "Mentoring stage added"
