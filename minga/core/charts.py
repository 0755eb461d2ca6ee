"""Charts as static SVG, drawn on the server from a Vega-Lite spec: no JavaScript in the page, the same
picture in HTML and in PDFs (WeasyPrint embeds the SVG).

vl-convert keeps its JavaScript engine warm inside the process after the first call (≈0.8 s), so we
only add a small cache of recent results keyed by the spec.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

import vl_convert

_CACHE_SIZE = 64
_cache: OrderedDict[str, str] = OrderedDict()
_lock = threading.Lock()


def render_svg(spec: dict[str, Any]) -> str:
    """The SVG markup of a Vega-Lite `spec` (identical specs are rendered once)."""
    key = json.dumps(spec, sort_keys=True, default=str)
    with _lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
            return cached
    svg: str = vl_convert.vegalite_to_svg(spec)
    with _lock:
        _cache[key] = svg
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return svg


def warm_up() -> None:
    """Start vl-convert's JavaScript engine now (≈0.8 s once per process), e.g. when a worker starts."""
    render_svg({"mark": "point", "data": {"values": [{"x": 0}]}, "encoding": {"x": {"field": "x"}}})


GROUPS_LABEL = "Active groups"
MEMBERS_LABEL = "Active memberships"


def growth_chart_spec(series: Any, *, width: int | str = "container", height: int = 200) -> dict[str, Any]:
    """A Vega-Lite spec of cumulative groups (area, left axis) and memberships (line, right axis).

    `series` is a list of dicts, or an object with `as_dicts()` (architecture's `GrowthSeries`), whose
    items have `period`, `groups_active` and `members_active`. Only those three values go into the
    spec, as data: Vega draws them as SVG text nodes, so nothing here is markup.
    """
    rows = series.as_dicts() if hasattr(series, "as_dicts") else list(series)
    values = [
        {
            "period": str(row["period"]),
            "groups": int(row.get("groups_active", 0)),
            "members": int(row.get("members_active", 0)),
        }
        for row in rows
    ]
    x = {"field": "period", "type": "ordinal", "title": None, "axis": {"labelAngle": 0}}
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": width,
        "height": height,
        "data": {"values": values},
        "encoding": {"x": x},
        "layer": [
            {
                "mark": {"type": "area", "color": "#9ec5c0", "opacity": 0.8, "line": {"color": "#0f5f57"}},
                "encoding": {
                    "y": {"field": "groups", "type": "quantitative", "title": GROUPS_LABEL},
                    "tooltip": [{"field": "period"}, {"field": "groups", "title": GROUPS_LABEL}],
                },
            },
            {
                "mark": {"type": "line", "color": "#b5562b", "point": True, "strokeWidth": 2},
                "encoding": {
                    "y": {
                        "field": "members",
                        "type": "quantitative",
                        "title": MEMBERS_LABEL,
                        "axis": {"orient": "right"},
                    },
                    "tooltip": [{"field": "period"}, {"field": "members", "title": MEMBERS_LABEL}],
                },
            },
        ],
        "resolve": {"scale": {"y": "independent"}},
        "config": {"view": {"stroke": None}, "font": "system-ui, sans-serif"},
    }
