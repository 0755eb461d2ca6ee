"""Saved dashboards: services (save, update, delete; the owner only) and the selector that opens one
for a viewer. A dashboard stores codes and references, never figures: every panel is computed for the
person who opens it, through the same scoped selectors as the dashboard page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import transaction

from minga.architecture.boundaries import boundaries_of, positions_in, rewound_for_d3, simplified
from minga.architecture.models import Group, GroupSet, GroupStatus, Layer
from minga.core.audit import audit_record, diff_fields, snapshot
from minga.core.errors import DomainError, NotFound, Problem
from minga.core.models import Collective
from minga.core.scoping import scope_for
from minga.measurement import periods, selectors
from minga.measurement.models import Indicator
from minga.measurement.models_dashboards import CHARTS, MAX_INDICATORS, SavedDashboard

CHART_KEYS = [key for key, _ in CHARTS]
FIELDS = ["name", "indicators", "within", "group_set", "period", "charts", "shared"]


def _check(dashboard: SavedDashboard) -> None:
    """Every problem of the dashboard's settings at once, on its field."""
    problems: list[Problem] = []
    dashboard.name = (dashboard.name or "").strip()
    if not dashboard.name:
        problems.append(Problem("required", "Give the dashboard a name.", field="name"))
    elif len(dashboard.name) > 120:
        problems.append(Problem("too_long", "At most 120 characters.", field="name"))
    codes = list(dict.fromkeys(str(c) for c in dashboard.indicators or []))
    dashboard.indicators = codes
    if not codes:
        problems.append(Problem("required", "Choose at least one indicator.", field="indicators"))
    elif len(codes) > MAX_INDICATORS:
        problems.append(Problem("too_many", f"At most {MAX_INDICATORS} indicators.", field="indicators"))
    else:
        known = set(
            Indicator.objects.filter(collective_id=dashboard.collective_id, code__in=codes).values_list(
                "code", flat=True
            )
        )
        unknown = [c for c in codes if c not in known]
        if unknown:
            problems.append(
                Problem("unknown_reference", f"No indicator {', '.join(unknown)}.", field="indicators")
            )
    if dashboard.within is not None and dashboard.group_set is not None:
        problems.append(Problem("invalid", "Choose a subtree or a group set, not both.", field="within"))
    for name, ref in (("within", dashboard.within), ("group_set", dashboard.group_set)):
        if ref is not None and ref.collective_id != dashboard.collective_id:
            problems.append(Problem("invalid", "It belongs to another collective.", field=name))
    dashboard.period = (dashboard.period or "").strip()
    if dashboard.period:
        try:
            for part in dashboard.period.replace(":", ",").split(","):
                if part.strip():
                    periods.parse_period(part)
        except periods.PeriodError as error:
            problems.append(Problem("invalid_period", str(error), field="period"))
    charts = list(dict.fromkeys(dashboard.charts or []))
    dashboard.charts = charts
    if not charts:
        problems.append(Problem("required", "Choose at least one chart.", field="charts"))
    elif any(c not in CHART_KEYS for c in charts):
        problems.append(
            Problem("invalid", f"Charts are chosen among {', '.join(CHART_KEYS)}.", field="charts")
        )
    if problems:
        raise DomainError(problems)


@transaction.atomic
def dashboard_save(
    *,
    actor: Any,
    collective: Collective,
    name: str,
    indicators: Sequence[str],
    within: Group | None = None,
    group_set: GroupSet | None = None,
    period: str = "",
    charts: Sequence[str] = ("trend", "breakdown"),
    shared: bool = False,
) -> SavedDashboard:
    """Save a dashboard for `actor` (any person of the collective). `within` / `group_set` must be
    ones the actor may see (callers use the access functions)."""
    scope = scope_for(actor)
    if not (scope.is_superuser or collective.pk in scope.member_collectives):
        raise NotFound("collective")
    dashboard = SavedDashboard(
        collective=collective,
        owner=actor,
        name=name,
        indicators=list(indicators),
        within=within,
        group_set=group_set,
        period=period,
        charts=list(charts),
        shared=shared,
    )
    _check(dashboard)
    dashboard.save()
    audit_record(actor=actor, action="dashboard.save", target=dashboard, changes={"name": dashboard.name})
    return dashboard


