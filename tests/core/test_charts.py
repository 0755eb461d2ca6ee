"""Charts: Vega-Lite specs rendered to SVG on the server."""

from __future__ import annotations

import re

from minga.core.charts import GROUPS_LABEL, MEMBERS_LABEL, growth_chart_spec, render_svg


def test_growth_chart_svg_has_axes_and_data_labels():
    series = [
        {"period": "2019", "groups_active": 3, "members_active": 40},
        {"period": "2020", "groups_active": 7, "members_active": 95},
    ]
    svg = render_svg(growth_chart_spec(series, width=360))
    assert svg.lstrip().startswith("<svg")
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert {"2019", "2020", GROUPS_LABEL, MEMBERS_LABEL} <= set(texts)


def test_growth_chart_spec_keeps_only_numbers_and_periods():
    spec = growth_chart_spec([{"period": 2021, "groups_active": "5", "members_active": 8, "name": "<b>"}])
    assert spec["data"]["values"] == [{"period": "2021", "groups": 5, "members": 8}]


def test_text_is_escaped_in_the_svg():
    spec = {
        "data": {"values": [{"label": "<script>alert(1)</script>", "n": 1}]},
        "mark": "bar",
        "encoding": {"x": {"field": "label", "type": "nominal"}, "y": {"field": "n", "type": "quantitative"}},
    }
    svg = render_svg(spec)
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg


def test_empty_series_renders():
    assert "<svg" in render_svg(growth_chart_spec([], width=200))
