"""The pathways part of the demo: a published pathway, a consistent two-year history, pending moves."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db.models import Count, Q

from minga.demo.generate import demo_collective, generate_demo
from minga.pathways.models import GroupProgress, Pathway, ProgressEntry, StrategyRevision

TODAY = dt.date(2026, 3, 1)


@pytest.fixture
def demo(db: Any) -> None:
    generate_demo(size="tiny", seed=7, today=TODAY, with_metrics=False)


def test_demo_pathway_is_published_with_five_stages_and_a_version_history(demo):
    pathway = Pathway.objects.get(collective=demo_collective())
    assert pathway.is_published
    assert list(pathway.stages.order_by("order").values_list("name", flat=True)) == [
        "Forming",
        "Trained",
        "Running activities",
        "Mentoring others",
        "Self-sustaining",
    ]
    assert pathway.versions.count() == pathway.version == 6
    assert StrategyRevision.objects.filter(collective=pathway.collective).count() == 8
    dates = sorted(pathway.versions.values_list("created_at", flat=True))
    assert dates[0].date() == TODAY - dt.timedelta(days=720)


def test_demo_history_is_consistent(demo):
    pathway = Pathway.objects.get(collective=demo_collective())
    progress = GroupProgress.objects.filter(pathway=pathway)
    assert progress.count() > 10
    open_rows = ProgressEntry.objects.filter(pathway=pathway, status="accepted", left_on__isnull=True)
    assert open_rows.count() == progress.count()  # exactly one open row per group
    for row in progress.select_related("stage"):
        current = open_rows.get(progress=row)
        assert current.stage_id == row.stage_id and current.entered_on == row.stage_entered_on
        assert row.started_on <= row.stage_entered_on <= TODAY
    assert not ProgressEntry.objects.filter(pathway=pathway, entered_on__gt=TODAY).exists()
    pending = ProgressEntry.objects.filter(pathway=pathway, status="pending")
    assert pending.count() >= 4
    assert all(e.stage.requires_verification for e in pending.select_related("stage"))
    per_progress = pending.values("progress").annotate(n=Count("id")).filter(n__gt=1)
    assert not per_progress.exists()
    stages_reached = set(progress.values_list("stage__order", flat=True))
    assert len(stages_reached) >= 3
    assert ProgressEntry.objects.filter(pathway=pathway).filter(~Q(kind="start")).exists()
