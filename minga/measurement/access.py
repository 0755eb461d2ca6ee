"""One access function per object type of shared measurement. Missing and forbidden look the same."""

from __future__ import annotations

from typing import Any

from minga.core.errors import NotFound
from minga.core.models import Collective
from minga.measurement.models import Approval, Indicator, IndicatorSet, ReportingPeriod


def access_indicator(
    user: Any, ref: int | str, *, collective: Collective | None = None, for_edit: bool = False
) -> Indicator:
    """The indicator `user` may see (or, with for_edit, define) by id, or by code within `collective`."""
    qs = Indicator.objects.editable_by(user) if for_edit else Indicator.objects.visible_to(user)
    if collective is not None:
        qs = qs.filter(collective=collective)
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit() and collective is None):
        qs = qs.filter(pk=int(ref))
    else:
        if collective is None:
            raise NotFound("indicator")
        qs = qs.filter(code=ref)
    obj = qs.select_related("collective", "disaggregation").first()
    if obj is None:
        raise NotFound("indicator")
    return obj


def access_period(user: Any, collective: Collective, code: str) -> ReportingPeriod:
    """A stored reporting period of a collective `user` may see, by its ISO code."""
    from minga.measurement import periods

    try:
        code = periods.parse_period(code).code
    except periods.PeriodError:
        raise NotFound("period") from None
    obj = ReportingPeriod.objects.visible_to(user).filter(collective=collective, code=code).first()
    if obj is None:
        raise NotFound("period")
    return obj


def access_indicator_set(user: Any, collective: Collective, ref: int | str) -> IndicatorSet:
    qs = IndicatorSet.objects.visible_to(user).filter(collective=collective)
    qs = qs.filter(pk=ref) if isinstance(ref, int) else qs.filter(code=ref)
    obj = qs.first()
    if obj is None:
        raise NotFound("indicator set")
    return obj


def access_approval(user: Any, approval_id: int) -> Approval:
    obj = (
        Approval.objects.visible_to(user)
        .select_related("collective", "group", "period")
        .filter(pk=approval_id)
        .first()
    )
    if obj is None:
        raise NotFound("approval")
    return obj
