"""Map and network pages. Placeholder until the network pages land: both answer 404."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse


def map_view(request: HttpRequest, slug: str) -> HttpResponse:
    raise Http404("The map page is not built yet.")


def network_view(request: HttpRequest, slug: str) -> HttpResponse:
    raise Http404("The network page is not built yet.")
