"""Vega-Lite specs of the measurement dashboard, rendered to SVG by `minga.core.charts.render_svg`, so the
same chart goes into the page and into PDF reports. Only figures and labels go into a spec, as data."""

from __future__ import annotations

import itertools
from typing import Any

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
CONFIG = {"view": {"stroke": None}, "font": "system-ui, sans-serif"}
NO_DATA = "No data"


def trend_spec(
    points: list[tuple[str, float | None, float | None]], *, title: str, width: int = 520, height: int = 200
) -> dict[str, Any]:
    """Actual values by period (bars) and the target (a line with points), from (period, actual, target)."""
    values = [{"period": p, "series": "Actual", "value": a} for p, a, _ in points if a is not None]
    targets = [{"period": p, "series": "Target", "value": t} for p, _, t in points if t is not None]
    x = {"field": "period", "type": "ordinal", "title": None, "sort": [p for p, _, _ in points]}
    layers: list[dict[str, Any]] = [
        {
            "data": {"values": values},
            "mark": {"type": "bar", "color": "#0f5f57", "opacity": 0.85},
            "encoding": {
                "x": x,
                "y": {"field": "value", "type": "quantitative", "title": title},
                "tooltip": [{"field": "period"}, {"field": "value", "title": "Actual", "format": ",.4~g"}],
            },
        }
    ]
    if targets:
        layers.append(
            {
                "data": {"values": targets},
                "mark": {"type": "line", "color": "#b5562b", "point": True, "strokeDash": [4, 3]},
                "encoding": {
                    "x": x,
                    "y": {"field": "value", "type": "quantitative"},
                    "tooltip": [
                        {"field": "period"},
                        {"field": "value", "title": "Target", "format": ",.4~g"},
                    ],
                },
            }
        )
    return {"$schema": SCHEMA, "width": width, "height": height, "layer": layers, "config": CONFIG}


def breakdown_spec(
    rows: list[tuple[str, float | None]], *, title: str, width: int = 520, bar_height: int = 18
) -> dict[str, Any]:
    """One horizontal bar per child unit, largest first."""
    values = [{"unit": label, "value": value} for label, value in rows if value is not None]
    return {
        "$schema": SCHEMA,
        "width": width,
        "height": {"step": bar_height},
        "data": {"values": values},
        "mark": {"type": "bar", "color": "#3f7fbf"},
        "encoding": {
            "y": {"field": "unit", "type": "nominal", "sort": "-x", "title": None},
            "x": {"field": "value", "type": "quantitative", "title": title},
            "tooltip": [{"field": "unit"}, {"field": "value", "format": ",.4~g"}],
        },
        "config": CONFIG,
    }


def map_spec(
    points: list[tuple[str, float, float, float | None]], *, title: str, width: int = 520, height: int = 320
) -> dict[str, Any]:
    """A point map of units from (label, latitude, longitude, value): one circle per unit, its area by
    the value; a unit without a value a small grey dashed circle, "No data" in the legend (a null size
    would not be drawn at all). Equirectangular projection fitted to the points — no tiles, so the SVG
    stands alone in a page or a PDF report."""
    values = [
        {"unit": label, "lat": lat, "lon": lon, "value": value, "status": NO_DATA if value is None else ""}
        for label, lat, lon, value in points
    ]
    at = {
        "longitude": {"field": "lon", "type": "quantitative"},
        "latitude": {"field": "lat", "type": "quantitative"},
    }
    layers: list[dict[str, Any]] = [
        {
            "transform": [{"filter": "datum.value != null"}],
            "mark": {
                "type": "circle",
                "opacity": 0.75,
                "stroke": "#ffffff",
                "strokeWidth": 1,
                "color": "#0f5f57",
            },
            "encoding": {
                **at,
                "size": {
                    "field": "value",
                    "type": "quantitative",
                    "title": title,
                    "scale": {"range": [40, 900], "zero": True},
                    "legend": {"orient": "bottom", "direction": "horizontal"},
                },
                "tooltip": [{"field": "unit"}, {"field": "value", "title": title, "format": ",.4~g"}],
            },
        }
    ]
    if any(value is None for *_, value in points):
        layers.append(
            {
                "transform": [{"filter": "datum.value == null"}],
                "mark": {
                    "type": "circle",
                    "size": 110,
                    "stroke": "#6f7a78",
                    "strokeDash": [2, 2],
                    "opacity": 1,
                },
                "encoding": {
                    **at,
                    "fill": _no_data_legend(),
                    "tooltip": [{"field": "unit"}, {"field": "status"}],
                },
            }
        )
    layers.append(
        {
            "mark": {"type": "text", "dy": -18, "fontSize": 11, "color": "#334"},
            "encoding": {**at, "text": {"field": "unit"}},
        }
    )
    return {
        "$schema": SCHEMA,
        "width": width,
        "height": height,
        "padding": 24,
        "projection": {"type": "equirectangular"},
        "data": {"values": values},
        "layer": layers,
        "config": CONFIG,
    }


