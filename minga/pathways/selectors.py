"""Reads of pathways: the funnel, time per stage, cohorts, stalled groups, a group's journey, the
verification queue, version diffs and the strategy timeline.

Every read starts from what the user may see (`visible_to`); the group filters (subtree, group set)
only narrow it. Aggregates are computed in the database (one query per figure), durations in Python
from one narrow column read, so the pages cost a fixed number of queries whatever the size.
"""

from __future__ import annotations

import datetime as dt
import difflib
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import ExtractQuarter, ExtractYear
from django.urls import reverse

from minga.architecture.models import Group, GroupSet, GroupStatus, Layer
from minga.core.models import AuditEntry, Collective
from minga.measurement.models import Indicator, Target
from minga.pathways.models import (
    GroupProgress,
    Pathway,
    PathwayVersion,
    ProgressEntry,
    Stage,
    StrategyRevision,
)
from minga.pathways.services import ConditionCheck, condition_checks, may_submit, may_verify, next_stage

DEFAULT_STALLED_DAYS = 180


@dataclass(frozen=True)
class GroupFilter:
    """Which groups a coordinator view is about: a subtree and/or a group set (both optional)."""

    within: Group | None = None
    group_set: GroupSet | None = None

    @property
    def label(self) -> str:
        parts = [p.name for p in (self.within, self.group_set) if p is not None]
        return " · ".join(parts) or "All groups you can see"


def travellers(user: Any, pathway: Pathway, filters: GroupFilter) -> QuerySet[Group]:
    """The groups expected to travel `pathway` that `user` sees: open action-layer groups, filtered."""
    groups = (
        Group.objects.visible_to(user)
        .filter(collective_id=pathway.collective_id, layer=Layer.ACTION)
        .exclude(status=GroupStatus.CLOSED)
    )
    if filters.within is not None:
        groups = groups.filter(path__startswith=filters.within.path)
    if filters.group_set is not None:
        groups = groups.filter(sets=filters.group_set)
    return groups


def _progress(user: Any, pathway: Pathway, filters: GroupFilter) -> QuerySet[GroupProgress]:
    return GroupProgress.objects.filter(pathway=pathway, group__in=travellers(user, pathway, filters))


# --- funnel ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelRow:
    stage: Stage
    now: int  # groups at this stage now
    reached: int  # groups at this stage or a later one
    pending: int  # groups asking to enter this stage
    median_days: float | None  # median time groups spent in this stage before moving on

    def share(self, total: int) -> int:
        return round(100 * self.reached / total) if total else 0


@dataclass(frozen=True)
class Funnel:
    pathway: Pathway
    filters: GroupFilter
    rows: list[FunnelRow]
    not_started: int
    groups: int  # groups of the filter expected to travel the pathway

    @property
    def started(self) -> int:
        return self.groups - self.not_started

    def chart_values(self) -> list[dict[str, Any]]:
        values: list[dict[str, Any]] = []
        for position, row in enumerate(self.rows, start=1):
            label = f"{position}. {row.stage.name}"
            values.append({"stage": label, "measure": "Reached this stage", "groups": row.reached})
            values.append({"stage": label, "measure": "At this stage now", "groups": row.now})
        return values

    def as_dict(self) -> dict[str, Any]:
        return {
            "pathway": self.pathway.pk,
            "groups": self.groups,
            "not_started": self.not_started,
            "stages": [
                {
                    "id": r.stage.pk,
                    "name": r.stage.name,
                    "order": r.stage.order,
                    "now": r.now,
                    "reached": r.reached,
                    "pending": r.pending,
                    "median_days": r.median_days,
                }
                for r in self.rows
            ],
        }


def stage_medians(user: Any, pathway: Pathway, filters: GroupFilter) -> dict[int, float]:
    """Median days groups spent in each stage before moving on (completed stays only)."""
    rows = ProgressEntry.objects.filter(
        pathway=pathway,
        group__in=travellers(user, pathway, filters),
        status=ProgressEntry.Status.ACCEPTED,
        left_on__isnull=False,
    ).values_list("stage_id", "entered_on", "left_on")
    days: dict[int, list[int]] = defaultdict(list)
    for stage_id, entered, left in rows.iterator(chunk_size=10_000):
        if left is not None:
            days[stage_id].append((left - entered).days)
    return {stage_id: float(statistics.median(values)) for stage_id, values in days.items()}


