"""Reads of the activities app that combine models or aggregate: the five areas side by side, the month
calendar, campaign progress, an institution's timeline, an outcome's contribution chain, recurring story
themes. Every read starts from a `visible_to(user)` QuerySet, so aggregates count only what the reader
may see.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, Q, QuerySet, Sum

from minga.activities.models import (
    Activity,
    Area,
    Campaign,
    CampaignSignup,
    Engagement,
    Institution,
    InstitutionContact,
    Outcome,
    PolicyOutcome,
    Story,
)
from minga.architecture.models import Group
from minga.core.models import Collective
from minga.learning.models import Practice
from minga.people.models import Person

AREA_COLOURS = {
    Area.MOVEMENT: "#b5562b",
    Area.DATA: "#2f6f9f",
    Area.INSTITUTIONS: "#6b4f9a",
    Area.LEARNING: "#0f7f6f",
    Area.SYSTEMIC: "#8a6d1d",
}
AREA_SHORT = {
    Area.MOVEMENT: "Movement",
    Area.DATA: "Data systems",
    Area.INSTITUTIONS: "Institutions",
    Area.LEARNING: "Learning",
    Area.SYSTEMIC: "Systemic solutions",
}
LIST_PAGE = 50


# --- activity list --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivityFilters:
    q: str = ""
    area: str = ""
    status: str = ""
    type: int | None = None
    group: Group | None = None
    starts_from: dt.date | None = None
    starts_until: dt.date | None = None

    def apply(self, qs: Any) -> Any:
        if self.q:
            qs = qs.filter(title__icontains=self.q)
        if self.area:
            qs = qs.filter(area=self.area)
        if self.status:
            qs = qs.filter(status=self.status)
        if self.type is not None:
            qs = qs.filter(type_id=self.type)
        if self.group is not None:
            qs = qs.in_subtree(self.group)
        if self.starts_from:
            qs = qs.filter(starts_on__gte=self.starts_from)
        if self.starts_until:
            qs = qs.filter(starts_on__lte=self.starts_until)
        return qs


def activity_page(
    user: Any, collective: Collective, filters: ActivityFilters, *, page: int = 1
) -> tuple[list[Activity], bool]:
    """One page of visible activities (newest first) and whether there is a next page; no COUNT(*)."""
    qs = filters.apply(Activity.objects.visible_to(user).filter(collective=collective))
    start = (max(page, 1) - 1) * LIST_PAGE
    rows = list(
        qs.select_related("group", "type").order_by("-starts_on", "-id")[start : start + LIST_PAGE + 1]
    )
    return rows[:LIST_PAGE], len(rows) > LIST_PAGE


@dataclass
class CalendarDay:
    day: dt.date
    in_month: bool
    activities: list[Activity] = field(default_factory=list)


def activity_calendar(
    user: Any, collective: Collective, year: int, month: int, filters: ActivityFilters
) -> list[list[CalendarDay]]:
    """Weeks (Monday first) of the month, each day with the visible activities running that day."""
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    first, last = weeks[0][0], weeks[-1][-1]
    qs = filters.apply(Activity.objects.visible_to(user).filter(collective=collective))
    qs = qs.filter(starts_on__lte=last).filter(
        Q(ends_on__gte=first) | Q(ends_on__isnull=True, starts_on__gte=first)
    )
    by_day: dict[dt.date, list[Activity]] = defaultdict(list)
    for activity in qs.select_related("group").order_by("starts_on", "id")[:2000]:
        end = min(activity.ends_on or activity.starts_on, last)
        day = max(activity.starts_on, first)
        while day <= end:
            by_day[day].append(activity)
            day += dt.timedelta(days=1)
    return [[CalendarDay(d, d.month == month, by_day.get(d, [])) for d in week] for week in weeks]


# --- the five areas side by side ------------------------------------------------------------------


@dataclass
class AreaSummary:
    area: str
    label: str
    colour: str
    activities: int = 0
    participants: int = 0
    groups: int = 0
    campaigns: int = 0


@dataclass
class GroupRow:
    group: Group
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def cells(self) -> list[tuple[str, int]]:
        return [(a, self.counts.get(a, 0)) for a in Area.values]


@dataclass
class AreasOverview:
    areas: list[AreaSummary]
    rows: list[GroupRow]
    momentum: list[dict[str, Any]]
    since: dt.date
    until: dt.date

    @property
    def max_cell(self) -> int:
        return max((n for row in self.rows for _, n in row.cells), default=0)


def _quarter(day: dt.date) -> str:
    return f"{day.year} Q{(day.month - 1) // 3 + 1}"


def areas_overview(
    user: Any, collective: Collective, *, group: Group | None = None, today: dt.date, years: int = 2
) -> AreasOverview:
    """Activity counts, participation, active groups and quarterly momentum per area, for the collective
    or a subtree, over the last `years`; and which of the next level's groups are active in which area.
    Four queries whatever the size."""
    since = dt.date(today.year - years, today.month, 1)
    qs = Activity.objects.visible_to(user).filter(
        collective=collective, starts_on__gte=since, starts_on__lte=today
    )
    if group is not None:
        qs = qs.filter(group__path__startswith=group.path)
    summaries = {a: AreaSummary(a, str(label), AREA_COLOURS[Area(a)]) for a, label in Area.choices}
    for row in qs.values("area").annotate(
        n=Count("id"), people=Sum("participants_total"), groups=Count("group", distinct=True)
    ):
        s = summaries[row["area"]]
        s.activities, s.participants, s.groups = row["n"], row["people"] or 0, row["groups"]
    for row in (
        Campaign.objects.filter(activity__in=qs.values("id")).values("activity__area").annotate(n=Count("id"))
    ):
        summaries[row["activity__area"]].campaigns = row["n"]
    # Momentum: activities per quarter and area.
    counter: Counter[tuple[str, str]] = Counter()
    for area, starts_on in qs.values_list("area", "starts_on").iterator(chunk_size=5000):
        counter[(_quarter(starts_on), area)] += 1
    quarters: list[str] = []
    day = since
    while day <= today:
        if _quarter(day) not in quarters:
            quarters.append(_quarter(day))
        day = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    momentum = [
        {"quarter": q, "area": str(Area(a).label), "activities": counter[(q, a)]}
        for q in quarters
        for a in Area.values
    ]
    # Which groups of the next level are active in which area (activities owned in their subtree).
    children = Group.objects.visible_to(user).filter(collective=collective)
    children = children.filter(parent=group) if group is not None else children.filter(parent__isnull=True)
    child_list = list(children.order_by("name")[:40])
    rows = {c.path: GroupRow(c, {}) for c in child_list}
    if rows:
        for path, area, n in qs.values_list("group__path", "area").annotate(n=Count("id")).order_by():
            for prefix, row in rows.items():
                if path.startswith(prefix):
                    row.counts[area] = row.counts.get(area, 0) + n
                    break
    return AreasOverview(list(summaries.values()), list(rows.values()), momentum, since, today)


def momentum_chart_spec(overview: AreasOverview, *, width: int = 720, height: int = 240) -> dict[str, Any]:
    """A Vega-Lite spec: activities per quarter, one line per area, in the areas' colours."""
    labels = [str(label) for _, label in Area.choices]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": width,
        "height": height,
        "data": {"values": overview.momentum},
        "mark": {"type": "line", "point": True, "strokeWidth": 2.5},
        "encoding": {
            "x": {"field": "quarter", "type": "ordinal", "title": None, "axis": {"labelAngle": 0}},
            "y": {"field": "activities", "type": "quantitative", "title": "Activities"},
            "color": {
                "field": "area",
                "type": "nominal",
                "title": None,
                "scale": {"domain": labels, "range": [AREA_COLOURS[Area(a)] for a in Area.values]},
                # The legend is drawn in HTML under the chart (long labels, the areas' colours).
                "legend": None,
            },
        },
        "config": {
            "view": {"stroke": None},
            "font": "system-ui, sans-serif",
            "axis": {"labelFontSize": 12, "titleFontSize": 13},
        },
    }


