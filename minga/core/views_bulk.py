"""Pages of imports and exports, generic over the registered record types (`minga.core.bulk`).

Imports: an index of what the user may import (with blank templates to fill in), an upload form, and a
job page that shows the column mapping, runs a dry run or the import, follows a background run with a
progress bar and shows the report with the rejected rows. Exports: any record type's rows the user may
see, with the list page's filters, streamed as CSV or JSON lines, or written as XLSX.

Access: the collective must be visible (else 404); a record type's `can_import` opens its import pages
(else 404); a job is reached through `ImportJob.objects.visible_to` (else 404). Views stay thin: the
import services in `minga.core.bulk.jobs` decide, and their problems are shown next to the fields.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.db.models.fields.json import KT
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods

from minga.core.bulk import formats, jobs
from minga.core.bulk.export import Export
from minga.core.bulk.runner import MAX_LISTED_PROBLEMS
from minga.core.bulk.spec import RecordType, get_record_type, record_types
from minga.core.bulk.template_files import template_csv, template_xlsx
from minga.core.errors import DomainError, NotFound
from minga.core.forms import add_problems
from minga.core.forms_bulk import MappingForm, UploadForm
from minga.core.models import Collective, ImportJob

RECENT_JOBS = 20
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}
# Statuses in which the mapping can be changed and a run started.
_EDITABLE = (
    ImportJob.Status.UPLOADED,
    ImportJob.Status.CHECKED,
    ImportJob.Status.FAILED,
    ImportJob.Status.INTERRUPTED,
)


def _collective(request: HttpRequest, slug: str) -> Collective:
    collective = Collective.objects.visible_to(request.user).filter(slug=slug).first()
    if collective is None:
        raise NotFound("collective")
    return collective


def importable_types(user: Any, collective: Collective) -> list[RecordType]:
    """The record types `user` may import into `collective`."""
    return [rt for rt in record_types() if rt.can_import(user, collective)]


def _importable(user: Any, collective: Collective, kind: str) -> RecordType:
    try:
        record_type = get_record_type(kind)
    except KeyError:
        raise NotFound("record type") from None
    if not record_type.can_import(user, collective):
        raise NotFound("record type")
    return record_type


def _job(request: HttpRequest, collective: Collective, job_id: int) -> ImportJob:
    job = (
        ImportJob.objects.visible_to(request.user)
        .filter(collective=collective, pk=job_id)
        .select_related("actor")
        .first()
    )
    if job is None:
        raise NotFound("import job")
    return job


def _attachment(name: str) -> str:
    return content_disposition_header(as_attachment=True, filename=name) or ""


# --- imports -------------------------------------------------------------------------------------------


class _Card:
    """A record type as the imports index shows it."""

    def __init__(self, record_type: RecordType, collective: Collective) -> None:
        self.name, self.label = record_type.name, record_type.label
        self.more_templates = record_type.template_links(collective=collective)
        self.description, self.natural_key = record_type.description, record_type.natural_key
        self.columns = record_type.columns
        self.required_names = [c.name for c in record_type.columns if c.required]


@require_GET
def import_index(request: HttpRequest, slug: str) -> HttpResponse:
    """What the user may import here, a template of each, and the recent import jobs they may follow."""
    collective = _collective(request, slug)
    types = importable_types(request.user, collective)
    if not types:
        raise NotFound("imports")
    recent = (
        ImportJob.objects.visible_to(request.user)
        .filter(collective=collective)
        .select_related("actor")
        .defer("report", "headers", "mapping")
        .annotate(summary=KT("report__summary"))[:RECENT_JOBS]
    )
    labels = {rt.name: rt.label for rt in record_types()}
    cards = [_Card(rt, collective) for rt in types]
    context = {"collective": collective, "cards": cards, "jobs": recent, "labels": labels, "nav": "imports"}
    return render(request, "core/bulk/import_index.html", context)


@require_GET
def import_template(request: HttpRequest, slug: str, kind: str, fmt: str) -> HttpResponse:
    """A blank file to fill in: the columns as a header row and a row of examples (CSV or XLSX)."""
    if fmt not in ("csv", "xlsx"):
        raise NotFound("format")
    collective = _collective(request, slug)
    record_type = _importable(request.user, collective, kind)
    if fmt == "xlsx":
        content, content_type = template_xlsx(record_type), formats.CONTENT_TYPES["xlsx"]
    else:
        content, content_type = template_csv(record_type), formats.CONTENT_TYPES["csv"]
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = _attachment(f"{record_type.name}-template.{fmt}")
    return response


@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest, slug: str) -> HttpResponse:
    """Upload a file: it is stored as a job with its header read and a column mapping proposed."""
    collective = _collective(request, slug)
    types = importable_types(request.user, collective)
    if not types:
        raise NotFound("imports")
    initial = {"kind": request.GET.get("kind", "")} if request.method == "GET" else None
    form = UploadForm(request.POST or None, request.FILES or None, record_types=types, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        try:
            job = jobs.import_job_create(
                actor=request.user,
                collective=collective,
                kind=data["kind"],
                upload=upload,
                name=upload.name or "upload",
                mode=data["mode"],
                encoding=data["encoding"],
                delimiter=data["delimiter"],
            )
        except DomainError as error:
            add_problems(form, error)
        else:
            return redirect("import_job", slug=collective.slug, job_id=job.pk)
    context = {
        "collective": collective,
        "form": form,
        "max_mb": jobs.max_upload_bytes() // (1024 * 1024),
        "nav": "imports",
    }
    return render(request, "core/bulk/import_upload.html", context, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def import_job(request: HttpRequest, slug: str, job_id: int) -> HttpResponse:
    """The life of one upload: mapping, dry run, progress, report. POST: check, import or resume."""
    collective = _collective(request, slug)
    job = jobs.import_job_refresh(_job(request, collective, job_id))
    try:
        record_type = get_record_type(job.kind)
    except KeyError:
        raise NotFound("record type") from None
    action = request.POST.get("action", "") if request.method == "POST" else ""
    form = None
    if job.status in _EDITABLE:
        form = MappingForm(
            request.POST if action in ("check", "import") else None,
            record_type=record_type,
            headers=job.headers,
            mapping=job.mapping,
            initial={"mode": job.mode},
        )
    if request.method == "POST" and not (form is not None and form.is_bound and not form.is_valid()):
        try:
            _start(request.user, job, action, form)
        except DomainError as error:
            if form is None:
                messages.error(request, str(error))
                return redirect("import_job", slug=collective.slug, job_id=job.pk)
            _add_mapping_problems(form, error)
            job.refresh_from_db()
        else:
            return redirect("import_job", slug=collective.slug, job_id=job.pk)
    context = _job_context(collective, job, record_type, form)
    return render(request, "core/bulk/import_job.html", context, status=422 if form and form.errors else 200)


def _start(user: Any, job: ImportJob, action: str, form: MappingForm | None) -> None:
    """Carry out a button of the job page: "check" or "import" with the mapping form's choices, or
    "import_now" / "resume" with the job as it stands (the mapping checked, the interrupted run)."""
    if action in ("resume", "import_now"):
        jobs.import_job_start(actor=user, job=job, dry_run=False)
    elif action in ("check", "import") and form is not None:
        jobs.import_job_set_mapping(
            actor=user, job=job, mapping=form.mapping(), mode=form.cleaned_data["mode"]
        )
        jobs.import_job_start(actor=user, job=job, dry_run=action == "check")
    else:
        raise DomainError.single("job_busy", "This import is running or finished: it can't be changed.")


def _add_mapping_problems(form: MappingForm, error: DomainError) -> None:
    """Problems of a mapping name the file's column by its header: show each next to that column."""
    located = [
        replace(p, field=form.field_for_header(p.column)) if p.field is None and p.column else p
        for p in error.problems
    ]
    add_problems(form, DomainError(located))


