"""Pages of the core: the start page, logging in and out, passwords, and accepting an invitation."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from minga.core.errors import DomainError
from minga.core.forms import SetPasswordForm, add_problems
from minga.core.models import Collective
from minga.people.services import invitation_accept, invitation_find


def home(request: HttpRequest) -> HttpResponse:
    """One visible collective: go straight to it. Several (or none): list them."""
    collectives = list(Collective.objects.visible_to(request.user).only("slug", "name", "mission")[:201])
    if len(collectives) == 1:
        return redirect("architecture:collective_home", slug=collectives[0].slug)
    return render(request, "core/home.html", {"collectives": collectives[:200]})


@require_http_methods(["GET", "POST"])
def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    """Set a password for an invitation, then log in and go to the collective."""
    invitation = invitation_find(token)  # NotFound (unknown, used or expired) → 404
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept(raw_token=token, password=form.cleaned_data["password"])
        except DomainError as error:
            add_problems(form, error)
        else:
            login(request, user, backend="minga.core.auth.EmailBackend")
            messages.success(request, f"Welcome to {invitation.group.collective.name}.")
            return redirect("architecture:collective_home", slug=invitation.group.collective.slug)
    status = 422 if form.errors else 200
    return render(
        request, "core/invitation_accept.html", {"invitation": invitation, "form": form}, status=status
    )
