"""Reads of learning that combine several models: the learning home, a practice's spread, the
"what's working" ranking, a community page. Every read starts from a `visible_to(user)` QuerySet."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet

from minga.architecture.models import Group
from minga.core.models import Collective
from minga.core.scoping import scope_for
from minga.learning.models import (
    EVIDENCE_WEIGHT,
    Adoption,
    Community,
    CommunityMember,
    Passage,
    Practice,
    Resource,
    Session,
)
from minga.people.models import Person

LIST_LIMIT = 12


def practices_for(user: Any, collective: Collective) -> QuerySet[Practice]:
    """Visible practices of a collective with `adoption_count` (adoptions the user may see)."""
    visible_groups = Group.objects.visible_to(user).values("id")
    return (
        Practice.objects.visible_to(user)
        .filter(collective=collective)
        .select_related("origin_group")
        .annotate(adoption_count=Count("adoptions", filter=Q(adoptions__group__in=visible_groups)))
    )


@dataclass
class LearningOverview:
    practices: list[Practice]
    practice_total: int
    resources: list[Resource]
    resource_total: int
    communities: list[Community]
    tags: list[tuple[str, int]]


def learning_overview(user: Any, collective: Collective) -> LearningOverview:
    """The learning home: the most adopted practices, the newest documents, the communities."""
    practices = practices_for(user, collective)
    resources = Resource.objects.visible_to(user).filter(collective=collective)
    communities = (
        Community.objects.visible_to(user)
        .filter(collective=collective)
        .annotate(
            session_count=Count("sessions", distinct=True), member_count=Count("memberships", distinct=True)
        )
        .order_by("name")
    )
    tag_counts: Counter[str] = Counter()
    for tags in practices.values_list("tags", flat=True)[:500]:
        tag_counts.update(tags or [])
    return LearningOverview(
        practices=list(practices.order_by("-adoption_count", "title")[:LIST_LIMIT]),  # type: ignore[misc]
        practice_total=practices.count(),
        resources=list(resources.order_by("-created_at", "-id")[:LIST_LIMIT]),
        resource_total=resources.count(),
        communities=list(communities[:50]),
        tags=tag_counts.most_common(15),
    )


@dataclass
class SpreadEdge:
    source: Group | None
    target: Group
    adopted_on: Any


@dataclass
class PracticeSpread:
    adoptions: list[Adoption]
    edges: list[SpreadEdge]
    series: list[dict[str, Any]]
    passages: list[Passage] = field(default_factory=list)

    @property
    def chart_spec(self) -> dict[str, Any] | None:
        if len(self.series) < 2:
            return None
        return spread_chart_spec(self.series)

    @property
    def map_spec(self) -> dict[str, Any] | None:
        """The adopting groups with a location as points, and "learned from" links as lines (only
        between groups the viewer can see); None when no adopting group has a location."""
        points = [
            {
                "name": a.group.name,
                "lat": a.group.latitude,
                "lon": a.group.longitude,
                "year": str(a.adopted_on.year),
            }
            for a in self.adoptions
            if a.group.has_point
        ]
        if not points:
            return None
        lines = [
            {
                "lat": e.source.latitude,
                "lon": e.source.longitude,
                "lat2": e.target.latitude,
                "lon2": e.target.longitude,
            }
            for e in self.edges
            if e.source is not None and e.source.has_point and e.target.has_point
        ]
        return spread_map_spec(points, lines)


def practice_spread(user: Any, practice: Practice) -> PracticeSpread:
    """Adoptions of `practice` by groups the user may see, cumulative over time, and who learned from
    whom (a teaching group the user may not see is shown as "another group")."""
    adoptions = list(
        Adoption.objects.visible_to(user)
        .filter(practice=practice)
        .select_related("group", "learned_from")
        .order_by("adopted_on", "id")
    )
    teacher_ids = {a.learned_from_id for a in adoptions if a.learned_from_id}
    visible_teachers = set(
        Group.objects.visible_to(user).filter(pk__in=teacher_ids).values_list("id", flat=True)
    )
    edges = [
        SpreadEdge(
            source=a.learned_from if a.learned_from_id in visible_teachers else None,
            target=a.group,
            adopted_on=a.adopted_on,
        )
        for a in adoptions
        if a.learned_from_id
    ]
    for adoption in adoptions:
        if adoption.learned_from_id and adoption.learned_from_id not in visible_teachers:
            adoption.learned_from = None
    by_month: Counter[str] = Counter(a.adopted_on.strftime("%Y-%m") for a in adoptions)
    series: list[dict[str, Any]] = []
    total = 0
    for month in sorted(by_month):
        total += by_month[month]
        series.append({"month": month, "adoptions": total})
    passages = list(practice.passages.order_by("position"))
    return PracticeSpread(adoptions=adoptions, edges=edges, series=series, passages=passages)


def spread_chart_spec(series: list[dict[str, Any]], *, width: int = 560, height: int = 200) -> dict[str, Any]:
    """Vega-Lite: cumulative adoptions by month (step line with points)."""
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": width,
        "height": height,
        "data": {"values": [{"month": s["month"], "adoptions": int(s["adoptions"])} for s in series]},
        "mark": {"type": "line", "interpolate": "step-after", "point": True, "color": "#0f5f57"},
        "encoding": {
            "x": {"field": "month", "type": "temporal", "title": None, "timeUnit": "yearmonth"},
            "y": {"field": "adoptions", "type": "quantitative", "title": "Groups that adopted it"},
            "tooltip": [{"field": "month"}, {"field": "adoptions"}],
        },
        "config": {"view": {"stroke": None}, "font": "system-ui, sans-serif"},
    }


MAP_LABELS = 25  # group names are written next to the points up to this many


def spread_map_spec(
    points: list[dict[str, Any]], lines: list[dict[str, Any]], *, width: int = 560, height: int = 320
) -> dict[str, Any]:
    """Vega-Lite: adopting groups on a Mercator projection fitted to them (no base map: the page works
    offline), coloured by the year they adopted; a line from the group each learned from."""
    layers: list[dict[str, Any]] = []
    if lines:
        layers.append(
            {
                "data": {"values": lines},
                "mark": {"type": "rule", "color": "#8a9a98", "strokeWidth": 1.2, "opacity": 0.8},
                "encoding": {
                    "longitude": {"field": "lon", "type": "quantitative"},
                    "latitude": {"field": "lat", "type": "quantitative"},
                    "longitude2": {"field": "lon2"},
                    "latitude2": {"field": "lat2"},
                },
            }
        )
    layers.append(
        {
            "data": {"values": points},
            "mark": {"type": "circle", "size": 140, "opacity": 0.95, "stroke": "white", "strokeWidth": 1.5},
            "encoding": {
                "longitude": {"field": "lon", "type": "quantitative"},
                "latitude": {"field": "lat", "type": "quantitative"},
                "color": {
                    "field": "year",
                    "type": "ordinal",
                    "title": "Adopted in",
                    "scale": {"scheme": "tealblues"},
                    "legend": {"orient": "bottom", "direction": "horizontal"},
                },
                "tooltip": [{"field": "name", "title": "Group"}, {"field": "year", "title": "Adopted in"}],
            },
        }
    )
    if len(points) <= MAP_LABELS:
        layers.append(
            {
                "data": {"values": points},
                "mark": {"type": "text", "align": "left", "dx": 8, "fontSize": 11, "color": "#33413f"},
                "encoding": {
                    "longitude": {"field": "lon", "type": "quantitative"},
                    "latitude": {"field": "lat", "type": "quantitative"},
                    "text": {"field": "name"},
                },
            }
        )
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": width,
        "height": height,
        "projection": {"type": "mercator"},
        "layer": layers,
        "config": {"view": {"stroke": "#d5dedc", "fill": "#f4f8f7"}, "font": "system-ui, sans-serif"},
    }


@dataclass
class WorkingRow:
    practice: Practice
    adoptions: int
    evidence: int
    score: float


def whats_working(user: Any, collective: Collective, *, within: Group | None = None) -> list[WorkingRow]:
    """Practices ranked by how many groups (in `within`'s subtree, when given) adopted them and by the
    strength of their evidence (emerging 1, promising 2, proven 3). Adoption counts are of visible
    groups only. A plain ranking, not a claim that a practice causes results."""
    visible_groups = Group.objects.visible_to(user)
    if within is not None:
        visible_groups = visible_groups.within(within)
    practices = (
        Practice.objects.visible_to(user)
        .filter(collective=collective)
        .select_related("origin_group")
        .annotate(n=Count("adoptions", filter=Q(adoptions__group__in=visible_groups.values("id"))))
    )
    rows = [
        WorkingRow(
            practice=p,
            adoptions=int(getattr(p, "n", 0)),
            evidence=EVIDENCE_WEIGHT.get(p.status, 1),  # type: ignore[call-overload]
            score=int(getattr(p, "n", 0)) + 2.0 * EVIDENCE_WEIGHT.get(p.status, 1),  # type: ignore[call-overload]
        )
        for p in practices
    ]
    rows.sort(key=lambda r: (-r.score, -r.adoptions, r.practice.title))
    return rows[:100]


@dataclass
class CommunityPage:
    sessions: list[Session]
    facilitators: list[Person]
    members: list[Person]
    member_count: int
    resources: list[Resource]


def community_page(user: Any, community: Community) -> CommunityPage:
    """Sessions, documents and people of a community. Names only of people the user may read; the
    public sees a count."""
    visible_people = Person.objects.visible_to(user)
    roles = (
        CommunityMember.objects.filter(community=community, person__in=visible_people)
        .select_related("person")
        .order_by("person__full_name")
    )
    facilitators = [r.person for r in roles if r.role == CommunityMember.Role.FACILITATOR]
    members = [r.person for r in roles if r.role == CommunityMember.Role.MEMBER]
    return CommunityPage(
        sessions=list(
            Session.objects.visible_to(user).filter(community=community).order_by("-held_on")[:100]
        ),
        facilitators=facilitators,
        members=members[:200],
        member_count=CommunityMember.objects.filter(community=community).count(),
        resources=list(Resource.objects.visible_to(user).filter(community=community).order_by("title")[:50]),
    )


def may_publish(user: Any, collective: Collective) -> bool:
    """Whether the user can publish anything here (an admin, or editor of some group of the collective)."""
    scope = scope_for(user)
    if scope.is_anonymous:
        return False
    if scope.is_superuser or collective.pk in scope.admin_collectives:
        return True
    return Group.objects.editable_by(user).filter(collective=collective).exists()


def publishing_groups(user: Any, collective: Collective, limit: int = 300) -> list[Group]:
    """Groups the user may publish for (choices of a form), by name."""
    return list(Group.objects.editable_by(user).filter(collective=collective).order_by("name")[:limit])


def is_admin(user: Any, collective: Collective) -> bool:
    scope = scope_for(user)
    return scope.is_superuser or collective.pk in scope.admin_collectives
