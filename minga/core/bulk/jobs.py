"""Import jobs: the stored life of an upload (mapping → dry run → import → report), with progress.

The web UI and the API work through these services; a file small enough runs at once, in the request,
a larger one in the background (`minga.core.tasks.run_import_job`), and the job page follows its
progress. Progress is kept in the "progress" cache, not the database, so an all-or-nothing run can
report while its transaction is still open (SQLite allows one writer at a time).
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from minga.core.bulk.formats import BulkFileError, Table, open_table
from minga.core.bulk.mapping import auto_mapping, check_mapping
from minga.core.bulk.rejected import RejectedRowsWriter
from minga.core.bulk.runner import MODES, ImportReport, run_import
from minga.core.bulk.spec import RecordType, get_record_type
from minga.core.errors import DomainError, NotFound, Problem
from minga.core.models import Collective, ImportJob

STALE_AFTER = 120  # seconds without progress before a running job counts as interrupted


def max_upload_bytes() -> int:
    return int(getattr(settings, "MINGA_IMPORT_MAX_BYTES", 100 * 1024 * 1024))


def inline_bytes() -> int:
    """Files up to this size are imported within the request; larger ones by the background worker."""
    return int(getattr(settings, "MINGA_IMPORT_INLINE_BYTES", 512 * 1024))


def record_type_for(kind: str) -> RecordType:
    try:
        return get_record_type(kind)
    except KeyError:
        raise DomainError.single(
            "unknown_kind", f"There is nothing called {kind!r} to import.", field="kind"
        ) from None


def open_job_table(job: ImportJob) -> Table:
    return open_table(
        Path(job.file.path),
        format=job.format or None,
        encoding=job.encoding or None,
        delimiter=job.delimiter or None,
    )


@transaction.atomic
def import_job_create(
    *,
    actor: Any,
    collective: Collective,
    kind: str,
    upload: File[Any],
    name: str,
    mode: str = "all",
    encoding: str = "",
    delimiter: str = "",
) -> ImportJob:
    """Store an uploaded file as an import job, read its header and propose a column mapping.

    Fails with every problem at once: unknown kind, not allowed, too large, unreadable file, bad mode."""
    record_type = record_type_for(kind)
    if not record_type.can_import(actor, collective):
        raise NotFound("collective")
    problems: list[Problem] = []
    if mode not in MODES:
        problems.append(Problem(code="invalid_mode", message="Mode must be 'all' or 'valid'.", field="mode"))
    size = upload.size or 0
    limit = max_upload_bytes()
    if size > limit:
        problems.append(
            Problem(
                code="file_too_large",
                message=f"The file is {size / 2**20:,.0f} MB; uploads are limited to "
                f"{limit / 2**20:,.0f} MB. Split it, or import it with the `minga import` command.",
                field="file",
            )
        )
    if len(delimiter) > 1:
        problems.append(
            Problem(code="invalid_delimiter", message="The delimiter is one character.", field="delimiter")
        )
    if problems:
        raise DomainError(problems)
    job = ImportJob(
        collective=collective,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        kind=kind,
        original_name=Path(name).name[:255] or "upload",
        size=size,
        mode=mode,
        encoding=encoding,
        delimiter=delimiter,
    )
    job.file.save(job.original_name, upload, save=False)
    try:
        table = open_job_table(job)
    except BulkFileError as error:
        job.file.delete(save=False)
        raise DomainError(
            [Problem(code=error.problem.code, message=error.problem.message, field="file")]
        ) from None
    try:
        first = next(table.rows, None)
    except BulkFileError as error:
        table.close()
        job.file.delete(save=False)
        raise DomainError(
            [Problem(code=error.problem.code, message=error.problem.message, field="file")]
        ) from None
    table.close()
    if first is None:
        job.file.delete(save=False)
        raise DomainError.single("no_rows", "The file has a header row but no data rows.", field="file")
    job.format, job.encoding, job.delimiter = table.format, table.encoding or "", table.delimiter or ""
    job.headers = table.headers
    job.mapping = auto_mapping(record_type.columns, table.headers)
    job.report = {"warnings": table.warnings} if table.warnings else {}
    job.save()
    return job


def import_job_submit(
    *,
    actor: Any,
    collective: Collective,
    kind: str,
    upload: File[Any],
    name: str,
    mode: str = "all",
    dry_run: bool = False,
    mapping: dict[str, str] | None = None,
    encoding: str = "",
    delimiter: str = "",
) -> ImportJob:
    """Upload, map and start in one step (the API): `import_job_create`, `import_job_set_mapping` when a
    mapping is given (it replaces the automatic one: header cells it leaves out are not imported), then
    `import_job_start`. A file or mapping that can't be imported raises DomainError and leaves no job."""
    job = import_job_create(
        actor=actor,
        collective=collective,
        kind=kind,
        upload=upload,
        name=name,
        mode=mode,
        encoding=encoding,
        delimiter=delimiter,
    )
    try:
        if mapping is not None:
            unknown = [header for header in mapping if header not in job.headers]
            if unknown:
                raise DomainError(
                    Problem(
                        code="unknown_header",
                        message=f"The file has no column headed {header!r}.",
                        field="mapping",
                        column=header,
                    )
                    for header in unknown
                )
            job = import_job_set_mapping(actor=actor, job=job, mapping=mapping, mode=mode)
        job = import_job_start(actor=actor, job=job, dry_run=dry_run)
        report = job.report or {}
        if report.get("file_problems") and not report.get("committed"):
            # Found while reading on (a damaged file, a required column left unmapped…): nothing was
            # imported, so it is a bad upload like those caught above, not a job to follow.
            raise DomainError(
                Problem(code=p["code"], message=p["message"], field="file") for p in report["file_problems"]
            )
        return job
    except DomainError as error:
        job.file.delete(save=False)
        job.delete()
        # A problem with the file's columns is a problem with the upload: say so to the client.
        error.problems = [p if p.field else replace(p, field="file") for p in error.problems]
        raise