def pathway_funnel(user: Any, pathway: Pathway, filters: GroupFilter | None = None) -> Funnel:
    """Groups per stage (now, and reached so far), pending requests and median time per stage."""
    filters = filters or GroupFilter()
    stages = list(pathway.stages.order_by("order", "id"))
    progress = _progress(user, pathway, filters)
    now = dict(progress.values("stage").annotate(n=Count("id")).values_list("stage", "n"))
    pending = dict(
        ProgressEntry.objects.filter(
            pathway=pathway,
            status=ProgressEntry.Status.PENDING,
            group__in=travellers(user, pathway, filters),
        )
        .values("stage")
        .annotate(n=Count("id"))
        .values_list("stage", "n")
    )
    medians = stage_medians(user, pathway, filters)
    groups = travellers(user, pathway, filters).count()
    rows = []
    remaining = sum(now.values())
    for stage in stages:
        rows.append(
            FunnelRow(
                stage=stage,
                now=now.get(stage.pk, 0),
                reached=remaining,
                pending=pending.get(stage.pk, 0),
                median_days=medians.get(stage.pk),
            )
        )
        remaining -= now.get(stage.pk, 0)
    return Funnel(
        pathway=pathway,
        filters=filters,
        rows=rows,
        not_started=max(groups - sum(now.values()), 0),
        groups=groups,
    )


def funnel_chart_spec(funnel: Funnel, *, width: int = 560) -> dict[str, Any]:
    """Vega-Lite: one horizontal bar per stage (reached so far), the groups there now drawn inside it."""
    order = [f"{i}. {row.stage.name}" for i, row in enumerate(funnel.rows, start=1)]
    y = {"field": "stage", "type": "nominal", "sort": order, "title": None, "axis": {"labelLimit": 220}}
    x = {"field": "groups", "type": "quantitative", "title": "Groups", "stack": None}
    colour = {
        "field": "measure",
        "type": "nominal",
        "title": None,
        "scale": {
            "domain": ["Reached this stage", "At this stage now"],
            "range": ["#9ec5c0", "#0f5f57"],
        },
        "legend": {"orient": "bottom", "labelFontSize": 12, "symbolSize": 120, "columnPadding": 24},
    }
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": width,
        "height": {"step": 34},
        # Browsers draw the labels in a wider font than vl-convert measures: leave room on the left.
        "padding": {"left": 40, "right": 20, "top": 5, "bottom": 5},
        "data": {"values": funnel.chart_values()},
        "encoding": {"y": y},
        "layer": [
            {
                "mark": {"type": "bar", "height": {"band": 0.8}},
                "encoding": {
                    "x": x,
                    "color": colour,
                    "tooltip": [{"field": "stage"}, {"field": "measure"}, {"field": "groups"}],
                },
            },
            {
                "transform": [{"filter": "datum.measure == 'Reached this stage'"}],
                "mark": {"type": "text", "align": "left", "dx": 4, "fontSize": 12, "color": "#222"},
                "encoding": {"x": {"field": "groups", "type": "quantitative"}, "text": {"field": "groups"}},
            },
        ],
        "config": {
            "view": {"stroke": None},
            "font": "system-ui, sans-serif",
            "axis": {"labelFontSize": 13, "titleFontSize": 12},
        },
    }


# --- cohorts and stalled groups -------------------------------------------------------------------


@dataclass(frozen=True)
class Cohort:
    label: str
    groups: int
    reached: list[int]  # per stage, in order: groups of the cohort at that stage or beyond now

    def shares(self) -> list[int]:
        return [round(100 * n / self.groups) if self.groups else 0 for n in self.reached]


def pathway_cohorts(user: Any, pathway: Pathway, filters: GroupFilter | None = None) -> list[Cohort]:
    """Groups by the quarter they joined the pathway, and how far each cohort has come."""
    filters = filters or GroupFilter()
    stages = list(pathway.stages.order_by("order", "id").values_list("pk", flat=True))
    position = {pk: i for i, pk in enumerate(stages)}
    rows = (
        _progress(user, pathway, filters)
        .annotate(y=ExtractYear("started_on"), q=ExtractQuarter("started_on"))
        .values("y", "q", "stage")
        .annotate(n=Count("id"))
        .values_list("y", "q", "stage", "n")
    )
    table: dict[tuple[int, int], list[int]] = {}
    for year, quarter, stage_id, n in rows:
        at = table.setdefault((year, quarter), [0] * len(stages))
        at[position[stage_id]] += n
    cohorts = []
    for (year, quarter), at in sorted(table.items()):
        reached = [sum(at[i:]) for i in range(len(stages))]
        cohorts.append(Cohort(label=f"{year} Q{quarter}", groups=sum(at), reached=reached))
    return cohorts


