"""Pages about people: the directory, a person's page and the actions on it.

Views are thin: parse the form, call one service or selector, render. Services decide who may do what;
their `DomainError` problems are shown next to the fields and `NotFound` becomes a 404.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from minga.architecture.access import access_collective
from minga.architecture.models import Group
from minga.core.errors import DomainError, NotFound
from minga.core.forms import SetPasswordForm, add_problems
from minga.core.models import Collective
from minga.people import selectors, services
from minga.people.access import access_membership, access_person
from minga.people.forms import (
    ConsentForm,
    InvitationForm,
    MembershipEndForm,
    MembershipForm,
    PersonCreateForm,
    PersonFilterForm,
    PersonForm,
)
from minga.people.models import Person


def _person_in(
    request: HttpRequest, collective: Collective, person_id: int, *, for_edit: bool = False
) -> Person:
    person = access_person(request.user, person_id, for_edit=for_edit)
    if person.collective_id != collective.pk:
        raise NotFound("person")
    return person


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], *, form: Any = None
) -> HttpResponse:
    context.setdefault("nav", "people")
    status = 422 if form is not None and form.errors else 200
    return render(request, template, context, status=status)


@login_required
def person_list(request: HttpRequest, slug: str) -> HttpResponse:
    """People the viewer may see, searchable by name or email, filtered by group subtree and role."""
    collective = access_collective(request.user, slug)
    form = PersonFilterForm(request.GET or None)
    filters = selectors.PersonFilters()
    if form.is_valid():
        data = form.cleaned_data
        group = None
        if data["group"]:
            group = (
                Group.objects.visible_to(request.user)
                .filter(collective=collective, code=data["group"])
                .first()
            )
            if group is None:
                form.add_error("group", "There is no group with this code that you can see.")
        filters = selectors.PersonFilters(q=data["q"].strip(), group=group, role=data["role"])
    page = selectors.person_page(
        user=request.user, collective=collective, filters=filters, page=request.GET.get("page")
    )
    context = {
        "collective": collective,
        "form": form,
        "filters": filters,
        "page": page,
        "group_choices": selectors.group_choices(request.user, collective, editable=False),
        "can_create": bool(selectors.grantable_roles(request.user, collective)),
    }
    return _render(request, "people/person_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def person_create(request: HttpRequest, slug: str) -> HttpResponse:
    """Register a person into a group with a role (a lead adds members to their group)."""
    collective = access_collective(request.user, slug)
    roles = selectors.grantable_roles(request.user, collective)
    if not roles:
        raise NotFound("collective")
    groups = Group.objects.editable_by(request.user)
    initial: dict[str, Any] = {}
    preset_id = _int(request.GET.get("group", ""))
    if preset_id is not None:
        preset = groups.filter(collective=collective, pk=preset_id).first()
        if preset is not None:
            initial["group"] = preset.code
    group_choices = selectors.group_choices(request.user, collective, editable=True)
    if "group" not in initial and len(group_choices) == 1:
        initial["group"] = group_choices[0].code  # a lead of one group: that group
    form = PersonCreateForm(
        request.POST or None, initial=initial, groups=groups, collective=collective, roles=roles
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = services.person_create(
                actor=request.user,
                collective=collective,
                full_name=data["full_name"],
                email=data["email"],
                external_id=data["external_id"],
                preferred_language=data["preferred_language"],
                skills=data["skills"],
                consent_purpose=data["consent_purpose"] if data["consent_given"] else "",
                consent_given_at=timezone.now() if data["consent_given"] else None,
                group=data["group"],
                role=data["role"],
            )
        except DomainError as error:
            add_problems(form, error, aliases={"consent_given_at": "consent_given"})
        else:
            messages.success(request, f"{person.full_name} was added to {data['group'].name}.")
            return redirect("people:person_detail", slug=collective.slug, person_id=person.pk)
    context = {"collective": collective, "form": form, "group_choices": group_choices}
    return _render(request, "people/person_form.html", context, form=form)


@login_required
def person_detail(request: HttpRequest, slug: str, person_id: int) -> HttpResponse:
    """A person's profile, consent record and memberships, with the actions the viewer may take."""
    collective = access_collective(request.user, slug)
    person = _person_in(request, collective, person_id)
    profile = selectors.person_profile(user=request.user, person=person)
    context = {
        "collective": collective,
        "person": person,
        "profile": profile,
        "consent_form": ConsentForm(initial={"purpose": person.consent_purpose}),
    }
    return _render(request, "people/person_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, slug: str, person_id: int) -> HttpResponse:
    collective = access_collective(request.user, slug)
    person = _person_in(request, collective, person_id, for_edit=True)
    initial = {
        name: getattr(person, name) for name in ("full_name", "email", "external_id", "preferred_language")
    }
    initial["skills"] = person.skills
    form = PersonForm(request.POST or None, initial=initial, collective=collective)
    if request.method == "POST" and form.is_valid():
        try:
            services.person_update(actor=request.user, person=person, **form.cleaned_data)
        except DomainError as error:
            add_problems(form, error)
        else:
            messages.success(request, "The record was saved.")
            return redirect("people:person_detail", slug=collective.slug, person_id=person.pk)
    return _render(
        request,
        "people/person_edit.html",
        {"collective": collective, "person": person, "form": form},
        form=form,
    )


@login_required
@require_POST
def person_consent(request: HttpRequest, slug: str, person_id: int) -> HttpResponse:
    """Record consent given (with its purpose) or withdrawn."""
    collective = access_collective(request.user, slug)
    person = _person_in(request, collective, person_id, for_edit=True)
    form = ConsentForm(request.POST)
    if form.is_valid():
        given = form.cleaned_data["action"] == "give"
        try:
            services.person_consent_record(
                actor=request.user, person=person, purpose=form.cleaned_data["purpose"], given=given
            )
        except DomainError as error:
            add_problems(form, error, aliases={"consent_purpose": "purpose"})
        else:
            messages.success(
                request, "Consent recorded." if given else "The withdrawal of consent was recorded."
            )
            return redirect("people:person_detail", slug=collective.slug, person_id=person.pk)
    profile = selectors.person_profile(user=request.user, person=person)
    context = {"collective": collective, "person": person, "profile": profile, "consent_form": form}
    return _render(request, "people/person_detail.html", context, form=form)


@login_required
@require_POST
def person_export(request: HttpRequest, slug: str, person_id: int) -> HttpResponse:
    """Download everything Minga holds about the person, as JSON (a POST: the export is audited)."""
    collective = access_collective(request.user, slug)
    person = _person_in(request, collective, person_id)
    data = services.person_export(actor=request.user, person=person)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="person-{person.pk}.json"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def person_erase(request: HttpRequest, slug: str, person_id: int) -> HttpResponse:
    """Confirm, then erase the person's record, memberships and invitations."""
    collective = access_collective(request.user, slug)
    person = _person_in(request, collective, person_id, for_edit=True)
    problems: list[str] = []
    if request.method == "POST":
        try:
            services.person_erase(actor=request.user, person=person)
        except DomainError as error:
            problems = [p.message for p in error.problems]
        else:
            messages.success(
                request, "The person's record was erased. The audit log keeps only that it happened."
            )
            return redirect("people:person_list", slug=collective.slug)
    profile = selectors.person_profile(user=request.user, person=person)
    context = {"collective": collective, "person": person, "profile": profile, "problems": problems}
    return render(
        request, "people/person_erase.html", {"nav": "people", **context}, status=422 if problems else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def person_invite(request: HttpRequest, slug: str, person_id: int) -> HttpResponse:
    """Invite the person to log in and take up a role; the one-time link is shown once and emailed."""
    collective = access_collective(request.user, slug)
    person = _person_in(request, collective, person_id, for_edit=True)
    roles = selectors.grantable_roles(request.user, collective)
    groups = Group.objects.editable_by(request.user)
    reachable = groups.filter(
        collective=collective, memberships__person=person, memberships__ended_on__isnull=True
    )
    first = reachable.order_by("depth", "name").first()
    initial = {"group": first.code if first else "", "role": "member"}
    form = InvitationForm(
        request.POST or None, initial=initial, groups=groups, collective=collective, roles=roles
    )
    if request.method == "POST" and form.is_valid():
        try:
            invitation, link = services.invitation_create(
                actor=request.user,
                person=person,
                group=form.cleaned_data["group"],
                role=form.cleaned_data["role"],
                base_url=request.build_absolute_uri("/"),
            )
        except DomainError as error:
            add_problems(form, error)
        else:
            context = {"collective": collective, "person": person, "invitation": invitation, "link": link}
            response = _render(request, "people/person_invited.html", context)
            response["Cache-Control"] = "no-store"  # the link is a credential: show it once
            return response
    context = {
        "collective": collective,
        "person": person,
        "form": form,
        "group_choices": selectors.group_choices(request.user, collective, editable=True),
    }
    return _render(request, "people/person_invite.html", context, form=form)


@login_required
@require_http_methods(["GET", "POST"])
def membership_create(request: HttpRequest, slug: str, person_id: int) -> HttpResponse:
    """Give the person a role in another group."""
    collective = access_collective(request.user, slug)
    person = _person_in(request, collective, person_id)
    roles = selectors.grantable_roles(request.user, collective)
    if not roles:
        raise NotFound("group")
    groups = Group.objects.editable_by(request.user)
    form = MembershipForm(request.POST or None, groups=groups, collective=collective, roles=roles)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.membership_create(actor=request.user, person=person, **form.cleaned_data)
        except DomainError as error:
            add_problems(form, error)
        else:
            messages.success(
                request,
                f"{person.full_name} is now {membership.get_role_display()} of {membership.group.name}.",
            )
            return redirect("people:person_detail", slug=collective.slug, person_id=person.pk)
    context = {
        "collective": collective,
        "person": person,
        "form": form,
        "group_choices": selectors.group_choices(request.user, collective, editable=True),
    }
    return _render(request, "people/membership_form.html", context, form=form)


@login_required
@require_http_methods(["GET", "POST"])
def membership_end(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    """End a membership on a date (it stays in the person's history)."""
    collective = access_collective(request.user, slug)
    membership = access_membership(request.user, membership_id, for_edit=True)
    if membership.group.collective_id != collective.pk:
        raise NotFound("membership")
    form = MembershipEndForm(request.POST or None, initial={"ended_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_end(
                actor=request.user, membership=membership, ended_on=form.cleaned_data["ended_on"]
            )
        except DomainError as error:
            add_problems(form, error)
        else:
            messages.success(request, f"The role in {membership.group.name} ended.")
            return redirect("people:person_detail", slug=collective.slug, person_id=membership.person_id)
    context = {"collective": collective, "membership": membership, "person": membership.person, "form": form}
    return _render(request, "people/membership_end.html", context, form=form)


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Set a password for an invitation, then log in and go to the collective (no login needed: the
    one-time token in the link is the credential)."""
    invitation = services.invitation_find(token)  # NotFound (unknown, used or expired) → 404
    form = SetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(raw_token=token, password=form.cleaned_data["password"])
        except DomainError as error:
            add_problems(form, error)
        else:
            login(request, user, backend="minga.core.auth.EmailBackend")
            messages.success(request, f"Welcome to {invitation.group.collective.name}.")
            return redirect("architecture:collective_home", slug=invitation.group.collective.slug)
    context = {"invitation": invitation, "form": form}
    return render(request, "people/invitation_accept.html", context, status=422 if form.errors else 200)


def _int(value: str) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
