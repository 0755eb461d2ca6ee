"""The contribution map of an outcome drawn as a static SVG: a layered graph laid out here, in Python.

Columns left to right: groups → activities → policy outcomes (and practices) → the outcome. Within a
column, nodes are ordered by the mean position of the nodes that point at them (one barycentre pass),
which keeps most edges from crossing. Text goes through `escape`, so nothing a user typed becomes markup.
"""

from __future__ import annotations

import textwrap

from django.utils.html import escape

from minga.activities.selectors import ContributionGraph, MapNode

NODE_W = 210
NODE_H = 58
COL_GAP = 70
ROW_GAP = 16
PAD = 20
HEADER = 28
STYLE = {
    "group": ("#e3efed", "#0f5f57"),
    "activity": ("#f6e6dc", "#b5562b"),
    "policy": ("#ebe5f4", "#6b4f9a"),
    "practice": ("#eef2df", "#58701b"),
    "outcome": ("#fff4cf", "#8a6d1d"),
}
COLUMN_TITLES = {0: "Groups", 1: "Activities", 2: "Policy changes & practices", 3: "Outcome"}


def _lines(text: str, width: int = 28, count: int = 2) -> list[str]:
    lines = textwrap.wrap(text, width) or [""]
    if len(lines) > count:
        lines = lines[:count]
        lines[-1] = lines[-1][: width - 1].rstrip() + "…"
    return lines


def layout(graph: ContributionGraph) -> dict[str, tuple[float, float]]:
    """Top-left corner of each node's box."""
    layers = sorted({n.layer for n in graph.nodes})
    incoming: dict[str, list[str]] = {}
    for src, dst in graph.edges:
        incoming.setdefault(dst, []).append(src)
    ordered: dict[int, list[MapNode]] = {}
    rank: dict[str, float] = {}
    for layer in layers:
        nodes = graph.layer(layer)
        if layer != layers[0]:
            nodes.sort(
                key=lambda n: (
                    sum(rank.get(s, 0) for s in incoming.get(n.key, []))
                    / max(1, len([s for s in incoming.get(n.key, []) if s in rank]))
                )
            )
        for i, n in enumerate(nodes):
            rank[n.key] = i
        ordered[layer] = nodes
    tallest = max((len(v) for v in ordered.values()), default=1)
    height = tallest * (NODE_H + ROW_GAP) - ROW_GAP
    positions: dict[str, tuple[float, float]] = {}
    for col, layer in enumerate(layers):
        nodes = ordered[layer]
        used = len(nodes) * (NODE_H + ROW_GAP) - ROW_GAP
        top = PAD + HEADER + (height - used) / 2
        for i, n in enumerate(nodes):
            positions[n.key] = (PAD + col * (NODE_W + COL_GAP), top + i * (NODE_H + ROW_GAP))
    return positions


def render_contribution_map(graph: ContributionGraph, *, title: str = "Contribution map") -> str:
    """The graph as an SVG document fragment (inline in HTML, also fine in WeasyPrint PDFs)."""
    if not graph.nodes:
        return ""
    pos = layout(graph)
    layers = sorted({n.layer for n in graph.nodes})
    tallest = max(len(graph.layer(layer)) for layer in layers)
    width = PAD * 2 + len(layers) * NODE_W + (len(layers) - 1) * COL_GAP
    height = PAD * 2 + HEADER + tallest * (NODE_H + ROW_GAP) - ROW_GAP
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{escape(title)}" class="contribution-map" '
        'font-family="system-ui, sans-serif">',
        f"<title>{escape(title)}</title>",
    ]
    for col, layer in enumerate(layers):
        x = PAD + col * (NODE_W + COL_GAP) + NODE_W / 2
        out.append(
            f'<text x="{x:.0f}" y="{PAD + 12}" text-anchor="middle" font-size="13" font-weight="600" '
            f'fill="#444">{escape(COLUMN_TITLES.get(layer, ""))}</text>'
        )
    for src, dst in graph.edges:
        if src not in pos or dst not in pos:
            continue
        x1, y1 = pos[src][0] + NODE_W, pos[src][1] + NODE_H / 2
        x2, y2 = pos[dst][0], pos[dst][1] + NODE_H / 2
        mid = (x1 + x2) / 2
        out.append(
            f'<path d="M{x1:.1f},{y1:.1f} C{mid:.1f},{y1:.1f} {mid:.1f},{y2:.1f} {x2:.1f},{y2:.1f}" '
            'fill="none" stroke="#8c8c8c" stroke-width="1.6" stroke-opacity="0.75"/>'
        )
    for node in graph.nodes:
        x, y = pos[node.key]
        fill, stroke = STYLE.get(node.kind, ("#eee", "#555"))
        weight = 3 if node.kind == "outcome" else 1.5
        box = [
            f"<title>{escape(node.label)}{(' — ' + escape(node.detail)) if node.detail else ''}</title>",
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{NODE_W}" height="{NODE_H}" rx="8" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="{weight}"/>',
        ]
        lines = _lines(node.label)
        for i, line in enumerate(lines):
            box.append(
                f'<text x="{x + 10:.1f}" y="{y + 19 + i * 16:.1f}" font-size="13" fill="#1d1d1d">'
                f"{escape(line)}</text>"
            )
        if node.detail and len(lines) < 2:
            box.append(
                f'<text x="{x + 10:.1f}" y="{y + 40:.1f}" font-size="11" fill="#555">'
                f"{escape(_lines(node.detail, 34, 1)[0])}</text>"
            )
        elif node.detail:
            box.append(
                f'<text x="{x + 10:.1f}" y="{y + 52:.1f}" font-size="10" fill="#555">'
                f"{escape(_lines(node.detail, 38, 1)[0])}</text>"
            )
        group = "".join(box)
        if node.url:
            out.append(f'<a href="{escape(node.url)}">{group}</a>')
        else:
            out.append(f"<g>{group}</g>")
    out.append("</svg>")
    return "\n".join(out)