def access_import_job(user: Any, job_id: int) -> ImportJob:
    """The import job `user` may follow (their own, or any of a collective they administer), else NotFound."""
    job = ImportJob.objects.visible_to(user).select_related("collective").filter(pk=job_id).first()
    if job is None:
        raise NotFound("import")
    return import_job_refresh(job)


def import_job_set_mapping(*, actor: Any, job: ImportJob, mapping: dict[str, str], mode: str) -> ImportJob:
    """Change the column mapping and mode of a job that is not running. Rejects a mapping that can't work."""
    _require_idle(job)
    record_type = record_type_for(job.kind)
    clean = {h: mapping.get(h, "") for h in job.headers}
    _, problems, _ = check_mapping(record_type.columns, job.headers, clean)
    if mode not in MODES:
        problems.append(Problem(code="invalid_mode", message="Mode must be 'all' or 'valid'.", field="mode"))
    if problems:
        raise DomainError(problems)
    job.mapping, job.mode, job.status = clean, mode, ImportJob.Status.UPLOADED
    job.save(update_fields=["mapping", "mode", "status"])
    return job


def _require_idle(job: ImportJob) -> None:
    import_job_refresh(job)
    if job.is_active:
        raise DomainError.single("job_running", "This import is running; wait for it to finish.")
    if job.status == ImportJob.Status.DONE:
        raise DomainError.single(
            "job_done", "This import is finished. Upload the file again to re-import it."
        )


def import_job_start(*, actor: Any, job: ImportJob, dry_run: bool) -> ImportJob:
    """Run the job (a dry run, or the import itself): at once for a small file, else in the background."""
    _require_idle(job)
    record_type = record_type_for(job.kind)
    _, problems, _ = check_mapping(record_type.columns, job.headers, job.mapping)
    if problems:
        raise DomainError(problems)
    resume = job.can_resume and not dry_run
    job.status, job.dry_run = ImportJob.Status.QUEUED, dry_run
    if not resume:
        job.rows_done, job.report = 0, {}
    job.started_at, job.finished_at = timezone.now(), None
    job.save(update_fields=["status", "dry_run", "rows_done", "report", "started_at", "finished_at"])
    _set_progress(job.pk, job.rows_done, 0.0)
    if job.size <= inline_bytes():
        import_job_run(job.pk)
        job.refresh_from_db()
    else:
        from minga.core.tasks import run_import_job

        job_id = job.pk
        transaction.on_commit(lambda: run_import_job.enqueue(job_id))
    return job


