"""Factories for pathways: a published pathway with stages, and a group placed on it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from minga.architecture.models import Group
from minga.core.models import Collective
from minga.pathways.models import GroupProgress, Pathway, ProgressEntry, Stage

STAGES: tuple[tuple[str, list[str], bool], ...] = (
    ("Forming", ["We meet regularly"], False),
    ("Trained", ["Our facilitators took the training"], True),
    ("Running activities", ["We ran an activity"], False),
)


def make_pathway(
    collective: Collective,
    *,
    stages: tuple[tuple[str, list[str], bool], ...] = STAGES,
    published: bool = True,
    **fields: Any,
) -> Pathway:
    """A pathway with `stages` (name, checklist, requires_verification), inserted directly."""
    pathway = Pathway.objects.create(
        collective=collective,
        name=fields.pop("name", "Our pathway"),
        vision=fields.pop("vision", "Every neighbourhood organised."),
        status=Pathway.Status.PUBLISHED if published else Pathway.Status.DRAFT,
        **fields,
    )
    for order, (name, checklist, verify) in enumerate(stages):
        Stage.objects.create(
            pathway=pathway, order=order, name=name, checklist=checklist, requires_verification=verify
        )
    return pathway


def place(group: Group, stage: Stage, *, on: dt.date | None = None) -> GroupProgress:
    """Put `group` at `stage` (with one history row), bypassing the rules."""
    day = on or timezone.localdate() - dt.timedelta(days=30)
    progress = GroupProgress.objects.create(
        pathway=stage.pathway, group=group, stage=stage, started_on=day, stage_entered_on=day
    )
    ProgressEntry.objects.create(
        pathway=stage.pathway,
        group=group,
        progress=progress,
        stage=stage,
        kind=ProgressEntry.Kind.START,
        entered_on=day,
        submitted_at=timezone.now(),
    )
    return progress


def stages_of(pathway: Pathway) -> list[Stage]:
    return list(pathway.stages.order_by("order"))