@transaction.atomic
def dashboard_update(*, actor: Any, dashboard: SavedDashboard, **changes: Any) -> SavedDashboard:
    """Change a saved dashboard (its owner)."""
    if dashboard.owner_id != getattr(actor, "pk", None):
        raise NotFound("dashboard")
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise DomainError.single("unknown_field", f"Unknown fields: {', '.join(sorted(unknown))}.")
    before = snapshot(dashboard, list(changes))
    for name, value in changes.items():
        setattr(dashboard, name, value)
    _check(dashboard)
    dashboard.save()
    audit_record(
        actor=actor,
        action="dashboard.update",
        target=dashboard,
        changes=diff_fields(dashboard, before, list(changes)),
    )
    return dashboard


@transaction.atomic
def dashboard_delete(*, actor: Any, dashboard: SavedDashboard) -> None:
    if dashboard.owner_id != getattr(actor, "pk", None):
        raise NotFound("dashboard")
    audit_record(actor=actor, action="dashboard.delete", target=dashboard, changes={"name": dashboard.name})
    dashboard.delete()


def access_dashboard(
    user: Any, dashboard_id: int, *, for_edit: bool = False, collective: Collective | None = None
) -> SavedDashboard:
    """The dashboard `user` may open (or, `for_edit`, change), in `collective` when given; else 404."""
    qs = SavedDashboard.objects.editable_by(user) if for_edit else SavedDashboard.objects.visible_to(user)
    if collective is not None:
        qs = qs.filter(collective=collective)
    obj = qs.select_related("collective", "within", "group_set").filter(pk=dashboard_id).first()
    if obj is None:
        raise NotFound("dashboard")
    return obj


def dashboards_for(user: Any, collective: Collective) -> list[SavedDashboard]:
    """The dashboards `user` may open in `collective`: their own first, then the shared ones."""
    found = SavedDashboard.objects.visible_to(user).filter(collective=collective)
    return sorted(found, key=lambda d: (d.owner_id != getattr(user, "pk", None), d.name.lower(), d.pk))


@dataclass
class Opened:
    """A saved dashboard as the viewer may see it: the area (None when the viewer can't see it) and
    one `selectors.Dashboard` per indicator the viewer may see, in the saved order."""

    dashboard: SavedDashboard
    area: selectors.Area | None
    panels: list[selectors.Dashboard] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    period_error: str = ""


def dashboard_open(*, viewer: Any, dashboard: SavedDashboard, today: dt.date) -> Opened:
    """Compute the panels for `viewer`: their view of the area, their view of the values."""
    collective = dashboard.collective
    area: selectors.Area | None = selectors.Area(collective)
    if dashboard.within_id is not None:
        group = Group.objects.visible_to(viewer).filter(pk=dashboard.within_id).first()
        area = selectors.Area(collective, group=group) if group is not None else None
    elif dashboard.group_set_id is not None:
        group_set = GroupSet.objects.visible_to(viewer).filter(pk=dashboard.group_set_id).first()
        area = selectors.Area(collective, group_set=group_set) if group_set is not None else None
    opened = Opened(dashboard=dashboard, area=area)
    if area is None:
        return opened
    visible = {
        i.code: i
        for i in Indicator.objects.visible_to(viewer).filter(
            collective=collective, code__in=dashboard.indicators
        )
    }
    opened.missing = [c for c in dashboard.indicators if c not in visible]
    for code in dashboard.indicators:
        indicator = visible.get(code)
        if indicator is None:
            continue
        try:
            period_list = selectors.periods_from(
                collective, indicator.frequency, dashboard.period, today=today
            )
        except periods.PeriodError as error:
            opened.period_error = str(error)
            continue
        opened.panels.append(
            selectors.dashboard(viewer=viewer, indicator=indicator, area=area, period_list=period_list)
        )
    return opened


# --- the map of child units -----------------------------------------------------------------------


