"""Collective pathways: the API router mounted under /api/v1/.

Pathways and their stages, version history, group progress (list, history, submit, verify, reject,
move back, batch updates for a subtree), the funnel, strategy revisions and the timeline. Handlers are
thin: parse, call one access function, service or selector. Writes honour `Idempotency-Key`.
"""

from __future__ import annotations

from typing import Any

from ninja import Query, Router, Status

from minga.architecture.access import access_collective, access_group, access_group_set
from minga.architecture.models import Group
from minga.core.api_support import (
    ERROR_RESPONSES,
    ApiRequest,
    Page,
    PageParams,
    fields_as,
    idempotent,
    paginate,
    reference,
)
from minga.measurement.access import access_indicator
from minga.pathways import selectors, services
from minga.pathways.access import access_condition, access_entry, access_pathway, access_stage
from minga.pathways.models import (
    GroupProgress,
    Pathway,
    ProgressEntry,
    Stage,
    StageCondition,
    StrategyRevision,
)
from minga.pathways.schemas import (
    BatchIn,
    BatchOut,
    ConditionIn,
    ConditionOut,
    EntryFilters,
    EntryOut,
    FunnelFilters,
    FunnelOut,
    MoveBackIn,
    PathwayDetailOut,
    PathwayIn,
    PathwayOut,
    PathwayPatch,
    ProgressFilters,
    ProgressOut,
    PublishIn,
    RejectIn,
    StageIn,
    StageOrderIn,
    StageOut,
    StagePatch,
    StrategyRevisionIn,
    StrategyRevisionOut,
    SubmitIn,
    TimelineEventOut,
    VersionOut,
)

router = Router(tags=["pathways"])

PATHWAY_FIELDS = {"owner": "owner_id"}
PROGRESS_FIELDS = {"stage": "stage_id", "group": "group_id"}
STRATEGY_FIELDS = {"pathway": "pathway_id"}


def _owner(user: Any, collective: Any, owner_id: int | None) -> Group | None:
    if owner_id is None:
        return None
    return reference("owner_id", access_group, user, owner_id, collective=collective)


# --- pathways -------------------------------------------------------------------------------------


@router.get("/collectives/{slug}/pathways", response={200: Page[PathwayOut], **ERROR_RESPONSES})
def list_pathways(request: ApiRequest, slug: str, params: Query[PageParams]) -> dict[str, Any]:
    """The collective's pathways you can see (drafts: backbone admins only)."""
    collective = access_collective(request.auth, slug)
    qs = Pathway.objects.visible_to(request.auth).filter(collective=collective).select_related("collective")
    return paginate(qs, params, keys=("name", "id"))


@router.post("/collectives/{slug}/pathways", response={201: PathwayDetailOut, **ERROR_RESPONSES})
@idempotent
def create_pathway(request: ApiRequest, slug: str, payload: PathwayIn) -> Status[Pathway]:
    """Create a draft pathway (backbone admins)."""
    user = request.auth
    collective = access_collective(user, slug)
    fields = payload.model_dump(exclude={"owner_id"})
    owner = _owner(user, collective, payload.owner_id)
    with fields_as(PATHWAY_FIELDS):
        pathway = services.pathway_create(actor=user, collective=collective, owner=owner, **fields)
    return Status(201, pathway)


@router.get("/pathways/{pathway_id}", response={200: PathwayDetailOut, **ERROR_RESPONSES})
def get_pathway(request: ApiRequest, pathway_id: int) -> Pathway:
    return access_pathway(request.auth, pathway_id)


@router.patch("/pathways/{pathway_id}", response={200: PathwayDetailOut, **ERROR_RESPONSES})
@idempotent
def update_pathway(request: ApiRequest, pathway_id: int, payload: PathwayPatch) -> Pathway:
    """Change texts or settings; a published pathway records a new version."""
    user = request.auth
    pathway = access_pathway(user, pathway_id, for_edit=True)
    changes = payload.model_dump(exclude_unset=True, exclude={"note"})
    if "owner_id" in changes:
        changes["owner"] = _owner(user, pathway.collective, changes.pop("owner_id"))
    with fields_as(PATHWAY_FIELDS):
        return services.pathway_update(actor=user, pathway=pathway, note=payload.note, **changes)


