"""Links into imports and exports for any page: `{% load bulk %}`.

`{% export_links collective "people" %}` — "Export: CSV · XLSX · JSON" with the page's current filters;
`{% import_link collective "people" %}` — an "Import" button for users who may import that record type;
`{% may_import collective as flag %}` — whether to show the imports entry in the navigation.
Each renders nothing when the record type is not registered, so a page can name one before it exists.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.http import urlencode

from minga.core.bulk.spec import get_record_type
from minga.core.choices import Role
from minga.core.models import Collective
from minga.core.scoping import scope_for

register = template.Library()

# Query parameters of a list page that choose a page, not the rows: an export holds every page.
_PAGING = {"page", "after", "before"}
_IMPORTING_ROLES = (Role.ADMIN, Role.COORDINATOR, Role.LEAD)


def _user(context: template.Context) -> Any:
    request = context.get("request")
    return getattr(request, "user", None)


def may_import_here(user: Any, collective: Collective) -> bool:
    """Whether `user` holds a role that imports anything into `collective` (admin, coordinator, lead).

    Read from the request's scope, without a query, so the navigation costs nothing; each record type's
    `can_import` still decides on the import pages."""
    scope = scope_for(user)
    return scope.is_superuser or any((collective.pk, role.value) in scope.roles for role in _IMPORTING_ROLES)


@register.simple_tag(takes_context=True)
def may_import(context: template.Context, collective: Collective) -> bool:
    return may_import_here(_user(context), collective)


@register.inclusion_tag("core/bulk/_export_links.html", takes_context=True)
def export_links(
    context: template.Context, collective: Collective, kind: str, label: str = ""
) -> dict[str, Any]:
    try:
        get_record_type(kind)
    except KeyError:
        return {"urls": None}
    request = context.get("request")
    params = [
        (key, value)
        for key, values in (request.GET.lists() if request is not None else [])
        if key not in _PAGING
        for value in values
        if value != ""
    ]
    query = f"?{urlencode(params)}" if params else ""
    urls = {
        fmt: reverse("export", args=[collective.slug, kind, fmt]) + query for fmt in ("csv", "xlsx", "json")
    }
    return {"urls": urls, "label": label}


@register.inclusion_tag("core/bulk/_import_link.html", takes_context=True)
def import_link(context: template.Context, collective: Collective, kind: str) -> dict[str, Any]:
    user = _user(context)
    if not may_import_here(user, collective):
        return {"url": ""}
    try:
        record_type = get_record_type(kind)
    except KeyError:
        return {"url": ""}
    if not record_type.can_import(user, collective):
        return {"url": ""}
    return {"url": reverse("import_upload", args=[collective.slug]) + "?" + urlencode({"kind": kind})}
