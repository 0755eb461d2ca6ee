"""The collective's settings, for its backbone admins: its profile (name, mission, languages, logo,
visibility) and its vocabulary of group kinds. Also the logo itself, served to whoever sees the
collective, and the groups' boundaries (one group's page, and a bulk upload of a FeatureCollection),
for whoever may edit those groups.

Every settings page starts with `access_collective(…, for_edit=True)`, the boundary pages with the
groups the person may edit: anybody else gets a 404.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from django.contrib import messages
from django.db.models import Count
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods

from minga.architecture import boundaries, services
from minga.architecture.access import access_collective, access_group, access_group_kind
from minga.architecture.forms import BoundaryForm, BoundaryImportForm, CollectiveForm, GroupKindForm
from minga.architecture.models import Group, GroupKind
from minga.core.charts import render_svg
from minga.core.choices import Visibility
from minga.core.errors import DomainError, NotFound
from minga.core.forms import add_problems

LOGO_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
}
# The kind's only multi-column unique rule is (collective, code): its problem belongs to the code field.
KIND_ALIASES = {"unique_together": "code"}


def _status(form: CollectiveForm | GroupKindForm) -> int:
    return 422 if form.is_bound and form.errors else 200


@require_http_methods(["GET", "POST"])
def collective_settings(request: HttpRequest, slug: str) -> HttpResponse:
    """The collective's profile form, and the list of its kinds of group."""
    collective = access_collective(request.user, slug, for_edit=True)
    form = CollectiveForm(
        request.POST or None, request.FILES or None, initial=CollectiveForm.initial_from(collective)
    )
    if request.method == "POST" and form.is_valid():
        try:
            collective = services.collective_update(
                actor=request.user, collective=collective, **form.changes()
            )
        except DomainError as error:
            add_problems(form, error)
        else:
            messages.success(request, "The settings are saved.")
            return redirect("architecture:collective_settings", slug=collective.slug)
    kinds = list(
        GroupKind.objects.filter(collective=collective)
        .annotate(group_count=Count("groups"))
        .order_by("order", "name")
    )
    context = {"collective": collective, "nav": "home", "form": form, "kinds": kinds}
    return render(request, "architecture/collective_settings.html", context, status=_status(form))


@require_http_methods(["GET", "POST"])
def group_kind_create(request: HttpRequest, slug: str) -> HttpResponse:
    collective = access_collective(request.user, slug, for_edit=True)
    form = GroupKindForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            kind = services.group_kind_create(actor=request.user, collective=collective, **form.cleaned_data)
        except DomainError as error:
            add_problems(form, error, aliases=KIND_ALIASES)
        else:
            messages.success(request, f"The kind {kind.name} was added.")
            return redirect("architecture:collective_settings", slug=collective.slug)
    context = {"collective": collective, "nav": "home", "form": form}
    return render(request, "architecture/group_kind_form.html", context, status=_status(form))


@require_http_methods(["GET", "POST"])
def group_kind_edit(request: HttpRequest, slug: str, kind_id: int) -> HttpResponse:
    collective = access_collective(request.user, slug, for_edit=True)
    kind = access_group_kind(request.user, kind_id, collective=collective, for_edit=True)
    form = GroupKindForm(request.POST or None, kind=kind, initial=GroupKindForm.initial_from(kind))
    if request.method == "POST" and form.is_valid():
        try:
            kind = services.group_kind_update(actor=request.user, kind=kind, **form.changes())
        except DomainError as error:
            add_problems(form, error, aliases=KIND_ALIASES)
        else:
            messages.success(request, f"The kind {kind.name} is saved.")
            return redirect("architecture:collective_settings", slug=collective.slug)
    context = {"collective": collective, "nav": "home", "form": form, "kind": kind}
    return render(request, "architecture/group_kind_form.html", context, status=_status(form))


@require_GET
def collective_logo(request: HttpRequest, slug: str) -> FileResponse:
    """The logo, for whoever may see the collective (uploads are not served as public media files)."""
    collective = access_collective(request.user, slug)
    if not collective.logo:
        raise NotFound("logo")
    try:
        handle = collective.logo.open("rb")
    except FileNotFoundError as error:
        raise NotFound("logo") from error
    suffix = PurePosixPath(collective.logo.name or "").suffix.lower()
    content_type = LOGO_TYPES.get(suffix, "application/octet-stream")
    response = FileResponse(handle, content_type=content_type)
    # An SVG may carry scripts: opened on its own, it runs none and loads nothing.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    # Pages link to it with a version (`?v=<updated_at>`), so it may be cached for a day.
    public = collective.visibility == Visibility.PUBLIC
    response["Cache-Control"] = f"{'public' if public else 'private'}, max-age=86400"
    return response


# --- boundaries -----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def group_boundary(request: HttpRequest, slug: str, group_id: int) -> HttpResponse:
    """A group's boundary for whoever may edit the group: see it, upload or paste GeoJSON, remove it."""
    collective = access_collective(request.user, slug)
    group = access_group(request.user, group_id, for_edit=True, collective=collective)
    form = BoundaryForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            geometry = None
            if not form.cleaned_data["clear"]:
                geometry = boundaries.geometry_of(boundaries.parse_geojson(form.raw()))
            group = boundaries.group_boundary_set(actor=request.user, group=group, geometry=geometry)
        except DomainError as error:
            add_problems(form, error, aliases={"boundary": "text"})
        else:
            stored = boundaries.positions_in(group.boundary)
            messages.success(
                request,
                f"The boundary of {group.name} is saved ({stored:,} positions)."
                if stored
                else f"{group.name} has no boundary now.",
            )
            back = request.POST.get("next", "")
            if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
                return redirect(back)  # the group's edit form, which has the same upload
            return redirect("architecture:group_boundary", slug=collective.slug, group_id=group.pk)
    preview = None
    if group.boundary:
        preview = render_svg(boundaries.preview_spec(group.boundary, label=group.name))
    context = {
        "collective": collective,
        "nav": "groups",
        "group": group,
        "form": form,
        "preview": preview,
        "positions": boundaries.positions_in(group.boundary),
    }
    status = 422 if form.is_bound and form.errors else 200
    return render(request, "architecture/group_boundary.html", context, status=status)


@require_http_methods(["GET", "POST"])
def boundaries_import(request: HttpRequest, slug: str) -> HttpResponse:
    """Upload a FeatureCollection of boundaries matched to groups by code: all stored, or none with a
    report per bad feature. Admins for the collective, coordinators for their subtree."""
    collective = access_collective(request.user, slug)
    if not Group.objects.editable_by(request.user).filter(collective=collective).exists():
        raise NotFound("page")
    form = BoundaryImportForm(request.POST or None, request.FILES or None, initial={"match_property": "code"})
    report = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            document = boundaries.parse_geojson(
                data["file"].read(), limit=boundaries.MAX_IMPORT_BYTES, field_name="file"
            )
            report = boundaries.boundaries_import(
                actor=request.user,
                collective=collective,
                document=document,
                match_property=data["match_property"].strip() or "code",
                dry_run=data["dry_run"],
            )
        except DomainError as error:
            add_problems(form, error)
        else:
            if report.ok and not report.dry_run:
                messages.success(request, f"{report.saved:,} boundaries saved.")
                return redirect("architecture:boundaries_import", slug=collective.slug)
    context = {"collective": collective, "nav": "groups", "form": form, "report": report}
    failed = (form.is_bound and form.errors) or (report is not None and not report.ok)
    return render(request, "architecture/boundaries_import.html", context, status=422 if failed else 200)