@router.post("/pathways/{pathway_id}/publish", response={200: PathwayDetailOut, **ERROR_RESPONSES})
@idempotent
def publish_pathway(request: ApiRequest, pathway_id: int, payload: PublishIn) -> Pathway:
    pathway = access_pathway(request.auth, pathway_id, for_edit=True)
    return services.pathway_publish(actor=request.auth, pathway=pathway, note=payload.note)


@router.get("/pathways/{pathway_id}/versions", response={200: list[VersionOut], **ERROR_RESPONSES})
def list_versions(request: ApiRequest, pathway_id: int) -> list[dict[str, Any]]:
    """Every version, newest first, with its diff against the one before."""
    pathway = access_pathway(request.auth, pathway_id)
    return [
        {
            "number": c.version.number,
            "note": c.version.note,
            "created_at": c.version.created_at,
            "snapshot": c.version.snapshot,
            "diff": [[line.kind, line.text] for line in c.lines],
        }
        for c in selectors.version_history(pathway)
    ]


# --- stages ---------------------------------------------------------------------------------------


@router.get("/pathways/{pathway_id}/stages", response={200: list[StageOut], **ERROR_RESPONSES})
def list_stages(request: ApiRequest, pathway_id: int) -> Any:
    pathway = access_pathway(request.auth, pathway_id)
    return pathway.stages.order_by("order", "id").prefetch_related("conditions__indicator")


@router.post("/pathways/{pathway_id}/stages", response={201: StageOut, **ERROR_RESPONSES})
@idempotent
def create_stage(request: ApiRequest, pathway_id: int, payload: StageIn) -> Status[Stage]:
    pathway = access_pathway(request.auth, pathway_id, for_edit=True)
    return Status(201, services.stage_create(actor=request.auth, pathway=pathway, **payload.model_dump()))


@router.patch("/stages/{stage_id}", response={200: StageOut, **ERROR_RESPONSES})
@idempotent
def update_stage(request: ApiRequest, stage_id: int, payload: StagePatch) -> Stage:
    stage = access_stage(request.auth, stage_id, for_edit=True)
    return services.stage_update(actor=request.auth, stage=stage, **payload.model_dump(exclude_unset=True))


@router.delete("/stages/{stage_id}", response={204: None, **ERROR_RESPONSES})
@idempotent
def delete_stage(request: ApiRequest, stage_id: int) -> Status[None]:
    stage = access_stage(request.auth, stage_id, for_edit=True)
    services.stage_delete(actor=request.auth, stage=stage)
    return Status(204, None)


@router.post("/stages/{stage_id}/conditions", response={201: ConditionOut, **ERROR_RESPONSES})
@idempotent
def add_condition(request: ApiRequest, stage_id: int, payload: ConditionIn) -> Status[StageCondition]:
    """Add an indicator condition to a stage, e.g. members_active ≥ 20 in each of the last 3 periods."""
    user = request.auth
    stage = access_stage(user, stage_id, for_edit=True)
    indicator = reference("indicator_id", access_indicator, user, payload.indicator_id)
    with fields_as({"indicator": "indicator_id"}):
        condition = services.stage_condition_add(
            actor=user,
            stage=stage,
            indicator=indicator,
            comparison=payload.comparison,
            threshold=payload.threshold,
            periods=payload.periods,
        )
    return Status(201, condition)


@router.delete("/conditions/{condition_id}", response={204: None, **ERROR_RESPONSES})
@idempotent
def remove_condition(request: ApiRequest, condition_id: int) -> Status[None]:
    condition = access_condition(request.auth, condition_id, for_edit=True)
    services.stage_condition_remove(actor=request.auth, condition=condition)
    return Status(204, None)


