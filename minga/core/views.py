"""Pages of the core: the start page (logging in and out and passwords are Django's own views).

Accepting an invitation is a people page (`minga.people.views.invitation_accept`): core knows no
domain app.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from minga.core.models import Collective


def home(request: HttpRequest) -> HttpResponse:
    """One visible collective: go straight to it. Several (or none): list them."""
    collectives = list(Collective.objects.visible_to(request.user).only("slug", "name", "mission")[:201])
    if len(collectives) == 1:
        return redirect("architecture:collective_home", slug=collectives[0].slug)
    return render(request, "core/home.html", {"collectives": collectives[:200]})
