"""DHIS2 interoperability in the API (mounted under /api/v1/): `dataValueSets` in and out, in DHIS2's
JSON, and the collective's code mapping (DHIS2 identifiers → Minga codes).

Handlers are thin: they parse, call `dhis2_exchange`, and return. The import writes through the same
set-based writer as every other way values come in.
"""

from __future__ import annotations

from typing import Any

from ninja import Field, Query, Router, Schema, Status

from minga.architecture.access import access_collective
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
from minga.measurement import dhis2_exchange as dx
from minga.measurement.models_dhis2 import Dhis2Kind, Dhis2Mapping

router = Router(tags=["measurement: DHIS2"])


class ImportCount(Schema):
    imported: int
    updated: int
    ignored: int
    deleted: int


class ConflictOut(Schema):
    object: str = Field(description="The identifier (or value) that caused the conflict.")
    value: str = Field(description="What is wrong, in plain words.")
    property: str
    errorCode: str
    indexes: list[int] = Field(description="Positions in `dataValues`.")


class ImportSummaryOut(Schema):
    responseType: str
    status: str = Field(description="SUCCESS, WARNING (some conflicts) or ERROR (nothing accepted).")
    importOptions: dict[str, Any]
    description: str
    importCount: ImportCount
    conflicts: list[ConflictOut]
    warnings: list[str]


class ImportParams(Schema):
    collective: str = Field(description="The collective's slug.")
    dryRun: bool = False
    importStrategy: str = Field(dx.CREATE_AND_UPDATE, description="CREATE_AND_UPDATE, CREATE or UPDATE.")
    idScheme: str = Field(dx.UID, description="UID or CODE: how dataValues name things.")
    dataElementIdScheme: str | None = None
    orgUnitIdScheme: str | None = None
    categoryOptionComboIdScheme: str | None = None


class ExportParams(Schema):
    collective: str = Field(description="The collective's slug.")
    dataSet: str = Field("", description="A data set (mapped) or indicator set code.")
    dataElement: list[str] = Field(
        default_factory=list, description="Data elements (mapped) or indicator codes."
    )
    indicator: list[str] = Field(default_factory=list, description="Indicator codes (Minga's).")
    period: list[str] = Field(default_factory=list, description="DHIS2 or ISO period codes; none: all.")
    orgUnit: str = Field("", description="An org unit (mapped) or group code; none: all you report for.")
    children: bool = Field(False, description="With orgUnit: its whole subtree.")
    idScheme: str = dx.UID
    dataElementIdScheme: str | None = None
    orgUnitIdScheme: str | None = None
    categoryOptionComboIdScheme: str | None = None


class DataValueOut(Schema):
    dataElement: str
    period: str
    orgUnit: str
    categoryOptionCombo: str
    attributeOptionCombo: str
    value: str
    storedBy: str
    created: str
    lastUpdated: str
    followup: bool
    comment: str | None = None


class DataValueSetOut(Schema):
    dataSet: str | None = None
    period: str | None = None
    orgUnit: str | None = None
    dataValues: list[DataValueOut]


class MappingIn(Schema):
    collective: str
    kind: Dhis2Kind
    code: str = Field(description="The Minga indicator, group, option, indicator set or period code.")
    dhis2_id: str = ""
    dhis2_code: str = ""
    name: str = ""


class MappingPatch(Schema):
    code: str | None = None
    dhis2_id: str | None = None
    dhis2_code: str | None = None
    name: str | None = None


class MappingOut(Schema):
    id: int
    collective: str
    kind: str
    code: str
    dhis2_id: str
    dhis2_code: str
    name: str


class MappingFilters(PageParams):
    collective: str
    kind: str = ""
    q: str = ""


class MappingBatchIn(Schema):
    collective: str
    dry_run: bool = False
    mappings: list[dict[str, Any]] = Field(
        description="Rows {kind, code, dhis2_id, dhis2_code, name}, created or updated by (kind, code)."
    )


class MappingBatchOut(Schema):
    created: int
    updated: int
    unchanged: int
    rejected: int
    problems: list[dict[str, Any]]


class GenerateIn(Schema):
    collective: str
    kinds: list[str] = Field(
        default_factory=list, description="indicator, group, option, dataset; none: all."
    )


def _schemes(params: ImportParams | ExportParams) -> dx.Schemes:
    return dx.Schemes.parse(
        params.idScheme,
        params.dataElementIdScheme,
        params.orgUnitIdScheme,
        params.categoryOptionComboIdScheme,
    )


@router.post(
    "/dhis2/datavaluesets",
    response={200: ImportSummaryOut, **ERROR_RESPONSES},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object", "example": {"dataValues": []}}}},
        }
    },
)
@idempotent
def import_datavaluesets(request: ApiRequest, params: Query[ImportParams]) -> dict[str, Any]:
    """Import a DHIS2 `dataValueSets` JSON body into a collective, through its code mapping. Answers
    DHIS2's import summary: importCount (imported, updated, ignored, deleted) and conflicts. `dryRun`
    writes nothing. Send an `Idempotency-Key`: a retry returns the stored summary."""
    collective = access_collective(request.auth, params.collective)
    payload = dx.parse_payload(request.body or b"")
    summary = dx.dhis2_import(
        actor=request.auth,
        collective=collective,
        payload=payload,
        dry_run=params.dryRun,
        strategy=params.importStrategy,
        schemes=_schemes(params),
    )
    return summary.as_dict()


