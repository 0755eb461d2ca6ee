"""Saved dashboards in the API: `/api/v1/dashboards` (list, create with Idempotency-Key, read, change,
delete). Registered on the measurement router. A dashboard holds settings, not figures: read them with
`/api/v1/analytics` (scoped to the caller) for each of its indicators."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Query, Schema, Status

from minga.architecture.access import access_collective, access_group_set
from minga.architecture.models import Group, GroupSet
from minga.core.api_support import (
    ERROR_RESPONSES,
    ApiRequest,
    Page,
    PageParams,
    idempotent,
    paginate,
    reference,
)
from minga.core.errors import DomainError
from minga.core.models import Collective
from minga.measurement import dashboards
from minga.measurement.api import router
from minga.measurement.models_dashboards import SavedDashboard


class DashboardIn(Schema):
    collective: str
    name: str
    indicators: list[str]
    within: str | None = None  # a group code: its subtree
    set: int | None = None  # or a group set id
    period: str = ""
    charts: list[str] = ["trend", "breakdown"]
    shared: bool = False


class DashboardPatch(Schema):
    name: str | None = None
    indicators: list[str] | None = None
    within: str | None = None
    set: int | None = None
    period: str | None = None
    charts: list[str] | None = None
    shared: bool | None = None


class DashboardOut(Schema):
    id: int
    collective: str
    name: str
    mine: bool
    indicators: list[str]
    within: str | None
    set: int | None
    period: str
    charts: list[str]
    shared: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class DashboardFilters(PageParams):
    collective: str | None = None


def _out(user: Any, d: SavedDashboard) -> dict[str, Any]:
    return {
        "id": d.pk,
        "collective": d.collective.slug,
        "name": d.name,
        "mine": d.owner_id == user.pk,
        "indicators": d.indicators,
        "within": d.within.code if d.within is not None else None,
        "set": d.group_set_id,
        "period": d.period,
        "charts": d.charts,
        "shared": d.shared,
        "created_at": d.created_at,
        "updated_at": d.updated_at,
    }


def _within(user: Any, collective: Collective, code: str | None) -> Group | None:
    if not code:
        return None
    group = Group.objects.visible_to(user).filter(collective=collective, code=code).first()
    if group is None:
        raise DomainError.single(
            "unknown_reference", "No group with this code that you can see.", field="within"
        )
    return group


def _set(user: Any, set_id: int | None) -> GroupSet | None:
    return reference("set", access_group_set, user, set_id) if set_id else None


@router.get("/dashboards", response={200: Page[DashboardOut], **ERROR_RESPONSES}, tags=["dashboards"])
def list_dashboards(request: ApiRequest, filters: Query[DashboardFilters]) -> dict[str, Any]:
    """Your saved dashboards and those shared with your collectives."""
    qs = SavedDashboard.objects.visible_to(request.auth).select_related("collective", "within")
    if filters.collective:
        qs = qs.filter(collective=access_collective(request.auth, filters.collective))
    page = paginate(qs, filters, keys=("id",))
    page["items"] = [_out(request.auth, d) for d in page["items"]]
    return page


@router.post("/dashboards", response={201: DashboardOut, **ERROR_RESPONSES}, tags=["dashboards"])
@idempotent
def create_dashboard(request: ApiRequest, payload: DashboardIn) -> Status[dict[str, Any]]:
    collective = reference("collective", access_collective, request.auth, payload.collective)
    saved = dashboards.dashboard_save(
        actor=request.auth,
        collective=collective,
        name=payload.name,
        indicators=payload.indicators,
        within=_within(request.auth, collective, payload.within),
        group_set=_set(request.auth, payload.set),
        period=payload.period,
        charts=payload.charts,
        shared=payload.shared,
    )
    return Status(201, _out(request.auth, saved))


@router.get(
    "/dashboards/{dashboard_id}", response={200: DashboardOut, **ERROR_RESPONSES}, tags=["dashboards"]
)
def get_dashboard(request: ApiRequest, dashboard_id: int) -> dict[str, Any]:
    return _out(request.auth, dashboards.access_dashboard(request.auth, dashboard_id))


@router.patch(
    "/dashboards/{dashboard_id}", response={200: DashboardOut, **ERROR_RESPONSES}, tags=["dashboards"]
)
@idempotent
def update_dashboard(request: ApiRequest, dashboard_id: int, payload: DashboardPatch) -> dict[str, Any]:
    """Change your dashboard (only the fields sent)."""
    dashboard = dashboards.access_dashboard(request.auth, dashboard_id, for_edit=True)
    sent = payload.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {k: v for k, v in sent.items() if k not in ("within", "set")}
    if "within" in sent:
        changes["within"] = _within(request.auth, dashboard.collective, sent["within"])
    if "set" in sent:
        changes["group_set"] = _set(request.auth, sent["set"])
    saved = dashboards.dashboard_update(actor=request.auth, dashboard=dashboard, **changes)
    return _out(request.auth, saved)


@router.delete("/dashboards/{dashboard_id}", response={204: None, **ERROR_RESPONSES}, tags=["dashboards"])
@idempotent
def delete_dashboard(request: ApiRequest, dashboard_id: int) -> Status[None]:
    dashboard = dashboards.access_dashboard(request.auth, dashboard_id, for_edit=True)
    dashboards.dashboard_delete(actor=request.auth, dashboard=dashboard)
    return Status(204, None)
