"""Pages of the collective architecture: the collective home, the group directory and tree, the group
page, and the forms that create, edit, move and close groups, link them and gather them in sets.
The collective's own settings are in `views_settings.py`, the map and the network in `views_network.py`.

Views parse, call an access function, a selector or a service, and render. Access functions raise
`NotFound` for missing and forbidden alike; `NotFoundMiddleware` turns it into a 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from minga.architecture import selectors, services
from minga.architecture.access import access_collective, access_group, access_group_set, access_link
from minga.architecture.forms import (
    DirectoryForm,
    GroupCloseForm,
    GroupForm,
    GroupMoveForm,
    GroupSetForm,
    LinkDetailsForm,
    LinkForm,
)
from minga.architecture.growth import growth_series
from minga.architecture.models import Group, GroupKind, GroupSet, Link
from minga.core.charts import growth_chart_spec, render_svg
from minga.core.errors import DomainError, NotFound
from minga.core.forms import add_problems
from minga.core.models import Collective

# The group's only multi-column unique rule is (collective, code): its problem belongs to the code field.
GROUP_ALIASES = {"unique_together": "code"}
SET_ALIASES = {"groups": "group_codes", "unique_together": "code"}


def _int(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _is_fragment(request: HttpRequest) -> bool:
    """An htmx request for part of a page (not a history restore, which wants the whole page)."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")


def _form_response(request: HttpRequest, template: str, context: dict[str, Any], form: Any) -> HttpResponse:
    return render(request, template, context, status=422 if form.is_bound and form.errors else 200)


def _group_url(group: Group) -> str:
    return reverse("architecture:group_detail", args=[group.collective.slug, group.pk])


# --- collective home ------------------------------------------------------------------------------


@require_GET
def collective_home(request: HttpRequest, slug: str) -> HttpResponse:
    collective = access_collective(request.user, slug)
    overview = selectors.collective_overview(request.user, collective)
    growth = growth_series(collective, user=request.user)
    chart = render_svg(growth_chart_spec(growth, width=420, height=180)) if len(growth.points) > 1 else ""
    return render(
        request,
        "architecture/collective_home.html",
        {
            "collective": collective,
            "nav": "home",
            "overview": overview,
            "growth": growth,
            "growth_chart": chart,
            "network": selectors.network_summary(request.user, collective),
            "people_count": selectors.people_count(request.user, collective),
            "can_create_top": selectors.may_create_group(request.user, collective, None),
            "is_admin": selectors.is_collective_admin(request.user, collective),
        },
    )


# --- directory and tree ---------------------------------------------------------------------------


@require_GET
def group_list(request: HttpRequest, slug: str) -> HttpResponse:
    """The directory: search and filters (reflected in the URL), keyset pages, and the tree."""
    user = request.user
    collective = access_collective(user, slug)
    kinds = list(GroupKind.objects.filter(collective=collective).order_by("order", "name"))
    sets = list(GroupSet.objects.visible_to(user).filter(collective=collective).order_by("name"))
    form = DirectoryForm(request.GET, kinds=kinds, sets=sets)
    parent_id = form.value("parent")
    parent = (
        Group.objects.visible_to(user).filter(collective=collective, pk=parent_id).first()
        if parent_id is not None
        else None
    )
    filters = selectors.DirectoryFilters(
        q=(form.value("q") or "").strip(),
        layer=form.value("layer") or "",
        kind=form.value("kind"),
        status=form.value("status") or "",
        group_set=form.value("group_set"),
        parent=parent.pk if parent else None,
    )
    page = selectors.group_directory(
        user,
        collective,
        filters,
        after=_int(request.GET.get("after")),
        before=_int(request.GET.get("before")),
    )
    context = {"collective": collective, "nav": "groups", "form": form, "page": page, "filters": filters}
    context["parent"] = parent
    if _is_fragment(request) and request.headers.get("HX-Target") == "results":
        response = render(request, "architecture/_group_results.html", context)
    else:
        context["roots"] = selectors.tree_nodes(user, collective)
        context["can_create_top"] = selectors.may_create_group(user, collective, None)
        response = render(request, "architecture/group_list.html", context)
    response["Vary"] = "HX-Request"
    return response


@require_GET
def group_children(request: HttpRequest, slug: str, group_id: int) -> HttpResponse:
    """The tree's children of one node, as a fragment (loaded when the node is expanded)."""
    collective = access_collective(request.user, slug)
    group = access_group(request.user, group_id, collective=collective)
    nodes = selectors.tree_nodes(request.user, collective, parent=group)
    return render(
        request,
        "architecture/_tree_nodes.html",
        {"collective": collective, "nodes": nodes, "parent": group, "limit": selectors.CHILDREN_LIMIT},
    )


