"""Template helpers of the layout: the collective switcher, optional links and query strings."""

from __future__ import annotations

from typing import Any

from django import template
from django.http import QueryDict
from django.urls import NoReverseMatch, reverse

from minga.core import languages
from minga.core.models import Collective

register = template.Library()


@register.simple_tag(takes_context=True)
def visible_collectives(context: template.Context) -> list[Collective]:
    """Collectives the current user may see, for the header switcher (one query per request)."""
    request = context.get("request")
    if request is None:
        return []
    cached: list[Collective] | None = getattr(request, "_minga_collectives", None)
    if cached is None:
        cached = list(Collective.objects.visible_to(request.user).only("slug", "name")[:50])
        request._minga_collectives = cached
    return cached


@register.simple_tag
def optional_url(name: str, *args: Any) -> str:
    """The URL for `name`, or "" when no such page is wired (yet): the link is then left out."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


@register.simple_tag(takes_context=True)
def query(context: template.Context, **changes: Any) -> str:
    """The current query string with `changes` applied (a None or "" value removes the key)."""
    request = context.get("request")
    params = request.GET.copy() if request is not None else QueryDict(mutable=True)
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = str(value)
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def get_item(mapping: dict[Any, Any], key: Any) -> Any:
    return mapping.get(key) if mapping else None


@register.filter
def language_name(tag: str) -> str:
    """ "hi" → "Hindi (hi)"; a tag Minga knows no name for is shown as it is."""
    if not tag:
        return ""
    known = languages.name(tag)
    return tag if known == tag else f"{known} ({tag})"
