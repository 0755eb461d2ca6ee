"""Template helpers of the pathway pages: a small, safe Markdown subset for the pathway texts."""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_EM = re.compile(r"(?<![*\w])\*(?!\s)(.+?)(?<!\s)\*(?!\*)")
_LIST_ITEM = re.compile(r"^\s*[-*]\s+")
_NUMBERED = re.compile(r"^\s*\d+[.)]\s+")


def _inline(text: str) -> str:
    return _EM.sub(r"<em>\1</em>", _BOLD.sub(r"<strong>\1</strong>", escape(text)))


@register.filter
def markdown(value: str | None) -> SafeString:
    """Paragraphs, "- " and "1. " lists, "## " headings, **bold** and *emphasis*. Everything is escaped
    first, so no markup from the text reaches the page (no links or raw HTML: this is a safe subset)."""
    blocks = re.split(r"\n\s*\n", (value or "").strip().replace("\r\n", "\n"))
    html: list[str] = []
    for block in blocks:
        lines = [line for line in block.split("\n") if line.strip()]
        if lines and lines[0].lstrip().startswith("#"):
            html.append(f"<h4>{_inline(lines.pop(0).lstrip().lstrip('#').strip())}</h4>")
        if not lines:
            continue
        if all(_LIST_ITEM.match(line) for line in lines):
            items = "".join(f"<li>{_inline(_LIST_ITEM.sub('', line))}</li>" for line in lines)
            html.append(f"<ul>{items}</ul>")
        elif all(_NUMBERED.match(line) for line in lines):
            items = "".join(f"<li>{_inline(_NUMBERED.sub('', line))}</li>" for line in lines)
            html.append(f"<ol>{items}</ol>")
        else:
            # Single line breaks inside a paragraph are wrapping, as in Markdown.
            html.append("<p>" + " ".join(_inline(line.strip()) for line in lines) + "</p>")
    return mark_safe("\n".join(html))


@register.filter
def share_of(row: Any, total: int) -> int:
    """A funnel row's share of `total` groups, in whole percent."""
    return int(row.share(total))