@router.get("/dhis2/datavaluesets", response={200: DataValueSetOut, **ERROR_RESPONSES})
def export_datavaluesets(request: ApiRequest, params: Query[ExportParams]) -> Any:
    """The values you report for (admins: the collective; coordinators: their subtree; leads: their group)
    as a DHIS2 `dataValueSets` document. Values whose indicator, group or option has no DHIS2 identifier
    are left out; the `X-Minga-Unmapped` header counts them."""
    user = request.auth
    collective = access_collective(user, params.collective)
    schemes = _schemes(params)
    table = dx.MappingTable.load(collective)
    org_unit = None
    if params.orgUnit:
        org_unit = reference(
            "orgUnit", dx.find_group, user, collective, params.orgUnit, table, schemes.org_unit
        )
    elements = [*params.dataElement, *params.indicator]
    indicator_ids = dx.find_indicators(
        collective, table, schemes.data_element, elements=elements, data_set=params.dataSet
    )
    export = dx.dhis2_export(
        viewer=user,
        collective=collective,
        indicator_ids=indicator_ids,
        period_codes=params.period,
        org_unit=org_unit,
        children=params.children,
        schemes=schemes,
        data_set=params.dataSet,
    )
    from django.http import JsonResponse

    response = JsonResponse(export.payload)
    response["X-Minga-Unmapped"] = str(export.unmapped)
    return response


# --- the mapping ----------------------------------------------------------------------------------


def _mapping_out(mapping: Dhis2Mapping) -> dict[str, Any]:
    return {
        "id": mapping.pk,
        "collective": mapping.collective.slug,
        "kind": mapping.kind,
        "code": mapping.code,
        "dhis2_id": mapping.dhis2_id,
        "dhis2_code": mapping.dhis2_code,
        "name": mapping.name,
    }


@router.get("/dhis2/mappings", response={200: Page[MappingOut], **ERROR_RESPONSES})
def list_mappings(request: ApiRequest, filters: Query[MappingFilters]) -> dict[str, Any]:
    """The collective's DHIS2 code mapping (members of the collective)."""
    collective = access_collective(request.auth, filters.collective)
    qs = dx.mappings_for(request.auth, collective, filters.kind, filters.q).select_related("collective")
    page = paginate(qs, filters, keys=("code", "id"))
    page["items"] = [_mapping_out(m) for m in page["items"]]
    return page


@router.post("/dhis2/mappings", response={201: MappingOut, **ERROR_RESPONSES})
@idempotent
def create_mapping(request: ApiRequest, payload: MappingIn) -> Status[dict[str, Any]]:
    """Map a DHIS2 identifier (UID and/or code) to a Minga code (the collective's admins)."""
    collective = reference("collective", access_collective, request.auth, payload.collective)
    mapping = dx.dhis2_mapping_create(
        actor=request.auth,
        collective=collective,
        kind=payload.kind,
        code=payload.code,
        dhis2_id=payload.dhis2_id,
        dhis2_code=payload.dhis2_code,
        name=payload.name,
    )
    return Status(201, _mapping_out(mapping))


@router.post("/dhis2/mappings/batch", response={200: MappingBatchOut, **ERROR_RESPONSES})
@idempotent
def upsert_mappings(request: ApiRequest, payload: MappingBatchIn) -> dict[str, Any]:
    """Create or update many mappings by (kind, Minga code), e.g. a DHIS2 metadata export matched to
    groups (admins). Refused rows come back with their index (`row`) and reasons; the others are written.
    `dry_run` writes nothing."""
    collective = reference("collective", access_collective, request.auth, payload.collective)
    result = dx.dhis2_mappings_upsert(
        actor=request.auth, collective=collective, rows=payload.mappings, dry_run=payload.dry_run
    )
    return result.as_dict()


@router.post("/dhis2/mappings/generate", response={200: dict[str, int], **ERROR_RESPONSES})
@idempotent
def generate_mappings(request: ApiRequest, payload: GenerateIn) -> dict[str, int]:
    """Map every indicator, group, option and indicator set not mapped yet (DHIS2 code = Minga code,
    a stable generated UID). Returns the count created per kind."""
    collective = reference("collective", access_collective, request.auth, payload.collective)
    return dx.dhis2_mappings_generate(actor=request.auth, collective=collective, kinds=payload.kinds or None)


@router.get("/dhis2/mappings/{mapping_id}", response={200: MappingOut, **ERROR_RESPONSES})
def get_mapping(request: ApiRequest, mapping_id: int) -> dict[str, Any]:
    return _mapping_out(dx.access_mapping(request.auth, mapping_id))


@router.patch("/dhis2/mappings/{mapping_id}", response={200: MappingOut, **ERROR_RESPONSES})
@idempotent
def update_mapping(request: ApiRequest, mapping_id: int, payload: MappingPatch) -> dict[str, Any]:
    mapping = dx.access_mapping(request.auth, mapping_id, for_edit=True)
    changes = payload.model_dump(exclude_unset=True)
    if not changes:
        raise DomainError.single("invalid", "Send at least one field to change.")
    return _mapping_out(dx.dhis2_mapping_update(actor=request.auth, mapping=mapping, **changes))


@router.delete("/dhis2/mappings/{mapping_id}", response={204: None, **ERROR_RESPONSES})
@idempotent
def delete_mapping(request: ApiRequest, mapping_id: int) -> Status[None]:
    mapping = dx.access_mapping(request.auth, mapping_id, for_edit=True)
    dx.dhis2_mapping_delete(actor=request.auth, mapping=mapping)
    return Status(204, None)
