"""Pages of shared measurement under /c/<collective slug>/measurement/: the dashboard, the pivot table
and its CSV/XLSX export, the data-entry grid (htmx saves each cell), completeness with approval, and
the indicators list.

Views parse, call an access function, a selector or a service, and render. Forbidden is a 404.
"""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from minga.architecture.access import access_collective, access_group, access_group_set
from minga.architecture.models import Group, GroupSet, Layer
from minga.core.bulk import formats
from minga.core.charts import render_svg
from minga.core.errors import DomainError, NotFound
from minga.core.models import Collective
from minga.core.scoping import scope_for
from minga.measurement import charts, periods, selectors, services
from minga.measurement.access import access_approval, access_period
from minga.measurement.dashboards import dashboards_for, unit_map
from minga.measurement.forms import SaveDashboardForm
from minga.measurement.ingest import Outcome, ValueIn
from minga.measurement.models import DataValue, Indicator


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _is_member(user: Any, collective: Collective) -> bool:
    scope = scope_for(user)
    return scope.is_superuser or collective.pk in scope.member_collectives


def _area(request: HttpRequest, collective: Collective) -> selectors.Area:
    within = _int(request.GET.get("within"))
    set_id = _int(request.GET.get("set"))
    if within is None and set_id is not None:
        group_set = access_group_set(request.user, set_id)
        if group_set.collective_id != collective.pk:
            raise NotFound("group set")
        return selectors.Area(collective, group_set=group_set)
    if within is None:
        return selectors.Area(collective)
    return selectors.Area(collective, group=access_group(request.user, within, collective=collective))


def _analysis(request: HttpRequest, slug: str) -> dict[str, Any]:
    """Collective, indicators, chosen indicator, area and periods from the query string."""
    collective = access_collective(request.user, slug)
    indicators = list(
        Indicator.objects.visible_to(request.user).filter(collective=collective).order_by("name", "id")
    )
    context: dict[str, Any] = {"collective": collective, "nav": "measurement", "indicators": indicators}
    code = request.GET.get("indicator", "")
    indicator = next((i for i in indicators if i.code == code), indicators[0] if indicators else None)
    if code and indicator is not None and indicator.code != code:
        raise NotFound("indicator")
    context["indicator"] = indicator
    context["area"] = area = _area(request, collective)
    context["period_text"] = request.GET.get("period", "")
    context["period_error"] = ""
    context["periods"] = []
    if indicator is not None:
        try:
            context["periods"] = selectors.periods_from(
                collective, indicator.frequency, context["period_text"], today=timezone.localdate()
            )
        except periods.PeriodError as error:
            context["period_error"] = str(error)
    context["within"] = area.group.pk if area.group else ""
    context["set_id"] = area.group_set.pk if area.group_set else ""
    # The sets to pick from (a set replaces the tree's area; inside a subtree the page keeps to it).
    sets = GroupSet.objects.visible_to(request.user).filter(collective=collective).order_by("name")
    context["group_sets"] = [] if area.group else list(sets[:200])
    return context


@require_GET
def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    """One indicator over the collective or a subtree: trend and target, child units, completeness."""
    context = _analysis(request, slug)
    indicator, collective = context["indicator"], context["collective"]
    if indicator is not None:
        data = selectors.dashboard(
            viewer=request.user, indicator=indicator, area=context["area"], period_list=context["periods"]
        )
        if not _is_member(request.user, collective):
            data.completeness = None  # visitors see approved figures, not who has reported yet
        unit = indicator.unit or indicator.name
        context["data"] = data
        if data.trend.periods:
            context["trend_chart"] = render_svg(charts.trend_spec(data.points, title=unit))
        rows = [(label, value) for _, label, value in data.breakdown.cells]
        if rows:
            context["breakdown_chart"] = render_svg(charts.breakdown_spec(rows[:40], title=unit))
        context["children"] = _children(request.user, collective, context["area"])
        found = unit_map(
            viewer=request.user, breakdown=data.breakdown, area=context["area"], units=context["children"]
        )
        if found:
            context["map_chart"] = render_svg(charts.unit_map_spec(found.shapes, found.points, title=unit))
            context["unit_map"], context["map_points"] = found, found.points
    context["can_enter"] = services.may_report(request.user, collective)
    if _is_member(request.user, collective):
        context["saved"] = dashboards_for(request.user, collective)
        context["save_form"] = SaveDashboardForm(
            collective=collective,
            viewer=request.user,
            initial={
                "indicators": [indicator.code] if indicator else [],
                "charts": ["trend", "breakdown", "map"],
            },
        )
    return render(request, "measurement/dashboard.html", context)


def _children(user: Any, collective: Collective, area: selectors.Area) -> list[Group]:
    """The units one level down, to drill into (at most 100)."""
    qs = Group.objects.visible_to(user).filter(collective=collective)
    qs = qs.filter(parent=area.group) if area.group is not None else qs.filter(parent__isnull=True)
    return list(qs.exclude(layer=Layer.SUPPORT).order_by("name")[:100])