@router.post("/pathways/{pathway_id}/stages/order", response={200: list[StageOut], **ERROR_RESPONSES})
@idempotent
def reorder_stages(request: ApiRequest, pathway_id: int, payload: StageOrderIn) -> list[Stage]:
    pathway = access_pathway(request.auth, pathway_id, for_edit=True)
    return services.stage_reorder(actor=request.auth, pathway=pathway, stage_ids=payload.stage_ids)


# --- progress -------------------------------------------------------------------------------------


@router.get("/pathways/{pathway_id}/progress", response={200: Page[ProgressOut], **ERROR_RESPONSES})
def list_progress(request: ApiRequest, pathway_id: int, filters: Query[ProgressFilters]) -> dict[str, Any]:
    """Where each group you can see stands on the pathway."""
    user = request.auth
    pathway = access_pathway(user, pathway_id)
    qs = GroupProgress.objects.visible_to(user).filter(pathway=pathway).select_related("group", "stage")
    if filters.within is not None:
        qs = qs.within(access_group(user, filters.within))
    if filters.stage is not None:
        qs = qs.filter(stage_id=filters.stage)
    if filters.set is not None:
        qs = qs.filter(group__sets=access_group_set(user, filters.set))
    return paginate(qs, filters, keys=("id",))


@router.get("/pathways/{pathway_id}/entries", response={200: Page[EntryOut], **ERROR_RESPONSES})
def list_entries(request: ApiRequest, pathway_id: int, filters: Query[EntryFilters]) -> dict[str, Any]:
    """History rows, with their evidence, of the groups you act for: your own group (leads), your
    subtree (coordinators), all (admins). `status=pending`: the moves waiting for verification."""
    user = request.auth
    pathway = access_pathway(user, pathway_id)
    # Evidence may name people: like the journey page, show it only to those who may act for the group.
    qs = ProgressEntry.objects.visible_to(user).filter(
        pathway=pathway, group__in=Group.objects.editable_by(user).values("id")
    )
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.group is not None:
        qs = qs.filter(group=access_group(user, filters.group))
    return paginate(qs, filters, keys=("id",))


@router.post("/pathways/{pathway_id}/progress/submit", response={201: EntryOut, **ERROR_RESPONSES})
@idempotent
def submit_progress(request: ApiRequest, pathway_id: int, payload: SubmitIn) -> Status[ProgressEntry]:
    """Move a group into its next stage with evidence; pending when the stage needs verification."""
    user = request.auth
    pathway = access_pathway(user, pathway_id)
    group = reference("group_id", access_group, user, payload.group_id, collective=pathway.collective)
    stage = reference("stage_id", access_stage, user, payload.stage_id, pathway=pathway)
    with fields_as(PROGRESS_FIELDS):
        entry = services.progress_submit(
            actor=user,
            pathway=pathway,
            group=group,
            stage=stage,
            evidence=payload.evidence,
            links=payload.links,
            checklist=payload.checklist,
            entered_on=payload.entered_on,
        )
    return Status(201, entry)


@router.post("/entries/{entry_id}/verify", response={200: EntryOut, **ERROR_RESPONSES})
@idempotent
def verify_entry(request: ApiRequest, entry_id: int) -> ProgressEntry:
    entry = access_entry(request.auth, entry_id, for_verify=True)
    return services.progress_verify(actor=request.auth, entry=entry)


@router.post("/entries/{entry_id}/reject", response={200: EntryOut, **ERROR_RESPONSES})
@idempotent
def reject_entry(request: ApiRequest, entry_id: int, payload: RejectIn) -> ProgressEntry:
    entry = access_entry(request.auth, entry_id, for_verify=True)
    return services.progress_reject(actor=request.auth, entry=entry, reason=payload.reason)


