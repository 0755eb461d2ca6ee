"""The map and the network view, and the JSON they draw.

Each page is a light HTML shell; its script fetches the data from the same URL with `?format=geojson`
(map) or `?format=json` (network), so the filters in the address bar are the filters of the data.
`map_data` and `network_data` can also be wired to routes of their own. The network page also says how
fresh its metrics are, and lets the collective's admins ask for a recomputation (`network_refresh`).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from minga.architecture import selectors_geo
from minga.architecture.access import access_collective, access_group
from minga.architecture.models import Group
from minga.architecture.tasks import network_refresh_request
from minga.core.models import Collective


def _within(request: HttpRequest, collective: Collective) -> Group | None:
    """The `within` group of the query string (or of the form, on POST): a group the viewer may see,
    else 404 (NotFound)."""
    raw = (request.POST if request.method == "POST" else request.GET).get("within", "").strip()
    if not raw:
        return None
    try:
        group_id = int(raw)
    except ValueError:
        return None
    return access_group(request.user, group_id, collective=collective)


def _map_filters(request: HttpRequest, collective: Collective) -> selectors_geo.MapFilters:
    return selectors_geo.MapFilters(
        layer=request.GET.get("layer", "").strip(),
        kind=request.GET.get("kind", "").strip()[:40],
        status=request.GET.get("status", "").strip(),
        within=_within(request, collective),
    )


def _subtrees(request: HttpRequest, collective: Collective, within: Group | None) -> dict[str, Any]:
    choices = selectors_geo.subtree_choices(request.user, collective)
    offered = within is not None and any(pk == within.pk for pk, _ in choices)
    return {"subtrees": choices, "within_offered": offered}


def _data_response(data: dict[str, Any], content_type: str = "application/json") -> JsonResponse:
    response = JsonResponse(data, content_type=content_type)
    # What a viewer may see depends on who they are: never share a cached copy between users.
    response["Cache-Control"] = "private, max-age=60"
    response["Vary"] = "Cookie"
    return response


def map_view(request: HttpRequest, slug: str) -> HttpResponse:
    """The map of the groups the viewer may see (filters: layer, kind, status, within a group)."""
    if request.GET.get("format") == "geojson":
        return map_data(request, slug)
    collective = access_collective(request.user, slug)
    filters = _map_filters(request, collective)
    context = {
        "collective": collective,
        "nav": "map",
        "filters": filters,
        "options": selectors_geo.map_filter_options(collective),
        **_subtrees(request, collective, filters.within),
        "config": {
            "dataUrl": reverse("architecture:map", args=[collective.slug]),
            "groupUrl": reverse("architecture:group_detail", args=[collective.slug, 0]).replace(
                "/0/", "/{id}/"
            ),
            "tileUrl": settings.MINGA_TILE_URL,
            "tileAttribution": settings.MINGA_TILE_ATTRIBUTION,
        },
    }
    return render(request, "architecture/map.html", context)


def map_data(request: HttpRequest, slug: str) -> JsonResponse:
    """GeoJSON of the visible groups with a point, filtered like the map page."""
    collective = access_collective(request.user, slug)
    data = selectors_geo.groups_geojson(
        user=request.user, collective=collective, filters=_map_filters(request, collective)
    )
    return _data_response(data, "application/geo+json")


def network_view(request: HttpRequest, slug: str) -> HttpResponse:
    """The network of links between the groups the viewer may see, for a subtree or the top of the tree."""
    if request.GET.get("format") == "json":
        return network_data(request, slug)
    collective = access_collective(request.user, slug)
    within = _within(request, collective)
    context = {
        "collective": collective,
        "nav": "network",
        "within": within,
        **_subtrees(request, collective, within),
        "include_tree": request.GET.get("tree", "1") != "0",
        "status": selectors_geo.network_status(request.user, collective, within),
        "config": {
            "dataUrl": reverse("architecture:network", args=[collective.slug]),
            "groupUrl": reverse("architecture:group_detail", args=[collective.slug, 0]).replace(
                "/0/", "/{id}/"
            ),
        },
    }
    return render(request, "architecture/network.html", context)


def network_data(request: HttpRequest, slug: str) -> JsonResponse:
    """Nodes and edges (cytoscape's element format) of the visible network, capped."""
    collective = access_collective(request.user, slug)
    data = selectors_geo.network_graph(
        user=request.user,
        collective=collective,
        within=_within(request, collective),
        include_tree=request.GET.get("tree", "1") != "0",
        include_closed=request.GET.get("closed") == "1",
    )
    return _data_response(data)


@require_POST
def network_refresh(request: HttpRequest, slug: str) -> HttpResponse:
    """Queue a recomputation of the network metrics of the collective (or of the `within` subtree).

    For the collective's admins only: 404 for everybody else, as for anything out of reach.
    """
    collective = access_collective(request.user, slug, for_edit=True)
    within = _within(request, collective)
    network_refresh_request(actor=request.user, collective=collective, scope_group=within)
    messages.success(
        request,
        "The network metrics will be recomputed in the background. Reload this page in a minute "
        "to see the new figures.",
    )
    url = reverse("architecture:network", args=[collective.slug])
    return redirect(f"{url}?within={within.pk}" if within is not None else url)
