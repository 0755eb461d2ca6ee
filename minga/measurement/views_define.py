"""Pages where the backbone defines what is measured: indicators (create, edit with their history),
indicator sets (forms), targets and validation rules. Only the collective's backbone admins
(`services.may_define`) see them; for everybody else they are missing (404).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from minga.architecture.access import access_collective
from minga.architecture.models import Group
from minga.core.errors import DomainError, NotFound
from minga.core.forms import add_problems
from minga.core.models import AuditEntry, Collective
from minga.measurement import services
from minga.measurement.access import access_indicator
from minga.measurement.forms import IndicatorForm, IndicatorSetForm, TargetForm, ValidationRuleForm
from minga.measurement.models import Indicator, IndicatorSet, Target, ValidationRule


def _definer(request: HttpRequest, slug: str) -> Collective:
    collective = access_collective(request.user, slug)
    if not services.may_define(request.user, collective):
        raise NotFound("page")
    return collective


def _respond(request: HttpRequest, template: str, context: dict[str, Any], form: Any) -> HttpResponse:
    context.setdefault("nav", "measurement")
    return render(request, template, context, status=422 if form.is_bound and form.errors else 200)


def _indicators_url(collective: Collective) -> str:
    return reverse("measurement:indicator_list", args=[collective.slug])


@require_http_methods(["GET", "POST"])
def indicator_create(request: HttpRequest, slug: str) -> HttpResponse:
    collective = _definer(request, slug)
    form = IndicatorForm(request.POST or None, collective=collective)
    if request.method == "POST" and form.is_valid():
        try:
            indicator = services.indicator_create(
                actor=request.user, collective=collective, **form.service_kwargs()
            )
        except DomainError as error:
            add_problems(form, error)
        else:
            messages.success(request, f"{indicator.name} is defined.")
            return redirect(_indicators_url(collective))
    return _respond(
        request, "measurement/indicator_form.html", {"collective": collective, "form": form}, form
    )


@require_http_methods(["GET", "POST"])
def indicator_edit(request: HttpRequest, slug: str, indicator_id: int) -> HttpResponse:
    collective = _definer(request, slug)
    indicator = access_indicator(request.user, indicator_id, for_edit=True)
    if indicator.collective_id != collective.pk:
        raise NotFound("indicator")
    form = IndicatorForm(
        request.POST or None,
        collective=collective,
        editing=True,
        initial=IndicatorForm.initial_from(indicator),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.indicator_update(actor=request.user, indicator=indicator, **form.service_kwargs())
        except DomainError as error:
            add_problems(form, error)
        else:
            messages.success(request, f"{indicator.name}: changes saved.")
            return redirect(_indicators_url(collective))
    history = list(AuditEntry.objects.for_object(indicator).order_by("-at", "-id")[:30])
    context = {"collective": collective, "form": form, "indicator": indicator, "history": history}
    return _respond(request, "measurement/indicator_form.html", context, form)


@require_http_methods(["GET", "POST"])
def indicator_sets(request: HttpRequest, slug: str) -> HttpResponse:
    """The collective's forms, and a new one."""
    collective = _definer(request, slug)
    form = IndicatorSetForm(request.POST or None, collective=collective)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.indicator_set_create(
                actor=request.user,
                collective=collective,
                code=data["code"],
                name=data["name"],
                description=data["description"],
                frequency=data["frequency"],
                indicators=data["indicators"],
                kinds=list(data["kinds"]),
            )
        except DomainError as error:
            add_problems(form, error, aliases={"unique_together": "code", "__all__": "code"})
        else:
            messages.success(request, f"The form {created.name} is defined.")
            return redirect(reverse("measurement:indicator_sets", args=[collective.slug]))
    sets = (
        IndicatorSet.objects.filter(collective=collective)
        .prefetch_related("kinds", "items__indicator")
        .order_by("name", "id")
    )
    codes = Indicator.objects.filter(collective=collective).order_by("name", "id").values_list("code", "name")
    context = {"collective": collective, "form": form, "sets": sets, "codes": list(codes)}
    return _respond(request, "measurement/indicator_sets.html", context, form)


@require_http_methods(["GET", "POST"])
def targets(request: HttpRequest, slug: str) -> HttpResponse:
    """Targets per indicator x group (its subtree) x period: the latest ones, and a form to set one."""
    collective = _definer(request, slug)
    form = TargetForm(request.POST or None, collective=collective)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        group = (
            Group.objects.visible_to(request.user).filter(collective=collective, code=data["group"]).first()
        )
        if group is None:
            form.add_error("group", "No group of this collective has this code.")
        else:
            try:
                period = services.period_ensure(
                    actor=request.user, collective=collective, code=data["period"]
                )
                target = services.target_set(
                    actor=request.user,
                    indicator=data["indicator"],
                    group=group,
                    period=period,
                    value=data["value"],
                    note=data["note"],
                )
            except DomainError as error:
                add_problems(form, error)
            else:
                messages.success(
                    request,
                    f"Target of {target.indicator.name} for {group.name}, {period.code}: {target.value:g}.",
                )
                return redirect(reverse("measurement:targets", args=[collective.slug]))
    latest = (
        Target.objects.filter(collective=collective)
        .select_related("indicator", "group", "period")
        .order_by("-period__start", "indicator__name", "group__name")[:100]
    )
    context = {"collective": collective, "form": form, "targets": latest}
    return _respond(request, "measurement/targets.html", context, form)


@require_http_methods(["GET", "POST"])
def validation_rules(request: HttpRequest, slug: str) -> HttpResponse:
    """Rules between two indicators (left operator right), and a new one."""
    collective = _definer(request, slug)
    form = ValidationRuleForm(request.POST or None, collective=collective)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rule = services.validation_rule_create(
                actor=request.user,
                collective=collective,
                name=data["name"],
                left=data["left"],
                operator=data["operator"],
                right=data["right"],
            )
        except DomainError as error:
            add_problems(form, error)
        else:
            messages.success(request, f"Rule “{rule.name}” added.")
            return redirect(reverse("measurement:validation_rules", args=[collective.slug]))
    rules = ValidationRule.objects.filter(collective=collective).select_related("left", "right")
    context = {"collective": collective, "form": form, "rules": rules.order_by("name", "id")}
    return _respond(request, "measurement/validation_rules.html", context, form)