def _no_data_legend() -> dict[str, Any]:
    """A constant grey fill with its own legend entry, "No data" (a separate channel from the colour or
    size scale of the values, so both legends show)."""
    return {
        "datum": NO_DATA,
        "type": "nominal",
        "scale": {"domain": [NO_DATA], "range": ["#e4e7e6"]},
        "legend": {"orient": "bottom", "title": None, "symbolType": "square"},
    }


MAX_LABELS = 40  # more names than this on one map is clutter: the table under it lists them all


def choropleth_spec(
    shapes: list[tuple[str, dict[str, Any], float | None]],
    points: list[tuple[str, float, float, float | None]],
    *,
    title: str,
    width: int = 620,
    height: int = 380,
) -> dict[str, Any]:
    """Units filled by their value on a sequential scale, from (label, boundary, value) — the boundary a
    GeoJSON Polygon/MultiPolygon wound the way d3-geo reads it (`boundaries.rewound_for_d3`) — plus
    (label, latitude, longitude, value) circles for units without a boundary, coloured on the same
    scale. Units without data are grey with a dashed outline (not told by colour alone), listed as
    "No data" in the legend and in their description. No tiles: the SVG stands alone in a PDF."""
    features = [
        {
            "type": "Feature",
            "geometry": geometry,
            "properties": {"unit": label, "value": value, "status": "" if value is not None else NO_DATA},
        }
        for label, geometry, value in shapes
    ]
    collection = {"values": {"type": "FeatureCollection", "features": features}}
    collection["format"] = {"type": "json", "property": "features"}
    circles = [
        {"unit": label, "lat": lat, "lon": lon, "value": value, "status": NO_DATA if value is None else ""}
        for label, lat, lon, value in points
    ]
    color = {
        "type": "quantitative",
        "title": title,
        "scale": {"scheme": "tealblues", "zero": False},
        "legend": {"orient": "bottom", "direction": "horizontal", "gradientLength": 220, "format": ",.4~g"},
    }
    no_data = _no_data_legend()
    shape_mark = {"type": "geoshape", "stroke": "#ffffff", "strokeWidth": 0.8}
    point_at = {
        "longitude": {"field": "lon", "type": "quantitative"},
        "latitude": {"field": "lat", "type": "quantitative"},
    }
    circle_mark = {"type": "circle", "size": 160, "opacity": 1}
    # Each layer only when it has something to draw: an empty one would still show its legend.
    layers: list[dict[str, Any]] = []
    if any(value is not None for _, _, value in shapes):
        layers.append(
            {
                "data": collection,
                "transform": [{"filter": "datum.properties.value != null"}],
                "mark": shape_mark,
                "encoding": {
                    "color": {"field": "properties.value", **color},
                    "tooltip": [
                        {"field": "properties.unit", "title": "Unit"},
                        {"field": "properties.value", "title": title, "format": ",.4~g"},
                    ],
                },
            }
        )
    if any(value is None for _, _, value in shapes):
        layers.append(
            {
                "data": collection,
                "transform": [{"filter": "datum.properties.value == null"}],
                "mark": {**shape_mark, "stroke": "#8a9593", "strokeDash": [3, 2]},
                "encoding": {
                    "fill": no_data,
                    "tooltip": [
                        {"field": "properties.unit", "title": "Unit"},
                        {"field": "properties.status"},
                    ],
                },
            }
        )
    if any(c["value"] is not None for c in circles):
        layers.append(
            {
                "data": {"values": circles},
                "transform": [{"filter": "datum.value != null"}],
                "mark": {**circle_mark, "stroke": "#334", "strokeWidth": 0.6},
                "encoding": {
                    **point_at,
                    "color": {"field": "value", **color},
                    "tooltip": [{"field": "unit"}, {"field": "value", "title": title, "format": ",.4~g"}],
                },
            }
        )
    if any(c["value"] is None for c in circles):
        layers.append(
            {
                "data": {"values": circles},
                "transform": [{"filter": "datum.value == null"}],
                "mark": {**circle_mark, "stroke": "#8a9593", "strokeDash": [2, 2]},
                "encoding": {
                    **point_at,
                    "fill": no_data,
                    "tooltip": [{"field": "unit"}, {"field": "status"}],
                },
            }
        )
    if len(shapes) + len(circles) <= MAX_LABELS:
        labels = [_label_at(label, geometry) for label, geometry, _ in shapes]
        labels += [{"unit": label, "lon": lon, "lat": lat, "dy": -14} for label, lat, lon, _ in points]
        text = {"type": "text", "fontSize": 11, "fontWeight": 600, "dy": {"expr": "datum.dy"}}
        halo = {"stroke": "#ffffff", "strokeWidth": 3, "strokeOpacity": 0.85, "strokeJoin": "round"}
        for extra in (halo, {"color": "#223"}):
            layers.append(
                {
                    "data": {"values": labels},
                    "mark": {**text, **extra, "aria": False},
                    "encoding": {**point_at, "text": {"field": "unit"}},
                }
            )
    return {
        "$schema": SCHEMA,
        "width": width,
        "height": height,
        "padding": 12,
        "projection": {"type": "mercator"},
        "layer": layers,
        "config": {**CONFIG, "legend": {"labelFontSize": 11, "titleFontSize": 11}},
    }


