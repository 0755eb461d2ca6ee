"""Template filters of the measurement pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma

register = template.Library()


@register.filter
def figure(value: Any) -> str:
    """A rolled-up figure as people read it: 1,250 · 12.5 · a dash for no data."""
    if value is None or value == "":
        return "\u2013"
    number = float(value)
    if number == int(number) and abs(number) < 1e15:
        return str(intcomma(int(number)))
    return str(intcomma(f"{number:.1f}"))


@register.filter
def percent(value: Any) -> str:
    return "\u2013" if value is None else f"{float(value) * 100:.0f}%"


@register.filter
def get_item(mapping: dict[Any, Any], key: Any) -> Any:
    return mapping.get(key) if mapping else None