@dataclass
class UnitMap:
    """The child units of a dashboard on a map: those with a boundary as shapes (wound for d3-geo),
    the others as points (their own coordinates, or their located groups' centre). `rows` is the
    accessible table: every unit on the map, with its value, and whether it is a shape or a point."""

    shapes: list[tuple[str, dict[str, Any], float | None]] = field(default_factory=list)
    points: list[tuple[str, float, float, float | None]] = field(default_factory=list)

    @property
    def is_choropleth(self) -> bool:
        return bool(self.shapes)

    @property
    def missing(self) -> int:
        """How many units on the map have no value for the periods shown."""
        return sum(1 for _, _, v in self.shapes if v is None) + sum(1 for *_, v in self.points if v is None)

    @property
    def rows(self) -> list[tuple[str, float | None, str]]:
        return sorted(
            [(label, value, "area") for label, _, value in self.shapes]
            + [(label, value, "point") for label, _, _, value in self.points],
            key=lambda row: row[0].lower(),
        )

    def __bool__(self) -> bool:
        return bool(self.shapes or self.points)


def unit_map(
    *,
    viewer: Any,
    breakdown: selectors.Rollup,
    area: selectors.Area,
    units: Sequence[Group] | None = None,
) -> UnitMap:
    """The breakdown by child unit placed on a map for `viewer`, with the open child units that have
    no value for these periods (drawn as "no data", not left out; backbone teams, which report
    nothing, are not added). `units` are the area's child units when the caller has them already,
    loaded with their boundary (the dashboard page lists them to drill into); else one query reads
    them. Then `selectors.map_points` places the units without a boundary (one or two queries). At
    most `selectors.MAP_MAX_POINTS` units, like the point map."""
    limit = selectors.MAP_MAX_POINTS
    cells = list(breakdown.cells[:limit])
    if units is None or area.group_set is not None:
        units = _area_units(viewer, area, limit)
    by_id = {unit.pk: unit for unit in units}
    known = {key for key, _, _ in cells}
    quiet = [
        (u.pk, u.name, None)
        for u in units
        if u.pk not in known and u.status != GroupStatus.CLOSED and u.layer != Layer.SUPPORT
    ]
    cells += quiet[: limit - len(cells)]
    outlines = {pk: unit.boundary for pk, unit in by_id.items() if unit.boundary}
    unseen = [key for key, _, _ in cells if key not in by_id]
    if unseen:  # more child units than the caller listed
        outlines.update(boundaries_of(viewer, unseen))
    outlines = _light(outlines)
    shapes = [(label, rewound_for_d3(outlines[key]), value) for key, label, value in cells if key in outlines]
    rest = replace(breakdown, cells=[cell for cell in cells if cell[0] not in outlines])
    points = selectors.map_points(viewer=viewer, breakdown=rest, area=area) if rest.cells else []
    return UnitMap(shapes=shapes, points=points)


MAP_POSITIONS = 20_000  # beyond this many positions on one map, detail below a pixel is dropped


def _light(outlines: dict[Any, dict[str, Any]]) -> dict[Any, dict[str, Any]]:
    """The outlines as stored, or — when there are more positions than a map needs — simplified to
    about half a pixel of a 620-pixel map of their whole extent, so the page and its SVG stay light."""
    if sum(positions_in(g) for g in outlines.values()) <= MAP_POSITIONS:
        return outlines
    xs: list[float] = []
    ys: list[float] = []
    for geometry in outlines.values():
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        for polygon in polygons:
            xs += [x for x, _ in polygon[0]]
            ys += [y for _, y in polygon[0]]
    tolerance = max(max(xs) - min(xs), max(ys) - min(ys)) / 1200
    return {key: simplified(geometry, tolerance) for key, geometry in outlines.items()}


def _area_units(viewer: Any, area: selectors.Area, limit: int) -> list[Group]:
    """The area's child units (a group set: its groups) the viewer may see, with their boundary."""
    units = Group.objects.visible_to(viewer).filter(collective=area.collective)
    if area.group_set is not None:
        units = units.filter(sets=area.group_set)
    elif area.group is not None:
        units = units.filter(parent=area.group)
    else:
        units = units.filter(parent__isnull=True)
    fields = ("id", "name", "boundary", "status", "layer")
    return list(units.only(*fields).order_by("name", "id")[:limit])
