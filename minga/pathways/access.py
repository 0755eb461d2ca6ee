"""One access function per object type of pathways. Missing and forbidden look the same (NotFound)."""

from __future__ import annotations

from typing import Any

from minga.core.errors import NotFound
from minga.core.models import Collective
from minga.pathways.models import Pathway, ProgressEntry, Stage, StageCondition, StrategyRevision


def access_pathway(
    user: Any, pathway_id: int, *, collective: Collective | None = None, for_edit: bool = False
) -> Pathway:
    """The pathway `user` may see (or edit: backbone admins), within `collective` when given."""
    qs = Pathway.objects.editable_by(user) if for_edit else Pathway.objects.visible_to(user)
    if collective is not None:
        qs = qs.filter(collective=collective)
    obj = qs.select_related("collective", "owner").filter(pk=pathway_id).first()
    if obj is None:
        raise NotFound("pathway")
    return obj


def access_stage(
    user: Any, stage_id: int, *, pathway: Pathway | None = None, for_edit: bool = False
) -> Stage:
    """A stage of a pathway `user` may see (or edit)."""
    pathways = Pathway.objects.editable_by(user) if for_edit else Pathway.objects.visible_to(user)
    qs = Stage.objects.filter(pathway__in=pathways)
    if pathway is not None:
        qs = qs.filter(pathway=pathway)
    obj = qs.select_related("pathway__collective").filter(pk=stage_id).first()
    if obj is None:
        raise NotFound("stage")
    return obj


def access_entry(user: Any, entry_id: int, *, for_verify: bool = False) -> ProgressEntry:
    """A history row `user` may see, or (for_verify) a pending one they may verify."""
    qs = ProgressEntry.objects.verifiable_by(user) if for_verify else ProgressEntry.objects.visible_to(user)
    obj = qs.select_related("pathway__collective", "group", "stage").filter(pk=entry_id).first()
    if obj is None:
        raise NotFound("progress entry")
    return obj


def access_strategy_revision(user: Any, revision_id: int, *, for_edit: bool = False) -> StrategyRevision:
    qs = StrategyRevision.objects.editable_by(user) if for_edit else StrategyRevision.objects.visible_to(user)
    obj = qs.select_related("collective", "pathway").filter(pk=revision_id).first()
    if obj is None:
        raise NotFound("strategy revision")
    return obj


def access_condition(user: Any, condition_id: int, *, for_edit: bool = False) -> StageCondition:
    """An indicator condition of a stage of a pathway `user` may see (or edit)."""
    pathways = Pathway.objects.editable_by(user) if for_edit else Pathway.objects.visible_to(user)
    obj = (
        StageCondition.objects.filter(stage__pathway__in=pathways)
        .select_related("stage__pathway__collective", "indicator")
        .filter(pk=condition_id)
        .first()
    )
    if obj is None:
        raise NotFound("condition")
    return obj
