"""The import and export API: record types and their templates, import jobs, streamed exports.

Imports are jobs (`minga.core.bulk.jobs`): `POST /imports` uploads a file, maps its columns, and runs a
dry run or the import itself, in the request for a small file (201) or in the background for a larger
one (202, then follow `links.self`). Exports stream what the caller may see, with the list's filters.
Record types come from the registry, so this module imports no domain app.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from typing import Any, Literal

from django.http import FileResponse, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.urls import reverse
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile

from minga.core.api_support import ERROR_RESPONSES, ApiRequest, Page, PageParams, idempotent, paginate
from minga.core.bulk import RecordType, get_record_type, record_types
from minga.core.bulk.export import Export
from minga.core.bulk.formats import CONTENT_TYPES, EXTENSIONS, BulkFileError
from minga.core.bulk.jobs import (
    access_import_job,
    import_job_start,
    import_job_submit,
    import_progress,
    record_type_for,
)
from minga.core.bulk.template_files import template_csv, template_xlsx
from minga.core.errors import DomainError, NotFound
from minga.core.models import Collective, ImportJob

router = Router(tags=["imports and exports"])

XLSX_IN_MEMORY = 16 * 1024 * 1024  # an XLSX export is built in a temporary file past this size


def _file_response(description: str, *content_types: str) -> dict[str, Any]:
    """OpenAPI for an operation answering with a file rather than JSON."""
    content = {t.split(";")[0]: {"schema": {"type": "string", "format": "binary"}} for t in content_types}
    return {"responses": {200: {"description": description, "content": content}}}


# --- record types -----------------------------------------------------------------------------------


class ColumnOut(Schema):
    name: str
    description: str
    example: str
    required: bool


class KindOut(Schema):
    name: str = Field(description="Used in URLs and as `kind` in uploads: people, groups…")
    label: str
    description: str
    natural_key: str = Field(description="How rows are matched to existing records.")
    columns: list[ColumnOut]
    templates: dict[str, str] = Field(description="Template file URLs by format (csv, xlsx).")


def _kind_out(record_type: RecordType) -> dict[str, Any]:
    template = reverse("api:import_template", kwargs={"kind": record_type.name})
    return {
        "name": record_type.name,
        "label": record_type.label,
        "description": record_type.description,
        "natural_key": record_type.natural_key,
        "columns": [
            {"name": c.name, "description": c.description, "example": c.example, "required": c.required}
            for c in record_type.columns
        ],
        "templates": {fmt: f"{template}?format={fmt}" for fmt in ("csv", "xlsx")},
    }


@router.get("/imports/kinds", response={200: list[KindOut], **ERROR_RESPONSES}, url_name="import_kinds")
def list_kinds(request: ApiRequest) -> list[dict[str, Any]]:
    """What can be imported and exported, with each column: what it holds, an example, whether required."""
    return [_kind_out(record_type) for record_type in record_types()]


def _known_kind(kind: str) -> RecordType:
    try:
        return get_record_type(kind)
    except KeyError:
        raise NotFound("record type") from None


@router.get(
    "/imports/templates/{kind}",
    response={200: None, **ERROR_RESPONSES},
    url_name="import_template",
    openapi_extra=_file_response("The template: a header row and an example row.", *CONTENT_TYPES.values()),
)
def get_template(request: ApiRequest, kind: str, format: Literal["csv", "xlsx"] = "csv") -> HttpResponseBase:
    """A file to fill in: the columns as a header row and an example row (XLSX adds a "Columns" sheet)."""
    record_type = _known_kind(kind)
    content = template_xlsx(record_type) if format == "xlsx" else template_csv(record_type)
    response = HttpResponse(content, content_type=CONTENT_TYPES[format])
    response["Content-Disposition"] = f'attachment; filename="{record_type.name}-template.{format}"'
    return response


# --- import jobs ------------------------------------------------------------------------------------


class ProblemOut(Schema):
    code: str
    message: str
    field: str | None = None
    row: int | None = Field(None, description="The row in the file, the header being row 1.")
    column: str | None = None


class ReportOut(Schema):
    summary: str = Field(description="The outcome in one plain sentence.")
    ok: bool = Field(description="No file problem and no rejected row.")
    committed: bool = Field(description="Whether anything was saved.")
    dry_run: bool
    mode: str
    rows: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    file_problems: list[ProblemOut]
    problems: list[ProblemOut] = Field(description="Problems of rejected rows (the first 1,000).")
    warnings: list[str]
    seconds: float


class ProgressOut(Schema):
    rows: int = Field(description="Rows read so far.")
    fraction: float | None = Field(description="How far through the file (0 to 1); null when unknown.")


class JobLinks(Schema):
    self: str
    run: str
    rejected: str | None = Field(description="The rejected rows as CSV, to fix and upload again.")


class ImportJobOut(Schema):
    id: int
    kind: str
    collective: str
    status: str
    status_label: str
    mode: str
    dry_run: bool
    file_name: str
    headers: list[str]
    mapping: dict[str, str] = Field(description="File header → column it fills (empty: not imported).")
    progress: ProgressOut
    report: ReportOut | None = Field(description="Null until a run has finished.")
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    links: JobLinks


def _job_out(job: ImportJob) -> dict[str, Any]:
    progress = import_progress(job)
    report = job.report if job.report.get("summary") else None
    url = reverse("api:import_get", kwargs={"job_id": job.pk})
    return {
        "id": job.pk,
        "kind": job.kind,
        "collective": job.collective.slug,
        "status": job.status,
        "status_label": job.get_status_display(),
        "mode": job.mode,
        "dry_run": job.dry_run,
        "file_name": job.original_name,
        "headers": job.headers,
        "mapping": job.mapping,
        "progress": {"rows": progress.get("rows") or 0, "fraction": progress.get("fraction")},
        "report": report,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "links": {
            "self": url,
            "run": reverse("api:import_run", kwargs={"job_id": job.pk}),
            "rejected": reverse("api:import_rejected", kwargs={"job_id": job.pk})
            if job.rejected_file
            else None,
        },
    }


class ImportIn(Schema):
    kind: str = Field(description="The record type: see GET /imports/kinds.")
    collective: str = Field(description="Collective slug.")
    mode: Literal["all", "valid"] = Field(
        "all", description="all: nothing is saved if any row is rejected; valid: save the valid rows."
    )
    dry_run: bool = Field(False, description="Check everything and report, saving nothing.")
    mapping: str = Field(
        "",
        description='Optional JSON object, file header → column ({"Name": "full_name"}); it replaces the '
        "automatic matching by header, and headers it leaves out are not imported.",
    )
    encoding: str = Field("", description="Text encoding of a CSV (detected when empty).")
    delimiter: str = Field("", description="Delimiter of a CSV (detected when empty).")


def _parse_mapping(text: str) -> dict[str, str] | None:
    if not text.strip():
        return None
    try:
        mapping = json.loads(text)
    except ValueError:
        mapping = None
    if not isinstance(mapping, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
    ):
        raise DomainError.single(
            "invalid_mapping",
            'The mapping is a JSON object from file header to column, e.g. {"Name": "full_name"}.',
            field="mapping",
        )
    return mapping


def _collective(user: Any, slug: str) -> Collective:
    collective = Collective.objects.visible_to(user).filter(slug=slug).first()
    if collective is None:
        raise NotFound("collective")
    return collective


def _started(job: ImportJob, done: int) -> Status[dict[str, Any]]:
    """201/200 when the run is over (small files run in the request), 202 while it waits for a worker."""
    return Status(202 if job.is_active else done, _job_out(job))


@router.post(
    "/imports",
    response={201: ImportJobOut, 202: ImportJobOut, **ERROR_RESPONSES},
    url_name="import_create",
)
@idempotent
def create_import(
    request: ApiRequest, payload: Form[ImportIn], file: File[UploadedFile]
) -> Status[dict[str, Any]]:
    """Upload a CSV, XLSX or JSON lines file and import it (or, with dry_run, check it).

    Rows are matched by the record type's natural key and upserted, so sending the same file twice
    changes nothing the second time. The answer holds the report: counts and every rejected row's
    problems by row and column. A file that can't be imported at all (empty, damaged, a required column
    missing) is a 422 and leaves no job."""
    user = request.auth
    mapping = _parse_mapping(payload.mapping)
    record_type_for(payload.kind)  # an unknown kind is a 422 on `kind`, before the collective's 404
    job = import_job_submit(
        actor=user,
        collective=_collective(user, payload.collective),
        kind=payload.kind,
        upload=file,
        name=file.name or "upload",
        mode=payload.mode,
        dry_run=payload.dry_run,
        mapping=mapping,
        encoding=payload.encoding,
        delimiter=payload.delimiter,
    )
    return _started(job, 201)


@router.get("/imports", response={200: Page[ImportJobOut], **ERROR_RESPONSES}, url_name="import_list")
def list_imports(request: ApiRequest, page: Query[PageParams]) -> dict[str, Any]:
    """Your imports (and, for backbone admins, all of their collective's), in the order they were made."""
    qs = ImportJob.objects.visible_to(request.auth).select_related("collective")
    result = paginate(qs, page, keys=("id",))
    result["items"] = [_job_out(job) for job in result["items"]]
    return result


@router.get("/imports/{job_id}", response={200: ImportJobOut, **ERROR_RESPONSES}, url_name="import_get")
def get_import(request: ApiRequest, job_id: int) -> dict[str, Any]:
    """An import job: its status, progress and, once a run is over, its report."""
    return _job_out(access_import_job(request.auth, job_id))


class RunIn(Schema):
    dry_run: bool = Field(False, description="Check again without saving, or (false) import for real.")


@router.post(
    "/imports/{job_id}/run",
    response={200: ImportJobOut, 202: ImportJobOut, **ERROR_RESPONSES},
    url_name="import_run",
)
@idempotent
def run_import_job(request: ApiRequest, job_id: int, payload: RunIn) -> Status[dict[str, Any]]:
    """Run a job again: import a checked file for real, or resume an interrupted valid-rows import."""
    job = access_import_job(request.auth, job_id)
    job = import_job_start(actor=request.auth, job=job, dry_run=payload.dry_run)
    return _started(job, 200)


@router.get(
    "/imports/{job_id}/rejected",
    response={200: None, **ERROR_RESPONSES},
    url_name="import_rejected",
    openapi_extra=_file_response("The rejected rows as sent, with an `errors` column.", CONTENT_TYPES["csv"]),
)
def get_rejected_rows(request: ApiRequest, job_id: int) -> HttpResponseBase:
    """The rejected rows of the last run, as they were sent plus an `errors` column: fix, upload again."""
    job = access_import_job(request.auth, job_id)
    if not job.rejected_file:
        raise NotFound("rejected rows")
    return _private(
        FileResponse(
            job.rejected_file.open("rb"),
            content_type=CONTENT_TYPES["csv"],
            as_attachment=True,
            filename=f"{job.kind}-rejected-{job.pk}.csv",
        )
    )


# --- exports ----------------------------------------------------------------------------------------


class ExportParams(Schema):
    collective: str = Field(description="Collective slug.")
    format: Literal["csv", "json", "xlsx"] = Field(
        "csv", description="json is JSON lines: one object a line."
    )


@router.get(
    "/exports/{kind}",
    response={200: None, **ERROR_RESPONSES},
    url_name="export",
    openapi_extra={
        **_file_response("The records, streamed.", *CONTENT_TYPES.values()),
        "parameters": [
            {
                "in": "query",
                "name": "filters",
                "required": False,
                "style": "form",
                "explode": True,
                "schema": {"type": "object", "additionalProperties": {"type": "string"}},
                "description": "The list page's filters as further query parameters (for people: q, "
                "group, role).",
            }
        ],
    },
)
def export(request: ApiRequest, kind: str, params: Query[ExportParams]) -> HttpResponseBase:
    """Export the records you may see, with the list's filters, as CSV, JSON lines or XLSX.

    CSV and JSON are streamed, so a file of millions of rows starts at once; XLSX holds at most
    1,048,575 rows. Exported files import again unchanged."""
    user = request.auth
    record_type = _known_kind(kind)
    target = _collective(user, params.collective)
    format = params.format
    filters = {k: str(v) for k, v in request.GET.items() if k not in ExportParams.model_fields}
    export = Export(record_type, actor=user, collective=target, filters=filters)
    name = f"{target.slug}-{record_type.name}-{dt.date.today().isoformat()}.{EXTENSIONS[format]}"
    if format == "xlsx":
        # Closed by the FileResponse once sent; a workbook can't be streamed as it is written.
        spool = tempfile.SpooledTemporaryFile(max_size=XLSX_IN_MEMORY)  # noqa: SIM115
        try:
            export.xlsx(spool)
        except BulkFileError as error:
            spool.close()
            raise DomainError.single(error.problem.code, error.problem.message, field="format") from None
        spool.seek(0)
        return _private(
            FileResponse(spool, content_type=CONTENT_TYPES[format], as_attachment=True, filename=name)
        )
    chunks = export.csv() if format == "csv" else export.jsonl()
    response = StreamingHttpResponse(chunks, content_type=CONTENT_TYPES[format])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return _private(response)


def _private(response: HttpResponseBase) -> HttpResponseBase:
    """Files of people's data are for the caller only: no shared cache keeps them."""
    response["Cache-Control"] = "private, no-store"
    return response
