"""Group boundaries: GeoJSON Polygon/MultiPolygon outlines of groups (WGS84 longitude/latitude), for maps.

One way in for every door (the group's boundary page, the API, the bulk upload page, the CLI):

- `boundary_clean` checks a geometry (type, rings of at least four positions that close, coordinates in
  range, a size limit) and returns it normalised: altitude dropped, rings wound the RFC 7946 way
  (exterior counter-clockwise, holes clockwise), simplified (Douglas-Peucker) and rounded so a map of
  a few hundred units stays light;
- `group_boundary_set` stores (or clears) one group's boundary;
- `boundaries_import` matches the features of a FeatureCollection to groups by a property (the group
  code by default) and stores them all, or — when any feature is wrong — none, with a report naming
  each bad feature (index, code, reason);
- `boundaries_of` reads the boundaries of groups a viewer may see (the dashboard's choropleth).

Writes are scoped like any change to a group: admins anywhere in their collective, coordinators in
their subtree, leads their own group. A group out of reach reads like an unknown code.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone

from minga.architecture.models import Group
from minga.core.audit import audit_record
from minga.core.errors import DomainError, NotFound, Problem
from minga.core.models import Collective

MAX_BYTES = 5 * 1024 * 1024  # one boundary, uploaded or pasted
MAX_IMPORT_BYTES = 50 * 1024 * 1024  # a FeatureCollection
MAX_FEATURES = 5_000
MAX_POSITIONS = 100_000  # positions read from one geometry, before simplification
MAX_STORED_POSITIONS = 2_000  # after simplification: what a page carries per unit, at most
TOLERANCE = 0.0005  # degrees (≈ 55 m at the equator): below a pixel of a district-sized map
DECIMALS = 5  # ≈ 1 m
TYPES = ("Polygon", "MultiPolygon")

Geometry = dict[str, Any]


# --- reading -------------------------------------------------------------------------------------


def parse_geojson(raw: str | bytes, *, limit: int = MAX_BYTES, field_name: str = "boundary") -> Any:
    """The JSON document in `raw` (a file's bytes or pasted text), or a DomainError saying where the
    syntax breaks, or that the document is over `limit` bytes."""
    size = len(raw.encode() if isinstance(raw, str) else raw)
    if size > limit:
        raise DomainError.single(
            "too_large", f"The file is {_mb(size)}; at most {_mb(limit)} is accepted.", field=field_name
        )
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
        return json.loads(text)
    except UnicodeDecodeError as error:
        raise DomainError.single("invalid_json", "The file is not UTF-8 text.", field=field_name) from error
    except json.JSONDecodeError as error:
        raise DomainError.single(
            "invalid_json",
            f"Not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}.",
            field=field_name,
        ) from error


def geometry_of(document: Any) -> Any:
    """The geometry of a document uploaded for one group: a geometry, a Feature, or a FeatureCollection
    holding exactly one feature (what drawing tools usually save)."""
    if isinstance(document, dict) and document.get("type") == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list) or len(features) != 1:
            count = len(features) if isinstance(features, list) else 0
            raise DomainError.single(
                "one_feature_expected",
                f"The collection holds {count} features; one group's boundary is one feature "
                "(use the bulk upload for several groups).",
                field="boundary",
            )
        document = features[0]
    if isinstance(document, dict) and document.get("type") == "Feature":
        return document.get("geometry")
    return document


# --- validation and normalisation ----------------------------------------------------------------


@dataclass(frozen=True)
class Defect:
    """What is wrong with a geometry: a code, a message, and where (e.g. `coordinates[0][3]`)."""

    code: str
    message: str
    where: str = ""

    def text(self) -> str:
        return f"{self.message} ({self.where})" if self.where else self.message


def boundary_defects(geometry: Any) -> list[Defect]:
    """Every problem of a would-be boundary (at most 20, the first of each ring), or none."""
    found: list[Defect] = []
    if not isinstance(geometry, dict):
        return [Defect("not_a_geometry", "Expected a GeoJSON Polygon or MultiPolygon object.")]
    kind = geometry.get("type")
    if kind not in TYPES:
        shown = kind if isinstance(kind, str) else type(kind).__name__
        return [Defect("wrong_type", f"The geometry is a {shown}; a boundary is a Polygon or MultiPolygon.")]
    crs = geometry.get("crs")
    if crs is not None and not _is_wgs84(crs):
        return [Defect("not_wgs84", "The coordinates must be WGS84 longitude/latitude (EPSG:4326).")]
    coordinates = geometry.get("coordinates")
    polygons = [coordinates] if kind == "Polygon" else coordinates
    if not isinstance(polygons, list) or not polygons:
        return [Defect("no_coordinates", "The geometry has no coordinates.", "coordinates")]
    positions = 0
    for p, polygon in enumerate(polygons):
        at = "coordinates" if kind == "Polygon" else f"coordinates[{p}]"
        if not isinstance(polygon, list) or not polygon:
            found.append(Defect("no_rings", "A polygon needs at least its exterior ring.", at))
            continue
        for r, ring in enumerate(polygon):
            where = f"{at}[{r}]"
            if not isinstance(ring, list) or len(ring) < 4:
                found.append(Defect("short_ring", "A ring needs at least four positions.", where))
                continue
            positions += len(ring)
            defect = _ring_defect(ring, where)
            if defect is not None:
                found.append(defect)
            if len(found) >= 20:
                return found
    if positions > MAX_POSITIONS:
        found.append(Defect("too_large", f"{positions:,} positions; at most {MAX_POSITIONS:,} are accepted."))
    return found


def _ring_defect(ring: list[Any], where: str) -> Defect | None:
    # Shape and types first (plain Python, but one pass), then the ranges at once with numpy.
    if not all(type(p) is list and 2 <= len(p) <= 3 for p in ring) or not all(
        type(v) is float or type(v) is int for p in ring for v in p
    ):
        i = next(
            i
            for i, p in enumerate(ring)
            if type(p) is not list
            or not 2 <= len(p) <= 3
            or not all(type(v) is float or type(v) is int for v in p)
        )
        return Defect("bad_position", "A position is [longitude, latitude], two numbers.", f"{where}[{i}]")
    xy = np.array([p[:2] for p in ring], dtype=float)
    lon, lat = xy[:, 0], xy[:, 1]
    bad = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90))
    if bad.any():
        i = int(bad.argmax())
        x, y = ring[i][0], ring[i][1]
        hint = (
            " Latitude and longitude look swapped: GeoJSON puts longitude first."
            if abs(x) <= 90 and abs(y) <= 180
            else " Is the file in a projected system? Boundaries are WGS84 degrees."
        )
        return Defect(
            "out_of_range",
            f"[{x}, {y}] is outside longitude -180…180 / latitude -90…90.{hint}",
            f"{where}[{i}]",
        )
    if ring[0][:2] != ring[-1][:2]:
        return Defect("ring_not_closed", "A ring must end where it starts.", where)
    if _signed_area(xy) == 0:
        return Defect("degenerate", "The ring encloses no area.", where)
    return None


def _is_wgs84(crs: Any) -> bool:
    name = str(((crs or {}).get("properties") or {}).get("name", "")) if isinstance(crs, dict) else ""
    return name.endswith(("CRS84", "4326", "EPSG::4326"))


def boundary_clean(geometry: Any) -> Geometry:
    """The geometry checked and normalised for storage, or a DomainError listing its defects."""
    defects = boundary_defects(geometry)
    if defects:
        raise DomainError(Problem(d.code, d.text(), field="boundary") for d in defects)
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    arrays = [[np.array([p[:2] for p in ring], dtype=float) for ring in polygon] for polygon in polygons]
    tolerance = TOLERANCE
    simplified = _simplify_polygons(arrays, tolerance)
    # A very detailed outline is simplified harder until it is light enough for a page (each pass on
    # the previous one's result: a few passes over ever fewer positions).
    while _count(simplified) > MAX_STORED_POSITIONS and tolerance < 1:
        tolerance *= 2
        simplified = _simplify_polygons(simplified, tolerance)
    coordinates = [[ring.tolist() for ring in polygon] for polygon in simplified]
    if len(coordinates) == 1:
        return {"type": "Polygon", "coordinates": coordinates[0]}
    return {"type": "MultiPolygon", "coordinates": coordinates}


def _count(polygons: Sequence[Sequence[Sequence[Any]]]) -> int:
    return sum(len(ring) for polygon in polygons for ring in polygon)


def positions_in(geometry: Geometry | None) -> int:
    """How many positions a stored boundary holds (0 for none)."""
    if not geometry:
        return 0
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return _count(polygons)


Array = Any  # a numpy array of (longitude, latitude) rows, closed (last row = first)


def _simplify_polygons(polygons: list[list[Array]], tolerance: float) -> list[list[Array]]:
    out: list[list[Array]] = []
    for polygon in polygons:
        exterior = _simplify_ring(polygon[0], tolerance)
        if exterior is None:
            continue  # an islet smaller than the tolerance
        holes = [h for h in (_simplify_ring(ring, tolerance) for ring in polygon[1:]) if h is not None]
        out.append([_wind(exterior, ccw=True), *(_wind(h, ccw=False) for h in holes)])
    if not out:  # the whole shape is below the tolerance: keep it as it is, only rounded
        out = [
            [_wind(_rounded(polygon[0]), ccw=True), *(_wind(_rounded(h), ccw=False) for h in polygon[1:])]
            for polygon in polygons
        ]
    return out


def _rounded(ring: Array) -> Array:
    """Rounded to `DECIMALS`, without repeated positions, closed."""
    xy: Array = np.asarray(ring, dtype=float).round(DECIMALS)
    moved = np.ones(len(xy), dtype=np.bool_)
    moved[1:] = (np.diff(xy, axis=0) != 0).any(axis=1)
    xy = xy[moved]
    if len(xy) and (xy[0] != xy[-1]).any():
        xy = np.vstack([xy, xy[:1]])
    return xy


def _simplify_ring(ring: Array, tolerance: float) -> Array | None:
    """Douglas-Peucker on a closed ring, split at its start and the position farthest from it; None
    when fewer than four positions (a triangle) would remain."""
    points = _rounded(ring)[:-1]
    if len(points) < 3:
        return None
    far = int(((points - points[0]) ** 2).sum(axis=1).argmax())
    first = _douglas_peucker(points[: far + 1], tolerance)
    second = _douglas_peucker(np.vstack([points[far:], points[:1]]), tolerance)
    kept = np.vstack([first[:-1], second[:-1]])
    if len(kept) < 3:
        return None
    closed = np.vstack([kept, kept[:1]])
    return closed if _signed_area(closed) != 0 else None


def _douglas_peucker(xy: Array, tolerance: float) -> Array:
    """Douglas-Peucker, each span's distances computed at once with numpy (pure Python takes seconds
    on a 100,000-position coastline)."""
    if len(xy) < 3:
        return xy
    keep = np.zeros(len(xy), dtype=bool)
    keep[0] = keep[-1] = True
    stack = [(0, len(xy) - 1)]
    limit = tolerance * tolerance
    pts: list[list[float]] = xy.tolist()
    while stack:
        start, end = stack.pop()
        if end - start < 2:
            continue
        if end - start < 48:  # numpy's call overhead outweighs a short loop
            best, index = _farthest(pts, start, end)
        else:
            a, b = xy[start], xy[end]
            inner = xy[start + 1 : end]
            d = b - a
            length2 = float(d @ d)
            if length2 == 0:
                dist2 = ((inner - a) ** 2).sum(axis=1)
            else:
                t = np.clip(((inner - a) @ d) / length2, 0.0, 1.0)
                dist2 = ((inner - (a + t[:, None] * d)) ** 2).sum(axis=1)
            i = int(dist2.argmax())
            best, index = float(dist2[i]), start + 1 + i
        if best > limit:
            keep[index] = True
            stack.append((start, index))
            stack.append((index, end))
    return xy[keep]


def _farthest(pts: list[list[float]], start: int, end: int) -> tuple[float, int]:
    """The squared distance and index of the position of pts[start+1:end] farthest from the segment."""
    ax, ay = pts[start]
    dx, dy = pts[end][0] - ax, pts[end][1] - ay
    length2 = dx * dx + dy * dy
    best, index = -1.0, start + 1
    for i in range(start + 1, end):
        px, py = pts[i][0] - ax, pts[i][1] - ay
        if length2 == 0:
            d2 = px * px + py * py
        else:
            t = min(1.0, max(0.0, (px * dx + py * dy) / length2))
            ex, ey = px - t * dx, py - t * dy
            d2 = ex * ex + ey * ey
        if d2 > best:
            best, index = d2, i
    return best, index


def _signed_area(ring: Any) -> float:
    """Twice the planar signed area of a closed ring (shoelace); positive when counter-clockwise."""
    xy = np.asarray(ring, dtype=float)
    return float((xy[:-1, 0] * xy[1:, 1] - xy[1:, 0] * xy[:-1, 1]).sum())


def _wind(ring: Any, *, ccw: bool) -> Any:
    return ring if (_signed_area(ring) > 0) == ccw else ring[::-1]


def simplified(geometry: Geometry, tolerance: float) -> Geometry:
    """A stored boundary simplified further for a small drawing of a large area (e.g. a country's 300
    districts in a 600-pixel map need no detail below a pixel), wound as stored."""
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    arrays = [[np.asarray(ring, dtype=float) for ring in polygon] for polygon in polygons]
    coordinates = [[ring.tolist() for ring in polygon] for polygon in _simplify_polygons(arrays, tolerance)]
    if len(coordinates) == 1:
        return {"type": "Polygon", "coordinates": coordinates[0]}
    return {"type": "MultiPolygon", "coordinates": coordinates}


def rewound_for_d3(geometry: Geometry) -> Geometry:
    """The geometry with its rings wound the way d3-geo (and so Vega) reads them — exterior clockwise,
    the reverse of RFC 7946 — else a map fills the whole globe except the shape."""
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    turned = [[_wind(ring, ccw=(i > 0)) for i, ring in enumerate(polygon)] for polygon in polygons]
    return {"type": geometry["type"], "coordinates": turned[0] if geometry["type"] == "Polygon" else turned}


# --- writes --------------------------------------------------------------------------------------


def _lock_editable(actor: Any, group: Group) -> Group:
    locked = Group.objects.editable_by(actor).select_for_update().filter(pk=group.pk).first()
    if locked is None:
        raise NotFound("group")
    return locked


@transaction.atomic
def group_boundary_set(*, actor: Any, group: Group, geometry: Any) -> Group:
    """Store `group`'s boundary (checked and simplified by `boundary_clean`), or clear it with None.
    Whoever may edit the group may set it."""
    group = _lock_editable(actor, group)
    cleaned = None if geometry is None else boundary_clean(geometry)
    before = positions_in(group.boundary)
    group.boundary = cleaned
    group.save(update_fields=["boundary", "updated_at"])
    audit_record(
        actor=actor,
        action="group.boundary" if cleaned is not None else "group.boundary_clear",
        target=group,
        changes={"boundary_positions": [before, positions_in(cleaned)]},
    )
    return group


@dataclass(frozen=True)
class FeatureProblem:
    """A feature of a bulk upload that can't be stored: its index in the collection, the code it was
    matched by (blank when it has none) and why."""

    index: int
    code: str
    reason: str
    message: str


@dataclass
class BoundaryImport:
    """The outcome of a bulk upload: nothing is stored unless `problems` is empty (and not a dry run)."""

    features: int = 0
    matched: list[str] = field(default_factory=list)
    problems: list[FeatureProblem] = field(default_factory=list)
    dry_run: bool = False
    saved: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "features": self.features,
            "matched": len(self.matched),
            "saved": self.saved,
            "dry_run": self.dry_run,
        }


def boundaries_import(
    *,
    actor: Any,
    collective: Collective,
    document: Any,
    match_property: str = "code",
    dry_run: bool = False,
) -> BoundaryImport:
    """Match each feature of a GeoJSON FeatureCollection to a group of `collective` by the feature's
    `match_property` (the group code) and store every boundary — or none, when any feature is wrong
    (reported per feature). Only groups the actor may edit match. One audit entry per group."""
    report = BoundaryImport(dry_run=dry_run)
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise DomainError.single("not_a_collection", "Expected a GeoJSON FeatureCollection.", field="file")
    features = document.get("features")
    if not isinstance(features, list) or not features:
        raise DomainError.single("empty", "The collection has no features.", field="file")
    if len(features) > MAX_FEATURES:
        raise DomainError.single(
            "too_many", f"{len(features):,} features; at most {MAX_FEATURES:,} at a time.", field="file"
        )
    if document.get("crs") is not None and not _is_wgs84(document["crs"]):
        raise DomainError.single(
            "not_wgs84", "The coordinates must be WGS84 longitude/latitude (EPSG:4326).", field="file"
        )
    report.features = len(features)
    codes: list[str] = []
    for feature in features:
        props = feature.get("properties") if isinstance(feature, dict) else None
        value = props.get(match_property) if isinstance(props, dict) else None
        codes.append("" if value is None or isinstance(value, dict | list) else str(value).strip())
    editable = Group.objects.editable_by(actor).filter(collective=collective, code__in=set(codes) - {""})
    groups = {g.code: g for g in editable.only("id", "code", "name", "collective_id", "path")}
    cleaned: dict[str, Geometry] = {}
    first_seen: dict[str, int] = {}
    for index, (feature, code) in enumerate(zip(features, codes, strict=True)):

        def problem(reason: str, message: str, index: int = index, code: str = code) -> None:
            report.problems.append(FeatureProblem(index, code, reason, message))

        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problem("not_a_feature", "Not a GeoJSON Feature.")
            continue
        if not code:
            problem("no_code", f"The feature has no “{match_property}” property to match a group by.")
            continue
        if code in first_seen:
            problem("duplicate", f"The code {code} is also used by feature {first_seen[code]}.")
            continue
        first_seen[code] = index
        if code not in groups:
            problem("unknown_group", f"No group with the code {code} that you may edit.")
            continue
        defects = boundary_defects(feature.get("geometry"))
        if defects:
            problem(defects[0].code, "; ".join(d.text() for d in defects[:3]))
            continue
        cleaned[code] = boundary_clean(feature["geometry"])
    report.matched = list(cleaned)
    if report.problems or dry_run:
        return report
    _store(actor, [groups[c] for c in cleaned], cleaned)
    report.saved = len(cleaned)
    return report


@transaction.atomic
def _store(actor: Any, groups: Iterable[Group], cleaned: dict[str, Geometry]) -> None:
    locked = {
        g.pk: g
        for g in Group.objects.editable_by(actor)
        .select_for_update()
        .filter(pk__in=[g.pk for g in groups])
        .only("id", "code", "name", "collective_id", "boundary", "updated_at")
    }
    changed: list[Group] = []
    now = timezone.now()
    for group in locked.values():
        group.updated_at = now
        before = positions_in(group.boundary)
        group.boundary = cleaned[group.code]
        changed.append(group)
        audit_record(
            actor=actor,
            action="group.boundary",
            target=group,
            changes={"boundary_positions": [before, positions_in(group.boundary)], "source": "import"},
        )
    Group.objects.bulk_update(changed, ["boundary", "updated_at"], batch_size=200)


# --- reads ---------------------------------------------------------------------------------------


def boundaries_of(viewer: Any, group_ids: Iterable[int]) -> dict[int, Geometry]:
    """The stored boundaries of those of `group_ids` the viewer may see (one query)."""
    rows = (
        Group.objects.visible_to(viewer)
        .filter(pk__in=list(group_ids), boundary__isnull=False)
        .values_list("id", "boundary")
    )
    return {pk: geometry for pk, geometry in rows if geometry}


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def preview_spec(geometry: Geometry, *, label: str, width: int = 360, height: int = 260) -> dict[str, Any]:
    """A Vega-Lite spec drawing one boundary (for its page: see what was stored), fitted to the shape."""
    feature = {"type": "Feature", "geometry": rewound_for_d3(geometry), "properties": {"unit": label}}
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": width,
        "height": height,
        "projection": {"type": "mercator"},
        "data": {"values": {"type": "FeatureCollection", "features": [feature]}},
        "mark": {"type": "geoshape", "fill": "#9ec5c0", "stroke": "#0f5f57", "strokeWidth": 1.2},
        "encoding": {"tooltip": [{"field": "properties.unit", "title": "Group"}]},
        "config": {"view": {"stroke": None}},
    }