@dataclass(frozen=True)
class StalledGroup:
    group_id: int
    name: str
    stage: str
    since: dt.date
    days: int


def stalled_groups(
    user: Any,
    pathway: Pathway,
    filters: GroupFilter | None = None,
    *,
    days: int = DEFAULT_STALLED_DAYS,
    today: dt.date,
    limit: int = 50,
) -> tuple[int, list[StalledGroup]]:
    """Groups that have not moved for `days` and are not at the last stage: (how many, the longest)."""
    filters = filters or GroupFilter()
    last = pathway.stages.order_by("-order", "-id").first()
    qs = _progress(user, pathway, filters).filter(stage_entered_on__lt=today - dt.timedelta(days=days))
    if last is not None:
        qs = qs.exclude(stage=last)
    count = qs.count()
    rows = qs.order_by("stage_entered_on", "group__name").values_list(
        "group_id", "group__name", "stage__name", "stage_entered_on"
    )[:limit]
    return count, [
        StalledGroup(group_id=g, name=n, stage=s, since=d, days=(today - d).days) for g, n, s, d in rows
    ]


# --- a group's journey ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Peer:
    group_id: int
    name: str
    stage: str
    since: dt.date
    nearby: str  # "same parent" or "same region" (the grandparent's subtree)


@dataclass
class Journey:
    pathway: Pathway
    group: Group
    stages: list[Stage]
    progress: GroupProgress | None
    next: Stage | None
    pending: ProgressEntry | None
    history: list[ProgressEntry]
    peers: list[Peer]
    can_submit: bool
    can_verify: bool
    position: int = 0  # 1-based index of the current stage (0: not started)
    # The next stage's indicator conditions with the group's values: only for those who may submit or
    # verify (the values may not be public); others see the conditions' wording on the stage.
    checks: list[ConditionCheck] = field(default_factory=list)


def group_journey(user: Any, pathway: Pathway, group: Group, *, peers: int = 6) -> Journey:
    """Where `group` is on `pathway`, what the next stage needs, its history and peers to learn from."""
    stages = list(pathway.stages.order_by("order", "id").prefetch_related("conditions__indicator"))
    progress = (
        GroupProgress.objects.visible_to(user)
        .select_related("stage")
        .filter(pathway=pathway, group=group)
        .first()
    )
    current = progress.stage if progress else None
    following = next_stage(pathway, current)
    # By pathway and group rather than through `progress`: a request to join waits without one.
    history = list(
        ProgressEntry.objects.visible_to(user)
        .filter(pathway=pathway, group=group)
        .select_related("stage", "submitted_by", "verified_by")
        .order_by("-entered_on", "-id")
    )
    pending = next((e for e in history if e.status == ProgressEntry.Status.PENDING), None)
    can_submit = pathway.is_published and may_submit(user, group)
    can_verify = may_verify(user, group)
    return Journey(
        pathway=pathway,
        group=group,
        stages=stages,
        progress=progress,
        next=following,
        pending=pending,
        history=history,
        peers=peer_groups(user, pathway, group, following, limit=peers) if following else [],
        can_submit=can_submit,
        can_verify=can_verify,
        position=next((i for i, s in enumerate(stages, 1) if current and s.pk == current.pk), 0),
        checks=condition_checks(following, group) if following and (can_submit or can_verify) else [],
    )


def peer_groups(user: Any, pathway: Pathway, group: Group, stage: Stage, *, limit: int = 6) -> list[Peer]:
    """Groups near `group` that have already reached `stage`: siblings first, then the grandparent's
    subtree (the neighbouring branches), most recently arrived first."""
    base = (
        GroupProgress.objects.visible_to(user)
        .filter(pathway=pathway, stage__order__gte=stage.order)
        .exclude(group=group)
        .order_by("-stage_entered_on", "group__name")
    )
    cols = ("group_id", "group__name", "stage__name", "stage_entered_on")
    found: list[Peer] = []
    if group.parent_id is not None:
        for g, n, s, d in base.filter(group__parent_id=group.parent_id).values_list(*cols)[:limit]:
            found.append(Peer(g, n, s, d, "same parent"))
    ancestors = group.ancestor_ids
    if len(found) < limit and len(ancestors) >= 2:
        grand = ancestors[-2]
        seen = [p.group_id for p in found]
        prefix = group.path.split(f"/{grand}/")[0] + f"/{grand}/"
        rest = (
            base.filter(group__path__startswith=prefix)
            .exclude(group_id__in=seen)
            .values_list(*cols)[: limit - len(found)]
        )
        found += [Peer(g, n, s, d, "nearby") for g, n, s, d in rest]
    return found