def _label_at(label: str, geometry: dict[str, Any]) -> dict[str, Any]:
    """Where a shape's name goes: the centroid of its largest ring (computed here, in plain Python, so
    the chart module needs nothing but the figures)."""
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    best: tuple[float, float, float] = (0.0, 0.0, 0.0)
    for polygon in polygons:
        ring = polygon[0]
        a2 = cx = cy = 0.0
        for (x0, y0), (x1, y1) in itertools.pairwise(ring):
            cross = x0 * y1 - x1 * y0
            a2 += cross
            cx += (x0 + x1) * cross
            cy += (y0 + y1) * cross
        if a2 and abs(a2) > abs(best[0]):
            best = (a2, cx / (3 * a2), cy / (3 * a2))
    if not best[0]:
        first = polygons[0][0][0]
        return {"unit": label, "lon": first[0], "lat": first[1], "dy": 0}
    return {"unit": label, "lon": best[1], "lat": best[2], "dy": 0}


def unit_map_spec(
    shapes: list[tuple[str, dict[str, Any], float | None]],
    points: list[tuple[str, float, float, float | None]],
    *,
    title: str,
) -> dict[str, Any]:
    """The map of a dashboard's units: a choropleth when some have a boundary, else the point map."""
    return choropleth_spec(shapes, points, title=title) if shapes else map_spec(points, title=title)
