"""Pages of the evidence of contribution: institutions (list, timeline, engagements), harvested outcomes
(list, page with the contribution map, forms, review steps) and stories (list, page, theme view)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from minga.activities import selectors, services
from minga.activities.access import access_institution, access_outcome, access_story
from minga.activities.contribution_map import render_contribution_map
from minga.activities.forms import EngagementForm, InstitutionForm, OutcomeForm, StoryForm
from minga.activities.models import Activity, Institution, Outcome, OutcomeStatus, Story
from minga.activities.views import _owner_groups, _visible_groups, form_page
from minga.architecture.access import access_collective, access_group
from minga.architecture.models import Group
from minga.core.errors import DomainError
from minga.core.forms import add_problems
from minga.core.models import Collective

# --- institutions ---------------------------------------------------------------------------------


@require_GET
def institution_list(request: HttpRequest, slug: str) -> HttpResponse:
    collective = access_collective(request.user, slug)
    kind = request.GET.get("kind", "")
    kind = kind if kind in Institution.Kind.values else ""
    q = request.GET.get("q", "").strip()[:100]
    return render(
        request,
        "activities/institution_list.html",
        {
            "collective": collective,
            "nav": "activities",
            "sub": "institutions",
            "institutions": selectors.institution_list(request.user, collective, kind=kind, q=q),
            "kinds": Institution.Kind.choices,
            "kind": kind,
            "q": q,
            "can_create": request.user.is_authenticated and bool(_owner_groups(request.user, collective)),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def institution_create(request: HttpRequest, slug: str) -> HttpResponse:
    user = request.user
    collective = access_collective(user, slug)
    form = InstitutionForm(
        request.POST if request.method == "POST" else None, groups=_owner_groups(user, collective)
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        group_id = data.pop("group")
        try:
            group = access_group(user, group_id, collective=collective) if group_id else None
            institution = services.institution_create(actor=user, collective=collective, group=group, **data)
        except DomainError as error:
            add_problems(form, error)
        else:
            return redirect("activities:institution_detail", collective.slug, institution.pk)
    return form_page(
        request,
        collective,
        form,
        title="New institution",
        cancel=reverse("activities:institution_list", args=[collective.slug]),
    )


@require_http_methods(["GET", "POST"])
def institution_detail(request: HttpRequest, slug: str, institution_id: int) -> HttpResponse:
    """An institution's timeline of engagements and policy outcomes, its contacts, and a form to record
    an engagement."""
    user = request.user
    collective = access_collective(user, slug)
    institution = access_institution(user, institution_id, collective=collective)
    owners = _owner_groups(user, collective) if user.is_authenticated else []
    form = (
        EngagementForm(request.POST if request.method == "POST" else None, groups=owners) if owners else None
    )
    if request.method == "POST":
        if form is None:
            return redirect("login")
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                group = access_group(user, data.pop("group"), collective=collective)
                services.engagement_create(actor=user, institution=institution, group=group, **data)
            except DomainError as error:
                add_problems(form, error)
            else:
                messages.success(request, "Engagement recorded.")
                return redirect("activities:institution_detail", collective.slug, institution.pk)
    return render(
        request,
        "activities/institution_detail.html",
        {
            "collective": collective,
            "nav": "activities",
            "sub": "institutions",
            "institution": institution,
            "timeline": selectors.institution_timeline(user, institution),
            "contacts": selectors.contact_rows(user, institution),
            "form": form,
        },
        status=422 if form is not None and form.is_bound and form.errors else 200,
    )


# --- outcomes -------------------------------------------------------------------------------------


@require_GET
def outcome_list(request: HttpRequest, slug: str) -> HttpResponse:
    collective = access_collective(request.user, slug)
    status = request.GET.get("status", "")
    status = status if status in OutcomeStatus.values else ""
    outcomes = list(selectors.outcome_list(request.user, collective, status=status)[:300])
    return render(
        request,
        "activities/outcome_list.html",
        {
            "collective": collective,
            "nav": "activities",
            "sub": "outcomes",
            "outcomes": outcomes,
            "status": status,
            "statuses": OutcomeStatus.choices,
            "can_create": request.user.is_authenticated and bool(_owner_groups(request.user, collective)),
        },
    )


@require_GET
def outcome_detail(request: HttpRequest, slug: str, outcome_id: int) -> HttpResponse:
    user = request.user
    collective = access_collective(user, slug)
    outcome = access_outcome(user, outcome_id, collective=collective)
    graph = selectors.contribution_graph(user, outcome)
    for node in graph.nodes:
        kind, pk = node.key[0], int(node.key[1:])
        if kind == "a":
            node.url = reverse("activities:activity_detail", args=[collective.slug, pk])
        elif kind == "g":
            node.url = reverse("architecture:group_detail", args=[collective.slug, pk])
        elif kind == "r":
            node.url = reverse("learning:practice_detail", args=[collective.slug, pk])
    can_edit = Outcome.objects.editable_by(user).filter(pk=outcome.pk).exists()
    return render(
        request,
        "activities/outcome_detail.html",
        {
            "collective": collective,
            "nav": "activities",
            "sub": "outcomes",
            "outcome": outcome,
            "map": render_contribution_map(
                graph, title=f"How the collective contributed to: {outcome.title}"
            ),
            "graph": graph,
            "stories": list(outcome.stories.visible_to(user)),
            "indicators": list(outcome.indicators.visible_to(user)),
            "can_edit": can_edit and outcome.status == OutcomeStatus.DRAFT,
            "next_statuses": [(s, OutcomeStatus(s).label) for s in services.outcome_next_statuses(outcome)]
            if can_edit
            else [],
        },
    )


def _outcome_form(
    request: HttpRequest, collective: Collective, initial: dict[str, Any] | None = None
) -> OutcomeForm:
    user = request.user
    activities = list(
        Activity.objects.visible_to(user)
        .filter(collective=collective)
        .only("id", "title", "starts_on")
        .order_by("-starts_on")[:300]
    )
    return OutcomeForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        owners=_owner_groups(user, collective),
        groups=_visible_groups(user, collective),
        activities=activities,
    )


def _picked(
    user: Any, collective: Collective, data: dict[str, Any], fields: dict[str, type[Any]]
) -> dict[str, Any]:
    """Pop each multiple-choice field of `fields` from a form's `data` as the records it picked, among
    those of `collective` that `user` sees (the form offered no others)."""
    return {
        name: list(model.objects.visible_to(user).filter(collective=collective, pk__in=data.pop(name)))
        for name, model in fields.items()
    }


OUTCOME_LINKS = {"contributing_groups": Group, "contributing_activities": Activity}
STORY_LINKS = {"groups": Group, "activities": Activity, "outcomes": Outcome}


@login_required
@require_http_methods(["GET", "POST"])
def outcome_create(request: HttpRequest, slug: str) -> HttpResponse:
    user = request.user
    collective = access_collective(user, slug)
    form = _outcome_form(request, collective)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            group = access_group(user, data.pop("group"), collective=collective)
            links = _picked(user, collective, data, OUTCOME_LINKS)
            outcome = services.outcome_create(actor=user, collective=collective, group=group, **links, **data)
        except DomainError as error:
            add_problems(form, error, aliases={"actor": "actor_changed"})
        else:
            messages.success(request, "Outcome saved as a draft.")
            return redirect("activities:outcome_detail", collective.slug, outcome.pk)
    return form_page(
        request,
        collective,
        form,
        title="Harvest an outcome",
        cancel=reverse("activities:outcome_list", args=[collective.slug]),
    )


@login_required
@require_http_methods(["GET", "POST"])
def outcome_edit(request: HttpRequest, slug: str, outcome_id: int) -> HttpResponse:
    user = request.user
    collective = access_collective(user, slug)
    outcome = access_outcome(user, outcome_id, for_edit=True, collective=collective)
    form = _outcome_form(request, collective, OutcomeForm.initial_from(outcome))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("group")
        try:
            links = _picked(user, collective, data, OUTCOME_LINKS)
            services.outcome_update(actor=user, outcome=outcome, **links, **data)
        except DomainError as error:
            add_problems(form, error, aliases={"actor": "actor_changed"})
        else:
            messages.success(request, "Changes saved.")
            return redirect("activities:outcome_detail", collective.slug, outcome.pk)
    return form_page(
        request,
        collective,
        form,
        title=f"Edit “{outcome.title}”",
        cancel=reverse("activities:outcome_detail", args=[collective.slug, outcome.pk]),
    )


@login_required
@require_POST
def outcome_transition(request: HttpRequest, slug: str, outcome_id: int) -> HttpResponse:
    user = request.user
    collective = access_collective(user, slug)
    outcome = access_outcome(user, outcome_id, for_edit=True, collective=collective)
    try:
        services.outcome_transition(
            actor=user,
            outcome=outcome,
            to=request.POST.get("to", ""),
            substantiated_by=request.POST.get("substantiated_by") or None,
        )
    except DomainError as error:
        for problem in error.problems:
            messages.error(request, problem.message)
    else:
        messages.success(request, f"The outcome is now {request.POST.get('to')}.")
    return redirect("activities:outcome_detail", collective.slug, outcome.pk)


# --- stories --------------------------------------------------------------------------------------


@require_GET
def story_list(request: HttpRequest, slug: str) -> HttpResponse:
    collective = access_collective(request.user, slug)
    theme = request.GET.get("theme", "").strip().lower()[:40]
    mine = request.GET.get("teller") == "me"
    qs = Story.objects.visible_to(request.user).filter(collective=collective).select_related("group")
    told = Story.objects.told_by(request.user).filter(collective=collective)
    if mine:
        qs = qs & told
    stories = list(qs.order_by("-told_on", "-id")[:500])
    if theme:
        stories = [s for s in stories if theme in s.themes]
    return render(
        request,
        "activities/story_list.html",
        {
            "collective": collective,
            "nav": "activities",
            "sub": "stories",
            "stories": stories[:100],
            "theme": theme,
            "mine": mine,
            "told_count": told.count() if request.user.is_authenticated else 0,
            "show_tellers": request.user.is_authenticated,
            "can_create": request.user.is_authenticated and bool(_owner_groups(request.user, collective)),
        },
    )


@require_GET
def story_themes(request: HttpRequest, slug: str) -> HttpResponse:
    collective = access_collective(request.user, slug)
    return render(
        request,
        "activities/story_themes.html",
        {
            "collective": collective,
            "nav": "activities",
            "sub": "themes",
            "overview": selectors.theme_overview(request.user, collective),
        },
    )


@require_GET
def story_detail(request: HttpRequest, slug: str, story_id: int) -> HttpResponse:
    user = request.user
    collective = access_collective(user, slug)
    story = access_story(user, story_id, collective=collective)
    return render(
        request,
        "activities/story_detail.html",
        {
            "collective": collective,
            "nav": "activities",
            "sub": "stories",
            "story": story,
            "show_teller": user.is_authenticated,
            "activities": list(story.activities.visible_to(user)),
            "outcomes": list(story.outcomes.visible_to(user)),
            "groups": list(story.groups.visible_to(user).order_by("name")),
            "can_edit": Story.objects.editable_by(user).filter(pk=story.pk).exists(),
            "is_teller": Story.objects.told_by(user).filter(pk=story.pk).exists(),
        },
    )


def _story_form(
    request: HttpRequest, collective: Collective, initial: dict[str, Any] | None = None
) -> StoryForm:
    user = request.user
    visible = Activity.objects.visible_to(user).filter(collective=collective)
    return StoryForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        owners=_owner_groups(user, collective),
        groups=_visible_groups(user, collective),
        activities=list(visible.only("id", "title", "starts_on").order_by("-starts_on")[:300]),
        outcomes=list(
            Outcome.objects.visible_to(user)
            .filter(collective=collective)
            .only("id", "title")
            .order_by("title")[:300]
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def story_create(request: HttpRequest, slug: str) -> HttpResponse:
    user = request.user
    collective = access_collective(user, slug)
    form = _story_form(request, collective)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            group = access_group(user, data.pop("group"), collective=collective)
            links = _picked(user, collective, data, STORY_LINKS)
            story = services.story_create(actor=user, collective=collective, group=group, **links, **data)
        except DomainError as error:
            add_problems(form, error)
        else:
            messages.success(request, "Story shared.")
            return redirect("activities:story_detail", collective.slug, story.pk)
    return form_page(
        request,
        collective,
        form,
        title="Share a story",
        cancel=reverse("activities:story_list", args=[collective.slug]),
        intro="Only with the teller's consent. The public never sees who told it.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def story_edit(request: HttpRequest, slug: str, story_id: int) -> HttpResponse:
    user = request.user
    collective = access_collective(user, slug)
    story = access_story(user, story_id, for_edit=True, collective=collective)
    form = _story_form(request, collective, StoryForm.initial_from(story))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("group")  # a story stays with the group it was told in
        try:
            links = _picked(user, collective, data, STORY_LINKS)
            services.story_update(actor=user, story=story, **links, **data)
        except DomainError as error:
            add_problems(form, error)
        else:
            messages.success(request, "Changes saved.")
            return redirect("activities:story_detail", collective.slug, story.pk)
    return form_page(
        request,
        collective,
        form,
        title=f"Edit “{story.title}”",
        cancel=reverse("activities:story_detail", args=[collective.slug, story.pk]),
    )


@login_required
@require_POST
def story_withdraw(request: HttpRequest, slug: str, story_id: int) -> HttpResponse:
    collective = access_collective(request.user, slug)
    story = access_story(request.user, story_id, for_withdraw=True, collective=collective)
    services.story_withdraw(actor=request.user, story=story)
    messages.success(request, "The story was withdrawn and deleted.")
    return redirect("activities:story_list", collective.slug)
