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


@register.simple_tag(takes_context=True)
def may_report(context: template.Context, collective: Any) -> bool:
    """Whether the request's user reports values in `collective` (read from their scope: no query)."""
    from minga.measurement.services import may_report as _may_report

    request = context.get("request")
    return request is not None and _may_report(request.user, collective)