def _job_context(
    collective: Collective, job: ImportJob, record_type: RecordType, form: MappingForm | None
) -> dict[str, Any]:
    report = job.report if job.report.get("summary") else None
    context: dict[str, Any] = {
        "collective": collective,
        "job": job,
        "record_type": record_type,
        "many_column": record_type.many_column,
        "form": form,
        "report": report,
        "progress": _progress(job),
        "delimiter": DELIMITER_NAMES.get(job.delimiter, job.delimiter) if job.format == "csv" else "",
        "nav": "imports",
    }
    if report:
        rejected, listed = int(report.get("rejected") or 0), len(report.get("problems") or [])
        context["problems_capped"] = listed >= MAX_LISTED_PROBLEMS
        context["rejected"] = rejected
        context["ready"] = job.status == ImportJob.Status.CHECKED and (
            rejected == 0 or job.mode == ImportJob.Mode.VALID
        )
        context["blocked"] = job.status == ImportJob.Status.CHECKED and rejected and job.mode == "all"
    return context


def _progress(job: ImportJob) -> dict[str, Any]:
    progress = jobs.import_progress(job)
    fraction = progress.get("fraction")
    return {
        "rows": int(progress.get("rows") or 0),
        "percent": None if fraction is None else max(0, min(100, round(float(fraction) * 100))),
    }


