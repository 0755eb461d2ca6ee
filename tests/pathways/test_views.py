"""Pathway pages for each kind of viewer: visitor, member, coordinator of another region, admin of
another collective, and the collective's admin; the forms end to end; query-count pins."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from minga.core.choices import Visibility
from minga.pathways.models import GroupProgress, Pathway, ProgressEntry, StrategyRevision
from minga.pathways.services import pathway_update
from tests.factories.architecture import make_group
from tests.factories.pathways import make_pathway, place, stages_of

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"pathways:{name}", args=args)


@pytest.fixture
def pathway(world):
    return make_pathway(world.alpha, name="Neighbourhood pathway", vision="**Every** street organised.")


def test_list_and_detail_show_published_pathways_to_visitors_but_not_drafts(client, world, pathway):
    make_pathway(world.alpha, name="Secret draft", published=False)
    html = client.get(url("pathway_list", "alpha")).content.decode()
    assert "Neighbourhood pathway" in html and "Secret draft" not in html
    detail = client.get(url("pathway_detail", "alpha", pathway.pk)).content.decode()
    assert "<strong>Every</strong> street organised." in detail
    assert "Forming" in detail and "Verified by a coordinator" in detail
    assert "Edit texts" not in detail


def test_admin_sees_drafts_and_the_edit_actions(client, world, pathway):
    draft = make_pathway(world.alpha, name="Secret draft", published=False)
    client.force_login(world.admin)
    assert "Secret draft" in client.get(url("pathway_list", "alpha")).content.decode()
    html = client.get(url("pathway_detail", "alpha", draft.pk)).content.decode()
    assert "Publish" in html and "Add a stage" in html


@pytest.mark.parametrize("who", [None, "member", "coordinator_b", "beta_admin"])
def test_drafts_and_private_pathways_are_404_for_others(client, world, who):
    draft = make_pathway(world.alpha, name="Draft", published=False)
    private = make_pathway(world.alpha, name="Private", visibility=Visibility.PRIVATE)
    if who:
        client.force_login(getattr(world, who))
    assert client.get(url("pathway_detail", "alpha", draft.pk)).status_code == 404
    expected = 200 if who == "coordinator_b" else 404  # coordinators of the collective see private ones
    assert client.get(url("pathway_detail", "alpha", private.pk)).status_code == expected
    assert client.get(url("pathway_edit", "alpha", draft.pk)).status_code == 404


def test_admin_creates_adds_stages_and_publishes_through_the_forms(client, world):
    client.force_login(world.admin)
    response = client.post(
        url("pathway_create", "alpha"),
        {"name": "Youth pathway", "vision": "V", "language": "en", "visibility": "public"},
    )
    pathway = Pathway.objects.get(name="Youth pathway")
    assert response.status_code == 302
    bad = client.post(url("stage_create", "alpha", pathway.pk), {"name": "", "checklist": ""})
    assert bad.status_code == 422
    client.post(
        url("stage_create", "alpha", pathway.pk), {"name": "Forming", "checklist": "We meet\nWe have a name"}
    )
    client.post(url("stage_create", "alpha", pathway.pk), {"name": "Trained", "requires_verification": "on"})
    client.post(url("pathway_publish", "alpha", pathway.pk))
    pathway.refresh_from_db()
    assert pathway.is_published and pathway.version == 1
    assert stages_of(pathway)[0].checklist == ["We meet", "We have a name"]
    a, b = stages_of(pathway)
    client.post(url("stage_move", "alpha", pathway.pk, b.pk), {"direction": "up"})
    assert stages_of(pathway) == [b, a]
    pathway.refresh_from_db()
    assert pathway.version == 2


def test_version_history_shows_a_diff(client, world, pathway):
    pathway.versions.create(
        collective=world.alpha,
        number=1,
        snapshot={"name": pathway.name, "vision": "Old vision", "stages": []},
        created_at=timezone.now(),
    )
    Pathway.objects.filter(pk=pathway.pk).update(version=1)
    pathway.refresh_from_db()
    pathway_update(actor=world.admin, pathway=pathway, vision="New vision")
    html = client.get(url("pathway_detail", "alpha", pathway.pk)).content.decode()
    assert '<span class="remove">Old vision</span>' in html
    assert '<span class="add">New vision</span>' in html


# --- journey --------------------------------------------------------------------------------------


def test_lead_submits_evidence_and_coordinator_verifies_from_the_queue(client, world, pathway):
    first, trained, _ = stages_of(pathway)
    place(world.kibera, first)
    client.force_login(world.lead)
    page = url("journey", "alpha", pathway.pk, world.kibera.pk)
    html = client.get(page).content.decode()
    assert "Next: Trained" in html and "Send for verification" in html
    bad = client.post(page, {"evidence": "Trained!"})
    assert bad.status_code == 422 and "Confirm every entry criterion" in bad.content.decode()
    ok = client.post(
        page, {"evidence": "Trained!", "checklist": trained.checklist, "links": "https://example.org/x"}
    )
    assert ok.status_code == 302
    entry = ProgressEntry.objects.get(status="pending")
    assert "waiting for a coordinator" in client.get(page).content.decode()

    client.force_login(world.coordinator_b)
    assert "Trained!" not in client.get(url("verification_queue", "alpha", pathway.pk)).content.decode()
    assert client.post(url("entry_decide", "alpha", entry.pk), {"decision": "verify"}).status_code == 404

    client.force_login(world.coordinator_a)
    queue = client.get(url("verification_queue", "alpha", pathway.pk)).content.decode()
    assert "Trained!" in queue and "https://example.org/x" in queue
    client.post(url("entry_decide", "alpha", entry.pk), {"decision": "verify"})
    assert GroupProgress.objects.get(group=world.kibera).stage == trained


def test_coordinator_rejects_with_a_reason(client, world, pathway):
    first, trained, _ = stages_of(pathway)
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
    client.force_login(world.coordinator_a)
    client.post(url("entry_decide", "alpha", entry.pk), {"decision": "reject", "reason": "Send the list"})
    entry.refresh_from_db()
    assert entry.status == "rejected" and entry.reason == "Send the list"


def test_journey_hides_evidence_and_forms_from_visitors_and_members(client, world, pathway):
    world.kibera.visibility = Visibility.PUBLIC
    world.kibera.save()
    first = stages_of(pathway)[0]
    progress = place(world.kibera, first)
    progress.entries.update(evidence="Private notes", submitted_by=world.lead)
    page = url("journey", "alpha", pathway.pk, world.kibera.pk)
    for who in (None, world.member):
        client.logout()
        if who:
            client.force_login(who)
        html = client.get(page).content.decode()
        assert "Forming" in html and "Private notes" not in html and world.lead.email not in html
        assert "Move to" not in html and "Send for verification" not in html
        assert client.post(page, {"evidence": "x"}).status_code == 404


def test_private_group_journey_is_404_for_other_region(client, world, pathway):
    client.force_login(world.coordinator_b)
    assert client.get(url("journey", "alpha", pathway.pk, world.kibera.pk)).status_code == 404
    client.force_login(world.beta_admin)
    assert client.get(url("journey", "alpha", pathway.pk, world.kibera.pk)).status_code == 404


def test_journey_shows_peers_nearby_that_passed_the_next_stage(client, world, pathway):
    first, trained, _ = stages_of(pathway)
    place(world.kibera, first)
    sibling = make_group(world.alpha, parent=world.region_a, name="Mathare Mothers")
    cousin = make_group(world.alpha, parent=world.region_b, name="Likoni Youth")
    behind = make_group(world.alpha, parent=world.region_a, name="Kawangware Starters")
    place(sibling, trained)
    place(cousin, trained)
    place(behind, first)
    client.force_login(world.lead)
    html = client.get(url("journey", "alpha", pathway.pk, world.kibera.pk)).content.decode()
    assert "Mathare Mothers" in html and "same parent" in html
    assert "Likoni Youth" in html and "nearby" in html
    assert "Kawangware Starters" not in html


def test_move_back_from_the_journey_page(client, world, pathway):
    first, _, running = stages_of(pathway)
    place(world.kibera, running)
    client.force_login(world.lead)
    client.post(
        url("journey_move_back", "alpha", pathway.pk, world.kibera.pk),
        {"back-stage": first.pk, "back-reason": "Lost our facilitators"},
    )
    assert GroupProgress.objects.get(group=world.kibera).stage == first
    assert ProgressEntry.objects.get(kind="back").reason == "Lost our facilitators"


# --- funnel, bulk, timeline -----------------------------------------------------------------------


def _populate(world, pathway, n=12):
    first, trained, running = stages_of(pathway)
    today = timezone.localdate()
    for i in range(n):
        parent = world.region_a if i % 2 else world.region_b
        group = make_group(world.alpha, parent=parent, name=f"Group {i:02d}")
        place(group, (first, trained, running)[i % 3], on=today - dt.timedelta(days=40 * i))


def test_funnel_counts_groups_per_stage_with_chart_and_table(
    client, world, pathway, django_assert_max_num_queries
):
    _populate(world, pathway)
    client.force_login(world.admin)
    with django_assert_max_num_queries(19):
        response = client.get(url("funnel", "alpha", pathway.pk))
    html = response.content.decode()
    assert "<svg" in html and "Groups per stage" in html
    funnel = response.context["funnel"]
    assert [r.now for r in funnel.rows] == [4, 4, 4]
    assert [r.reached for r in funnel.rows] == [12, 8, 4]
    assert funnel.not_started == 2  # kibera and mombasa
    assert response.context["stalled_count"] > 0 and "Cohorts by start quarter" in html


def test_funnel_filters_by_subtree_and_counts_only_visible_groups(client, world, pathway):
    _populate(world, pathway)
    client.force_login(world.admin)
    response = client.get(url("funnel", "alpha", pathway.pk), {"within": world.region_a.pk})
    assert response.context["funnel"].groups == 7  # 6 new + kibera
    client.force_login(world.coordinator_b)
    # coordinator_b sees the public groups everywhere and the private ones of the coast only
    response = client.get(url("funnel", "alpha", pathway.pk))
    assert response.context["funnel"].groups == 13
    client.logout()
    assert client.get(url("funnel", "alpha", pathway.pk)).context["funnel"].groups == 12


def test_funnel_query_count_does_not_grow_with_groups(client, world, pathway, django_assert_max_num_queries):
    _populate(world, pathway, n=60)
    client.force_login(world.admin)
    with django_assert_max_num_queries(19):
        client.get(url("funnel", "alpha", pathway.pk), {"within": world.kenya.pk, "stalled_days": 30})


def test_list_page_query_count(client, world, django_assert_max_num_queries):
    for i in range(5):
        make_pathway(world.alpha, name=f"P{i}")
    client.force_login(world.admin)
    with django_assert_max_num_queries(9):
        response = client.get(url("pathway_list", "alpha"))
    assert response.content.decode().count("Funnel →") == 5


def test_bulk_update_is_for_coordinators_of_the_subtree(client, world, pathway):
    _populate(world, pathway)
    trained = stages_of(pathway)[1]
    client.force_login(world.lead)
    assert client.get(url("bulk_update", "alpha", pathway.pk)).status_code == 404
    client.force_login(world.coordinator_a)
    page = client.get(url("bulk_update", "alpha", pathway.pk)).content.decode()
    assert "Nairobi" in page and "Coast" not in page
    response = client.post(
        url("bulk_update", "alpha", pathway.pk),
        {"within": world.region_a.pk, "stage": trained.pk, "note": "Training roll"},
    )
    assert response.status_code == 302
    assert GroupProgress.objects.filter(group__parent=world.region_a, stage=trained).count() == 7
    bad = client.post(
        url("bulk_update", "alpha", pathway.pk),
        {"within": world.region_b.pk, "stage": trained.pk, "note": "x"},
    )
    assert bad.status_code == 422  # Coast is not among the choices


def test_timeline_shows_revisions_and_versions_to_members_only(client, world, pathway):
    StrategyRevision.objects.create(
        collective=world.alpha,
        decided_on=dt.date(2025, 5, 1),
        title="Mentoring becomes a stage",
        what_changed="Stage 4 added",
        why="Groups asked for it",
        decided_by="Backbone assembly",
    )
    pathway.versions.create(
        collective=world.alpha, number=1, snapshot={}, note="Published", created_at=timezone.now()
    )
    html = client.get(url("timeline", "alpha")).content.decode()
    assert "Mentoring becomes a stage" not in html  # collective-only revision
    assert "Neighbourhood pathway: version 1" in html
    client.force_login(world.member)
    html = client.get(url("timeline", "alpha")).content.decode()
    assert "Mentoring becomes a stage" in html and "Backbone assembly" in html
    client.force_login(world.beta_admin)
    assert "Mentoring becomes a stage" not in client.get(url("timeline", "alpha")).content.decode()


def test_admin_records_a_strategy_revision(client, world):
    client.force_login(world.coordinator_a)
    assert client.get(url("strategy_create", "alpha")).status_code == 404
    client.force_login(world.admin)
    response = client.post(
        url("strategy_create", "alpha"),
        {
            "decided_on": "2025-01-10",
            "title": "Cohorts start twice a year",
            "what_changed": "Two intakes",
            "why": "Coordinators overloaded",
            "decided_by": "Backbone team",
            "visibility": "collective",
        },
    )
    assert response.status_code == 302
    assert StrategyRevision.objects.get().title == "Cohorts start twice a year"
    bad = client.post(url("strategy_create", "alpha"), {"title": "x", "visibility": "collective"})
    assert bad.status_code == 422


def test_a_lead_asks_to_join_when_the_first_stage_needs_a_coordinator(client, world):
    pathway = make_pathway(world.alpha, name="Vetted path", stages=(("Vetted", ["Constitution"], True),))
    client.force_login(world.lead)
    page = url("journey", "alpha", pathway.pk, world.kibera.pk)
    html = client.get(page).content.decode()
    assert "has not started this pathway yet" in html and "Send for verification" in html
    assert client.post(page, {"checklist": ["Constitution"]}).status_code == 302
    assert "waiting for a coordinator" in client.get(page).content.decode()
    entry = ProgressEntry.objects.get(status="pending")
    client.force_login(world.coordinator_a)
    assert "Kibera" in client.get(url("verification_queue", "alpha", pathway.pk)).content.decode()
    client.post(url("entry_decide", "alpha", entry.pk), {"decision": "verify"})
    assert GroupProgress.objects.get(pathway=pathway, group=world.kibera).stage.name == "Vetted"
