"""Pages of learning under /c/<collective slug>/learning/: the learning home, practices and their
spread, "what's working", the library, communities and sessions, search and Ask.

Views parse, call one access function / selector / service, and render; `NotFound` becomes a 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from minga.architecture.access import access_collective, access_group
from minga.architecture.models import Group
from minga.core.charts import render_svg
from minga.core.errors import DomainError, NotFound
from minga.core.forms import add_problems
from minga.core.models import Collective
from minga.learning import selectors, services
from minga.learning.access import (
    access_community,
    access_practice,
    access_practice_attachment,
    access_resource,
    access_session,
)
from minga.learning.ask import ask
from minga.learning.comparison import SIMILAR_CHOICES, comparable_indicators, practice_comparison
from minga.learning.forms import (
    AdoptionForm,
    CommunityForm,
    PracticeForm,
    ResourceForm,
    SearchForm,
    SessionForm,
    split_words,
)
from minga.learning.models import Community, Practice, Resource, Session
from minga.learning.search import Filters, search
from minga.people.models import Person


def _form_response(request: HttpRequest, template: str, context: dict[str, Any], form: Any) -> HttpResponse:
    return render(request, template, context, status=422 if form.is_bound and form.errors else 200)


def _ctx(collective: Collective, **extra: Any) -> dict[str, Any]:
    return {"collective": collective, "nav": "learning", **extra}


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


# --- home, search, ask ----------------------------------------------------------------------------


@require_GET
def index(request: HttpRequest, slug: str) -> HttpResponse:
    collective = access_collective(request.user, slug)
    overview = selectors.learning_overview(request.user, collective)
    return render(
        request,
        "learning/index.html",
        _ctx(collective, overview=overview, can_publish=selectors.may_publish(request.user, collective)),
    )


@require_GET
def search_view(request: HttpRequest, slug: str) -> HttpResponse:
    collective = access_collective(request.user, slug)
    form = SearchForm(request.GET or None)
    results = None
    if form.is_valid() and form.cleaned_data["q"].strip():
        data = form.cleaned_data
        results = search(
            user=request.user,
            query=data["q"],
            collective=collective,
            filters=Filters(kind=data["kind"], tag=data["tag"], language=data["language"]),
        )
    return render(request, "learning/search.html", _ctx(collective, form=form, results=results))


def _within(request: HttpRequest, collective: Collective) -> Practice | Resource | Session | Community | None:
    """`?practice=ID` / `?resource=ID` / `?session=ID` / `?community=ID`: ask that source only."""
    user = request.user
    for name, access in (
        ("practice", access_practice),
        ("resource", access_resource),
        ("session", access_session),
        ("community", access_community),
    ):
        pk = _int(request.GET.get(name))
        if pk is not None:
            within: Practice | Resource | Session | Community = access(user, pk, collective=collective)
            return within
    return None


@require_GET
def ask_view(request: HttpRequest, slug: str) -> HttpResponse:
    """The answer to `?q=…` from the material the user may see (a fragment for htmx)."""
    collective = access_collective(request.user, slug)
    within = _within(request, collective)
    question = (request.GET.get("q") or "").strip()
    answer = (
        ask(user=request.user, collective=collective, question=question, within=within) if question else None
    )
    template = "learning/_answer.html" if request.headers.get("HX-Request") else "learning/ask.html"
    return render(request, template, _ctx(collective, answer=answer, question=question, within=within))


# --- practices ------------------------------------------------------------------------------------


@require_GET
def practice_detail(request: HttpRequest, slug: str, practice_id: int) -> HttpResponse:
    collective = access_collective(request.user, slug)
    practice = access_practice(request.user, practice_id, collective=collective)
    spread = selectors.practice_spread(request.user, practice)
    spec = spread.chart_spec
    map_spec = spread.map_spec
    editable = Practice.objects.editable_by(request.user).filter(pk=practice.pk).exists()
    origin_visible = (
        practice.origin_group_id is not None
        and Group.objects.visible_to(request.user).filter(pk=practice.origin_group_id).exists()
    )
    return render(
        request,
        "learning/practice_detail.html",
        _ctx(
            collective,
            practice=practice,
            spread=spread,
            chart=render_svg(spec) if spec else "",
            spread_map=render_svg(map_spec) if map_spec else "",
            attachments=list(practice.attachments.order_by("id")),
            can_edit=editable,
            can_adopt=selectors.may_publish(request.user, collective),
            origin_visible=origin_visible,
        ),
    )


@require_POST
def practice_attachment_add(request: HttpRequest, slug: str, practice_id: int) -> HttpResponse:
    """Attach a file to a practice (multipart: title, file); its text is indexed with the practice."""
    collective = access_collective(request.user, slug)
    practice = access_practice(request.user, practice_id, collective=collective, for_edit=True)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "Choose a file to attach.")
    else:
        try:
            services.practice_attachment_add(
                actor=request.user,
                practice=practice,
                title=request.POST.get("title", ""),
                upload=(upload.name or "upload", upload.read()),
            )
        except DomainError as error:
            messages.error(request, " ".join(p.message for p in error.problems))
        else:
            messages.success(request, "The file was attached and its text indexed.")
    return redirect("learning:practice_detail", collective.slug, practice.pk)


@require_POST
def practice_attachment_delete(
    request: HttpRequest, slug: str, practice_id: int, attachment_id: int
) -> HttpResponse:
    collective = access_collective(request.user, slug)
    attachment = access_practice_attachment(
        request.user, practice_id, attachment_id, collective=collective, for_edit=True
    )
    services.practice_attachment_delete(actor=request.user, attachment=attachment)
    messages.success(request, "The attachment was removed.")
    return redirect("learning:practice_detail", collective.slug, practice_id)


@require_GET
def practice_compare(request: HttpRequest, slug: str, practice_id: int) -> HttpResponse:
    """Adopting groups against similar non-adopting ones on one indicator (descriptive, not causal)."""
    collective = access_collective(request.user, slug)
    practice = access_practice(request.user, practice_id, collective=collective)
    indicators = list(comparable_indicators(request.user, practice))
    chosen = _int(request.GET.get("indicator"))
    indicator = next((i for i in indicators if i.pk == chosen), indicators[0] if indicators else None)
    similar = request.GET.get("similar") or "parent"
    similar = similar if similar in dict(SIMILAR_CHOICES) else "parent"
    within_id = _int(request.GET.get("within"))
    within = access_group(request.user, within_id, collective=collective) if within_id else None
    result = (
        practice_comparison(
            viewer=request.user, practice=practice, indicator=indicator, similar=similar, within=within
        )
        if indicator is not None
        else None
    )
    return render(
        request,
        "learning/practice_compare.html",
        _ctx(
            collective,
            practice=practice,
            indicators=indicators,
            indicator=indicator,
            similar=similar,
            similar_choices=SIMILAR_CHOICES,
            within=within,
            result=result,
        ),
    )


@require_GET
def whats_working(request: HttpRequest, slug: str) -> HttpResponse:
    collective = access_collective(request.user, slug)
    within_id = _int(request.GET.get("within"))
    within = access_group(request.user, within_id, collective=collective) if within_id else None
    rows = selectors.whats_working(request.user, collective, within=within)
    return render(request, "learning/whats_working.html", _ctx(collective, rows=rows, within=within))


@require_http_methods(["GET", "POST"])
def practice_create(request: HttpRequest, slug: str) -> HttpResponse:
    collective = access_collective(request.user, slug)
    if not selectors.may_publish(request.user, collective):
        raise NotFound("collective")
    groups = selectors.publishing_groups(request.user, collective)
    form = PracticeForm(request.POST or None, groups=groups)
    if request.method == "POST" and form.is_valid():
        try:
            practice = services.practice_create(
                actor=request.user, collective=collective, **form.changes({g.pk: g for g in groups})
            )
        except DomainError as error:
            add_problems(form, error)
        except NotFound:
            form.add_error("origin_group", "You cannot publish for that group.")
        else:
            messages.success(request, f"“{practice.title}” was published.")
            return redirect("learning:practice_detail", collective.slug, practice.pk)
    return _form_response(request, "learning/practice_form.html", _ctx(collective, form=form), form)


@require_http_methods(["GET", "POST"])
def practice_edit(request: HttpRequest, slug: str, practice_id: int) -> HttpResponse:
    collective = access_collective(request.user, slug)
    practice = access_practice(request.user, practice_id, collective=collective, for_edit=True)
    groups = selectors.publishing_groups(request.user, collective)
    if practice.origin_group and practice.origin_group not in groups:
        groups.append(practice.origin_group)
    initial = {
        name: getattr(practice, name)
        for name in ("title", "summary", "problem", "method", "context", "evidence", "status", "visibility")
    }
    initial |= {
        "tags": ", ".join(practice.tags),
        "languages": ", ".join(practice.languages),
        "origin_group": practice.origin_group_id,
    }
    form = PracticeForm(request.POST or None, groups=groups, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.practice_update(
                actor=request.user, practice=practice, **form.changes({g.pk: g for g in groups})
            )
        except DomainError as error:
            add_problems(form, error)
        except NotFound:
            form.add_error("origin_group", "You cannot publish for that group.")
        else:
            messages.success(request, "The changes are saved.")
            return redirect("learning:practice_detail", collective.slug, practice.pk)
    return _form_response(
        request, "learning/practice_form.html", _ctx(collective, form=form, practice=practice), form
    )


@require_POST
def practice_delete(request: HttpRequest, slug: str, practice_id: int) -> HttpResponse:
    collective = access_collective(request.user, slug)
    practice = access_practice(request.user, practice_id, collective=collective, for_edit=True)
    services.practice_delete(actor=request.user, practice=practice)
    messages.success(request, f"“{practice.title}” was deleted.")
    return redirect("learning:index", collective.slug)


@require_http_methods(["GET", "POST"])
def adoption_create(request: HttpRequest, slug: str, practice_id: int) -> HttpResponse:
    collective = access_collective(request.user, slug)
    practice = access_practice(request.user, practice_id, collective=collective)
    groups = selectors.publishing_groups(request.user, collective)
    if not groups:
        raise NotFound("group")
    form = AdoptionForm(request.POST or None, groups=groups)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        code = data["learned_from"].strip()
        teacher = (
            Group.objects.visible_to(request.user).filter(collective=collective, code=code).first()
            if code
            else None
        )
        if code and teacher is None:
            form.add_error("learned_from", "No group you can see has this code.")
        else:
            try:
                services.adoption_create(
                    actor=request.user,
                    practice=practice,
                    group=next(g for g in groups if g.pk == data["group"]),
                    adopted_on=data["adopted_on"],
                    adapted_how=data["adapted_how"],
                    result=data["result"],
                    learned_from=teacher,
                )
            except DomainError as error:
                add_problems(form, error)
            else:
                messages.success(request, "The adoption is recorded.")
                return redirect("learning:practice_detail", collective.slug, practice.pk)
    return _form_response(
        request, "learning/adoption_form.html", _ctx(collective, form=form, practice=practice), form
    )


# --- library --------------------------------------------------------------------------------------


@require_GET
def resource_detail(request: HttpRequest, slug: str, resource_id: int) -> HttpResponse:
    collective = access_collective(request.user, slug)
    resource = access_resource(request.user, resource_id, collective=collective)
    return render(
        request,
        "learning/resource_detail.html",
        _ctx(
            collective,
            resource=resource,
            passages=list(resource.passages.order_by("position")[:2000]),
            can_edit=Resource.objects.editable_by(request.user).filter(pk=resource.pk).exists(),
        ),
    )


@require_http_methods(["GET", "POST"])
def resource_create(request: HttpRequest, slug: str) -> HttpResponse:
    collective = access_collective(request.user, slug)
    if not selectors.may_publish(request.user, collective):
        raise NotFound("collective")
    groups = selectors.publishing_groups(request.user, collective)
    form = ResourceForm(request.POST or None, request.FILES or None, groups=groups)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = None
        if data["file"]:
            upload = (data["file"].name, data["file"].read())
        try:
            resource = services.resource_create(
                actor=request.user,
                collective=collective,
                title=data["title"],
                group=next((g for g in groups if g.pk == data["group"]), None),
                upload=upload,
                url=data["url"],
                text=data["text"],
                description=data["description"],
                tags=split_words(data["tags"]),
                language=data["language"],
                visibility=data["visibility"],
            )
        except DomainError as error:
            add_problems(form, error)
        except NotFound:
            form.add_error("group", "You cannot share for that group.")
        else:
            messages.success(request, f"“{resource.title}” is in the library.")
            return redirect("learning:resource_detail", collective.slug, resource.pk)
    return _form_response(request, "learning/resource_form.html", _ctx(collective, form=form), form)


@require_POST
def resource_delete(request: HttpRequest, slug: str, resource_id: int) -> HttpResponse:
    collective = access_collective(request.user, slug)
    resource = access_resource(request.user, resource_id, collective=collective, for_edit=True)
    services.resource_delete(actor=request.user, resource=resource)
    messages.success(request, f"“{resource.title}” was removed from the library.")
    return redirect("learning:index", collective.slug)


# --- communities and sessions ---------------------------------------------------------------------


@require_GET
def community_detail(request: HttpRequest, slug: str, community_id: int) -> HttpResponse:
    collective = access_collective(request.user, slug)
    community = access_community(request.user, community_id, collective=collective)
    return render(
        request,
        "learning/community_detail.html",
        _ctx(
            collective,
            community=community,
            page=selectors.community_page(request.user, community),
            can_edit=Community.objects.editable_by(request.user).filter(pk=community.pk).exists(),
        ),
    )


@require_http_methods(["GET", "POST"])
def community_create(request: HttpRequest, slug: str) -> HttpResponse:
    collective = access_collective(request.user, slug)
    if not selectors.may_publish(request.user, collective):
        raise NotFound("collective")
    groups = selectors.publishing_groups(request.user, collective)
    form = CommunityForm(request.POST or None, groups=groups)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["group"] = next((g for g in groups if g.pk == data["group"]), None)
        try:
            community = services.community_create(actor=request.user, collective=collective, **data)
        except DomainError as error:
            add_problems(form, error)
        except NotFound:
            form.add_error("group", "You cannot host for that group.")
        else:
            messages.success(request, f"The community “{community.name}” has started.")
            return redirect("learning:community_detail", collective.slug, community.pk)
    return _form_response(request, "learning/community_form.html", _ctx(collective, form=form), form)


@require_GET
def session_detail(request: HttpRequest, slug: str, session_id: int) -> HttpResponse:
    collective = access_collective(request.user, slug)
    session = access_session(request.user, session_id, collective=collective)
    return render(
        request,
        "learning/session_detail.html",
        _ctx(collective, session=session, passages=list(session.passages.order_by("position"))),
    )


@require_POST
def community_member_add(request: HttpRequest, slug: str, community_id: int) -> HttpResponse:
    """Add a person of the collective (found by email among the people the editor may read)."""
    collective = access_collective(request.user, slug)
    community = access_community(request.user, community_id, collective=collective, for_edit=True)
    email = (request.POST.get("email") or "").strip()
    role = request.POST.get("role") or "member"
    people = list(
        Person.objects.visible_to(request.user).filter(collective=collective, email__iexact=email)[:2]
    )
    if not email or not people:
        messages.error(request, "Nobody you can see in this collective has that email.")
    elif len(people) > 1:
        messages.error(request, "Several people share that email: add them through the API by id.")
    else:
        try:
            services.community_member_set(
                actor=request.user, community=community, person=people[0], role=role
            )
        except DomainError as error:
            messages.error(request, " ".join(p.message for p in error.problems))
        else:
            messages.success(request, f"{people[0].full_name} was added.")
    return redirect("learning:community_detail", collective.slug, community.pk)


@require_POST
def community_member_remove(
    request: HttpRequest, slug: str, community_id: int, person_id: int
) -> HttpResponse:
    collective = access_collective(request.user, slug)
    community = access_community(request.user, community_id, collective=collective, for_edit=True)
    person = Person.objects.visible_to(request.user).filter(collective=collective, pk=person_id).first()
    if person is None:
        raise NotFound("person")
    if services.community_member_remove(actor=request.user, community=community, person=person):
        messages.success(request, f"{person.full_name} left the community.")
    return redirect("learning:community_detail", collective.slug, community.pk)


@require_http_methods(["GET", "POST"])
def session_create(request: HttpRequest, slug: str, community_id: int) -> HttpResponse:
    collective = access_collective(request.user, slug)
    community = access_community(request.user, community_id, collective=collective, for_edit=True)
    form = SessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["recording_url"] = data["recording_url"] or ""
        try:
            session = services.session_create(actor=request.user, community=community, **data)
        except DomainError as error:
            add_problems(form, error)
        else:
            messages.success(request, "The session is recorded.")
            return redirect(reverse("learning:session_detail", args=[collective.slug, session.pk]))
    return _form_response(
        request, "learning/session_form.html", _ctx(collective, form=form, community=community), form
    )