@require_GET
def group_search(request: HttpRequest, slug: str) -> HttpResponse:
    """Autocomplete for a group field: radio choices. `mode=move` offers editable groups outside the
    moved group's subtree; `mode=link` any visible group but the current one."""
    collective = access_collective(request.user, slug)
    mode = request.GET.get("mode", "link")
    group_id = _int(request.GET.get("group"))
    group = (
        access_group(request.user, group_id, collective=collective, for_edit=(mode == "move"))
        if group_id
        else None
    )
    candidates = selectors.group_candidates(
        request.user,
        collective,
        request.GET.get("q", ""),
        editable=(mode == "move"),
        exclude_subtree_of=group if mode == "move" else None,
    )
    if group is not None and mode != "move":
        candidates = [c for c in candidates if c.pk != group.pk]
    return render(
        request,
        "architecture/_group_choices.html",
        {
            "candidates": candidates,
            "field": "new_parent" if mode == "move" else "other",
            "q": request.GET.get("q", ""),
        },
    )


# --- the group page -------------------------------------------------------------------------------


@require_GET
def group_detail(request: HttpRequest, slug: str, group_id: int) -> HttpResponse:
    collective = access_collective(request.user, slug)
    group = access_group(request.user, group_id, collective=collective)
    return render(
        request,
        "architecture/group_detail.html",
        {
            "collective": collective,
            "nav": "groups",
            "group": group,
            "profile": selectors.group_profile(request.user, group),
            "people": selectors.group_people(request.user, group),
        },
    )


# --- writes ---------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def group_create(request: HttpRequest, slug: str) -> HttpResponse:
    """A new group under `?parent=<id>` (coordinators, admins) or at the top level (admins)."""
    collective = access_collective(request.user, slug)
    parent_id = _int(request.GET.get("parent") or request.POST.get("parent"))
    parent = access_group(request.user, parent_id, collective=collective) if parent_id else None
    if not selectors.may_create_group(request.user, collective, parent):
        raise NotFound("group")
    form = GroupForm(request.POST or None, collective=collective)
    if request.method == "POST" and form.is_valid():
        try:
            group = services.group_create(
                actor=request.user, collective=collective, parent=parent, **form.changes()
            )
        except DomainError as error:
            add_problems(form, error, aliases=GROUP_ALIASES)
        else:
            messages.success(request, f"{group.name} was created.")
            return redirect(_group_url(group))
    context = {"collective": collective, "nav": "groups", "form": form, "parent": parent}
    return _form_response(request, "architecture/group_form.html", context, form)


@require_http_methods(["GET", "POST"])
def group_edit(request: HttpRequest, slug: str, group_id: int) -> HttpResponse:
    collective = access_collective(request.user, slug)
    group = access_group(request.user, group_id, collective=collective, for_edit=True)
    form = GroupForm(request.POST or None, collective=collective, initial=GroupForm.initial_from(group))
    if request.method == "POST" and form.is_valid():
        try:
            group = services.group_update(actor=request.user, group=group, **form.changes())
        except DomainError as error:
            add_problems(form, error, aliases=GROUP_ALIASES)
        else:
            messages.success(request, "The changes are saved.")
            return redirect(_group_url(group))
    context = {"collective": collective, "nav": "groups", "form": form, "group": group}
    return _form_response(request, "architecture/group_form.html", context, form)


@require_http_methods(["GET", "POST"])
def group_move(request: HttpRequest, slug: str, group_id: int) -> HttpResponse:
    collective = access_collective(request.user, slug)
    group = access_group(request.user, group_id, collective=collective, for_edit=True)
    submitted = request.method == "POST" and "search" not in request.POST
    form = GroupMoveForm(request.POST if submitted else None, initial={"q": request.GET.get("q", "")})
    if submitted and form.is_valid():
        try:
            new_parent = None
            if not form.cleaned_data["to_top"]:
                new_parent = access_group(
                    request.user, form.cleaned_data["new_parent"], collective=collective
                )
            group = services.group_move(actor=request.user, group=group, new_parent=new_parent)
        except DomainError as error:
            add_problems(form, error, aliases={"parent": "q"})
        except NotFound:
            form.add_error("q", "You cannot move groups under that one. Choose a group you coordinate.")
        else:
            messages.success(request, f"{group.name} was moved.")
            return redirect(_group_url(group))
    q = (request.POST.get("q") if request.method == "POST" else request.GET.get("q")) or ""
    candidates = selectors.group_candidates(
        request.user, collective, q, editable=True, exclude_subtree_of=group
    )
    context = {
        "collective": collective,
        "nav": "groups",
        "form": form,
        "group": group,
        "candidates": candidates,
        "q": q,
        "is_admin": selectors.may_create_group(request.user, collective, None),
    }
    return _form_response(request, "architecture/group_move.html", context, form)


