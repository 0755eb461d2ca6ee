"""Pathway services: who may write, stage rules, verification, moving back, bulk updates, versions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from minga.core.errors import DomainError, NotFound
from minga.core.models import AuditEntry
from minga.pathways import services
from minga.pathways.models import GroupProgress, Pathway, ProgressEntry
from tests.factories.architecture import make_group
from tests.factories.pathways import make_pathway, place, stages_of

pytestmark = pytest.mark.django_db


def codes(error: DomainError) -> set[str]:
    return {p.code for p in error.problems}


# --- pathways and stages --------------------------------------------------------------------------


def test_admin_creates_and_publishes_a_pathway_with_a_first_version(world):
    pathway = services.pathway_create(actor=world.admin, collective=world.alpha, name=" Journey ", vision="V")
    assert pathway.name == "Journey" and pathway.status == Pathway.Status.DRAFT
    with pytest.raises(DomainError) as error:
        services.pathway_publish(actor=world.admin, pathway=pathway)
    assert codes(error.value) == {"no_stages"}
    services.stage_create(actor=world.admin, pathway=pathway, name="Forming", checklist=["We meet", " "])
    services.pathway_publish(actor=world.admin, pathway=pathway)
    pathway.refresh_from_db()
    assert pathway.is_published and pathway.version == 1
    version = pathway.versions.get()
    assert version.snapshot["stages"][0] == {
        "name": "Forming",
        "description": "",
        "checklist": ["We meet"],
        "requires_verification": False,
        "conditions": [],
    }
    actions = set(AuditEntry.objects.filter(collective=world.alpha).values_list("action", flat=True))
    assert {"pathway.create", "stage.create", "pathway.publish"} <= actions


@pytest.mark.parametrize("who", ["coordinator_a", "lead", "member", "beta_admin"])
def test_only_the_collectives_admins_write_pathways(world, who):
    with pytest.raises(NotFound):
        services.pathway_create(actor=getattr(world, who), collective=world.alpha, name="X")
    pathway = make_pathway(world.alpha)
    with pytest.raises(NotFound):
        services.pathway_update(actor=getattr(world, who), pathway=pathway, vision="new")
    with pytest.raises(NotFound):
        services.stage_create(actor=getattr(world, who), pathway=pathway, name="New")


def test_editing_a_published_pathway_adds_a_version_and_a_draft_edit_does_not(world):
    draft = make_pathway(world.alpha, published=False, name="Draft")
    services.pathway_update(actor=world.admin, pathway=draft, vision="changed")
    assert draft.versions.count() == 0
    pathway = make_pathway(world.alpha)
    services.pathway_update(actor=world.admin, pathway=pathway, vision="A new vision")
    services.pathway_update(actor=world.admin, pathway=pathway, vision="A new vision")  # no change
    stage = stages_of(pathway)[0]
    services.stage_update(actor=world.admin, stage=stage, checklist=["We meet monthly"])
    assert list(pathway.versions.order_by("number").values_list("number", "note")) == [
        (1, "Changed vision"),
        (2, "Changed the stage “Forming”"),
    ]


def test_pathway_names_are_unique_and_owner_must_belong_to_the_collective(world):
    make_pathway(world.alpha, name="Same")
    with pytest.raises(DomainError) as error:
        services.pathway_create(actor=world.admin, collective=world.alpha, name="Same")
    assert error.value.problems[0].field == "name"
    with pytest.raises(DomainError) as error:
        services.pathway_create(
            actor=world.admin, collective=world.alpha, name="Other", owner=world.beta_root
        )
    assert codes(error.value) == {"invalid_owner"}


def test_checklist_is_cleaned_and_bounded(world):
    pathway = make_pathway(world.alpha)
    with pytest.raises(DomainError) as error:
        services.stage_create(actor=world.admin, pathway=pathway, name="S", checklist=["a", "a"])
    assert codes(error.value) == {"duplicate"}
    with pytest.raises(DomainError) as error:
        services.stage_create(
            actor=world.admin, pathway=pathway, name="S", checklist=[str(i) for i in range(21)]
        )
    assert codes(error.value) == {"too_many"}


def test_reorder_needs_every_stage_once(world):
    pathway = make_pathway(world.alpha)
    a, b, c = stages_of(pathway)
    with pytest.raises(DomainError) as error:
        services.stage_reorder(actor=world.admin, pathway=pathway, stage_ids=[a.pk, b.pk])
    assert codes(error.value) == {"invalid_order"}
    services.stage_reorder(actor=world.admin, pathway=pathway, stage_ids=[c.pk, a.pk, b.pk])
    assert [s.pk for s in stages_of(pathway)] == [c.pk, a.pk, b.pk]


def test_a_stage_groups_entered_cannot_be_deleted(world):
    pathway = make_pathway(world.alpha)
    first, _, last = stages_of(pathway)
    place(world.kibera, first)
    with pytest.raises(DomainError) as error:
        services.stage_delete(actor=world.admin, stage=first)
    assert codes(error.value) == {"stage_in_use"}
    services.stage_delete(actor=world.admin, stage=last)
    assert len(stages_of(pathway)) == 2


# --- progress -------------------------------------------------------------------------------------


def test_lead_joins_the_first_stage_with_the_checklist(world):
    pathway = make_pathway(world.alpha)
    first = stages_of(pathway)[0]
    with pytest.raises(DomainError) as error:
        services.progress_submit(actor=world.lead, pathway=pathway, group=world.kibera, stage=first)
    assert codes(error.value) == {"checklist_incomplete"}
    entry = services.progress_submit(
        actor=world.lead, pathway=pathway, group=world.kibera, stage=first, checklist=["We meet regularly"]
    )
    assert entry.status == ProgressEntry.Status.ACCEPTED and entry.kind == ProgressEntry.Kind.START
    assert GroupProgress.objects.get(group=world.kibera).stage == first


def test_moving_forward_needs_the_next_stage_evidence_and_the_checklist(world):
    pathway = make_pathway(world.alpha)
    first, trained, running = stages_of(pathway)
    place(world.kibera, first)
    with pytest.raises(DomainError) as error:
        services.progress_submit(
            actor=world.lead, pathway=pathway, group=world.kibera, stage=running, links=["not a url"]
        )
    assert codes(error.value) == {
        "not_next_stage",
        "checklist_incomplete",
        "invalid_link",
        "evidence_required",
    }
    with pytest.raises(DomainError) as error:
        services.progress_submit(
            actor=world.lead,
            pathway=pathway,
            group=world.kibera,
            stage=trained,
            checklist=trained.checklist,
            evidence="done",
            entered_on=timezone.localdate() + dt.timedelta(days=1),
        )
    assert codes(error.value) == {"future_date"}


def test_a_stage_needing_verification_waits_for_a_coordinator_of_the_subtree(world):
    pathway = make_pathway(world.alpha)
    first, trained, _ = stages_of(pathway)
    place(world.kibera, first)
    entry = services.progress_submit(
        actor=world.lead,
        pathway=pathway,
        group=world.kibera,
        stage=trained,
        checklist=trained.checklist,
        evidence="Four facilitators trained",
        links=["https://example.org/photos"],
    )
    assert entry.status == ProgressEntry.Status.PENDING
    assert GroupProgress.objects.get(group=world.kibera).stage == first
    with pytest.raises(DomainError) as error:
        services.progress_submit(
            actor=world.lead,
            pathway=pathway,
            group=world.kibera,
            stage=trained,
            checklist=trained.checklist,
            evidence="x",
        )
    assert codes(error.value) == {"already_pending"}
    for outsider in (world.lead, world.member, world.coordinator_b, world.beta_admin):
        with pytest.raises(NotFound):
            services.progress_verify(actor=outsider, entry=entry)
    services.progress_verify(actor=world.coordinator_a, entry=entry)
    progress = GroupProgress.objects.get(group=world.kibera)
    assert progress.stage == trained
    entry.refresh_from_db()
    assert entry.verified_by == world.coordinator_a and entry.status == ProgressEntry.Status.ACCEPTED
    first_row = progress.entries.get(stage=first)
    assert first_row.left_on == entry.entered_on
    with pytest.raises(DomainError) as error:
        services.progress_verify(actor=world.coordinator_a, entry=entry)
    assert codes(error.value) == {"not_pending"}


def test_a_lead_asks_to_join_at_a_first_stage_that_needs_verification(world):
    pathway = make_pathway(world.alpha, stages=(("Vetted", ["We have a constitution"], True),))
    (vetted,) = stages_of(pathway)
    asked = services.progress_submit(
        actor=world.lead, pathway=pathway, group=world.kibera, stage=vetted, checklist=vetted.checklist
    )
    # The request waits; the group is not on the pathway until a coordinator accepts it.
    assert (asked.status, asked.kind, asked.progress) == (
        ProgressEntry.Status.PENDING,
        ProgressEntry.Kind.START,
        None,
    )
    assert not GroupProgress.objects.filter(pathway=pathway, group=world.kibera).exists()
    with pytest.raises(DomainError) as error:
        services.progress_submit(
            actor=world.lead, pathway=pathway, group=world.kibera, stage=vetted, checklist=vetted.checklist
        )
    assert codes(error.value) == {"already_pending"}
    services.progress_reject(actor=world.coordinator_a, entry=asked, reason="Send the constitution")
    again = services.progress_submit(
        actor=world.lead, pathway=pathway, group=world.kibera, stage=vetted, checklist=vetted.checklist
    )
    with pytest.raises(NotFound):
        services.progress_verify(actor=world.coordinator_b, entry=again)  # another region's coordinator
    services.progress_verify(actor=world.coordinator_a, entry=again)
    progress = GroupProgress.objects.get(pathway=pathway, group=world.kibera)
    again.refresh_from_db()
    assert progress.stage == vetted and progress.started_on == again.entered_on
    assert again.progress == progress and again.status == ProgressEntry.Status.ACCEPTED
    assert list(progress.entries.values_list("status", flat=True)) == [ProgressEntry.Status.ACCEPTED]


def test_a_coordinators_update_answers_a_waiting_request_to_join(world):
    pathway = make_pathway(world.alpha, stages=(("Vetted", [], True), ("Active", [], False)))
    vetted, active = stages_of(pathway)
    asked = services.progress_submit(actor=world.lead, pathway=pathway, group=world.kibera, stage=vetted)
    services.progress_bulk_set(
        actor=world.coordinator_a, pathway=pathway, within=world.region_a, stage=active, note="Census"
    )
    asked.refresh_from_db()
    assert asked.status == ProgressEntry.Status.REJECTED and "coordinator" in asked.reason
    assert GroupProgress.objects.get(pathway=pathway, group=world.kibera).stage == active
    assert not ProgressEntry.objects.filter(pathway=pathway, status=ProgressEntry.Status.PENDING).exists()


def test_a_coordinators_own_submission_counts_as_verified(world):
    pathway = make_pathway(world.alpha)
    first, trained, _ = stages_of(pathway)
    place(world.kibera, first)
    entry = services.progress_submit(
        actor=world.coordinator_a,
        pathway=pathway,
        group=world.kibera,
        stage=trained,
        checklist=trained.checklist,
        evidence="Seen it myself",
    )
    assert entry.status == ProgressEntry.Status.ACCEPTED and entry.verified_by == world.coordinator_a


def test_rejection_needs_a_reason_and_leaves_the_group_where_it_was(world):
    pathway = make_pathway(world.alpha)
    first, trained, _ = stages_of(pathway)
    place(world.kibera, first)
    entry = services.progress_submit(
        actor=world.lead,
        pathway=pathway,
        group=world.kibera,
        stage=trained,
        checklist=trained.checklist,
        evidence="x",
    )
    with pytest.raises(DomainError) as error:
        services.progress_reject(actor=world.admin, entry=entry, reason="  ")
    assert codes(error.value) == {"reason_required"}
    services.progress_reject(actor=world.admin, entry=entry, reason="Send the attendance list")
    entry.refresh_from_db()
    assert entry.status == ProgressEntry.Status.REJECTED
    assert GroupProgress.objects.get(group=world.kibera).stage == first
    # and the group may try again
    again = services.progress_submit(
        actor=world.lead,
        pathway=pathway,
        group=world.kibera,
        stage=trained,
        checklist=trained.checklist,
        evidence="list",
    )
    assert again.status == ProgressEntry.Status.PENDING


@pytest.mark.parametrize("who", ["member", "coordinator_b", "beta_admin"])
def test_outsiders_cannot_submit_progress(world, who):
    pathway = make_pathway(world.alpha)
    first = stages_of(pathway)[0]
    with pytest.raises(NotFound):
        services.progress_submit(
            actor=getattr(world, who),
            pathway=pathway,
            group=world.kibera,
            stage=first,
            checklist=first.checklist,
        )


def test_a_draft_pathway_cannot_be_travelled(world):
    pathway = make_pathway(world.alpha, published=False)
    first = stages_of(pathway)[0]
    with pytest.raises(DomainError) as error:
        services.progress_submit(
            actor=world.lead, pathway=pathway, group=world.kibera, stage=first, checklist=first.checklist
        )
    assert codes(error.value) == {"not_published"}


def test_moving_back_needs_an_earlier_stage_and_a_reason_and_keeps_history(world):
    pathway = make_pathway(world.alpha)
    _first, trained, running = stages_of(pathway)
    progress = place(world.kibera, running)
    with pytest.raises(DomainError) as error:
        services.progress_move_back(
            actor=world.lead, pathway=pathway, group=world.kibera, stage=running, reason=""
        )
    assert codes(error.value) == {"not_earlier", "reason_required"}
    entry = services.progress_move_back(
        actor=world.lead, pathway=pathway, group=world.kibera, stage=trained, reason="Facilitators left"
    )
    progress.refresh_from_db()
    assert progress.stage == trained and entry.kind == ProgressEntry.Kind.BACK
    assert [e.stage for e in progress.entries.order_by("id")] == [running, trained]
    assert progress.entries.get(stage=running).left_on == entry.entered_on


def test_bulk_set_moves_a_subtree_set_based_and_skips_groups_already_there(
    world, django_assert_max_num_queries
):
    pathway = make_pathway(world.alpha)
    first, trained, _ = stages_of(pathway)
    extra = [make_group(world.alpha, parent=world.region_a, name=f"G{i}") for i in range(20)]
    place(world.kibera, trained)
    place(extra[0], first, on=timezone.localdate() - dt.timedelta(days=100))
    with django_assert_max_num_queries(20):
        moved = services.progress_bulk_set(
            actor=world.coordinator_a,
            pathway=pathway,
            within=world.region_a,
            stage=trained,
            note="Training roll",
        )
    assert moved == 20  # kibera was already there; the 19 new ones join, extra[0] moves
    assert GroupProgress.objects.filter(pathway=pathway, stage=trained).count() == 21
    assert ProgressEntry.objects.get(group=extra[0], stage=first).left_on == timezone.localdate()
    assert not GroupProgress.objects.filter(group=world.mombasa).exists()
    with pytest.raises(NotFound):
        services.progress_bulk_set(
            actor=world.coordinator_b, pathway=pathway, within=world.region_a, stage=trained, note="x"
        )
    with pytest.raises(DomainError) as error:
        services.progress_bulk_set(
            actor=world.admin,
            pathway=pathway,
            within=world.region_a,
            stage=trained,
            note="",
            group_ids=[world.mombasa.pk],
        )
    assert codes(error.value) == {"note_required"}
    with pytest.raises(DomainError) as error:
        services.progress_bulk_set(
            actor=world.admin,
            pathway=pathway,
            within=world.region_a,
            stage=trained,
            note="x",
            group_ids=[world.mombasa.pk],
        )
    assert codes(error.value) == {"outside_subtree"}


def test_strategy_revision_is_the_admins_and_dated_in_the_past(world):
    today = timezone.localdate()
    with pytest.raises(NotFound):
        services.strategy_revision_create(
            actor=world.coordinator_a,
            collective=world.alpha,
            decided_on=today,
            title="t",
            what_changed="w",
            why="y",
            decided_by="b",
        )
    with pytest.raises(DomainError) as error:
        services.strategy_revision_create(
            actor=world.admin,
            collective=world.alpha,
            decided_on=today + dt.timedelta(days=2),
            title="t",
            what_changed="",
            why="y",
            decided_by="b",
        )
    assert {"future_date"} <= codes(error.value)
    revision = services.strategy_revision_create(
        actor=world.admin,
        collective=world.alpha,
        decided_on=today,
        title="Focus on mentoring",
        what_changed="Stage 4 added",
        why="Groups asked",
        decided_by="Backbone assembly",
    )
    assert AuditEntry.objects.for_object(revision).get().action == "strategy.create"


def test_bulk_set_writes_complete_history_rows_and_supersedes_pending_moves(world):
    pathway = make_pathway(world.alpha)
    first, trained, running = stages_of(pathway)
    ahead = make_group(world.alpha, parent=world.region_a, name="Ahead")
    behind = make_group(world.alpha, parent=world.region_a, name="Behind")
    fresh = make_group(world.alpha, parent=world.region_a, name="Fresh")
    place(ahead, running)
    progress = place(behind, first)
    ProgressEntry.objects.create(
        pathway=pathway,
        group=behind,
        progress=progress,
        stage=trained,
        kind="forward",
        status="pending",
        entered_on=timezone.localdate(),
        submitted_at=timezone.now(),
    )
    day = timezone.localdate() - dt.timedelta(days=1)
    moved = services.progress_bulk_set(
        actor=world.admin,
        pathway=pathway,
        within=world.region_a,
        stage=trained,
        note="Roll call",
        entered_on=day,
    )
    assert moved == 4  # ahead (back), behind (bulk), fresh and kibera (start)
    rows = {e.group_id: e for e in ProgressEntry.objects.filter(stage=trained, status="accepted")}
    assert rows[ahead.pk].kind == "back" and rows[ahead.pk].reason == "Roll call"
    assert rows[behind.pk].kind == "bulk" and rows[behind.pk].reason == ""
    assert rows[fresh.pk].kind == rows[world.kibera.pk].kind == "start"
    entry = rows[fresh.pk]
    assert entry.entered_on == day and entry.left_on is None and entry.evidence == "Roll call"
    assert entry.checklist == trained.checklist and entry.links == []
    assert entry.verified_by == world.admin and entry.submitted_by == world.admin
    assert entry.verified_at is not None and entry.submitted_at is not None
    assert GroupProgress.objects.get(group=fresh).started_on == day
    assert ProgressEntry.objects.get(group=behind, stage=first).left_on == day
    assert ProgressEntry.objects.get(group=behind, kind="forward").status == "rejected"
    assert not ProgressEntry.objects.filter(status="pending").exists()


def test_a_pathways_language_is_a_language_tag_in_canonical_case(world):
    pathway = services.pathway_create(
        actor=world.admin, collective=world.alpha, name="Camino", language="ES-419"
    )
    assert pathway.language == "es-419"
    with pytest.raises(DomainError) as error:
        services.pathway_update(actor=world.admin, pathway=pathway, language="Spanish please")
    assert [p.field for p in error.value.problems] == ["language"]
    pathway.refresh_from_db()
    assert pathway.language == "es-419"
