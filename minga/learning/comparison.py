"""What's working, with indicator results: groups that adopted a practice next to similar groups that
did not, on one indicator, in the same reporting periods.

This is a descriptive comparison, not a causal estimate: groups choose to adopt, and whatever led them
to it may also move the indicator. The page says so.

For each adopting group the periods *after* its adoption (periods that start on or after the adoption
date) are taken; its value in each period is the indicator's own aggregation rule over its values
(`minga.measurement.selectors.aggregate`, the same rule the rollups use). Its comparison groups are
the similar groups (same parent, or same kind) that never adopted the practice, read over the *same*
periods. Each side's result is the mean over its (group, period) values, shown with how many groups
and values stand behind it. Only values the viewer may see are read
(`DataValue.objects.visible_to`), only groups the viewer may see are compared, in one query for the
values.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from statistics import mean
from typing import Any

from django.db.models import Q

from minga.architecture.models import Group
from minga.learning.models import Adoption, Practice
from minga.measurement.models import DataValue, Indicator, ReportingPeriod, ValueType
from minga.measurement.selectors import aggregate

SIMILAR_CHOICES = [("parent", "Same parent group"), ("kind", "Same kind of group")]
MAX_PEERS = 5_000  # comparison groups read at most (same kind in a large collective)


@dataclass
class Side:
    groups: int = 0  # groups with at least one value in the periods compared
    values: int = 0  # (group, period) values behind the mean
    mean: float | None = None


@dataclass
class Comparison:
    practice: Practice
    indicator: Indicator
    similar: str
    within: Group | None
    adopters: Side = field(default_factory=Side)
    others: Side = field(default_factory=Side)
    adopters_without_peers: int = 0
    periods: int = 0

    @property
    def difference(self) -> float | None:
        if self.adopters.mean is None or self.others.mean is None:
            return None
        return self.adopters.mean - self.others.mean

    @property
    def similar_label(self) -> str:
        return dict(SIMILAR_CHOICES).get(self.similar, self.similar)


def comparable_indicators(viewer: Any, practice: Practice) -> Any:
    """Indicators of the practice's collective the viewer may see, with numbers to compare."""
    return (
        Indicator.objects.visible_to(viewer)
        .filter(collective_id=practice.collective_id)
        .exclude(value_type=ValueType.TEXT)
        .order_by("name", "id")
    )


def practice_comparison(
    *,
    viewer: Any,
    practice: Practice,
    indicator: Indicator,
    similar: str = "parent",
    within: Group | None = None,
) -> Comparison:
    """Adopting groups (visible to `viewer`, in `within`'s subtree if given) against similar
    non-adopting groups on `indicator`, after adoption, in the same periods. Four queries."""
    result = Comparison(practice=practice, indicator=indicator, similar=similar, within=within)
    visible_groups = Group.objects.visible_to(viewer).filter(collective_id=practice.collective_id)
    if within is not None:
        visible_groups = visible_groups.filter(path__startswith=within.path)
    adoptions = list(
        Adoption.objects.visible_to(viewer)
        .filter(practice=practice, group__in=visible_groups.values("id"))
        .values_list("group_id", "group__parent_id", "group__kind_id", "adopted_on")
    )
    if not adoptions:
        return result
    every_adopter = set(Adoption.objects.filter(practice=practice).values_list("group_id", flat=True))
    field_name = "parent_id" if similar == "parent" else "kind_id"
    keys = {parent if similar == "parent" else kind for _, parent, kind, _ in adoptions}
    keys.discard(None)
    peers: dict[Any, list[int]] = defaultdict(list)
    for pk, key in (
        visible_groups.filter(**{f"{field_name}__in": keys})
        .exclude(pk__in=every_adopter)
        .order_by("pk")
        .values_list("pk", field_name)[:MAX_PEERS]
    ):
        peers[key].append(pk)
    period_list = list(
        ReportingPeriod.objects.filter(collective_id=practice.collective_id, kind=indicator.frequency)
        .filter(start__gte=min(day for *_, day in adoptions))
        .order_by("start")
        .values_list("id", "start")
    )
    if not period_list:
        return result
    groups = {g for g, *_ in adoptions} | {pk for ids in peers.values() for pk in ids}
    rows: dict[tuple[int, int], list[tuple[int, int, int, float | None]]] = defaultdict(list)
    order = {pk: n for n, (pk, _) in enumerate(period_list)}
    for group_id, period_id, option, value in (
        DataValue.objects.visible_to(viewer)
        .filter(Q(group_id__in=groups), indicator=indicator, period_id__in=list(order))
        .values_list("group_id", "period_id", "option", "value")
        .order_by()
    ):
        rows[(group_id, period_id)].append((group_id, order[period_id], option, value))
    value_of: dict[tuple[int, int], float] = {}
    for key, items in rows.items():
        number = aggregate(indicator.aggregation, items)
        if number is not None:
            value_of[key] = number
    adopter_values: list[float] = []
    adopter_groups: set[int] = set()
    other_values: dict[tuple[int, int], float] = {}
    for group_id, parent_id, kind_id, adopted_on in adoptions:
        after = [pk for pk, start in period_list if start >= adopted_on]
        own = [value_of[(group_id, p)] for p in after if (group_id, p) in value_of]
        if own:
            adopter_groups.add(group_id)
            adopter_values.extend(own)
        key = parent_id if similar == "parent" else kind_id
        compared = [(peer, p) for peer in peers.get(key, []) for p in after if (peer, p) in value_of]
        if not compared:
            result.adopters_without_peers += 1
        for item in compared:
            other_values[item] = value_of[item]
    result.periods = len(period_list)
    result.adopters = Side(
        groups=len(adopter_groups),
        values=len(adopter_values),
        mean=mean(adopter_values) if adopter_values else None,
    )
    result.others = Side(
        groups=len({g for g, _ in other_values}),
        values=len(other_values),
        mean=mean(other_values.values()) if other_values else None,
    )
    return result
