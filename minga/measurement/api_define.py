"""Definitions in the API beside indicators: disaggregations, indicator sets (forms), targets (change,
delete) and validation rules — list, create, change, delete. Registered on the measurement router.
Writes are the backbone admins' (targets: also coordinators for their subtree), through the same
services as the web pages; what a caller may not change reads as missing (404)."""

from __future__ import annotations

from typing import Any

from ninja import Field, Schema, Status

from minga.architecture.access import access_collective
from minga.core.api_support import ERROR_RESPONSES, ApiRequest, idempotent, reference
from minga.core.errors import DomainError, NotFound
from minga.core.models import Collective
from minga.measurement import services
from minga.measurement.access import access_indicator
from minga.measurement.api import _kinds, router
from minga.measurement.models import (
    Disaggregation,
    Frequency,
    Indicator,
    IndicatorSet,
    Target,
    ValidationRule,
)

Operator = ValidationRule.Operator


class CategoryIn(Schema):
    code: str = Field(max_length=40)
    name: str = ""
    options: list[tuple[str, str]] = Field(description='[[code, label], …], e.g. [["f", "Female"]].')


class DisaggregationIn(Schema):
    collective: str
    code: str = Field(max_length=40)
    name: str = Field(max_length=120)
    categories: list[CategoryIn]


class DisaggregationPatch(Schema):
    name: str | None = Field(None, max_length=120)
    categories: list[CategoryIn] | None = Field(None, description="Only while no indicator uses it.")


class OptionOut(Schema):
    code: str
    name: str


class DisaggregationOut(Schema):
    id: int
    code: str
    name: str
    categories: list[dict[str, Any]]
    options: list[OptionOut]
    indicators: list[str]


class IndicatorSetIn(Schema):
    collective: str
    code: str = Field(max_length=60)
    name: str = Field(max_length=200)
    description: str = ""
    frequency: Frequency = Frequency.MONTH
    indicators: list[str] = Field(description="Indicator codes, in the form's order.")
    kinds: list[str] = Field(default_factory=list, description="Codes of the kinds of group that fill it in.")


class IndicatorSetPatch(Schema):
    name: str | None = Field(None, max_length=200)
    description: str | None = None
    frequency: Frequency | None = None
    indicators: list[str] | None = None
    kinds: list[str] | None = None


class IndicatorSetOut(Schema):
    id: int
    code: str
    name: str
    description: str
    frequency: str
    indicators: list[str]
    kinds: list[str]


class TargetPatch(Schema):
    value: float
    note: str = Field("", max_length=300)


class RuleIn(Schema):
    collective: str
    name: str = Field(max_length=200)
    left: str = Field(description="Indicator code.")
    operator: Operator = Operator.LE
    right: str = Field(description="Indicator code.")


class RulePatch(Schema):
    name: str | None = Field(None, max_length=200)
    left: str | None = None
    operator: Operator | None = None
    right: str | None = None


class RuleOut(Schema):
    id: int
    name: str
    left: str
    operator: str
    right: str


def _editable(user: Any, model: Any, pk: int) -> Any:
    """A definition `user` may change (a backbone admin of its collective), else NotFound."""
    found = model.objects.editable_by(user).filter(pk=pk).select_related("collective").first()
    if found is None:
        raise NotFound(model._meta.verbose_name)
    return found


def _categories(categories: list[CategoryIn]) -> list[dict[str, Any]]:
    return [
        {"code": c.code, "name": c.name or c.code, "options": [list(o) for o in c.options]}
        for c in categories
    ]


def _indicators(collective: Collective, codes: list[str]) -> list[Indicator]:
    found = {i.code: i for i in Indicator.objects.filter(collective=collective, code__in=codes)}
    missing = [c for c in codes if c not in found]
    if missing:
        raise DomainError.single(
            "unknown_indicator", f"No indicator {', '.join(missing)}.", field="indicators"
        )
    if len(set(codes)) != len(codes):
        raise DomainError.single("duplicate", "An indicator is listed twice.", field="indicators")
    return [found[c] for c in codes]


# --- disaggregations ------------------------------------------------------------------------------


def _disaggregation_out(dis: Disaggregation) -> dict[str, Any]:
    return {
        "id": dis.pk,
        "code": dis.code,
        "name": dis.name,
        "categories": dis.categories,
        "options": [{"code": o.code, "name": o.name} for o in dis.options.all()],
        "indicators": [i.code for i in dis.indicators.all()],
    }