@require_GET
def import_job_progress(request: HttpRequest, slug: str, job_id: int) -> HttpResponse:
    """The progress bar, polled by the job page every second; once the run is over, the page reloads."""
    collective = _collective(request, slug)
    job = jobs.import_job_refresh(_job(request, collective, job_id))
    context = {"collective": collective, "job": job, "progress": _progress(job)}
    response = render(request, "core/bulk/_job_progress.html", context)
    if not job.is_active:
        response["HX-Refresh"] = "true"  # show the report
    return response


@require_GET
def import_job_rejected(request: HttpRequest, slug: str, job_id: int) -> FileResponse:
    """The rejected rows as sent, with an "errors" column: fix them and upload the file again."""
    collective = _collective(request, slug)
    job = _job(request, collective, job_id)
    if not job.rejected_file:
        raise NotFound("rejected rows")
    name = f"{Path(job.original_name).stem or 'import'}-rejected.csv"
    response = FileResponse(job.rejected_file.open("rb"), content_type=formats.CONTENT_TYPES["csv"])
    response["Content-Disposition"] = _attachment(name)
    return response


# --- exports -------------------------------------------------------------------------------------------


@require_GET
def export(request: HttpRequest, slug: str, kind: str, fmt: str) -> HttpResponse | StreamingHttpResponse:
    """The rows of `kind` the user may see, with the list page's filters (the query string).

    CSV and JSON lines stream as they are read (flat memory at any size); XLSX is written to a spooled
    temporary file first, since a workbook is a zip that can't be streamed."""
    if fmt not in formats.EXPORT_FORMATS:
        raise NotFound("format")
    collective = _collective(request, slug)
    try:
        record_type = get_record_type(kind)
    except KeyError:
        raise NotFound("record type") from None
    export = Export(record_type, actor=request.user, collective=collective, filters=request.GET)
    name = (
        f"{collective.slug}-{record_type.name}-{timezone.localdate().isoformat()}.{formats.EXTENSIONS[fmt]}"
    )
    response: HttpResponse | StreamingHttpResponse
    if fmt == "xlsx":
        # Closed by the FileResponse once sent (or below on error), not by a `with` block.
        spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115
        try:
            export.xlsx(spool)
        except formats.BulkFileError as error:
            spool.close()
            context = {"collective": collective, "record_type": record_type, "problem": error.problem}
            return render(request, "core/bulk/export_error.html", context, status=422)
        spool.seek(0)
        response = FileResponse(spool, content_type=formats.CONTENT_TYPES["xlsx"])
    else:
        chunks = export.csv() if fmt == "csv" else export.jsonl()
        response = StreamingHttpResponse(chunks, content_type=formats.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = _attachment(name)
    response["Cache-Control"] = "private, no-store"  # people's data: never kept by a shared cache
    return response