# --- verification queue ---------------------------------------------------------------------------


def verification_queue(
    user: Any, pathway: Pathway, filters: GroupFilter | None = None
) -> QuerySet[ProgressEntry]:
    """Pending moves `user` may verify on `pathway`, oldest first."""
    qs = ProgressEntry.objects.verifiable_by(user).filter(pathway=pathway)
    if filters is not None and filters.within is not None:
        qs = qs.filter(group__path__startswith=filters.within.path)
    if filters is not None and filters.group_set is not None:
        qs = qs.filter(group__sets=filters.group_set)
    return qs.select_related("group", "stage", "submitted_by").order_by("submitted_at", "id")


# --- versions -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "add", "remove", "context" or "hunk"
    text: str


def snapshot_text(snap: dict[str, Any]) -> list[str]:
    """A version as lines of text, the way people read it: sections, then numbered stages."""
    lines = [f"# {snap.get('name', '')}"]
    for key, title in (
        ("summary", "Summary"),
        ("vision", "Vision"),
        ("principles", "Principles"),
        ("methods", "Methods"),
        ("practices", "Practices"),
    ):
        lines += ["", f"## {title}", *(snap.get(key) or "").splitlines()]
    lines += ["", "## Stages"]
    for i, stage in enumerate(snap.get("stages", []), start=1):
        flag = " (verified by a coordinator)" if stage.get("requires_verification") else ""
        lines.append(f"{i}. {stage.get('name', '')}{flag}")
        lines += [f"   {line}" for line in (stage.get("description") or "").splitlines()]
        lines += [f"   [ ] {item}" for item in stage.get("checklist", [])]
        lines += [f"   [measured] {item}" for item in stage.get("conditions", [])]
    return lines


def version_diff(older: dict[str, Any] | None, newer: dict[str, Any]) -> list[DiffLine]:
    """What changed between two snapshots, as unified-diff lines (everything added for the first)."""
    before = snapshot_text(older) if older is not None else []
    diff = difflib.unified_diff(before, snapshot_text(newer), lineterm="", n=1)
    lines = []
    for line in diff:
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            lines.append(DiffLine("hunk", "…"))
        elif line.startswith("+"):
            lines.append(DiffLine("add", line[1:]))
        elif line.startswith("-"):
            lines.append(DiffLine("remove", line[1:]))
        else:
            lines.append(DiffLine("context", line[1:]))
    return lines


@dataclass(frozen=True)
class VersionChange:
    version: PathwayVersion
    lines: list[DiffLine]

    @property
    def added(self) -> int:
        return sum(1 for line in self.lines if line.kind == "add")

    @property
    def removed(self) -> int:
        return sum(1 for line in self.lines if line.kind == "remove")


def version_history(pathway: Pathway) -> list[VersionChange]:
    """Each version with its diff against the one before, newest first."""
    versions = list(pathway.versions.order_by("number"))
    changes = []
    previous: dict[str, Any] | None = None
    for version in versions:
        changes.append(VersionChange(version, version_diff(previous, version.snapshot)))
        previous = version.snapshot
    return changes[::-1]


# --- strategy timeline ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEvent:
    on: dt.date
    kind: str  # "strategy", "pathway" or a source's own kind (e.g. "indicator", "target")
    title: str
    body: list[tuple[str, str]]  # (label, text) pairs shown under the title
    url: str = ""
    link: str = ""
    rank: int = 0  # orders events of the same day and kind (e.g. version numbers)


TimelineSource = Callable[[Any, Collective], Iterable[TimelineEvent]]


def _strategy_events(user: Any, collective: Collective) -> Iterable[TimelineEvent]:
    revisions = (
        StrategyRevision.objects.visible_to(user).filter(collective=collective).select_related("pathway")
    )
    for r in revisions:
        body = [("What changed", r.what_changed), ("Why", r.why)]
        if r.evidence:
            body.append(("Evidence", r.evidence))
        body.append(("Decided by", r.decided_by))
        if r.pathway is not None:
            body.append(("Pathway", r.pathway.name))
        yield TimelineEvent(on=r.decided_on, kind="strategy", title=r.title, body=body, link=r.link)


