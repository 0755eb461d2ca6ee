"""The measurement API: data values (batch upsert with Idempotency-Key and dry run, list), indicators,
periods, analytics (rollups), completeness and approvals.

Handlers are thin: parse, call one access function / service / selector, return. Reads go through
`visible_to`, writes through the same services as the web grid and the file imports.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from ninja import Query, Router, Status

from minga.architecture.access import access_collective, access_group, access_group_set
from minga.architecture.models import GroupKind
from minga.core.api_support import ERROR_RESPONSES, ApiRequest, Page, idempotent, paginate, reference
from minga.core.errors import DomainError, NotFound
from minga.core.models import Collective
from minga.measurement import periods, selectors, services
from minga.measurement.access import access_approval, access_indicator, access_period
from minga.measurement.ingest import Outcome, values_from
from minga.measurement.models import DataValue, Disaggregation, Indicator, ReportingPeriod
from minga.measurement.schemas import (
    AnalyticsFilters,
    AnalyticsOut,
    ApprovalIn,
    ApprovalOut,
    CompletenessOut,
    DataValueFilters,
    DataValueOut,
    DataValuesIn,
    DataValuesOut,
    IndicatorFilters,
    IndicatorIn,
    IndicatorOut,
    IndicatorPatch,
    PeriodFilters,
    PeriodIn,
    PeriodOut,
    TargetIn,
    TargetOut,
    UnlockIn,
    ViolationOut,
)

router = Router(tags=["measurement"])


def _outcome(outcome: Outcome, *, dry_run: bool) -> dict[str, Any]:
    return {
        "dry_run": dry_run,
        "created": outcome.created,
        "updated": outcome.updated,
        "unchanged": outcome.unchanged,
        "deleted": outcome.deleted,
        "rejected": len(outcome.rejected),
        "rejections": [
            {"index": index, "code": p.code, "message": p.message, "field": p.field}
            for index, problems in outcome.rejected
            for p in problems
        ],
        "warnings": [{"code": w.code, "message": w.message} for w in outcome.warnings],
    }


# --- data values ----------------------------------------------------------------------------------


@router.post("/datavalues", response={200: DataValuesOut, **ERROR_RESPONSES}, tags=["data values"])
@idempotent
def post_datavalues(request: ApiRequest, payload: DataValuesIn) -> dict[str, Any]:
    """Upsert up to 10,000 values by (indicator, group, period, option). Valid values are written even
    when others are refused; each refusal says which value (`index`) and why. `dry_run` writes nothing.
    Send an `Idempotency-Key`: a retry returns the stored answer."""
    collective = reference("collective", access_collective, request.auth, payload.collective)
    outcome = services.datavalues_upsert(
        actor=request.auth,
        collective=collective,
        values=values_from(item.model_dump() for item in payload.values),
        source=DataValue.Source.API,
        dry_run=payload.dry_run,
    )
    return _outcome(outcome, dry_run=payload.dry_run)


@router.get("/datavalues", response={200: Page[DataValueOut], **ERROR_RESPONSES}, tags=["data values"])
def list_datavalues(request: ApiRequest, filters: Query[DataValueFilters]) -> dict[str, Any]:
    """Values you may see in a collective, in the order they were first stored."""
    user = request.auth
    collective = access_collective(user, filters.collective)
    qs = DataValue.objects.visible_to(user).filter(collective=collective)
    if filters.indicator:
        qs = qs.filter(indicator=access_indicator(user, filters.indicator, collective=collective))
    if filters.within is not None:
        qs = qs.within(access_group(user, filters.within, collective=collective))
    if filters.period:
        qs = qs.filter(period=access_period(user, collective, filters.period))
    page = paginate(
        qs.select_related("indicator", "group", "period").only(
            "id",
            "option",
            "value",
            "text",
            "comment",
            "source",
            "updated_at",
            "indicator__code",
            "group__code",
            "period__code",
        ),
        filters,
    )
    options = selectors.option_codes_by_id({v.option for v in page["items"]})
    page["items"] = [
        {
            "id": v.pk,
            "indicator": v.indicator.code,
            "group": v.group.code,
            "period": v.period.code,
            "option": options.get(v.option, ""),
            "value": v.value,
            "text": v.text,
            "comment": v.comment,
            "source": v.source,
            "updated_at": v.updated_at,
        }
        for v in page["items"]
    ]
    return page


# --- indicators -----------------------------------------------------------------------------------


def _indicator_out(indicator: Indicator) -> dict[str, Any]:
    dis = indicator.disaggregation
    return {
        **{f: getattr(indicator, f) for f in IndicatorOut.model_fields if hasattr(indicator, f)},
        "collective": indicator.collective.slug,
        "disaggregation": dis.code if dis else None,
        "options": [o.code for o in dis.options.all()] if dis else [],
        "kinds": [k.code for k in indicator.kinds.all()],
    }


def _kinds(collective: Collective, codes: list[str]) -> list[GroupKind]:
    found = {k.code: k for k in GroupKind.objects.filter(collective=collective, code__in=codes)}
    missing = [c for c in codes if c not in found]
    if missing:
        raise DomainError.single("unknown_kind", f"No kind of group {', '.join(missing)}.", field="kinds")
    return [found[c] for c in codes]


@router.get("/indicators", response={200: Page[IndicatorOut], **ERROR_RESPONSES}, tags=["indicators"])
def list_indicators(request: ApiRequest, filters: Query[IndicatorFilters]) -> dict[str, Any]:
    qs = Indicator.objects.visible_to(request.auth).select_related("collective", "disaggregation")
    if filters.collective:
        qs = qs.filter(collective=access_collective(request.auth, filters.collective))
    page = paginate(qs.prefetch_related("kinds", "disaggregation__options"), filters, keys=("code", "id"))
    page["items"] = [_indicator_out(i) for i in page["items"]]
    return page


@router.get(
    "/indicators/{indicator_id}", response={200: IndicatorOut, **ERROR_RESPONSES}, tags=["indicators"]
)
def get_indicator(request: ApiRequest, indicator_id: int) -> dict[str, Any]:
    return _indicator_out(access_indicator(request.auth, indicator_id))


@router.post("/indicators", response={201: IndicatorOut, **ERROR_RESPONSES}, tags=["indicators"])
@idempotent
def create_indicator(request: ApiRequest, payload: IndicatorIn) -> Status[dict[str, Any]]:
    """Define an indicator (the collective's backbone admins)."""
    collective = reference("collective", access_collective, request.auth, payload.collective)
    fields = payload.model_dump(exclude={"collective", "code", "name", "kinds", "disaggregation"})
    disaggregation = None
    if payload.disaggregation:
        disaggregation = Disaggregation.objects.filter(
            collective=collective, code=payload.disaggregation
        ).first()
        if disaggregation is None:
            raise DomainError.single("unknown_reference", "No such disaggregation.", field="disaggregation")
    indicator = services.indicator_create(
        actor=request.auth,
        collective=collective,
        code=payload.code,
        name=payload.name,
        kinds=_kinds(collective, payload.kinds),
        disaggregation=disaggregation,
        **fields,
    )
    return Status(201, _indicator_out(indicator))


@router.patch(
    "/indicators/{indicator_id}", response={200: IndicatorOut, **ERROR_RESPONSES}, tags=["indicators"]
)
@idempotent
def update_indicator(request: ApiRequest, indicator_id: int, payload: IndicatorPatch) -> dict[str, Any]:
    indicator = access_indicator(request.auth, indicator_id, for_edit=True)
    changes = payload.model_dump(exclude_unset=True, exclude={"kinds"})
    kinds = _kinds(indicator.collective, payload.kinds) if payload.kinds is not None else None
    indicator = services.indicator_update(actor=request.auth, indicator=indicator, kinds=kinds, **changes)
    return _indicator_out(indicator)


# --- periods --------------------------------------------------------------------------------------


@router.get("/periods", response={200: Page[PeriodOut], **ERROR_RESPONSES}, tags=["periods"])
def list_periods(request: ApiRequest, filters: Query[PeriodFilters]) -> dict[str, Any]:
    collective = access_collective(request.auth, filters.collective)
    qs = ReportingPeriod.objects.visible_to(request.auth).filter(collective=collective)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    return paginate(qs, filters, keys=("start", "id"))


@router.post("/periods", response={200: PeriodOut, **ERROR_RESPONSES}, tags=["periods"])
@idempotent
def put_period(request: ApiRequest, payload: PeriodIn) -> ReportingPeriod:
    """The period with this ISO code, created if new; admins set when reports are due and close."""
    collective = reference("collective", access_collective, request.auth, payload.collective)
    if not services.may_define(request.auth, collective):
        raise NotFound("collective")
    return services.period_ensure(
        actor=request.auth,
        collective=collective,
        code=payload.code,
        due_on=payload.due_on,
        closes_on=payload.closes_on,
    )


# --- analytics ------------------------------------------------------------------------------------


@router.get("/analytics", response={200: AnalyticsOut, **ERROR_RESPONSES}, tags=["analytics"])
def analytics(request: ApiRequest, filters: Query[AnalyticsFilters]) -> dict[str, Any]:
    """An indicator rolled up over a subtree (`within`), a group set (`set`) or the whole collective,
    over periods, by its aggregation rule, `by` period, child unit, group or disaggregation option; from
    the values you may see (visitors: approved values of published indicators)."""
    user = request.auth
    collective = access_collective(user, filters.collective)
    indicator = access_indicator(user, filters.indicator, collective=collective)
    area = selectors.Area(collective)
    if filters.within is not None:
        area = selectors.Area(
            collective, group=reference("within", access_group, user, filters.within, collective=collective)
        )
    elif filters.set is not None:
        group_set = reference("set", access_group_set, user, filters.set)
        if group_set.collective_id != collective.pk:
            raise DomainError.single(
                "unknown_reference", "No group set with this id that you can see.", field="set"
            )
        area = selectors.Area(collective, group_set=group_set)
    if filters.by not in selectors.BY_CHOICES:
        raise DomainError.single(
            "invalid", f"Use one of: {', '.join(b for b in selectors.BY_CHOICES if b)}.", field="by"
        )
    try:
        period_list = selectors.periods_from(
            collective, indicator.frequency, filters.period, today=timezone.localdate()
        )
    except periods.PeriodError as error:
        raise DomainError.single("invalid_period", str(error), field="period") from None
    result = selectors.rollup(
        viewer=user, indicator=indicator, area=area, period_list=period_list, by=filters.by
    )
    targets = selectors.targets_for(viewer=user, indicator=indicator, area=area, period_list=period_list)
    codes = {p.pk: p.code for p in period_list}
    return {
        "indicator": indicator.code,
        "aggregation": indicator.aggregation,
        "area": area.label,
        "periods": [p.code for p in result.periods],
        "by": filters.by,
        "total": result.total,
        "cells": result.as_rows(),
        "targets": {codes[pk]: value for pk, value in targets.items()},
    }


@router.get("/completeness", response={200: CompletenessOut, **ERROR_RESPONSES}, tags=["analytics"])
def get_completeness(
    request: ApiRequest, collective: str, period: str, within: int | None = None
) -> dict[str, Any]:
    """Which action-layer groups reported for a period (on time, late) and which are missing."""
    user = request.auth
    found = access_collective(user, collective)
    area = selectors.Area(found)
    if within is not None:
        area = selectors.Area(found, group=access_group(user, within, collective=found))
    result = selectors.completeness(viewer=user, area=area, period=access_period(user, found, period))
    return {
        "period": result.period.code,
        "expected": result.expected,
        "on_time": result.on_time,
        "late": result.late,
        "missing": result.missing,
        "rate": result.rate,
        "missing_groups": [g.code for g in result.missing_groups],
    }


# --- approvals ------------------------------------------------------------------------------------


def _approval_out(approval: Any) -> dict[str, Any]:
    return {
        "id": approval.pk,
        "group": approval.group_id,
        "period": approval.period.code,
        "approved_at": approval.approved_at,
        "revoked_at": approval.revoked_at,
        "revoke_reason": approval.revoke_reason,
    }


@router.post("/approvals", response={201: ApprovalOut, **ERROR_RESPONSES}, tags=["approvals"])
@idempotent
def approve(request: ApiRequest, payload: ApprovalIn) -> Status[dict[str, Any]]:
    """Approve a subtree's data for a period (its coordinators, or admins): it locks for lower levels."""
    user = request.auth
    collective = reference("collective", access_collective, user, payload.collective)
    group = access_group(user, payload.group, collective=collective)
    period = reference("period", access_period, user, collective, payload.period)
    return Status(201, _approval_out(services.approval_approve(actor=user, group=group, period=period)))


@router.post(
    "/approvals/{approval_id}/unlock", response={200: ApprovalOut, **ERROR_RESPONSES}, tags=["approvals"]
)
@idempotent
def unlock(request: ApiRequest, approval_id: int, payload: UnlockIn) -> dict[str, Any]:
    """Lift an approval, with a reason (backbone admins)."""
    approval = access_approval(request.auth, approval_id)
    return _approval_out(
        services.approval_unlock(actor=request.auth, approval=approval, reason=payload.reason)
    )


# --- targets and validation -----------------------------------------------------------------------


@router.post("/targets", response={200: TargetOut, **ERROR_RESPONSES}, tags=["targets"])
@idempotent
def set_target(request: ApiRequest, payload: TargetIn) -> dict[str, Any]:
    """Set the target of an indicator for a group's subtree in a period (admins; coordinators for their
    subtree). Setting it again replaces it."""
    user = request.auth
    collective = reference("collective", access_collective, user, payload.collective)
    indicator = reference("indicator", access_indicator, user, payload.indicator, collective=collective)
    group = reference("group", access_group, user, payload.group, collective=collective)
    period = services.period_ensure(actor=user, collective=collective, code=payload.period)
    target = services.target_set(
        actor=user, indicator=indicator, group=group, period=period, value=payload.value, note=payload.note
    )
    return {
        "id": target.pk,
        "indicator": indicator.code,
        "group": group.pk,
        "period": period.code,
        "value": target.value,
        "note": target.note,
    }


@router.get("/validation", response={200: list[ViolationOut], **ERROR_RESPONSES}, tags=["analytics"])
def validation(
    request: ApiRequest, collective: str, period: str, within: int | None = None
) -> list[dict[str, Any]]:
    """The validation rules broken in a period, among the values you may see."""
    user = request.auth
    found = access_collective(user, collective)
    area = selectors.Area(found)
    if within is not None:
        area = selectors.Area(found, group=access_group(user, within, collective=found))
    stored = access_period(user, found, period)
    return [
        {
            "rule": v.rule.name,
            "group": v.group_id,
            "period": stored.code,
            "left": v.left,
            "right": v.right,
            "message": v.message,
        }
        for v in selectors.validation_report(viewer=user, area=area, period=stored)
    ]


# Saved dashboards and the definitions beside indicators (disaggregations, sets, targets, rules)
# register their endpoints on this router.
from minga.measurement import api_dashboards, api_define  # noqa: E402, F401