@require_http_methods(["GET", "POST"])
def group_close(request: HttpRequest, slug: str, group_id: int) -> HttpResponse:
    collective = access_collective(request.user, slug)
    group = access_group(request.user, group_id, collective=collective, for_edit=True)
    form = GroupCloseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            group = services.group_close(
                actor=request.user, group=group, closed_on=form.cleaned_data["closed_on"]
            )
        except DomainError as error:
            add_problems(form, error)
        else:
            messages.success(request, f"{group.name} is closed.")
            return redirect(_group_url(group))
    context = {"collective": collective, "nav": "groups", "form": form, "group": group}
    return _form_response(request, "architecture/group_close.html", context, form)


@require_http_methods(["GET", "POST"])
def link_create(request: HttpRequest, slug: str, group_id: int) -> HttpResponse:
    """A link between this group and another one; the actor must be able to edit one of the two."""
    collective = access_collective(request.user, slug)
    group = access_group(request.user, group_id, collective=collective)
    # "search" is the picker's own button (no JavaScript): show the matches, keep what was typed.
    submitted = request.method == "POST" and "search" not in request.POST
    form = LinkForm(request.POST if submitted else None, initial=request.POST.dict())
    if submitted and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            other = access_group(request.user, data.pop("other"), collective=collective)
        except NotFound:
            form.add_error("q", "Choose one of the groups found by the search.")
        else:
            source, target = (group, other) if data.pop("direction") == "out" else (other, group)
            data.pop("q", None)
            try:
                services.link_create(actor=request.user, source=source, target=target, **data)
            except DomainError as error:
                add_problems(form, error, aliases={"target": "q", "source": "q"})
            else:
                messages.success(request, "The link is recorded.")
                return redirect(_group_url(group))
    q = request.POST.get("q", "") if request.method == "POST" else ""
    candidates = [c for c in selectors.group_candidates(request.user, collective, q) if c.pk != group.pk]
    context = {
        "collective": collective,
        "nav": "groups",
        "form": form,
        "group": group,
        "candidates": candidates,
        "q": q,
    }
    return _form_response(request, "architecture/link_form.html", context, form)


def _link_in(user: Any, collective: Collective, link_id: int) -> Link:
    """A link of `collective` that `user` may change (they edit one end and see both), else NotFound."""
    link = access_link(user, link_id, for_edit=True)
    if link.collective_id != collective.pk:
        raise NotFound("link")
    return link


def _next_url(request: HttpRequest) -> str | None:
    """The page to go back to (`next`, from the form or the query string), when it is on this site."""
    back = request.POST.get("next") or request.GET.get("next") or ""
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return back
    return None


@require_http_methods(["GET", "POST"])
def link_edit(request: HttpRequest, slug: str, link_id: int) -> HttpResponse:
    """Change what a link is (kind, weight, dates, note); its two groups stay."""
    collective = access_collective(request.user, slug)
    link = _link_in(request.user, collective, link_id)
    form = LinkDetailsForm(request.POST or None, initial=LinkDetailsForm.initial_from(link))
    back = _next_url(request) or reverse("architecture:group_detail", args=[collective.slug, link.source_id])
    if request.method == "POST" and form.is_valid():
        try:
            services.link_update(actor=request.user, link=link, **form.cleaned_data)
        except DomainError as error:
            add_problems(form, error)
        else:
            messages.success(request, "The link is saved.")
            return redirect(back)
    context = {"collective": collective, "nav": "groups", "form": form, "link": link, "back": back}
    return _form_response(request, "architecture/link_edit.html", context, form)


@require_POST
def link_delete(request: HttpRequest, slug: str, link_id: int) -> HttpResponse:
    collective = access_collective(request.user, slug)
    link = _link_in(request.user, collective, link_id)
    services.link_delete(actor=request.user, link=link)
    messages.success(request, "The link is removed.")
    return redirect(
        _next_url(request) or reverse("architecture:group_detail", args=[collective.slug, link.source_id])
    )


# --- group sets -----------------------------------------------------------------------------------


