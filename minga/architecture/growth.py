"""Growth over time: groups founded and closed, memberships started and ended, links started.

Everything is counted in the database (GROUP BY year or month) over what the user may see: groups
through `Group.objects.visible_to(user)`, memberships and links through the groups they belong to.
People appear only as counts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from django.db.models import Count, DateField, QuerySet
from django.db.models.functions import Coalesce, TruncDate, TruncMonth, TruncYear

from minga.architecture.models import Group, Link
from minga.core.models import Collective

Period = Literal["year", "month"]


@dataclass(frozen=True)
class GrowthPoint:
    period: str  # "2021" or "2021-03"
    groups_founded: int = 0
    groups_closed: int = 0
    groups_active: int = 0  # cumulative: founded so far minus closed so far
    memberships_started: int = 0
    memberships_ended: int = 0
    members_active: int = 0  # cumulative active memberships (a person in two groups counts twice)
    people_joined: int = 0  # distinct persons who started a membership in the period
    links_started: int = 0
    links_ended: int = 0
    links_active: int = 0


@dataclass(frozen=True)
class GrowthSeries:
    period: Period
    points: list[GrowthPoint] = field(default_factory=list)

    def as_dicts(self) -> list[dict[str, Any]]:
        return [asdict(p) for p in self.points]


def growth_series(
    collective: Collective,
    scope_group: Group | None = None,
    *,
    user: Any,
    period: Period = "year",
) -> GrowthSeries:
    """Per year (or month) counts for the collective or the subtree under `scope_group`, as `user` sees it.

    A group without a founding date (a link without a start date) counts from the day it was recorded.
    Memberships and links count only when their group (both groups, for a link) is visible to `user`.
    """
    from minga.people.models import Membership  # people builds on architecture; see STYLE.md

    groups = Group.objects.visible_to(user).filter(collective=collective)
    if scope_group is not None:
        groups = groups.filter(path__startswith=scope_group.path)
    group_ids = groups.values("id")

    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def add(column: str, rows: QuerySet[Any, dict[str, Any]]) -> None:
        for row in rows:
            if row["at"] is not None:
                counts[_label(row["at"], period)][column] += row["n"]

    trunc = TruncYear if period == "year" else TruncMonth
    founded = Coalesce("founded_on", TruncDate("created_at"), output_field=DateField())
    add("groups_founded", _per_period(groups.annotate(day=founded), "day", trunc))
    add("groups_closed", _per_period(groups.filter(closed_on__isnull=False), "closed_on", trunc))

    memberships = Membership.objects.filter(group__in=group_ids)
    add("memberships_started", _per_period(memberships, "started_on", trunc))
    add("memberships_ended", _per_period(memberships.filter(ended_on__isnull=False), "ended_on", trunc))
    add("people_joined", _per_period(memberships, "started_on", trunc, distinct="person_id"))

    links = Link.objects.filter(collective=collective, source__in=group_ids, target__in=group_ids)
    started = Coalesce("started_on", TruncDate("created_at"), output_field=DateField())
    add("links_started", _per_period(links.annotate(day=started), "day", trunc))
    add("links_ended", _per_period(links.filter(ended_on__isnull=False), "ended_on", trunc))

    return GrowthSeries(period=period, points=_cumulate(counts, period))


def _per_period(
    qs: QuerySet[Any], column: str, trunc: type[TruncYear] | type[TruncMonth], *, distinct: str | None = None
) -> QuerySet[Any, dict[str, Any]]:
    counted = Count(distinct, distinct=True) if distinct else Count("pk")
    return (
        qs.order_by()
        .annotate(at=trunc(column, output_field=DateField()))
        .values("at")
        .annotate(n=counted)
        .values("at", "n")
    )


def _label(day: dt.date | dt.datetime, period: Period) -> str:
    return f"{day.year:04d}" if period == "year" else f"{day.year:04d}-{day.month:02d}"


def _labels_between(first: str, last: str, period: Period) -> list[str]:
    """Every period from first to last, so a quiet year still shows as a point on the chart."""
    if period == "year":
        return [f"{y:04d}" for y in range(int(first), int(last) + 1)]
    year, month = int(first[:4]), int(first[5:])
    end = (int(last[:4]), int(last[5:]))
    labels = []
    while (year, month) <= end:
        labels.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return labels


def _cumulate(counts: dict[str, dict[str, int]], period: Period) -> list[GrowthPoint]:
    if not counts:
        return []
    labels = _labels_between(min(counts), max(counts), period)
    points = []
    groups = members = links = 0
    for label in labels:
        row = counts.get(label, {})
        groups += row.get("groups_founded", 0) - row.get("groups_closed", 0)
        members += row.get("memberships_started", 0) - row.get("memberships_ended", 0)
        links += row.get("links_started", 0) - row.get("links_ended", 0)
        points.append(
            GrowthPoint(
                period=label,
                groups_founded=row.get("groups_founded", 0),
                groups_closed=row.get("groups_closed", 0),
                groups_active=groups,
                memberships_started=row.get("memberships_started", 0),
                memberships_ended=row.get("memberships_ended", 0),
                members_active=members,
                people_joined=row.get("people_joined", 0),
                links_started=row.get("links_started", 0),
                links_ended=row.get("links_ended", 0),
                links_active=links,
            )
        )
    return points
