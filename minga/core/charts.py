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
