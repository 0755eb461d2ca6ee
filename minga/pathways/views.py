"""Pages of collective pathways, under /c/<collective slug>/pathways/ and /c/<slug>/strategy/.

Views parse, call an access function, a selector or a service, and render. Access functions raise
`NotFound` for missing and forbidden alike (404).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from minga.architecture.access import access_collective, access_group
from minga.architecture.models import Group, GroupSet, Layer
from minga.core.charts import render_svg
from minga.core.errors import DomainError, NotFound
from minga.core.forms import add_problems
from minga.core.models import Collective
from minga.core.scoping import scope_for
from minga.measurement.models import Indicator
from minga.pathways import selectors, services
from minga.pathways.access import access_condition, access_entry, access_pathway, access_stage
from minga.pathways.forms import (
    BulkForm,
    ConditionForm,
    GroupFilterForm,
    MoveBackForm,
    PathwayForm,
    RejectForm,
    StageForm,
    StrategyRevisionForm,
    SubmitForm,
)
from minga.pathways.models import Pathway, ProgressEntry

# Subtree filters offer the upper levels of the tree (countries, regions, districts): a few hundred
# choices even for the largest collectives.
BRANCH_DEPTH = 2


def _form_response(request: HttpRequest, template: str, context: dict[str, Any], form: Any) -> HttpResponse:
    return render(request, template, context, status=422 if form.is_bound and form.errors else 200)


def _pathway_url(pathway: Pathway) -> str:
    return reverse("pathways:pathway_detail", args=[pathway.collective.slug, pathway.pk])


def _journey_url(pathway: Pathway, group_id: int) -> str:
    return reverse("pathways:journey", args=[pathway.collective.slug, pathway.pk, group_id])


def _branches(qs: QuerySet[Group], collective: Collective) -> QuerySet[Group]:
    return (
        qs.filter(collective=collective, depth__lte=BRANCH_DEPTH)
        .exclude(layer=Layer.ACTION)
        .exclude(layer=Layer.SUPPORT)
        .order_by("path")
        .only("id", "name", "path", "depth")
    )


def _group_filter(
    request: HttpRequest, collective: Collective
) -> tuple[GroupFilterForm, selectors.GroupFilter]:
    user = request.user
    form = GroupFilterForm(
        request.GET or None,
        branches=_branches(Group.objects.visible_to(user), collective),
        sets=GroupSet.objects.visible_to(user).filter(collective=collective).order_by("name"),
    )
    return form, selectors.GroupFilter(within=form.value("within"), group_set=form.value("group_set"))


def _base(collective: Collective, **extra: Any) -> dict[str, Any]:
    return {"collective": collective, "nav": "pathways", **extra}


# --- pathways -------------------------------------------------------------------------------------


@require_GET
def pathway_list(request: HttpRequest, slug: str) -> HttpResponse:
    collective = access_collective(request.user, slug)
    pathways = list(selectors.pathways_for(request.user, collective))
    return render(
        request,
        "pathways/pathway_list.html",
        _base(collective, pathways=pathways, is_admin=services.is_admin(request.user, collective)),
    )


@require_http_methods(["GET", "POST"])
def pathway_create(request: HttpRequest, slug: str) -> HttpResponse:
    collective = access_collective(request.user, slug)
    if not services.is_admin(request.user, collective):
        raise NotFound("pathway")
    form = PathwayForm(request.POST or None, collective=collective, initial={"visibility": "public"})
    if request.method == "POST" and form.is_valid():
        try:
            pathway = services.pathway_create(actor=request.user, collective=collective, **form.changes())
        except DomainError as error:
            add_problems(form, error)
        else:
            messages.success(
                request, f"{pathway.name} was created as a draft. Add its stages, then publish it."
            )
            return redirect(_pathway_url(pathway))
    return _form_response(request, "pathways/pathway_form.html", _base(collective, form=form), form)


@require_GET
def pathway_detail(request: HttpRequest, slug: str, pathway_id: int) -> HttpResponse:
    collective = access_collective(request.user, slug)
    pathway = access_pathway(request.user, pathway_id, collective=collective)
    user = request.user
    my_groups = (
        Group.objects.visible_to(user)
        .filter(collective=collective, layer=Layer.ACTION, pk__in=_lead_groups(user))
        .order_by("name")[:20]
    )
    return render(
        request,
        "pathways/pathway_detail.html",
        _base(
            collective,
            pathway=pathway,
            stages=list(pathway.stages.order_by("order", "id").prefetch_related("conditions__indicator")),
            history=selectors.version_history(pathway),
            is_admin=services.is_admin(user, collective),
            my_groups=list(my_groups),
            queue_size=selectors.verification_queue(user, pathway).count(),
        ),
    )


def _lead_groups(user: Any) -> frozenset[int]:
    return scope_for(user).lead_groups


@require_http_methods(["GET", "POST"])
def pathway_edit(request: HttpRequest, slug: str, pathway_id: int) -> HttpResponse:
    collective = access_collective(request.user, slug)
    pathway = access_pathway(request.user, pathway_id, collective=collective, for_edit=True)
    initial = {name: getattr(pathway, name) for name in services.PATHWAY_FIELDS}
    form = PathwayForm(request.POST or None, collective=collective, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.pathway_update(actor=request.user, pathway=pathway, **form.changes())
        except DomainError as error:
            add_problems(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect(_pathway_url(pathway))
    return _form_response(
        request, "pathways/pathway_form.html", _base(collective, form=form, pathway=pathway), form
    )


@require_POST
def pathway_publish(request: HttpRequest, slug: str, pathway_id: int) -> HttpResponse:
    collective = access_collective(request.user, slug)
    pathway = access_pathway(request.user, pathway_id, collective=collective, for_edit=True)
    try:
        services.pathway_publish(actor=request.user, pathway=pathway)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{pathway.name} is published: groups can now travel it.")
    return redirect(_pathway_url(pathway))


# --- stages ---------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def stage_create(request: HttpRequest, slug: str, pathway_id: int) -> HttpResponse:
    collective = access_collective(request.user, slug)
    pathway = access_pathway(request.user, pathway_id, collective=collective, for_edit=True)
    form = StageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            stage = services.stage_create(actor=request.user, pathway=pathway, **form.changes())
        except DomainError as error:
            add_problems(form, error)
        else:
            messages.success(request, f"The stage “{stage.name}” was added.")
            return redirect(_pathway_url(pathway) + "#stages")
    return _form_response(
        request, "pathways/stage_form.html", _base(collective, form=form, pathway=pathway), form
    )


@require_http_methods(["GET", "POST"])
def stage_edit(request: HttpRequest, slug: str, pathway_id: int, stage_id: int) -> HttpResponse:
    collective = access_collective(request.user, slug)
    pathway = access_pathway(request.user, pathway_id, collective=collective, for_edit=True)
    stage = access_stage(request.user, stage_id, pathway=pathway, for_edit=True)
    form = StageForm(request.POST or None, initial=StageForm.initial_for(stage))
    condition_form = ConditionForm(indicators=_indicators(request.user, collective), prefix="condition")
    if request.method == "POST" and form.is_valid():
        try:
            services.stage_update(actor=request.user, stage=stage, **form.changes())
        except DomainError as error:
            add_problems(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect(_pathway_url(pathway) + "#stages")
    context = _base(
        collective,
        form=form,
        pathway=pathway,
        stage=stage,
        conditions=list(stage.conditions.select_related("indicator")),
        condition_form=condition_form,
    )
    return _form_response(request, "pathways/stage_form.html", context, form)


def _indicators(user: Any, collective: Collective) -> QuerySet[Indicator]:
    return Indicator.objects.visible_to(user).filter(collective=collective)


@require_POST
def stage_condition_add(request: HttpRequest, slug: str, pathway_id: int, stage_id: int) -> HttpResponse:
    collective = access_collective(request.user, slug)
    pathway = access_pathway(request.user, pathway_id, collective=collective, for_edit=True)
    stage = access_stage(request.user, stage_id, pathway=pathway, for_edit=True)
    form = ConditionForm(request.POST, indicators=_indicators(request.user, collective), prefix="condition")
    back = reverse("pathways:stage_edit", args=[collective.slug, pathway.pk, stage.pk]) + "#conditions"
    if not form.is_valid():
        messages.error(request, "Choose an indicator and give a threshold and a number of periods (1 to 24).")
        return redirect(back)
    try:
        condition = services.stage_condition_add(actor=request.user, stage=stage, **form.cleaned_data)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Condition added: {condition.describe()}.")
    return redirect(back)


@require_POST
def stage_condition_remove(request: HttpRequest, slug: str, condition_id: int) -> HttpResponse:
    collective = access_collective(request.user, slug)
    condition = access_condition(request.user, condition_id, for_edit=True)
    stage = condition.stage
    if stage.pathway.collective_id != collective.pk:
        raise NotFound("condition")
    services.stage_condition_remove(actor=request.user, condition=condition)
    messages.success(request, "Condition removed.")
    return redirect(
        reverse("pathways:stage_edit", args=[collective.slug, stage.pathway_id, stage.pk]) + "#conditions"
    )


@require_POST
def stage_delete(request: HttpRequest, slug: str, pathway_id: int, stage_id: int) -> HttpResponse:
    collective = access_collective(request.user, slug)
    pathway = access_pathway(request.user, pathway_id, collective=collective, for_edit=True)
    stage = access_stage(request.user, stage_id, pathway=pathway, for_edit=True)
    try:
        services.stage_delete(actor=request.user, stage=stage)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"The stage “{stage.name}” was removed.")
    return redirect(_pathway_url(pathway) + "#stages")


@require_POST
def stage_move(request: HttpRequest, slug: str, pathway_id: int, stage_id: int) -> HttpResponse:
    """Move a stage one place up or down (`direction` = "up" or "down")."""
    collective = access_collective(request.user, slug)
    pathway = access_pathway(request.user, pathway_id, collective=collective, for_edit=True)
    stage = access_stage(request.user, stage_id, pathway=pathway, for_edit=True)
    ids = list(pathway.stages.order_by("order", "id").values_list("pk", flat=True))
    i = ids.index(stage.pk)
    j = i - 1 if request.POST.get("direction") == "up" else i + 1
    if 0 <= j < len(ids):
        ids[i], ids[j] = ids[j], ids[i]
        services.stage_reorder(actor=request.user, pathway=pathway, stage_ids=ids)
    return redirect(_pathway_url(pathway) + "#stages")


# --- a group's journey ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def journey(request: HttpRequest, slug: str, pathway_id: int, group_id: int) -> HttpResponse:
    """Where a group is, what the next stage needs, its history, peers nearby, and the evidence form."""
    user = request.user
    collective = access_collective(user, slug)
    pathway = access_pathway(user, pathway_id, collective=collective)
    group = access_group(user, group_id, collective=collective)
    view = selectors.group_journey(user, pathway, group)
    form = None
    if view.next is not None and view.can_submit and view.pending is None:
        form = SubmitForm(request.POST or None, request.FILES or None, stage=view.next)
    elif request.method == "POST":
        raise NotFound("stage")
    if request.method == "POST" and form is not None and view.next is not None and form.is_valid():
        try:
            entry = services.progress_submit(
                actor=user, pathway=pathway, group=group, stage=view.next, **form.changes()
            )
        except DomainError as error:
            add_problems(form, error)
        else:
            if entry.status == ProgressEntry.Status.PENDING:
                messages.success(
                    request, f"Sent: a coordinator will verify the move to “{entry.stage.name}”."
                )
            else:
                messages.success(request, f"{group.name} is now at “{entry.stage.name}”.")
            return redirect(_journey_url(pathway, group.pk))
    back = None
    if view.progress is not None and view.can_submit:
        earlier = pathway.stages.filter(order__lt=view.progress.stage.order).order_by("order")
        back = MoveBackForm(earlier=earlier, prefix="back")
    context = _base(collective, pathway=pathway, group=group, view=view, form=form, back_form=back)
    return (
        _form_response(request, "pathways/journey.html", context, form)
        if form
        else render(request, "pathways/journey.html", context)
    )


@require_POST
def journey_move_back(request: HttpRequest, slug: str, pathway_id: int, group_id: int) -> HttpResponse:
    user = request.user
    collective = access_collective(user, slug)
    pathway = access_pathway(user, pathway_id, collective=collective)
    group = access_group(user, group_id, collective=collective)
    form = MoveBackForm(request.POST, earlier=pathway.stages.all(), prefix="back")
    if not form.is_valid():
        messages.error(request, "Choose the stage to move back to.")
        return redirect(_journey_url(pathway, group.pk))
    try:
        services.progress_move_back(
            actor=user,
            pathway=pathway,
            group=group,
            stage=form.cleaned_data["stage"],
            reason=form.cleaned_data["reason"],
            entered_on=form.cleaned_data["entered_on"],
        )
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{group.name} moved back to “{form.cleaned_data['stage'].name}”.")
    return redirect(_journey_url(pathway, group.pk))


# --- coordinator views ----------------------------------------------------------------------------


@require_GET
def funnel(request: HttpRequest, slug: str, pathway_id: int) -> HttpResponse:
    """The funnel (chart and table), time per stage, cohorts and stalled groups, for a subtree or set."""
    collective = access_collective(request.user, slug)
    pathway = access_pathway(request.user, pathway_id, collective=collective)
    form, filters = _group_filter(request, collective)
    result = selectors.pathway_funnel(request.user, pathway, filters)
    days = form.value("stalled_days")
    stalled_count, stalled = selectors.stalled_groups(
        request.user, pathway, filters, days=days, today=timezone.localdate()
    )
    chart = render_svg(selectors.funnel_chart_spec(result)) if result.rows else ""
    return render(
        request,
        "pathways/funnel.html",
        _base(
            collective,
            pathway=pathway,
            form=form,
            funnel=result,
            chart=chart,
            cohorts=selectors.pathway_cohorts(request.user, pathway, filters),
            stalled=stalled,
            stalled_count=stalled_count,
            stalled_days=days,
            can_bulk=services.may_record_in_bulk(request.user, collective),
        ),
    )


@require_GET
def verification_queue(request: HttpRequest, slug: str, pathway_id: int) -> HttpResponse:
    collective = access_collective(request.user, slug)
    pathway = access_pathway(request.user, pathway_id, collective=collective)
    form, filters = _group_filter(request, collective)
    entries = list(selectors.verification_queue(request.user, pathway, filters)[:200])
    return render(
        request,
        "pathways/verification_queue.html",
        _base(collective, pathway=pathway, entries=entries, form=form, reject_form=RejectForm()),
    )


@require_POST
def entry_decide(request: HttpRequest, slug: str, entry_id: int) -> HttpResponse:
    """Verify (`decision=verify`) or reject (`decision=reject`, with a reason) a pending move."""
    collective = access_collective(request.user, slug)
    entry = access_entry(request.user, entry_id, for_verify=True)
    if entry.pathway.collective_id != collective.pk:
        raise NotFound("progress entry")
    try:
        if request.POST.get("decision") == "reject":
            services.progress_reject(actor=request.user, entry=entry, reason=request.POST.get("reason", ""))
            messages.success(request, f"{entry.group.name}: not yet; the reason was recorded.")
        else:
            services.progress_verify(actor=request.user, entry=entry)
            messages.success(request, f"{entry.group.name} is now at “{entry.stage.name}”.")
    except DomainError as error:
        messages.error(request, f"{entry.group.name}: {error}")
    return redirect(reverse("pathways:verification_queue", args=[collective.slug, entry.pathway_id]))


@require_http_methods(["GET", "POST"])
def bulk_update(request: HttpRequest, slug: str, pathway_id: int) -> HttpResponse:
    """Record the stage of many groups of a subtree at once (coordinators and admins)."""
    user = request.user
    collective = access_collective(user, slug)
    pathway = access_pathway(user, pathway_id, collective=collective)
    if not services.may_record_in_bulk(user, collective):
        raise NotFound("pathway")
    branches = _branches(Group.objects.editable_by(user), collective)
    form = BulkForm(request.POST or None, branches=branches, stages=pathway.stages.order_by("order"))
    if request.method == "POST" and form.is_valid():
        within = form.cleaned_data["within"]
        codes = form.codes()
        ids: list[int] | None = None
        if codes:
            found = dict(
                Group.objects.filter(collective=collective, code__in=codes).values_list("code", "pk")
            )
            unknown = [c for c in codes if c not in found]
            if unknown:
                form.add_error("group_codes", f"Unknown codes: {', '.join(unknown[:10])}.")
            ids = list(found.values())
        if not form.errors:
            try:
                moved = services.progress_bulk_set(
                    actor=user,
                    pathway=pathway,
                    within=within,
                    stage=form.cleaned_data["stage"],
                    note=form.cleaned_data["note"],
                    group_ids=ids,
                    entered_on=form.cleaned_data["entered_on"],
                )
            except DomainError as error:
                add_problems(form, error, aliases={"group_ids": "group_codes"})
            else:
                messages.success(request, f"{moved} groups recorded at “{form.cleaned_data['stage'].name}”.")
                return redirect(
                    reverse("pathways:funnel", args=[collective.slug, pathway.pk]) + f"?within={within.pk}"
                )
    return _form_response(
        request, "pathways/bulk_form.html", _base(collective, pathway=pathway, form=form), form
    )


# --- strategy -------------------------------------------------------------------------------------


@require_GET
def timeline(request: HttpRequest, slug: str) -> HttpResponse:
    """Strategy revisions and pathway versions on one vertical timeline, newest first."""
    collective = access_collective(request.user, slug)
    kind = request.GET.get("kind", "")
    events = selectors.strategy_timeline(request.user, collective, kinds={kind} if kind else None)
    years: dict[int, list[selectors.TimelineEvent]] = {}
    for event in events:
        years.setdefault(event.on.year, []).append(event)
    return render(
        request,
        "pathways/timeline.html",
        _base(
            collective,
            years=years,
            kind=kind,
            is_admin=services.is_admin(request.user, collective),
        ),
    )


@require_http_methods(["GET", "POST"])
def strategy_create(request: HttpRequest, slug: str) -> HttpResponse:
    collective = access_collective(request.user, slug)
    if not services.is_admin(request.user, collective):
        raise NotFound("strategy revision")
    form = StrategyRevisionForm(request.POST or None, collective=collective)
    if request.method == "POST" and form.is_valid():
        try:
            services.strategy_revision_create(actor=request.user, collective=collective, **form.changes())
        except DomainError as error:
            add_problems(form, error)
        else:
            messages.success(request, "The strategy revision was recorded.")
            return redirect(reverse("pathways:timeline", args=[collective.slug]))
    return _form_response(request, "pathways/strategy_form.html", _base(collective, form=form), form)