@router.post("/pathways/{pathway_id}/progress/move-back", response={201: EntryOut, **ERROR_RESPONSES})
@idempotent
def move_back(request: ApiRequest, pathway_id: int, payload: MoveBackIn) -> Status[ProgressEntry]:
    user = request.auth
    pathway = access_pathway(user, pathway_id)
    group = reference("group_id", access_group, user, payload.group_id, collective=pathway.collective)
    stage = reference("stage_id", access_stage, user, payload.stage_id, pathway=pathway)
    with fields_as(PROGRESS_FIELDS):
        entry = services.progress_move_back(
            actor=user,
            pathway=pathway,
            group=group,
            stage=stage,
            reason=payload.reason,
            entered_on=payload.entered_on,
        )
    return Status(201, entry)


@router.post("/pathways/{pathway_id}/progress/batch", response={200: BatchOut, **ERROR_RESPONSES})
@idempotent
def batch_progress(request: ApiRequest, pathway_id: int, payload: BatchIn) -> dict[str, int]:
    """Record many groups of a subtree at a stage at once (coordinators of it, admins). Send an
    `Idempotency-Key` so a retried batch is not recorded twice."""
    user = request.auth
    pathway = access_pathway(user, pathway_id)
    within = reference("within", access_group, user, payload.within, collective=pathway.collective)
    stage = reference("stage_id", access_stage, user, payload.stage_id, pathway=pathway)
    with fields_as(PROGRESS_FIELDS):
        moved = services.progress_bulk_set(
            actor=user,
            pathway=pathway,
            within=within,
            stage=stage,
            note=payload.note,
            group_ids=payload.group_ids,
            layer=payload.layer,
            entered_on=payload.entered_on,
        )
    return {"moved": moved}


@router.get("/pathways/{pathway_id}/funnel", response={200: FunnelOut, **ERROR_RESPONSES})
def get_funnel(request: ApiRequest, pathway_id: int, filters: Query[FunnelFilters]) -> dict[str, Any]:
    """Groups per stage (now and reached), pending moves and median days per stage, for the groups you
    can see, within a subtree and/or a group set."""
    user = request.auth
    pathway = access_pathway(user, pathway_id)
    within = access_group(user, filters.within, collective=pathway.collective) if filters.within else None
    group_set = access_group_set(user, filters.set) if filters.set else None
    return selectors.pathway_funnel(user, pathway, selectors.GroupFilter(within, group_set)).as_dict()


# --- strategy -------------------------------------------------------------------------------------


@router.get(
    "/collectives/{slug}/strategy-revisions", response={200: Page[StrategyRevisionOut], **ERROR_RESPONSES}
)
def list_strategy_revisions(request: ApiRequest, slug: str, params: Query[PageParams]) -> dict[str, Any]:
    collective = access_collective(request.auth, slug)
    qs = StrategyRevision.objects.visible_to(request.auth).filter(collective=collective)
    return paginate(qs, params, keys=("id",))


@router.post("/collectives/{slug}/strategy-revisions", response={201: StrategyRevisionOut, **ERROR_RESPONSES})
@idempotent
def create_strategy_revision(
    request: ApiRequest, slug: str, payload: StrategyRevisionIn
) -> Status[StrategyRevision]:
    user = request.auth
    collective = access_collective(user, slug)
    fields = payload.model_dump(exclude={"pathway_id"})
    if payload.pathway_id is not None:
        fields["pathway"] = reference(
            "pathway_id", access_pathway, user, payload.pathway_id, collective=collective
        )
    with fields_as(STRATEGY_FIELDS):
        revision = services.strategy_revision_create(actor=user, collective=collective, **fields)
    return Status(201, revision)


@router.get("/collectives/{slug}/timeline", response={200: list[TimelineEventOut], **ERROR_RESPONSES})
def get_timeline(request: ApiRequest, slug: str, kind: str | None = None) -> list[dict[str, Any]]:
    """Strategy revisions and pathway versions, newest first (`kind`: strategy or pathway)."""
    collective = access_collective(request.auth, slug)
    events = selectors.strategy_timeline(request.auth, collective, kinds={kind} if kind else None)
    return [
        {
            "on": e.on,
            "kind": e.kind,
            "title": e.title,
            "body": [list(pair) for pair in e.body],
            "url": e.url,
            "link": e.link,
        }
        for e in events
    ]