@router.get(
    "/disaggregations", response={200: list[DisaggregationOut], **ERROR_RESPONSES}, tags=["indicators"]
)
def list_disaggregations(request: ApiRequest, collective: str) -> list[dict[str, Any]]:
    """The category combinations of a collective, with their options and the indicators using them."""
    found = access_collective(request.auth, collective)
    qs = Disaggregation.objects.visible_to(request.auth).filter(collective=found).order_by("code")
    return [_disaggregation_out(d) for d in qs.prefetch_related("options", "indicators")]


@router.post("/disaggregations", response={201: DisaggregationOut, **ERROR_RESPONSES}, tags=["indicators"])
@idempotent
def create_disaggregation(request: ApiRequest, payload: DisaggregationIn) -> Status[dict[str, Any]]:
    """Define a category combination; its options are every combination (`f.15-24`)."""
    collective = reference("collective", access_collective, request.auth, payload.collective)
    dis = services.disaggregation_create(
        actor=request.auth,
        collective=collective,
        code=payload.code,
        name=payload.name,
        categories=_categories(payload.categories),
    )
    return Status(201, _disaggregation_out(dis))


@router.patch(
    "/disaggregations/{disaggregation_id}",
    response={200: DisaggregationOut, **ERROR_RESPONSES},
    tags=["indicators"],
)
@idempotent
def update_disaggregation(
    request: ApiRequest, disaggregation_id: int, payload: DisaggregationPatch
) -> dict[str, Any]:
    dis = _editable(request.auth, Disaggregation, disaggregation_id)
    dis = services.disaggregation_update(
        actor=request.auth,
        disaggregation=dis,
        name=payload.name if payload.name is not None else dis.name,
        categories=_categories(payload.categories) if payload.categories is not None else None,
    )
    return _disaggregation_out(dis)


@router.delete(
    "/disaggregations/{disaggregation_id}", response={204: None, **ERROR_RESPONSES}, tags=["indicators"]
)
@idempotent
def delete_disaggregation(request: ApiRequest, disaggregation_id: int) -> Status[None]:
    """Delete a disaggregation no indicator uses (else 422 `in_use`)."""
    services.disaggregation_delete(
        actor=request.auth, disaggregation=_editable(request.auth, Disaggregation, disaggregation_id)
    )
    return Status(204, None)


# --- indicator sets -------------------------------------------------------------------------------


def _set_out(form: IndicatorSet) -> dict[str, Any]:
    return {
        "id": form.pk,
        "code": form.code,
        "name": form.name,
        "description": form.description,
        "frequency": form.frequency,
        "indicators": [item.indicator.code for item in form.items.all()],
        "kinds": [k.code for k in form.kinds.all()],
    }


@router.get("/indicator-sets", response={200: list[IndicatorSetOut], **ERROR_RESPONSES}, tags=["indicators"])
def list_indicator_sets(request: ApiRequest, collective: str) -> list[dict[str, Any]]:
    """The forms of a collective, with their indicators in order."""
    found = access_collective(request.auth, collective)
    qs = IndicatorSet.objects.visible_to(request.auth).filter(collective=found).order_by("code")
    return [_set_out(s) for s in qs.prefetch_related("items__indicator", "kinds")]


@router.post("/indicator-sets", response={201: IndicatorSetOut, **ERROR_RESPONSES}, tags=["indicators"])
@idempotent
def create_indicator_set(request: ApiRequest, payload: IndicatorSetIn) -> Status[dict[str, Any]]:
    collective = reference("collective", access_collective, request.auth, payload.collective)
    form = services.indicator_set_create(
        actor=request.auth,
        collective=collective,
        code=payload.code,
        name=payload.name,
        description=payload.description,
        frequency=payload.frequency,
        indicators=_indicators(collective, payload.indicators),
        kinds=_kinds(collective, payload.kinds),
    )
    return Status(201, _set_out(form))


@router.patch(
    "/indicator-sets/{set_id}", response={200: IndicatorSetOut, **ERROR_RESPONSES}, tags=["indicators"]
)
@idempotent
def update_indicator_set(request: ApiRequest, set_id: int, payload: IndicatorSetPatch) -> dict[str, Any]:
    """Change a form; fields left out stay as they are. Its code stays."""
    form = _editable(request.auth, IndicatorSet, set_id)
    collective = form.collective
    indicators = (
        _indicators(collective, payload.indicators)
        if payload.indicators is not None
        else [item.indicator for item in form.items.select_related("indicator")]
    )
    kinds = _kinds(collective, payload.kinds) if payload.kinds is not None else list(form.kinds.all())
    form = services.indicator_set_update(
        actor=request.auth,
        indicator_set=form,
        name=payload.name if payload.name is not None else form.name,
        description=payload.description if payload.description is not None else form.description,
        frequency=payload.frequency or form.frequency,
        indicators=indicators,
        kinds=kinds,
    )
    return _set_out(form)


