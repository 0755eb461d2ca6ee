"""Plausible boundaries for the demo's countries, regions and districts, so its dashboard draws a
choropleth: made up, deterministic, and quick (a few milliseconds for the `large` demo).

A country is the convex hull of its places widened by a margin, with jittered points along its edges
(always outwards, so every place stays inside). Its regions are the Voronoi cells of their centres
clipped to the country, and each region's districts the Voronoi cells of their towns clipped to the
region — so neighbours share their borders exactly and the levels nest.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Sequence

from minga.demo.plan import ArchitecturePlan, PlannedGroup

Point = tuple[float, float]  # (longitude, latitude)
MARGIN = 0.8  # degrees around the outermost places of a country, at least


def demo_boundaries(plan: ArchitecturePlan, *, seed: int) -> dict[int, dict[str, object]]:
    """Group id → GeoJSON Polygon for the plan's countries, regions and districts."""
    rng = random.Random(f"boundaries-{seed}")
    regions_of: dict[int, list[PlannedGroup]] = defaultdict(list)
    for region in plan.regions:
        regions_of[region.parent_id or 0].append(region)
    districts_of: dict[int, list[PlannedGroup]] = defaultdict(list)
    for district in plan.districts:
        districts_of[district.parent_id or 0].append(district)
    out: dict[int, dict[str, object]] = {}
    for country in plan.countries:
        regions = regions_of[country.id]
        places = [_site(g) for g in (country, *regions, *(d for r in regions for d in districts_of[r.id]))]
        located = [p for p in places if p is not None]
        if not located:
            continue
        outline = _outline(located, rng)
        out[country.id] = _polygon(outline)
        region_sites = _sites(regions)
        for region_id, cell in _voronoi(outline, region_sites).items():
            out[region_id] = _polygon(cell)
            for district_id, piece in _voronoi(cell, _sites(districts_of[region_id])).items():
                out[district_id] = _polygon(piece)
    return out


def _sites(groups: Sequence[PlannedGroup]) -> list[tuple[int, Point]]:
    return [(g.id, site) for g in groups if (site := _site(g)) is not None]


def _site(group: PlannedGroup) -> Point | None:
    if group.latitude is None or group.longitude is None:
        return None
    return (float(group.longitude), float(group.latitude))


def _outline(points: Sequence[Point], rng: random.Random) -> list[Point]:
    """A country-like outline around `points`: the hull of a disc around each place (so a country
    whose places lie in a line still looks like a country), with wobbly edges."""
    xs, ys = [x for x, _ in points], [y for _, y in points]
    radius = max(MARGIN, 0.3 * max(max(xs) - min(xs), max(ys) - min(ys)))
    discs = [
        (x + radius * math.cos(k * math.pi / 8), y + radius * math.sin(k * math.pi / 8))
        for x, y in points
        for k in range(16)
    ]
    widened = _hull(discs)
    wobbly: list[Point] = []
    for (x0, y0), (x1, y1) in zip(widened, widened[1:] + widened[:1], strict=True):
        wobbly.append((x0, y0))
        length = math.hypot(x1 - x0, y1 - y0)
        nx, ny = (y1 - y0) / (length or 1), -(x1 - x0) / (length or 1)  # outward normal (hull is CCW)
        for k in range(1, 4):
            t = k / 4
            push = rng.uniform(0.0, 0.12) * length
            wobbly.append((x0 + (x1 - x0) * t + nx * push, y0 + (y1 - y0) * t + ny * push))
    return wobbly


def _hull(points: Sequence[Point]) -> list[Point]:
    """Convex hull, counter-clockwise (Andrew's monotone chain)."""
    pts = sorted(set(points))
    if len(pts) < 3:
        return pts

    def cross(o: Point, a: Point, b: Point) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[Point] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[Point] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def _voronoi(area: list[Point], sites: list[tuple[int, Point]]) -> dict[int, list[Point]]:
    """Each site's Voronoi cell within `area`: the area clipped by the half-plane nearer to the site
    than to each other site (Sutherland-Hodgman, one bisector at a time)."""
    if len(sites) == 1:
        return {sites[0][0]: area}
    cells: dict[int, list[Point]] = {}
    for key, (sx, sy) in sites:
        cell = area
        for other, (ox, oy) in sites:
            if other == key or (ox, oy) == (sx, sy):
                continue
            # Nearer to s than to o: (o - s) · p <= (|o|² - |s|²) / 2
            ax, ay, limit = ox - sx, oy - sy, (ox * ox + oy * oy - sx * sx - sy * sy) / 2
            cell = _clip(cell, ax, ay, limit)
            if len(cell) < 3:
                break
        if len(cell) >= 3:
            cells[key] = cell
    return cells


def _clip(polygon: list[Point], ax: float, ay: float, limit: float) -> list[Point]:
    """The part of `polygon` where ax·x + ay·y <= limit."""
    out: list[Point] = []
    for (x0, y0), (x1, y1) in zip(polygon, polygon[1:] + polygon[:1], strict=True):
        v0, v1 = ax * x0 + ay * y0 - limit, ax * x1 + ay * y1 - limit
        if v0 <= 0:
            out.append((x0, y0))
        if (v0 <= 0) != (v1 <= 0):
            t = v0 / (v0 - v1)
            out.append((x0 + (x1 - x0) * t, y0 + (y1 - y0) * t))
    return out


def _polygon(ring: list[Point]) -> dict[str, object]:
    coords = [[round(x, 4), round(y, 4)] for x, y in ring]
    return {"type": "Polygon", "coordinates": [[*coords, coords[0]]]}