@require_GET
def pivot(request: HttpRequest, slug: str) -> HttpResponse:
    """Child units x periods for one indicator; `?format=csv|xlsx` downloads the same table."""
    context = _analysis(request, slug)
    indicator = context["indicator"]
    table = None
    if indicator is not None:
        table = selectors.pivot(
            viewer=request.user, indicator=indicator, area=context["area"], period_list=context["periods"]
        )
    fmt = request.GET.get("format", "")
    if table is not None and fmt in ("csv", "xlsx"):
        return _pivot_file(context["collective"], context["area"], table, fmt)
    context["table"] = table
    return render(request, "measurement/pivot.html", context)


def _pivot_file(
    collective: Collective, area: selectors.Area, table: selectors.Pivot, fmt: str
) -> HttpResponse:
    header = ["unit", *table.columns, "total"]
    body = [[label, *cells, total] for label, cells, total in table.rows]
    body.append(["Total", *table.column_totals, table.total])
    name = f"{collective.slug}-{table.indicator.code}-{timezone.localdate():%Y%m%d}"
    # The same writers as every other export: formula-like cells (unit names come from users) are
    # neutralised in both formats, as `formats.neutralise` does everywhere.
    if fmt == "csv":
        response = HttpResponse(
            b"".join(formats.stream_csv(header, body)), content_type="text/csv; charset=utf-8"
        )
    else:
        out = io.BytesIO()
        formats.write_xlsx(header, body, out, title=table.indicator.code)
        response = HttpResponse(
            out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- data entry -----------------------------------------------------------------------------------


@require_GET
def entry_index(request: HttpRequest, slug: str) -> HttpResponse:
    """Choose a group you report for and a period."""
    collective = access_collective(request.user, slug)
    if not services.may_report(request.user, collective):
        raise NotFound("page")
    q = request.GET.get("q", "").strip()
    groups = Group.objects.editable_by(request.user).filter(collective=collective, layer=Layer.ACTION)
    if q:
        groups = groups.filter(name__icontains=q)
    today = timezone.localdate()
    month = periods.period_for(periods.MONTH, today).previous()
    recent = periods.last_periods(periods.MONTH, 6, until=month.end)
    return render(
        request,
        "measurement/entry_index.html",
        {
            "collective": collective,
            "nav": "measurement",
            "groups": list(groups.order_by("name", "id")[:100]),
            "q": q,
            "periods": list(reversed(recent)),
            "default_period": month.code,
        },
    )


def _entry_target(request: HttpRequest, slug: str, group_id: int, period: str) -> tuple[Any, ...]:
    collective = access_collective(request.user, slug)
    group = access_group(request.user, group_id, for_edit=True, collective=collective)
    try:
        spec = periods.parse_period(period)
    except periods.PeriodError:
        raise NotFound("period") from None
    indicators = [
        i for i in selectors.indicators_for_group(group, day=spec.start) if i.frequency == spec.kind
    ]
    return collective, group, spec, indicators


@require_http_methods(["GET", "POST"])
def entry(request: HttpRequest, slug: str, group_id: int, period: str) -> HttpResponse:
    """The grid of a group's values for a period. Each cell saves itself (htmx); without JavaScript,
    "Save all" posts the whole grid."""
    collective, group, spec, indicators = _entry_target(request, slug, group_id, period)
    problems: dict[str, list[str]] = {}
    if request.method == "POST":
        outcome, problems = _save_grid(request, collective, group, spec, indicators)
        if not outcome.rejected:
            messages.success(request, _saved_message(outcome))
            return redirect(reverse("measurement:entry", args=[collective.slug, group.pk, spec.code]))
        messages.error(request, "Some values were not saved: see the messages next to them.")
    rows = selectors.entry_grid(group=group, period_spec=spec, indicators=indicators)
    stored = selectors.stored_period(collective, spec.code)
    approval = selectors.approval_covering(group, stored) if stored is not None else None
    return render(
        request,
        "measurement/entry.html",
        {
            "collective": collective,
            "nav": "measurement",
            "group": group,
            "period": spec,
            "previous": spec.previous(),
            "next": spec.next() if spec.next().start <= timezone.localdate() else None,
            "rows": rows,
            "problems": problems,
            "approval": approval,
            "posted": request.POST if request.method == "POST" else {},
        },
        status=422 if problems else 200,
    )


def _save_grid(
    request: HttpRequest,
    collective: Collective,
    group: Group,
    spec: periods.PeriodSpec,
    indicators: list[Indicator],
) -> tuple[Outcome, dict[str, list[str]]]:
    """Upsert every cell of the posted grid (fields v-<indicator id>-<option id>, c-… for comments)."""
    codes = selectors.option_codes(indicators)
    options = selectors.options_by_indicator(indicators)
    items: list[ValueIn] = []
    keys: list[str] = []
    for indicator in indicators:
        for option in options[indicator.pk]:
            key = f"{indicator.pk}-{option}"
            if f"v-{key}" not in request.POST:
                continue
            keys.append(key)
            items.append(
                ValueIn(
                    indicator=indicator.code,
                    group=group.code,
                    period=spec.code,
                    option=codes.get(option, ""),
                    value=request.POST.get(f"v-{key}", ""),
                    comment=request.POST.get(f"c-{key}"),  # no comment field: the stored one stays
                    location=len(items),
                )
            )
    outcome = services.datavalues_upsert(
        actor=request.user, collective=collective, values=items, source=DataValue.Source.WEB
    )
    problems: dict[str, list[str]] = {}
    for index, found in outcome.rejected:
        problems.setdefault(keys[index], []).extend(p.message for p in found)
    return outcome, problems


def _saved_message(outcome: Outcome) -> str:
    changed = outcome.created + outcome.updated + outcome.deleted
    return f"Saved: {changed} value{'s' if changed != 1 else ''} changed, {outcome.unchanged} unchanged."


@require_POST
def entry_cell(request: HttpRequest, slug: str, group_id: int, period: str) -> HttpResponse:
    """Save one cell (htmx): answers the cell's status line — saved, refused with the reason, warnings."""
    collective, group, spec, indicators = _entry_target(request, slug, group_id, period)
    indicator = next((i for i in indicators if i.code == request.POST.get("indicator", "")), None)
    if indicator is None:
        raise NotFound("indicator")
    key = request.POST.get("key", "")
    item = ValueIn(
        indicator=indicator.code,
        group=group.code,
        period=spec.code,
        option=request.POST.get("option", ""),
        value=request.POST.get(f"v-{key}", ""),
        comment=request.POST.get(f"c-{key}"),  # no comment field: the stored one stays
    )
    outcome = services.datavalues_upsert(
        actor=request.user, collective=collective, values=[item], source=DataValue.Source.WEB
    )
    return render(
        request,
        "measurement/_cell_status.html",
        {"outcome": outcome, "errors": [p.message for _, found in outcome.rejected for p in found]},
    )


# --- completeness and approval --------------------------------------------------------------------


@require_GET
def completeness_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Who reported for a period in a subtree (on time, late, missing), broken rules, and approval."""
    collective = access_collective(request.user, slug)
    if not _is_member(request.user, collective):
        raise NotFound("page")
    area = _area(request, collective)
    today = timezone.localdate()
    code = request.GET.get("period") or periods.period_for(periods.MONTH, today).previous().code
    try:
        period = access_period(request.user, collective, code)
    except NotFound:
        period = None
    context: dict[str, Any] = {
        "collective": collective,
        "nav": "measurement",
        "area": area,
        "period_code": code,
        "period": period,
        "recent": list(reversed(periods.last_periods(periods.MONTH, 12, until=today))),
        "children": _children(request.user, collective, area),
    }
    if period is not None:
        context["result"] = selectors.completeness(
            viewer=request.user, area=area, period=period, list_limit=300
        )
        context["violations"] = selectors.validation_report(viewer=request.user, area=area, period=period)
        if area.group is not None:
            context["approval"] = selectors.approval_covering(area.group, period)
            context["can_approve"] = services.may_approve(request.user, area.group)
        context["can_unlock"] = services.may_define(request.user, collective)
    return render(request, "measurement/completeness.html", context)


@require_POST
def approve(request: HttpRequest, slug: str) -> HttpResponse:
    collective = access_collective(request.user, slug)
    group = access_group(request.user, _int(request.POST.get("group")) or 0, collective=collective)
    period = access_period(request.user, collective, request.POST.get("period", ""))
    try:
        services.approval_approve(actor=request.user, group=group, period=period)
        messages.success(request, f"{group.name}: data for {period.code} approved and locked.")
    except DomainError as error:
        messages.error(request, str(error))
    url = reverse("measurement:completeness", args=[collective.slug])
    return redirect(f"{url}?within={group.pk}&period={period.code}")


@require_POST
def unlock(request: HttpRequest, slug: str, approval_id: int) -> HttpResponse:
    collective = access_collective(request.user, slug)
    approval = access_approval(request.user, approval_id)
    if approval.collective_id != collective.pk:
        raise NotFound("approval")
    try:
        services.approval_unlock(actor=request.user, approval=approval, reason=request.POST.get("reason", ""))
        messages.success(request, f"Unlocked {approval.group.name} for {approval.period.code}.")
    except DomainError as error:
        messages.error(request, str(error))
    return redirect(
        f"{reverse('measurement:completeness', args=[collective.slug])}?within={approval.group_id}"
        f"&period={approval.period.code}"
    )


@require_GET
def indicator_list(request: HttpRequest, slug: str) -> HttpResponse:
    """The indicators of the collective, as defined by its backbone."""
    collective = access_collective(request.user, slug)
    indicators = (
        Indicator.objects.visible_to(request.user)
        .filter(collective=collective)
        .select_related("disaggregation")
        .prefetch_related("kinds")
        .order_by("name", "id")
    )
    return render(
        request,
        "measurement/indicator_list.html",
        {
            "collective": collective,
            "nav": "measurement",
            "indicators": indicators,
            "can_define": services.may_define(request.user, collective),
        },
    )
