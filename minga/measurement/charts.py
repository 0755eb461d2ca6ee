"""Vega-Lite specs of the measurement dashboard, rendered to SVG by `minga.core.charts.render_svg`, so the
same chart goes into the page and into PDF reports. Only figures and labels go into a spec, as data."""

from __future__ import annotations

from typing import Any

SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
CONFIG = {"view": {"stroke": None}, "font": "system-ui, sans-serif"}


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
    the value (grey when the unit has no value), in an equirectangular projection fitted to the points
    — no tiles, so the SVG stands alone in a page or a PDF report."""
    values = [
        {"unit": label, "lat": lat, "lon": lon, "value": value, "reported": value is not None}
        for label, lat, lon, value in points
    ]
    return {
        "$schema": SCHEMA,
        "width": width,
        "height": height,
        "padding": 24,
        "projection": {"type": "equirectangular"},
        "data": {"values": values},
        "layer": [
            {
                "mark": {"type": "circle", "opacity": 0.75, "stroke": "#ffffff", "strokeWidth": 1},
                "encoding": {
                    "longitude": {"field": "lon", "type": "quantitative"},
                    "latitude": {"field": "lat", "type": "quantitative"},
                    "size": {
                        "field": "value",
                        "type": "quantitative",
                        "title": title,
                        "scale": {"range": [40, 900], "zero": True},
                        "legend": {"orient": "bottom", "direction": "horizontal"},
                    },
                    "color": {
                        "field": "reported",
                        "type": "nominal",
                        "scale": {"domain": [True, False], "range": ["#0f5f57", "#9aa5a3"]},
                        "legend": None,
                    },
                    "tooltip": [{"field": "unit"}, {"field": "value", "title": title, "format": ",.4~g"}],
                },
            },
            {
                "mark": {"type": "text", "dy": -18, "fontSize": 11, "color": "#334"},
                "encoding": {
                    "longitude": {"field": "lon", "type": "quantitative"},
                    "latitude": {"field": "lat", "type": "quantitative"},
                    "text": {"field": "unit"},
                },
            },
        ],
        "config": CONFIG,
    }
