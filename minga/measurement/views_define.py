"""Pages where the backbone defines what is measured: indicators (create, edit with their history),
disaggregations, indicator sets (forms), targets and validation rules — each listed, created, edited
and deleted where that is safe (the services say when it is not). Only the collective's backbone admins
(`services.may_define`) see them; for everybody else they are missing (404).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from minga.architecture.access import access_collective
from minga.architecture.models import Group
from minga.core.errors import DomainError, NotFound
from minga.core.forms import add_problems
from minga.core.models import AuditEntry, Collective
from minga.measurement import services
from minga.measurement.access import access_indicator
from minga.measurement.forms import (
    DisaggregationForm,
    IndicatorForm,
    IndicatorSetForm,
    TargetEditForm,
    TargetForm,
    ValidationRuleForm,
)
from minga.measurement.models import Disaggregation, Indicator, IndicatorSet, Target, ValidationRule


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
        try:
            created = services.indicator_set_create(
                actor=request.user,
                collective=collective,
                code=form.cleaned_data["code"],
                **form.service_kwargs(),
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


# --- edit and delete -------------------------------------------------------------------------------


def _defined(request: HttpRequest, slug: str, model: Any, pk: int) -> tuple[Collective, Any]:
    """The collective and its definition `model` #`pk`, for a backbone admin; else 404."""
    collective = _definer(request, slug)
    found = model.objects.editable_by(request.user).filter(collective=collective, pk=pk).first()
    if found is None:
        raise NotFound(model._meta.verbose_name)
    return collective, found


def _edit_page(
    request: HttpRequest,
    collective: Collective,
    form: Any,
    *,
    title: str,
    back: str,
    delete_url: str,
    note: str = "",
    template: str = "measurement/define_edit.html",
) -> HttpResponse:
    context = {
        "collective": collective,
        "form": form,
        "title": title,
        "back": back,
        "delete_url": delete_url,
        "note": note,
    }
    return _respond(request, template, context, form)


def _deleted(request: HttpRequest, delete: Any, back: str, done: str) -> HttpResponse:
    """Run a delete service; its refusal (e.g. still in use) comes back as a message."""
    try:
        delete()
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return redirect(back)


@require_http_methods(["GET", "POST"])
def disaggregations(request: HttpRequest, slug: str) -> HttpResponse:
    """The collective's category combinations with their options, and a new one."""
    collective = _definer(request, slug)
    form = DisaggregationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.disaggregation_create(
                actor=request.user,
                collective=collective,
                code=data["code"],
                name=data["name"],
                categories=data["categories"],
            )
        except DomainError as error:
            add_problems(form, error, aliases={"__all__": "code"})
        else:
            messages.success(request, f"{created.name} is defined with {created.options.count()} options.")
            return redirect(reverse("measurement:disaggregations", args=[collective.slug]))
    listed = (
        Disaggregation.objects.filter(collective=collective)
        .prefetch_related("options", "indicators")
        .order_by("name", "id")
    )
    context = {"collective": collective, "form": form, "disaggregations": listed}
    return _respond(request, "measurement/define_disaggregations.html", context, form)


@require_http_methods(["GET", "POST"])
def disaggregation_edit(request: HttpRequest, slug: str, disaggregation_id: int) -> HttpResponse:
    collective, disaggregation = _defined(request, slug, Disaggregation, disaggregation_id)
    initial = {
        "name": disaggregation.name,
        "categories": DisaggregationForm.categories_text(disaggregation.categories),
    }
    form = DisaggregationForm(request.POST or None, editing=True, initial=initial)
    back = reverse("measurement:disaggregations", args=[collective.slug])
    if request.method == "POST" and form.is_valid():
        try:
            services.disaggregation_update(
                actor=request.user,
                disaggregation=disaggregation,
                name=form.cleaned_data["name"],
                categories=form.cleaned_data["categories"],
            )
        except DomainError as error:
            add_problems(form, error)
        else:
            messages.success(request, f"{disaggregation.name}: changes saved.")
            return redirect(back)
    return _edit_page(
        request,
        collective,
        form,
        title=f"Edit {disaggregation.name}",
        back=back,
        delete_url=reverse("measurement:disaggregation_delete", args=[collective.slug, disaggregation.pk]),
        note=f"Code {disaggregation.code}. Its categories can change only while no indicator is broken "
        "down by it: stored values name their option.",
    )


@require_POST
def disaggregation_delete(request: HttpRequest, slug: str, disaggregation_id: int) -> HttpResponse:
    collective, disaggregation = _defined(request, slug, Disaggregation, disaggregation_id)
    return _deleted(
        request,
        lambda: services.disaggregation_delete(actor=request.user, disaggregation=disaggregation),
        reverse("measurement:disaggregations", args=[collective.slug]),
        f"{disaggregation.name} is deleted.",
    )