# --- campaigns ------------------------------------------------------------------------------------


@dataclass
class CampaignProgress:
    campaign: Campaign
    total: int
    by_group: list[tuple[Group, int]]
    momentum: list[dict[str, Any]]

    @property
    def percent(self) -> float:
        """Share of the goal reached (may pass 100)."""
        return round(100 * self.total / self.campaign.goal, 1) if self.campaign.goal else 0.0

    @property
    def fill(self) -> float:
        """How full the thermometer is drawn (at most 100)."""
        return min(100.0, self.percent)


def campaign_progress(user: Any, campaign: Campaign) -> CampaignProgress:
    """The thermometer (sign-ups so far against the goal), sign-ups per visible group, and the cumulative
    count week by week."""
    signups = CampaignSignup.objects.visible_to(user).filter(campaign=campaign)
    total = signups.aggregate(n=Sum("count"))["n"] or 0
    per_group = list(signups.values("group").annotate(n=Sum("count")).order_by("-n")[:30])
    groups = Group.objects.in_bulk([r["group"] for r in per_group])
    by_group = [(groups[r["group"]], r["n"]) for r in per_group if r["group"] in groups]
    weekly: Counter[dt.date] = Counter()
    for day, count in signups.values_list("signed_on", "count"):
        weekly[day - dt.timedelta(days=day.weekday())] += count
    running = 0
    momentum = []
    for week in sorted(weekly):
        running += weekly[week]
        momentum.append({"week": week.isoformat(), "signups": running, "new": weekly[week]})
    return CampaignProgress(campaign, total, by_group, momentum)


