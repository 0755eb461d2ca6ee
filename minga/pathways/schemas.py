"""Request and response shapes of the pathways API."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

from minga.core.api_support import PageParams
from minga.core.choices import Visibility


class ConditionOut(Schema):
    id: int
    indicator_id: int
    indicator: str = Field(description="The indicator's code.")
    comparison: str = Field(description="gte (at least) or lte (at most).")
    threshold: float
    periods: int
    text: str

    @staticmethod
    def resolve_indicator(obj: object) -> str:
        return obj.indicator.code  # type: ignore[attr-defined]

    @staticmethod
    def resolve_text(obj: object) -> str:
        return obj.describe()  # type: ignore[attr-defined]


class ConditionIn(Schema):
    indicator_id: int
    comparison: Literal["gte", "lte"] = "gte"
    threshold: float
    periods: int = Field(1, ge=1, le=24)


class StageOut(Schema):
    id: int
    pathway_id: int
    order: int
    name: str
    description: str
    checklist: list[str]
    requires_verification: bool
    conditions: list[ConditionOut]

    @staticmethod
    def resolve_conditions(obj: object) -> list[object]:
        return list(obj.conditions.all())  # type: ignore[attr-defined]


class StageIn(Schema):
    name: str = Field(max_length=120)
    description: str = ""
    checklist: list[str] = Field(default_factory=list)
    requires_verification: bool = False


class StagePatch(Schema):
    name: str | None = Field(None, max_length=120)
    description: str | None = None
    checklist: list[str] | None = None
    requires_verification: bool | None = None


class StageOrderIn(Schema):
    stage_ids: list[int] = Field(description="Every stage of the pathway, in the new order.")


class PathwayOut(Schema):
    id: int
    collective: str = Field(description="The collective's slug.")
    name: str
    summary: str
    vision: str
    principles: str
    methods: str
    practices: str
    language: str
    owner_id: int | None
    status: str
    visibility: str
    version: int
    published_at: dt.datetime | None
    updated_at: dt.datetime

    @staticmethod
    def resolve_collective(obj: object) -> str:
        return obj.collective.slug  # type: ignore[attr-defined]


class PathwayDetailOut(PathwayOut):
    stages: list[StageOut]

    @staticmethod
    def resolve_stages(obj: object) -> list[object]:
        return list(obj.stages.order_by("order", "id").prefetch_related("conditions__indicator"))  # type: ignore[attr-defined]


class PathwayIn(Schema):
    name: str = Field(max_length=200)
    summary: str = ""
    vision: str = ""
    principles: str = ""
    methods: str = ""
    practices: str = ""
    language: str = "en"
    owner_id: int | None = None
    visibility: Visibility = Visibility.PUBLIC


class PathwayPatch(Schema):
    name: str | None = Field(None, max_length=200)
    summary: str | None = None
    vision: str | None = None
    principles: str | None = None
    methods: str | None = None
    practices: str | None = None
    language: str | None = None
    owner_id: int | None = None
    visibility: Visibility | None = None
    note: str = Field("", description="What changed, for the version history (published pathways).")


class PublishIn(Schema):
    note: str = ""


class VersionOut(Schema):
    number: int
    note: str
    created_at: dt.datetime
    snapshot: dict[str, object]
    diff: list[list[str]] = Field(description="[kind, text] lines against the previous version.")


class ProgressOut(Schema):
    id: int
    pathway_id: int
    group_id: int
    group_name: str
    stage_id: int
    stage_name: str
    started_on: dt.date
    stage_entered_on: dt.date

    @staticmethod
    def resolve_group_name(obj: object) -> str:
        return obj.group.name  # type: ignore[attr-defined]

    @staticmethod
    def resolve_stage_name(obj: object) -> str:
        return obj.stage.name  # type: ignore[attr-defined]


class ProgressFilters(PageParams):
    within: int | None = Field(None, description="Only groups in the subtree of this group id.")
    stage: int | None = Field(None, description="Only groups at this stage id.")
    set: int | None = Field(None, description="Only groups of this group set id.")


class EntryOut(Schema):
    id: int
    pathway_id: int
    group_id: int
    stage_id: int
    kind: str
    status: str
    entered_on: dt.date
    left_on: dt.date | None
    evidence: str
    links: list[str]
    checklist: list[str]
    reason: str
    submitted_at: dt.datetime
    verified_at: dt.datetime | None


class EntryFilters(PageParams):
    status: str | None = Field(None, description="pending, accepted or rejected.")
    group: int | None = Field(None, description="Only this group's history.")


class SubmitIn(Schema):
    group_id: int
    stage_id: int
    evidence: str = ""
    links: list[str] = Field(default_factory=list)
    checklist: list[str] = Field(default_factory=list, description="The entry criteria confirmed.")
    entered_on: dt.date | None = None


class MoveBackIn(Schema):
    group_id: int
    stage_id: int
    reason: str
    entered_on: dt.date | None = None


class RejectIn(Schema):
    reason: str


class BatchIn(Schema):
    within: int = Field(description="The subtree (a group id you coordinate).")
    stage_id: int
    note: str = Field(description="On what basis these groups are recorded at the stage.")
    group_ids: list[int] | None = Field(None, description="Only these groups (default: every open one).")
    layer: str | None = Field("action", description="Only groups of this layer (null: any layer).")
    entered_on: dt.date | None = None


class BatchOut(Schema):
    moved: int


class FunnelStageOut(Schema):
    id: int
    name: str
    order: int
    now: int
    reached: int
    pending: int
    median_days: float | None


class FunnelOut(Schema):
    pathway: int
    groups: int
    not_started: int
    stages: list[FunnelStageOut]


class FunnelFilters(Schema):
    within: int | None = None
    set: int | None = None


class StrategyRevisionOut(Schema):
    id: int
    decided_on: dt.date
    title: str
    what_changed: str
    why: str
    evidence: str
    decided_by: str
    link: str
    pathway_id: int | None
    visibility: str


class StrategyRevisionIn(Schema):
    decided_on: dt.date
    title: str = Field(max_length=200)
    what_changed: str
    why: str
    evidence: str = ""
    decided_by: str = Field(max_length=200)
    link: str = ""
    pathway_id: int | None = None
    visibility: Visibility = Visibility.COLLECTIVE


class TimelineEventOut(Schema):
    on: dt.date
    kind: str
    title: str
    body: list[list[str]]
    url: str
    link: str