@require_http_methods(["GET", "POST"])
def indicator_set_edit(request: HttpRequest, slug: str, set_id: int) -> HttpResponse:
    collective, indicator_set = _defined(request, slug, IndicatorSet, set_id)
    form = IndicatorSetForm(
        request.POST or None,
        collective=collective,
        editing=True,
        initial=IndicatorSetForm.initial_from(indicator_set),
    )
    back = reverse("measurement:indicator_sets", args=[collective.slug])
    if request.method == "POST" and form.is_valid():
        try:
            services.indicator_set_update(
                actor=request.user, indicator_set=indicator_set, **form.service_kwargs()
            )
        except DomainError as error:
            add_problems(form, error)
        else:
            messages.success(request, f"{indicator_set.name}: changes saved.")
            return redirect(back)
    return _edit_page(
        request,
        collective,
        form,
        title=f"Edit {indicator_set.name}",
        back=back,
        delete_url=reverse("measurement:indicator_set_delete", args=[collective.slug, indicator_set.pk]),
        note=f"Code {indicator_set.code}. Values are stored per indicator: changing or deleting the form "
        "loses none.",
    )


@require_POST
def indicator_set_delete(request: HttpRequest, slug: str, set_id: int) -> HttpResponse:
    collective, indicator_set = _defined(request, slug, IndicatorSet, set_id)
    return _deleted(
        request,
        lambda: services.indicator_set_delete(actor=request.user, indicator_set=indicator_set),
        reverse("measurement:indicator_sets", args=[collective.slug]),
        f"The form {indicator_set.name} is deleted.",
    )


def _target(request: HttpRequest, slug: str, target_id: int) -> tuple[Collective, Target]:
    collective = _definer(request, slug)
    target = (
        Target.objects.visible_to(request.user)
        .filter(collective=collective, pk=target_id)
        .select_related("indicator__collective", "group", "period")
        .first()
    )
    if target is None:
        raise NotFound("target")
    return collective, target


@require_http_methods(["GET", "POST"])
def target_edit(request: HttpRequest, slug: str, target_id: int) -> HttpResponse:
    collective, target = _target(request, slug, target_id)
    form = TargetEditForm(request.POST or None, initial={"value": target.value, "note": target.note})
    back = reverse("measurement:targets", args=[collective.slug])
    if request.method == "POST" and form.is_valid():
        try:
            services.target_update(
                actor=request.user,
                target=target,
                value=form.cleaned_data["value"],
                note=form.cleaned_data["note"],
            )
        except DomainError as error:
            add_problems(form, error)
        else:
            messages.success(request, "Target saved.")
            return redirect(back)
    return _edit_page(
        request,
        collective,
        form,
        title=f"Target of {target.indicator.name}",
        back=back,
        delete_url=reverse("measurement:target_delete", args=[collective.slug, target.pk]),
        note=f"For {target.group.name} ({target.group.code}) in {target.period.code}.",
    )


@require_POST
def target_delete(request: HttpRequest, slug: str, target_id: int) -> HttpResponse:
    collective, target = _target(request, slug, target_id)
    return _deleted(
        request,
        lambda: services.target_delete(actor=request.user, target=target),
        reverse("measurement:targets", args=[collective.slug]),
        "Target removed.",
    )


@require_http_methods(["GET", "POST"])
def validation_rule_edit(request: HttpRequest, slug: str, rule_id: int) -> HttpResponse:
    collective, rule = _defined(request, slug, ValidationRule, rule_id)
    initial = {"name": rule.name, "left": rule.left_id, "operator": rule.operator, "right": rule.right_id}
    form = ValidationRuleForm(request.POST or None, collective=collective, initial=initial)
    back = reverse("measurement:validation_rules", args=[collective.slug])
    if request.method == "POST" and form.is_valid():
        try:
            services.validation_rule_update(actor=request.user, rule=rule, **form.cleaned_data)
        except DomainError as error:
            add_problems(form, error)
        else:
            messages.success(request, f"Rule “{rule.name}” saved.")
            return redirect(back)
    return _edit_page(
        request,
        collective,
        form,
        title=f"Edit the rule “{rule.name}”",
        back=back,
        delete_url=reverse("measurement:validation_rule_delete", args=[collective.slug, rule.pk]),
    )


@require_POST
def validation_rule_delete(request: HttpRequest, slug: str, rule_id: int) -> HttpResponse:
    collective, rule = _defined(request, slug, ValidationRule, rule_id)
    return _deleted(
        request,
        lambda: services.validation_rule_delete(actor=request.user, rule=rule),
        reverse("measurement:validation_rules", args=[collective.slug]),
        f"Rule “{rule.name}” deleted.",
    )