def campaign_chart_spec(progress: CampaignProgress, *, width: int = 720, height: int = 220) -> dict[str, Any]:
    """Cumulative sign-ups by week (area) with the goal as a rule."""
    goal = progress.campaign.goal
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": width,
        "height": height,
        "layer": [
            {
                "data": {"values": progress.momentum},
                "mark": {"type": "area", "color": "#e7b9a3", "line": {"color": "#b5562b"}},
                "encoding": {
                    "x": {
                        "field": "week",
                        "type": "temporal",
                        "title": None,
                        "axis": {"format": "%b %Y", "tickCount": 6, "labelOverlap": True},
                    },
                    "y": {
                        "field": "signups",
                        "type": "quantitative",
                        "title": progress.campaign.unit.capitalize(),
                    },
                },
            },
            {
                "data": {"values": [{"goal": goal}]},
                "mark": {"type": "rule", "color": "#333", "strokeDash": [4, 3]},
                "encoding": {"y": {"field": "goal", "type": "quantitative"}},
            },
        ],
        "config": {"view": {"stroke": None}, "font": "system-ui, sans-serif"},
    }


# --- institutions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactRow:
    id: int
    role: str
    name: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "role": self.role, "name": self.name}


def contact_rows(user: Any, institution: Institution) -> list[ContactRow]:
    """The institution's contacts: roles for everyone; a name only for a consented person the reader
    may read (never for the public)."""
    contacts = list(InstitutionContact.objects.visible_to(user).filter(institution=institution))
    person_ids = [c.person_id for c in contacts if c.person_id]
    readable: dict[int, str] = {}
    if person_ids:
        readable = dict(
            Person.objects.visible_to(user)
            .consented()
            .filter(pk__in=person_ids)
            .values_list("pk", "full_name")
        )
    return [ContactRow(c.pk, c.role, readable.get(c.person_id) if c.person_id else None) for c in contacts]


def institution_list(user: Any, collective: Collective, *, kind: str = "", q: str = "") -> list[Institution]:
    """Institutions with their engagement and policy outcome counts (visible ones only)."""
    engagements = Engagement.objects.visible_to(user).filter(collective=collective)
    policies = PolicyOutcome.objects.visible_to(user).filter(collective=collective)
    qs = Institution.objects.visible_to(user).filter(collective=collective)
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(name__icontains=q)
    result = list(qs.order_by("name")[:500])
    e_counts = dict(engagements.values("institution").annotate(n=Count("id")).values_list("institution", "n"))
    p_counts = dict(policies.values("institution").annotate(n=Count("id")).values_list("institution", "n"))
    last = dict(
        engagements.values("institution").annotate(n=Max("occurred_on")).values_list("institution", "n")
    )
    for inst in result:
        inst.engagement_count = e_counts.get(inst.pk, 0)  # type: ignore[attr-defined]
        inst.policy_count = p_counts.get(inst.pk, 0)  # type: ignore[attr-defined]
        inst.last_engaged = last.get(inst.pk)  # type: ignore[attr-defined]
    return result


@dataclass(frozen=True)
class TimelineEntry:
    day: dt.date | None
    kind: str  # "engagement" | "policy"
    title: str
    detail: str
    group: Group
    obj: Any


def institution_timeline(user: Any, institution: Institution) -> list[TimelineEntry]:
    """Engagements and policy outcomes at `institution`, newest first."""
    entries = [
        TimelineEntry(e.occurred_on, "engagement", e.get_kind_display(), e.summary, e.group, e)
        for e in Engagement.objects.visible_to(user).filter(institution=institution).select_related("group")
    ]
    entries += [
        TimelineEntry(p.decided_on, "policy", p.title, p.contribution, p.group, p)
        for p in PolicyOutcome.objects.visible_to(user)
        .filter(institution=institution)
        .select_related("group")
    ]
    return sorted(entries, key=lambda e: (e.day or dt.date.min, e.kind), reverse=True)


# --- outcomes and the contribution map ------------------------------------------------------------


def outcome_list(
    user: Any, collective: Collective, *, status: str = "", group: Group | None = None
) -> QuerySet[Outcome]:
    qs = Outcome.objects.visible_to(user).filter(collective=collective).select_related("group")
    if status:
        qs = qs.filter(status=status)
    if group is not None:
        qs = qs.filter(group__path__startswith=group.path)
    return qs.annotate(n_activities=Count("contributing_activities", distinct=True)).order_by(
        "-happened_on", "-id"
    )


@dataclass
class MapNode:
    key: str
    label: str
    kind: str  # group | activity | policy | practice | outcome
    layer: int
    url: str = ""
    detail: str = ""