def import_job_run(job_id: int) -> ImportJob:
    """Carry out a queued job: the body of the background task (and of inline runs)."""
    job = ImportJob.objects.select_related("collective", "actor").get(pk=job_id)
    if job.status not in (ImportJob.Status.QUEUED, ImportJob.Status.INTERRUPTED):
        return job
    record_type = record_type_for(job.kind)
    job.status = ImportJob.Status.RUNNING
    job.save(update_fields=["status"])
    resume = ImportReport.from_dict(job.report) if job.rows_done and not job.dry_run else None
    # Rejected rows go to a file as they are found; a "valid rows" checkpoint records how much of it
    # belongs to committed chunks, so a resumed run keeps exactly those rows and adds its own.
    previous = job.rejected_file.name or ""
    if resume and previous and "rejected_bytes" in job.report:
        os.truncate(job.rejected_file.path, int(job.report["rejected_bytes"]))
    storage = job.rejected_file.storage
    name = storage.save(
        job.rejected_file.field.generate_filename(job, f"rejected-{job.pk}.csv"), ContentFile(b"")
    )
    target = open(storage.path(name), "w", encoding="utf-8", newline="")  # noqa: SIM115 (closed below)
    rejected = RejectedRowsWriter(
        job.headers, target, append_to=job.rejected_file if resume and previous else None
    )

    def checkpoint(rows_done: int, report: ImportReport) -> None:
        # Inside the chunk's transaction: the checkpoint commits with the chunk or not at all.
        target.flush()
        ImportJob.objects.filter(pk=job.pk).update(
            rows_done=rows_done,
            report={**report.as_dict(), "rejected_bytes": os.path.getsize(storage.path(name))},
            rejected_file=name,
        )

    try:
        try:
            table = open_job_table(job)
        except BulkFileError as error:
            report = ImportReport(kind=job.kind, mode=job.mode, dry_run=job.dry_run)
            report.file_problems.append(error.problem.as_dict())
        else:
            report = run_import(
                record_type=record_type,
                actor=job.actor,
                collective=job.collective,
                table=table,
                mapping=job.mapping,
                mode=job.mode,
                dry_run=job.dry_run,
                skip_rows=job.rows_done if resume else 0,
                resume_report=resume,
                progress=lambda rows, fraction: _set_progress(job.pk, rows, fraction),
                on_rejected=rejected.write,
                on_chunk_committed=checkpoint if job.mode == "valid" else None,
            )
    finally:
        target.close()
    if previous and previous != name:
        storage.delete(previous)
    job.refresh_from_db(fields=["rows_done"])
    job.report = report.as_dict()
    if report.committed and not report.dry_run:
        job.status = ImportJob.Status.DONE
    elif report.dry_run and not report.file_problems:
        job.status = ImportJob.Status.CHECKED
    else:
        job.status = ImportJob.Status.FAILED
    if rejected.count:
        job.rejected_file.name = name
    else:
        storage.delete(name)
        job.rejected_file.name = ""
    job.finished_at = timezone.now()
    job.save()
    _set_progress(job.pk, report.rows, 1.0)
    return job


def import_job_refresh(job: ImportJob) -> ImportJob:
    """Mark a running job whose worker stopped reporting as interrupted (it can then be resumed or rerun)."""
    if job.status != ImportJob.Status.RUNNING:
        return job
    progress = import_progress(job)
    if time.time() - float(progress.get("at") or 0) > STALE_AFTER:
        job.status = ImportJob.Status.INTERRUPTED
        job.save(update_fields=["status"])
    return job


def import_progress(job: ImportJob) -> dict[str, Any]:
    """{"rows": rows read so far, "fraction": 0 to 1 or None, "at": unix time of the last report}."""
    return caches["progress"].get(_progress_key(job.pk)) or {"rows": job.rows_done, "fraction": None, "at": 0}


def _progress_key(job_id: int) -> str:
    return f"import-job-{job_id}"


def _set_progress(job_id: int, rows: int, fraction: float | None) -> None:
    caches["progress"].set(
        _progress_key(job_id), {"rows": rows, "fraction": fraction, "at": time.time()}, timeout=7 * 86400
    )
