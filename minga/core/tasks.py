"""Background work of the core app (django-tasks; the worker is `manage.py db_worker`)."""

from __future__ import annotations

from typing import Any

from django_tasks import task


@task()
def run_import_job(job_id: int) -> dict[str, Any]:
    """Run a queued import job (see minga.core.bulk.jobs)."""
    from minga.core.bulk.jobs import import_job_run

    job = import_job_run(job_id)
    return {"status": job.status, "report": job.report}