@router.delete("/indicator-sets/{set_id}", response={204: None, **ERROR_RESPONSES}, tags=["indicators"])
@idempotent
def delete_indicator_set(request: ApiRequest, set_id: int) -> Status[None]:
    """Delete a form; its indicators and their values stay."""
    services.indicator_set_delete(
        actor=request.auth, indicator_set=_editable(request.auth, IndicatorSet, set_id)
    )
    return Status(204, None)


# --- targets --------------------------------------------------------------------------------------


def _target(user: Any, target_id: int) -> Target:
    found = (
        Target.objects.visible_to(user)
        .filter(pk=target_id)
        .select_related("indicator__collective", "group", "period")
        .first()
    )
    if found is None:
        raise NotFound("target")
    return found


@router.patch("/targets/{target_id}", response={200: dict[str, Any], **ERROR_RESPONSES}, tags=["targets"])
@idempotent
def update_target(request: ApiRequest, target_id: int, payload: TargetPatch) -> dict[str, Any]:
    """Change a target's value and note (admins; coordinators for their subtree)."""
    target = services.target_update(
        actor=request.auth, target=_target(request.auth, target_id), value=payload.value, note=payload.note
    )
    return {
        "id": target.pk,
        "indicator": target.indicator.code,
        "group": target.group_id,
        "period": target.period.code,
        "value": target.value,
        "note": target.note,
    }


@router.delete("/targets/{target_id}", response={204: None, **ERROR_RESPONSES}, tags=["targets"])
@idempotent
def delete_target(request: ApiRequest, target_id: int) -> Status[None]:
    services.target_delete(actor=request.auth, target=_target(request.auth, target_id))
    return Status(204, None)


# --- validation rules -----------------------------------------------------------------------------


def _rule_out(rule: ValidationRule) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "name": rule.name,
        "left": rule.left.code,
        "operator": rule.operator,
        "right": rule.right.code,
    }


def _rule_side(user: Any, collective: Collective, field: str, code: str) -> Indicator:
    return reference(field, access_indicator, user, code, collective=collective)


@router.get("/validation-rules", response={200: list[RuleOut], **ERROR_RESPONSES}, tags=["indicators"])
def list_validation_rules(request: ApiRequest, collective: str) -> list[dict[str, Any]]:
    found = access_collective(request.auth, collective)
    qs = (
        ValidationRule.objects.visible_to(request.auth)
        .filter(collective=found)
        .select_related("left", "right")
    )
    return [_rule_out(r) for r in qs.order_by("name", "id")]


@router.post("/validation-rules", response={201: RuleOut, **ERROR_RESPONSES}, tags=["indicators"])
@idempotent
def create_validation_rule(request: ApiRequest, payload: RuleIn) -> Status[dict[str, Any]]:
    """A rule "left operator right" between two indicators of the same group and period."""
    user = request.auth
    collective = reference("collective", access_collective, user, payload.collective)
    rule = services.validation_rule_create(
        actor=user,
        collective=collective,
        name=payload.name,
        left=_rule_side(user, collective, "left", payload.left),
        operator=payload.operator,
        right=_rule_side(user, collective, "right", payload.right),
    )
    return Status(201, _rule_out(rule))


@router.patch("/validation-rules/{rule_id}", response={200: RuleOut, **ERROR_RESPONSES}, tags=["indicators"])
@idempotent
def update_validation_rule(request: ApiRequest, rule_id: int, payload: RulePatch) -> dict[str, Any]:
    user = request.auth
    rule = _editable(user, ValidationRule, rule_id)
    collective = rule.collective
    rule = services.validation_rule_update(
        actor=user,
        rule=rule,
        name=payload.name if payload.name is not None else rule.name,
        left=_rule_side(user, collective, "left", payload.left) if payload.left else rule.left,
        operator=payload.operator or rule.operator,
        right=_rule_side(user, collective, "right", payload.right) if payload.right else rule.right,
    )
    return _rule_out(rule)


@router.delete("/validation-rules/{rule_id}", response={204: None, **ERROR_RESPONSES}, tags=["indicators"])
@idempotent
def delete_validation_rule(request: ApiRequest, rule_id: int) -> Status[None]:
    services.validation_rule_delete(actor=request.auth, rule=_editable(request.auth, ValidationRule, rule_id))
    return Status(204, None)