def _version_events(user: Any, collective: Collective) -> Iterable[TimelineEvent]:
    versions = (
        PathwayVersion.objects.visible_to(user)
        .filter(collective=collective)
        .select_related("pathway")
        .order_by("-created_at")
    )
    for v in versions:
        yield TimelineEvent(
            on=v.created_at.date(),
            kind="pathway",
            title=f"{v.pathway.name}: version {v.number}",
            body=[("Change", v.note)] if v.note else [],
            url=reverse("pathways:pathway_detail", args=[collective.slug, v.pathway_id]) + f"#v{v.number}",
            rank=v.number,
        )


MEASUREMENT_AUDIT_LIMIT = 5_000


def _measurement_events(user: Any, collective: Collective) -> Iterable[TimelineEvent]:
    """Indicators introduced (grouped by day), indicator definitions changed, and targets set (grouped
    by day and indicator), read from measurement and the audit log, limited to what `user` may see."""
    indicators = Indicator.objects.visible_to(user).filter(collective=collective)
    introduced: dict[dt.date, list[str]] = defaultdict(list)
    for name, active_from, created_at in indicators.values_list("name", "active_from", "created_at"):
        introduced[active_from or created_at.date()].append(name)
    for day, labels in introduced.items():
        labels.sort()
        title = (
            f"Indicator introduced: {labels[0]}"
            if len(labels) == 1
            else f"{len(labels)} indicators introduced"
        )
        yield TimelineEvent(on=day, kind="indicator", title=title, body=[("Indicators", ", ".join(labels))])
    audit = AuditEntry.objects.filter(
        collective=collective, action__in=["indicator.update", "target.set"]
    ).values_list("action", "target_id", "at", "changes")[:MEASUREMENT_AUDIT_LIMIT]
    rows = list(audit)
    names = dict(
        indicators.filter(pk__in=[int(t) for a, t, _, _ in rows if a == "indicator.update"]).values_list(
            "pk", "name"
        )
    )
    target_ids = [int(t) for a, t, _, _ in rows if a == "target.set"]
    target_indicator = dict(
        Target.objects.visible_to(user)
        .filter(pk__in=target_ids, indicator__in=indicators)
        .values_list("pk", "indicator__name")
    )
    targets: dict[tuple[dt.date, str], int] = defaultdict(int)
    for action, target_id, at, changes in rows:
        if action == "indicator.update" and int(target_id) in names:
            fields = ", ".join(sorted(changes)) if isinstance(changes, dict) else ""
            yield TimelineEvent(
                on=at.date(),
                kind="indicator",
                title=f"Indicator changed: {names[int(target_id)]}",
                body=[("Changed", fields)] if fields else [],
            )
        elif action == "target.set" and int(target_id) in target_indicator:
            targets[(at.date(), target_indicator[int(target_id)])] += 1
    for (day, name), count in targets.items():
        yield TimelineEvent(
            on=day,
            kind="target",
            title=f"Targets set: {name}",
            body=[("Targets", f"{count} group target{'s' if count != 1 else ''} set or changed")],
        )


# Where the timeline's events come from: each source scopes its own reads. Another app lower in the
# stack can contribute by adding a function here (apps above pathways must not: dependencies point down).
TIMELINE_SOURCES: list[TimelineSource] = [_strategy_events, _version_events, _measurement_events]


def strategy_timeline(
    user: Any, collective: Collective, *, kinds: set[str] | None = None, limit: int = 200
) -> list[TimelineEvent]:
    """Strategy revisions, pathway versions (and any other source's events), newest first."""
    events = [e for source in TIMELINE_SOURCES for e in source(user, collective)]
    if kinds:
        events = [e for e in events if e.kind in kinds]
    events.sort(key=lambda e: (e.on, e.kind == "strategy", e.rank), reverse=True)
    return events[:limit]


def pathways_for(user: Any, collective: Collective) -> QuerySet[Pathway]:
    """The pathways of `collective` that `user` sees, with their stage and traveller counts."""
    return (
        Pathway.objects.visible_to(user)
        .filter(collective=collective)
        .select_related("owner")
        .annotate(
            stage_count=Count("stages", distinct=True),
            group_count=Count(
                "progress", distinct=True, filter=Q(progress__group__in=Group.objects.visible_to(user))
            ),
        )
        .order_by("name", "id")
    )
