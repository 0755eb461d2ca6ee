"""Saved dashboards: save the dashboard as shown, open a saved one (computed for the viewer), change it,
delete it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from minga.architecture.access import access_collective, access_group, access_group_set
from minga.architecture.models import GroupSet
from minga.core.charts import render_svg
from minga.core.errors import DomainError, NotFound
from minga.core.forms import add_problems
from minga.core.models import Collective
from minga.core.scoping import scope_for
from minga.measurement import charts, dashboards
from minga.measurement.forms import EditDashboardForm, SaveDashboardForm


def _member_collective(request: HttpRequest, slug: str) -> Collective:
    collective = access_collective(request.user, slug)
    scope = scope_for(request.user)
    if not (scope.is_superuser or collective.pk in scope.member_collectives):
        raise NotFound("page")
    return collective


@require_POST
def dashboard_save(request: HttpRequest, slug: str) -> HttpResponse:
    collective = _member_collective(request, slug)
    form = SaveDashboardForm(request.POST, collective=collective, viewer=request.user)
    back = reverse("measurement:dashboard", args=[collective.slug])
    if form.is_valid():
        data = form.cleaned_data
        within = access_group(request.user, data["within"], collective=collective) if data["within"] else None
        group_set = access_group_set(request.user, data["set"]) if data["set"] and not within else None
        try:
            saved = dashboards.dashboard_save(
                actor=request.user,
                collective=collective,
                within=within,
                group_set=group_set,
                **form.settings(),
            )
        except DomainError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"Dashboard “{saved.name}” saved.")
            return redirect(reverse("measurement:saved_dashboard", args=[collective.slug, saved.pk]))
    else:
        problems = "; ".join(
            f"{form.fields[f].label or f}: {' '.join(str(m) for m in e)}" for f, e in form.errors.items()
        )
        messages.error(request, f"The dashboard was not saved. {problems}")
    return redirect(back)


@require_GET
def saved_dashboard(request: HttpRequest, slug: str, dashboard_id: int) -> HttpResponse:
    """A saved dashboard, computed for whoever opens it."""
    collective = _member_collective(request, slug)
    dashboard = dashboards.access_dashboard(request.user, dashboard_id, collective=collective)
    opened = dashboards.dashboard_open(viewer=request.user, dashboard=dashboard, today=timezone.localdate())
    panels: list[dict[str, Any]] = []
    for data in opened.panels:
        unit = data.indicator.unit or data.indicator.name
        panel: dict[str, Any] = {"data": data}
        if "trend" in dashboard.charts and data.trend.periods:
            panel["trend_chart"] = render_svg(charts.trend_spec(data.points, title=unit))
        rows = [(label, value) for _, label, value in data.breakdown.cells]
        if "breakdown" in dashboard.charts and rows:
            panel["breakdown_chart"] = render_svg(charts.breakdown_spec(rows[:40], title=unit))
        if "map" in dashboard.charts and opened.area is not None:
            found = dashboards.unit_map(viewer=request.user, breakdown=data.breakdown, area=opened.area)
            if found:
                panel["map_chart"] = render_svg(charts.unit_map_spec(found.shapes, found.points, title=unit))
                panel["unit_map"] = found
        panels.append(panel)
    context = {
        "collective": collective,
        "nav": "measurement",
        "dashboard": dashboard,
        "opened": opened,
        "panels": panels,
        "mine": dashboard.owner_id == request.user.pk,
    }
    return render(request, "measurement/saved_dashboard.html", context)


@require_http_methods(["GET", "POST"])
def saved_dashboard_edit(request: HttpRequest, slug: str, dashboard_id: int) -> HttpResponse:
    """Change your saved dashboard: name, indicators, area, periods, charts, sharing."""
    collective = _member_collective(request, slug)
    dashboard = dashboards.access_dashboard(request.user, dashboard_id, for_edit=True, collective=collective)
    group_sets = GroupSet.objects.visible_to(request.user).filter(collective=collective).order_by("name")
    group_sets = group_sets[:200]
    area = f"within:{dashboard.within_id}" if dashboard.within_id else ""
    area = f"set:{dashboard.group_set_id}" if dashboard.group_set_id else area
    form = EditDashboardForm(
        request.POST or None,
        collective=collective,
        viewer=request.user,
        within=dashboard.within,
        group_sets=group_sets,
        initial={
            "name": dashboard.name,
            "indicators": dashboard.indicators,
            "area": area,
            "period": dashboard.period,
            "charts": dashboard.charts,
            "shared": dashboard.shared,
        },
    )
    if request.method == "POST" and form.is_valid():
        within_id, set_id = form.area_ids()
        try:
            within = access_group(request.user, within_id, collective=collective) if within_id else None
            group_set = access_group_set(request.user, set_id) if set_id else None
            dashboards.dashboard_update(
                actor=request.user, dashboard=dashboard, within=within, group_set=group_set, **form.settings()
            )
        except DomainError as error:
            add_problems(form, error, aliases={"within": "area", "group_set": "area"})
        else:
            messages.success(request, f"Dashboard “{dashboard.name}” saved.")
            return redirect(reverse("measurement:saved_dashboard", args=[collective.slug, dashboard.pk]))
    context = {"collective": collective, "nav": "measurement", "dashboard": dashboard, "form": form}
    status = 422 if form.is_bound and form.errors else 200
    return render(request, "measurement/saved_dashboard_edit.html", context, status=status)


@require_POST
def saved_dashboard_delete(request: HttpRequest, slug: str, dashboard_id: int) -> HttpResponse:
    collective = _member_collective(request, slug)
    dashboard = dashboards.access_dashboard(request.user, dashboard_id, for_edit=True, collective=collective)
    dashboards.dashboard_delete(actor=request.user, dashboard=dashboard)
    messages.success(request, f"Dashboard “{dashboard.name}” deleted.")
    return redirect(reverse("measurement:dashboard", args=[collective.slug]))