@dataclass
class ContributionGraph:
    nodes: list[MapNode]
    edges: list[tuple[str, str]]

    def layer(self, n: int) -> list[MapNode]:
        return [node for node in self.nodes if node.layer == n]


def contribution_graph(user: Any, outcome: Outcome) -> ContributionGraph:
    """The chain that contributed to `outcome`, as layers: groups → activities → practices and policy
    outcomes → the outcome. Only what the reader may see is drawn."""
    visible_groups = Group.objects.visible_to(user)
    activities = list(
        outcome.contributing_activities.filter(pk__in=Activity.objects.visible_to(user).values("id"))
        .select_related("group")
        .prefetch_related("participants", "practices")
        .order_by("starts_on")
    )
    practices = list(outcome.practices.filter(pk__in=Practice.objects.visible_to(user).values("id")))
    practice_ids = {p.pk for p in practices}
    groups = {g.pk: g for g in outcome.contributing_groups.filter(pk__in=visible_groups.values("id"))}
    visible_ids = set(
        visible_groups.filter(pk__in=[a.group_id for a in activities]).values_list("id", flat=True)
    )
    for a in activities:
        if a.group_id in visible_ids:
            groups.setdefault(a.group_id, a.group)
    policies = list(
        outcome.policy_outcomes.filter(
            pk__in=PolicyOutcome.objects.visible_to(user).values("id")
        ).select_related("institution")
    )
    nodes: list[MapNode] = []
    edges: list[tuple[str, str]] = []
    for g in sorted(groups.values(), key=lambda g: g.name):
        nodes.append(MapNode(f"g{g.pk}", g.name, "group", 0, detail="Group"))
    for a in activities:
        nodes.append(
            MapNode(f"a{a.pk}", a.title, "activity", 1, detail=f"{Area(a.area).label} · {a.starts_on:%b %Y}")
        )
        for gid in [a.group_id, *(p.pk for p in a.participants.all())]:
            if gid in groups:
                edges.append((f"g{gid}", f"a{a.pk}"))
    for pr in practices:
        nodes.append(MapNode(f"r{pr.pk}", pr.title, "practice", 2, detail="Practice"))
    for p in policies:
        nodes.append(
            MapNode(f"p{p.pk}", p.title, "policy", 2, detail=f"{p.get_kind_display()} · {p.institution.name}")
        )
    outcome_key = f"o{outcome.pk}"
    nodes.append(MapNode(outcome_key, outcome.title, "outcome", 3, detail=outcome.actor))
    with_activity = {src for src, _ in edges}
    for a in activities:
        applied = [f"r{pr.pk}" for pr in a.practices.all() if pr.pk in practice_ids]
        target = applied + [f"p{p.pk}" for p in policies] or [outcome_key]
        edges += [(f"a{a.pk}", t) for t in target]
    for p in policies:
        edges.append((f"p{p.pk}", outcome_key))
    for pr in practices:
        edges.append((f"r{pr.pk}", outcome_key))
    for g in groups.values():
        if f"g{g.pk}" not in with_activity:
            edges.append((f"g{g.pk}", f"p{policies[0].pk}" if policies else outcome_key))
    return ContributionGraph(nodes, edges)


# --- stories and themes ---------------------------------------------------------------------------


@dataclass
class ThemeRow:
    theme: str
    stories: int
    regions: dict[str, int]

    @property
    def region_count(self) -> int:
        return len(self.regions)


@dataclass
class ThemeOverview:
    regions: list[str]
    rows: list[ThemeRow]

    @property
    def max_cell(self) -> int:
        return max((n for row in self.rows for n in row.regions.values()), default=0)


def theme_overview(user: Any, collective: Collective) -> ThemeOverview:
    """Which themes recur across regions: stories per theme and region (the owner group's ancestor one
    level below the top, or the top group itself), themes shared by most regions first."""
    stories = list(
        Story.objects.visible_to(user).filter(collective=collective).values_list("themes", "group__path")
    )
    region_ids: set[int] = set()
    paths = []
    for themes, path in stories:
        parts = [int(p) for p in path.strip("/").split("/") if p]
        rid = parts[1] if len(parts) > 1 else parts[0]
        region_ids.add(rid)
        paths.append((themes, rid))
    names = dict(Group.objects.visible_to(user).filter(pk__in=region_ids).values_list("pk", "name"))
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for themes, rid in paths:
        for theme in themes or []:
            table[theme][names.get(rid, "Elsewhere")] += 1
    rows = [ThemeRow(t, sum(c.values()), dict(c)) for t, c in table.items()]
    rows.sort(key=lambda r: (-r.region_count, -r.stories, r.theme))
    regions = sorted({r for row in rows for r in row.regions})
    return ThemeOverview(regions, rows)