@require_GET
def group_set_list(request: HttpRequest, slug: str) -> HttpResponse:
    collective = access_collective(request.user, slug)
    return render(
        request,
        "architecture/group_set_list.html",
        {
            "collective": collective,
            "nav": "sets",
            "sets": list(selectors.sets_of_collective(request.user, collective)),
            "can_create": _is_admin_of(request.user, collective),
        },
    )


@require_GET
def group_set_detail(request: HttpRequest, slug: str, set_id: int) -> HttpResponse:
    collective = access_collective(request.user, slug)
    group_set = _set_in(request.user, collective, set_id)
    groups = list(
        Group.objects.visible_to(request.user)
        .filter(sets=group_set)
        .select_related("kind")
        .order_by("name", "id")[: selectors.DIRECTORY_PAGE_SIZE + 1]
    )
    return render(
        request,
        "architecture/group_set_detail.html",
        {
            "collective": collective,
            "nav": "sets",
            "group_set": group_set,
            "groups": groups[: selectors.DIRECTORY_PAGE_SIZE],
            "more": len(groups) > selectors.DIRECTORY_PAGE_SIZE,
            "can_edit": _is_admin_of(request.user, collective),
        },
    )


@require_http_methods(["GET", "POST"])
def group_set_create(request: HttpRequest, slug: str) -> HttpResponse:
    collective = access_collective(request.user, slug, for_edit=True)
    form = GroupSetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        groups = form.resolve_groups(Group.objects.visible_to(request.user).filter(collective=collective))
        if groups is not None:
            data = {k: v for k, v in form.cleaned_data.items() if k != "group_codes"}
            try:
                group_set = services.group_set_create(
                    actor=request.user, collective=collective, groups=groups, **data
                )
            except DomainError as error:
                add_problems(form, error, aliases=SET_ALIASES)
            else:
                messages.success(request, f"The set {group_set.name} was created.")
                return redirect("architecture:group_set_detail", slug=collective.slug, set_id=group_set.pk)
    context = {"collective": collective, "nav": "sets", "form": form}
    return _form_response(request, "architecture/group_set_form.html", context, form)


@require_http_methods(["GET", "POST"])
def group_set_edit(request: HttpRequest, slug: str, set_id: int) -> HttpResponse:
    collective = access_collective(request.user, slug)
    group_set = _set_in(request.user, collective, set_id, for_edit=True)
    codes = "\n".join(group_set.groups.order_by("code").values_list("code", flat=True))
    initial = {
        "name": group_set.name,
        "code": group_set.code,
        "kind": group_set.kind,
        "description": group_set.description,
        "visibility": group_set.visibility,
        "group_codes": codes,
    }
    form = GroupSetForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        groups = form.resolve_groups(Group.objects.visible_to(request.user).filter(collective=collective))
        if groups is not None:
            data = {k: v for k, v in form.cleaned_data.items() if k != "group_codes"}
            try:
                services.group_set_update(actor=request.user, group_set=group_set, groups=groups, **data)
            except DomainError as error:
                add_problems(form, error, aliases=SET_ALIASES)
            else:
                messages.success(request, "The set is saved.")
                return redirect("architecture:group_set_detail", slug=collective.slug, set_id=group_set.pk)
    context = {"collective": collective, "nav": "sets", "form": form, "group_set": group_set}
    return _form_response(request, "architecture/group_set_form.html", context, form)


@require_http_methods(["GET", "POST"])
def group_set_delete(request: HttpRequest, slug: str, set_id: int) -> HttpResponse:
    """Ask, then delete a group set. Its groups stay as they are; only the set goes."""
    collective = access_collective(request.user, slug)
    group_set = _set_in(request.user, collective, set_id, for_edit=True)
    if request.method == "POST":
        services.group_set_delete(actor=request.user, group_set=group_set)
        messages.success(request, f"The set {group_set.name} was deleted.")
        return redirect("architecture:group_set_list", slug=collective.slug)
    return render(
        request,
        "architecture/group_set_delete.html",
        {
            "collective": collective,
            "nav": "sets",
            "group_set": group_set,
            "group_count": group_set.groups.count(),
        },
    )


def _set_in(user: Any, collective: Collective, set_id: int, *, for_edit: bool = False) -> GroupSet:
    group_set = access_group_set(user, set_id, for_edit=for_edit)
    if group_set.collective_id != collective.pk:
        raise NotFound("group set")
    return group_set


def _is_admin_of(user: Any, collective: Collective) -> bool:
    return Collective.objects.editable_by(user).filter(pk=collective.pk).exists()
